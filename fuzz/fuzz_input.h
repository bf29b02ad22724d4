/*-------------------------------------------------------------------------
 *
 * fuzz_input.h
 *	  The fuzz input as a stream of big-endian integers and byte strings,
 *	  consumed front to back; zeros once it runs out (so every input,
 *	  however short, describes a complete value).
 *
 * IDENTIFICATION
 *	  fuzz/fuzz_input.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_FUZZ_INPUT_H
#define CAPA_FUZZ_INPUT_H

#include "postgres.h"

typedef struct FuzzSource
{
	const uint8 *p;
	size_t		n;
} FuzzSource;

/* The next `bytes` bytes (0..8) as a big-endian unsigned integer */
static inline uint64
fuzz_take(FuzzSource *s, int bytes)
{
	uint64		v = 0;
	int			i;

	for (i = 0; i < bytes; i++)
	{
		v <<= 8;
		if (s->n > 0)
		{
			v |= *s->p++;
			s->n--;
		}
	}
	return v;
}

/* The next byte, not consumed (0 once the input has run out) */
static inline uint8
fuzz_peek(const FuzzSource *s)
{
	return s->n > 0 ? *s->p : 0;
}

/* len bytes into a palloc'd buffer of exactly len bytes (no terminator,
 * so AddressSanitizer sees a read past the end) */
static inline char *
fuzz_take_bytes(FuzzSource *s, int len)
{
	char	   *b = palloc(len);	/* palloc(0) is a valid, empty chunk */
	int			i;

	for (i = 0; i < len; i++)
		b[i] = (char) fuzz_take(s, 1);
	return b;
}

#endif							/* CAPA_FUZZ_INPUT_H */
