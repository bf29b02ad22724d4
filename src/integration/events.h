/*-------------------------------------------------------------------------
 *
 * events.h
 *	  NOTIFY capa_events: one small JSON message per record transition,
 *	  delivered when (and only if) the transaction commits.
 *
 * IDENTIFICATION
 *	  src/integration/events.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_EVENTS_H
#define CAPA_EVENTS_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "lib/stringinfo.h"

#define CAPA_EVENTS_CHANNEL "capa_events"

/* How much a message tells (capa.events) */
typedef enum CapaEventsLevel
{
	CAPA_EVENTS_OFF,			/* no message */
	CAPA_EVENTS_REFERENCE,		/* {"ref": ..., "event": ...}: the default */
	CAPA_EVENTS_FULL			/* and the detail, without org-unit separation */
} CapaEventsLevel;

/* Define the setting capa.events (from _PG_init) */
extern void capa_events_init(void);

/*
 * The level to send at now: capa.events, except that full is reference
 * while row-level security by org unit is on (escalate.c sends its own
 * messages)
 */
extern CapaEventsLevel capa_events_level(void);

/*
 * Append {"ref": "<capa_id>", "event": "<event>", "<id_key>": <id> to
 * buf, without the closing brace: the reference message, and the first
 * members of the full one.  The id is the
 * row that says what happened (the step's audit row, the escalation), so
 * that the detail is one query away, and no two messages of a transaction
 * are equal (NOTIFY folds equal ones into one).
 */
extern void capa_events_reference_payload(StringInfo buf, Datum capa_id,
										  const char *event, const char *id_key,
										  int64 id);

/*
 * Announce a record's step: from_state 0 for an opening.  The row is the
 * register row after the change, audit_seq its audit row.
 */
/* A governed change's message (event "change") */
extern void capa_notify_change(Datum capa_id, const char *step, int64 audit_seq);

extern void capa_notify_step(TupleDesc tupdesc, HeapTuple row, const char *step,
							 int from_state, int to_state, int64 audit_seq);

#endif							/* CAPA_EVENTS_H */
