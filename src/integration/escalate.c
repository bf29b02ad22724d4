/*-------------------------------------------------------------------------
 *
 * escalate.c
 *	  capa_escalate(at): records each escalation of an overdue record or
 *	  action item once, in capa.escalation, and announces it on
 *	  capa_events.
 *
 * What is overdue at `at` is what the KPIs count as overdue, by the rule
 * of src/rules.c (capa_dues): a record still open past its contain_due,
 * open (not closed or cancelled) past its close_due, implemented past its
 * effectiveness_due; an action item not done whose due date is before at's
 * UTC date, of a record not closed or cancelled.
 *
 * Levels.  An episode is the escalations of one due date of one item (a
 * record's contain, close or effectiveness due date, or an action item's
 * due date) while its due value and owner stay what they were at the
 * episode's first escalation.  That first escalation is level 1; level n
 * is recorded by the first run at least n-1 whole days after it.  So a run
 * every minute adds nothing new within a day, a day without runs skips a
 * level rather than making it up later, and a moved due date or a new
 * owner starts the next episode at level 1.  An item stops escalating when
 * it is resolved (the step taken, the action item done, the record closed
 * or cancelled), since it is no longer overdue.
 *
 * Concurrency.  The whole run is one INSERT ... ON CONFLICT DO NOTHING
 * under the unique keys (record, due kind, episode, level) and (action
 * item, episode, level):
 * two runs at once compute the same episode and level from the same
 * latest row, and the loser's row is dropped (it waits for the winner's
 * transaction), so each escalation is recorded and announced once.
 *
 * Cost.  The overdue items are found by range scans of partial indexes on
 * the open records' due dates and on the pending action items' due dates,
 * and each one's latest escalation by a backward scan of its unique key:
 * a run reads the overdue items, not the register.
 *
 * The row is written as capa's owner (callers need EXECUTE only), and
 * records the caller in escalated_by.  Escalations are not changes of a
 * record, so they are not in its audit chain; capa.escalation is
 * append-only like capa.digest.
 *
 * IDENTIFICATION
 *	  src/integration/escalate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/async.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "common/actor.h"
#include "common/schema_cache.h"
#include "common/trigger_row.h"
#include "integration/events.h"
#include "lifecycle/rules.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_escalate);

/* A payload must stay under NOTIFY's 8000 bytes: the owner is cut */
#define OWNER_MAX 200

/*
 * After the due items: $2 = the caller.  "latest" is each item's latest
 * escalation, and the rest decides episode and level.  Level n+1 is due n
 * whole days (of 86400 s, whatever the time zone) after the episode's
 * first escalation; the WHERE clause says so without the numeric
 * arithmetic of the level, which is computed for the new rows only.
 * Every operator is schema-qualified.
 */
static const char *const escalate_sql =
"), latest AS ("
"  SELECT d.*, l.episode AS l_episode, l.level AS l_level, l.since AS l_since,"
"         (l.due OPERATOR(pg_catalog.=) d.due AND l.owner OPERATOR(pg_catalog.=) d.owner) IS TRUE AS same"
"    FROM due d"
"    LEFT JOIN LATERAL ("
"      (SELECT e.episode, e.level, e.since, e.due, e.owner FROM capa.escalation e"
"        WHERE d.action_id IS NULL AND e." REF_COLUMN " OPERATOR(capa.=) d.capa_id"
"          AND e.due_kind OPERATOR(pg_catalog.=) d.due_kind AND e.action_id IS NULL"
"        ORDER BY e.episode DESC, e.level DESC LIMIT 1)"
"      UNION ALL"
"      (SELECT e.episode, e.level, e.since, e.due, e.owner FROM capa.escalation e"
"        WHERE e.action_id OPERATOR(pg_catalog.=) d.action_id"
"        ORDER BY e.episode DESC, e.level DESC LIMIT 1)"
"    ) l ON true"
"), next AS ("
"  SELECT x.*,"
"         CASE WHEN x.same THEN x.l_episode"
"              ELSE COALESCE(x.l_episode, 0) OPERATOR(pg_catalog.+) 1 END AS episode,"
"         CASE WHEN x.same THEN x.l_since ELSE $1 END AS since"
"    FROM latest x"
"), leveled AS ("
"  SELECT n.*,"
"         pg_catalog.floor((EXTRACT(epoch FROM $1) OPERATOR(pg_catalog.-) EXTRACT(epoch FROM n.since))"
"                          OPERATOR(pg_catalog./) 86400)::integer OPERATOR(pg_catalog.+) 1 AS level,"
"         pg_catalog.floor((EXTRACT(epoch FROM $1) OPERATOR(pg_catalog.-) EXTRACT(epoch FROM n.due))"
"                          OPERATOR(pg_catalog./) 86400)::integer AS days_overdue"
"    FROM next n"
")"
" INSERT INTO capa.escalation AS e (" REF_COLUMN ", action_id, due_kind, due, owner, severity,"
"                                   episode, since, level, days_overdue, at, escalated_by)"
" SELECT v.capa_id, v.action_id, v.due_kind, v.due, v.owner, v.severity,"
"        v.episode, v.since, v.level, v.days_overdue, $1, $2"
"   FROM leveled v"
"  WHERE NOT v.same"
"     OR $1 OPERATOR(pg_catalog.>=) (v.l_since OPERATOR(pg_catalog.+)"
"                                    (v.l_level OPERATOR(pg_catalog.*) '86400 seconds'::interval))"
"  ORDER BY v.capa_id, v.ord, v.action_id"
" ON CONFLICT DO NOTHING"
" RETURNING e.*";

