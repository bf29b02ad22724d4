/*-------------------------------------------------------------------------
 *
 * chain.c
 *	  Canonical encodings and SHA-256 (PostgreSQL's own, no pgcrypto).
 *
 * Integers are big-endian.  A string is a 4-byte length and its UTF-8 bytes;
 * a NULL string is the length 0xFFFFFFFF and nothing else.
 *
 * IDENTIFICATION
 *	  src/audit/chain.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#ifdef USE_OPENSSL
#include <openssl/evp.h>
#endif
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/inet.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/xid8.h"

#include "audit/chain.h"
#include "audit/json_text.h"
#include "types/type_io.h"

/* Microseconds between the Unix epoch and PostgreSQL's (2000-01-01) */
#define UNIX_TO_POSTGRES_USECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC)

/* Room for n more bytes, returned as a pointer to write them to */
static inline uint8 *
reserve(StringInfo buf, int n)
{
	uint8	   *p;

	if (buf->len + n >= buf->maxlen)
		enlargeStringInfo(buf, n);
	p = (uint8 *) buf->data + buf->len;
	buf->len += n;
	buf->data[buf->len] = '\0';
	return p;
}

static inline void
put_u8(StringInfo buf, uint8 v)
{
	*reserve(buf, 1) = v;
}

static inline void
put_u16(StringInfo buf, uint16 v)
{
	uint8	   *p = reserve(buf, 2);

	p[0] = (uint8) (v >> 8);
	p[1] = (uint8) v;
}

static inline void
put_u32(StringInfo buf, uint32 v)
{
	uint8	   *p = reserve(buf, 4);

	p[0] = (uint8) (v >> 24);
	p[1] = (uint8) (v >> 16);
	p[2] = (uint8) (v >> 8);
	p[3] = (uint8) v;
}

static inline void
put_u64(StringInfo buf, uint64 v)
{
	put_u32(buf, (uint32) (v >> 32));
	put_u32(buf, (uint32) v);
}

/* Length-prefixed bytes; NULL data is the NULL marker */
static void
put_bytes(StringInfo buf, const void *data, uint32 len)
{
	if (data == NULL)
	{
		put_u32(buf, 0xFFFFFFFF);
		return;
	}
	put_u32(buf, len);
	memcpy(reserve(buf, (int) len), data, len);
}

static void
put_str(StringInfo buf, const char *s)
{
	put_bytes(buf, s, s ? (uint32) strlen(s) : 0);
}

static void
put_capa_str(StringInfo buf, CapaStr s)
{
	put_bytes(buf, s.data, (uint32) s.len);
}

CapaStr
capa_str(const char *s)
{
	CapaStr		r = {s, s ? (int) strlen(s) : 0};

	return r;
}

/* jsonb as its canonical text (jsonb_out's), written in place */
static void
put_jsonb(StringInfo buf, Jsonb *j)
{
	int			at;
	uint8	   *p;
	uint32		len;

	if (j == NULL)
	{
		put_u32(buf, 0xFFFFFFFF);
		return;
	}
	at = buf->len;
	put_u32(buf, 0);			/* the length, filled in below */
	capa_jsonb_text(buf, j);
	len = (uint32) (buf->len - at - 4);
	p = (uint8 *) buf->data + at;
	p[0] = (uint8) (len >> 24);
	p[1] = (uint8) (len >> 16);
	p[2] = (uint8) (len >> 8);
	p[3] = (uint8) len;
}

/*
 * inet as its text (inet_out's).  Most rows of a trail come from a few
 * addresses: the last one's text is kept, so verification does not format
 * the same address a million times.
 */
static void
put_inet(StringInfo buf, Datum addr)
{
	static char last_bytes[sizeof(inet)];
	static int	last_len = -1;
	static char last_text[64];
	inet	   *a = DatumGetInetPP(addr);
	int			len = (int) VARSIZE_ANY(a);

	if (len > (int) sizeof(last_bytes) || len != last_len ||
		memcmp(last_bytes, a, len) != 0)
	{
		char	   *text = DatumGetCString(DirectFunctionCall1(inet_out, addr));

		if (len > (int) sizeof(last_bytes) || strlen(text) >= sizeof(last_text))
		{
			put_str(buf, text);
			last_len = -1;
			return;
		}
		memcpy(last_bytes, a, len);
		last_len = len;
		strcpy(last_text, text);
	}
	put_str(buf, last_text);
}

