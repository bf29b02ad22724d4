/*-------------------------------------------------------------------------
 *
 * ref_format.c
 *	  Parse, format, pack and unpack CAPA-YYYY-NNNNNN references.
 *
 * IDENTIFICATION
 *	  src/types/ref_format.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "types/ref_format.h"

#define NUMBER_BITS 40
#define NUMBER_MASK ((INT64_C(1) << NUMBER_BITS) - 1)

bool
capa_ref_pack(int year, int64_t number, int64_t *packed)
{
	if (year < CAPA_REF_YEAR_MIN || year > CAPA_REF_YEAR_MAX)
		return false;
	if (number < CAPA_REF_NUMBER_MIN || number > CAPA_REF_NUMBER_MAX)
		return false;
	*packed = ((int64_t) year << NUMBER_BITS) | number;
	return true;
}

bool
capa_ref_unpack(int64_t packed, int *year, int64_t *number)
{
	int64_t		y;
	int64_t		n;

	if (packed <= 0)
		return false;
	y = packed >> NUMBER_BITS;
	n = packed & NUMBER_MASK;
	if (y < CAPA_REF_YEAR_MIN || y > CAPA_REF_YEAR_MAX)
		return false;
	if (n < CAPA_REF_NUMBER_MIN || n > CAPA_REF_NUMBER_MAX)
		return false;
	*year = (int) y;
	*number = n;
	return true;
}

/* Value of len ASCII digits at s, or -1 if any byte is not a digit */
static int64_t
parse_digits(const char *s, size_t len)
{
	int64_t		v = 0;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * Only the canonical spelling is accepted (upper-case prefix, no spaces,
 * no padding beyond six digits), so every reference has exactly one text.
 */
bool
capa_ref_parse(const char *str, size_t len, int64_t *packed)
{
	const size_t prefix_len = 5;	/* "CAPA-" */
	const size_t year_len = 4;
	size_t		number_len;
	const char *number_text;
	int64_t		year;
	int64_t		number;

	if (str == NULL || len < prefix_len + year_len + 1 + CAPA_REF_NUMBER_DIGITS)
		return false;
	if (memcmp(str, "CAPA-", prefix_len) != 0 || str[prefix_len + year_len] != '-')
		return false;

	year = parse_digits(str + prefix_len, year_len);
	if (year < 0 || str[prefix_len] == '0')
		return false;

	number_text = str + prefix_len + year_len + 1;
	number_len = len - (prefix_len + year_len + 1);
	if (number_len > 12)
		return false;
	if (number_len > CAPA_REF_NUMBER_DIGITS && number_text[0] == '0')
		return false;
	number = parse_digits(number_text, number_len);
	if (number < 0)
		return false;

	return capa_ref_pack((int) year, number, packed);
}

bool
capa_ref_format(int64_t packed, char *buf)
{
	int			year;
	int64_t		number;

	if (!capa_ref_unpack(packed, &year, &number))
		return false;
	snprintf(buf, CAPA_REF_TEXT_MAX, "CAPA-%04d-%06lld", year, (long long) number);
	return true;
}