/*
 * What is overdue: one branch per due date of rules.c's capa_dues, in its
 * order (ord), for the records in the states where that date is due; then
 * the pending action items of records still open.  The state test is the
 * SQL fact capa_due_applies(<due>, state) (capa_state_open for the action
 * items), written exactly as the partial indexes register_<due>_idx write
 * their predicates, so a run range-scans those indexes.  A database not
 * yet updated to 0.3.0 has neither the facts nor those indexes: the states
 * are then listed from the same table.  $1 = at; infinite due dates are
 * never overdue.
 */
static void
append_state_test(StringInfo sql, bool facts, const char *due_name, unsigned states)
{
	int			s;
	bool		first = true;

	if (facts)
	{
		if (due_name)
			appendStringInfo(sql, "capa.capa_due_applies('%s'::text, r.state)", due_name);
		else
			appendStringInfoString(sql, "capa.capa_state_open(r.state)");
		return;
	}
	appendStringInfoString(sql, "r.state OPERATOR(capa.=) ANY ('{");
	for (s = 1; s <= CAPA_STATE_MAX; s++)
	{
		if (!(states & CAPA_STATE_BIT(s)))
			continue;
		appendStringInfo(sql, "%s%s", first ? "" : ",", capa_state_cstring((CapaState) s));
		first = false;
	}
	appendStringInfoString(sql, "}'::capa.capa_state[])");
}

static char *
escalate_due_sql(bool governed)
{
	StringInfoData sql;
	unsigned	open_states = 0;
	int			d;
	int			s;

	for (s = 1; s <= CAPA_STATE_MAX; s++)
	{
		if (capa_rules_open((CapaState) s))
			open_states |= CAPA_STATE_BIT(s);
	}
	initStringInfo(&sql);
	appendStringInfoString(&sql, "WITH due AS (");
	for (d = 0; d < CAPA_DUE_COUNT; d++)
	{
		const CapaDueInfo *due = &capa_dues[d];

		appendStringInfo(&sql,
						 "  SELECT r.id AS capa_id, NULL::bigint AS action_id, '%s'::text AS due_kind,"
						 " %d AS ord, r.%s AS due, r.owner, r.severity"
						 "    FROM capa.register r"
						 "   WHERE ",
						 due->name, d + 1, due->column);
		append_state_test(&sql, governed, due->name, due->states);
		appendStringInfo(&sql,
						 "     AND r.%s OPERATOR(pg_catalog.<) $1"
						 "     AND r.%s OPERATOR(pg_catalog.>) '-infinity'::timestamptz"
						 "  UNION ALL",
						 due->column, due->column);
	}
	/* a cancelled action item (0.3.0) is not overdue */
	appendStringInfo(&sql,
					 "  SELECT a.capa_id, a.id, 'action', %d,"
					 "         pg_catalog.timezone('UTC', (a.due OPERATOR(pg_catalog.+) 1)::timestamp), a.owner, r.severity"
					 "    FROM capa.action a"
					 "    JOIN capa.register r ON r.id OPERATOR(capa.=) a.capa_id"
					 "   WHERE NOT a.done%s"
					 "     AND a.due OPERATOR(pg_catalog.<) pg_catalog.timezone('UTC', $1)::date"
					 "     AND a.due OPERATOR(pg_catalog.>) '-infinity'::date"
					 "     AND ",
					 CAPA_DUE_COUNT + 1, governed ? " AND a.cancelled_at IS NULL" : "");
	append_state_test(&sql, governed, NULL, open_states);
	appendStringInfoString(&sql, escalate_sql);
	return sql.data;
}

/* A timestamptz as ISO 8601 in UTC, as the audit trail writes it */
static char *
iso_utc(TimestampTz t)
{
	const int	utc = 0;

	return JsonEncodeDateTime(NULL, TimestampTzGetDatum(t), TIMESTAMPTZOID, &utc);
}

