/*-------------------------------------------------------------------------
 *
 * json_text.c
 *	  jsonb's text output without JsonbToCString's per-character work.
 *
 * Verification re-encodes every audit row, and JsonbToCString walks the
 * value through JsonbIteratorNext, copies each string (pnstrdup) and
 * escapes it one character at a time; that was the largest single cost of
 * capa_audit_verify().  This reads the container layout directly (it is
 * the on-disk format, stable across releases) and writes the same bytes:
 * ", " between members and elements, ": " after keys, strings escaped as
 * escape_json does (\b \f \n \r \t \" \\ and \u00XX below 0x20), numbers
 * as numeric_out, a raw scalar without brackets.  The regression tests
 * compare it with jsonb's own text output on every audit row
 * (47_reference_verifier) and on awkward values (45_chain).
 *
 * IDENTIFICATION
 *	  src/audit/json_text.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "audit/json_text.h"
#include "common/pg_compat.h"

/* appendBinaryStringInfo without a call when there is room */
static inline void
append(StringInfo buf, const char *data, int n)
{
	if (buf->len + n >= buf->maxlen)
		enlargeStringInfo(buf, n);
	memcpy(buf->data + buf->len, data, n);
	buf->len += n;
	buf->data[buf->len] = '\0';
}

/*
 * Whether any of the 8 bytes at p needs escaping: a control character
 * (below 0x20), '"' or '\\'.  The classic "has a zero byte" test on the
 * word, its XORs with '"' and '\\', and for "below 0x20" the same test
 * shifted (bytes of 0x80 and above never count).  A borrow can flag a
 * byte after a real hit, never without one: a flagged word is then looked
 * at byte by byte.
 */
static inline bool
word_needs_escape(const char *p)
{
	const uint64 ones = UINT64CONST(0x0101010101010101);
	const uint64 highs = UINT64CONST(0x8080808080808080);
	uint64		w;
	uint64		quote;
	uint64		backslash;

	memcpy(&w, p, sizeof(w));
	quote = w ^ (ones * '"');
	backslash = w ^ (ones * '\\');
	return ((((w - ones * 0x20) & ~w) |
			 ((quote - ones) & ~quote) |
			 ((backslash - ones) & ~backslash)) & highs) != 0;
}

/*
 * A JSON string: runs without escapes are copied whole, and found eight
 * bytes at a time (audit text is mostly plain)
 */
static void
put_json_string(StringInfo buf, const char *s, int len)
{
	const char *end = s + len;
	const char *run = s;

	appendStringInfoCharMacro(buf, '"');
	while (s < end)
	{
		unsigned char c;
		const char *esc;

		if (end - s >= 8 && !word_needs_escape(s))
		{
			s += 8;
			continue;
		}
		c = (unsigned char) *s;
		if (c >= 0x20 && c != '"' && c != '\\')
		{
			s++;
			continue;
		}
		if (s > run)
			append(buf, run, (int) (s - run));
		run = ++s;
		switch (c)
		{
			case '\b':
				esc = "\\b";
				break;
			case '\f':
				esc = "\\f";
				break;
			case '\n':
				esc = "\\n";
				break;
			case '\r':
				esc = "\\r";
				break;
			case '\t':
				esc = "\\t";
				break;
			case '"':
				esc = "\\\"";
				break;
			case '\\':
				esc = "\\\\";
				break;
			default:
				appendStringInfo(buf, "\\u%04x", (int) c);
				continue;
		}
		append(buf, esc, 2);
	}
	if (end > run)
		append(buf, run, (int) (end - run));
	appendStringInfoCharMacro(buf, '"');
}

pg_noreturn static void corrupted(void);

static void
corrupted(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("capa: corrupted jsonb value in the audit trail")));
}

/*
 * A numeric as jsonb stores it (numeric_in's result: a 4-byte header,
 * uncompressed) within room bytes, long enough for the header words
 * numeric_out reads (one, or two in the long form: neither short, 0x8000,
 * nor special, 0xC000).  Anything else would have numeric_out detoast
 * (follow a TOAST pointer) or read past the value.
 */
static void
check_numeric(const char *n, uint32 room)
{
	uint16		first;

	if (room < VARHDRSZ + sizeof(uint16) || !VARATT_IS_4B_U(n) ||
		VARSIZE(n) > room || VARSIZE(n) < VARHDRSZ + sizeof(uint16))
		corrupted();
	memcpy(&first, n + VARHDRSZ, sizeof(first));
	if ((first & 0x8000) == 0 && VARSIZE(n) < VARHDRSZ + 2 * sizeof(uint16))
		corrupted();
}

