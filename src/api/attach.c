/*-------------------------------------------------------------------------
 *
 * attach.c
 *	  capa_attach() and capa_withdraw_attachment(): evidence items of a
 *	  record, one of its steps or an action item, each a step in the
 *	  record's hash chain.
 *
 * An attachment is a stored file (capa computes its SHA-256), the SHA-256
 * of a file kept elsewhere, or a reference (uri).  Attaching writes the
 * audit row first (the step "attach", lifecycle/evidence_step.c, whose
 * "changed" holds the attachment's facts: audit/attachment_facts.c), then
 * the capa.attachment row that names it; both run as capa's owner, as the
 * other steps' statements (api.c), the caller recorded as the actor.
 * Neither the audit row nor any other value is built from the content:
 * it is hashed once and stored once.
 *
 * Any state accepts evidence, a closed or cancelled record's included:
 * attaching changes none of the record's facts, and the evidence an auditor
 * asks for after the close (the backup reports of the months since, the
 * procedure as issued) belongs on that record.
 *
 * Under row-level security by org unit another unit's record, and its
 * attachments, are answered exactly as missing ones (42704), before any
 * lock is taken.
 *
 * IDENTIFICATION
 *	  src/api/attach.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "audit/attachment_facts.h"
#include "audit/audit.h"
#include "audit/chain.h"
#include "common/actor.h"
#include "common/schema_cache.h"
#include "common/text_blank.h"
#include "common/trigger_row.h"
#include "integration/org_unit.h"
#include "lifecycle/attachment_guard.h"
#include "lifecycle/evidence_step.h"
#include "lifecycle/rules.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_attach);
PG_FUNCTION_INFO_V1(capa_withdraw_attachment);

/* The content capa stores when no policy row says otherwise: 25 MB */
#define CAPA_ATTACHMENT_DEFAULT_MAX INT64CONST(26214400)

/* Argument argno as a C string, or NULL; blank text is refused (22023) */
static char *
optional_text(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		return NULL;
	if (capa_text_blank(PG_GETARG_DATUM(argno)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_attach: \"%s\" must not be blank", name),
				 errhint("Leave it NULL when there is none.")));
	return text_to_cstring(PG_GETARG_TEXT_PP(argno));
}

/* step names a step of the lifecycle (rules.c), or the opening */
static void
check_step(const char *step)
{
	if (step == NULL || strcmp(step, "open") == 0 || capa_rules_step_known(step))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("capa_attach: \"%s\" is not a step of the lifecycle", step),
			 errhint("A step is open, contain, analyse, plan, implement, verify, close, cancel, reopen or reanalyse; NULL attaches to the record as a whole.")));
}

/* The latest capa.policy.attachment_max_bytes, or the default; inside SPI */
static int64
max_bytes(void)
{
	bool		isnull;
	int			rc;

	rc = SPI_execute("SELECT p.attachment_max_bytes FROM capa.policy p"
					 " WHERE p.attachment_max_bytes IS NOT NULL ORDER BY p.id DESC LIMIT 1",
					 false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: attachment policy lookup returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return CAPA_ATTACHMENT_DEFAULT_MAX;
	return DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
}

/* "<64 hex digits>" of a SHA-256 */
static char *
hex_of(const uint8 *hash)
{
	char	   *hex = palloc(CAPA_HASH_LEN * 2 + 1);
	int			i;

	for (i = 0; i < CAPA_HASH_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", hash[i]);
	return hex;
}

/* The one answer for a record that is missing or hidden */
static void
record_not_found(Datum record)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("capa record %s does not exist", capa_ref_cstring(record))));
}

/*
 * Take the evidence step on record as caller: update its row with a
 * statement that sets nothing, which the register trigger turns into the
 * step's audit row.  Returns that row's seq.  Inside SPI, as capa's owner.
 */
