/*-------------------------------------------------------------------------
 *
 * fuzz_audit.c
 *	  The canonical audit encoding, capa_audit_encode() in src/audit/chain.c:
 *	  the bytes every audit row's hash covers and capa_audit_bytes(seq)
 *	  returns; and capa_audit_fields_from_values(), which reads an audit
 *	  row's column values into the fields the encoding takes.
 *
 * The input is read as one audit row (integers of any value, strings of
 * any bytes, NUL included, or NULL; a valid jsonb "changed" built by
 * jsonb_build.c, or NULL; an inet client_addr, or NULL; a previous hash or
 * none), given to capa_audit_encode() either as CapaAuditFields directly
 * or as the column values of a capa.audit row through
 * capa_audit_fields_from_values() (text, bytea and inet with 4-byte or
 * 1-byte headers, as in a deformed tuple; actor and session_actor as
 * name; NULLs where the columns allow them).  The encoding goes after a
 * few bytes already in the buffer and is decoded again by a decoder
 * written from docs/audit-chain.md ("Audit encoding 1"), not from chain.c.
 *
 * Properties: the bytes before the encoding are left alone; the encoding
 * starts with version 1, decodes to exactly the row given (so it is
 * unambiguous: two different rows never share their bytes) and has no
 * trailing bytes: changed as jsonb_out's text of the value (worked out by
 * jsonb_build.c from the value, not the bytes) and client_addr as
 * inet_out's; a row read from column values is the row those values hold
 * (a NULL from_state, to_state, xid or at reads as 0, a NULL or mis-sized
 * row_hash as 32 zero bytes, a mis-sized prev_hash as none, a name up to
 * its NUL); encoding the same row again, after a row with another address,
 * gives the same bytes (chain.c keeps the last address's text).
 *
 * Input layout (big-endian; zeros once the input runs out):
 *	  prefix (1, % 8), flags (1): 1 has_action, 2 prev_hash, 4 through
 *	  column values, 8 short varlena headers, 16/32/64/128 from_state/
 *	  to_state/xid/at NULL (column values only);
 *	  seq (8), capa_id (8), action_id (8), chain_seq (4), step (str),
 *	  from_state (2), to_state (2), changed (255: NULL, else a value in
 *	  jsonb_build.h's grammar), actor, session_actor, app_user,
 *	  application_name (str), client_addr (255: NULL, else family byte
 *	  (odd: IPv6), bits byte (% max + 1), then 4 or 16 address bytes),
 *	  xid (8), at (8), hash flags (1): 1 row_hash NULL, 2 row_hash
 *	  mis-sized, 4 prev_hash mis-sized (column values only), >> 3 the
 *	  length of a mis-sized hash; row_hash (32), prev_hash (32, if flag 2).
 *	  A str is a length byte (255: NULL), then that many bytes.
 *
 * IDENTIFICATION
 *	  fuzz/fuzz_audit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/socket.h>

#include "utils/inet.h"

#include "audit/chain.h"
#include "fuzz_input.h"
#include "jsonb_build.h"
#include "pg_stubs.h"

int			LLVMFuzzerTestOneInput(const uint8 *data, size_t size);

/* As documented: `at` in microseconds since 1970-01-01 */
#define EPOCH_SHIFT_USECS	INT64CONST(946684800000000)

#define F_HAS_ACTION	0x01
#define F_PREV_HASH		0x02
#define F_VALUES		0x04
#define F_SHORT			0x08
#define F_FROM_NULL		0x10
#define F_TO_NULL		0x20
#define F_XID_NULL		0x40
#define F_AT_NULL		0x80

#define H_ROW_NULL		0x01
#define H_ROW_SIZE		0x02
#define H_PREV_SIZE		0x04

/* The row as the input describes it, and so as it must decode */
typedef struct Row
{
	int64		seq;
	int64		capa_id;
	bool		has_action;
	int64		action_id;
	int32		chain_seq;
	CapaStr		step;
	int16		from_state;
	int16		to_state;
	Jsonb	   *changed;
	CapaStr		changed_text;	/* jsonb_out's text, or NULL */
	CapaStr		actor;
	CapaStr		session_actor;
	CapaStr		app_user;
	CapaStr		application_name;
	inet	   *client_addr;	/* or NULL */
	CapaStr		client_addr_text;	/* inet_out's text, or NULL */
	uint64		xid;
	TimestampTz at;
	uint8		row_hash[CAPA_HASH_LEN];
	bool		has_prev;
	uint8		prev_hash[CAPA_HASH_LEN];
	int			hash_flags;
} Row;

static const CapaStr null_str = {NULL, 0};

static CapaStr
take_str(FuzzSource *s)
{
	CapaStr		r;
	int			len = (int) fuzz_take(s, 1);

	if (len == 255)
		return null_str;
	r.data = fuzz_take_bytes(s, len);
	r.len = len;
	return r;
}

