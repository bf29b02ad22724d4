/*-------------------------------------------------------------------------
 *
 * ordered_scan.c
 *	  A table read in index order through the index and table access
 *	  methods (see ordered_scan.h).
 *
 * IDENTIFICATION
 *	  src/ordered_scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "utils/acl.h"
#include "utils/lsyscache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "ordered_scan.h"
#include "org_unit.h"

void
capa_ordered_scan_begin(CapaOrderedScan *os, Oid heap_relid, Oid index_relid,
						bool has_key, Datum key)
{
	ScanKeyData skey;
	AclResult	acl;

	/* the caller's right to read the table, as a query would check it */
	acl = pg_class_aclcheck(heap_relid, GetUserId(), ACL_SELECT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_TABLE, get_rel_name(heap_relid));

	/*
	 * This read bypasses row-level security: with org units enforced, it is
	 * only for a role that sees every unit (the chains span all of them)
	 */
	if (check_enable_rls(heap_relid, InvalidOid, true) == RLS_ENABLED &&
		!capa_sees_every_org_unit(GetUserId()))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("row-level security is enabled on \"%s\": this check reads every row",
						get_rel_name(heap_relid)),
				 errhint("Run it as a member of capa_admin, which sees every org unit.")));

	/* locks are kept to the end of the transaction, as the executor does */
	os->heap = table_open(heap_relid, AccessShareLock);
	os->index = index_open(index_relid, AccessShareLock);
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
	os->scan = index_beginscan(os->heap, os->index, GetActiveSnapshot(),
							   has_key ? 1 : 0, 0);
	index_rescan(os->scan, has_key ? &skey : NULL, has_key ? 1 : 0, NULL, 0);
	os->slot = table_slot_create(os->heap, NULL);
	if (!TTS_IS_BUFFERTUPLE(os->slot))
		elog(ERROR, "capa: relation %u is not a heap table", heap_relid);
	os->prefetched = InvalidBuffer;
	os->done = false;
	os->cxt = CurrentMemoryContext;
}

/*
 * Ask the CPU to start loading a heap page the scan has just moved onto.
 * The rows that follow in index order mostly lie on the same page (a
 * chain's rows, the next record's), and reading them from memory one
 * cache line at a time, as deforming and hashing do, left verification
 * waiting on memory more than computing: loading the whole page at once
 * made capa_audit_verify() about a quarter faster, on clustered and on
 * interleaved trails alike (README, Performance).
 */
static inline void
prefetch_page(CapaOrderedScan *os)
{
#if defined(__GNUC__) || defined(__clang__)
	Buffer		buffer = ((BufferHeapTupleTableSlot *) os->slot)->buffer;
	const char *page;
	int			line;

	if (buffer == os->prefetched || !BufferIsValid(buffer))
		return;
	os->prefetched = buffer;
	page = (const char *) BufferGetPage(buffer);
	for (line = 0; line < BLCKSZ; line += 64)
		__builtin_prefetch(page + line);
#endif
}

TupleTableSlot *
capa_ordered_scan_next(CapaOrderedScan *os)
{
	MemoryContext old;
	bool		found;

	if (os->done)
		return NULL;

	/*
	 * In the context the scan began in: the access methods allocate scan
	 * state lazily (btree's killed-items array, for one), and the caller
	 * may be in a per-row context it resets.
	 */
	old = MemoryContextSwitchTo(os->cxt);
	found = index_getnext_slot(os->scan, ForwardScanDirection, os->slot);
	if (found)
	{
		prefetch_page(os);
		slot_getallattrs(os->slot);
	}
	MemoryContextSwitchTo(old);
	if (!found)
	{
		os->done = true;
		return NULL;
	}
	return os->slot;
}

void
capa_ordered_scan_end(CapaOrderedScan *os)
{
	ExecDropSingleTupleTableSlot(os->slot);
	index_endscan(os->scan);
	index_close(os->index, NoLock);
	table_close(os->heap, NoLock);
}
