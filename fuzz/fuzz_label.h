/*-------------------------------------------------------------------------
 *
 * fuzz_label.h
 *	  The harness body shared by fuzz_state.c and fuzz_severity.c: the SQL
 *	  I/O functions of one label type (src/types/label_types.c over
 *	  src/types/labels.c), fed one input both as text and as a binary message.
 *
 * Define before including: LABEL_SET (the CapaLabelSet), LABEL_IN,
 * LABEL_OUT, LABEL_RECV, LABEL_SEND (the V1 functions), and LABEL_NAMES,
 * the accepted labels in code order as docs/reference.md lists them (Types)
 * (the oracle: written out again here, not read from labels.c).
 *
 * Properties, for every input:
 *	  text (the bytes up to the first NUL, as a cstring):
 *		- in() accepts exactly the labels docs/reference.md lists, spelled
 *		  exactly, and gives their code (1-based, in docs/reference.md's
 *		  order); anything else fails with 22P02 and a hint naming every
 *		  accepted label;
 *		- accepted: out(in(s)) == s, and recv(send(in(s))) == in(s);
 *	  binary (all the bytes, as a receive buffer):
 *		- recv() fails (22P03 for a bad code, 08P01 for too few bytes), or
 *		  reads two bytes; the server then refuses left-over bytes, and
 *		  otherwise send(recv(b)) == b and out() prints the value;
 *	  any int16 (the first two bytes) as a stored value:
 *		- out() prints codes 1..N and fails with XX001 for the rest.
 *
 * IDENTIFICATION
 *	  fuzz/fuzz_label.h
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "types/labels.h"
#include "pg_stubs.h"

extern Datum LABEL_IN(PG_FUNCTION_ARGS);
extern Datum LABEL_OUT(PG_FUNCTION_ARGS);
extern Datum LABEL_RECV(PG_FUNCTION_ARGS);
extern Datum LABEL_SEND(PG_FUNCTION_ARGS);

static const char *const oracle_names[] = {LABEL_NAMES};
#define ORACLE_COUNT ((int) lengthof(oracle_names))

int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);

/* Code of s by the oracle, or 0 */
static int
oracle_code(const char *s)
{
	int			i;

	for (i = 0; i < ORACLE_COUNT; i++)
	{
		if (strcmp(oracle_names[i], s) == 0)
			return i + 1;
	}
	return 0;
}

/* send(code) as a bytea; checks its shape */
static bytea *
send_code(const uint8 *data, size_t size, int16 code)
{
	Datum		arg = Int16GetDatum(code);
	Datum		res;
	bytea	   *b;

	if (!capa_fuzz_call(LABEL_SEND, 1, &arg, &res))
		capa_fuzz_fail(data, size, "send(%d) failed: %s", code, capa_fuzz_error.message);
	b = (bytea *) DatumGetPointer(res);	/* a plain 4-byte-header bytea */
	if (!VARATT_IS_4B_U(b) || VARSIZE(b) - VARHDRSZ != 2 ||
		(uint8) VARDATA(b)[0] != (uint8) ((uint16) code >> 8) ||
		(uint8) VARDATA(b)[1] != (uint8) code)
		capa_fuzz_fail(data, size, "send(%d) is not the code as a network-order int2", code);
	return b;
}

static void
check_text(const uint8 *data, size_t size)
{
	char	   *s = palloc(size + 1);
	Datum		arg;
	Datum		res;
	int			expect;
	int16		code;
	char	   *out;
	bytea	   *sent;

	/* a cstring ends at its first NUL */
	memcpy(s, data, size);
	s[size] = '\0';
	expect = oracle_code(s);

	arg = CStringGetDatum(s);
	if (!capa_fuzz_call(LABEL_IN, 1, &arg, &res))
	{
		int			i;

		if (expect != 0)
			capa_fuzz_fail(data, size, "in(\"%s\") refused a label docs/reference.md lists: %s",
						   s, capa_fuzz_error.message);
		if (capa_fuzz_error.sqlerrcode != ERRCODE_INVALID_TEXT_REPRESENTATION)
			capa_fuzz_fail(data, size, "in() failed with %s, not 22P02",
						   capa_fuzz_sqlstate(capa_fuzz_error.sqlerrcode));
		for (i = 0; i < ORACLE_COUNT; i++)
		{
			if (strstr(capa_fuzz_error.hint, oracle_names[i]) == NULL)
				capa_fuzz_fail(data, size, "the hint \"%s\" does not name \"%s\"",
							   capa_fuzz_error.hint, oracle_names[i]);
		}
		return;
	}
	code = DatumGetInt16(res);
	if (code != expect)
		capa_fuzz_fail(data, size, "in(\"%s\") = %d, docs/reference.md says %d", s, code, expect);

	arg = Int16GetDatum(code);
	if (!capa_fuzz_call(LABEL_OUT, 1, &arg, &res))
		capa_fuzz_fail(data, size, "out(%d) failed: %s", code, capa_fuzz_error.message);
	out = DatumGetCString(res);
	if (strcmp(out, s) != 0)
		capa_fuzz_fail(data, size, "out(in(\"%s\")) = \"%s\"", s, out);

	sent = send_code(data, size, code);
	arg = PointerGetDatum(capa_fuzz_message((const uint8 *) VARDATA(sent),
											VARSIZE(sent) - VARHDRSZ));
	if (!capa_fuzz_call(LABEL_RECV, 1, &arg, &res))
		capa_fuzz_fail(data, size, "recv(send(%d)) failed: %s", code, capa_fuzz_error.message);
	if (DatumGetInt16(res) != code)
		capa_fuzz_fail(data, size, "recv(send(%d)) = %d", code, DatumGetInt16(res));
}

