/*-------------------------------------------------------------------------
 *
 * kpi.h
 *	  The KPI rollup: capa.kpi_rollup, capa.kpi_close_days and
 *	  capa.kpi_action_due, maintained by the register and action triggers
 *	  from each change of a record or an action item (kpi.c).
 *
 * Each change of a register row adds its contribution (events newly
 * stamped, the open interval of the record) to the rollup rows of this
 * backend's shard, so writers never wait for each other on a rollup row;
 * the contributions of a transaction are added up in memory and written
 * once, at its commit.
 *
 * IDENTIFICATION
 *	  src/kpi/kpi.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_KPI_H
#define CAPA_KPI_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"

#include "common/schema_cache.h"

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
 * Add counters (one per counter column, in its order) to the row of key
 * keys of a KPI table, inserting it if there is none (kpi_write.c)
 */
extern void capa_kpi_add_row(CapaKpiTable table, const Datum *keys,
							 const bool *keynulls, const int64 *counters);

/* Register the transaction callbacks (from _PG_init) */
extern void capa_kpi_init(void);

#endif							/* CAPA_KPI_H */