/* An inet of the given family, bits and address, with a 4- or 1-byte
 * header, in a chunk of exactly its size */
static inet *
make_inet(int family, int bits, const uint8 *addr, bool short_header)
{
	int			addrlen = family == PGSQL_AF_INET ? 4 : 16;
	int			datalen = offsetof(inet_struct, ipaddr) + addrlen;
	char	   *p;
	char	   *d;

	if (short_header)
	{
		p = palloc(VARHDRSZ_SHORT + datalen);
		SET_VARSIZE_SHORT(p, VARHDRSZ_SHORT + datalen);
		d = p + VARHDRSZ_SHORT;
	}
	else
	{
		p = palloc(VARHDRSZ + datalen);
		SET_VARSIZE(p, VARHDRSZ + datalen);
		d = p + VARHDRSZ;
	}
	d[0] = (char) family;
	d[1] = (char) bits;
	memcpy(d + 2, addr, addrlen);
	return (inet *) p;
}

/* inet_out's text of an address, by the server's formatter directly */
static CapaStr
inet_text(int family, int bits, const uint8 *addr)
{
	char		tmp[64];
	CapaStr		r;

	if (pg_inet_net_ntop(family, addr, bits, tmp, sizeof(tmp)) == NULL)
		abort();
	r.data = pstrdup(tmp);
	r.len = (int) strlen(tmp);
	return r;
}

static void
read_row(FuzzSource *s, int flags, Row *row)
{
	int			a;
	int			i;

	memset(row, 0, sizeof(*row));
	row->seq = (int64) fuzz_take(s, 8);
	row->capa_id = (int64) fuzz_take(s, 8);
	row->has_action = (flags & F_HAS_ACTION) != 0;
	row->action_id = (int64) fuzz_take(s, 8);
	row->chain_seq = (int32) fuzz_take(s, 4);
	row->step = take_str(s);
	row->from_state = (int16) fuzz_take(s, 2);
	row->to_state = (int16) fuzz_take(s, 2);
	if (fuzz_peek(s) == 255 && s->n > 0)
	{
		fuzz_take(s, 1);
		row->changed = NULL;
		row->changed_text = null_str;
	}
	else
	{
		StringInfoData text;

		initStringInfo(&text);
		row->changed = fuzz_jsonb_build(s, &text);
		row->changed_text.data = text.data;
		row->changed_text.len = text.len;
	}
	row->actor = take_str(s);
	row->session_actor = take_str(s);
	row->app_user = take_str(s);
	row->application_name = take_str(s);
	a = (int) fuzz_take(s, 1);
	if (a == 255)
		row->client_addr_text = null_str;
	else
	{
		int			family = (a & 1) ? PGSQL_AF_INET6 : PGSQL_AF_INET;
		int			maxbits = family == PGSQL_AF_INET ? 32 : 128;
		int			bits = (int) (fuzz_take(s, 1) % (maxbits + 1));
		uint8		addr[16] = {0};

		for (i = 0; i < maxbits / 8; i++)
			addr[i] = (uint8) fuzz_take(s, 1);
		row->client_addr = make_inet(family, bits, addr, (flags & F_SHORT) != 0);
		row->client_addr_text = inet_text(family, bits, addr);
	}
	row->xid = fuzz_take(s, 8);
	row->at = (TimestampTz) fuzz_take(s, 8);
	row->hash_flags = (int) fuzz_take(s, 1);
	for (i = 0; i < CAPA_HASH_LEN; i++)
		row->row_hash[i] = (uint8) fuzz_take(s, 1);
	row->has_prev = (flags & F_PREV_HASH) != 0;
	if (row->has_prev)
	{
		for (i = 0; i < CAPA_HASH_LEN; i++)
			row->prev_hash[i] = (uint8) fuzz_take(s, 1);
	}
}

/* The fields given to capa_audit_encode directly */
static void
fields_direct(const Row *row, CapaAuditFields *f)
{
	memset(f, 0, sizeof(*f));
	f->seq = row->seq;
	f->capa_id = row->capa_id;
	f->has_action = row->has_action;
	f->action_id = row->action_id;
	f->chain_seq = row->chain_seq;
	f->step = row->step;
	f->from_state = row->from_state;
	f->to_state = row->to_state;
	f->changed = row->changed;
	f->actor = row->actor;
	f->session_actor = row->session_actor;
	f->app_user = row->app_user;
	f->application_name = row->application_name;
	f->has_client_addr = row->client_addr != NULL;
	f->client_addr = PointerGetDatum(row->client_addr);
	f->xid = row->xid;
	f->at = row->at;
	f->row_hash = row->row_hash;
	f->prev_hash = row->has_prev ? row->prev_hash : NULL;
}