static int64
take_step(Datum record, Oid caller, const char *step, Datum changed)
{
	CapaSchema *schema = capa_schema();
	CapaRequest saved_request = capa_request;
	CapaEvidenceStep es;
	Oid			argtypes[1] = {schema->ref_type};
	int			rc;

	memset(&es, 0, sizeof(es));
	es.capa_id = record;
	es.step = step;
	es.changed = changed;
	PG_TRY();
	{
		capa_request.active = true;
		capa_request.caller = caller;
		capa_request.target = CAPA_STATE_INVALID;
		capa_request.complete_action = false;
		capa_request.import = false;
		capa_request.change = false;
		capa_request.reason = NULL;
		capa_request.step = step;
		capa_evidence_step = &es;
		rc = SPI_execute_with_args("UPDATE capa.register r SET chain_seq = r.chain_seq"
								   " WHERE r.id OPERATOR(capa.=) $1",
								   1, argtypes, &record, NULL, false, 0);
		if (rc != SPI_OK_UPDATE)
			elog(ERROR, "capa: %s statement returned %s", step, SPI_result_code_string(rc));
	}
	PG_FINALLY();
	{
		capa_evidence_step = NULL;
		capa_request = saved_request;
	}
	PG_END_TRY();
	/* none: the record is gone, or (row-level security) hidden from the caller */
	if (SPI_processed == 0)
		record_not_found(record);
	if (!es.done)
		elog(ERROR, "capa: the %s step wrote no audit row", step);
	return es.seq;
}

/* Run a write of capa.attachment (the guard lets it through) */
static void
write_attachment(const char *sql, int nargs, Oid *argtypes, Datum *values,
				 const char *nulls, int expected)
{
	int			rc;

	PG_TRY();
	{
		capa_attachment_writing = true;
		rc = SPI_execute_with_args(sql, nargs, argtypes, values, nulls, false, 0);
	}
	PG_FINALLY();
	{
		capa_attachment_writing = false;
	}
	PG_END_TRY();
	if (rc != expected || SPI_processed != 1)
		elog(ERROR, "capa: attachment write returned %s", SPI_result_code_string(rc));
}

/*
 * capa_attach(id, title, step, uri, content, sha256, action_id, media_type)
 * returns the attachment's id
 */