static void
put_numeric(StringInfo buf, Numeric n)
{
	appendStringInfoString(buf, DatumGetCString(DirectFunctionCall1(numeric_out,
																	NumericGetDatum(n))));
}

static void put_container(StringInfo buf, const JsonbContainer *jc, const char *limit);

/*
 * One child of a container, its data at [start, end) of the container's
 * data area base.  Numbers and containers are stored int-aligned.
 */
static void
put_child(StringInfo buf, JEntry je, const char *base, uint32 start, uint32 end,
		  const char *limit)
{
	if (base + end > limit || start > end)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("capa: corrupted jsonb value in the audit trail")));
	switch (je & JENTRY_TYPEMASK)
	{
		case JENTRY_ISSTRING:
			put_json_string(buf, base + start, (int) (end - start));
			break;
		case JENTRY_ISNUMERIC:
			if (INTALIGN(start) > end)
				corrupted();
			check_numeric(base + INTALIGN(start), end - INTALIGN(start));
			put_numeric(buf, (Numeric) (base + INTALIGN(start)));
			break;
		case JENTRY_ISBOOL_TRUE:
			append(buf, "true", 4);
			break;
		case JENTRY_ISBOOL_FALSE:
			append(buf, "false", 5);
			break;
		case JENTRY_ISNULL:
			append(buf, "null", 4);
			break;
		case JENTRY_ISCONTAINER:
			/* room for its header, at least */
			if (INTALIGN(start) > end || end - INTALIGN(start) < sizeof(uint32))
				corrupted();
			put_container(buf, (const JsonbContainer *) (base + INTALIGN(start)), base + end);
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("capa: corrupted jsonb value in the audit trail")));
	}
}

/*
 * A container straight from its on-disk layout (utils/jsonb.h): a header
 * with the count and kind, then the JEntrys (an object's keys, then its
 * values), then the data they point into.
 */
static void
put_container(StringInfo buf, const JsonbContainer *jc, const char *limit)
{
	uint32		header;
	int			count;
	bool		object;
	int			nentries;
	const char *base;
	uint32		start[64];
	uint32		end[64];
	uint32	   *starts = start;
	uint32	   *ends = end;
	uint32		offset = 0;
	int			i;

	/* nested jsonb is as deep as the parser's stack allowed, or tampered */
	check_stack_depth();
	/* the caller made sure of room for the header */
	header = jc->header;
	count = (int) (header & JB_CMASK);
	object = (header & JB_FOBJECT) != 0;
	nentries = object ? 2 * count : count;
	if ((size_t) nentries > (size_t) (limit - (const char *) jc->children) / sizeof(JEntry))
		corrupted();
	base = (const char *) &jc->children[nentries];
	if (nentries > (int) lengthof(start))
	{
		starts = palloc(nentries * sizeof(uint32));
		ends = palloc(nentries * sizeof(uint32));
	}
	for (i = 0; i < nentries; i++)
	{
		starts[i] = offset;
		JBE_ADVANCE_OFFSET(offset, jc->children[i]);
		ends[i] = offset;
	}

	if (header & JB_FSCALAR)
	{
		/* a raw scalar: a one-element array, written without brackets */
		if (count != 1)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("capa: corrupted jsonb value in the audit trail")));
		put_child(buf, jc->children[0], base, starts[0], ends[0], limit);
	}
	else if (object)
	{
		appendStringInfoCharMacro(buf, '{');
		for (i = 0; i < count; i++)
		{
			if (i > 0)
				append(buf, ", ", 2);
			put_child(buf, jc->children[i], base, starts[i], ends[i], limit);
			append(buf, ": ", 2);
			put_child(buf, jc->children[count + i], base, starts[count + i],
					  ends[count + i], limit);
		}
		appendStringInfoCharMacro(buf, '}');
	}
	else
	{
		appendStringInfoCharMacro(buf, '[');
		for (i = 0; i < count; i++)
		{
			if (i > 0)
				append(buf, ", ", 2);
			put_child(buf, jc->children[i], base, starts[i], ends[i], limit);
		}
		appendStringInfoCharMacro(buf, ']');
	}
	if (starts != start)
	{
		pfree(starts);
		pfree(ends);
	}
}

void
capa_jsonb_text(StringInfo buf, Jsonb *j)
{
	if (VARSIZE(j) < VARHDRSZ + sizeof(uint32))
		corrupted();
	put_container(buf, &j->root, (const char *) j + VARSIZE(j));
}
