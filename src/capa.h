/*-------------------------------------------------------------------------
 *
 * capa.h
 *	  Helpers shared by capa's PostgreSQL glue: the trigger preamble,
 *	  column comparison, evidence presence, and reference text.
 *
 * IDENTIFICATION
 *	  src/capa.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_H
#define CAPA_H

#include "postgres.h"

#include "access/htup.h"
#include "commands/trigger.h"
#include "fmgr.h"

#include "labels.h"

/* The capa_ref Datum is an int64 packed by ref_format.c */
#define DatumGetCapaRef(d)	DatumGetInt64(d)
#define CapaRefGetDatum(r)	Int64GetDatum(r)

/* The types' binary send functions (chain.c encodes their values directly) */
extern Datum capa_ref_send(PG_FUNCTION_ARGS);
extern Datum capa_state_send(PG_FUNCTION_ARGS);
extern Datum capa_severity_send(PG_FUNCTION_ARGS);

/* Text of a capa_ref Datum, for messages */
extern char *capa_ref_cstring(Datum ref);

/* Name of a state code, for messages ("?" if invalid) */
extern const char *capa_state_cstring(int code);

/* Raise unless called as a BEFORE ROW trigger on relid */
extern TriggerData *capa_trigger_preamble(FunctionCallInfo fcinfo,
										  const char *funcname, Oid relid);

/* 428C9: a statement wrote column attnum of rel, which capa maintains */
extern void capa_refuse_maintained(Relation rel, AttrNumber attnum);

/* Whether column attnum differs between two versions of a row */
extern bool capa_column_changed(TupleDesc tupdesc, HeapTuple oldtup,
								HeapTuple newtup, AttrNumber attnum);

/*
 * True if a text Datum (or len bytes of text in the server encoding) is
 * empty or made only of characters that show nothing: Unicode White_Space
 * and the invisible format characters in UTF-8, ASCII whitespace in other
 * encodings (text_blank.c has the list)
 */
extern bool capa_text_blank(Datum value);
extern bool capa_blank_bytes(const char *p, int len);

/* Up to a few column replacements for heap_modify_tuple_by_cols */
#define CAPA_MAX_REPLACE 32
typedef struct CapaRowChanges
{
	int			count;
	int			cols[CAPA_MAX_REPLACE];
	Datum		values[CAPA_MAX_REPLACE];
	bool		nulls[CAPA_MAX_REPLACE];
} CapaRowChanges;

extern void capa_row_set(CapaRowChanges *changes, AttrNumber attnum,
						 Datum value, bool isnull);
extern HeapTuple capa_row_apply(HeapTuple tuple, TupleDesc tupdesc,
								const CapaRowChanges *changes);

/*
 * True if an INSERT carries a row restored from a dump (it has its chain
 * position and head): accepted as it is, without lifecycle rules or a new
 * audit row; capa_audit_verify() proves it against its chain.  Only a
 * superuser restores; anyone else giving a chain head gets 42501.
 */
extern bool capa_is_restored_row(Relation rel, HeapTuple tuple,
								 AttrNumber seq_attnum, AttrNumber head_attnum);

/* Current role's name as a name Datum */
extern Datum capa_role_name_datum(Oid roleid);

#endif							/* CAPA_H */
