/*-------------------------------------------------------------------------
 *
 * fuzz_audit.c
 *	  The canonical audit encoding, capa_audit_encode() in src/chain.c:
 *	  the bytes every audit row's hash covers and capa_audit_bytes(seq)
 *	  returns.
 *
 * The input is read as the fields of one audit row (integers of any
 * value, strings of any bytes or NULL, a previous hash or none), encoded
 * after a few bytes already in the buffer, and decoded again by a decoder
 * written from README.md ("Audit encoding 1"), not from chain.c.
 *
 * Properties: the bytes before the encoding are left alone; the encoding
 * starts with version 1, decodes to exactly the fields given (so it is
 * unambiguous: two different rows never share their bytes) and has no
 * trailing bytes; encoding the same fields again gives the same bytes.
 *
 * Known finding (fuzz/README.md, F1): for `at` within 30 years of the
 * int64 maximum (timestamps after 294247 AD, and 'infinity'), the shift
 * to the Unix epoch overflows a signed int64.  Such `at` values are kept
 * out of the input unless built with -DCAPA_FUZZ_FULL_AT.
 *
 * IDENTIFICATION
 *	  fuzz/fuzz_audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "chain.h"
#include "pg_stubs.h"

int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);

/* As documented: `at` in microseconds since 1970-01-01 */
#define EPOCH_SHIFT_USECS	INT64CONST(946684800000000)

/* The input, consumed front to back; zeros once it runs out */
typedef struct Source
{
	const uint8 *p;
	size_t		n;
} Source;

static uint64
take(Source *s, int bytes)
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

/* A length byte (255: NULL), then that many bytes; a NUL ends the string
 * early, as nothing capa encodes can hold one */
static const char *
take_str(Source *s)
{
	int			len = (int) take(s, 1);
	char	   *str;
	int			i;

	if (len == 255)
		return NULL;
	str = palloc(len + 1);
	for (i = 0; i < len; i++)
		str[i] = (char) take(s, 1);
	str[len] = '\0';
	return str;
}

static const uint8 *
take_hash(Source *s)
{
	uint8	   *h = palloc(CAPA_HASH_LEN);
	int			i;

	for (i = 0; i < CAPA_HASH_LEN; i++)
		h[i] = (uint8) take(s, 1);
	return h;
}

/* ---- the decoder, from the README ---- */
typedef struct Reader
{
	const uint8 *p;
	size_t		n;
	const uint8 *data;			/* the fuzz input, for reports */
	size_t		size;
} Reader;

static uint64
get(Reader *r, int bytes, const char *what)
{
	uint64		v = 0;
	int			i;

	if (r->n < (size_t) bytes)
		capa_fuzz_fail(r->data, r->size, "encoding ends inside %s", what);
	for (i = 0; i < bytes; i++)
		v = v << 8 | r->p[i];
	r->p += bytes;
	r->n -= bytes;
	return v;
}

static void
expect_u(Reader *r, int bytes, uint64 want, const char *what)
{
	uint64		got = get(r, bytes, what);

	if (got != want)
		capa_fuzz_fail(r->data, r->size, "%s decodes as %llx, not %llx", what,
					   (unsigned long long) got, (unsigned long long) want);
}

static void
expect_str(Reader *r, const char *want, const char *what)
{
	uint32		len = (uint32) get(r, 4, what);

	if (want == NULL)
	{
		if (len != 0xFFFFFFFF)
			capa_fuzz_fail(r->data, r->size, "NULL %s is not the NULL marker", what);
		return;
	}
	if (len != strlen(want))
		capa_fuzz_fail(r->data, r->size, "%s has length %u, not %zu", what, len, strlen(want));
	if (r->n < len || memcmp(r->p, want, len) != 0)
		capa_fuzz_fail(r->data, r->size, "%s bytes differ", what);
	r->p += len;
	r->n -= len;
}

static void
expect_bytes(Reader *r, const uint8 *want, size_t len, const char *what)
{
	if (r->n < len || memcmp(r->p, want, len) != 0)
		capa_fuzz_fail(r->data, r->size, "%s bytes differ", what);
	r->p += len;
	r->n -= len;
}

