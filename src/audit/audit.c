/*-------------------------------------------------------------------------
 *
 * audit.c
 *	  Build the "changed" document and insert capa.audit rows.
 *
 * IDENTIFICATION
 *	  src/audit/audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/fmgrprotos.h"
#include "utils/guc.h"
#include "utils/inet.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/xid8.h"

#include "audit/audit.h"
#include "audit/chain.h"
#include "common/actor.h"
#include "common/pg_compat.h"
#include "common/table_write.h"

CapaAuditInserter capa_audit_inserter = NULL;

/* A string as a jsonb scalar */
static void
json_string(JsonbValue *v, const char *str)
{
	v->type = jbvString;
	v->val.string.val = (char *) str;
	v->val.string.len = strlen(str);
}

/*
 * One value as a jsonb scalar, independent of the session's settings:
 * built directly (no text to parse), and exactly what jsonb_in made of
 * the JSON text capa wrote before: integers as numbers, dates and times
 * as ISO 8601 strings (UTC for timestamptz), booleans, and every other
 * type as the string of its output function.
 */
static void
json_scalar(JsonbValue *v, Datum value, Oid typid)
{
	static const int utc = 0;
	Oid			outfunc;
	bool		isvarlena;

	switch (typid)
	{
		case BOOLOID:
			v->type = jbvBool;
			v->val.boolean = DatumGetBool(value);
			return;
		case INT2OID:
			v->type = jbvNumeric;
			v->val.numeric = int64_to_numeric(DatumGetInt16(value));
			return;
		case INT4OID:
			v->type = jbvNumeric;
			v->val.numeric = int64_to_numeric(DatumGetInt32(value));
			return;
		case INT8OID:
			v->type = jbvNumeric;
			v->val.numeric = int64_to_numeric(DatumGetInt64(value));
			return;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			json_string(v, JsonEncodeDateTime(NULL, value, typid, &utc));
			return;
		default:
			getTypeOutputInfo(typid, &outfunc, &isvarlena);
			json_string(v, OidOutputFunctionCall(outfunc, value));
			return;
	}
}

Datum
capa_changed_columns(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup,
					 const bool *skip)
{
	return capa_changed_columns_with(tupdesc, oldtup, newtup, skip, NULL, NULL);
}

bool *
capa_bookkeeping_skip(TupleDesc tupdesc, AttrNumber chain_seq, AttrNumber chain_head,
					  AttrNumber updated_at)
{
	bool	   *skip = palloc0(sizeof(bool) * tupdesc->natts);
	int			i;

	skip[chain_seq - 1] = true;
	skip[chain_head - 1] = true;
	skip[updated_at - 1] = true;
	/* owner_role follows owner, which "changed" shows */
	for (i = chain_head; i < tupdesc->natts; i++)
		skip[i] |= capa_row_derived_column(TupleDescAttr(tupdesc, i));
	return skip;
}

/*
 * The changed columns as a jsonb object, built into state (which the
 * caller ends); with previous, the values OLD had for them go under the
 * key "previous", an object of its own.
 */
static void
push_changed(CapaJsonbState *state, TupleDesc tupdesc, HeapTuple oldtup,
			 HeapTuple newtup, const bool *skip, bool previous)
{
	JsonbValue	key;
	JsonbValue	value;
	Datum	   *newvals = palloc(sizeof(Datum) * tupdesc->natts);
	bool	   *newnulls = palloc(sizeof(bool) * tupdesc->natts);
	Datum	   *oldvals = NULL;
	bool	   *oldnulls = NULL;
	int			pass;
	int			i;

	/* deformed once: heap_getattr per column is quadratic past a NULL */
	heap_deform_tuple(newtup, tupdesc, newvals, newnulls);
	if (oldtup != NULL)
	{
		oldvals = palloc(sizeof(Datum) * tupdesc->natts);
		oldnulls = palloc(sizeof(bool) * tupdesc->natts);
		heap_deform_tuple(oldtup, tupdesc, oldvals, oldnulls);
	}
	/* pass 0: the new values; pass 1, inside "previous": the old ones */
	for (pass = 0; pass < ((previous && oldtup != NULL) ? 2 : 1); pass++)
	{
		if (pass == 1)
		{
			json_string(&key, "previous");
			capa_push_jsonb(state, WJB_KEY, &key);
			capa_push_jsonb(state, WJB_BEGIN_OBJECT, NULL);
		}
		for (i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);
			bool		newnull = newnulls[i];
			bool		oldnull = true;
			Datum		newval = newvals[i];
			Datum		oldval = (Datum) 0;

			if (att->attisdropped || (skip != NULL && skip[i]))
				continue;
			if (oldtup != NULL)
			{
				oldval = oldvals[i];
				oldnull = oldnulls[i];
				if (oldnull == newnull &&
					(newnull || datum_image_eq(oldval, newval, att->attbyval, att->attlen)))
					continue;
			}
			else if (newnull)
				continue;

			json_string(&key, NameStr(att->attname));
			capa_push_jsonb(state, WJB_KEY, &key);
			if (pass == 1)
			{
				newnull = oldnull;
				newval = oldval;
			}
			if (newnull)
				value.type = jbvNull;
			else
				json_scalar(&value, newval, att->atttypid);
			capa_push_jsonb(state, WJB_VALUE, &value);
		}
		if (pass == 1)
			capa_push_jsonb(state, WJB_END_OBJECT, NULL);
	}
}

