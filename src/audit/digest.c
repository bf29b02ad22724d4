/*-------------------------------------------------------------------------
 *
 * digest.c
 *	  capa_digest(): one value over every chain head and the highest audit
 *	  sequence, to keep outside the database; and its re-computation for
 *	  capa_audit_verify(digest => ...).
 *
 * Format: capa-digest:v1:<max seq>:<chains>:<64 hex digits>, where the hex
 * is SHA-256 over, for each chain in (capa_id, action_id) order (the
 * record's own chain after its action items' chains, as the index sorts
 * NULL last), the chain's last audit row with seq <= max seq, encoded as
 * capa_id (8 bytes), has_action (1), action_id (8, 0 if none),
 * chain_seq (4), hash (32); big-endian.
 *
 * What a digest covers (capa_digest()): every audit row at or below its
 * max seq has committed, and no row at or below it can appear later, so a
 * later verification sees exactly the rows the digest covered.  An audit
 * writer locks capa.audit (RowExclusiveLock) before it takes a seq
 * (audit.c), and the audit sequence hands out increasing values (CACHE 1),
 * so: read the last seq handed out (the cut-off), wait for the
 * transactions that hold a writer's lock on capa.audit at that moment to
 * end (every seq up to the cut-off is theirs or older), then take the
 * snapshot; the max seq is the highest committed row at or below the
 * cut-off.  The digest waits for writers in flight and never holds one
 * back: no lock on capa.audit is taken, so a verifier's transaction left
 * open after capa_digest() blocks nobody (docs/security.md, class e).
 * Writers that start meanwhile take seqs above the cut-off and are not
 * covered.
 *
 * The one exception is the digest a review snapshot takes
 * (capa.review_snapshot's fill trigger, capa_admin only): the KPIs it
 * freezes next must describe exactly the trail the digest covers, so it
 * takes a SHARE lock on capa.audit (waiting for writers in flight, holding
 * new ones back) and keeps it to the end of the INSERT statement, when the
 * trigger capa_digest_release gives it back.
 *
 * IDENTIFICATION
 *	  src/audit/digest.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "common/cryptohash.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "commands/trigger.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "audit/chain.h"
#include "audit/digest.h"
#include "audit/ordered_scan.h"
#include "common/actor.h"
#include "common/pg_compat.h"
#include "common/schema_cache.h"

PG_FUNCTION_INFO_V1(capa_digest);
PG_FUNCTION_INFO_V1(capa_digest_release);

/*
 * SHARE locks on capa.audit that review snapshots' digests hold, for
 * capa_digest_release() to give back at the end of their INSERT, counted
 * per transaction (lxid).  Taken and given back under the statement's
 * resource owner: the fill trigger and the statement trigger run in the
 * same statement, and if the statement fails in a subtransaction, the
 * subtransaction's abort releases the lock as it releases any other.
 */
static int	held_digests = 0;
static LocalTransactionId held_digests_lxid = InvalidLocalTransactionId;

static void
update_u64(pg_cryptohash_ctx *ctx, uint64 v, int bytes)
{
	uint8		b[8];
	int			i;

	for (i = 0; i < bytes; i++)
		b[i] = (uint8) (v >> (8 * (bytes - 1 - i)));
	if (pg_cryptohash_update(ctx, b, bytes) < 0)
		elog(ERROR, "capa: SHA-256 failed");
}

/* Feed one chain head into the digest */
static void
add_head(pg_cryptohash_ctx *ctx, int64 capa_id, bool has_action, int64 action_id,
		 int32 chain_seq, const uint8 *hash)
{
	static const uint8 zero[CAPA_HASH_LEN];

	update_u64(ctx, (uint64) capa_id, 8);
	update_u64(ctx, has_action ? 1 : 0, 1);
	update_u64(ctx, has_action ? (uint64) action_id : 0, 8);
	update_u64(ctx, (uint32) chain_seq, 4);
	if (pg_cryptohash_update(ctx, hash ? hash : zero, CAPA_HASH_LEN) < 0)
		elog(ERROR, "capa: SHA-256 failed");
}

