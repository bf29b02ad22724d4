/*-------------------------------------------------------------------------
 *
 * events.c
 *	  NOTIFY capa_events on each record transition.
 *
 * The payload is a JSON object: {"ref": "CAPA-2026-000042", "kind":
 * "corrective", "step": "verify", "from": "implemented", "to": "verified",
 * "severity": "major", "owner": "..."}; "from" is null for an opening.
 * NOTIFY is transactional: listeners hear of a step when its transaction
 * commits, never of one rolled back.  A payload must stay under 8000
 * bytes, so the owner is cut to OWNER_MAX bytes (at a character boundary);
 * the full record is one query away.
 *
 * capa.events (on by default; superuser to change, e.g. ALTER DATABASE ...
 * SET capa.events = off) turns the messages off: NOTIFY takes a
 * database-wide lock at commit to append to the notification queue, which
 * serialises committing transactions that send one.
 *
 * IDENTIFICATION
 *	  src/events.c
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

#include "capa.h"
#include "catalog.h"
#include "events.h"
#include "labels.h"

#define OWNER_MAX 200

static bool capa_events = true;

void
capa_events_init(void)
{
	DefineCustomBoolVariable("capa.events",
							 "Sends NOTIFY capa_events on each record step.",
							 "NOTIFY serialises the commits of transactions that send one.",
							 &capa_events, true, PGC_SUSET, 0, NULL, NULL, NULL);
}

bool
capa_events_enabled(void)
{
	return capa_events;
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
				 int from_state, int to_state)
{
	CapaCatalog *cat = capa_catalog();
	StringInfoData buf;
	bool		isnull;
	Datum		id;
	Datum		severity;

	if (!capa_events)
		return;
	id = heap_getattr(row, cat->reg[REG_ID], tupdesc, &isnull);
	severity = heap_getattr(row, cat->reg[REG_SEVERITY], tupdesc, &isnull);

	initStringInfo(&buf);
	appendStringInfoString(&buf, "{\"ref\": ");
	escape_json(&buf, capa_ref_cstring(id));
	add_text(&buf, "kind", text_column(tupdesc, row, cat->reg[REG_KIND], OWNER_MAX));
	add_text(&buf, "step", step);
	add_text(&buf, "from", from_state ? capa_state_cstring(from_state) : NULL);
	add_text(&buf, "to", capa_state_cstring(to_state));
	add_text(&buf, "severity", isnull ? NULL :
			 capa_label_name(&capa_severity_labels, DatumGetInt16(severity)));
	add_text(&buf, "owner", text_column(tupdesc, row, cat->reg[REG_OWNER], OWNER_MAX));
	appendStringInfoChar(&buf, '}');
	Async_Notify(CAPA_EVENTS_CHANNEL, buf.data);
	pfree(buf.data);
}
