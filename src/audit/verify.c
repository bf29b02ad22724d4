/*-------------------------------------------------------------------------
 *
 * verify.c
 *	  capa_audit_verify(): re-check every audit chain and every register and
 *	  action row against its chain, and report one row per problem found.
 *
 * Problems (column "problem"):
 *	  bad_hash       the row's hash is not sha256(capa_audit_bytes(seq)):
 *	                 the audit row was edited
 *	  broken_link    prev_hash is not the hash of the previous row of its
 *	                 chain (or the first row of a chain has one)
 *	  gap            chain_seq skips or repeats: a row was removed or added
 *	  no_audit       a register or action row has no audit row at all
 *	  head_mismatch  the row's chain_seq or chain_head is not its last
 *	                 audit row's: a change left no audit row, or the trail
 *	                 was cut
 *	  row_changed    the row's content is not what its last audit row
 *	                 recorded: changed with the triggers bypassed
 *	  row_missing    a chain whose register or action row is gone
 *	  digest_mismatch  given an earlier capa_digest(): the chains as of its
 *	                 max seq no longer give it (a covered row was changed,
 *	                 removed, or a whole chain was rewritten)
 * No rows means intact.
 *
 * One pass, no query: the trail is read in chain order (audit_chain_idx:
 * capa_id, action_id NULLS LAST, chain_seq), and merged with the register
 * read in id order and the action items in (capa_id, id) order, the same
 * order the chains come in; each chain's last row meets its register or
 * action row as the chain ends.  A given digest is recomputed in the same
 * pass.  Findings come out about in chain order; ORDER BY for a stable one.
 *
 * IDENTIFICATION
 *	  src/audit/verify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "audit/attachment_verify.h"
#include "audit/chain.h"
#include "audit/digest.h"
#include "audit/ordered_scan.h"
#include "common/schema_cache.h"
#include "integration/org_unit.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_audit_verify);

/* The function's output, a tuplestore */
typedef struct Findings
{
	Tuplestorestate *store;
	TupleDesc	desc;
} Findings;

static void
report(Findings *out, const char *problem, int64 capa_id, bool has_action,
	   int64 action_id, int64 seq, const char *detail)
{
	Datum		values[5];
	bool		nulls[5] = {false, capa_id == 0, !has_action, seq == 0, detail == NULL};

	values[0] = CStringGetTextDatum(problem);
	values[1] = Int64GetDatum(capa_id);
	values[2] = Int64GetDatum(action_id);
	values[3] = Int64GetDatum(seq);
	values[4] = detail ? CStringGetTextDatum(detail) : (Datum) 0;
	tuplestore_putvalues(out->store, out->desc, values, nulls);
}

/* [attach] report() for attachment_verify.c */
static void
report_attachment(void *arg, const char *problem, int64 capa_id, bool has_action,
				  int64 action_id, int64 seq, const char *detail)
{
	report((Findings *) arg, problem, capa_id, has_action, action_id, seq, detail);
}

/* The CAPA_HASH_LEN bytes of a stored hash (bytea), or NULL if mis-sized */
static const uint8 *
stored_hash(Datum d, bool isnull)
{
	bytea	   *b;

	if (isnull)
		return NULL;
	b = DatumGetByteaPP(d);
	return VARSIZE_ANY_EXHDR(b) == CAPA_HASH_LEN ? (const uint8 *) VARDATA_ANY(b) : NULL;
}

/*
 * A chain's identity.  Chains come in index order: by record, and within
 * a record its action items' chains (by action id) before its own.
 */
typedef struct ChainKey
{
	int64		capa_id;
	bool		has_action;
	int64		action_id;
} ChainKey;

static int
chain_key_cmp(const ChainKey *a, const ChainKey *b)
{
	if (a->capa_id != b->capa_id)
		return a->capa_id < b->capa_id ? -1 : 1;
	if (a->has_action != b->has_action)
		return a->has_action ? -1 : 1;	/* NULLS LAST */
	if (a->action_id != b->action_id)
		return a->action_id < b->action_id ? -1 : 1;
	return 0;
}