/*
 * Audit encoding version 1, in this order: version (1 byte), seq (8),
 * capa_id (8), has_action (1), action_id (8, 0 if none), chain_seq (4),
 * step, from_state (2, 0 if none), to_state (2), changed, actor,
 * session_actor, app_user, application_name, client_addr (strings), xid (8),
 * at (8, microseconds since 1970-01-01 UTC), row_hash (32), prev_hash
 * (1 byte 0 if none, else 1 and 32 bytes).
 */
void
capa_audit_encode(StringInfo buf, const CapaAuditFields *f)
{
	put_u8(buf, CAPA_AUDIT_ENCODING);
	put_u64(buf, (uint64) f->seq);
	put_u64(buf, (uint64) f->capa_id);
	put_u8(buf, f->has_action ? 1 : 0);
	put_u64(buf, f->has_action ? (uint64) f->action_id : 0);
	put_u32(buf, (uint32) f->chain_seq);
	put_capa_str(buf, f->step);
	put_u16(buf, (uint16) f->from_state);
	put_u16(buf, (uint16) f->to_state);
	put_jsonb(buf, f->changed);
	put_capa_str(buf, f->actor);
	put_capa_str(buf, f->session_actor);
	put_capa_str(buf, f->app_user);
	put_capa_str(buf, f->application_name);
	if (f->has_client_addr)
		put_inet(buf, f->client_addr);
	else
		put_bytes(buf, NULL, 0);
	put_u64(buf, f->xid);
	/*
	 * In uint64, so 'infinity' and the last 30 years of timestamptz wrap
	 * (the bytes a -fwrapv build writes) instead of overflowing int64
	 */
	put_u64(buf, (uint64) f->at + (uint64) UNIX_TO_POSTGRES_USECS);
	appendBinaryStringInfo(buf, (const char *) f->row_hash, CAPA_HASH_LEN);
	if (f->prev_hash == NULL)
		put_u8(buf, 0);
	else
	{
		put_u8(buf, 1);
		appendBinaryStringInfo(buf, (const char *) f->prev_hash, CAPA_HASH_LEN);
	}
}

/* A text Datum's bytes as stored */
static CapaStr
text_str(Datum d)
{
	text	   *t = DatumGetTextPP(d);
	CapaStr		r = {VARDATA_ANY(t), (int) VARSIZE_ANY_EXHDR(t)};

	return r;
}

/* A name Datum's bytes up to its NUL */
static CapaStr
name_str(Datum d)
{
	const char *n = NameStr(*DatumGetName(d));
	CapaStr		r = {n, (int) strnlen(n, NAMEDATALEN)};

	return r;
}

/* The CAPA_HASH_LEN bytes of a bytea, or NULL if mis-sized */
static const uint8 *
hash_bytes(Datum d)
{
	bytea	   *b = DatumGetByteaPP(d);

	if (VARSIZE_ANY_EXHDR(b) != CAPA_HASH_LEN)
		return NULL;
	return (const uint8 *) VARDATA_ANY(b);
}

