/*-------------------------------------------------------------------------
 *
 * trigger_row.h
 *	  What capa's row triggers share (trigger_row.c): the preamble, column
 *	  comparison, the columns capa maintains, row changes, restored rows.
 *
 * IDENTIFICATION
 *	  src/common/trigger_row.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_TRIGGER_ROW_H
#define CAPA_TRIGGER_ROW_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "utils/relcache.h"

/* Raise unless called as a BEFORE ROW trigger on relid */
extern TriggerData *capa_trigger_preamble(FunctionCallInfo fcinfo,
										  const char *funcname, Oid relid);

/* 428C9: a statement wrote column attnum of rel, which capa maintains */
extern void capa_refuse_maintained(Relation rel, AttrNumber attnum);

/* Whether column attnum differs between two versions of a row */
extern bool capa_column_changed(TupleDesc tupdesc, HeapTuple oldtup,
								HeapTuple newtup, AttrNumber attnum);

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

/* A role's name as a name Datum */
extern Datum capa_role_name_datum(Oid roleid);

#endif							/* CAPA_TRIGGER_ROW_H */
