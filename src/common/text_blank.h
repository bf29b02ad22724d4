/*-------------------------------------------------------------------------
 *
 * text_blank.h
 *	  The one rule of what text is blank (text_blank.c).
 *
 * IDENTIFICATION
 *	  src/common/text_blank.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_TEXT_BLANK_H
#define CAPA_TEXT_BLANK_H

#include "postgres.h"

/*
 * True if a text Datum (or len bytes of text in the server encoding) is
 * empty or made only of characters that show nothing: Unicode White_Space
 * and the invisible format characters in UTF-8, ASCII whitespace in other
 * encodings (text_blank.c has the list)
 */
extern bool capa_text_blank(Datum value);
extern bool capa_blank_bytes(const char *p, int len);

#endif							/* CAPA_TEXT_BLANK_H */