/* A chain as read so far: its key and its latest row */
typedef struct ChainState
{
	bool		have;
	ChainKey	key;
	int32		chain_seq;
	int64		seq;
	bool		hash_ok;
	uint8		hash[CAPA_HASH_LEN];
	bool		row_hash_ok;
	uint8		row_hash[CAPA_HASH_LEN];
} ChainState;

/* A register or action row stream, with the row it is on */
typedef struct RowStream
{
	CapaOrderedScan scan;
	TupleTableSlot *row;		/* NULL at the end */
	bool		is_action;
	AttrNumber	record_col;		/* id or capa_id */
	AttrNumber	action_col;		/* id, for action items */
	AttrNumber	seq_col;		/* chain_seq */
	AttrNumber	head_col;		/* chain_head, left out of the row hash */
	ChainKey	key;			/* of the current row */
} RowStream;

/* The whole verification's state */
typedef struct Verify
{
	Findings	out;
	MemoryContext row_cxt;		/* reset after each row */
	StringInfoData bytes;
	const AttrNumber *audit_col;
	ChainState	chain;
	RowStream	reg;
	RowStream	act;
	bool		check_digest;
	int64		digest_max_seq;
	CapaDigestAcc digest;
	CapaAttachmentCheck *attachments;	/* [attach] NULL before 0.5.0 */
} Verify;

static void
row_stream_advance(RowStream *rs)
{
	rs->row = capa_ordered_scan_next(&rs->scan);
	if (rs->row == NULL)
		return;
	rs->key.capa_id = DatumGetInt64(rs->row->tts_values[rs->record_col - 1]);
	rs->key.has_action = rs->is_action;
	rs->key.action_id = rs->is_action ?
		DatumGetInt64(rs->row->tts_values[rs->action_col - 1]) : 0;
}

static void
row_stream_begin(RowStream *rs, Oid relid, Oid index, bool one_record, Datum record,
				 bool record_visible, bool is_action, AttrNumber record_col,
				 AttrNumber action_col, AttrNumber seq_col, AttrNumber head_col)
{
	capa_ordered_scan_begin(&rs->scan, relid, index, one_record, record, record_visible);
	rs->is_action = is_action;
	rs->record_col = record_col;
	rs->action_col = action_col;
	rs->seq_col = seq_col;
	rs->head_col = head_col;
	row_stream_advance(rs);
}

/* Rows before key in stream order have no chain: report and skip them */
static void
skip_rows_without_audit(Verify *v, RowStream *rs, const ChainKey *key)
{
	while (rs->row != NULL && (key == NULL || chain_key_cmp(&rs->key, key) < 0))
	{
		report(&v->out, "no_audit", rs->key.capa_id, rs->is_action, rs->key.action_id, 0,
			   "the row has no audit row: it was written with the triggers bypassed");
		row_stream_advance(rs);
	}
}

/* The current row of rs against the last audit row of its chain */
static void
check_row(Verify *v, RowStream *rs, const ChainState *c)
{
	TupleTableSlot *row = rs->row;
	int32		row_seq = DatumGetInt32(row->tts_values[rs->seq_col - 1]);
	const uint8 *head = stored_hash(row->tts_values[rs->head_col - 1],
									row->tts_isnull[rs->head_col - 1]);
	bool		head_ok = head != NULL && c->hash_ok &&
		memcmp(head, c->hash, CAPA_HASH_LEN) == 0;
	uint8		row_hash[CAPA_HASH_LEN];

	resetStringInfo(&v->bytes);
	capa_row_encode(&v->bytes, row->tts_tupleDescriptor, row->tts_values, row->tts_isnull,
					rs->head_col);
	capa_sha256(v->bytes.data, v->bytes.len, row_hash);

	if (row_seq != c->chain_seq || !head_ok)
		report(&v->out, "head_mismatch", c->key.capa_id, c->key.has_action,
			   c->key.action_id, c->seq,
			   psprintf("the row is at chain position %d, its last audit row at %d%s",
						row_seq, c->chain_seq,
						head_ok ? "" : "; its chain head is not that row's hash"));
	if (!c->row_hash_ok || memcmp(row_hash, c->row_hash, CAPA_HASH_LEN) != 0)
		report(&v->out, "row_changed", c->key.capa_id, c->key.has_action,
			   c->key.action_id, c->seq,
			   "the row's content differs from what its last audit row recorded");
}

