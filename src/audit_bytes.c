/*-------------------------------------------------------------------------
 *
 * audit_bytes.c
 *	  capa_audit_bytes(seq): the exact bytes an audit row's hash covers,
 *	  rebuilt from the stored row, so anyone can re-verify the chain with
 *	  any SHA-256 tool outside PostgreSQL.
 *
 * IDENTIFICATION
 *	  src/audit_bytes.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/inet.h"
#include "utils/jsonb.h"
#include "utils/xid8.h"

#include "audit.h"
#include "catalog.h"
#include "chain.h"

PG_FUNCTION_INFO_V1(capa_audit_bytes);

/* The CAPA_HASH_LEN bytes of a bytea, or NULL if mis-sized */
static const uint8 *
hash_bytes(Datum d)
{
	bytea	   *b = DatumGetByteaPP(d);

	if (VARSIZE_ANY_EXHDR(b) != CAPA_HASH_LEN)
		return NULL;
	return (const uint8 *) VARDATA_ANY(b);
}

/*
 * Fill f from a row of PLAN_AUDIT_ROW (columns seq, record_id, action_id,
 * chain_seq, step, from_state, to_state, changed, actor, session_actor,
 * app_user, application_name, client_addr, xid, at, row_hash, prev_hash,
 * hash, encoding); strings are palloc'd in the current context.
 */
void
capa_audit_fields_from_row(HeapTuple tup, TupleDesc td, CapaAuditFields *f)
{
	static const uint8 no_hash[CAPA_HASH_LEN];
	Datum		v[19];
	bool		n[19];
	Jsonb	   *changed;

	Assert(td->natts == 19);
	heap_deform_tuple(tup, td, v, n);	/* once, not one getattr per column */
	memset(f, 0, sizeof(*f));
	f->seq = DatumGetInt64(v[0]);
	f->record_id = DatumGetInt64(v[1]);
	f->has_action = !n[2];
	f->action_id = n[2] ? 0 : DatumGetInt64(v[2]);
	f->chain_seq = DatumGetInt32(v[3]);
	f->step = n[4] ? NULL : TextDatumGetCString(v[4]);
	f->from_state = n[5] ? 0 : DatumGetInt16(v[5]);
	f->to_state = n[6] ? 0 : DatumGetInt16(v[6]);
	if (n[7])
		f->changed = NULL;
	else
	{
		changed = DatumGetJsonbP(v[7]);
		f->changed = JsonbToCString(NULL, &changed->root, VARSIZE(changed));
	}
	f->actor = n[8] ? NULL : NameStr(*DatumGetName(v[8]));
	f->session_actor = n[9] ? NULL : NameStr(*DatumGetName(v[9]));
	f->app_user = n[10] ? NULL : TextDatumGetCString(v[10]);
	f->application_name = n[11] ? NULL : TextDatumGetCString(v[11]);
	f->client_addr = n[12] ? NULL : DatumGetCString(DirectFunctionCall1(inet_out, v[12]));
	f->xid = n[13] ? 0 : U64FromFullTransactionId(DatumGetFullTransactionId(v[13]));
	f->at = n[14] ? 0 : DatumGetTimestampTz(v[14]);
	f->row_hash = n[15] ? NULL : hash_bytes(v[15]);
	if (f->row_hash == NULL)
		f->row_hash = no_hash;	/* a damaged row still encodes; its hash won't match */
	f->prev_hash = n[16] ? NULL : hash_bytes(v[16]);
}

/* capa_audit_bytes(seq bigint) returns bytea */
Datum
capa_audit_bytes(PG_FUNCTION_ARGS)
{
	Datum		seq = PG_GETARG_DATUM(0);
	CapaAuditFields f;
	StringInfoData buf;
	bytea	   *result;
	int			rc;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	rc = SPI_execute_plan(capa_spi_plan(PLAN_AUDIT_ROW), &seq, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: audit lookup returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("capa audit row " INT64_FORMAT " does not exist", DatumGetInt64(seq))));
	capa_audit_fields_from_row(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, &f);
	initStringInfo(&buf);
	capa_audit_encode(&buf, &f);

	result = SPI_palloc(VARHDRSZ + buf.len);
	SET_VARSIZE(result, VARHDRSZ + buf.len);
	memcpy(VARDATA(result), buf.data, buf.len);
	SPI_finish();
	PG_RETURN_BYTEA_P(result);
}