Datum
capa_attach(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	Oid			caller = GetUserId();
	Datum		record;
	CapaAttachmentFacts f;
	uint8		digest[CAPA_HASH_LEN];
	bytea	   *content = NULL;
	bytea	   *given = NULL;
	int64		size = 0;
	int64		limit;
	int64		seq;
	Oid			saved_user;
	int			saved_sec;
	bool		isnull;
	int			rc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_attach: the record reference must not be NULL")));
	record = PG_GETARG_DATUM(0);
	memset(&f, 0, sizeof(f));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("an attachment requires \"title\"")));
	if (capa_text_blank(PG_GETARG_DATUM(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an attachment requires a non-empty \"title\"")));
	f.title = text_to_cstring(PG_GETARG_TEXT_PP(1));
	f.step = optional_text(fcinfo, 2, "step");
	check_step(f.step);
	f.uri = optional_text(fcinfo, 3, "uri");
	f.media_type = optional_text(fcinfo, 7, "media_type");
	f.has_action = !PG_ARGISNULL(6);
	f.action_id = f.has_action ? PG_GETARG_INT64(6) : 0;
	if (!PG_ARGISNULL(5))
	{
		given = PG_GETARG_BYTEA_PP(5);
		if (VARSIZE_ANY_EXHDR(given) != CAPA_HASH_LEN)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("capa_attach: a SHA-256 has %d bytes, not %d",
							CAPA_HASH_LEN, (int) VARSIZE_ANY_EXHDR(given)),
					 errhint("Give the digest as bytea: decode('<64 hex digits>', 'hex').")));
	}
	/* the size before the content is read: it may be toasted */
	if (!PG_ARGISNULL(4))
		size = (int64) toast_raw_datum_size(PG_GETARG_DATUM(4)) - VARHDRSZ;
	if (PG_ARGISNULL(4) && given == NULL && f.uri == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_attach: an attachment needs content, a SHA-256 or a uri"),
				 errhint("Store the file (content), give the SHA-256 of a file kept elsewhere (sha256), or where it is (uri).")));

	/* another unit's record: as a missing one, before any lock */
	if (!capa_record_visible(caller, record, false, NULL))
		record_not_found(record);

	/*
	 * Every lookup below takes a new snapshot (read_only false): what the
	 * same statement wrote before this call (an action item added, a
	 * policy row) is there.
	 */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);

	if (!PG_ARGISNULL(4))
	{
		limit = max_bytes();
		if (size > limit)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("capa_attach: the content has " INT64_FORMAT " bytes, more than the " INT64_FORMAT " the policy allows",
							size, limit),
					 errhint("Keep the file elsewhere and attach its SHA-256 and uri, or raise capa.policy.attachment_max_bytes.")));
		content = PG_GETARG_BYTEA_PP(4);
		capa_sha256(VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content), digest);
		if (given != NULL && memcmp(VARDATA_ANY(given), digest, CAPA_HASH_LEN) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("capa_attach: the SHA-256 given is not the content's"),
					 errdetail("The content's SHA-256 is %s.", hex_of(digest)),
					 errhint("Leave sha256 NULL: capa computes it from the content.")));
		f.sha256 = digest;
		f.stored = true;
		f.size = size;
	}
	else if (given != NULL)
		f.sha256 = (const uint8 *) VARDATA_ANY(given);

	/* an item of this record (one of another record is not one of this) */
	if (f.has_action)
	{
		Oid			types[2] = {INT8OID, schema->ref_type};
		Datum		vals[2] = {Int64GetDatum(f.action_id), record};

		rc = SPI_execute_with_args("SELECT FROM capa.action a WHERE a.id OPERATOR(pg_catalog.=) $1"
								   " AND a.capa_id OPERATOR(capa.=) $2",
								   2, types, vals, NULL, false, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "capa: action item lookup returned %s", SPI_result_code_string(rc));
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("capa action item " INT64_FORMAT " of record %s does not exist",
							f.action_id, capa_ref_cstring(record))));
	}

	rc = SPI_execute("SELECT pg_catalog.nextval('capa.attachment_id_seq'::pg_catalog.regclass)",
					 false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "capa: attachment id returned %s", SPI_result_code_string(rc));
	f.id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	f.attached_at = GetCurrentTransactionStartTimestamp();

	seq = take_step(record, caller, CAPA_STEP_ATTACH, capa_attachment_facts(&f));

	{
		Oid			types[13] = {INT8OID, schema->ref_type, INT8OID, TEXTOID, TEXTOID, TEXTOID,
		TEXTOID, BYTEAOID, INT8OID, BYTEAOID, TIMESTAMPTZOID, NAMEOID, INT8OID};
		Datum		vals[13];
		char		nulls[13];

		memset(nulls, ' ', sizeof(nulls));
		vals[0] = Int64GetDatum(f.id);
		vals[1] = record;
		vals[2] = Int64GetDatum(f.action_id);
		nulls[2] = f.has_action ? ' ' : 'n';
		vals[3] = f.step ? CStringGetTextDatum(f.step) : (Datum) 0;
		nulls[3] = f.step ? ' ' : 'n';
		vals[4] = CStringGetTextDatum(f.title);
		vals[5] = f.uri ? CStringGetTextDatum(f.uri) : (Datum) 0;
		nulls[5] = f.uri ? ' ' : 'n';
		vals[6] = f.media_type ? CStringGetTextDatum(f.media_type) : (Datum) 0;
		nulls[6] = f.media_type ? ' ' : 'n';
		vals[7] = f.sha256 ? capa_hash_datum(f.sha256) : (Datum) 0;
		nulls[7] = f.sha256 ? ' ' : 'n';
		vals[8] = Int64GetDatum(f.size);
		nulls[8] = f.stored ? ' ' : 'n';
		/* the content as it came: hashed above, copied only into the row */
		vals[9] = PointerGetDatum(content);
		nulls[9] = content ? ' ' : 'n';
		vals[10] = TimestampTzGetDatum(f.attached_at);
		vals[11] = capa_role_name_datum(caller);
		vals[12] = Int64GetDatum(seq);
		write_attachment("INSERT INTO capa.attachment (id, capa_id, action_id, step, title, uri,"
						 " media_type, sha256, size, content, attached_at, attached_by, attach_seq)"
						 " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
						 13, types, vals, nulls, SPI_OK_INSERT);
	}

	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	PG_RETURN_INT64(f.id);
}

