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
 * U+205F, U+3000) and the invisible format characters U+200B-U+200D
 * (zero-width space, non-joiner, joiner), U+2060 (word joiner), U+FEFF
 * (zero-width no-break space) and U+180E (Mongolian vowel separator); in
 * any other server encoding, ASCII whitespace.  The empty string is blank.
 *
 * IDENTIFICATION
 *	  src/text_blank.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"

#include "capa.h"

PG_FUNCTION_INFO_V1(capa_blank);

static bool
blank_code_point(pg_wchar c)
{
	switch (c)
	{
		case 0x0009:
		case 0x000A:
		case 0x000B:
		case 0x000C:
		case 0x000D:
		case 0x0020:
		case 0x0085:
		case 0x00A0:
		case 0x1680:
		case 0x180E:
		case 0x2028:
		case 0x2029:
		case 0x202F:
		case 0x205F:
		case 0x2060:
		case 0x3000:
		case 0xFEFF:
			return true;
		default:
			/* U+2000-U+200A: the spaces; U+200B-U+200D: zero-width */
			return c >= 0x2000 && c <= 0x200D;
	}
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