void
capa_audit_fields_from_values(const Datum *v, const bool *n, CapaAuditFields *f)
{
	static const uint8 no_hash[CAPA_HASH_LEN];
	static const CapaStr null_str = {NULL, 0};

	memset(f, 0, sizeof(*f));
	f->seq = DatumGetInt64(v[0]);
	f->capa_id = DatumGetInt64(v[1]);
	f->has_action = !n[2];
	f->action_id = n[2] ? 0 : DatumGetInt64(v[2]);
	f->chain_seq = DatumGetInt32(v[3]);
	f->step = n[4] ? null_str : text_str(v[4]);
	f->from_state = n[5] ? 0 : DatumGetInt16(v[5]);
	f->to_state = n[6] ? 0 : DatumGetInt16(v[6]);
	f->changed = n[7] ? NULL : DatumGetJsonbP(v[7]);
	f->actor = n[8] ? null_str : name_str(v[8]);
	f->session_actor = n[9] ? null_str : name_str(v[9]);
	f->app_user = n[10] ? null_str : text_str(v[10]);
	f->application_name = n[11] ? null_str : text_str(v[11]);
	f->has_client_addr = !n[12];
	f->client_addr = n[12] ? (Datum) 0 : v[12];
	f->xid = n[13] ? 0 : U64FromFullTransactionId(DatumGetFullTransactionId(v[13]));
	f->at = n[14] ? 0 : DatumGetTimestampTz(v[14]);
	f->row_hash = n[15] ? NULL : hash_bytes(v[15]);
	if (f->row_hash == NULL)
		f->row_hash = no_hash;	/* a damaged row still encodes; its hash won't match */
	f->prev_hash = n[16] ? NULL : hash_bytes(v[16]);
}

#ifdef USE_OPENSSL

/*
 * One-shot SHA-256 through OpenSSL's EVP with the digest fetched once per
 * backend.  pg_cryptohash_init() passes EVP_sha256() each time, which makes
 * OpenSSL 3 look the algorithm up again under a lock: that cost more than
 * hashing an audit row.  The context lives as long as the backend, so an
 * error between init and final leaks nothing; the next call starts over.
 */
static EVP_MD_CTX *sha_ctx;
static EVP_MD *sha_md;

void
capa_sha256(const void *data, size_t len, uint8 *out)
{
	unsigned int outlen;

	if (sha_ctx == NULL)
	{
		sha_md = EVP_MD_fetch(NULL, "SHA256", NULL);
		sha_ctx = EVP_MD_CTX_new();
		if (sha_md == NULL || sha_ctx == NULL)
			elog(ERROR, "capa: OpenSSL has no SHA-256");
	}
	if (EVP_DigestInit_ex2(sha_ctx, sha_md, NULL) != 1 ||
		EVP_DigestUpdate(sha_ctx, data, len) != 1 ||
		EVP_DigestFinal_ex(sha_ctx, out, &outlen) != 1 ||
		outlen != CAPA_HASH_LEN)
		elog(ERROR, "capa: SHA-256 failed");
}

#else							/* !USE_OPENSSL: PostgreSQL's own SHA-256 */

void
capa_sha256(const void *data, size_t len, uint8 *out)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL)
		elog(ERROR, "capa: out of memory creating a SHA-256 context");
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, data, len) < 0 ||
		pg_cryptohash_final(ctx, out, CAPA_HASH_LEN) < 0)
	{
		const char *why = pg_cryptohash_error(ctx);

		pg_cryptohash_free(ctx);
		elog(ERROR, "capa: SHA-256 failed: %s", why);
	}
	pg_cryptohash_free(ctx);
}

#endif

pg_cryptohash_ctx *
capa_sha256_begin(void)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL)
		elog(ERROR, "capa: out of memory creating a SHA-256 context");
	return ctx;
}

void
capa_sha256_end(pg_cryptohash_ctx *ctx)
{
	pg_cryptohash_free(ctx);
}

/*
 * Send functions of the types rows contain, looked up once per backend:
 * fmgr_info on every value would cost more than the hash.  Reset when
 * capa's schema cache is rebuilt (types may have been recreated).
 */
typedef enum ValueForm
{
	FORM_SEND,					/* the type's binary send function */
	FORM_FIXED,					/* an integer-like by-value type whose send
								 * form is its value, big-endian: written
								 * here without calling send */
	FORM_TEXT,					/* a varlena string: its bytes as stored */
	FORM_NAME					/* a name: its bytes up to the NUL */
} ValueForm;

