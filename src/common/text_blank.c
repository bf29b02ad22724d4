/*-------------------------------------------------------------------------
 *
 * text_blank.c
 *	  The one rule of what text is blank: capa_text_blank() for the C
 *	  code, capa.capa_blank(text) for the SQL.
 *
 * Required text (a record's title, description, source and owner, the
 * evidence of each step, cancel and reopen reasons, an action item's
 * description, owner and evidence, a review snapshot's label, capa_import's
 * and capa_intake's values) must say something.  Text made only of
 * characters that show nothing says nothing: in a UTF-8 database that is
 * every character of Unicode's White_Space property (U+0009-U+000D,
 * U+0020, U+0085, U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F,
 * U+205F, U+3000), every Default_Ignorable_Code_Point (among them U+00AD
 * soft hyphen, U+180B-U+180F with U+180E, U+200B-U+200F zero-width
 * characters and marks, U+202A-U+202E and U+2066-U+2069 bidirectional
 * controls, U+2060-U+2064 word joiner and invisible operators, U+3164 and
 * U+FFA0 Hangul fillers, U+FE00-U+FE0F variation selectors, U+FEFF, the
 * tags U+E0000-U+E0FFF), and U+2800 (braille pattern blank); in
 * any other server encoding, ASCII whitespace.  The empty string is blank.
 *
 * IDENTIFICATION
 *	  src/common/text_blank.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"

#include "common/pg_compat.h"
#include "common/text_blank.h"


PG_FUNCTION_INFO_V1(capa_blank);

/*
 * Unicode's White_Space, then its Default_Ignorable_Code_Point (characters
 * a renderer shows as nothing: soft hyphen, joiners, bidirectional
 * controls, variation selectors, Hangul fillers, tags ...), then U+2800
 * (braille pattern blank, which is neither but shows as a space); sorted
 */
static const struct
{
	pg_wchar	first;
	pg_wchar	last;
}			blank_ranges[] =
{
	{0x0009, 0x000D}, {0x0020, 0x0020}, {0x0085, 0x0085}, {0x00A0, 0x00A0},
	{0x00AD, 0x00AD}, {0x034F, 0x034F}, {0x061C, 0x061C}, {0x115F, 0x1160},
	{0x1680, 0x1680}, {0x17B4, 0x17B5}, {0x180B, 0x180F}, {0x2000, 0x200F},
	{0x2028, 0x202F}, {0x205F, 0x206F}, {0x2800, 0x2800}, {0x3000, 0x3000},
	{0x3164, 0x3164}, {0xFE00, 0xFE0F}, {0xFEFF, 0xFEFF}, {0xFFA0, 0xFFA0},
	{0xFFF0, 0xFFF8}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0000, 0xE0FFF},
};

static bool
blank_code_point(pg_wchar c)
{
	int			lo = 0;
	int			hi = lengthof(blank_ranges) - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;

		if (c < blank_ranges[mid].first)
			hi = mid - 1;
		else if (c > blank_ranges[mid].last)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

static bool
ascii_space(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

bool
capa_blank_bytes(const char *p, int len)
{
	const unsigned char *s = (const unsigned char *) p;
	int			i = 0;

	if (GetDatabaseEncoding() == PG_UTF8)
	{
		while (i < len)
		{
			int			l;

			if (s[i] < 0x80)
			{
				if (!ascii_space(s[i]))
					return false;
				i++;
				continue;
			}
			/* text is validly encoded: the whole character is there */
			l = pg_utf_mblen(&s[i]);
			if (l > len - i || !blank_code_point(utf8_to_unicode(&s[i])))
				return false;
			i += l;
		}
		return true;
	}
	while (i < len)
	{
		if (!ascii_space(s[i]))
			return false;
		/* a multibyte character is never blank; only ASCII is looked at */
		i++;
	}
	return true;
}

bool
capa_text_blank(Datum value)
{
	text	   *t = DatumGetTextPP(value);

	return capa_blank_bytes(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/* capa.capa_blank(text): the same rule for SQL; NULL for NULL */
Datum
capa_blank(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(capa_text_blank(PG_GETARG_DATUM(0)));
}
