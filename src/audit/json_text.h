/*-------------------------------------------------------------------------
 *
 * json_text.h
 *	  jsonb's text output, byte for byte as jsonb_out writes it, for the
 *	  audit encoding (which covers the "changed" column as that text).
 *
 * IDENTIFICATION
 *	  src/audit/json_text.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_JSON_TEXT_H
#define CAPA_JSON_TEXT_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/jsonb.h"

/* Append the text jsonb_out gives for j to buf */
extern void capa_jsonb_text(StringInfo buf, Jsonb *j);

#endif							/* CAPA_JSON_TEXT_H */
