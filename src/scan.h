/*-------------------------------------------------------------------------
 *
 * scan.h
 *	  Stream the rows of a read-only query through a cursor: one query,
 *	  fetched in batches, each row handled in a memory context that is
 *	  reset after it (verification and digests read whole tables).
 *
 * IDENTIFICATION
 *	  src/scan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_SCAN_H
#define CAPA_SCAN_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"

typedef void (*CapaRowFn) (HeapTuple tuple, TupleDesc desc, void *arg);

/* Call fn for each row of sql; the caller is connected to SPI */
extern void capa_scan(const char *sql, int nargs, Oid *argtypes, Datum *values,
					  const char *nulls, CapaRowFn fn, void *arg);

#endif							/* CAPA_SCAN_H */
