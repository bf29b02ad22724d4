/*-------------------------------------------------------------------------
 *
 * segregation.c
 *	  Segregation of duties: the identities a verification is judged by,
 *	  and the one comparison of names (see segregation.h).
 *
 * Why the session user: the functions record the effective role as the
 * actor, so a pooled login that runs SET ROLE alice acts as alice.  But
 * SET ROLE is also open to the owner of a record who is a member of
 * capa_verifier (or of any role): judged by the effective role alone, the
 * owner verified their own record as "capa_verifier".  The login role
 * cannot be changed by SET ROLE, so judging it too closes that, whatever
 * role is set.  A SECURITY DEFINER wrapper is judged by its owner (the
 * effective role) and by the login that called it.
 *
 * IDENTIFICATION
 *	  src/lifecycle/segregation.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"

#include "catalog/pg_collation.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/formatting.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "common/actor.h"
#include "common/schema_cache.h"
#include "common/text_blank.h"
#include "common/trigger_row.h"
#include "lifecycle/segregation.h"

static Oid	role_named(const char *name);

static void
add_identity(CapaSodIdentities *ids, const char *name, CapaSodKind kind, Oid role)
{
	int			i;

	if (name == NULL)
		return;
	for (i = 0; i < ids->n; i++)
	{
		if (capa_sod_same_name(ids->name[i], name))
			return;
	}
	Assert(ids->n < CAPA_SOD_MAX_IDENTITIES);
	ids->name[ids->n] = name;
	ids->kind[ids->n] = kind;
	ids->role[ids->n] = role;
	ids->n++;
}

void
capa_sod_session_identities(Oid actor, CapaSodIdentities *ids)
{
	ids->n = 0;
	add_identity(ids, GetUserNameFromId(actor, false), CAPA_SOD_ROLE, actor);
	add_identity(ids, GetUserNameFromId(GetSessionUserId(), false), CAPA_SOD_SESSION_USER,
				 GetSessionUserId());
	add_identity(ids, capa_app_user(), CAPA_SOD_APP_USER, InvalidOid);
}

void
capa_sod_recorded_identity(const char *name, CapaSodIdentities *ids)
{
	ids->n = 0;
	add_identity(ids, name, CAPA_SOD_RECORDED, InvalidOid);
}

/*
 * A name as identities are compared: without leading and trailing blanks
 * (text_blank.c's rule, Unicode blanks and invisible characters included)
 * and case-folded, so that "IA_Auditor" and "ia_auditor " are the role
 * ia_auditor, and an application's "Alice@Example.com" its alice@example.com
 */
static char *
normal_name(const char *name)
{
	const char *start = name;
	const char *end = name + strlen(name);
	const char *p;
	const char *last = name;

	while (start < end)
	{
		int			l = Min(pg_mblen(start), (int) (end - start));

		if (!capa_blank_bytes(start, l))
			break;
		start += l;
	}
	last = start;
	for (p = start; p < end;)
	{
		int			l = Min(pg_mblen(p), (int) (end - p));

		if (!capa_blank_bytes(p, l))
			last = p + l;
		p += l;
	}
	return str_tolower(start, last - start, DEFAULT_COLLATION_OID);
}

/*
 * The one comparison of identities (0.3.0): the same once blanks at either
 * end are dropped and case is folded.  Owners were free text, and a spelling
 * that PostgreSQL keeps apart ("Bob" and "bob" can be two roles) is one
 * person to an auditor: segregation of duties refuses both.
 */
bool
capa_sod_same_name(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	return strcmp(normal_name(a), normal_name(b)) == 0;
}

/*
 * The index of the first identity named name, or -1; workers: a superuser
 * may do every step itself (out of scope: it could turn the check off), so
 * its identities are not compared with who did the work (the owner rule
 * still holds for it)
 */
static int
match_name(const CapaSodIdentities *ids, const char *name, bool workers)
{
	int			i;

	if (name == NULL)
		return -1;
	for (i = 0; i < ids->n; i++)
	{
		if (workers && OidIsValid(ids->role[i]) && superuser_arg(ids->role[i]))
			continue;
		if (capa_sod_same_name(ids->name[i], name))
			return i;
	}
	return -1;
}

