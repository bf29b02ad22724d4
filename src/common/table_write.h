/*-------------------------------------------------------------------------
 *
 * table_write.h
 *	  Writing a table without a statement: the executor state that
 *	  ExecSimpleRelationInsert() and ExecSimpleRelationUpdate() need.
 *
 * Used where a statement's plan would do nothing more than those do and
 * starting an executor for each row cost more than the write: the audit
 * rows (audit.c, import_load.c), the KPI rollup rows at commit (kpi_write.c).
 *
 * IDENTIFICATION
 *	  src/common/table_write.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_TABLE_WRITE_H
#define CAPA_TABLE_WRITE_H

#include "postgres.h"

#include "nodes/execnodes.h"
#include "utils/rel.h"

/*
 * An executor state writing the nrels relations rels (opened by the
 * caller with RowExclusiveLock): a range table (for the messages of a
 * failed constraint), a result relation for each with its indexes open
 * (returned in rris, in the same order, where ExecGetTriggerResultRel()
 * finds them), the current command id and the active snapshot.
 */
extern EState *capa_table_write_begin(int nrels, Relation *rels, ResultRelInfo **rris);

/* Close the indexes of every relation written and free the state */
extern void capa_table_write_end(EState *estate);

#endif							/* CAPA_TABLE_WRITE_H */