void
capa_digest_begin(CapaDigestAcc *acc)
{
	memset(acc, 0, sizeof(*acc));
	acc->ctx = capa_sha256_begin();
	if (pg_cryptohash_init(acc->ctx) < 0)
		elog(ERROR, "capa: SHA-256 failed");
}

/* Feed the chain just finished into the digest */
static void
finish_chain(CapaDigestAcc *acc)
{
	add_head(acc->ctx, acc->capa_id, acc->has_action, acc->action_id, acc->chain_seq,
			 acc->hash_ok ? acc->hash : NULL);
	acc->chains++;
}

/* One audit row, in chain order: the last row of each chain is its head */
void
capa_digest_row(CapaDigestAcc *acc, int64 capa_id, bool has_action,
				int64 action_id, int32 chain_seq, Datum hash, bool hash_null)
{
	if (acc->have && (capa_id != acc->capa_id || has_action != acc->has_action ||
					  (has_action && action_id != acc->action_id)))
		finish_chain(acc);
	acc->have = true;
	acc->capa_id = capa_id;
	acc->has_action = has_action;
	acc->action_id = has_action ? action_id : 0;
	acc->chain_seq = chain_seq;
	if (hash_null)
		acc->hash_ok = false;
	else
	{
		bytea	   *b = DatumGetByteaPP(hash);	/* detoasted once */

		acc->hash_ok = VARSIZE_ANY_EXHDR(b) == CAPA_HASH_LEN;
		if (acc->hash_ok)
			memcpy(acc->hash, VARDATA_ANY(b), CAPA_HASH_LEN);
	}
}

void
capa_digest_end(CapaDigestAcc *acc, int64 *chains, uint8 *out)
{
	if (acc->have)
		finish_chain(acc);
	if (pg_cryptohash_final(acc->ctx, out, CAPA_HASH_LEN) < 0)
		elog(ERROR, "capa: SHA-256 failed");
	capa_sha256_end(acc->ctx);
	acc->ctx = NULL;
	*chains = acc->chains;
}

void
capa_compute_digest(int64 max_seq, int64 *chains, uint8 *out)
{
	CapaSchema *schema = capa_schema();
	const AttrNumber *col = schema->audit_column;
	CapaOrderedScan os;
	TupleTableSlot *slot;
	CapaDigestAcc acc;

	/* a damaged (compressed, oversized) hash is detoasted: per row, then freed */
	MemoryContext row_cxt = AllocSetContextCreate(CurrentMemoryContext, "capa digest row",
												  ALLOCSET_SMALL_SIZES);

	capa_digest_begin(&acc);
	capa_ordered_scan_begin(&os, schema->audit_relid, schema->audit_chain_index, false, (Datum) 0,
							false);
	while ((slot = capa_ordered_scan_next(&os)) != NULL)
	{
		Datum	   *v = slot->tts_values;
		bool	   *n = slot->tts_isnull;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		if (DatumGetInt64(v[col[0] - 1]) > max_seq)
			continue;
		old = MemoryContextSwitchTo(row_cxt);
		capa_digest_row(&acc, DatumGetInt64(v[col[1] - 1]), !n[col[2] - 1],
						DatumGetInt64(v[col[2] - 1]), DatumGetInt32(v[col[3] - 1]),
						v[col[17] - 1], n[col[17] - 1]);
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_cxt);
	}
	capa_ordered_scan_end(&os);
	MemoryContextDelete(row_cxt);
	capa_digest_end(&acc, chains, out);
}

char *
capa_format_digest(int64 max_seq, int64 chains, const uint8 *hash)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "capa-digest:v1:" INT64_FORMAT ":" INT64_FORMAT ":", max_seq, chains);
	for (i = 0; i < CAPA_HASH_LEN; i++)
		appendStringInfo(&buf, "%02x", hash[i]);
	return buf.data;
}

