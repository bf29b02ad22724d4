/*-------------------------------------------------------------------------
 *
 * ref_format.h
 *	  The human reference of a record, CAPA-YYYY-NNNNNN, and its packing
 *	  into 64 bits.
 *
 * Pure C (no PostgreSQL headers), so it can be unit-tested and fuzzed alone.
 *
 * A reference packs the year into the bits above bit 40 and the number
 * into the 40 bits below, so comparing the int64 values orders references
 * by year and then by number, and every valid value is positive.
 *
 * IDENTIFICATION
 *	  src/types/ref_format.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_REF_FORMAT_H
#define CAPA_REF_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CAPA_REF_YEAR_MIN		1000
#define CAPA_REF_YEAR_MAX		9999
#define CAPA_REF_NUMBER_MIN		INT64_C(1)
#define CAPA_REF_NUMBER_MAX		INT64_C(999999999999)	/* 12 digits */
#define CAPA_REF_NUMBER_DIGITS	6	/* zero-padded to at least this */
#define CAPA_REF_TEXT_MAX		23	/* "CAPA-9999-999999999999" + NUL */
#define CAPA_REF_ACCEPTED \
	"CAPA-YYYY-NNNNNN (a four-digit year and a number of at least six digits, zero-padded to six)"

/* Pack a year and number; false when either is out of range */
extern bool capa_ref_pack(int year, int64_t number, int64_t *packed);

/* Unpack; false when packed is not a valid reference */
extern bool capa_ref_unpack(int64_t packed, int *year, int64_t *number);

/* Parse exactly one canonical reference of len bytes; false if invalid */
extern bool capa_ref_parse(const char *str, size_t len, int64_t *packed);

/* Format a valid packed reference into buf (CAPA_REF_TEXT_MAX bytes) */
extern bool capa_ref_format(int64_t packed, char *buf);

#endif							/* CAPA_REF_FORMAT_H */
