/*-------------------------------------------------------------------------
 *
 * table_write.c
 *	  Writing a table without a statement (see table_write.h).
 *
 * IDENTIFICATION
 *	  src/common/table_write.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "utils/snapmgr.h"

#include "common/pg_compat.h"
#include "common/table_write.h"

EState *
capa_table_write_begin(int nrels, Relation *rels, ResultRelInfo **rris)
{
	EState	   *estate = CreateExecutorState();
	List	   *rtable = NIL;
	int			i;

	for (i = 0; i < nrels; i++)
	{
		RangeTblEntry *rte = makeNode(RangeTblEntry);

		rte->rtekind = RTE_RELATION;
		rte->relid = RelationGetRelid(rels[i]);
		rte->relkind = rels[i]->rd_rel->relkind;
		rte->rellockmode = RowExclusiveLock;
		rtable = lappend(rtable, rte);
	}
	capa_exec_init_range_table(estate, rtable);
	for (i = 0; i < nrels; i++)
	{
		rris[i] = makeNode(ResultRelInfo);
		InitResultRelInfo(rris[i], rels[i], i + 1, NULL, 0);
		ExecOpenIndices(rris[i], false);
		/* so ExecGetTriggerResultRel() finds it (as logical apply does) */
		estate->es_opened_result_relations =
			lappend(estate->es_opened_result_relations, rris[i]);
	}
	estate->es_output_cid = GetCurrentCommandId(true);
	estate->es_snapshot = ActiveSnapshotSet() ? GetActiveSnapshot() : InvalidSnapshot;
	return estate;
}

void
capa_table_write_end(EState *estate)
{
	ListCell   *lc;

	foreach(lc, estate->es_opened_result_relations)
		ExecCloseIndices((ResultRelInfo *) lfirst(lc));
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
}