static void
decode_and_compare(const uint8 *enc, size_t len, const CapaAuditFields *f,
				   const uint8 *data, size_t size)
{
	Reader		r = {enc, len, data, size};

	expect_u(&r, 1, 1, "version");
	expect_u(&r, 8, (uint64) f->seq, "seq");
	expect_u(&r, 8, (uint64) f->record_id, "record_id");
	expect_u(&r, 1, f->has_action ? 1 : 0, "has_action");
	expect_u(&r, 8, f->has_action ? (uint64) f->action_id : 0, "action_id");
	expect_u(&r, 4, (uint32) f->chain_seq, "chain_seq");
	expect_str(&r, f->step, "step");
	expect_u(&r, 2, (uint16) f->from_state, "from_state");
	expect_u(&r, 2, (uint16) f->to_state, "to_state");
	expect_str(&r, f->changed, "changed");
	expect_str(&r, f->actor, "actor");
	expect_str(&r, f->session_actor, "session_actor");
	expect_str(&r, f->app_user, "app_user");
	expect_str(&r, f->application_name, "application_name");
	expect_str(&r, f->client_addr, "client_addr");
	expect_u(&r, 8, f->xid, "xid");
	/* microseconds since 1970, modulo 2^64 */
	expect_u(&r, 8, (uint64) f->at + (uint64) EPOCH_SHIFT_USECS, "at");
	expect_bytes(&r, f->row_hash, CAPA_HASH_LEN, "row_hash");
	if (f->prev_hash == NULL)
		expect_u(&r, 1, 0, "no prev_hash");
	else
	{
		expect_u(&r, 1, 1, "prev_hash flag");
		expect_bytes(&r, f->prev_hash, CAPA_HASH_LEN, "prev_hash");
	}
	if (r.n != 0)
		capa_fuzz_fail(data, size, "%zu bytes after the encoding", r.n);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	Source		s = {data, size};
	CapaAuditFields f;
	StringInfoData buf;
	StringInfoData again;
	int			prefix;
	int			i;
	uint8		flags;

	memset(&f, 0, sizeof(f));
	prefix = (int) take(&s, 1) % 8;
	flags = (uint8) take(&s, 1);
	f.seq = (int64) take(&s, 8);
	f.record_id = (int64) take(&s, 8);
	f.has_action = (flags & 1) != 0;
	f.action_id = (int64) take(&s, 8);
	f.chain_seq = (int32) take(&s, 4);
	f.step = take_str(&s);
	f.from_state = (int16) take(&s, 2);
	f.to_state = (int16) take(&s, 2);
	f.changed = take_str(&s);
	f.actor = take_str(&s);
	f.session_actor = take_str(&s);
	f.app_user = take_str(&s);
	f.application_name = take_str(&s);
	f.client_addr = take_str(&s);
	f.xid = take(&s, 8);
	f.at = (TimestampTz) take(&s, 8);
#ifndef CAPA_FUZZ_FULL_AT
	if (f.at > PG_INT64_MAX - EPOCH_SHIFT_USECS)
		f.at -= EPOCH_SHIFT_USECS;	/* F1: see the header comment */
#endif
	f.row_hash = take_hash(&s);
	f.prev_hash = (flags & 2) ? take_hash(&s) : NULL;

	/* encode after `prefix` bytes already in the buffer */
	initStringInfo(&buf);
	for (i = 0; i < prefix; i++)
		appendStringInfoChar(&buf, (char) (0xA0 + i));
	capa_audit_encode(&buf, &f);
	for (i = 0; i < prefix; i++)
	{
		if ((uint8) buf.data[i] != 0xA0 + i)
			capa_fuzz_fail(data, size, "the encoding overwrote the buffer's bytes");
	}
	decode_and_compare((const uint8 *) buf.data + prefix, buf.len - prefix, &f, data, size);

	/* deterministic: same fields, same bytes */
	initStringInfo(&again);
	capa_audit_encode(&again, &f);
	if (again.len != buf.len - prefix ||
		memcmp(again.data, buf.data + prefix, again.len) != 0)
		capa_fuzz_fail(data, size, "encoding the same row twice gave different bytes");

	capa_fuzz_reset();
	return 0;
}
