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
 * No rows means intact.  Each pass is one query streamed through a cursor
 * in index order (no query per row).
 *
 * IDENTIFICATION
 *	  src/verify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/typcache.h"

#include "capa.h"
#include "catalog.h"
#include "chain.h"
#include "digest.h"
#include "scan.h"

PG_FUNCTION_INFO_V1(capa_audit_verify);

/* The function's output, a tuplestore */
typedef struct Findings
{
	Tuplestorestate *store;
	TupleDesc	desc;
	int64		count;
} Findings;

static void
report(Findings *out, const char *problem, int64 record_id, bool has_action,
	   int64 action_id, int64 seq, const char *detail)
{
	Datum		values[5];
	bool		nulls[5] = {false, record_id == 0, !has_action, seq == 0, detail == NULL};

	values[0] = CStringGetTextDatum(problem);
	values[1] = Int64GetDatum(record_id);
	values[2] = Int64GetDatum(action_id);
	values[3] = Int64GetDatum(seq);
	values[4] = detail ? CStringGetTextDatum(detail) : (Datum) 0;
	tuplestore_putvalues(out->store, out->desc, values, nulls);
	out->count++;
}

/* Two stored hashes (bytea) are equal and well-formed */
static bool
stored_hashes_equal(Datum a, Datum b)
{
	bytea	   *x = DatumGetByteaPP(a);
	bytea	   *y = DatumGetByteaPP(b);

	return VARSIZE_ANY_EXHDR(x) == CAPA_HASH_LEN &&
		VARSIZE_ANY_EXHDR(y) == CAPA_HASH_LEN &&
		memcmp(VARDATA_ANY(x), VARDATA_ANY(y), CAPA_HASH_LEN) == 0;
}

static bool
hash_equals(const uint8 *a, Datum stored)
{
	bytea	   *b = DatumGetByteaPP(stored);

	return VARSIZE_ANY_EXHDR(b) == CAPA_HASH_LEN &&
		memcmp(a, VARDATA_ANY(b), CAPA_HASH_LEN) == 0;
}

/* Pass 1 state: the previous row, to check the link to it */
typedef struct ChainScan
{
	Findings   *out;
	struct pg_cryptohash_ctx *sha;
	StringInfoData bytes;
	bool		have_prev;
	int64		prev_record;
	bool		prev_has_action;
	int64		prev_action;
	int32		prev_seq;
	uint8		prev_hash[CAPA_HASH_LEN];
} ChainScan;

/* One audit row: its hash, and its link to the row before it */
static void
check_audit_row(HeapTuple tup, TupleDesc td, void *arg)
{
	ChainScan  *cs = (ChainScan *) arg;
	Findings   *out = cs->out;
	CapaAuditFields f;
	uint8		hash[CAPA_HASH_LEN];
	bool		isnull;
	Datum		stored_hash;
	bool		same_chain;

	capa_audit_fields_from_row(tup, td, &f);
	resetStringInfo(&cs->bytes);
	capa_audit_encode(&cs->bytes, &f);
	capa_sha256_with(cs->sha, cs->bytes.data, cs->bytes.len, hash);
	stored_hash = SPI_getbinval(tup, td, CAPA_AUDIT_HASH_COLUMN, &isnull);
	if (isnull || !hash_equals(hash, stored_hash))
		report(out, "bad_hash", f.record_id, f.has_action, f.action_id, f.seq,
			   "the audit row does not hash to its stored hash: it was changed");

	same_chain = cs->have_prev && cs->prev_record == f.record_id &&
		cs->prev_has_action == f.has_action && cs->prev_action == f.action_id;
	if (!same_chain)
	{
		if (f.chain_seq != 1)
			report(out, "gap", f.record_id, f.has_action, f.action_id, f.seq,
				   psprintf("the chain starts at position %d instead of 1", f.chain_seq));
		if (f.prev_hash != NULL)
			report(out, "broken_link", f.record_id, f.has_action, f.action_id, f.seq,
				   "the first row of the chain names a previous hash");
	}
	else
	{
		if (f.chain_seq != cs->prev_seq + 1)
			report(out, "gap", f.record_id, f.has_action, f.action_id, f.seq,
				   psprintf("position %d follows position %d", f.chain_seq, cs->prev_seq));
		if (f.prev_hash == NULL || memcmp(f.prev_hash, cs->prev_hash, CAPA_HASH_LEN) != 0)
			report(out, "broken_link", f.record_id, f.has_action, f.action_id, f.seq,
				   "prev_hash is not the hash of the previous row of the chain");
	}
	cs->have_prev = true;
	cs->prev_record = f.record_id;
	cs->prev_has_action = f.has_action;
	cs->prev_action = f.action_id;
	cs->prev_seq = f.chain_seq;
	if (!isnull && VARSIZE_ANY_EXHDR(DatumGetByteaPP(stored_hash)) == CAPA_HASH_LEN)
		memcpy(cs->prev_hash, VARDATA_ANY(DatumGetByteaPP(stored_hash)), CAPA_HASH_LEN);
	else
		memset(cs->prev_hash, 0, CAPA_HASH_LEN);
}