/*
 * A decimal int64 of 1 to 19 digits (no sign, no spaces) ending at stop:
 * every count capa_format_digest() can write
 */
static bool
parse_count(const char **p, char stop, int64 *out)
{
	int64		v = 0;
	int			digits = 0;

	while (**p >= '0' && **p <= '9')
	{
		int			d = **p - '0';

		if (++digits > 19 || v > (PG_INT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
		(*p)++;
	}
	if (digits == 0 || **p != stop)
		return false;
	(*p)++;
	*out = v;
	return true;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

bool
capa_parse_digest(const char *text, int64 *max_seq, int64 *chains, uint8 *hash)
{
	const char *prefix = "capa-digest:v1:";
	const char *p = text;
	int			i;

	if (strncmp(p, prefix, strlen(prefix)) != 0)
		return false;
	p += strlen(prefix);
	if (!parse_count(&p, ':', max_seq) || !parse_count(&p, ':', chains))
		return false;
	if (strlen(p) != CAPA_HASH_LEN * 2)
		return false;
	for (i = 0; i < CAPA_HASH_LEN; i++)
	{
		int			hi = hex_value(p[2 * i]);
		int			lo = hex_value(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		hash[i] = (uint8) (hi << 4 | lo);
	}
	return true;
}

/*
 * The last audit seq handed out (0 if none): read as capa's owner, since
 * the caller has no privilege on the sequence.  Inside SPI.
 */
static int64
audit_seq_handed_out(CapaSchema *schema)
{
	Oid			saved_user;
	int			saved_sec;
	bool		isnull;
	int64		last;
	int			rc;

	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	rc = SPI_execute("SELECT CASE WHEN s.is_called THEN s.last_value"
					 " ELSE s.last_value OPERATOR(pg_catalog.-) 1 END"
					 " FROM capa.audit_seq_seq s", true, 1);
	capa_restore_user(saved_user, saved_sec);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "capa: audit sequence lookup returned %s", SPI_result_code_string(rc));
	last = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return isnull ? 0 : last;
}

/*
 * Wait for every transaction that holds a writer's lock on capa.audit now
 * to end, without asking for a lock ourselves: a writer that comes later
 * does not queue behind the digest (as it would behind a SHARE lock
 * request while the digest waits for a writer left idle), and the digest
 * does not queue behind it.  The waits are on the writers' transaction
 * ids, as CREATE INDEX CONCURRENTLY waits; a cancel or statement_timeout
 * ends them.
 */
static void
wait_for_audit_writers(Oid audit_relid)
{
	LOCKTAG		tag;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, audit_relid);
	WaitForLockers(tag, ShareLock, false);
}

/*
 * The SHARE lock of a review snapshot's digest: until the end of the
 * INSERT into capa.review_snapshot (capa_digest_release)
 */
static void
hold_audit_writers(Oid audit_relid)
{
	if (held_digests_lxid != CAPA_MY_LXID)
	{
		held_digests = 0;
		held_digests_lxid = CAPA_MY_LXID;
	}
	LockRelationOid(audit_relid, ShareLock);
	held_digests++;
}

/*
 * AFTER INSERT FOR EACH STATEMENT on capa.review_snapshot: the statement's
 * snapshots are filled, their digests' SHARE locks go back, and the
 * writers they held back go on (the transaction may stay open as long as
 * it likes)
 */
Datum
capa_digest_release(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("capa_digest_release() is a trigger function")));
	if (held_digests_lxid == CAPA_MY_LXID)
	{
		/* (a hold a failed subtransaction took was released by its abort) */
		for (; held_digests > 0; held_digests--)
		{
			if (CheckRelationOidLockedByMe(schema->audit_relid, ShareLock, false))
				UnlockRelationOid(schema->audit_relid, ShareLock);
		}
	}
	return PointerGetDatum(NULL);
}

