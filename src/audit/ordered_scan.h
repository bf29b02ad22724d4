/*-------------------------------------------------------------------------
 *
 * ordered_scan.h
 *	  Read a table in the order of one of its indexes, straight from the
 *	  access methods: no query, no executor.  The index is read a batch of
 *	  entries ahead and the heap in page order for each batch (the rows
 *	  come back in index order).  Verification and digests read whole
 *	  trails this way, and merge several such streams (the trail, the
 *	  register, the action items).
 *
 * IDENTIFICATION
 *	  src/audit/ordered_scan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_ORDERED_SCAN_H
#define CAPA_ORDERED_SCAN_H

#include "postgres.h"

#include "access/genam.h"
#include "executor/tuptable.h"
#include "utils/rel.h"
#include "utils/snapshot.h"

/* rows read from the heap at a time, in page order (ordered_scan.c) */
#define CAPA_SCAN_BATCH 128

typedef struct CapaScanEntry
{
	uint64		position;		/* block and offset, for sorting */
	ItemPointerData tid;
	int			pos;			/* in index order */
} CapaScanEntry;

typedef struct CapaOrderedScan
{
	Relation	heap;
	Relation	index;
	IndexScanDesc scan;
	Snapshot	snapshot;
	TupleTableSlot *slot;
	bool		index_done;		/* the index has no more entries */
	bool		done;
	MemoryContext cxt;			/* the scan's state lives here */
	MemoryContext batch_cxt;	/* the batch's rows */
	int			nbatch;			/* rows in the batch */
	int			next;			/* the next one to return */
	CapaScanEntry *entries;		/* the batch's index entries */
	HeapTuple  *rows;			/* copies of its rows, in index order; NULL:
								 * no version visible to the snapshot */
} CapaOrderedScan;

/*
 * Start reading heap_relid in the order of index_relid, under the active
 * snapshot; if has_key, only rows whose first index column equals key.
 * With row-level security on, the scan is refused (42501) to a role that
 * does not see every org unit, unless has_key and key_visible: the caller
 * has checked that the role may see every row the key selects (one
 * record's, capa_record_visible()).
 */
extern void capa_ordered_scan_begin(CapaOrderedScan *os, Oid heap_relid,
									Oid index_relid, bool has_key, Datum key,
									bool key_visible);

/*
 * The next row, deformed (slot->tts_values / tts_isnull valid until the
 * next call), or NULL at the end.
 */
extern TupleTableSlot *capa_ordered_scan_next(CapaOrderedScan *os);

extern void capa_ordered_scan_end(CapaOrderedScan *os);

#endif							/* CAPA_ORDERED_SCAN_H */
