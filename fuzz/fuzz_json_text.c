/*-------------------------------------------------------------------------
 *
 * fuzz_json_text.c
 *	  capa_jsonb_text() in src/json_text.c: jsonb's text output written
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
 * Known finding (fuzz/README.md, F3): capa_jsonb_text() reads a nested
 * container's header, and hands numeric_out a numeric, without checking
 * they lie within the value (and numerics that are not as jsonb stores
 * them, e.g. a TOAST pointer numeric_out would follow); it also recurses
 * without check_stack_depth().  Until that is fixed, malformed inputs
 * whose walk reaches one of those cases (known_finding() below) are
 * skipped; build with -DCAPA_FUZZ_FULL_JSONB to fuzz them too, and drop
 * the screen with the fix.
 *
 * IDENTIFICATION
 *	  fuzz/fuzz_json_text.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fuzz_input.h"
#include "json_text.h"
#include "jsonb_build.h"
#include "pg_stubs.h"

int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);

#ifndef CAPA_FUZZ_FULL_JSONB
/*
 * F3's screen: follows the walk capa_jsonb_text() makes (children in
 * output order, each bounded as json_text.c bounds it) and says whether it
 * reaches a case F3 leaves unchecked before an error that json_text.c does
 * raise.  Written from utils/jsonb.h's layout.
 */
typedef enum
{
	WALK_OK,					/* capa writes the value */
	WALK_ERROR,					/* capa raises XX001 first */
	WALK_F3						/* capa reaches a known unchecked case */
} Walk;

static bool
numeric_as_stored(const char *n, uint32 room)
{
	uint16		first;

	if (room < VARHDRSZ + sizeof(uint16) || !VARATT_IS_4B_U(n) ||
		VARSIZE(n) > room || VARSIZE(n) < VARHDRSZ + sizeof(uint16))
		return false;
	memcpy(&first, n + VARHDRSZ, sizeof(first));
	return (first & FUZZ_NUMERIC_SHORT) != 0 || VARSIZE(n) >= VARHDRSZ + 2 * sizeof(uint16);
}

static Walk walk_container(const char *jc, const char *limit, int depth);

static Walk
walk_child(JEntry je, const char *base, uint32 start, uint32 end, const char *limit,
		   int depth)
{
	uint32		at = INTALIGN(start);

	if (base + end > limit || start > end)
		return WALK_ERROR;
	switch (je & JENTRY_TYPEMASK)
	{
		case JENTRY_ISSTRING:
		case JENTRY_ISBOOL_TRUE:
		case JENTRY_ISBOOL_FALSE:
		case JENTRY_ISNULL:
			return WALK_OK;
		case JENTRY_ISNUMERIC:
			return at <= end && numeric_as_stored(base + at, end - at) ? WALK_OK : WALK_F3;
		case JENTRY_ISCONTAINER:
			if (at > end || end - at < sizeof(uint32))
				return WALK_F3;
			return walk_container(base + at, base + end, depth + 1);
		default:
			return WALK_ERROR;
	}
}

static Walk
walk_container(const char *jc, const char *limit, int depth)
{
	uint32		header;
	int			count;
	int			nentries;
	const JEntry *children = (const JEntry *) (jc + sizeof(uint32));
	const char *base;
	uint32		offset = 0;
	uint32	   *starts;
	uint32	   *ends;
	int			i;
	Walk		w = WALK_OK;

	if (limit - jc < (ptrdiff_t) sizeof(uint32) || depth > 1000)
		return WALK_F3;
	memcpy(&header, jc, sizeof(header));
	count = (int) (header & JB_CMASK);
	nentries = (header & JB_FOBJECT) ? 2 * count : count;
	if ((size_t) nentries > (size_t) (limit - (const char *) children) / sizeof(JEntry))
		return WALK_ERROR;
	base = (const char *) &children[nentries];
	starts = palloc(Max(nentries, 1) * sizeof(uint32));
	ends = palloc(Max(nentries, 1) * sizeof(uint32));
	for (i = 0; i < nentries; i++)
	{
		starts[i] = offset;
		JBE_ADVANCE_OFFSET(offset, children[i]);
		ends[i] = offset;
	}
	if (header & JB_FSCALAR)
		w = count != 1 ? WALK_ERROR :
			walk_child(children[0], base, starts[0], ends[0], limit, depth);
	else if (header & JB_FOBJECT)
	{
		for (i = 0; i < count && w == WALK_OK; i++)
		{
			w = walk_child(children[i], base, starts[i], ends[i], limit, depth);
			if (w == WALK_OK)
				w = walk_child(children[count + i], base, starts[count + i],
							   ends[count + i], limit, depth);
		}
	}
	else
	{
		for (i = 0; i < count && w == WALK_OK; i++)
			w = walk_child(children[i], base, starts[i], ends[i], limit, depth);
	}
	pfree(starts);
	pfree(ends);
	return w;
}

static bool
known_finding(const Jsonb *j)
{
	return walk_container((const char *) &j->root, (const char *) j + VARSIZE(j), 0) == WALK_F3;
}
#else
#define known_finding(j) false
#endif

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
		if (!known_finding(j))
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
		{
			if (!known_finding(j))
				run(j, prefix, &out, data, size);
		}
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
			if (!known_finding(j))
				run(j, prefix, &out, data, size);
		}
	}
	capa_fuzz_reset();
	return 0;
}
