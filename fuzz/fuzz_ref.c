/*-------------------------------------------------------------------------
 *
 * fuzz_ref.c
 *	  capa_ref's SQL I/O (src/types/ref_type.c over src/types/ref_format.c): text in
 *	  and out, binary recv and send, and capa_ref(year, number),
 *	  capa_ref_year(), capa_ref_number().
 *
 * The oracle is docs/reference.md's definition (Types), written independently of
 * ref_format.c: a text is a reference iff it is the canonical spelling
 * "CAPA-%04d-%06lld" of some year 1000-9999 and number 1-999999999999
 * (so there is exactly one spelling per value), and its value is
 * year << 40 | number.
 *
 * Properties, for every input:
 *	  text (the bytes up to the first NUL): in() accepts exactly what the
 *		oracle accepts, with the oracle's value, else fails with 22P02;
 *		accepted: out(in(s)) == s, recv(send(v)) == v, send(v) is v as a
 *		network-order int8, capa_ref_year/number give the parts and
 *		capa_ref(year, number) gives v back;
 *	  binary (all bytes): recv() fails (08P01 short, 22P03 not a
 *		reference) or reads 8 bytes of a valid value; send() gives those
 *		bytes back, out() prints the oracle's spelling and in() reads it;
 *	  capa_ref(year, number) from the first 12 bytes: succeeds iff both are
 *		in range (else 22003), and packs as documented;
 *	  order: for two valid (year, number) pairs from the first 24 bytes, the
 *		packed values compare as the pairs do (year, then number).
 *
 * IDENTIFICATION
 *	  fuzz/fuzz_ref.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdio.h>

#include "fmgr.h"

#include "pg_stubs.h"

extern Datum capa_ref_in(PG_FUNCTION_ARGS);
extern Datum capa_ref_out(PG_FUNCTION_ARGS);
extern Datum capa_ref_recv(PG_FUNCTION_ARGS);
extern Datum capa_ref_send(PG_FUNCTION_ARGS);
extern Datum capa_ref_make(PG_FUNCTION_ARGS);
extern Datum capa_ref_year(PG_FUNCTION_ARGS);
extern Datum capa_ref_number(PG_FUNCTION_ARGS);

int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);

#define YEAR_MIN	1000
#define YEAR_MAX	9999
#define NUMBER_MAX	INT64CONST(999999999999)
#define TWO_40		(INT64CONST(1) << 40)

/* The canonical text of a valid (year, number) */
static void
oracle_print(int year, int64 number, char *buf, size_t len)
{
	snprintf(buf, len, "CAPA-%04d-%06lld", year, (long long) number);
}

/* s is the canonical spelling of a valid reference: its parts */
static bool
oracle_parse(const char *s, int *year, int64 *number)
{
	int			y;
	long long	n;
	int			consumed = -1;
	char		canon[64];

	if (sscanf(s, "CAPA-%4d-%12lld%n", &y, &n, &consumed) != 2 ||
		consumed != (int) strlen(s))
		return false;
	if (y < YEAR_MIN || y > YEAR_MAX || n < 1 || n > NUMBER_MAX)
		return false;
	oracle_print(y, n, canon, sizeof(canon));
	if (strcmp(canon, s) != 0)
		return false;
	*year = y;
	*number = n;
	return true;
}

/* packed is year << 40 | number of a valid reference: its parts */
static bool
oracle_unpack(int64 packed, int *year, int64 *number)
{
	int64		y;
	int64		n;

	if (packed <= 0)
		return false;
	y = packed / TWO_40;
	n = packed % TWO_40;
	if (y < YEAR_MIN || y > YEAR_MAX || n < 1 || n > NUMBER_MAX)
		return false;
	*year = (int) y;
	*number = n;
	return true;
}

static int64
read_be64(const uint8 *p)
{
	uint64		v = 0;
	int			i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return (int64) v;
}

static int32
read_be32(const uint8 *p)
{
	return (int32) ((uint32) p[0] << 24 | (uint32) p[1] << 16 | (uint32) p[2] << 8 | p[3]);
}

/* send(v) must be v as 8 network-order bytes */
static bytea *
send_value(const uint8 *data, size_t size, int64 v)
{
	Datum		arg = Int64GetDatum(v);
	Datum		res;
	bytea	   *b;

	if (!capa_fuzz_call(capa_ref_send, 1, &arg, &res))
		capa_fuzz_fail(data, size, "send(" INT64_FORMAT ") failed", v);
	b = (bytea *) DatumGetPointer(res);
	if (!VARATT_IS_4B_U(b) || VARSIZE(b) - VARHDRSZ != 8 ||
		read_be64((const uint8 *) VARDATA(b)) != v)
		capa_fuzz_fail(data, size, "send(" INT64_FORMAT ") is not a network-order int8", v);
	return b;
}

