/*-------------------------------------------------------------------------
 *
 * kpi.h
 *	  The KPI rollup: capa.kpi_rollup and capa.kpi_close_days, maintained
 *	  by the register trigger from each change of a record (kpi.c).
 *
 * Each change of a register row adds its contribution (events newly
 * stamped, the open interval of the record) to the rollup rows of this
 * backend's shard, so writers never wait for each other on a rollup row;
 * the contributions of a transaction are added up in memory and written
 * once, at its commit.
 *
 * IDENTIFICATION
 *	  src/kpi.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_KPI_H
#define CAPA_KPI_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"

/*
 * Add the KPI contribution of one change of a register row (oldtup NULL
 * for a new or imported row) to this transaction's pending totals.
 */
extern void capa_kpi_track(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup);

/*
 * The same for a change of an action item (capa.kpi_action_due: pending
 * items by due date and their record's org unit); record_cancelled: its
 * record is cancelled, so the item does not count.
 */
extern void capa_kpi_track_action(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup,
								  const char *org_unit, bool record_cancelled);

/*
 * Every change's contribution waits in memory, by subtransaction, and is
 * written once just before its transaction commits: a transaction of a
 * million changes updates each rollup row once.  These two remain for bulk
 * loads written against the earlier interface; they do nothing now.
 */
extern void capa_kpi_batch_begin(void);
extern void capa_kpi_batch_end(bool flush);

/* Register the transaction callbacks (from _PG_init) */
extern void capa_kpi_init(void);

#endif							/* CAPA_KPI_H */
