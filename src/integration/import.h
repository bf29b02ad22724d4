/*-------------------------------------------------------------------------
 *
 * import.h
 *	  capa_import(): an existing register loaded with its history, each
 *	  record judged against the rules of its kind (import_judge.c; the
 *	  loading is import_load.c).
 *
 * capa_import() inserts each row through the executor, so capa's triggers
 * fire for it.  While it inserts one row it tells the trigger of that
 * table so (capa_import_claim); the trigger then judges the row as an
 * import instead of as a new record or action item.  Nothing else can
 * reach that branch: the claim is set by capa_import() alone, for one
 * row, and consumed by the trigger that takes it.
 *
 * IDENTIFICATION
 *	  src/integration/import.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_IMPORT_H
#define CAPA_IMPORT_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/relcache.h"

#include "common/trigger_row.h"
#include "types/labels.h"

typedef enum CapaImportTarget
{
	CAPA_IMPORT_NONE,
	CAPA_IMPORT_REGISTER,		/* a record of the source */
	CAPA_IMPORT_ACTION			/* one of its action items */
} CapaImportTarget;

/* True (once) if capa_import() is inserting this row of target's table */
extern bool capa_import_claim(CapaImportTarget target);

/*
 * The register trigger's judgement of an imported record: checks it
 * against its kind's path (rules.c) and sets what capa maintains (the
 * reference from the year of opened_at, counters, chain position, due
 * dates the source left empty) in changes.
 */
extern void capa_import_judge_record(Relation rel, HeapTuple newtup,
									 CapaRowChanges *changes, Datum *id,
									 CapaKind *kind, CapaState *state);

/* The import audit row's "changed": every non-NULL column, and legacy_id */
extern Datum capa_import_changed(TupleDesc tupdesc, HeapTuple row, const bool *skip);

/*
 * The action trigger's whole work for an imported action item (already
 * judged with its record): chain position, its import audit row.
 */
extern HeapTuple capa_import_action_row(Relation rel, HeapTuple newtup,
										MemoryContext result_cxt);

#endif							/* CAPA_IMPORT_H */
