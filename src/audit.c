/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  Build the "changed" document and insert capa.audit rows.
 *
 * IDENTIFICATION
 *	  src/audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "actor.h"
#include "audit.h"

/* Append one value as JSON, independent of the session's settings */
static void
append_json_value(StringInfo buf, Datum value, Oid typid)
{
	static const int utc = 0;
	Oid			outfunc;
	bool		isvarlena;

	switch (typid)
	{
		case BOOLOID:
			appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
			return;
		case INT2OID:
			appendStringInfo(buf, "%d", (int) DatumGetInt16(value));
			return;
		case INT4OID:
			appendStringInfo(buf, "%d", DatumGetInt32(value));
			return;
		case INT8OID:
			appendStringInfo(buf, INT64_FORMAT, DatumGetInt64(value));
			return;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			/* ISO 8601, and UTC for timestamptz, whatever DateStyle says */
			appendStringInfoChar(buf, '"');
			appendStringInfoString(buf, JsonEncodeDateTime(NULL, value, typid, &utc));
			appendStringInfoChar(buf, '"');
			return;
		default:
			getTypeOutputInfo(typid, &outfunc, &isvarlena);
			escape_json(buf, OidOutputFunctionCall(outfunc, value));
			return;
	}
}

Datum
capa_changed_columns(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup,
					 const bool *skip)
{
	StringInfoData buf;
	int			i;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		bool		newnull;
		bool		oldnull = true;
		Datum		newval;
		Datum		oldval = (Datum) 0;

		if (att->attisdropped || (skip != NULL && skip[i]))
			continue;
		newval = heap_getattr(newtup, i + 1, tupdesc, &newnull);
		if (oldtup != NULL)
		{
			oldval = heap_getattr(oldtup, i + 1, tupdesc, &oldnull);
			if (oldnull == newnull &&
				(newnull || datumIsEqual(oldval, newval, att->attbyval, att->attlen)))
				continue;
		}
		else if (newnull)
			continue;

		if (!first)
			appendStringInfoString(&buf, ", ");
		first = false;
		escape_json(&buf, NameStr(att->attname));
		appendStringInfoString(&buf, ": ");
		if (newnull)
			appendStringInfoString(&buf, "null");
		else
			append_json_value(&buf, newval, att->atttypid);
	}
	appendStringInfoChar(&buf, '}');
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

void
capa_audit_write(const CapaAuditEntry *entry)
{
	Datum		values[10];
	char		nulls[10];
	char	   *app_user = capa_app_user();
	const char *appname = application_name;
	int			rc;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = entry->record_id;
	values[1] = Int64GetDatum(entry->action_id);
	if (!entry->has_action)
		nulls[1] = 'n';
	values[2] = Int32GetDatum(entry->chain_seq);
	values[3] = CStringGetTextDatum(entry->step);
	values[4] = Int16GetDatum((int16) entry->from_state);
	if (entry->from_state == CAPA_STATE_INVALID)
		nulls[4] = 'n';
	values[5] = Int16GetDatum((int16) entry->to_state);
	if (entry->to_state == CAPA_STATE_INVALID)
		nulls[5] = 'n';
	values[6] = entry->changed;
	values[7] = CStringGetDatum(GetUserNameFromId(entry->actor, false));
	values[7] = DirectFunctionCall1(namein, values[7]);
	values[8] = app_user ? CStringGetTextDatum(app_user) : (Datum) 0;
	if (app_user == NULL)
		nulls[8] = 'n';
	values[9] = (appname && appname[0]) ? CStringGetTextDatum(appname) : (Datum) 0;
	if (appname == NULL || appname[0] == '\0')
		nulls[9] = 'n';

	rc = SPI_execute_plan(capa_spi_plan(PLAN_AUDIT_INSERT), values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "capa: audit insert returned %s", SPI_result_code_string(rc));
}