Datum
capa_changed_columns_with(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup,
						  const bool *skip, const char *extra_key,
						  const char *extra_value)
{
	CapaJsonbState state = CAPA_JSONB_STATE_INIT;
	JsonbValue	key;
	JsonbValue	value;
	JsonbValue *result;

	capa_push_jsonb(&state, WJB_BEGIN_OBJECT, NULL);
	push_changed(&state, tupdesc, oldtup, newtup, skip, false);
	if (extra_key != NULL)
	{
		json_string(&key, extra_key);
		json_string(&value, extra_value);
		capa_push_jsonb(&state, WJB_KEY, &key);
		capa_push_jsonb(&state, WJB_VALUE, &value);
	}
	result = capa_push_jsonb(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(result));
}

Datum
capa_changed_columns_reason(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup,
							const bool *skip, const char *reason)
{
	CapaJsonbState state = CAPA_JSONB_STATE_INIT;
	JsonbValue	key;
	JsonbValue	value;
	JsonbValue *result;

	capa_push_jsonb(&state, WJB_BEGIN_OBJECT, NULL);
	push_changed(&state, tupdesc, oldtup, newtup, skip, true);
	if (reason != NULL)
	{
		json_string(&key, "reason");
		json_string(&value, reason);
		capa_push_jsonb(&state, WJB_KEY, &key);
		capa_push_jsonb(&state, WJB_VALUE, &value);
	}
	result = capa_push_jsonb(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(result));
}

/* The inet of the client, or NULL for a Unix-socket or background session */
static Datum
client_addr_datum(bool *isnull)
{
	LOCAL_FCINFO(fcinfo, 0);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	result = inet_client_addr(fcinfo);
	*isnull = fcinfo->isnull;
	return result;
}

Datum
capa_hash_datum(const uint8 *hash)
{
	bytea	   *b = palloc(VARHDRSZ + CAPA_HASH_LEN);

	SET_VARSIZE(b, VARHDRSZ + CAPA_HASH_LEN);
	memcpy(VARDATA(b), hash, CAPA_HASH_LEN);
	return PointerGetDatum(b);
}

void
capa_audit_slot_store(TupleTableSlot *slot, const Datum *values, const char *nulls)
{
	CapaSchema *schema = capa_schema();
	int			i;

	ExecClearTuple(slot);
	for (i = 0; i < slot->tts_tupleDescriptor->natts; i++)
		slot->tts_isnull[i] = true;
	for (i = 0; i < CAPA_AUDIT_NCOLS; i++)
	{
		slot->tts_values[schema->audit_column[i] - 1] = values[i];
		slot->tts_isnull[schema->audit_column[i] - 1] = nulls[i] == 'n';
	}
	ExecStoreVirtualTuple(slot);
}

/*
 * Insert one audit row (values in CAPA_AUDIT_COLUMNS order, nulls 'n' or
 * ' ') without a statement: capa.audit has no insert trigger, no foreign
 * key and no check constraint, so an INSERT's plan would only do what
 * ExecSimpleRelationInsert does (NOT NULL checks, heap, indexes, and any
 * row trigger someone adds), at a third of the cost of starting and ending
 * an executor for it.  The caller runs as capa's owner, as the statement
 * did.  Then, as SPI does after a statement, the command counter advances,
 * so what follows in this transaction sees the row.
 */
static void
audit_insert(CapaSchema *schema, Datum *values, const char *nulls)
{
	Relation	rel = table_open(schema->audit_relid, RowExclusiveLock);
	ResultRelInfo *rri;
	EState	   *estate = capa_table_write_begin(1, &rel, &rri);
	TupleTableSlot *slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel),
												  &TTSOpsVirtual);

	capa_audit_slot_store(slot, values, nulls);
	ExecSimpleRelationInsert(rri, estate, slot);
	capa_table_write_end(estate);
	table_close(rel, NoLock);
	CommandCounterIncrement();
}

/*
 * Insert the audit row and put its hash, the row's new chain head, in
 * hash_out.  Every value is computed here, in C, so the bytes hashed are
 * exactly the values stored: seq, clock time, transaction id, roles.
 */
