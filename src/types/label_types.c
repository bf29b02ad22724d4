/*-------------------------------------------------------------------------
 *
 * label_types.c
 *	  SQL types capa_state and capa_severity: a stable int2 code on disk,
 *	  a label as text, the code (int2, network order) in binary.
 *
 * Comparison and hashing reuse core's int2 support functions (declared
 * LANGUAGE internal in the install script, as contrib/isn does for int8),
 * so the codes' order is the types' order.
 *
 * IDENTIFICATION
 *	  src/types/label_types.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "libpq/pqformat.h"

#include "types/labels.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_state_in);
PG_FUNCTION_INFO_V1(capa_state_out);
PG_FUNCTION_INFO_V1(capa_state_recv);
PG_FUNCTION_INFO_V1(capa_state_send);
PG_FUNCTION_INFO_V1(capa_severity_in);
PG_FUNCTION_INFO_V1(capa_severity_out);
PG_FUNCTION_INFO_V1(capa_severity_recv);
PG_FUNCTION_INFO_V1(capa_severity_send);

/* Text to code, or 22P02 naming the accepted labels */
static int16
label_in(const CapaLabelSet *set, const char *str)
{
	int			code = capa_label_parse(set, str, strlen(str));

	if (code == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type %s: \"%s\"", set->type_name, str),
				 errhint("Accepted values: %s.", set->accepted)));
	return (int16) code;
}

/* Code to text; a code that is not in the set is corruption */
static char *
label_out(const CapaLabelSet *set, int16 code)
{
	const char *name = capa_label_name(set, code);

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid code %d for type %s", (int) code, set->type_name)));
	return pstrdup(name);
}

/* Binary code to code, or 22P03 */
static int16
label_recv(const CapaLabelSet *set, StringInfo buf)
{
	int16		code = (int16) pq_getmsgint(buf, sizeof(int16));

	if (capa_label_name(set, code) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid external value %d for type %s", (int) code, set->type_name),
				 errhint("Accepted codes: 1 to %d (%s).", set->count, set->accepted)));
	return code;
}

static bytea *
label_send(int16 code)
{
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, code);
	return pq_endtypsend(&buf);
}

Datum
capa_state_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT16(label_in(&capa_state_labels, PG_GETARG_CSTRING(0)));
}

Datum
capa_state_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(label_out(&capa_state_labels, PG_GETARG_INT16(0)));
}

Datum
capa_state_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT16(label_recv(&capa_state_labels, (StringInfo) PG_GETARG_POINTER(0)));
}

Datum
capa_state_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(label_send(PG_GETARG_INT16(0)));
}

Datum
capa_severity_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT16(label_in(&capa_severity_labels, PG_GETARG_CSTRING(0)));
}

Datum
capa_severity_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(label_out(&capa_severity_labels, PG_GETARG_INT16(0)));
}

Datum
capa_severity_recv(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT16(label_recv(&capa_severity_labels, (StringInfo) PG_GETARG_POINTER(0)));
}

Datum
capa_severity_send(PG_FUNCTION_ARGS)
{
	PG_RETURN_BYTEA_P(label_send(PG_GETARG_INT16(0)));
}

/* Name of a state code, for messages */
const char *
capa_state_cstring(int code)
{
	const char *name = capa_label_name(&capa_state_labels, code);

	return name ? name : "?";
}