/* ---- column values, as a deformed capa.audit tuple holds them ---- */

/* A text or bytea of len bytes, with a 1-byte header if asked and short
 * enough, in a chunk of exactly its size */
static Datum
varlena_datum(const char *data, int len, bool short_header)
{
	char	   *p;

	if (short_header && VARHDRSZ_SHORT + len <= VARATT_SHORT_MAX)
	{
		p = palloc(VARHDRSZ_SHORT + len);
		SET_VARSIZE_SHORT(p, VARHDRSZ_SHORT + len);
		memcpy(p + VARHDRSZ_SHORT, data, len);
	}
	else
	{
		p = palloc(VARHDRSZ + len);
		SET_VARSIZE(p, VARHDRSZ + len);
		memcpy(p + VARHDRSZ, data, len);
	}
	return PointerGetDatum(p);
}

static void
text_value(CapaStr str, bool short_header, Datum *v, bool *n)
{
	*n = str.data == NULL;
	*v = *n ? (Datum) 0 : varlena_datum(str.data, str.len, short_header);
}

/* A name: at most NAMEDATALEN - 1 bytes, NUL-padded; what it then holds
 * (up to its first NUL) becomes the expected string */
static void
name_value(CapaStr *str, Datum *v, bool *n)
{
	NameData   *name;
	int			len;

	*n = str->data == NULL;
	if (*n)
		return;
	name = palloc0(sizeof(NameData));
	len = Min(str->len, NAMEDATALEN - 1);
	memcpy(NameStr(*name), str->data, len);
	str->len = (int) strnlen(str->data, len);
	*v = NameGetDatum(name);
}

/*
 * capa_audit_fields_from_values() of the row's values, in
 * CAPA_AUDIT_COLUMNS order; row is changed to what the values hold.
 */
static void
fields_from_values(Row *row, int flags, CapaAuditFields *f)
{
	Datum		v[CAPA_AUDIT_NCOLS];
	bool		n[CAPA_AUDIT_NCOLS];
	bool		sh = (flags & F_SHORT) != 0;
	int			bad = row->hash_flags >> 3;	/* a mis-sized hash's length */
	static const uint8 zero[CAPA_HASH_LEN];

	memset(v, 0, sizeof(v));
	memset(n, true, sizeof(n));
	v[0] = Int64GetDatum(row->seq);
	n[0] = false;
	v[1] = Int64GetDatum(row->capa_id);
	n[1] = false;
	n[2] = !row->has_action;
	v[2] = Int64GetDatum(row->action_id);
	if (!row->has_action)
		row->action_id = 0;
	v[3] = Int32GetDatum(row->chain_seq);
	n[3] = false;
	text_value(row->step, sh, &v[4], &n[4]);
	n[5] = (flags & F_FROM_NULL) != 0;
	v[5] = Int16GetDatum(row->from_state);
	if (n[5])
		row->from_state = 0;
	n[6] = (flags & F_TO_NULL) != 0;
	v[6] = Int16GetDatum(row->to_state);
	if (n[6])
		row->to_state = 0;
	n[7] = row->changed == NULL;
	v[7] = PointerGetDatum(row->changed);
	name_value(&row->actor, &v[8], &n[8]);
	name_value(&row->session_actor, &v[9], &n[9]);
	text_value(row->app_user, sh, &v[10], &n[10]);
	text_value(row->application_name, sh, &v[11], &n[11]);
	n[12] = row->client_addr == NULL;
	v[12] = PointerGetDatum(row->client_addr);
	n[13] = (flags & F_XID_NULL) != 0;
	v[13] = UInt64GetDatum(row->xid);	/* xid8 */
	if (n[13])
		row->xid = 0;
	n[14] = (flags & F_AT_NULL) != 0;
	v[14] = TimestampTzGetDatum(row->at);
	if (n[14])
		row->at = 0;
	n[15] = (row->hash_flags & H_ROW_NULL) != 0;
	if (!n[15])
		v[15] = varlena_datum((const char *) row->row_hash,
							  (row->hash_flags & H_ROW_SIZE) ? bad : CAPA_HASH_LEN, sh);
	if (n[15] || (row->hash_flags & H_ROW_SIZE))
		memcpy(row->row_hash, zero, CAPA_HASH_LEN);
	n[16] = !row->has_prev;
	if (row->has_prev)
	{
		v[16] = varlena_datum((const char *) row->prev_hash,
							  (row->hash_flags & H_PREV_SIZE) ? bad : CAPA_HASH_LEN, sh);
		if (row->hash_flags & H_PREV_SIZE)
			row->has_prev = false;
	}
	/* hash (bytea) and encoding (int2): not read */
	v[17] = varlena_datum("x", 1, sh);
	n[17] = false;
	v[18] = Int16GetDatum(1);
	n[18] = false;

	capa_audit_fields_from_values(v, n, f);
}

