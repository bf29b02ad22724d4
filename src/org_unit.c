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
 *	  src/org_unit.c
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

#include "capa.h"
#include "org_unit.h"

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
static bool
may_act_on(Oid role, const char *org_unit)
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
	if (!may_act_on(role, org_unit))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" may not act on records of org unit \"%s\"",
						GetUserNameFromId(role, false), org_unit),
				 errhint("A capa_admin grants a unit with INSERT INTO capa.org_unit_access (role_name, org_unit).")));
}

void
capa_require_record_visible(Oid role, const char *org_unit, Datum record_id)
{
	/* as for a reference that names no record: nothing about it leaks */
	if (!may_act_on(role, org_unit))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("capa record %s does not exist", capa_ref_cstring(record_id))));
}