/*
 * A chain has ended: every row before it in its stream has no chain, and
 * the row it belongs to must be next.
 */
static void
end_chain(Verify *v, const ChainState *c)
{
	ChainKey	record_key = {c->key.capa_id, false, 0};
	RowStream  *rs = c->key.has_action ? &v->act : &v->reg;

	/* register rows of earlier records, action items of earlier chains */
	skip_rows_without_audit(v, &v->reg, &record_key);
	skip_rows_without_audit(v, &v->act, &c->key);
	if (rs->row != NULL && chain_key_cmp(&rs->key, &c->key) == 0)
	{
		check_row(v, rs, c);
		row_stream_advance(rs);
	}
	else
		report(&v->out, "row_missing", c->key.capa_id, c->key.has_action,
			   c->key.action_id, c->seq,
			   c->key.has_action ? "the action row of this chain is gone" :
			   "the register row of this chain is gone");
	/* [attach] the record's attachments, against its chain */
	if (v->attachments != NULL && !c->key.has_action)
		capa_attachment_check_record(v->attachments, c->key.capa_id);
}

/* One audit row, in chain order: its hash, its link, its chain's end */
static void
check_audit_row(Verify *v, TupleTableSlot *slot)
{
	Datum		values[CAPA_AUDIT_NCOLS];
	bool		nulls[CAPA_AUDIT_NCOLS];
	CapaAuditFields f;
	ChainKey	key;
	uint8		hash[CAPA_HASH_LEN];
	const uint8 *stored;
	ChainState *c = &v->chain;
	int			i;

	for (i = 0; i < CAPA_AUDIT_NCOLS; i++)
	{
		values[i] = slot->tts_values[v->audit_col[i] - 1];
		nulls[i] = slot->tts_isnull[v->audit_col[i] - 1];
	}
	capa_audit_fields_from_values(values, nulls, &f);
	resetStringInfo(&v->bytes);
	capa_audit_encode(&v->bytes, &f);
	capa_sha256(v->bytes.data, v->bytes.len, hash);
	stored = stored_hash(values[CAPA_AUDIT_HASH_COLUMN - 1], nulls[CAPA_AUDIT_HASH_COLUMN - 1]);
	if (stored == NULL || memcmp(hash, stored, CAPA_HASH_LEN) != 0)
		report(&v->out, "bad_hash", f.capa_id, f.has_action, f.action_id, f.seq,
			   "the audit row does not hash to its stored hash: it was changed");

	key.capa_id = f.capa_id;
	key.has_action = f.has_action;
	key.action_id = f.action_id;
	if (!c->have || chain_key_cmp(&c->key, &key) != 0)
	{
		if (c->have)
			end_chain(v, c);
		if (f.chain_seq != 1)
			report(&v->out, "gap", f.capa_id, f.has_action, f.action_id, f.seq,
				   psprintf("the chain starts at position %d instead of 1", f.chain_seq));
		if (f.prev_hash != NULL)
			report(&v->out, "broken_link", f.capa_id, f.has_action, f.action_id, f.seq,
				   "the first row of the chain names a previous hash");
	}
	else
	{
		if (f.chain_seq != c->chain_seq + 1)
			report(&v->out, "gap", f.capa_id, f.has_action, f.action_id, f.seq,
				   psprintf("position %d follows position %d", f.chain_seq, c->chain_seq));
		if (f.prev_hash == NULL || !c->hash_ok ||
			memcmp(f.prev_hash, c->hash, CAPA_HASH_LEN) != 0)
			report(&v->out, "broken_link", f.capa_id, f.has_action, f.action_id, f.seq,
				   "prev_hash is not the hash of the previous row of the chain");
	}
	/* [attach] after the chain before it has ended */
	if (v->attachments != NULL)
		capa_attachment_check_trail(v->attachments, &f);
	c->have = true;
	c->key = key;
	c->chain_seq = f.chain_seq;
	c->seq = f.seq;
	c->hash_ok = stored != NULL;
	if (stored)
		memcpy(c->hash, stored, CAPA_HASH_LEN);
	c->row_hash_ok = !nulls[15] && stored_hash(values[15], false) != NULL;
	if (c->row_hash_ok)
		memcpy(c->row_hash, f.row_hash, CAPA_HASH_LEN);

	if (v->check_digest && f.seq <= v->digest_max_seq)
		capa_digest_row(&v->digest, f.capa_id, f.has_action, f.action_id, f.chain_seq,
						values[CAPA_AUDIT_HASH_COLUMN - 1], nulls[CAPA_AUDIT_HASH_COLUMN - 1]);
}

