/*-------------------------------------------------------------------------
 *
 * ref_type.c
 *	  SQL type capa_ref: a record's reference, CAPA-YYYY-NNNNNN, stored as
 *	  a packed int64 (8 bytes, by value); binary form is that int64.
 *
 * Comparison and hashing reuse core's int8 support functions, which order
 * references by year and then number (see ref_format.h).
 *
 * IDENTIFICATION
 *	  src/types/ref_type.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"

#include "types/ref_format.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_ref_in);
PG_FUNCTION_INFO_V1(capa_ref_out);
PG_FUNCTION_INFO_V1(capa_ref_recv);
PG_FUNCTION_INFO_V1(capa_ref_send);
PG_FUNCTION_INFO_V1(capa_ref_make);
PG_FUNCTION_INFO_V1(capa_ref_year);
PG_FUNCTION_INFO_V1(capa_ref_number);

Datum
capa_ref_in(PG_FUNCTION_ARGS)
{
	const char *str = PG_GETARG_CSTRING(0);
	int64_t		packed;

	if (!capa_ref_parse(str, strlen(str), &packed))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type capa_ref: \"%s\"", str),
				 errhint("The accepted form is %s, e.g. CAPA-2024-000042.",
						 CAPA_REF_ACCEPTED)));
	PG_RETURN_INT64(packed);
}

Datum
capa_ref_out(PG_FUNCTION_ARGS)
{
	int64		packed = PG_GETARG_INT64(0);
	char	   *buf = palloc(CAPA_REF_TEXT_MAX);

	if (!capa_ref_format(packed, buf))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid capa_ref value " INT64_FORMAT, packed)));
	PG_RETURN_CSTRING(buf);
}

Datum
capa_ref_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int64		packed = pq_getmsgint64(buf);
	int			year;
	int64_t		number;

	if (!capa_ref_unpack(packed, &year, &number))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external value " INT64_FORMAT " for type capa_ref", packed)));
	PG_RETURN_INT64(packed);
}

Datum
capa_ref_send(PG_FUNCTION_ARGS)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, PG_GETARG_INT64(0));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* capa_ref(year, number): build a reference from its parts */
Datum
capa_ref_make(PG_FUNCTION_ARGS)
{
	int32		year = PG_GETARG_INT32(0);
	int64		number = PG_GETARG_INT64(1);
	int64_t		packed;

	if (!capa_ref_pack(year, number, &packed))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("capa_ref year %d or number " INT64_FORMAT " is out of range",
						year, number),
				 errhint("The year runs from %d to %d, the number from 1 to " INT64_FORMAT ".",
						 CAPA_REF_YEAR_MIN, CAPA_REF_YEAR_MAX,
						 (int64) CAPA_REF_NUMBER_MAX)));
	PG_RETURN_INT64(packed);
}

Datum
capa_ref_year(PG_FUNCTION_ARGS)
{
	int			year;
	int64_t		number;

	if (!capa_ref_unpack(PG_GETARG_INT64(0), &year, &number))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("invalid capa_ref value")));
	PG_RETURN_INT32(year);
}

Datum
capa_ref_number(PG_FUNCTION_ARGS)
{
	int			year;
	int64_t		number;

	if (!capa_ref_unpack(PG_GETARG_INT64(0), &year, &number))
		ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED), errmsg("invalid capa_ref value")));
	PG_RETURN_INT64(number);
}

/* Text of a capa_ref Datum, for messages */
char *
capa_ref_cstring(Datum ref)
{
	char	   *buf = palloc(CAPA_REF_TEXT_MAX);

	if (!capa_ref_format(DatumGetCapaRef(ref), buf))
		snprintf(buf, CAPA_REF_TEXT_MAX, "(invalid)");
	return buf;
}
