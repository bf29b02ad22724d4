/*-------------------------------------------------------------------------
 *
 * org_unit.c
 *	  Row-level security by organisational unit, the part the triggers
 *	  enforce.  The policies on capa's tables (capa--0.1.0--0.2.0.sql)
 *	  decide what a role reads; capa's API runs its statements as the
 *	  tables' owner, whom policies do not restrict, so the triggers check
 *	  here that the acting role may act on the record's org unit.
 *
 * A role may act on a unit if capa.org_unit_access grants the unit to a
 * role it is a member of; records without a unit are open to all;
 * superusers, BYPASSRLS roles and capa_admin members act on every unit.
 *
 * IDENTIFICATION
 *	  src/integration/org_unit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "common/actor.h"
#include "common/schema_cache.h"
#include "integration/org_unit.h"

bool
capa_org_units_enforced(Oid register_relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(register_relid));
	bool		result = false;

	if (HeapTupleIsValid(tup))
	{
		result = ((Form_pg_class) GETSTRUCT(tup))->relrowsecurity;
		ReleaseSysCache(tup);
	}
	return result;
}

static bool
has_bypassrls(Oid role)
{
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	bool		result = false;

	if (HeapTupleIsValid(tup))
	{
		result = ((Form_pg_authid) GETSTRUCT(tup))->rolbypassrls;
		ReleaseSysCache(tup);
	}
	return result;
}

bool
capa_sees_every_org_unit(Oid role)
{
	Oid			admin = get_role_oid("capa_admin", true);

	return superuser_arg(role) || has_bypassrls(role) ||
		(OidIsValid(admin) && is_member_of_role(role, admin));
}

/* True if role may act on (and read) records of org_unit */
bool
capa_may_act_on(Oid role, const char *org_unit)
{
	Datum		unit;
	uint64		i;
	int			rc;
	Oid			argtypes[1] = {TEXTOID};

	if (org_unit == NULL || capa_sees_every_org_unit(role))
		return true;
	unit = CStringGetTextDatum(org_unit);
	rc = SPI_execute_with_args("SELECT a.role_name::pg_catalog.oid FROM capa.org_unit_access a"
							   " WHERE a.org_unit OPERATOR(pg_catalog.=) $1",
							   1, argtypes, &unit, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: org unit access lookup returned %s", SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Oid			granted = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[i],
															 SPI_tuptable->tupdesc, 1, &isnull));

		/* a dropped role's grant is dead, not handed to a new role */
		if (!isnull && SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(granted)) &&
			is_member_of_role(role, granted))
			return true;
	}
	return false;
}

void
capa_require_org_unit(Oid role, const char *org_unit)
{
	if (!capa_may_act_on(role, org_unit))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not act on records of org unit \"%s\"",
						GetUserNameFromId(role, false), org_unit),
				 errhint("A capa_admin grants a unit with INSERT INTO capa.org_unit_access (role_name, org_unit).")));
}

/*
 * The record's org unit, read as capa's owner (whom the policies do not
 * restrict).  Returns false if there is no such record.  Inside SPI.
 */
static bool
record_org_unit(Datum capa_id, char **org_unit)
{
	CapaSchema *schema = capa_schema();
	Oid			argtypes[1] = {schema->ref_type};
	int			rc;

	rc = SPI_execute_with_args("SELECT r.org_unit FROM capa.register r"
							   " WHERE r.id OPERATOR(capa.=) $1",
							   1, argtypes, &capa_id, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: record lookup returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return false;
	*org_unit = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	return true;
}

bool
capa_record_visible(Oid role, Datum capa_id, bool known_unit, const char *org_unit)
{
	CapaSchema *schema = capa_schema();
	Oid			saved_user;
	int			saved_sec;
	bool		result;
	char	   *unit = NULL;

	/* the cheap answers first: no query, no SPI */
	if (!capa_org_units_enforced(schema->register_relid))
		return true;
	if (known_unit && org_unit == NULL)
		return true;
	if (capa_sees_every_org_unit(role))
		return true;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	if (known_unit)
		result = capa_may_act_on(role, org_unit);
	else
		result = record_org_unit(capa_id, &unit) && capa_may_act_on(role, unit);
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	return result;
}

bool
capa_action_visible(Oid role, int64 action_id)
{
	CapaSchema *schema = capa_schema();
	Oid			saved_user;
	int			saved_sec;
	Oid			argtypes[1] = {INT8OID};
	Datum		arg = Int64GetDatum(action_id);
	bool		result;
	int			rc;

	if (!capa_org_units_enforced(schema->register_relid) || capa_sees_every_org_unit(role))
		return true;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	rc = SPI_execute_with_args("SELECT r.org_unit FROM capa.action a"
							   " JOIN capa.register r ON r.id OPERATOR(capa.=) a.capa_id"
							   " WHERE a.id OPERATOR(pg_catalog.=) $1",
							   1, argtypes, &arg, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: action lookup returned %s", SPI_result_code_string(rc));
	result = SPI_processed > 0 &&
		capa_may_act_on(role, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	return result;
}
