/*-------------------------------------------------------------------------
 *
 * trigger_row.c
 *	  Small helpers shared by capa's triggers and SQL functions.
 *
 * IDENTIFICATION
 *	  src/common/trigger_row.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/rel.h"

#include "common/trigger_row.h"

TriggerData *
capa_trigger_preamble(FunctionCallInfo fcinfo, const char *funcname, Oid relid)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" was not called by trigger manager", funcname)));
	if (!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" must be fired BEFORE ROW", funcname)));
	if (RelationGetRelid(trigdata->tg_relation) != relid)
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"%s\" cannot be attached to relation \"%s\"",
						funcname, RelationGetRelationName(trigdata->tg_relation))));
	return trigdata;
}

bool
capa_column_changed(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup,
					AttrNumber attnum)
{
	Form_pg_attribute att = TupleDescAttr(tupdesc, attnum - 1);
	bool		oldnull;
	bool		newnull;
	Datum		oldval = heap_getattr(oldtup, attnum, tupdesc, &oldnull);
	Datum		newval = heap_getattr(newtup, attnum, tupdesc, &newnull);

	if (oldnull || newnull)
		return oldnull != newnull;
	return !datum_image_eq(oldval, newval, att->attbyval, att->attlen);
}

void
capa_row_set(CapaRowChanges *changes, AttrNumber attnum, Datum value, bool isnull)
{
	int			i;

	for (i = 0; i < changes->count; i++)
	{
		if (changes->cols[i] == attnum)
			break;
	}
	if (i == changes->count)
	{
		if (changes->count >= CAPA_MAX_REPLACE)
			elog(ERROR, "capa: too many column replacements");
		changes->count++;
	}
	changes->cols[i] = attnum;
	changes->values[i] = value;
	changes->nulls[i] = isnull;
}

HeapTuple
capa_row_apply(HeapTuple tuple, TupleDesc tupdesc, const CapaRowChanges *changes)
{
	if (changes->count == 0)
		return tuple;
	return heap_modify_tuple_by_cols(tuple, tupdesc, changes->count,
									 (int *) changes->cols,
									 (Datum *) changes->values,
									 (bool *) changes->nulls);
}

void
capa_refuse_maintained(Relation rel, AttrNumber attnum)
{
	ereport(ERROR,
			(errcode(ERRCODE_GENERATED_ALWAYS),
			 errmsg("column \"%s\" is maintained by capa and cannot be written",
					NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname)),
			 errtablecol(rel, attnum)));
}

Datum
capa_role_name_datum(Oid roleid)
{
	return DirectFunctionCall1(namein,
							   CStringGetDatum(GetUserNameFromId(roleid, false)));
}

bool
capa_is_restored_row(Relation rel, HeapTuple tuple, AttrNumber seq_attnum,
					 AttrNumber head_attnum)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		isnull;
	Datum		head = heap_getattr(tuple, head_attnum, tupdesc, &isnull);
	Datum		seq;

	if (isnull)
		return false;
	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only a superuser can restore rows of \"%s\"",
						RelationGetRelationName(rel)),
				 errdetail("The new row carries a chain head, as rows restored from a dump do.")));
	seq = heap_getattr(tuple, seq_attnum, tupdesc, &isnull);
	if (isnull || DatumGetInt32(seq) < 1 ||
		VARSIZE_ANY_EXHDR(DatumGetByteaPP(head)) != 32)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("restored row of \"%s\" has an invalid chain position or head",
						RelationGetRelationName(rel))));
	return true;
}
