/*-------------------------------------------------------------------------
 *
 * events.h
 *	  NOTIFY capa_events: one small JSON message per record transition,
 *	  delivered when (and only if) the transaction commits.
 *
 * IDENTIFICATION
 *	  src/events.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_EVENTS_H
#define CAPA_EVENTS_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"

#define CAPA_EVENTS_CHANNEL "capa_events"

/* Define the setting capa.events (from _PG_init) */
extern void capa_events_init(void);

/* Whether capa.events is on (escalate.c sends its own messages) */
extern bool capa_events_enabled(void);

/*
 * Announce a record's step: from_state 0 for an opening.  The row is the
 * register row after the change.
 */
extern void capa_notify_step(TupleDesc tupdesc, HeapTuple row, const char *step,
							 int from_state, int to_state);

#endif							/* CAPA_EVENTS_H */
