/*-------------------------------------------------------------------------
 *
 * digest.h
 *	  Digests over every audit chain head (see digest.c for the format).
 *
 * IDENTIFICATION
 *	  src/audit/digest.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_DIGEST_H
#define CAPA_DIGEST_H

#include "postgres.h"

#include "audit/chain.h"

struct pg_cryptohash_ctx;

/*
 * A digest being computed from audit rows fed in chain order
 * (capa_id, action_id NULLS LAST, chain_seq): the last row fed of each
 * chain is its head.
 */
typedef struct CapaDigestAcc
{
	struct pg_cryptohash_ctx *ctx;
	int64		chains;
	bool		have;
	int64		capa_id;
	bool		has_action;
	int64		action_id;
	int32		chain_seq;
	bool		hash_ok;
	uint8		hash[CAPA_HASH_LEN];
} CapaDigestAcc;

extern void capa_digest_begin(CapaDigestAcc *acc);
extern void capa_digest_row(CapaDigestAcc *acc, int64 capa_id, bool has_action,
							int64 action_id, int32 chain_seq, Datum hash,
							bool hash_null);
extern void capa_digest_end(CapaDigestAcc *acc, int64 *chains, uint8 *out);

/* SHA-256 over the chain heads as of max_seq, under the active snapshot */
extern void capa_compute_digest(int64 max_seq, int64 *chains, uint8 *out);

/* capa-digest:v1:<max seq>:<chains>:<hex> */
extern char *capa_format_digest(int64 max_seq, int64 chains, const uint8 *hash);
extern bool capa_parse_digest(const char *text, int64 *max_seq, int64 *chains,
							  uint8 *hash);

#endif							/* CAPA_DIGEST_H */