int
capa_sod_match_worker(const CapaSodIdentities *ids, const char *worker)
{
	return match_name(ids, worker, true);
}

/* A name as a message shows it: at most 64 bytes, cut at a character */
static const char *
shown_name(const char *name)
{
	int			len = strlen(name);
	int			cut;

	if (len <= 64)
		return name;
	cut = pg_mbcliplen(name, len, 64);
	return psprintf("%.*s...", cut, name);
}

/*
 * The role name names exactly, or InvalidOid: a name too long for a role
 * (an owner may be any text) names none, and is not looked up
 */
static Oid
role_named(const char *name)
{
	if (name == NULL || strlen(name) >= NAMEDATALEN)
		return InvalidOid;
	return get_role_oid(name, true);
}

int
capa_sod_match_name(const CapaSodIdentities *ids, const char *name)
{
	return match_name(ids, name, false);
}

int
capa_sod_match(const CapaSodIdentities *ids, const CapaOwner *owner)
{
	int			i;
	Oid			role;

	if (owner == NULL || owner->name == NULL)
		return -1;

	/*
	 * The role it names, under whatever name it has now, and its members:
	 * who may act for the owner (capa_sod_acts_for) is the owner here too,
	 * and so is a member through a NOINHERIT grant, who may SET ROLE to it
	 * (membership, not inherited privileges).  A superuser is a member of
	 * every role; it is judged by the role itself only.
	 */
	role = owner->bound ? owner->role : role_named(owner->name);
	if (OidIsValid(role))
	{
		for (i = 0; i < ids->n; i++)
		{
			if (!OidIsValid(ids->role[i]))
				continue;
			if (ids->role[i] == role ||
				(!superuser_arg(ids->role[i]) && is_member_of_role(ids->role[i], role)))
				return i;
		}
	}
	/* and the name: a role dropped and made again is the same person */
	return capa_sod_match_name(ids, owner->name);
}

Oid
capa_owner_role(const CapaOwner *owner)
{
	if (owner == NULL || owner->name == NULL)
		return InvalidOid;
	return owner->bound ? owner->role : role_named(owner->name);
}

Datum
capa_owner_binding(const char *owner, bool *isnull)
{
	Oid			role = role_named(owner);

	*isnull = !OidIsValid(role);
	return ObjectIdGetDatum(role);
}

bool
capa_reassigning(const char *step)
{
	return capa_request.active && capa_request.step != NULL &&
		strcmp(capa_request.step, step) == 0;
}

HeapTuple
capa_owner_bind(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup,
				AttrNumber owner_col, AttrNumber role_col, Relation rel,
				AttrNumber head_col, bool rebind)
{
	bool		isnull;
	Datum		role;
	int			col = role_col;
	bool		written;

	if (role_col == InvalidAttrNumber)
		return newtup;			/* a database not updated to 0.3.0 yet */
	if (oldtup != NULL)
		written = capa_column_changed(tupdesc, oldtup, newtup, role_col);
	else
		written = !heap_attisnull(newtup, role_col, tupdesc) &&
			heap_attisnull(newtup, head_col, tupdesc);
	if (written)
		capa_refuse_maintained(rel, role_col);
	/* the owner kept: NEW already has OLD's binding (not written, above) */
	if (oldtup != NULL && !rebind && !capa_column_changed(tupdesc, oldtup, newtup, owner_col))
		return newtup;
	{
		Datum		owner = heap_getattr(newtup, owner_col, tupdesc, &isnull);

		role = capa_owner_binding(isnull ? NULL : TextDatumGetCString(owner), &isnull);
	}
	/* most rows change nothing here: no copy of the tuple for them */
	{
		bool		had_null;
		Datum		had = heap_getattr(newtup, role_col, tupdesc, &had_null);

		if (had_null == isnull && (isnull || DatumGetObjectId(had) == DatumGetObjectId(role)))
			return newtup;
	}
	return heap_modify_tuple_by_cols(newtup, tupdesc, 1, &col, &role, &isnull);
}

