/*-------------------------------------------------------------------------
 *
 * jsonb_build.c
 *	  Valid jsonb values from fuzz input, with their expected text
 *	  (see jsonb_build.h for the grammar and the layout).
 *
 * Written from utils/jsonb.h's description of the format, not from
 * src/audit/json_text.c (which reads it) nor jsonb_util.c.
 *
 * IDENTIFICATION
 *	  fuzz/jsonb_build.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "jsonb_build.h"

typedef enum JvKind
{
	JV_STRING,
	JV_NUMBER,
	JV_TRUE,
	JV_FALSE,
	JV_NULL,
	JV_ARRAY,
	JV_OBJECT
} JvKind;

typedef struct Jv
{
	JvKind		kind;
	const char *str;			/* JV_STRING: bytes (no NUL) */
	int			len;
	bool		neg;			/* JV_NUMBER: sign and magnitude */
	uint64		mag;
	int			count;			/* JV_ARRAY: elements; JV_OBJECT: pairs */
	int			period;			/* JEntry i holds an offset iff */
	int			phase;			/* (i + phase) % period == 0 */
	struct Jv  *keys;			/* JV_OBJECT: count keys (JV_STRING) */
	struct Jv  *vals;			/* elements, or the keys' values */
} Jv;

typedef struct Reader
{
	FuzzSource *s;
	int			budget;			/* values still allowed */
} Reader;

static void read_value(Reader *r, Jv *v, int depth);

static void
read_string(Reader *r, Jv *v)
{
	int			len = (int) fuzz_take(r->s, 1);
	char	   *b = fuzz_take_bytes(r->s, len);
	int			i;

	for (i = 0; i < len; i++)
	{
		if (b[i] == '\0')
			b[i] = '0';
	}
	v->kind = JV_STRING;
	v->str = b;
	v->len = len;
}

static int
read_count(Reader *r)
{
	int			n = (int) fuzz_take(r->s, 1);

	if (n > r->budget)
		n = r->budget;
	r->budget -= n;
	return n;
}

/* PostgreSQL's key order: shorter first, then by bytes */
static int
key_cmp(const Jv *a, const Jv *b)
{
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return memcmp(a->str, b->str, a->len);
}

/*
 * Sort the pairs by key; of equal keys the last one given stays (as in
 * jsonb_in).  An insertion sort: objects are small here.
 */
static void
sort_pairs(Jv *v)
{
	int			i;
	int			n = 0;

	for (i = 0; i < v->count; i++)
	{
		Jv			k = v->keys[i];
		Jv			val = v->vals[i];
		int			j = n;
		int			c = 1;

		while (j > 0 && (c = key_cmp(&v->keys[j - 1], &k)) > 0)
			j--;
		if (j > 0 && c == 0)
		{
			v->vals[j - 1] = val;	/* a later duplicate replaces the value */
			continue;
		}
		memmove(&v->keys[j + 1], &v->keys[j], (n - j) * sizeof(Jv));
		memmove(&v->vals[j + 1], &v->vals[j], (n - j) * sizeof(Jv));
		v->keys[j] = k;
		v->vals[j] = val;
		n++;
	}
	v->count = n;
}

/* Where the offsets go, from a stride byte (jsonb_build.h) */
static void
set_offsets(Jv *v, int stride)
{
	if (stride == 0)
	{
		v->period = JB_OFFSET_STRIDE;	/* PostgreSQL's own choice */
		v->phase = 0;
	}
	else
	{
		v->period = (stride >> 4) + 1;
		v->phase = stride & 15;
	}
}