/* Pass 1: every chain, in (record, action, chain_seq) index order */
static void
verify_chains(Findings *out, bool one_record, Datum record)
{
	CapaCatalog *cat = capa_catalog();
	Oid			argtype = cat->ref_type;
	ChainScan	cs;

	memset(&cs, 0, sizeof(cs));
	cs.out = out;
	cs.sha = capa_sha256_begin();
	initStringInfo(&cs.bytes);
	capa_scan("SELECT " CAPA_AUDIT_COLUMNS " FROM capa.audit a"
			  " WHERE ($1 IS NULL OR a.record_id OPERATOR(capa.=) $1)"
			  " ORDER BY a.record_id, a.action_id, a.chain_seq",
			  1, &argtype, &record, one_record ? NULL : "n",
			  check_audit_row, &cs);
	capa_sha256_end(cs.sha);
}

/* Pass 2 state */
typedef struct RowScan
{
	Findings   *out;
	AttrNumber	head_attnum;	/* chain_head, left out of the row hash */
} RowScan;

/*
 * One register or action row against the last row of its chain: columns
 * whole row, record_id, action_id, chain_seq, chain_head, and of the last
 * audit row chain_seq, hash, row_hash, seq.
 */
static void
check_chained_row(HeapTuple tup, TupleDesc td, void *arg)
{
	RowScan    *rs = (RowScan *) arg;
	Findings   *out = rs->out;
	bool		isnull;
	bool		no_action;
	int64		record_id = DatumGetInt64(SPI_getbinval(tup, td, 2, &isnull));
	int64		action_id = DatumGetInt64(SPI_getbinval(tup, td, 3, &no_action));
	int32		row_seq = DatumGetInt32(SPI_getbinval(tup, td, 4, &isnull));
	Datum		head = SPI_getbinval(tup, td, 5, &isnull);
	bool		head_null = isnull;
	bool		no_audit;
	int32		last_seq = DatumGetInt32(SPI_getbinval(tup, td, 6, &no_audit));
	Datum		last_hash = SPI_getbinval(tup, td, 7, &isnull);
	Datum		last_row_hash = SPI_getbinval(tup, td, 8, &isnull);
	int64		last_audit_seq = DatumGetInt64(SPI_getbinval(tup, td, 9, &isnull));
	HeapTupleHeader th;
	TupleDesc	rowdesc;
	HeapTupleData row;
	uint8		row_hash[CAPA_HASH_LEN];
	bool		head_ok;

	if (no_audit)
	{
		report(out, "no_audit", record_id, !no_action, action_id, 0,
			   "the row has no audit row: it was written with the triggers bypassed");
		return;
	}

	th = DatumGetHeapTupleHeader(SPI_getbinval(tup, td, 1, &isnull));
	rowdesc = lookup_rowtype_tupdesc(HeapTupleHeaderGetTypeId(th),
									 HeapTupleHeaderGetTypMod(th));
	row.t_len = HeapTupleHeaderGetDatumLength(th);
	ItemPointerSetInvalid(&row.t_self);
	row.t_tableOid = InvalidOid;
	row.t_data = th;
	capa_row_hash(rowdesc, &row, rs->head_attnum, row_hash);
	ReleaseTupleDesc(rowdesc);

	head_ok = !head_null && stored_hashes_equal(head, last_hash);
	if (row_seq != last_seq || !head_ok)
		report(out, "head_mismatch", record_id, !no_action, action_id, last_audit_seq,
			   psprintf("the row is at chain position %d, its last audit row at %d%s",
						row_seq, last_seq,
						head_ok ? "" : "; its chain head is not that row's hash"));
	if (!hash_equals(row_hash, last_row_hash))
		report(out, "row_changed", record_id, !no_action, action_id, last_audit_seq,
			   "the row's content differs from what its last audit row recorded");
}

/* Pass 2: every register (or action) row against the last row of its chain */
static void
verify_rows(Findings *out, const char *sql, bool one_record, Datum record,
			AttrNumber head_attnum)
{
	CapaCatalog *cat = capa_catalog();
	Oid			argtype = cat->ref_type;
	RowScan		rs = {out, head_attnum};

	capa_scan(sql, 1, &argtype, &record, one_record ? NULL : "n",
			  check_chained_row, &rs);
}

/*
 * Pass 3: chains whose register or action row is gone.  Read from each
 * chain's first row only: a chain that lost its first row is already
 * reported as a gap.
 */