typedef struct SendInfo
{
	Oid			typid;
	Oid			elemtype;		/* element type of an array, or InvalidOid */
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	ValueForm	form;			/* of the type, or of its element type */
	int16		fixed_len;		/* for FORM_FIXED: 1, 2, 4 or 8 bytes */
	FmgrInfo	send;			/* for FORM_SEND */
} SendInfo;

#define SEND_CACHE_SIZE 64
static SendInfo send_cache[SEND_CACHE_SIZE];
static int	send_cache_used = 0;

void
capa_chain_reset_cache(void)
{
	send_cache_used = 0;
}

/*
 * The byte length of the send form of a type whose send function writes
 * its by-value Datum big-endian (pq_sendintN, pq_sendbyte of a bool), so
 * encoding it needs no call and no bytea; 0 for every other send function.
 */
static int16
send_is_big_endian_value(PGFunction send)
{
	if (send == int8send || send == timestamptz_send || send == timestamp_send ||
		send == capa_ref_send)
		return 8;
	if (send == int4send || send == date_send || send == oidsend)
		return 4;
	if (send == int2send || send == capa_state_send || send == capa_severity_send)
		return 2;
	if (send == boolsend)
		return 1;
	return 0;
}

static SendInfo *
send_info(Oid typid)
{
	SendInfo   *si;
	Oid			sendfunc;
	bool		isvarlena;
	Oid			target;
	int			i;

	for (i = 0; i < send_cache_used; i++)
	{
		if (send_cache[i].typid == typid)
			return &send_cache[i];
	}
	if (send_cache_used == SEND_CACHE_SIZE)
		send_cache_used = 0;	/* a handful of types in practice; start over */
	si = &send_cache[send_cache_used];
	si->typid = InvalidOid;
	si->elemtype = get_element_type(typid);
	target = OidIsValid(si->elemtype) ? si->elemtype : typid;
	if (OidIsValid(si->elemtype))
		get_typlenbyvalalign(si->elemtype, &si->elmlen, &si->elmbyval, &si->elmalign);
	/*
	 * Strings are taken as stored, in the server encoding: their send
	 * functions convert to client_encoding, which must not change a hash.
	 */
	if (target == NAMEOID)
		si->form = FORM_NAME;
	else if (TypeCategory(target) == TYPCATEGORY_STRING && get_typlen(target) == -1)
		si->form = FORM_TEXT;
	else
	{
		si->form = FORM_SEND;
		getTypeBinaryOutputInfo(target, &sendfunc, &isvarlena);
		fmgr_info_cxt(sendfunc, &si->send, TopMemoryContext);
		si->fixed_len = send_is_big_endian_value(si->send.fn_addr);
		if (si->fixed_len > 0)
			si->form = FORM_FIXED;
	}
	si->typid = typid;
	send_cache_used++;
	return si;
}