/* Another record's audit row, read for the digest only (record => with a digest) */
static void
digest_only_row(Verify *v, TupleTableSlot *slot)
{
	const AttrNumber *col = v->audit_col;
	Datum	   *val = slot->tts_values;
	bool	   *isnull = slot->tts_isnull;
	int			h = col[CAPA_AUDIT_HASH_COLUMN - 1] - 1;

	if (DatumGetInt64(val[col[0] - 1]) <= v->digest_max_seq)
		capa_digest_row(&v->digest, DatumGetInt64(val[col[1] - 1]), !isnull[col[2] - 1],
						DatumGetInt64(val[col[2] - 1]), DatumGetInt32(val[col[3] - 1]),
						val[h], isnull[h]);
}

/* The chain heads as of an earlier digest still give that digest */
static void
check_digest(Verify *v, int64 chains, const uint8 *hash)
{
	int64		now_chains;
	uint8		now_hash[CAPA_HASH_LEN];
	int64		max_seq = v->digest_max_seq;

	capa_digest_end(&v->digest, &now_chains, now_hash);
	if (now_chains != chains)
		report(&v->out, "digest_mismatch", 0, false, 0, max_seq,
			   psprintf("the digest covered " INT64_FORMAT " chains up to seq " INT64_FORMAT
						"; " INT64_FORMAT " chains have rows up to that seq now",
						chains, max_seq, now_chains));
	else if (memcmp(hash, now_hash, CAPA_HASH_LEN) != 0)
		report(&v->out, "digest_mismatch", 0, false, 0, max_seq,
			   psprintf("the chain heads up to seq " INT64_FORMAT
						" no longer give the digest: a row it covered was changed or removed",
						max_seq));
}

/* record => names no record: also the answer for one the caller may not see */
static void
record_not_found(Datum record)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("capa record %s does not exist", capa_ref_cstring(record)),
			 errdetail("It has neither a register row nor an audit trail.")));
}

/*
 * capa_audit_verify(digest text DEFAULT NULL, record capa_ref DEFAULT NULL)
 * returns setof findings
 */
