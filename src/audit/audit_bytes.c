/*-------------------------------------------------------------------------
 *
 * audit_bytes.c
 *	  capa_audit_bytes(seq): the exact bytes an audit row's hash covers,
 *	  rebuilt from the stored row, so anyone can re-verify the chain with
 *	  any SHA-256 tool outside PostgreSQL.
 *
 * IDENTIFICATION
 *	  src/audit/audit_bytes.c
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

#include "audit/audit.h"
#include "audit/chain.h"
#include "common/schema_cache.h"

PG_FUNCTION_INFO_V1(capa_audit_bytes);

/* capa_audit_bytes(seq bigint) returns bytea */
Datum
capa_audit_bytes(PG_FUNCTION_ARGS)
{
	Datum		seq = PG_GETARG_DATUM(0);
	CapaAuditFields f;
	Datum		values[CAPA_AUDIT_NCOLS];
	bool		nulls[CAPA_AUDIT_NCOLS];
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
	Assert(SPI_tuptable->tupdesc->natts == CAPA_AUDIT_NCOLS);
	heap_deform_tuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, values, nulls);
	capa_audit_fields_from_values(values, nulls, &f);
	initStringInfo(&buf);
	capa_audit_encode(&buf, &f);

	result = SPI_palloc(VARHDRSZ + buf.len);
	SET_VARSIZE(result, VARHDRSZ + buf.len);
	memcpy(VARDATA(result), buf.data, buf.len);
	SPI_finish();
	PG_RETURN_BYTEA_P(result);
}
