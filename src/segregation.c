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
 *	  src/segregation.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/formatting.h"

#include "actor.h"
#include "capa.h"
#include "segregation.h"

static void
add_identity(CapaSodIdentities *ids, const char *name, CapaSodKind kind)
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
	ids->n++;
}

void
capa_sod_session_identities(Oid actor, CapaSodIdentities *ids)
{
	ids->n = 0;
	add_identity(ids, GetUserNameFromId(actor, false), CAPA_SOD_ROLE);
	add_identity(ids, GetUserNameFromId(GetSessionUserId(), false), CAPA_SOD_SESSION_USER);
	add_identity(ids, capa_app_user(), CAPA_SOD_APP_USER);
}

void
capa_sod_recorded_identity(const char *name, CapaSodIdentities *ids)
{
	ids->n = 0;
	add_identity(ids, name, CAPA_SOD_RECORDED);
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

int
capa_sod_match_worker(const CapaSodIdentities *ids, const char *worker)
{
	int			i;

	if (worker == NULL)
		return -1;
	for (i = 0; i < ids->n; i++)
	{
		/*
		 * A superuser may do every step itself (out of scope: it could turn
		 * the check off); the owner rule still holds for it
		 */
		if (ids->kind[i] != CAPA_SOD_APP_USER && ids->kind[i] != CAPA_SOD_RECORDED)
		{
			Oid			role = get_role_oid(ids->name[i], true);

			if (OidIsValid(role) && superuser_arg(role))
				continue;
		}
		if (capa_sod_same_name(ids->name[i], worker))
			return i;
	}
	return -1;
}

int
capa_sod_match(const CapaSodIdentities *ids, const char *owner)
{
	int			i;

	if (owner == NULL)
		return -1;
	for (i = 0; i < ids->n; i++)
	{
		if (capa_sod_same_name(ids->name[i], owner))
			return i;
	}
	return -1;
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

void
capa_sod_require_identity(const char *owner, bool free_text, const char *what)
{
	if (free_text || owner == NULL)
		return;
	if (OidIsValid(get_role_oid(owner, true)) || app_identity(owner))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("%s owner \"%s\" names no role and no application identity", what, owner),
			 errdetail("The policy does not allow free-text owners (capa.policy.free_text_owners)."),
			 errhint("Name an existing role exactly, or an application user as user@domain.")));
}

bool
capa_sod_acts_for(Oid role, const char *owner)
{
	Oid			owner_role;

	if (owner == NULL)
		return false;
	/* exact: a right is granted to the name as written, not a look-alike */
	if (strcmp(GetUserNameFromId(role, false), owner) == 0)
		return true;
	owner_role = get_role_oid(owner, true);
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
