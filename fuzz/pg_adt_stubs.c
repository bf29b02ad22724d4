/*-------------------------------------------------------------------------
 *
 * pg_adt_stubs.c
 *	  Stand-ins for the two server output functions capa's audit encoding
 *	  calls: numeric_out (json_text.c, for jsonb numbers) and inet_out
 *	  (chain.c, for client_addr).
 *
 * numeric_out is not linkable without the server (numeric.c needs half of
 * the backend), so this one does two things:
 *	- it reads what the server's would read of its argument, so that a
 *	  pointer capa computed from a corrupted jsonb shows up here (see
 *	  below), as a sanitizer report or a "capa fuzz:" abort;
 *	- it prints the value in numeric_out's format (sign, integer digits,
 *	  display-scale fraction digits, NaN/Infinity), from numeric.c's
 *	  on-disk layout (jsonb_build.h), so that valid numbers, which
 *	  jsonb_build.c writes as integers, come out as the harness expects.
 *	  It does not round or check digits: a corrupted one prints garbage,
 *	  as the server's would.
 *
 * inet_out is the server's own (network_out(src, false) of
 * src/backend/utils/adt/network.c), on the server's pg_inet_net_ntop from
 * libpgport: what is tested is that capa encodes the right address's
 * text, not the formatting.
 *
 * IDENTIFICATION
 *	  fuzz/pg_adt_stubs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/fmgrprotos.h"
#include "utils/inet.h"

#include "jsonb_build.h"

static void
finding(const char *what, const void *p)
{
	fprintf(stderr, "capa fuzz: numeric_out() %s (argument at %p)\n", what, p);
	abort();
}

static uint16
read_u16(const char *p)
{
	uint16		v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Every byte of [p, p + n): AddressSanitizer checks the read */
static void
touch(const char *p, Size n)
{
	volatile char sink = 0;
	Size		i;

	for (i = 0; i < n; i++)
		sink ^= p[i];
	(void) sink;
}

/*
 * The numeric the server's numeric_out would end up reading, after
 * PG_GETARG_NUMERIC's detoasting: its bytes after the varlena header, as
 * (body, *bodylen).  A jsonb only ever holds 4-byte-header uncompressed
 * numerics (convertJsonbScalar copies numeric_in's result), so anything
 * else comes from a corrupted value, and is what the server would do:
 *	- a 1-byte header: copied out (VARSIZE_SHORT bytes read);
 *	- compressed: decompressed (VARSIZE bytes read; corrupt: an ERROR);
 *	- a TOAST pointer: on disk, a fetch from a TOAST table named by the
 *	  bytes (an ERROR here, as for a table that does not exist); indirect
 *	  or expanded, a dereference of a pointer taken from the bytes: a
 *	  crash in the server, a finding here.
 */
static const char *
detoast(const char *p, Size *bodylen)
{
	if (VARATT_IS_EXTERNAL(p))
	{
		uint8		tag = VARTAG_EXTERNAL(p);

		if (tag == VARTAG_ONDISK)
		{
			touch(p, VARHDRSZ_EXTERNAL + sizeof(varatt_external));
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_TABLE),
					 errmsg("could not open relation (numeric_out stand-in: a TOAST pointer)")));
		}
		if (tag == VARTAG_INDIRECT || VARTAG_IS_EXPANDED(tag))
			finding("was given an in-memory TOAST pointer: the server would dereference a pointer read from the jsonb", p);
		/* detoast_external_attr's elog; a corrupted value's, here */
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("unrecognized TOAST vartag %d (numeric_out stand-in)", tag)));
	}
	if (VARATT_IS_1B(p))
	{
		touch(p, VARSIZE_1B(p));
		*bodylen = VARSIZE_1B(p) - VARHDRSZ_SHORT;
		return p + VARHDRSZ_SHORT;
	}
	touch(p, VARSIZE_4B(p));
	if (VARATT_IS_4B_C(p))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("compressed numeric data is corrupt (numeric_out stand-in)")));
	if (VARSIZE_4B(p) < VARHDRSZ)
		finding("was given a numeric shorter than its varlena header", p);
	*bodylen = VARSIZE_4B(p) - VARHDRSZ;
	return p + VARHDRSZ;
}

Datum
numeric_out(PG_FUNCTION_ARGS)
{
	const char *arg = DatumGetPointer(PG_GETARG_DATUM(0));
	Size		bodylen;
	const char *body = detoast(arg, &bodylen);
	uint16		first;
	bool		neg;
	int			dscale;
	int			weight;
	int			hdrlen;
	int			ndigits;
	int			d;
	int			i;
	StringInfoData out;

	/* numeric_out reads the first header word whatever the size */
	if (bodylen < sizeof(uint16))
		finding("would read its header past the numeric's end", arg);
	first = read_u16(body);
	initStringInfo(&out);
	if ((first & FUZZ_NUMERIC_SIGN_MASK) == FUZZ_NUMERIC_SPECIAL)
	{
		appendStringInfoString(&out, first == 0xC000 ? "NaN" :
							   first == 0xD000 ? "Infinity" :
							   first == 0xF000 ? "-Infinity" : "NaN");
		PG_RETURN_CSTRING(out.data);
	}
	if (first & FUZZ_NUMERIC_SHORT)
	{
		hdrlen = sizeof(uint16);
		neg = (first & FUZZ_NUMERIC_SHORT_NEG) != 0;
		dscale = FUZZ_NUMERIC_SHORT_DSCALE(first);
		weight = (first & FUZZ_NUMERIC_SHORT_WEIGHT_MASK) |
			((first & FUZZ_NUMERIC_SHORT_WEIGHT_NEG) ? ~FUZZ_NUMERIC_SHORT_WEIGHT_MASK : 0);
	}
	else
	{
		hdrlen = 2 * sizeof(uint16);
		if (bodylen < (Size) hdrlen)
			finding("would read its long header past the numeric's end", arg);
		neg = (first & 0x4000) != 0;
		dscale = first & 0x3FFF;
		weight = (int16) read_u16(body + sizeof(uint16));
	}
	ndigits = (int) ((bodylen - hdrlen) / sizeof(int16));

#define DIGIT(k) \
	((k) >= 0 && (k) < ndigits ? (int) ((uint16) read_u16(body + hdrlen + 2 * (k)) % 10000) : 0)

	if (neg)
		appendStringInfoChar(&out, '-');
	if (weight < 0)
	{
		d = weight + 1;
		appendStringInfoChar(&out, '0');
	}
	else
	{
		for (d = 0; d <= weight; d++)
			appendStringInfo(&out, d == 0 ? "%d" : "%04d", DIGIT(d));
	}
	if (dscale > 0)
	{
		int			at;

		appendStringInfoChar(&out, '.');
		at = out.len;
		for (i = 0; i < dscale; d++, i += 4)
			appendStringInfo(&out, "%04d", DIGIT(d));
		out.len = at + dscale;
		out.data[out.len] = '\0';
	}
	PG_RETURN_CSTRING(out.data);
}

/* The server's inet_out (network.c: network_out(src, false)) */
Datum
inet_out(PG_FUNCTION_ARGS)
{
	inet	   *src = PG_GETARG_INET_PP(0);
	char		tmp[sizeof("xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:255.255.255.255/128")];
	char	   *dst;

	dst = pg_inet_net_ntop(ip_family(src), ip_addr(src), ip_bits(src),
						   tmp, sizeof(tmp));
	if (dst == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("could not format inet value: %m")));
	PG_RETURN_CSTRING(pstrdup(tmp));
}