static Datum
column(HeapTuple row, TupleDesc desc, const char *name, bool *isnull)
{
	int			attnum = SPI_fnumber(desc, name);

	if (attnum <= 0)
		elog(ERROR, "capa: capa.escalation has no column \"%s\"", name);
	return SPI_getbinval(row, desc, attnum, isnull);
}

/*
 * capa.events = reference (the default, events.c): {"ref": ...,
 * "event": "escalation", "escalation_id": ...}; the escalation's row is in
 * capa.escalation, read under the listener's privileges and row-level
 * security.  full: the same, then "action_id", "due_kind", "due",
 * "level", "days_overdue", "severity" (null for an improvement without
 * one), "owner".
 */
static void
notify_escalation(HeapTuple row, TupleDesc desc, CapaEventsLevel level)
{
	StringInfoData buf;
	bool		isnull;
	Datum		d;
	text	   *owner;
	int			len;

	initStringInfo(&buf);
	capa_events_reference_payload(&buf, column(row, desc, capa_schema()->ref_column, &isnull), "escalation",
								  "escalation_id",
								  DatumGetInt64(column(row, desc, "id", &isnull)));
	if (level == CAPA_EVENTS_REFERENCE)
	{
		appendStringInfoChar(&buf, '}');
		Async_Notify(CAPA_EVENTS_CHANNEL, buf.data);
		pfree(buf.data);
		return;
	}
	d = column(row, desc, "action_id", &isnull);
	if (isnull)
		appendStringInfoString(&buf, ", \"action_id\": null");
	else
		appendStringInfo(&buf, ", \"action_id\": " INT64_FORMAT, DatumGetInt64(d));
	appendStringInfoString(&buf, ", \"due_kind\": ");
	escape_json(&buf, TextDatumGetCString(column(row, desc, "due_kind", &isnull)));
	appendStringInfoString(&buf, ", \"due\": ");
	escape_json(&buf, iso_utc(DatumGetTimestampTz(column(row, desc, "due", &isnull))));
	appendStringInfo(&buf, ", \"level\": %d",
					 DatumGetInt32(column(row, desc, "level", &isnull)));
	appendStringInfo(&buf, ", \"days_overdue\": %d",
					 DatumGetInt32(column(row, desc, "days_overdue", &isnull)));
	appendStringInfoString(&buf, ", \"severity\": ");
	d = column(row, desc, "severity", &isnull);
	/* an improvement may have none (0.5.0) */
	if (isnull)
		appendStringInfoString(&buf, "null");
	else
		escape_json(&buf, capa_label_name(&capa_severity_labels, DatumGetInt16(d)));
	owner = DatumGetTextPP(column(row, desc, "owner", &isnull));
	len = VARSIZE_ANY_EXHDR(owner);
	if (len > OWNER_MAX)
		len = pg_mbcliplen(VARDATA_ANY(owner), len, OWNER_MAX);
	appendStringInfoString(&buf, ", \"owner\": ");
	escape_json(&buf, pnstrdup(VARDATA_ANY(owner), len));
	appendStringInfoChar(&buf, '}');
	Async_Notify(CAPA_EVENTS_CHANNEL, buf.data);
	pfree(buf.data);
}

/* capa_escalate(at timestamptz DEFAULT now()) RETURNS SETOF capa.escalation */
Datum
capa_escalate(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CapaSchema *schema;
	Oid			caller = capa_actor();
	TimestampTz at;
	Oid			argtypes[2] = {TIMESTAMPTZOID, NAMEOID};
	Datum		values[2];
	Oid			saved_user;
	int			saved_sec;
	int			rc;
	uint64		i;
	CapaEventsLevel level;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_escalate: at must not be NULL")));
	at = PG_GETARG_TIMESTAMPTZ(0);
	if (TIMESTAMP_NOT_FINITE(at))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_escalate: at must be a finite moment")));
	/* a future run would start episodes the real runs could not continue */
	if (at > GetCurrentTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_escalate: at must not be in the future"),
				 errdetail("at is %s, the clock says %s.",
						   iso_utc(at), iso_utc(GetCurrentTimestamp()))));

	InitMaterializedSRF(fcinfo, 0);
	schema = capa_schema();
	values[0] = TimestampTzGetDatum(at);
	values[1] = capa_role_name_datum(caller);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	rc = SPI_execute_with_args(capa_schema_sql(escalate_due_sql(schema->governed)),
							   2, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "capa: escalation insert returned %s", SPI_result_code_string(rc));
	level = capa_events_level();
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];

		if (level != CAPA_EVENTS_OFF)
			notify_escalation(row, SPI_tuptable->tupdesc, level);
		tuplestore_puttuple(rsinfo->setResult, row);
	}
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	return (Datum) 0;
}