/* capa_withdraw_attachment(attachment_id, reason) */
Datum
capa_withdraw_attachment(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	Oid			caller = GetUserId();
	int64		id;
	char	   *reason;
	Datum		record = (Datum) 0;
	bool		found;
	bool		isnull;
	TimestampTz at = GetCurrentTransactionStartTimestamp();
	int64		seq;
	Oid			saved_user;
	int			saved_sec;
	Oid			types[5] = {INT8OID, TIMESTAMPTZOID, NAMEOID, TEXTOID, INT8OID};
	Datum		vals[5];
	int			rc;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_withdraw_attachment: the attachment id must not be NULL")));
	id = PG_GETARG_INT64(0);
	if (PG_ARGISNULL(1) || capa_text_blank(PG_GETARG_DATUM(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("withdraw_attachment needs a non-blank reason"),
				 errhint("Say why the attachment is withdrawn: it stays, with the reason.")));
	reason = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	vals[0] = Int64GetDatum(id);
	rc = SPI_execute_with_args("SELECT a.capa_id FROM capa.attachment a WHERE a.id OPERATOR(pg_catalog.=) $1",
							   1, types, vals, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: attachment lookup returned %s", SPI_result_code_string(rc));
	found = SPI_processed == 1;
	if (found)
		record = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);

	/* one error site: another unit's attachment is as a missing one */
	if (!found || !capa_record_visible(caller, record, false, NULL))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("capa attachment " INT64_FORMAT " does not exist", id)));

	/* the record's row lock orders withdrawals: then read it again */
	{
		Oid			reftype = schema->ref_type;

		rc = SPI_execute_with_args("SELECT FROM capa.register r WHERE r.id OPERATOR(capa.=) $1"
								   " FOR NO KEY UPDATE",
								   1, &reftype, &record, NULL, false, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "capa: record lock returned %s", SPI_result_code_string(rc));
	}
	rc = SPI_execute_with_args("SELECT a.withdrawn_at, a.withdrawn_by FROM capa.attachment a"
							   " WHERE a.id OPERATOR(pg_catalog.=) $1",
							   1, types, vals, NULL, false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "capa: attachment lookup returned %s", SPI_result_code_string(rc));
	(void) SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (!isnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa attachment " INT64_FORMAT " is withdrawn already", id),
				 errdetail("%s withdrew it at %s.",
						   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2),
						   SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1))));

	seq = take_step(record, caller, CAPA_STEP_WITHDRAW_ATTACHMENT,
					capa_attachment_withdrawal(id, reason, at));

	vals[1] = TimestampTzGetDatum(at);
	vals[2] = capa_role_name_datum(caller);
	vals[3] = CStringGetTextDatum(reason);
	vals[4] = Int64GetDatum(seq);
	write_attachment("UPDATE capa.attachment SET withdrawn_at = $2, withdrawn_by = $3,"
					 " withdraw_reason = $4, withdraw_seq = $5 WHERE id OPERATOR(pg_catalog.=) $1",
					 5, types, vals, NULL, SPI_OK_UPDATE);

	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	PG_RETURN_VOID();
}
