/*-------------------------------------------------------------------------
 *
 * kpi.c
 *	  The KPI rollup maintained by the register trigger (see kpi.h).
 *	  (Being written: the interface is fixed, the body is not yet.)
 *
 * IDENTIFICATION
 *	  src/kpi.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "kpi.h"

void
capa_kpi_track(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup)
{
}

void
capa_kpi_batch_begin(void)
{
}

void
capa_kpi_batch_end(bool flush)
{
}
