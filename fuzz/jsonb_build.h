/*-------------------------------------------------------------------------
 *
 * jsonb_build.h
 *	  Valid jsonb values built from fuzz input without a server, each with
 *	  the text jsonb_out gives for it, worked out separately.
 *
 * The input describes a JSON value (fuzz_jsonb_build's grammar, below);
 * the builder writes it in jsonb's on-disk layout as utils/jsonb.h
 * documents it (and as convertToJsonb writes it: object keys sorted by
 * length then bytes, without duplicates; numbers and containers int-
 * aligned with the padding counted in the preceding child's length; a
 * raw scalar as a one-element array flagged JB_FSCALAR), except that where
 * the offsets go is taken from the input: the format lets any JEntry hold
 * an offset instead of a length (JB_OFFSET_STRIDE is only the writer's
 * habit), so a reader must follow the JENTRY_HAS_OFF bits.
 *
 * The expected text is written from the value tree, not from the bytes:
 * ", " between members and elements, ": " after keys, strings escaped as
 * PostgreSQL's escape_json() does, numbers as numeric_out writes integers.
 *
 * Grammar of a value (all integers big-endian, zeros once input runs out):
 *	  kind byte k, k % 7:
 *		0 string: length byte, then that many bytes (a NUL byte becomes '0':
 *		  jsonb strings never hold one)
 *		1 number: byte b, then b & 15 (at most 8) bytes of magnitude; b & 0x80
 *		  makes it negative: an integer of up to 64 bits and its sign
 *		2 true, 3 false, 4 null
 *		5 array: stride byte, count byte, then count values
 *		6 object: stride byte, count byte, then count (key, value) pairs,
 *		  a key being a length byte and that many bytes
 *	  A stride byte s puts an offset in every s-th JEntry (0: every 32nd,
 *	  as PostgreSQL does).  Containers nest at most FUZZ_JSONB_MAX_DEPTH
 *	  deep (deeper ones are null) and hold FUZZ_JSONB_MAX_NODES values in
 *	  all (counts are cut to what is left).
 *
 * IDENTIFICATION
 *	  fuzz/jsonb_build.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_FUZZ_JSONB_BUILD_H
#define CAPA_FUZZ_JSONB_BUILD_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

#include "fuzz_input.h"

#define FUZZ_JSONB_MAX_DEPTH	12
#define FUZZ_JSONB_MAX_NODES	2048

/*
 * A palloc'd valid Jsonb (4-byte varlena header, in a chunk of exactly its
 * size) read from s; jsonb_out's text for it is appended to expected.
 */
extern Jsonb *fuzz_jsonb_build(FuzzSource *s, StringInfo expected);

/*
 * The numeric on-disk layout (src/backend/utils/adt/numeric.c, private to
 * it): after the 4-byte varlena header, a uint16 n_header, then base-10000
 * digits as int16.  The short form, which numeric_in writes whenever the
 * weight fits in -64..63 and the display scale in 0..63, flags n_header
 * with 0x8000; 0x2000 is the sign, bits 7..12 the display scale, bit 6
 * the weight's sign and bits 0..5 its value.  The long form has a uint16
 * n_sign_dscale and an int16 n_weight instead (0xC000 and up in the first
 * uint16 are NaN and the infinities).
 */
#define FUZZ_NUMERIC_SHORT			0x8000
#define FUZZ_NUMERIC_SIGN_MASK		0xC000
#define FUZZ_NUMERIC_SPECIAL		0xC000
#define FUZZ_NUMERIC_SHORT_NEG		0x2000
#define FUZZ_NUMERIC_SHORT_DSCALE(h)	(((h) >> 7) & 0x3F)
#define FUZZ_NUMERIC_SHORT_WEIGHT_NEG	0x0040
#define FUZZ_NUMERIC_SHORT_WEIGHT_MASK	0x003F
#define FUZZ_NUMERIC_NBASE			10000

#endif							/* CAPA_FUZZ_JSONB_BUILD_H */
