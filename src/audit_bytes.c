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

#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/xid8.h"

#include "audit.h"
#include "catalog.h"
#include "chain.h"

PG_FUNCTION_INFO_V1(capa_audit_bytes);

/* Text of column col of an SPI row, or NULL */
static const char *
text_col(HeapTuple tup, TupleDesc td, int col)
{
	return SPI_getvalue(tup, td, col);
}

/* The CAPA_HASH_LEN bytes of a bytea column, or NULL (error if mis-sized) */
static const uint8 *
hash_col(HeapTuple tup, TupleDesc td, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, td, col, &isnull);
	bytea	   *b;

	if (isnull)
		return NULL;
	b = DatumGetByteaPP(d);
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
	bool		isnull;
	static const uint8 no_hash[CAPA_HASH_LEN];
	Jsonb	   *changed;

	memset(f, 0, sizeof(*f));
	f->seq = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
	f->record_id = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
	f->action_id = DatumGetInt64(SPI_getbinval(tup, td, 3, &isnull));
	f->has_action = !isnull;
	if (isnull)
		f->action_id = 0;
	f->chain_seq = DatumGetInt32(SPI_getbinval(tup, td, 4, &isnull));
	f->step = text_col(tup, td, 5);
	f->from_state = DatumGetInt16(SPI_getbinval(tup, td, 6, &isnull));
	if (isnull)
		f->from_state = 0;
	f->to_state = DatumGetInt16(SPI_getbinval(tup, td, 7, &isnull));
	if (isnull)
		f->to_state = 0;
	changed = DatumGetJsonbP(SPI_getbinval(tup, td, 8, &isnull));
	f->changed = isnull ? NULL : JsonbToCString(NULL, &changed->root, VARSIZE(changed));
	f->actor = text_col(tup, td, 9);
	f->session_actor = text_col(tup, td, 10);
	f->app_user = text_col(tup, td, 11);
	f->application_name = text_col(tup, td, 12);
	f->client_addr = text_col(tup, td, 13);
	f->xid = U64FromFullTransactionId(DatumGetFullTransactionId(SPI_getbinval(tup, td, 14, &isnull)));
	f->at = DatumGetTimestampTz(SPI_getbinval(tup, td, 15, &isnull));
	f->row_hash = hash_col(tup, td, 16);
	if (f->row_hash == NULL)
		f->row_hash = no_hash;	/* a damaged row still encodes; its hash won't match */
	f->prev_hash = hash_col(tup, td, 17);
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
