/*-------------------------------------------------------------------------
 *
 * fuzz_digest.c
 *	  The digest text, capa_parse_digest() and capa_format_digest() in
 *	  src/audit/digest.c: what capa_digest() returns and
 *	  capa_audit_verify(digest => ...) reads back.
 *
 * The first byte picks the mode:
 *	  even: the rest is a text (up to its first NUL), as given to
 *		capa_audit_verify.  parse() accepts exactly docs/audit-chain.md's form
 *		capa-digest:v1:<max seq>:<chains>:<64 lower-case hex digits>, the
 *		counts being 1 to 19 decimal digits of at most INT64_MAX, which is
 *		what capa_format_digest() can write (an oracle written here); the
 *		parts it returns are those of the text; and format() of them
 *		gives the text back, except for leading zeros in the counts,
 *		which format() does not write (and parse() then reads the same
 *		parts again);
 *	  odd: the rest is (max seq, chains, hash), counts of any int64 >= 0;
 *		format() then parse() gives them back: every digest capa_digest()
 *		can issue is accepted (fuzz/README.md, F2, fixed).
 *
 * IDENTIFICATION
 *	  fuzz/fuzz_digest.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "audit/chain.h"
#include "audit/digest.h"
#include "pg_stubs.h"

int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);

#define PREFIX		"capa-digest:v1:"

/*
 * A count: 1 to 19 decimal digits of at most INT64_MAX (any int64 >= 0,
 * which capa_format_digest() can write, leading zeros allowed).  Advances
 * *p past the digits.
 */
#define MAX_COUNT_DIGITS 19

static bool
oracle_count(const char **p, int64 *v, bool *leading_zero)
{
	const char *s = *p;
	uint64		u = 0;			/* 19 digits fit in a uint64 */
	int			n = 0;

	while (s[n] >= '0' && s[n] <= '9')
	{
		if (n == MAX_COUNT_DIGITS)
			return false;
		u = u * 10 + (uint64) (s[n] - '0');
		n++;
	}
	if (n == 0 || u > (uint64) PG_INT64_MAX)
		return false;
	if (n > 1 && s[0] == '0')
		*leading_zero = true;
	*v = (int64) u;
	*p = s + n;
	return true;
}

static int
oracle_hex(char c)
{
	const char *digits = "0123456789abcdef";
	const char *at = c ? strchr(digits, c) : NULL;

	return at ? (int) (at - digits) : -1;
}

/* docs/audit-chain.md's form, matched independently of digest.c */
static bool
oracle_parse(const char *text, int64 *max_seq, int64 *chains, uint8 *hash,
			 bool *leading_zero)
{
	const char *p = text;
	int			i;

	*leading_zero = false;
	if (strncmp(p, PREFIX, strlen(PREFIX)) != 0)
		return false;
	p += strlen(PREFIX);
	if (!oracle_count(&p, max_seq, leading_zero) || *p != ':')
		return false;
	p++;
	if (!oracle_count(&p, chains, leading_zero) || *p != ':')
		return false;
	p++;
	for (i = 0; i < CAPA_HASH_LEN * 2; i++)
	{
		if (oracle_hex(p[i]) < 0)
			return false;
	}
	if (p[CAPA_HASH_LEN * 2] != '\0')
		return false;
	for (i = 0; i < CAPA_HASH_LEN; i++)
		hash[i] = (uint8) (oracle_hex(p[2 * i]) << 4 | oracle_hex(p[2 * i + 1]));
	return true;
}

static uint64
read_be64(const uint8 *p, size_t n)
{
	uint64		v = 0;
	size_t		i;

	for (i = 0; i < 8; i++)
		v = v << 8 | (i < n ? p[i] : 0);
	return v;
}

/* Text mode: parse() against the oracle, then format() of what it read */
static void
check_text(const uint8 *data, size_t size, const uint8 *rest, size_t len)
{
	char	   *text = palloc(len + 1);
	int64		m = 0,
				c = 0,
				om = 0,
				oc = 0;
	uint8		h[CAPA_HASH_LEN],
				oh[CAPA_HASH_LEN];
	bool		lz;
	bool		ok;
	bool		ook;
	char	   *again;

	memcpy(text, rest, len);
	text[len] = '\0';
	ok = capa_parse_digest(text, &m, &c, h);
	ook = oracle_parse(text, &om, &oc, oh, &lz);
	if (ok != ook)
		capa_fuzz_fail(data, size, "parse(\"%s\") %s, the digest form says %s",
					   text, ok ? "accepted" : "refused", ook ? "valid" : "invalid");
	if (!ok)
		return;
	if (m != om || c != oc || memcmp(h, oh, CAPA_HASH_LEN) != 0)
		capa_fuzz_fail(data, size, "parse(\"%s\") read other parts", text);
	again = capa_format_digest(m, c, h);
	if (!lz && strcmp(again, text) != 0)
		capa_fuzz_fail(data, size, "format(parse(\"%s\")) = \"%s\"", text, again);
	if (!capa_parse_digest(again, &om, &oc, oh) ||
		om != m || oc != c || memcmp(h, oh, CAPA_HASH_LEN) != 0)
		capa_fuzz_fail(data, size, "parse(format(parse(\"%s\"))) differs", text);
}

/* Value mode: format() then parse() gives the values back */
static void
check_values(const uint8 *data, size_t size, const uint8 *rest, size_t len)
{
	int64		m = (int64) (read_be64(rest, len) & PG_INT64_MAX);
	int64		c = len > 8 ? (int64) (read_be64(rest + 8, len - 8) & PG_INT64_MAX) : 0;
	uint8		h[CAPA_HASH_LEN];
	int64		pm,
				pc;
	uint8		ph[CAPA_HASH_LEN];
	bool		lz;
	char	   *text;
	size_t		i;

	for (i = 0; i < CAPA_HASH_LEN; i++)
		h[i] = 16 + i < len ? rest[16 + i] : 0;
	text = capa_format_digest(m, c, h);
	if (!capa_parse_digest(text, &pm, &pc, ph))
		capa_fuzz_fail(data, size, "parse() refused the digest \"%s\" that format() wrote",
					   text);
	if (pm != m || pc != c || memcmp(h, ph, CAPA_HASH_LEN) != 0)
		capa_fuzz_fail(data, size, "parse(format(...)) differs for \"%s\"", text);
	if (!oracle_parse(text, &pm, &pc, ph, &lz) || lz ||
		pm != m || pc != c || memcmp(h, ph, CAPA_HASH_LEN) != 0)
		capa_fuzz_fail(data, size, "format(" INT64_FORMAT ", " INT64_FORMAT
					   ") = \"%s\" is not in the digest form", m, c, text);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	if (size == 0)
		return 0;
	if ((data[0] & 1) == 0)
		check_text(data, size, data + 1, size - 1);
	else
		check_values(data, size, data + 1, size - 1);
	capa_fuzz_reset();
	return 0;
}