static void
check_binary(const uint8 *data, size_t size)
{
	StringInfo	msg = capa_fuzz_message(data, size);
	Datum		arg = PointerGetDatum(msg);
	Datum		res;
	int16		code;
	bytea	   *sent;

	if (!capa_fuzz_call(LABEL_RECV, 1, &arg, &res))
	{
		int			want = size < 2 ? ERRCODE_PROTOCOL_VIOLATION
			: ERRCODE_INVALID_BINARY_REPRESENTATION;

		if (capa_fuzz_error.sqlerrcode != want)
			capa_fuzz_fail(data, size, "recv() failed with %s, not %s",
						   capa_fuzz_sqlstate(capa_fuzz_error.sqlerrcode),
						   size < 2 ? "08P01" : "22P03");
		if (size >= 2)
		{
			int			c = (int16) ((data[0] << 8) | data[1]);

			if (c >= 1 && c <= ORACLE_COUNT)
				capa_fuzz_fail(data, size, "recv() refused code %d", c);
		}
		return;
	}
	code = DatumGetInt16(res);
	if (msg->cursor != 2)
		capa_fuzz_fail(data, size, "recv() read %d bytes, not 2", msg->cursor);
	if (code < 1 || code > ORACLE_COUNT)
		capa_fuzz_fail(data, size, "recv() accepted code %d", code);

	/*
	 * The caller (COPY BINARY, Bind) refuses bytes left over with 22P03;
	 * what recv() read must be what send() writes.
	 */
	sent = send_code(data, size, code);
	if (memcmp(VARDATA(sent), data, 2) != 0)
		capa_fuzz_fail(data, size, "send(recv(b)) != b");

	arg = Int16GetDatum(code);
	if (!capa_fuzz_call(LABEL_OUT, 1, &arg, &res))
		capa_fuzz_fail(data, size, "out() of a received code %d failed", code);
	if (strcmp(DatumGetCString(res), oracle_names[code - 1]) != 0)
		capa_fuzz_fail(data, size, "out(%d) = \"%s\"", code, DatumGetCString(res));
}

/* The first two bytes as a stored int16, as a corrupt page could hold */
static void
check_stored(const uint8 *data, size_t size)
{
	int16		code;
	Datum		arg;
	Datum		res;
	bool		ok;

	if (size < 2)
		return;
	code = (int16) ((data[0] << 8) | data[1]);
	arg = Int16GetDatum(code);
	ok = capa_fuzz_call(LABEL_OUT, 1, &arg, &res);
	if (ok != (code >= 1 && code <= ORACLE_COUNT))
		capa_fuzz_fail(data, size, "out(%d) %s", code, ok ? "succeeded" : "failed");
	if (!ok && capa_fuzz_error.sqlerrcode != ERRCODE_DATA_CORRUPTED)
		capa_fuzz_fail(data, size, "out(%d) failed with %s, not XX001", code,
					   capa_fuzz_sqlstate(capa_fuzz_error.sqlerrcode));
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	/* the label set and the oracle agree on the count */
	if (LABEL_SET.count != ORACLE_COUNT)
		capa_fuzz_fail(data, size, "%s has %d labels, docs/reference.md %d",
					   LABEL_SET.type_name, LABEL_SET.count, ORACLE_COUNT);
	check_text(data, size);
	check_binary(data, size);
	check_stored(data, size);
	capa_fuzz_reset();
	return 0;
}
