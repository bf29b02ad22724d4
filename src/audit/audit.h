/*-------------------------------------------------------------------------
 *
 * audit.h
 *	  Writing capa.audit rows: one per change of a register or action row,
 *	  in the same transaction as the change.
 *
 * IDENTIFICATION
 *	  src/audit/audit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_AUDIT_H
#define CAPA_AUDIT_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "executor/tuptable.h"

#include "common/schema_cache.h"

/* One audit row, before the columns the INSERT fills in itself */
typedef struct CapaAuditEntry
{
	Datum		capa_id;		/* capa_ref of the record */
	bool		has_action;		/* the change is to an action row */
	int64		action_id;		/* its id, if has_action */
	int32		chain_seq;		/* position in the changed row's chain */
	const char *step;			/* open, contain, ..., edit, add_action, ... */
	CapaState	from_state;		/* INVALID when not a transition */
	CapaState	to_state;
	Datum		changed;		/* jsonb of the changed columns */
	Oid			actor;			/* acting role */
	const uint8 *row_hash;		/* hash of the row's content after the change */
	const uint8 *prev_hash;		/* the row's chain head before, or NULL */
	int64		seq;			/* set by capa_audit_chain: the row's seq */
} CapaAuditEntry;

/*
 * jsonb object of the columns whose value differs between oldtup (NULL for
 * an insert: every non-NULL column) and newtup, skipping skip[attnum - 1].
 * Values are rendered independently of DateStyle, TimeZone and friends.
 */
extern Datum capa_changed_columns(TupleDesc tupdesc, HeapTuple oldtup,
								  HeapTuple newtup, const bool *skip);

/*
 * The skip array for a register or action row: its chain bookkeeping
 * (chain_seq, chain_head, updated_at) is not part of what changed
 */
extern bool *capa_bookkeeping_skip(TupleDesc tupdesc, AttrNumber chain_seq,
								   AttrNumber chain_head, AttrNumber updated_at);

/* The same, with one more string member extra_key (if not NULL) */
extern Datum capa_changed_columns_with(TupleDesc tupdesc, HeapTuple oldtup,
									   HeapTuple newtup, const bool *skip,
									   const char *extra_key,
									   const char *extra_value);

/*
 * A governed change (rules.c's capa_changes): the changed columns' new
 * values as capa_changed_columns writes them, then "previous", an object
 * of their values before, and "reason" (left out when NULL: a change that
 * needs none, such as extent_found).  No column of capa.register or
 * capa.action is named previous or reason: the keys cannot collide, and
 * audit rows keep their encoding (the reason is in the hashed jsonb).
 */
extern Datum capa_changed_columns_reason(TupleDesc tupdesc, HeapTuple oldtup,
										 HeapTuple newtup, const bool *skip,
										 const char *reason);

/*
 * Where audit rows go when not NULL: the values of one row in table order
 * (nulls 'n' or ' ', as for SPI).  capa_import() sets it while it inserts
 * a row, to insert the whole trail through one executor state.
 */
typedef void (*CapaAuditInserter) (Datum *values, const char *nulls);
extern CapaAuditInserter capa_audit_inserter;

/* An audit row's values (as capa_audit_inserter gets them) stored in slot */
extern void capa_audit_slot_store(TupleTableSlot *slot, const Datum *values,
								  const char *nulls);

/* The chain head column value (bytea) of a hash */
extern Datum capa_hash_datum(const uint8 *hash);

/*
 * Write the audit row of a change to a register or action row and return
 * the new tuple with its chain head set: prev hash from oldtup (NULL for
 * an insert), row hash over newtup.  The tuple is built in result_cxt.
 */
extern HeapTuple capa_audit_chain(CapaAuditEntry *entry, TupleDesc tupdesc,
								  HeapTuple oldtup, HeapTuple newtup,
								  AttrNumber head_attnum, MemoryContext result_cxt);

#endif							/* CAPA_AUDIT_H */