static void
capa_audit_write(CapaAuditEntry *entry, uint8 *hash_out)
{
	CapaSchema *schema = capa_schema();
	CapaAuditFields f;
	StringInfoData bytes;
	Datum		values[19];
	char		nulls[19];
	Jsonb	   *changed = DatumGetJsonbP(entry->changed);
	bool		addr_null;
	Datum		addr = client_addr_datum(&addr_null);

	/*
	 * Lock the audit table before taking a seq: capa_digest() waits for the
	 * holders of this lock, and so for every seq handed out before it read
	 * the sequence, to commit or abort (digest.c).
	 */
	LockRelationOid(schema->audit_relid, RowExclusiveLock);
	memset(&f, 0, sizeof(f));
	f.seq = nextval_internal(schema->audit_seq, false);
	entry->seq = f.seq;
	f.capa_id = DatumGetInt64(entry->capa_id);
	f.has_action = entry->has_action;
	f.action_id = entry->action_id;
	f.chain_seq = entry->chain_seq;
	f.step = capa_str(entry->step);
	f.from_state = (int16) entry->from_state;
	f.to_state = (int16) entry->to_state;
	f.changed = changed;
	f.actor = capa_str(GetUserNameFromId(entry->actor, false));
	f.session_actor = capa_str(GetUserNameFromId(GetSessionUserId(), false));
	f.app_user = capa_str(capa_app_user());
	f.application_name = capa_str((application_name && application_name[0]) ? application_name : NULL);
	f.has_client_addr = !addr_null;
	f.client_addr = addr;
	f.xid = U64FromFullTransactionId(GetTopFullTransactionId());
	f.at = GetCurrentTimestamp();
	f.row_hash = entry->row_hash;
	f.prev_hash = entry->prev_hash;

	initStringInfo(&bytes);
	capa_audit_encode(&bytes, &f);
	capa_sha256(bytes.data, bytes.len, hash_out);

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(f.seq);
	values[1] = entry->capa_id;
	values[2] = Int64GetDatum(f.action_id);
	nulls[2] = f.has_action ? ' ' : 'n';
	values[3] = Int32GetDatum(f.chain_seq);
	values[4] = CStringGetTextDatum(entry->step);
	values[5] = Int16GetDatum(f.from_state);
	nulls[5] = f.from_state ? ' ' : 'n';
	values[6] = Int16GetDatum(f.to_state);
	nulls[6] = f.to_state ? ' ' : 'n';
	values[7] = entry->changed;
	values[8] = DirectFunctionCall1(namein, CStringGetDatum(f.actor.data));
	values[9] = DirectFunctionCall1(namein, CStringGetDatum(f.session_actor.data));
	values[10] = f.app_user.data ? CStringGetTextDatum(f.app_user.data) : (Datum) 0;
	nulls[10] = f.app_user.data ? ' ' : 'n';
	values[11] = f.application_name.data ? CStringGetTextDatum(f.application_name.data) : (Datum) 0;
	nulls[11] = f.application_name.data ? ' ' : 'n';
	values[12] = addr;
	nulls[12] = addr_null ? 'n' : ' ';
	values[13] = FullTransactionIdGetDatum(FullTransactionIdFromU64(f.xid));
	values[14] = TimestampTzGetDatum(f.at);
	values[15] = capa_hash_datum(f.row_hash);
	values[16] = f.prev_hash ? capa_hash_datum(f.prev_hash) : (Datum) 0;
	nulls[16] = f.prev_hash ? ' ' : 'n';
	values[17] = capa_hash_datum(hash_out);
	values[18] = Int16GetDatum(CAPA_AUDIT_ENCODING);

	if (capa_audit_inserter != NULL)
	{
		capa_audit_inserter(values, nulls);
		return;
	}
	audit_insert(schema, values, nulls);
}

/* The chain head stored on a row, or NULL if it has none */
static const uint8 *
stored_head(TupleDesc tupdesc, HeapTuple tuple, AttrNumber attnum)
{
	bool		isnull;
	Datum		d;
	bytea	   *b;

	if (tuple == NULL)
		return NULL;
	d = heap_getattr(tuple, attnum, tupdesc, &isnull);
	if (isnull)
		return NULL;
	b = DatumGetByteaPP(d);
	if (VARSIZE_ANY_EXHDR(b) != CAPA_HASH_LEN)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("capa chain head has %d bytes instead of %d",
						(int) VARSIZE_ANY_EXHDR(b), CAPA_HASH_LEN),
				 errhint("Run capa_audit_verify() to see what was changed.")));
	return (const uint8 *) VARDATA_ANY(b);
}

HeapTuple
capa_audit_chain(CapaAuditEntry *entry, TupleDesc tupdesc, HeapTuple oldtup,
				 HeapTuple newtup, AttrNumber head_attnum, MemoryContext result_cxt)
{
	uint8		row_hash[CAPA_HASH_LEN];
	uint8		hash[CAPA_HASH_LEN];
	int			col = head_attnum;
	Datum		value;
	bool		isnull = false;
	MemoryContext old;
	HeapTuple	result;

	capa_row_hash(tupdesc, newtup, head_attnum, row_hash);
	entry->row_hash = row_hash;
	entry->prev_hash = stored_head(tupdesc, oldtup, head_attnum);
	capa_audit_write(entry, hash);

	old = MemoryContextSwitchTo(result_cxt);
	value = capa_hash_datum(hash);
	result = heap_modify_tuple_by_cols(newtup, tupdesc, 1, &col, &value, &isnull);
	MemoryContextSwitchTo(old);
	return result;
}
