/*-------------------------------------------------------------------------
 *
 * kpi.h
 *	  The KPI rollup: capa.kpi_rollup and capa.kpi_close_days, maintained
 *	  by the register trigger from each change of a record (kpi.c).
 *
 * Each change of a register row adds its contribution (events newly
 * stamped, the open interval of the record) to the rollup rows of this
 * backend's shard, so writers never wait for each other on a rollup row.
 * A bulk import batches the contributions in memory and writes them once.
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
 * for a new or imported row).  Call as capa's owner, inside SPI.
 */
extern void capa_kpi_track(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup);

/*
 * Batching for bulk loads: between begin and end, capa_kpi_track()
 * accumulates in memory; capa_kpi_batch_end(true) writes the totals
 * (inside SPI, as capa's owner), capa_kpi_batch_end(false) drops them
 * (call it on the error path too).
 */
extern void capa_kpi_batch_begin(void);
extern void capa_kpi_batch_end(bool flush);

#endif							/* CAPA_KPI_H */