/* year() and number() of a valid v, and capa_ref(year, number) == v */
static void
check_parts(const uint8 *data, size_t size, int64 v, int year, int64 number)
{
	Datum		args[2];
	Datum		res;

	args[0] = Int64GetDatum(v);
	if (!capa_fuzz_call(capa_ref_year, 1, args, &res) || DatumGetInt32(res) != year)
		capa_fuzz_fail(data, size, "capa_ref_year(" INT64_FORMAT ") != %d", v, year);
	if (!capa_fuzz_call(capa_ref_number, 1, args, &res) || DatumGetInt64(res) != number)
		capa_fuzz_fail(data, size, "capa_ref_number(" INT64_FORMAT ") != " INT64_FORMAT,
					   v, number);
	args[0] = Int32GetDatum(year);
	args[1] = Int64GetDatum(number);
	if (!capa_fuzz_call(capa_ref_make, 2, args, &res) || DatumGetInt64(res) != v)
		capa_fuzz_fail(data, size, "capa_ref(%d, " INT64_FORMAT ") != " INT64_FORMAT,
					   year, number, v);
}

static void
check_text(const uint8 *data, size_t size)
{
	char	   *s = palloc(size + 1);
	bool		valid;
	int			year = 0;
	int64		number = 0;
	Datum		arg;
	Datum		res;
	int64		v;
	bytea	   *sent;

	memcpy(s, data, size);
	s[size] = '\0';
	valid = oracle_parse(s, &year, &number);

	arg = CStringGetDatum(s);
	if (!capa_fuzz_call(capa_ref_in, 1, &arg, &res))
	{
		if (valid)
			capa_fuzz_fail(data, size, "in(\"%s\") refused a valid reference", s);
		if (capa_fuzz_error.sqlerrcode != ERRCODE_INVALID_TEXT_REPRESENTATION)
			capa_fuzz_fail(data, size, "in() failed with %s, not 22P02",
						   capa_fuzz_sqlstate(capa_fuzz_error.sqlerrcode));
		return;
	}
	v = DatumGetInt64(res);
	if (!valid)
		capa_fuzz_fail(data, size, "in(\"%s\") accepted a non-canonical text as " INT64_FORMAT,
					   s, v);
	if (v != ((int64) year << 40 | number))
		capa_fuzz_fail(data, size, "in(\"%s\") = " INT64_FORMAT ", not year << 40 | number",
					   s, v);

	arg = Int64GetDatum(v);
	if (!capa_fuzz_call(capa_ref_out, 1, &arg, &res))
		capa_fuzz_fail(data, size, "out(" INT64_FORMAT ") failed", v);
	if (strcmp(DatumGetCString(res), s) != 0)
		capa_fuzz_fail(data, size, "out(in(\"%s\")) = \"%s\"", s, DatumGetCString(res));

	sent = send_value(data, size, v);
	arg = PointerGetDatum(capa_fuzz_message((const uint8 *) VARDATA(sent), 8));
	if (!capa_fuzz_call(capa_ref_recv, 1, &arg, &res) || DatumGetInt64(res) != v)
		capa_fuzz_fail(data, size, "recv(send(" INT64_FORMAT ")) did not give it back", v);
	check_parts(data, size, v, year, number);
}

static void
check_binary(const uint8 *data, size_t size)
{
	StringInfo	msg = capa_fuzz_message(data, size);
	Datum		arg = PointerGetDatum(msg);
	Datum		res;
	int64		v;
	int			year;
	int64		number;
	bool		valid = size >= 8 && oracle_unpack(read_be64(data), &year, &number);
	bytea	   *sent;
	char		canon[64];

	if (!capa_fuzz_call(capa_ref_recv, 1, &arg, &res))
	{
		int			want = size < 8 ? ERRCODE_PROTOCOL_VIOLATION
			: ERRCODE_INVALID_BINARY_REPRESENTATION;

		if (valid)
			capa_fuzz_fail(data, size, "recv() refused a valid value");
		if (capa_fuzz_error.sqlerrcode != want)
			capa_fuzz_fail(data, size, "recv() failed with %s",
						   capa_fuzz_sqlstate(capa_fuzz_error.sqlerrcode));
		return;
	}
	v = DatumGetInt64(res);
	if (!valid)
		capa_fuzz_fail(data, size, "recv() accepted " INT64_FORMAT, v);
	if (msg->cursor != 8 || v != read_be64(data))
		capa_fuzz_fail(data, size, "recv() read %d bytes as " INT64_FORMAT, msg->cursor, v);

	/* left-over bytes are the caller's 22P03; what was read must round-trip */
	sent = send_value(data, size, v);
	if (memcmp(VARDATA(sent), data, 8) != 0)
		capa_fuzz_fail(data, size, "send(recv(b)) != b");

	arg = Int64GetDatum(v);
	if (!capa_fuzz_call(capa_ref_out, 1, &arg, &res))
		capa_fuzz_fail(data, size, "out() of received " INT64_FORMAT " failed", v);
	oracle_print(year, number, canon, sizeof(canon));
	if (strcmp(DatumGetCString(res), canon) != 0)
		capa_fuzz_fail(data, size, "out(" INT64_FORMAT ") = \"%s\", not \"%s\"",
					   v, DatumGetCString(res), canon);
	arg = CStringGetDatum(DatumGetCString(res));
	if (!capa_fuzz_call(capa_ref_in, 1, &arg, &res) || DatumGetInt64(res) != v)
		capa_fuzz_fail(data, size, "in(out(" INT64_FORMAT ")) did not give it back", v);
	check_parts(data, size, v, year, number);
}

