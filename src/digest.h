/*-------------------------------------------------------------------------
 *
 * digest.h
 *	  Digests over every audit chain head (see digest.c for the format).
 *
 * IDENTIFICATION
 *	  src/digest.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_DIGEST_H
#define CAPA_DIGEST_H

#include "postgres.h"

/* SHA-256 over the chain heads as of max_seq; the caller is in SPI */
extern void capa_compute_digest(int64 max_seq, int64 *chains, uint8 *out);

/* capa-digest:v1:<max seq>:<chains>:<hex> */
extern char *capa_format_digest(int64 max_seq, int64 chains, const uint8 *hash);
extern bool capa_parse_digest(const char *text, int64 *max_seq, int64 *chains,
							  uint8 *hash);

#endif							/* CAPA_DIGEST_H */