static void
put_sent(StringInfo buf, SendInfo *si, Datum value)
{
	bytea	   *sent;

	switch (si->form)
	{
		case FORM_NAME:
			put_str(buf, NameStr(*DatumGetName(value)));
			return;
		case FORM_TEXT:
			{
				text	   *t = DatumGetTextPP(value);

				put_bytes(buf, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
				return;
			}
		case FORM_FIXED:
			put_u32(buf, (uint32) si->fixed_len);
			switch (si->fixed_len)
			{
				case 8:
					put_u64(buf, (uint64) DatumGetInt64(value));
					break;
				case 4:
					put_u32(buf, (uint32) DatumGetInt32(value));
					break;
				case 2:
					put_u16(buf, (uint16) DatumGetInt16(value));
					break;
				default:
					put_u8(buf, DatumGetBool(value) ? 1 : 0);
					break;
			}
			return;
		case FORM_SEND:
			sent = SendFunctionCall(&si->send, value);
			put_bytes(buf, VARDATA(sent), VARSIZE(sent) - VARHDRSZ);
			pfree(sent);
			return;
	}
}

/* A value in binary (send) form; elements one by one for arrays, so no
 * type OID (which differs between databases) enters the bytes */
static void
put_value(StringInfo buf, Datum value, Oid typid)
{
	SendInfo   *si = send_info(typid);

	if (OidIsValid(si->elemtype))
	{
		ArrayType  *arr = DatumGetArrayTypeP(value);
		Datum	   *elems;
		bool	   *nulls;
		int			n;
		int			i;

		/* the shape first: dimensions and lower bounds, then the elements */
		put_u32(buf, (uint32) ARR_NDIM(arr));
		for (i = 0; i < ARR_NDIM(arr); i++)
		{
			put_u32(buf, (uint32) ARR_DIMS(arr)[i]);
			put_u32(buf, (uint32) ARR_LBOUND(arr)[i]);
		}
		deconstruct_array(arr, si->elemtype, si->elmlen, si->elmbyval, si->elmalign,
						  &elems, &nulls, &n);
		for (i = 0; i < n; i++)
		{
			if (nulls[i])
				put_bytes(buf, NULL, 0);
			else
				put_sent(buf, si, elems[i]);
		}
		return;
	}
	put_sent(buf, si, value);
}

/*
 * Row encoding version 1: version (1 byte), the number of columns (2), then
 * for each live column in column order but skip: its name and its value as
 * a length-prefixed string: strings (text, varchar, name) as stored, other
 * types in their binary send form; NULL marker for NULL; an array as its
 * number of dimensions (4), each dimension's length and lower bound (4, 4),
 * then its elements.
 *
 * skip is the chain head, the last column of register and action as 0.1.0
 * created them.  A column a later version added (after the chain head) is
 * encoded, and counted, only when it is not NULL: a row written before the
 * column existed has it NULL and so hashes exactly as it did, and the
 * chain of an updated database verifies unchanged.  Setting or clearing
 * such a column still changes the bytes.  A derived column (owner_role) is
 * left out.
 */
static inline bool
late_null(const bool *nulls, int i, AttrNumber skip)
{
	return skip != InvalidAttrNumber && i + 1 > skip && nulls[i];
}

/*
 * owner_role (0.3.0) is not encoded: the triggers derive it from owner,
 * which is, and bind it anew when a dump is restored into another cluster,
 * where the same role has another OID (segregation.h, CapaOwner)
 */
bool
capa_row_derived_column(Form_pg_attribute att)
{
	return strcmp(NameStr(att->attname), "owner_role") == 0;
}

static inline bool
left_out(TupleDesc tupdesc, const bool *nulls, int i, AttrNumber skip)
{
	Form_pg_attribute att = TupleDescAttr(tupdesc, i);

	return att->attisdropped || i + 1 == skip || late_null(nulls, i, skip) ||
		(skip != InvalidAttrNumber && i + 1 > skip && capa_row_derived_column(att));
}

void
capa_row_encode(StringInfo buf, TupleDesc tupdesc, const Datum *values,
				const bool *nulls, AttrNumber skip)
{
	int			i;
	int			ncols = 0;

	for (i = 0; i < tupdesc->natts; i++)
	{
		if (!left_out(tupdesc, nulls, i, skip))
			ncols++;
	}
	put_u8(buf, CAPA_ROW_ENCODING);
	put_u16(buf, (uint16) ncols);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (left_out(tupdesc, nulls, i, skip))
			continue;
		put_str(buf, NameStr(att->attname));
		if (nulls[i])
			put_bytes(buf, NULL, 0);
		else
			put_value(buf, values[i], att->atttypid);
	}
}

void
capa_row_hash(TupleDesc tupdesc, HeapTuple tuple, AttrNumber skip, uint8 *out)
{
	StringInfoData buf;
	Datum	   *values = palloc(tupdesc->natts * sizeof(Datum));
	bool	   *nulls = palloc(tupdesc->natts * sizeof(bool));

	heap_deform_tuple(tuple, tupdesc, values, nulls);	/* once, not per column */
	initStringInfo(&buf);
	capa_row_encode(&buf, tupdesc, values, nulls, skip);
	capa_sha256(buf.data, buf.len, out);
	pfree(buf.data);
	pfree(values);
	pfree(nulls);
}
