/*-------------------------------------------------------------------------
 *
 * chain.h
 *	  The canonical byte encodings that capa's audit hashes cover, and
 *	  SHA-256 over them.
 *
 * Two encodings, both versioned and independent of every session setting
 * (never ::text output of timestamps and the like):
 *	  - an audit row (capa_audit_bytes(seq) returns exactly these bytes); its
 *		SHA-256 is the row's hash, and it covers the previous hash of the
 *		same chain, so the rows of one register or action row form a chain;
 *	  - a register or action row's content, whose SHA-256 the audit row
 *		keeps as row_hash, so a later change that bypassed the trigger shows.
 * The layouts are documented in docs/audit-chain.md ("Byte formats").
 *
 * IDENTIFICATION
 *	  src/audit/chain.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_CHAIN_H
#define CAPA_CHAIN_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#define CAPA_AUDIT_ENCODING		1	/* version byte of the audit encoding */
#define CAPA_ROW_ENCODING		1	/* version byte of the row encoding */
#define CAPA_HASH_LEN			PG_SHA256_DIGEST_LENGTH

/*
 * The column of capa.audit and capa.escalation that names the record: capa_id
 * as on capa.action and capa.link since 0.4.0, record_id in a database that
 * has not run ALTER EXTENSION capa UPDATE yet.  Statements write it as
 * REF_COLUMN; capa_schema_sql() (schema_cache.c) puts in the database's name.
 */
#define REF_COLUMN "@ref_column@"

/*
 * The columns of capa.audit in table order, as
 * capa_audit_fields_from_values() reads them; hash is column 18.
 */
#define CAPA_AUDIT_COLUMNS \
	"a.seq, a." REF_COLUMN ", a.action_id, a.chain_seq, a.step, a.from_state," \
	" a.to_state, a.changed, a.actor, a.session_actor, a.app_user," \
	" a.application_name, a.client_addr, a.xid, a.at, a.row_hash, a.prev_hash," \
	" a.hash, a.encoding"
#define CAPA_AUDIT_HASH_COLUMN 18
#define CAPA_AUDIT_NCOLS 19

/* A string as bytes (not NUL-terminated); data NULL is SQL NULL */
typedef struct CapaStr
{
	const char *data;
	int			len;
} CapaStr;

/* The fields of one audit row, as the encoding reads them */
typedef struct CapaAuditFields
{
	int64		seq;
	int64		capa_id;		/* packed capa_ref */
	bool		has_action;
	int64		action_id;
	int32		chain_seq;
	CapaStr		step;
	int16		from_state;		/* 0 when NULL */
	int16		to_state;		/* 0 when NULL */
	Jsonb	   *changed;		/* encoded as its canonical text; NULL allowed */
	CapaStr		actor;
	CapaStr		session_actor;
	CapaStr		app_user;
	CapaStr		application_name;
	bool		has_client_addr;
	Datum		client_addr;	/* inet, encoded as its text */
	uint64		xid;
	TimestampTz at;
	const uint8 *row_hash;		/* CAPA_HASH_LEN bytes */
	const uint8 *prev_hash;		/* CAPA_HASH_LEN bytes, or NULL: first */
} CapaAuditFields;

/* A C string (or NULL) as a CapaStr */
extern CapaStr capa_str(const char *s);

/* Append the canonical encoding of an audit row to buf */
extern void capa_audit_encode(StringInfo buf, const CapaAuditFields *f);

/*
 * Fill f from the values of an audit row, in CAPA_AUDIT_COLUMNS order
 * (which is also the table's column order); f points into values.
 */
extern void capa_audit_fields_from_values(const Datum *values, const bool *nulls,
										  CapaAuditFields *f);

/* SHA-256 of len bytes into out (CAPA_HASH_LEN bytes) */
extern void capa_sha256(const void *data, size_t len, uint8 *out);

/* A SHA-256 context for hashing in steps (digests); freed by _end */
struct pg_cryptohash_ctx;
extern struct pg_cryptohash_ctx *capa_sha256_begin(void);
extern void capa_sha256_end(struct pg_cryptohash_ctx *ctx);

/* Forget the cached send functions (capa's schema cache was rebuilt) */
extern void capa_chain_reset_cache(void);

/* SHA-256 of the canonical encoding of a row, leaving out column skip */
/* a column the row encoding leaves out: derived by the triggers (chain.c) */
extern bool capa_row_derived_column(Form_pg_attribute att);

extern void capa_row_hash(TupleDesc tupdesc, HeapTuple tuple, AttrNumber skip,
						  uint8 *out);

/* The row encoding itself, of a row's deformed values, appended to buf */
extern void capa_row_encode(StringInfo buf, TupleDesc tupdesc, const Datum *values,
							const bool *nulls, AttrNumber skip);

#endif							/* CAPA_CHAIN_H */
