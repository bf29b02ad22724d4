/*-------------------------------------------------------------------------
 *
 * events.c
 *	  NOTIFY capa_events on each record transition, and the setting
 *	  capa.events that says how much a message tells.
 *
 * Anyone who may connect to the database may LISTEN (PostgreSQL has no
 * privilege on a channel, and CONNECT is PUBLIC's by default), and NOTIFY
 * cannot be filtered per listener.  So by default (capa.events =
 * reference) a message names the record, what happened and the row that
 * records it, no more:
 *	  {"ref": "CAPA-2026-000042", "event": "step", "audit_seq": 1234}
 * and the rest (kind, state, severity, owner) is one query away, under the
 * listener's own privileges and row-level security (SELECT ... FROM
 * capa.audit WHERE seq = 1234).  The seq also keeps two steps of one
 * record in one transaction two messages: NOTIFY folds equal payloads of a
 * transaction into one.  capa.events = full sends the detail as well, for
 * deployments without org-unit separation:
 *	  {"ref": "CAPA-2026-000042", "event": "step", "audit_seq": 1234,
 *	   "kind": "corrective", "step": "verify", "from": "implemented",
 *	   "to": "verified", "severity": "major", "owner": "..."}
 * ("from" is null for an opening), except while row-level security by org
 * unit is on: then the detail would tell every listener what the policies
 * hide, and reference messages are sent whatever the setting says.
 * capa.events = off sends nothing; "on" (and the other boolean spellings,
 * as the setting was a boolean before 0.3.0) means reference.
 *
 * NOTIFY is transactional: listeners hear of a step when its transaction
 * commits, never of one rolled back.  A payload must stay under 8000
 * bytes, so the owner is cut to OWNER_MAX bytes (at a character boundary).
 * NOTIFY takes a database-wide lock at commit to append to the
 * notification queue, which serialises committing transactions that send
 * one: off is for those who do not listen.  The setting is for superusers
 * (ALTER DATABASE ... SET capa.events = ...): a session may not widen
 * what every listener hears.
 *
 * IDENTIFICATION
 *	  src/integration/events.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/async.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"

#include "common/schema_cache.h"
#include "integration/events.h"
#include "integration/org_unit.h"
#include "types/labels.h"
#include "types/type_io.h"

#define OWNER_MAX 200

static int	capa_events = CAPA_EVENTS_REFERENCE;

static const struct config_enum_entry capa_events_options[] = {
	{"off", CAPA_EVENTS_OFF, false},
	{"reference", CAPA_EVENTS_REFERENCE, false},
	{"full", CAPA_EVENTS_FULL, false},
	/* the boolean of 0.2.0: on is the default, reference */
	{"on", CAPA_EVENTS_REFERENCE, true},
	{"true", CAPA_EVENTS_REFERENCE, true},
	{"yes", CAPA_EVENTS_REFERENCE, true},
	{"1", CAPA_EVENTS_REFERENCE, true},
	{"false", CAPA_EVENTS_OFF, true},
	{"no", CAPA_EVENTS_OFF, true},
	{"0", CAPA_EVENTS_OFF, true},
	{NULL, 0, false}
};

void
capa_events_init(void)
{
	DefineCustomEnumVariable("capa.events",
							 "What NOTIFY capa_events tells of each record step and escalation: off, reference, full.",
							 "reference: the record's reference, the event and its audit row or escalation id; full: the detail too (sent only while row-level security by org unit is off). NOTIFY serialises the commits of transactions that send one.",
							 &capa_events, CAPA_EVENTS_REFERENCE, capa_events_options,
							 PGC_SUSET, 0, NULL, NULL, NULL);
}

CapaEventsLevel
capa_events_level(void)
{
	CapaSchema *schema;

	if (capa_events != CAPA_EVENTS_FULL)
		return (CapaEventsLevel) capa_events;
	/* every listener would hear what the org-unit policies hide */
	schema = capa_schema();
	if (capa_org_units_enforced(schema->register_relid))
		return CAPA_EVENTS_REFERENCE;
	return CAPA_EVENTS_FULL;
}

void
capa_events_reference_payload(StringInfo buf, Datum capa_id, const char *event,
							  const char *id_key, int64 id)
{
	appendStringInfoString(buf, "{\"ref\": ");
	escape_json(buf, capa_ref_cstring(capa_id));
	appendStringInfoString(buf, ", \"event\": ");
	escape_json(buf, event);
	appendStringInfo(buf, ", \"%s\": " INT64_FORMAT, id_key, id);
}

static void
add_text(StringInfo buf, const char *key, const char *value)
{
	appendStringInfo(buf, ", \"%s\": ", key);
	if (value == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, value);
}

/* A text column as a C string, cut to max bytes; NULL if the column is */
static char *
text_column(TupleDesc tupdesc, HeapTuple row, AttrNumber attnum, int max)
{
	bool		isnull;
	Datum		d = heap_getattr(row, attnum, tupdesc, &isnull);
	text	   *t;
	int			len;

	if (isnull)
		return NULL;
	t = DatumGetTextPP(d);
	len = VARSIZE_ANY_EXHDR(t);
	if (len > max)
		len = pg_mbcliplen(VARDATA_ANY(t), len, max);
	return pnstrdup(VARDATA_ANY(t), len);
}

void
capa_notify_step(TupleDesc tupdesc, HeapTuple row, const char *step,
				 int from_state, int to_state, int64 audit_seq)
{
	CapaSchema *schema = capa_schema();
	CapaEventsLevel level = capa_events_level();
	StringInfoData buf;
	bool		isnull;
	Datum		id;
	Datum		severity;

	if (level == CAPA_EVENTS_OFF)
		return;
	id = heap_getattr(row, schema->reg[REG_ID], tupdesc, &isnull);
	initStringInfo(&buf);
	capa_events_reference_payload(&buf, id, "step", "audit_seq", audit_seq);
	if (level == CAPA_EVENTS_FULL)
	{
		severity = heap_getattr(row, schema->reg[REG_SEVERITY], tupdesc, &isnull);
		add_text(&buf, "kind", text_column(tupdesc, row, schema->reg[REG_KIND], OWNER_MAX));
		add_text(&buf, "step", step);
		add_text(&buf, "from", from_state ? capa_state_cstring(from_state) : NULL);
		add_text(&buf, "to", capa_state_cstring(to_state));
		add_text(&buf, "severity", isnull ? NULL :
				 capa_label_name(&capa_severity_labels, DatumGetInt16(severity)));
		add_text(&buf, "owner", text_column(tupdesc, row, schema->reg[REG_OWNER], OWNER_MAX));
	}
	appendStringInfoChar(&buf, '}');
	Async_Notify(CAPA_EVENTS_CHANNEL, buf.data);
	pfree(buf.data);
}

/*
 * A governed change (reassign, reschedule, amend, an action item's
 * changes): {"ref", "event": "change", "audit_seq"}; full adds "step".
 * Its reason and values are in the audit row, one query away.
 */
void
capa_notify_change(Datum capa_id, const char *step, int64 audit_seq)
{
	CapaEventsLevel level = capa_events_level();
	StringInfoData buf;

	if (level == CAPA_EVENTS_OFF)
		return;
	initStringInfo(&buf);
	capa_events_reference_payload(&buf, capa_id, "change", "audit_seq", audit_seq);
	if (level == CAPA_EVENTS_FULL)
		add_text(&buf, "step", step);
	appendStringInfoChar(&buf, '}');
	Async_Notify(CAPA_EVENTS_CHANNEL, buf.data);
	pfree(buf.data);
}