Datum
capa_audit_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CapaSchema *schema = capa_schema();
	bool		one_record = !PG_ARGISNULL(1);
	Datum		record = one_record ? PG_GETARG_DATUM(1) : (Datum) 0;
	int64		digest_chains = 0;
	uint8		digest_hash[CAPA_HASH_LEN];
	CapaOrderedScan audit;
	TupleTableSlot *slot;
	bool		record_row_seen;
	bool		record_visible = false;
	Verify		v;

	memset(&v, 0, sizeof(v));
	if (!PG_ARGISNULL(0))
	{
		char	   *digest = text_to_cstring(PG_GETARG_TEXT_PP(0));

		if (!capa_parse_digest(digest, &v.digest_max_seq, &digest_chains, digest_hash))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid capa digest: \"%s\"", digest),
					 errhint("A digest looks like capa-digest:v1:<max seq>:<chains>:<64 hex digits>, as capa_digest() returns it.")));
		v.check_digest = true;
	}

	InitMaterializedSRF(fcinfo, 0);
	v.out.store = rsinfo->setResult;
	v.out.desc = rsinfo->setDesc;
	v.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "capa verify row",
									  ALLOCSET_DEFAULT_SIZES);
	initStringInfo(&v.bytes);
	v.audit_col = schema->audit_column;
	if (v.check_digest)
		capa_digest_begin(&v.digest);

	/*
	 * One record's chains, without a digest: with row-level security by org
	 * unit on, they are checked for whoever may see the record (its action
	 * items and trail follow it), and a record the caller may not see is
	 * answered exactly as one that does not exist, before any of it is
	 * read.  The whole trail (no record, or a digest) needs every unit.
	 */
	if (one_record && !v.check_digest)
	{
		if (!capa_record_visible(GetUserId(), record, false, NULL))
			record_not_found(record);
		record_visible = true;
	}

	row_stream_begin(&v.reg, schema->register_relid, schema->register_pkey, one_record, record,
					 record_visible, false, schema->reg[REG_ID], InvalidAttrNumber,
					 schema->reg[REG_CHAIN_SEQ], schema->reg[REG_CHAIN_HEAD]);
	row_stream_begin(&v.act, schema->action_relid, schema->action_chain_index, one_record, record,
					 record_visible, true, schema->act[ACT_CAPA_ID], schema->act[ACT_ID],
					 schema->act[ACT_CHAIN_SEQ], schema->act[ACT_CHAIN_HEAD]);
	record_row_seen = v.reg.row != NULL || v.act.row != NULL;
	/* [attach] the attachments, in the same order (attachment_verify.c) */
	v.attachments = capa_attachment_check_begin(one_record, record, record_visible,
												report_attachment, &v.out);
	/*
	 * A digest covers every chain: the whole trail is read for it, while
	 * record => still limits the checks and findings to that record.
	 */
	capa_ordered_scan_begin(&audit, schema->audit_relid, schema->audit_chain_index,
							one_record && !v.check_digest, record, record_visible);
	while ((slot = capa_ordered_scan_next(&audit)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(v.row_cxt);

		CHECK_FOR_INTERRUPTS();
		if (one_record && v.check_digest &&
			(slot->tts_isnull[v.audit_col[1] - 1] ||
			 DatumGetInt64(slot->tts_values[v.audit_col[1] - 1]) != DatumGetInt64(record)))
			digest_only_row(&v, slot);
		else
			check_audit_row(&v, slot);
		MemoryContextSwitchTo(old);
		MemoryContextReset(v.row_cxt);
	}
	if (v.chain.have)
		end_chain(&v, &v.chain);
	else if (one_record && !record_row_seen)
		record_not_found(record);
	skip_rows_without_audit(&v, &v.reg, NULL);
	skip_rows_without_audit(&v, &v.act, NULL);
	if (v.attachments != NULL)
		capa_attachment_check_end(v.attachments);	/* [attach] */
	capa_ordered_scan_end(&audit);
	capa_ordered_scan_end(&v.reg.scan);
	capa_ordered_scan_end(&v.act.scan);

	if (v.check_digest)
		check_digest(&v, digest_chains, digest_hash);
	MemoryContextDelete(v.row_cxt);
	return (Datum) 0;
}
