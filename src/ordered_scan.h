/*-------------------------------------------------------------------------
 *
 * ordered_scan.h
 *	  Read a table in the order of one of its indexes, straight from the
 *	  access methods: no query, no executor, no copy of each row.
 *	  Verification and digests read whole trails this way, and merge
 *	  several such streams (the trail, the register, the action items).
 *
 * IDENTIFICATION
 *	  src/ordered_scan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_ORDERED_SCAN_H
#define CAPA_ORDERED_SCAN_H

#include "postgres.h"

#include "access/genam.h"
#include "executor/tuptable.h"
#include "utils/rel.h"

typedef struct CapaOrderedScan
{
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	bool		done;
	Buffer		prefetched;		/* the heap page last prefetched */
	MemoryContext cxt;			/* the scan's state lives here */
} CapaOrderedScan;

/*
 * Start reading heap_relid in the order of index_relid, under the active
 * snapshot; if has_key, only rows whose first index column equals key.
 */
extern void capa_ordered_scan_begin(CapaOrderedScan *os, Oid heap_relid,
									Oid index_relid, bool has_key, Datum key);

/*
 * The next row, deformed (slot->tts_values / tts_isnull valid until the
 * next call), or NULL at the end.
 */
extern TupleTableSlot *capa_ordered_scan_next(CapaOrderedScan *os);

extern void capa_ordered_scan_end(CapaOrderedScan *os);

#endif							/* CAPA_ORDERED_SCAN_H */
