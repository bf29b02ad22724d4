/*-------------------------------------------------------------------------
 *
 * ordered_scan.c
 *	  A table read in index order through the index and table access
 *	  methods, a batch of rows at a time (see ordered_scan.h).
 *
 * IDENTIFICATION
 *	  src/audit/ordered_scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/pg_am.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "audit/ordered_scan.h"
#include "common/pg_compat.h"
#include "integration/org_unit.h"

void
capa_ordered_scan_begin(CapaOrderedScan *os, Oid heap_relid, Oid index_relid,
						bool has_key, Datum key, bool key_visible)
{
	ScanKeyData skey;
	AclResult	acl;

	/* the caller's right to read the table, as a query would check it */
	acl = pg_class_aclcheck(heap_relid, GetUserId(), ACL_SELECT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, get_rel_name(heap_relid));

	/*
	 * This read bypasses row-level security: with org units enforced, it is
	 * only for a role that sees every unit (the chains span all of them),
	 * or for the rows of one record the caller has been found to see
	 * (key_visible: every row the key selects is that record's, and the
	 * policies show a record's action items and trail with it)
	 */
	if (check_enable_rls(heap_relid, InvalidOid, true) == RLS_ENABLED &&
		!(has_key && key_visible) &&
		!capa_sees_every_org_unit(GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("row-level security is enabled on \"%s\": this check reads every row",
						get_rel_name(heap_relid)),
				 errhint("Run it as a member of capa_admin, which sees every org unit.")));

	/* locks are kept to the end of the transaction, as the executor does */
	os->heap = table_open(heap_relid, AccessShareLock);
	os->index = index_open(index_relid, AccessShareLock);
	if (os->heap->rd_rel->relam != HEAP_TABLE_AM_OID)
		elog(ERROR, "capa: relation %u is not a heap table", heap_relid);
	if (os->index->rd_index->indrelid != heap_relid ||
		os->index->rd_rel->relam != BTREE_AM_OID)
		elog(ERROR, "capa: index %u is not a btree index of relation %u",
			 index_relid, heap_relid);
	if (has_key)
	{
		Oid			opfamily = os->index->rd_opfamily[0];
		Oid			type = os->index->rd_opcintype[0];
		Oid			eq = get_opfamily_member(opfamily, type, type, BTEqualStrategyNumber);

		if (!OidIsValid(eq))
			elog(ERROR, "capa: no equality operator in the opfamily of index %u",
				 index_relid);
		ScanKeyEntryInitialize(&skey, 0, 1, BTEqualStrategyNumber, type,
							   os->index->rd_indcollation[0], get_opcode(eq), key);
	}
	os->snapshot = GetActiveSnapshot();
	os->scan = capa_index_beginscan(os->heap, os->index, os->snapshot, has_key ? 1 : 0, 0);
	index_rescan(os->scan, has_key ? &skey : NULL, has_key ? 1 : 0, NULL, 0);
	os->slot = MakeSingleTupleTableSlot(RelationGetDescr(os->heap), &TTSOpsHeapTuple);
	os->batch_cxt = AllocSetContextCreate(CurrentMemoryContext, "capa ordered scan batch",
										  ALLOCSET_DEFAULT_SIZES);
	os->entries = palloc(CAPA_SCAN_BATCH * sizeof(CapaScanEntry));
	os->rows = palloc(CAPA_SCAN_BATCH * sizeof(HeapTuple));
	os->nbatch = os->next = 0;
	os->index_done = false;
	os->done = false;
	os->cxt = CurrentMemoryContext;
}

/*
 * Ask the CPU to start loading a heap page the scan has just moved onto:
 * reading its rows one cache line at a time, verification waited on
 * memory more than it computed (docs/performance.md, "Verification")
 */
static inline void
prefetch_page(Buffer buffer)
{
#if defined(__GNUC__) || defined(__clang__)
	const char *page = (const char *) BufferGetPage(buffer);
	int			line;

	for (line = 0; line < BLCKSZ; line += 64)
		__builtin_prefetch(page + line);
#endif
}