/* ---- the decoder, from docs/audit-chain.md ---- */
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
expect_str(Reader *r, CapaStr want, const char *what)
{
	uint32		len = (uint32) get(r, 4, what);

	if (want.data == NULL)
	{
		if (len != 0xFFFFFFFF)
			capa_fuzz_fail(r->data, r->size, "NULL %s is not the NULL marker", what);
		return;
	}
	if (len != (uint32) want.len)
		capa_fuzz_fail(r->data, r->size, "%s has length %u, not %d (\"%.*s\")", what,
					   len, want.len, want.len, want.data);
	if (r->n < len || memcmp(r->p, want.data, len) != 0)
		capa_fuzz_fail(r->data, r->size, "%s is \"%.*s\", not \"%.*s\"", what,
					   (int) Min(r->n, len), (const char *) r->p, want.len, want.data);
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
decode_and_compare(const uint8 *enc, size_t len, const Row *row,
				   const uint8 *data, size_t size)
{
	Reader		r = {enc, len, data, size};

	expect_u(&r, 1, 1, "version");
	expect_u(&r, 8, (uint64) row->seq, "seq");
	expect_u(&r, 8, (uint64) row->capa_id, "capa_id");
	expect_u(&r, 1, row->has_action ? 1 : 0, "has_action");
	expect_u(&r, 8, row->has_action ? (uint64) row->action_id : 0, "action_id");
	expect_u(&r, 4, (uint32) row->chain_seq, "chain_seq");
	expect_str(&r, row->step, "step");
	expect_u(&r, 2, (uint16) row->from_state, "from_state");
	expect_u(&r, 2, (uint16) row->to_state, "to_state");
	expect_str(&r, row->changed_text, "changed");
	expect_str(&r, row->actor, "actor");
	expect_str(&r, row->session_actor, "session_actor");
	expect_str(&r, row->app_user, "app_user");
	expect_str(&r, row->application_name, "application_name");
	expect_str(&r, row->client_addr_text, "client_addr");
	expect_u(&r, 8, row->xid, "xid");
	/* microseconds since 1970, modulo 2^64 */
	expect_u(&r, 8, (uint64) row->at + (uint64) EPOCH_SHIFT_USECS, "at");
	expect_bytes(&r, row->row_hash, CAPA_HASH_LEN, "row_hash");
	if (!row->has_prev)
		expect_u(&r, 1, 0, "no prev_hash");
	else
	{
		expect_u(&r, 1, 1, "prev_hash flag");
		expect_bytes(&r, row->prev_hash, CAPA_HASH_LEN, "prev_hash");
	}
	if (r.n != 0)
		capa_fuzz_fail(data, size, "%zu bytes after the encoding", r.n);
}

int
LLVMFuzzerTestOneInput(const uint8 *data, size_t size)
{
	FuzzSource	s = {data, size};
	Row			row;
	CapaAuditFields f;
	CapaAuditFields other;
	StringInfoData buf;
	StringInfoData scratch;
	StringInfoData again;
	int			prefix;
	int			flags;
	int			i;

	prefix = (int) fuzz_take(&s, 1) % 8;
	flags = (int) fuzz_take(&s, 1);
	read_row(&s, flags, &row);
	if (flags & F_VALUES)
		fields_from_values(&row, flags, &f);
	else
		fields_direct(&row, &f);

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
	decode_and_compare((const uint8 *) buf.data + prefix, buf.len - prefix, &row, data, size);

	/* a row from another address in between (chain.c keeps the last one's
	 * text): the same address with its last bit flipped, with the other
	 * header size */
	other = f;
	if (row.client_addr != NULL)
	{
		inet	   *a = row.client_addr;
		uint8		addr[16];

		memcpy(addr, ip_addr(a), ip_addrsize(a));
		addr[ip_addrsize(a) - 1] ^= 1;
		other.client_addr = PointerGetDatum(make_inet(ip_family(a), ip_bits(a), addr,
													  !VARATT_IS_SHORT(a)));
	}
	else
	{
		static const uint8 addr[4] = {192, 0, 2, 1};

		other.has_client_addr = true;
		other.client_addr = PointerGetDatum(make_inet(PGSQL_AF_INET, 32, addr, false));
	}
	initStringInfo(&scratch);
	capa_audit_encode(&scratch, &other);

	/* deterministic: same fields, same bytes */
	initStringInfo(&again);
	capa_audit_encode(&again, &f);
	if (again.len != buf.len - prefix ||
		memcmp(again.data, buf.data + prefix, again.len) != 0)
		capa_fuzz_fail(data, size, "encoding the same row again gave different bytes");

	capa_fuzz_reset();
	return 0;
}