static void
read_value(Reader *r, Jv *v, int depth)
{
	int			kind = (int) (fuzz_take(r->s, 1) % 7);
	int			i;

	memset(v, 0, sizeof(*v));
	if (kind >= JV_ARRAY && depth >= FUZZ_JSONB_MAX_DEPTH)
		kind = JV_NULL;
	switch (kind)
	{
		case JV_STRING:
			read_string(r, v);
			break;
		case JV_NUMBER:
			{
				int			b = (int) fuzz_take(r->s, 1);
				int			nbytes = Min(b & 15, 8);

				v->kind = JV_NUMBER;
				v->mag = fuzz_take(r->s, nbytes);
				v->neg = (b & 0x80) != 0 && v->mag != 0;
				break;
			}
		case JV_TRUE:
		case JV_FALSE:
		case JV_NULL:
			v->kind = (JvKind) kind;
			break;
		case JV_ARRAY:
		case JV_OBJECT:
			{
				int			stride = (int) fuzz_take(r->s, 1);

				v->kind = (JvKind) kind;
				set_offsets(v, stride);
				v->count = read_count(r);
				v->vals = palloc(Max(v->count, 1) * sizeof(Jv));
				if (kind == JV_OBJECT)
					v->keys = palloc(Max(v->count, 1) * sizeof(Jv));
				for (i = 0; i < v->count; i++)
				{
					if (kind == JV_OBJECT)
						read_string(r, &v->keys[i]);
					read_value(r, &v->vals[i], depth + 1);
				}
				if (kind == JV_OBJECT)
					sort_pairs(v);
				break;
			}
	}
}

/* ---- the expected text ---- */

/* escape_json(): \b \f \n \r \t \" \\ by name, other bytes below 0x20 as
 * \u00XX (lower-case hex), everything else as is */
static void
expect_string(StringInfo out, const char *s, int len)
{
	int			i;

	appendStringInfoChar(out, '"');
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		switch (c)
		{
			case '\b':
				appendStringInfoString(out, "\\b");
				break;
			case '\f':
				appendStringInfoString(out, "\\f");
				break;
			case '\n':
				appendStringInfoString(out, "\\n");
				break;
			case '\r':
				appendStringInfoString(out, "\\r");
				break;
			case '\t':
				appendStringInfoString(out, "\\t");
				break;
			case '"':
				appendStringInfoString(out, "\\\"");
				break;
			case '\\':
				appendStringInfoString(out, "\\\\");
				break;
			default:
				if (c < 0x20)
				{
					static const char hex[] = "0123456789abcdef";

					appendStringInfoString(out, "\\u00");
					appendStringInfoChar(out, hex[c >> 4]);
					appendStringInfoChar(out, hex[c & 15]);
				}
				else
					appendStringInfoChar(out, (char) c);
		}
	}
	appendStringInfoChar(out, '"');
}

static void
expect_value(StringInfo out, const Jv *v)
{
	int			i;

	switch (v->kind)
	{
		case JV_STRING:
			expect_string(out, v->str, v->len);
			break;
		case JV_NUMBER:
			appendStringInfo(out, "%s%llu", v->neg ? "-" : "", (unsigned long long) v->mag);
			break;
		case JV_TRUE:
			appendStringInfoString(out, "true");
			break;
		case JV_FALSE:
			appendStringInfoString(out, "false");
			break;
		case JV_NULL:
			appendStringInfoString(out, "null");
			break;
		case JV_ARRAY:
			appendStringInfoChar(out, '[');
			for (i = 0; i < v->count; i++)
			{
				if (i > 0)
					appendStringInfoString(out, ", ");
				expect_value(out, &v->vals[i]);
			}
			appendStringInfoChar(out, ']');
			break;
		case JV_OBJECT:
			appendStringInfoChar(out, '{');
			for (i = 0; i < v->count; i++)
			{
				if (i > 0)
					appendStringInfoString(out, ", ");
				expect_string(out, v->keys[i].str, v->keys[i].len);
				appendStringInfoString(out, ": ");
				expect_value(out, &v->vals[i]);
			}
			appendStringInfoChar(out, '}');
			break;
	}
}

/* ---- the on-disk layout ---- */

static void
put_u32_at(StringInfo b, int at, uint32 v)
{
	memcpy(b->data + at, &v, sizeof(v));	/* native order, as on disk */
}

static void
pad_to_int(StringInfo b)
{
	while (b->len % sizeof(uint32) != 0)
		appendStringInfoChar(b, '\0');
}