/* capa_digest() returns text, and records it in capa.digest */
Datum
capa_digest(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	int64		cutoff;
	int64		max_seq;
	int64		chains;
	uint8		hash[CAPA_HASH_LEN];
	char	   *digest;
	bool		isnull;
	bool		for_snapshot;
	int			rc;
	Datum		args[4];
	Oid			argtypes[4] = {INT8OID, INT8OID, TEXTOID, TEXTOID};
	Oid			cutoff_type[1] = {INT8OID};
	text	   *result;
	Oid			caller = GetUserId();
	Oid			saved_user;
	int			saved_sec;
	Oid			snapshot_relid;

	/*
	 * It writes a row to capa.digest: refused in a read-only transaction
	 * and on a hot standby with 25006, before it waits for anyone
	 */
	PreventCommandIfReadOnly("capa_digest()");
	/* a transaction snapshot would predate the wait and miss rows */
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("capa_digest() must run at isolation level READ COMMITTED"),
				 errdetail("Under REPEATABLE READ or SERIALIZABLE its snapshot would be older than the writers it waits for.")));
	/* rows this transaction wrote may still roll back: no digest over them */
	if (CheckRelationOidLockedByMe(schema->audit_relid, RowExclusiveLock, false))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("capa_digest() must run in a transaction that has written no audit rows"),
				 errhint("Commit first, then take the digest in a transaction of its own.")));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");

	/* a review snapshot (its INSERT holds this lock) freezes the KPIs next */
	snapshot_relid = get_relname_relid("review_snapshot", schema->namespace_oid);
	for_snapshot = OidIsValid(snapshot_relid) &&
		CheckRelationOidLockedByMe(snapshot_relid, RowExclusiveLock, false);
	if (for_snapshot)
	{
		hold_audit_writers(schema->audit_relid);
		cutoff = PG_INT64_MAX;	/* nobody writes while the lock is held */
	}
	else
	{
		cutoff = audit_seq_handed_out(schema);
		wait_for_audit_writers(schema->audit_relid);
	}

	/*
	 * A snapshot taken after the wait: it sees every writer waited for, and
	 * both reads below see the same state
	 */
	PushActiveSnapshot(GetTransactionSnapshot());
	args[0] = Int64GetDatum(cutoff);
	rc = SPI_execute_with_args("SELECT pg_catalog.max(a.seq) FROM capa.audit a"
							   " WHERE a.seq OPERATOR(pg_catalog.<=) $1",
							   1, cutoff_type, args, NULL, true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "capa: max seq returned %s", SPI_result_code_string(rc));
	max_seq = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (isnull)
		max_seq = 0;
	capa_compute_digest(max_seq, &chains, hash);
	PopActiveSnapshot();
	digest = capa_format_digest(max_seq, chains, hash);

	args[0] = Int64GetDatum(max_seq);
	args[1] = Int64GetDatum(chains);
	args[2] = CStringGetTextDatum(digest);
	args[3] = CStringGetTextDatum(GetUserNameFromId(caller, false));

	/*
	 * Recorded as the owner of capa's tables (nobody else may insert into
	 * capa.digest), with the caller as issued_by; an error on the way
	 * restores the user with the (sub)transaction's abort.
	 */
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	rc = SPI_execute_with_args("INSERT INTO capa.digest (max_seq, chains, digest, issued_by) "
							   "VALUES ($1, $2, $3, $4::pg_catalog.name)",
							   4, argtypes, args, NULL, false, 0);
	capa_restore_user(saved_user, saved_sec);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "capa: recording the digest returned %s", SPI_result_code_string(rc));
	result = (text *) SPI_palloc(VARHDRSZ + strlen(digest));
	SET_VARSIZE(result, VARHDRSZ + strlen(digest));
	memcpy(VARDATA(result), digest, strlen(digest));
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}
