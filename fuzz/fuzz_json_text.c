/*-------------------------------------------------------------------------
 *
 * fuzz_json_text.c
 *	  capa_jsonb_text() in src/audit/json_text.c: jsonb's text output written
 *	  from the on-disk container layout, which the audit encoding covers
 *	  ("changed") and verification recomputes for every audit row.
 *
 * The first byte picks the mode (% 4):
 *	  0 raw: the rest is the jsonb's data (its root container), under a
 *		varlena header giving its true size (a detoasted value's size is
 *		trustworthy, its content is not);
 *	  1 valid: the rest is a value in jsonb_build.h's grammar, built into a
 *		valid jsonb: the text must be exactly jsonb_out's (as jsonb_build.c
 *		works it out from the value), appended after the bytes already in
 *		the buffer, which stay;
 *	  2 corrupted: as 1, then the rest of the input is (offset (2), xor (1))
 *		triples flipping bits of the jsonb's data;
 *	  3 truncated: as 1, then the rest of the input (2 bytes) is a shorter
 *		size the value is cut to (its header says so).
 * In modes 0, 2 and 3, capa_jsonb_text() may either write something or
 * raise ERRCODE_DATA_CORRUPTED (or an error numeric_out's detoasting
 * raises for what capa gave it, fuzz/pg_adt_stubs.c), but never read
 * outside the value, crash, loop or hit undefined behaviour; mode 2 with
 * no bit flipped and mode 3 with no cut must give the exact text.
 *
 * Finding F3 (fuzz/README.md), fixed in src/audit/json_text.c: a nested
 * container's header and numerics were not checked to lie within the
 * value, numerics not as jsonb stores them (a TOAST pointer numeric_out
 * would follow) were passed on, and deep nesting had no stack check.
 * Its reproducers are in the corpus.
 *
 * IDENTIFICATION
 *	  fuzz/fuzz_json_text.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fuzz_input.h"
#include "audit/json_text.h"
#include "jsonb_build.h"
#include "pg_stubs.h"

int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);


/* capa_jsonb_text(buf, jsonb) as a V1 function, for capa_fuzz_call */
static Datum
call_jsonb_text(PG_FUNCTION_ARGS)
{
	capa_jsonb_text((StringInfo) PG_GETARG_POINTER(0), (Jsonb *) PG_GETARG_POINTER(1));
	PG_RETURN_VOID();
}

/* The errors a malformed value may end in */
static bool
allowed_error(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_DATA_CORRUPTED ||
		sqlerrcode == ERRCODE_STATEMENT_TOO_COMPLEX ||	/* check_stack_depth() */
		sqlerrcode == ERRCODE_UNDEFINED_TABLE;	/* numeric_out's TOAST fetch */
}

/* A Jsonb of exactly 4 + len bytes: a header giving that size, then data */
static Jsonb *
jsonb_of(const uint8 *p, size_t len)
{
	char	   *j = palloc(VARHDRSZ + len);

	memcpy(j + VARHDRSZ, p, len);
	SET_VARSIZE(j, VARHDRSZ + len);
	return (Jsonb *) j;
}

/* Run capa_jsonb_text on j after a few bytes; true and *out on success */
static bool
run(Jsonb *j, int prefix, StringInfo out, const uint8 *data, size_t size)
{
	Datum		args[2];
	Datum		res;
	int			i;

	initStringInfo(out);
	for (i = 0; i < prefix; i++)
		appendStringInfoChar(out, (char) ('a' + i));
	args[0] = PointerGetDatum(out);
	args[1] = PointerGetDatum(j);
	if (!capa_fuzz_call(call_jsonb_text, 2, args, &res))
	{
		if (!allowed_error(capa_fuzz_error.sqlerrcode))
			capa_fuzz_fail(data, size, "capa_jsonb_text raised %s: %s",
						   capa_fuzz_sqlstate(capa_fuzz_error.sqlerrcode),
						   capa_fuzz_error.message);
		return false;
	}
	for (i = 0; i < prefix; i++)
	{
		if (out->data[i] != 'a' + i)
			capa_fuzz_fail(data, size, "capa_jsonb_text overwrote the buffer's bytes");
	}
	if (out->data[out->len] != '\0')
		capa_fuzz_fail(data, size, "the buffer is not terminated at its length");
	return true;
}

static void
expect_text(Jsonb *j, int prefix, const StringInfo expected,
			const uint8 *data, size_t size)
{
	StringInfoData out;

	if (!run(j, prefix, &out, data, size))
		capa_fuzz_fail(data, size, "a valid jsonb raised %s: %s (expected %s)",
					   capa_fuzz_sqlstate(capa_fuzz_error.sqlerrcode),
					   capa_fuzz_error.message, expected->data);
	if (out.len - prefix != expected->len ||
		memcmp(out.data + prefix, expected->data, expected->len) != 0)
		capa_fuzz_fail(data, size, "capa_jsonb_text gave %s, not jsonb_out's %s",
					   out.data + prefix, expected->data);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	FuzzSource	s;
	StringInfoData expected;
	StringInfoData out;
	Jsonb	   *j;
	int			mode;
	int			prefix;

	if (size == 0)
		return 0;
	mode = data[0] % 4;
	prefix = data[0] >> 5;
	if (mode == 0)
	{
		j = jsonb_of(data + 1, size - 1);
		run(j, prefix, &out, data, size);
		capa_fuzz_reset();
		return 0;
	}

	s.p = data + 1;
	s.n = size - 1;
	initStringInfo(&expected);
	j = fuzz_jsonb_build(&s, &expected);
	if (mode == 1)
		expect_text(j, prefix, &expected, data, size);
	else if (mode == 2)
	{
		int			datalen = (int) VARSIZE(j) - VARHDRSZ;
		bool		changed = false;

		while (s.n >= 3 && datalen > 0)
		{
			int			at = (int) (fuzz_take(&s, 2) % datalen);
			uint8		x = (uint8) fuzz_take(&s, 1);

			((uint8 *) j)[VARHDRSZ + at] ^= x;
			changed |= x != 0;
		}
		if (changed)
			run(j, prefix, &out, data, size);
		else
			expect_text(j, prefix, &expected, data, size);
	}
	else
	{
		int			datalen = (int) VARSIZE(j) - VARHDRSZ;
		int			cut = s.n > 0 ? (int) (fuzz_take(&s, 2) % (datalen + 1)) : datalen;

		if (cut == datalen)
			expect_text(j, prefix, &expected, data, size);
		else
		{
			j = jsonb_of((const uint8 *) j + VARHDRSZ, cut);
			run(j, prefix, &out, data, size);
		}
	}
	capa_fuzz_reset();
	return 0;
}