/* A numeric in the short form numeric_in writes for an integer */
static void
put_numeric(StringInfo b, bool neg, uint64 mag)
{
	int16		digits[5];		/* 2^64 < 10000^5 */
	int			ndigits = 0;
	int			weight;
	int			start = b->len;
	uint16		header;
	uint64		m = mag;
	int			i;

	while (m > 0)
	{
		digits[ndigits++] = (int16) (m % FUZZ_NUMERIC_NBASE);	/* least first */
		m /= FUZZ_NUMERIC_NBASE;
	}
	weight = ndigits - 1;		/* the most significant digit's power */
	/* trailing zero digits are not stored */
	i = 0;
	while (i < ndigits && digits[i] == 0)
		i++;
	if (ndigits == 0)
		weight = 0;
	header = FUZZ_NUMERIC_SHORT | (neg ? FUZZ_NUMERIC_SHORT_NEG : 0) |
		(uint16) (weight & FUZZ_NUMERIC_SHORT_WEIGHT_MASK);
	appendStringInfoSpaces(b, VARHDRSZ);
	appendBinaryStringInfo(b, (const char *) &header, sizeof(header));
	for (int d = ndigits - 1; d >= i; d--)
		appendBinaryStringInfo(b, (const char *) &digits[d], sizeof(int16));
	SET_VARSIZE(b->data + start, b->len - start);
}

static uint32 put_container(StringInfo b, const Jv *v, bool raw_scalar);

/* One child's data; returns its JEntry, its length including any padding
 * before it */
static JEntry
put_child(StringInfo b, const Jv *v)
{
	int			start = b->len;

	switch (v->kind)
	{
		case JV_STRING:
			appendBinaryStringInfo(b, v->str, v->len);
			return JENTRY_ISSTRING | (uint32) v->len;
		case JV_NUMBER:
			pad_to_int(b);
			put_numeric(b, v->neg, v->mag);
			return JENTRY_ISNUMERIC | (uint32) (b->len - start);
		case JV_TRUE:
			return JENTRY_ISBOOL_TRUE;
		case JV_FALSE:
			return JENTRY_ISBOOL_FALSE;
		case JV_NULL:
			return JENTRY_ISNULL;
		case JV_ARRAY:
		case JV_OBJECT:
			pad_to_int(b);
			put_container(b, v, false);
			return JENTRY_ISCONTAINER | (uint32) (b->len - start);
	}
	return 0;
}

/* A container at b's end (int-aligned): header, JEntrys, data */
static uint32
put_container(StringInfo b, const Jv *v, bool raw_scalar)
{
	int			nchildren = raw_scalar ? 1 :
		v->kind == JV_OBJECT ? 2 * v->count : v->count;
	uint32		header;
	int			jentries;
	uint32		total = 0;
	int			i;

	Assert(b->len % sizeof(uint32) == 0);
	if (raw_scalar)
		header = 1 | JB_FARRAY | JB_FSCALAR;
	else
		header = (uint32) v->count | (v->kind == JV_OBJECT ? JB_FOBJECT : JB_FARRAY);
	appendBinaryStringInfo(b, (const char *) &header, sizeof(header));
	jentries = b->len;
	appendStringInfoSpaces(b, nchildren * sizeof(JEntry));
	for (i = 0; i < nchildren; i++)
	{
		const Jv   *child;
		JEntry		je;

		if (raw_scalar)
			child = v;
		else if (v->kind == JV_ARRAY)
			child = &v->vals[i];
		else
			child = i < v->count ? &v->keys[i] : &v->vals[i - v->count];
		je = put_child(b, child);
		total += je & JENTRY_OFFLENMASK;
		if ((i + v->phase) % v->period == 0)
			je = (je & JENTRY_TYPEMASK) | JENTRY_HAS_OFF | total;
		put_u32_at(b, jentries + i * (int) sizeof(JEntry), je);
	}
	return total;
}

Jsonb *
fuzz_jsonb_build(FuzzSource *s, StringInfo expected)
{
	Reader		r = {s, FUZZ_JSONB_MAX_NODES};
	Jv			root;
	StringInfoData b;
	Jsonb	   *j;

	read_value(&r, &root, 0);
	expect_value(expected, &root);

	initStringInfo(&b);
	appendStringInfoSpaces(&b, VARHDRSZ);
	if (root.kind == JV_ARRAY || root.kind == JV_OBJECT)
		put_container(&b, &root, false);
	else
	{
		Jv			wrap = root;

		/* a raw scalar: one more byte for its JEntry's offset or length */
		set_offsets(&wrap, (int) fuzz_take(s, 1));
		put_container(&b, &wrap, true);
	}
	/* a chunk of exactly the value's size */
	j = palloc(b.len);
	memcpy(j, b.data, b.len);
	SET_VARSIZE(j, b.len);
	pfree(b.data);
	return j;
}
