/*-------------------------------------------------------------------------
 *
 * audit.h
 *	  Writing capa.audit rows: one per change of a register or action row,
 *	  in the same transaction as the change.
 *
 * IDENTIFICATION
 *	  src/audit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_AUDIT_H
#define CAPA_AUDIT_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"

#include "catalog.h"

/* One audit row, before the columns the INSERT fills in itself */
typedef struct CapaAuditEntry
{
	Datum		record_id;		/* capa_ref of the record */
	bool		has_action;		/* the change is to an action row */
	int64		action_id;		/* its id, if has_action */
	int32		chain_seq;		/* position in the changed row's chain */
	const char *step;			/* open, contain, ..., edit, add_action, ... */
	CapaState	from_state;		/* INVALID when not a transition */
	CapaState	to_state;
	Datum		changed;		/* jsonb of the changed columns */
	Oid			actor;			/* acting role */
} CapaAuditEntry;

/*
 * jsonb object of the columns whose value differs between oldtup (NULL for
 * an insert: every non-NULL column) and newtup, skipping skip[attnum - 1].
 * Values are rendered independently of DateStyle, TimeZone and friends.
 */
extern Datum capa_changed_columns(TupleDesc tupdesc, HeapTuple oldtup,
								  HeapTuple newtup, const bool *skip);

/* Insert the audit row; the caller is connected to SPI */
extern void capa_audit_write(const CapaAuditEntry *entry);

#endif							/* CAPA_AUDIT_H */