/* capa_ref(year, number) and capa_ref_year/number on any int8 */
static void
check_make(const uint8 *data, size_t size)
{
	int32		year;
	int64		number;
	int64		stored;
	Datum		args[2];
	Datum		res;
	bool		in_range;
	bool		ok;
	int			y;
	int64		n;

	if (size < 12)
		return;
	year = read_be32(data);
	number = read_be64(data + 4);
	in_range = year >= YEAR_MIN && year <= YEAR_MAX && number >= 1 && number <= NUMBER_MAX;
	args[0] = Int32GetDatum(year);
	args[1] = Int64GetDatum(number);
	ok = capa_fuzz_call(capa_ref_make, 2, args, &res);
	if (ok != in_range)
		capa_fuzz_fail(data, size, "capa_ref(%d, " INT64_FORMAT ") %s", year, number,
					   ok ? "succeeded" : "failed");
	if (!ok && capa_fuzz_error.sqlerrcode != ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE)
		capa_fuzz_fail(data, size, "capa_ref() failed with %s, not 22003",
					   capa_fuzz_sqlstate(capa_fuzz_error.sqlerrcode));
	if (ok && DatumGetInt64(res) != ((int64) year * TWO_40 + number))
		capa_fuzz_fail(data, size, "capa_ref(%d, " INT64_FORMAT ") = " INT64_FORMAT,
					   year, number, DatumGetInt64(res));

	/* any stored int8: year()/number()/out() fail with XX001 unless valid */
	stored = read_be64(data + 4);
	args[0] = Int64GetDatum(stored);
	ok = capa_fuzz_call(capa_ref_year, 1, args, &res);
	if (ok != oracle_unpack(stored, &y, &n) ||
		(!ok && capa_fuzz_error.sqlerrcode != ERRCODE_DATA_CORRUPTED) ||
		(ok && DatumGetInt32(res) != y))
		capa_fuzz_fail(data, size, "capa_ref_year(" INT64_FORMAT ") wrong", stored);
	ok = capa_fuzz_call(capa_ref_out, 1, args, &res);
	if (ok != oracle_unpack(stored, &y, &n) ||
		(!ok && capa_fuzz_error.sqlerrcode != ERRCODE_DATA_CORRUPTED))
		capa_fuzz_fail(data, size, "out(" INT64_FORMAT ") wrong", stored);
}

/* Packed values order as (year, number) pairs do */
static void
check_order(const uint8 *data, size_t size)
{
	int			y[2];
	int64		n[2];
	int64		p[2];
	int			i;
	int			want;
	int			got;

	if (size < 24)
		return;
	for (i = 0; i < 2; i++)
	{
		Datum		args[2];
		Datum		res;

		y[i] = YEAR_MIN + (int) ((uint32) read_be32(data + 12 * i) % (YEAR_MAX - YEAR_MIN + 1));
		n[i] = 1 + (int64) ((uint64) read_be64(data + 12 * i + 4) % (uint64) NUMBER_MAX);
		args[0] = Int32GetDatum(y[i]);
		args[1] = Int64GetDatum(n[i]);
		if (!capa_fuzz_call(capa_ref_make, 2, args, &res))
			capa_fuzz_fail(data, size, "capa_ref(%d, " INT64_FORMAT ") failed", y[i], n[i]);
		p[i] = DatumGetInt64(res);
	}
	want = y[0] != y[1] ? (y[0] < y[1] ? -1 : 1) : (n[0] != n[1] ? (n[0] < n[1] ? -1 : 1) : 0);
	got = p[0] != p[1] ? (p[0] < p[1] ? -1 : 1) : 0;
	if (want != got)
		capa_fuzz_fail(data, size, "(%d, " INT64_FORMAT ") vs (%d, " INT64_FORMAT
					   ") compare %d, packed %d", y[0], n[0], y[1], n[1], want, got);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	check_text(data, size);
	check_binary(data, size);
	check_make(data, size);
	check_order(data, size);
	capa_fuzz_reset();
	return 0;
}