static void
verify_missing_rows(Findings *out, bool one_record, Datum record)
{
	const char *sql =
		"SELECT a.record_id, a.action_id, pg_catalog.max(a.seq) FROM capa.audit a"
		" WHERE ($1 IS NULL OR a.record_id OPERATOR(capa.=) $1)"
		" AND a.chain_seq OPERATOR(pg_catalog.=) 1"
		" AND CASE WHEN a.action_id IS NULL"
		"  THEN NOT EXISTS (SELECT FROM capa.register r WHERE r.id OPERATOR(capa.=) a.record_id)"
		"  ELSE NOT EXISTS (SELECT FROM capa.action x WHERE x.id OPERATOR(pg_catalog.=) a.action_id) END"
		" GROUP BY a.record_id, a.action_id ORDER BY 1, 2 NULLS FIRST";
	CapaCatalog *cat = capa_catalog();
	Oid			argtype = cat->ref_type;
	uint64		i;
	int			rc;

	rc = SPI_execute_with_args(sql, 1, &argtype, &record, one_record ? NULL : "n", true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: missing-row check returned %s", SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		bool		isnull;
		bool		no_action;
		int64		record_id = DatumGetInt64(SPI_getbinval(tup, td, 1, &isnull));
		int64		action_id = DatumGetInt64(SPI_getbinval(tup, td, 2, &no_action));
		int64		seq = DatumGetInt64(SPI_getbinval(tup, td, 3, &isnull));

		report(out, "row_missing", record_id, !no_action, action_id, seq,
			   no_action ? "the register row of this chain is gone" :
			   "the action row of this chain is gone");
	}
}

/* Pass 4: the chain heads as of an earlier digest still give that digest */
static void
verify_digest(Findings *out, const char *digest)
{
	int64		max_seq;
	int64		chains;
	uint8		hash[CAPA_HASH_LEN];
	int64		now_chains;
	uint8		now_hash[CAPA_HASH_LEN];

	if (!capa_parse_digest(digest, &max_seq, &chains, hash))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid capa digest: \"%s\"", digest),
				 errhint("A digest looks like capa-digest:v1:<max seq>:<chains>:<64 hex digits>, as capa_digest() returns it.")));
	capa_compute_digest(max_seq, &now_chains, now_hash);
	if (now_chains != chains)
		report(out, "digest_mismatch", 0, false, 0, max_seq,
			   psprintf("the digest covered " INT64_FORMAT " chains up to seq " INT64_FORMAT
						"; " INT64_FORMAT " chains have rows up to that seq now",
						chains, max_seq, now_chains));
	else if (memcmp(hash, now_hash, CAPA_HASH_LEN) != 0)
		report(out, "digest_mismatch", 0, false, 0, max_seq,
			   psprintf("the chain heads up to seq " INT64_FORMAT
						" no longer give the digest: a row it covered was changed or removed",
						max_seq));
}

/*
 * capa_audit_verify(digest text DEFAULT NULL, record capa_ref DEFAULT NULL)
 * returns setof findings
 */
Datum
capa_audit_verify(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	CapaCatalog *cat = capa_catalog();
	bool		one_record = !PG_ARGISNULL(1);
	Datum		record = one_record ? PG_GETARG_DATUM(1) : (Datum) 0;
	Findings	out;
	char	   *sql;

	InitMaterializedSRF(fcinfo, 0);
	out.store = rsinfo->setResult;
	out.desc = rsinfo->setDesc;
	out.count = 0;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");

	verify_chains(&out, one_record, record);

	sql = psprintf("SELECT r, r.id, NULL::bigint, r.chain_seq, r.chain_head,"
				   " l.chain_seq, l.hash, l.row_hash, l.seq FROM capa.register r"
				   " LEFT JOIN LATERAL (SELECT a.chain_seq, a.hash, a.row_hash, a.seq"
				   "  FROM capa.audit a WHERE a.record_id OPERATOR(capa.=) r.id"
				   "  AND a.action_id IS NULL ORDER BY a.chain_seq DESC LIMIT 1) l ON true"
				   " WHERE ($1 IS NULL OR r.id OPERATOR(capa.=) $1) ORDER BY r.id");
	verify_rows(&out, sql, one_record, record, cat->reg[REG_CHAIN_HEAD]);
	sql = psprintf("SELECT x, x.capa_id, x.id, x.chain_seq, x.chain_head,"
				   " l.chain_seq, l.hash, l.row_hash, l.seq FROM capa.action x"
				   " LEFT JOIN LATERAL (SELECT a.chain_seq, a.hash, a.row_hash, a.seq"
				   "  FROM capa.audit a WHERE a.record_id OPERATOR(capa.=) x.capa_id"
				   "  AND a.action_id OPERATOR(pg_catalog.=) x.id"
				   "  ORDER BY a.chain_seq DESC LIMIT 1) l ON true"
				   " WHERE ($1 IS NULL OR x.capa_id OPERATOR(capa.=) $1) ORDER BY x.capa_id, x.id");
	verify_rows(&out, sql, one_record, record, cat->act[ACT_CHAIN_HEAD]);
	verify_missing_rows(&out, one_record, record);
	if (!PG_ARGISNULL(0))
		verify_digest(&out, text_to_cstring(PG_GETARG_TEXT_PP(0)));

	SPI_finish();
	return (Datum) 0;
}
