/*-------------------------------------------------------------------------
 *
 * chain.c
 *	  Canonical encodings and SHA-256 (PostgreSQL's own, no pgcrypto).
 *
 * Integers are big-endian.  A string is a 4-byte length and its UTF-8 bytes;
 * a NULL string is the length 0xFFFFFFFF and nothing else.
 *
 * IDENTIFICATION
 *	  src/chain.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "catalog/pg_type.h"
#include "parser/parse_coerce.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "chain.h"

/* Microseconds between the Unix epoch and PostgreSQL's (2000-01-01) */
#define UNIX_TO_POSTGRES_USECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * USECS_PER_SEC)

static void
put_u8(StringInfo buf, uint8 v)
{
	appendStringInfoCharMacro(buf, (char) v);
}

static void
put_u16(StringInfo buf, uint16 v)
{
	put_u8(buf, (uint8) (v >> 8));
	put_u8(buf, (uint8) v);
}

static void
put_u32(StringInfo buf, uint32 v)
{
	put_u16(buf, (uint16) (v >> 16));
	put_u16(buf, (uint16) v);
}

static void
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
	appendBinaryStringInfo(buf, data, (int) len);
}

static void
put_str(StringInfo buf, const char *s)
{
	put_bytes(buf, s, s ? (uint32) strlen(s) : 0);
}

/*
 * Audit encoding version 1, in this order: version (1 byte), seq (8),
 * record_id (8), has_action (1), action_id (8, 0 if none), chain_seq (4),
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
	put_u64(buf, (uint64) f->record_id);
	put_u8(buf, f->has_action ? 1 : 0);
	put_u64(buf, f->has_action ? (uint64) f->action_id : 0);
	put_u32(buf, (uint32) f->chain_seq);
	put_str(buf, f->step);
	put_u16(buf, (uint16) f->from_state);
	put_u16(buf, (uint16) f->to_state);
	put_str(buf, f->changed);
	put_str(buf, f->actor);
	put_str(buf, f->session_actor);
	put_str(buf, f->app_user);
	put_str(buf, f->application_name);
	put_str(buf, f->client_addr);
	put_u64(buf, f->xid);
	put_u64(buf, (uint64) (f->at + UNIX_TO_POSTGRES_USECS));
	appendBinaryStringInfo(buf, (const char *) f->row_hash, CAPA_HASH_LEN);
	if (f->prev_hash == NULL)
		put_u8(buf, 0);
	else
	{
		put_u8(buf, 1);
		appendBinaryStringInfo(buf, (const char *) f->prev_hash, CAPA_HASH_LEN);
	}
}

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

pg_cryptohash_ctx *
capa_sha256_begin(void)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);

	if (ctx == NULL)
		elog(ERROR, "capa: out of memory creating a SHA-256 context");
	return ctx;
}

void
capa_sha256_with(pg_cryptohash_ctx *ctx, const void *data, size_t len, uint8 *out)
{
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, data, len) < 0 ||
		pg_cryptohash_final(ctx, out, CAPA_HASH_LEN) < 0)
		elog(ERROR, "capa: SHA-256 failed: %s", pg_cryptohash_error(ctx));
}

void
capa_sha256_end(pg_cryptohash_ctx *ctx)
{
	pg_cryptohash_free(ctx);
}

/*
 * Send functions of the types rows contain, looked up once per backend:
 * fmgr_info on every value would cost more than the hash.  Reset when
 * capa's catalog cache is rebuilt (types may have been recreated).
 */
typedef enum ValueForm
{
	FORM_SEND,					/* the type's binary send function */
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
 */
void
capa_row_hash(TupleDesc tupdesc, HeapTuple tuple, AttrNumber skip, uint8 *out)
{
	StringInfoData buf;
	int			i;
	int			ncols = 0;

	for (i = 0; i < tupdesc->natts; i++)
	{
		if (!TupleDescAttr(tupdesc, i)->attisdropped && i + 1 != skip)
			ncols++;
	}
	initStringInfo(&buf);
	put_u8(&buf, CAPA_ROW_ENCODING);
	put_u16(&buf, (uint16) ncols);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		bool		isnull;
		Datum		value;

		if (att->attisdropped || i + 1 == skip)
			continue;
		put_str(&buf, NameStr(att->attname));
		value = heap_getattr(tuple, i + 1, tupdesc, &isnull);
		if (isnull)
			put_bytes(&buf, NULL, 0);
		else
			put_value(&buf, value, att->atttypid);
	}
	capa_sha256(buf.data, buf.len, out);
	pfree(buf.data);
}