/* batch entries sorted by heap position: sort_scan_entries() */
#define ST_SORT sort_scan_entries
#define ST_ELEMENT_TYPE CapaScanEntry
#define ST_COMPARE(a, b) ((a)->position < (b)->position ? -1 : (a)->position > (b)->position)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/*
 * The next rows in index order, read from the heap in page order: each
 * page is pinned, locked and searched once for all the batch's rows on it
 * (one after another in index order, the rows of interleaved chains visit
 * the same few pages in turn, each visit a buffer lookup, a pin and a
 * lock), loaded into the CPU cache as a whole, and the visible version of
 * each row copied out while it is there: the batch's copies stay in the
 * cache for the caller, and no pin is held while it works.  Visibility
 * and predicate locks as index_fetch_heap().
 */
static void
fill_batch(CapaOrderedScan *os)
{
	CapaScanEntry *e = os->entries;
	Buffer		buffer = InvalidBuffer;
	bool		sorted = true;
	int			n = 0;
	int			i;

	MemoryContextReset(os->batch_cxt);
	while (n < CAPA_SCAN_BATCH)
	{
		ItemPointer tid = index_getnext_tid(os->scan, ForwardScanDirection);

		if (tid == NULL)
		{
			os->index_done = true;
			break;
		}
		e[n].tid = *tid;
		e[n].position = ((uint64) ItemPointerGetBlockNumber(tid) << 16) |
			ItemPointerGetOffsetNumber(tid);
		e[n].pos = n;
		if (n > 0 && e[n].position < e[n - 1].position)
			sorted = false;
		n++;
	}
	/* a trail written record after record comes in heap order already */
	if (!sorted)
		sort_scan_entries(e, n);
	for (i = 0; i < n; i++)
	{
		BlockNumber block = ItemPointerGetBlockNumber(&e[i].tid);
		HeapTupleData tuple;
		bool		all_dead;

		if (!BufferIsValid(buffer) || BufferGetBlockNumber(buffer) != block)
		{
			if (BufferIsValid(buffer))
				UnlockReleaseBuffer(buffer);
			buffer = ReadBuffer(os->heap, block);
			LockBuffer(buffer, BUFFER_LOCK_SHARE);
			prefetch_page(buffer);
		}
		os->rows[e[i].pos] = NULL;
		if (heap_hot_search_buffer(&e[i].tid, os->heap, buffer, os->snapshot, &tuple,
								   &all_dead, true))
		{
			MemoryContext old = MemoryContextSwitchTo(os->batch_cxt);

			os->rows[e[i].pos] = heap_copytuple(&tuple);
			MemoryContextSwitchTo(old);
		}
	}
	if (BufferIsValid(buffer))
		UnlockReleaseBuffer(buffer);
	os->nbatch = n;
	os->next = 0;
}

TupleTableSlot *
capa_ordered_scan_next(CapaOrderedScan *os)
{
	for (;;)
	{
		HeapTuple	row;

		if (os->done)
			return NULL;
		if (os->next == os->nbatch)
		{
			MemoryContext old;

			if (os->index_done)
			{
				os->done = true;
				ExecClearTuple(os->slot);
				return NULL;
			}

			/*
			 * In the context the scan began in: the access methods allocate
			 * scan state lazily (btree's killed-items array, for one), and
			 * the caller may be in a per-row context it resets.
			 */
			old = MemoryContextSwitchTo(os->cxt);
			fill_batch(os);
			MemoryContextSwitchTo(old);
			continue;
		}
		row = os->rows[os->next++];
		if (row == NULL)
			continue;			/* no version visible to the snapshot */
		ExecStoreHeapTuple(row, os->slot, false);
		slot_getallattrs(os->slot);
		return os->slot;
	}
}

void
capa_ordered_scan_end(CapaOrderedScan *os)
{
	ExecDropSingleTupleTableSlot(os->slot);
	index_endscan(os->scan);
	index_close(os->index, NoLock);
	table_close(os->heap, NoLock);
	MemoryContextDelete(os->batch_cxt);
	pfree(os->entries);
	pfree(os->rows);
}
