/*-------------------------------------------------------------------------
 *
 * type_io.h
 *	  What the rest of capa uses of its types' SQL side: the capa_ref
 *	  Datum, the binary send functions and names for messages.
 *
 * IDENTIFICATION
 *	  src/types/type_io.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_TYPE_IO_H
#define CAPA_TYPE_IO_H

#include "postgres.h"

#include "fmgr.h"

/* The capa_ref Datum is an int64 packed by ref_format.c */
#define DatumGetCapaRef(d)	DatumGetInt64(d)
#define CapaRefGetDatum(r)	Int64GetDatum(r)

/* The types' binary send functions (chain.c encodes their values directly) */
extern Datum capa_ref_send(PG_FUNCTION_ARGS);
extern Datum capa_state_send(PG_FUNCTION_ARGS);
extern Datum capa_severity_send(PG_FUNCTION_ARGS);

/* Text of a capa_ref Datum, for messages (ref_type.c) */
extern char *capa_ref_cstring(Datum ref);

/* Name of a state code, for messages ("?" if invalid) (label_types.c) */
extern const char *capa_state_cstring(int code);

#endif							/* CAPA_TYPE_IO_H */