void
capa_owner_read(TupleDesc tupdesc, HeapTuple tuple, AttrNumber owner_col,
				AttrNumber role_col, CapaOwner *owner)
{
	bool		isnull;
	Datum		d = heap_getattr(tuple, owner_col, tupdesc, &isnull);

	owner->name = isnull ? NULL : TextDatumGetCString(d);
	owner->bound = false;
	owner->role = InvalidOid;
	if (role_col != InvalidAttrNumber)
	{
		d = heap_getattr(tuple, role_col, tupdesc, &isnull);
		owner->bound = !isnull;
		owner->role = isnull ? InvalidOid : DatumGetObjectId(d);
	}
}

char *
capa_owner_text(const CapaOwner *owner)
{
	char	   *now;

	if (!owner->bound)
		return pstrdup(owner->name);
	now = GetUserNameFromId(owner->role, true);
	if (now == NULL)
		return psprintf("\"%s\" (a role dropped since)", owner->name);
	if (strcmp(now, owner->name) != 0)
		return psprintf("\"%s\" (now the role \"%s\")", owner->name, now);
	return psprintf("\"%s\"", owner->name);
}

/*
 * An application identity: one "@" with something other than blanks on
 * either side, and no blank inside (blanks at either end are dropped, as
 * in the comparison)
 */
static bool
app_identity(const char *name)
{
	const char *n = normal_name(name);
	const char *at = strchr(n, '@');
	const char *p;

	if (at == NULL || at == n || at[1] == '\0' || strchr(at + 1, '@') != NULL)
		return false;
	for (p = n; *p; p += pg_mblen(p))
	{
		if (capa_blank_bytes(p, Min(pg_mblen(p), (int) strlen(p))))
			return false;
	}
	return true;
}

/*
 * The policy's latest word on free-text owners (rows with NULL say nothing);
 * read with the latest snapshot, as the triggers judge what others
 * committed; none at all (the built-in row removed): not allowed
 */
static bool
free_text_owners_allowed(void)
{
	bool		allowed = false;
	bool		isnull;
	int			rc;

	PushActiveSnapshot(GetLatestSnapshot());
	rc = SPI_execute_plan(capa_spi_plan(PLAN_OWNER_POLICY), NULL, NULL, true, 1);
	PopActiveSnapshot();
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: owner policy lookup returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

		allowed = !isnull && DatumGetBool(d);
	}
	return allowed;
}

void
capa_sod_require_identity(const char *owner, const char *what)
{
	if (owner == NULL)
		return;
	if (OidIsValid(role_named(owner)) || app_identity(owner))
		return;
	if (free_text_owners_allowed())
		return;
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("%s owner \"%s\" names no role and no application identity", what,
					shown_name(owner)),
			 errdetail("The policy does not allow free-text owners (capa.policy.free_text_owners)."),
			 errhint("Name an existing role exactly, or an application user as user@domain.")));
}

bool
capa_sod_acts_for(Oid role, const CapaOwner *owner)
{
	Oid			owner_role;

	if (owner == NULL || owner->name == NULL)
		return false;

	/*
	 * Bound: the role, whatever it is called now; a dropped one is acted for
	 * by nobody (a new role of the same name is not its successor: capa_admin
	 * reassigns the record)
	 */
	if (owner->bound)
		return role == owner->role ||
			(SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owner->role)) &&
			 has_privs_of_role(role, owner->role));
	/* exact: a right is granted to the name as written, not a look-alike */
	if (strcmp(GetUserNameFromId(role, false), owner->name) == 0)
		return true;
	owner_role = role_named(owner->name);
	return OidIsValid(owner_role) && has_privs_of_role(role, owner_role);
}

const char *
capa_sod_kind_text(CapaSodKind kind)
{
	switch (kind)
	{
		case CAPA_SOD_ROLE:
			return "the acting role";
		case CAPA_SOD_SESSION_USER:
			return "the session's login role";
		case CAPA_SOD_APP_USER:
			return "the capa.app_user claim";
		case CAPA_SOD_RECORDED:
			return "the recorded verifier";
	}
	return "an identity";
}
