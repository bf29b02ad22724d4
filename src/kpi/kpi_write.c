/*-------------------------------------------------------------------------
 *
 * kpi_write.c
 *	  Adding a transaction's KPI totals to a rollup row of its shard,
 *	  without a statement.
 *
 * What INSERT ... ON CONFLICT (key) DO UPDATE SET c = c + EXCLUDED.c did,
 * done through the index and table access methods: find the row of the
 * key through the table's unique key index, lock it, and update it with
 * the counters added; insert it if there is none.  Starting and ending an
 * executor for that statement cost more than the rest of a one-step
 * transaction's commit.
 *
 * Who else writes a shard's rows: nobody inserts them but the shard's own
 * backend (or prepared transaction), so a row not found is inserted
 * without a race; capa_kpi_compact() deletes them, and capa_kpi_rebuild()
 * (which waits for writers) too.  The row is looked up in the latest
 * state (a dirty snapshot, as ON CONFLICT's) and locked; one being changed
 * is waited for, one deleted or updated meanwhile is looked up again, as
 * ON CONFLICT would.  The counters are sums, so adding to the
 * latest version is right at every isolation level.
 *
 * IDENTIFICATION
 *	  src/kpi/kpi_write.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "commands/trigger.h"
#include "common/int.h"
#include "executor/executor.h"
#include "storage/lmgr.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "common/pg_compat.h"
#include "common/schema_cache.h"
#include "common/table_write.h"
#include "kpi/kpi.h"

/* a + b, or 22003 as bigint addition in SQL */
static int64
add_counter(int64 a, int64 b)
{
	int64		sum;

	if (pg_add_s64_overflow(a, b, &sum))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("bigint out of range")));
	return sum;
}

void
capa_kpi_add_row(CapaKpiTable table, const Datum *keys, const bool *keynulls,
				 const int64 *counters)
{
	const CapaKpiRelation *k = &capa_schema()->kpi[table];
	Relation	rel = table_open(k->relid, RowExclusiveLock);
	Relation	index = index_open(k->key_index, RowExclusiveLock);
	TupleDesc	tupdesc = RelationGetDescr(rel);
	ResultRelInfo *rri;
	EState	   *estate = capa_table_write_begin(1, &rel, &rri);
	TupleTableSlot *found = table_slot_create(rel, &estate->es_tupleTable);
	TupleTableSlot *slot = ExecInitExtraTupleSlot(estate, tupdesc, &TTSOpsVirtual);
	ScanKeyData skey[CAPA_KPI_MAX_KEYS];
	int			i;

	/* the key; NULL org_unit matches NULL (the index is NULLS NOT DISTINCT) */
	for (i = 0; i < k->nkeys; i++)
	{
		if (keynulls[i])
			ScanKeyEntryInitialize(&skey[i], SK_ISNULL | SK_SEARCHNULL, i + 1,
								   InvalidStrategy, InvalidOid, InvalidOid,
								   InvalidOid, (Datum) 0);
		else
			ScanKeyEntryInitialize(&skey[i], 0, i + 1, BTEqualStrategyNumber,
								   InvalidOid, k->key_collation[i], k->key_eq[i],
								   keys[i]);
	}

	/* any row trigger someone adds fires as after the statement */
	AfterTriggerBeginQuery();
	for (;;)
	{
		SnapshotData dirty;
		IndexScanDesc scan;
		TM_FailureData tmfd;
		TM_Result	res;
		TransactionId xwait;
		bool		exists;

		/*
		 * Looked up as ON CONFLICT's arbiter check does, with a dirty
		 * snapshot: it shows rows others are changing (to wait for them) and,
		 * not being an MVCC snapshot, takes no predicate locks, so
		 * serializable transactions of different shards do not conflict here
		 */
		InitDirtySnapshot(dirty);
		scan = capa_index_beginscan(rel, index, &dirty, k->nkeys, 0);
		index_rescan(scan, skey, k->nkeys, NULL, 0);
		exists = index_getnext_slot(scan, ForwardScanDirection, found);
		index_endscan(scan);
		/* the dirty snapshot's xmin/xmax are set only when a row was found */
		xwait = !exists ? InvalidTransactionId :
			TransactionIdIsValid(dirty.xmin) ? dirty.xmin : dirty.xmax;
		if (TransactionIdIsValid(xwait))
		{
			/* inserted or deleted by a transaction in progress: wait, look again */
			XactLockTableWait(xwait, rel, &found->tts_tid, XLTW_None);
			continue;
		}

		if (!exists)
		{
			/* the shard's first row of this key: the counters as they are */
			ExecClearTuple(slot);
			for (i = 0; i < tupdesc->natts; i++)
				slot->tts_isnull[i] = true;
			for (i = 0; i < k->nkeys; i++)
			{
				slot->tts_values[k->key[i] - 1] = keys[i];
				slot->tts_isnull[k->key[i] - 1] = keynulls[i];
			}
			for (i = 0; i < k->ncounters; i++)
			{
				slot->tts_values[k->counter[i] - 1] = Int64GetDatum(counters[i]);
				slot->tts_isnull[k->counter[i] - 1] = false;
			}
			ExecStoreVirtualTuple(slot);
			ExecSimpleRelationInsert(rri, estate, slot);
			break;
		}

		res = table_tuple_lock(rel, &found->tts_tid, GetLatestSnapshot(), found,
							   GetCurrentCommandId(false), LockTupleNoKeyExclusive,
							   LockWaitBlock, 0, &tmfd);
		if (res == TM_Updated || res == TM_Deleted)
			continue;			/* changed meanwhile: look again */
		if (res != TM_Ok)
			elog(ERROR, "capa: could not lock a row of \"%s\" (%d)",
				 RelationGetRelationName(rel), (int) res);

		/* the locked row with the counters added */
		slot_getallattrs(found);
		ExecClearTuple(slot);
		memcpy(slot->tts_values, found->tts_values, sizeof(Datum) * tupdesc->natts);
		memcpy(slot->tts_isnull, found->tts_isnull, sizeof(bool) * tupdesc->natts);
		for (i = 0; i < k->ncounters; i++)
		{
			AttrNumber	a = k->counter[i];

			/* the counters are NOT NULL; a NULL one fails the update below */
			if (!slot->tts_isnull[a - 1])
				slot->tts_values[a - 1] =
					Int64GetDatum(add_counter(DatumGetInt64(slot->tts_values[a - 1]),
											  counters[i]));
		}
		ExecStoreVirtualTuple(slot);
		{
			EPQState	epqstate;

			capa_EvalPlanQualInit(&epqstate, estate, NULL, NIL, -1);
			ExecSimpleRelationUpdate(rri, estate, &epqstate, found, slot);
			EvalPlanQualEnd(&epqstate);
		}
		break;
	}
	AfterTriggerEndQuery(estate);

	capa_table_write_end(estate);
	index_close(index, NoLock);
	table_close(rel, NoLock);
	/* as after a statement: the next write and read see this one */
	CommandCounterIncrement();
}
