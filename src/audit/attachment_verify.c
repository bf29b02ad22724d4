/*-------------------------------------------------------------------------
 *
 * attachment_verify.c
 *	  capa_audit_verify()'s findings on attachments:
 *	    attachment_changed      the stored content's SHA-256 is not the one
 *	                            the trail recorded: the file was replaced
 *	    attachment_row_changed  the row's facts (title, step, uri, SHA-256,
 *	                            size, who and when, its withdrawal) are not
 *	                            what the audit rows recorded
 *	    attachment_missing      the trail attached it, the row is gone
 *	    attachment_unrecorded   a row no audit row attached
 *
 * Still one pass: while verify.c reads a record's own chain, the attach
 * and withdraw_attachment rows are kept (their "changed", a few hundred
 * bytes each); when that chain ends, the record's attachment rows, read in
 * (capa_id, id) order as the chains are, are checked against them and the
 * list is dropped.  Stored content is hashed in slices straight from its
 * TOAST chunks (it is stored uncompressed), so a 25 MB file is never held
 * in memory whole.
 *
 * IDENTIFICATION
 *	  src/audit/attachment_verify.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/toast_compression.h"
#include "catalog/namespace.h"
#include "common/cryptohash.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "audit/attachment_facts.h"
#include "audit/attachment_verify.h"
#include "audit/ordered_scan.h"
#include "common/schema_cache.h"

/* bytes of stored content hashed at a time */
#define CONTENT_SLICE (1024 * 1024)

/* An attach or withdraw_attachment audit row of the record being read */
typedef struct TrailEntry
{
	int64		id;				/* the attachment it names */
	bool		withdraw;
	bool		used;			/* matched with a row */
	int64		seq;
	Jsonb	   *changed;
	char	   *actor;
} TrailEntry;

/* The columns of capa.attachment read here */
typedef enum AttachmentColumn
{
	AC_ID, AC_CAPA_ID, AC_ACTION_ID, AC_STEP, AC_TITLE, AC_URI, AC_MEDIA_TYPE,
	AC_SHA256, AC_SIZE, AC_CONTENT, AC_ATTACHED_AT, AC_ATTACHED_BY, AC_ATTACH_SEQ,
	AC_WITHDRAWN_AT, AC_WITHDRAWN_BY, AC_WITHDRAW_REASON, AC_WITHDRAW_SEQ,
	AC_COUNT
} AttachmentColumn;

static const char *const column_names[AC_COUNT] = {
	"id", "capa_id", "action_id", "step", "title", "uri", "media_type",
	"sha256", "size", "content", "attached_at", "attached_by", "attach_seq",
	"withdrawn_at", "withdrawn_by", "withdraw_reason", "withdraw_seq",
};

struct CapaAttachmentCheck
{
	CapaOrderedScan scan;
	TupleTableSlot *row;		/* the current row, NULL at the end */
	int64		row_capa_id;
	AttrNumber	col[AC_COUNT];
	CapaVerifyReport report;
	void	   *arg;
	MemoryContext trail_cxt;	/* the entries; reset at each record's end */
	MemoryContext row_cxt;		/* one row's work */
	TrailEntry *entries;
	int			nentries;
	int			maxentries;
};

static void
advance(CapaAttachmentCheck *chk)
{
	chk->row = capa_ordered_scan_next(&chk->scan);
	if (chk->row != NULL)
		chk->row_capa_id = DatumGetInt64(chk->row->tts_values[chk->col[AC_CAPA_ID] - 1]);
}

CapaAttachmentCheck *
capa_attachment_check_begin(bool one_record, Datum record, bool record_visible,
							CapaVerifyReport report, void *arg)
{
	CapaSchema *schema = capa_schema();
	Oid			relid = get_relname_relid("attachment", schema->namespace_oid);
	Oid			index = get_relname_relid("attachment_record_idx", schema->namespace_oid);
	CapaAttachmentCheck *chk;
	int			i;

	if (!OidIsValid(relid) || !OidIsValid(index))
		return NULL;
	chk = palloc0(sizeof(CapaAttachmentCheck));
	for (i = 0; i < AC_COUNT; i++)
	{
		chk->col[i] = get_attnum(relid, column_names[i]);
		if (chk->col[i] == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("column \"%s\" of capa.attachment is missing", column_names[i])));
	}
	chk->report = report;
	chk->arg = arg;
	chk->trail_cxt = AllocSetContextCreate(CurrentMemoryContext, "capa verify attachments",
										   ALLOCSET_SMALL_SIZES);
	chk->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "capa verify attachment",
										 ALLOCSET_DEFAULT_SIZES);
	capa_ordered_scan_begin(&chk->scan, relid, index, one_record, record, record_visible);
	advance(chk);
	return chk;
}

/* A CapaStr (not NUL-terminated) is name */
static bool
step_is(const CapaStr *step, const char *name)
{
	return step->len == (int) strlen(name) && memcmp(step->data, name, step->len) == 0;
}

void
capa_attachment_check_trail(CapaAttachmentCheck *chk, const CapaAuditFields *f)
{
	bool		withdraw;
	int64		id;
	MemoryContext old;
	TrailEntry *e;

	if (f->has_action || f->step.data == NULL || f->changed == NULL)
		return;
	if (step_is(&f->step, CAPA_STEP_ATTACH))
		withdraw = false;
	else if (step_is(&f->step, CAPA_STEP_WITHDRAW_ATTACHMENT))
		withdraw = true;
	else
		return;
	id = capa_attachment_facts_id(f->changed);
	if (id < 0)
		return;					/* an edited document: bad_hash says so */

	old = MemoryContextSwitchTo(chk->trail_cxt);
	if (chk->nentries == chk->maxentries)
	{
		chk->maxentries = chk->maxentries ? chk->maxentries * 2 : 16;
		chk->entries = chk->entries ?
			repalloc(chk->entries, sizeof(TrailEntry) * chk->maxentries) :
			palloc(sizeof(TrailEntry) * chk->maxentries);
	}
	e = &chk->entries[chk->nentries++];
	e->id = id;
	e->withdraw = withdraw;
	e->used = false;
	e->seq = f->seq;
	e->changed = palloc(VARSIZE(f->changed));
	memcpy(e->changed, f->changed, VARSIZE(f->changed));
	e->actor = pnstrdup(f->actor.data ? f->actor.data : "", f->actor.data ? f->actor.len : 0);
	MemoryContextSwitchTo(old);
}

/* by attachment id, the attach before its withdrawal, then chain order */
static int
entry_cmp(const void *a, const void *b)
{
	const TrailEntry *x = a;
	const TrailEntry *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	if (x->withdraw != y->withdraw)
		return x->withdraw ? 1 : -1;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

/* The first unused entry for id of that kind, or NULL */
static TrailEntry *
find_entry(CapaAttachmentCheck *chk, int64 id, bool withdraw)
{
	int			i;

	/* entries are sorted: a record has few, a linear walk is enough */
	for (i = 0; i < chk->nentries; i++)
	{
		TrailEntry *e = &chk->entries[i];

		if (e->id == id && e->withdraw == withdraw && !e->used)
			return e;
		if (e->id > id)
			break;
	}
	return NULL;
}

static Datum
col_value(CapaAttachmentCheck *chk, AttachmentColumn c, bool *isnull)
{
	*isnull = chk->row->tts_isnull[chk->col[c] - 1];
	return chk->row->tts_values[chk->col[c] - 1];
}

static const char *
col_text(CapaAttachmentCheck *chk, AttachmentColumn c)
{
	bool		isnull;
	Datum		d = col_value(chk, c, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* SHA-256 of stored content, read in slices when it lies uncompressed in TOAST */
static void
content_sha256(Datum value, uint8 *out)
{
	struct varlena *v = (struct varlena *) DatumGetPointer(value);
	pg_cryptohash_ctx *ctx = capa_sha256_begin();
	bool		ok = pg_cryptohash_init(ctx) >= 0;

	if (VARATT_IS_EXTERNAL_ONDISK(v))
	{
		struct varatt_external toast_pointer;

		VARATT_EXTERNAL_GET_POINTER(toast_pointer, v);
		/* VARATT_EXTERNAL_IS_COMPRESSED, without its signed comparison */
		if (VARATT_EXTERNAL_GET_EXTSIZE(toast_pointer) >=
			(uint32) (toast_pointer.va_rawsize - VARHDRSZ))
		{
			int64		total = (int64) toast_raw_datum_size(value) - VARHDRSZ;
			int64		off;

			for (off = 0; ok && off < total; off += CONTENT_SLICE)
			{
				struct varlena *slice = detoast_attr_slice(v, off,
														   (int32) Min(CONTENT_SLICE, total - off));

				ok = pg_cryptohash_update(ctx, (const uint8 *) VARDATA_ANY(slice),
										  VARSIZE_ANY_EXHDR(slice)) >= 0;
				pfree(slice);
			}
			v = NULL;
		}
	}
	if (v != NULL)
	{
		struct varlena *whole = detoast_attr(v);

		ok = ok && pg_cryptohash_update(ctx, (const uint8 *) VARDATA_ANY(whole),
										VARSIZE_ANY_EXHDR(whole)) >= 0;
		if (whole != v)
			pfree(whole);
	}
	ok = ok && pg_cryptohash_final(ctx, out, CAPA_HASH_LEN) >= 0;
	capa_sha256_end(ctx);
	if (!ok)
		elog(ERROR, "capa: SHA-256 of stored content failed");
}

static bool
same_jsonb(Jsonb *a, Datum b)
{
	return compareJsonbContainers(&a->root, &DatumGetJsonbP(b)->root) == 0;
}

static bool
same_name(CapaAttachmentCheck *chk, AttachmentColumn c, const char *actor)
{
	bool		isnull;
	Datum		d = col_value(chk, c, &isnull);

	return !isnull && strcmp(NameStr(*DatumGetName(d)), actor) == 0;
}

static bool
same_seq(CapaAttachmentCheck *chk, AttachmentColumn c, int64 seq)
{
	bool		isnull;
	Datum		d = col_value(chk, c, &isnull);

	return !isnull && DatumGetInt64(d) == seq;
}

/* The current row, an attachment of capa_id, against its trail entries */
static void
check_row(CapaAttachmentCheck *chk, int64 capa_id, bool with_trail)
{
	int64		id;
	bool		isnull;
	TrailEntry *attach;
	TrailEntry *withdraw;
	CapaAttachmentFacts f;
	Datum		d;
	Datum		content;
	bool		has_content;
	int64		action_id;
	bool		has_action;
	bool		withdrawn_on_row;
	bool		facts_ok = true;

	id = DatumGetInt64(col_value(chk, AC_ID, &isnull));
	d = col_value(chk, AC_ACTION_ID, &isnull);
	has_action = !isnull;
	action_id = has_action ? DatumGetInt64(d) : 0;
	attach = with_trail ? find_entry(chk, id, false) : NULL;
	if (attach == NULL)
	{
		chk->report(chk->arg, "attachment_unrecorded", capa_id, has_action, action_id, 0,
					psprintf("attachment " INT64_FORMAT ": no audit row of the record attached it: it was written with the triggers bypassed", id));
		return;
	}
	attach->used = true;
	withdraw = find_entry(chk, id, true);
	if (withdraw)
		withdraw->used = true;

	/* the facts the row gives now, built as capa_attach built them */
	memset(&f, 0, sizeof(f));
	f.id = id;
	f.title = col_text(chk, AC_TITLE);
	f.step = col_text(chk, AC_STEP);
	f.has_action = has_action;
	f.action_id = action_id;
	f.uri = col_text(chk, AC_URI);
	f.media_type = col_text(chk, AC_MEDIA_TYPE);
	d = col_value(chk, AC_SHA256, &isnull);
	if (!isnull)
	{
		bytea	   *b = DatumGetByteaPP(d);

		f.sha256 = (const uint8 *) VARDATA_ANY(b);
		/* a digest of another length is no digest the trail recorded */
		facts_ok = VARSIZE_ANY_EXHDR(b) == CAPA_HASH_LEN;
	}
	content = col_value(chk, AC_CONTENT, &isnull);
	has_content = !isnull;
	f.stored = has_content;
	d = col_value(chk, AC_SIZE, &isnull);
	f.size = isnull ? -1 : DatumGetInt64(d);
	d = col_value(chk, AC_ATTACHED_AT, &isnull);
	f.attached_at = isnull ? DT_NOBEGIN : DatumGetTimestampTz(d);
	if (!facts_ok || !same_jsonb(attach->changed, capa_attachment_facts(&f)) ||
		!same_name(chk, AC_ATTACHED_BY, attach->actor) ||
		!same_seq(chk, AC_ATTACH_SEQ, attach->seq))
		chk->report(chk->arg, "attachment_row_changed", capa_id, has_action, action_id, attach->seq,
					psprintf("attachment " INT64_FORMAT ": the row differs from what its attach audit row recorded", id));

	/* its withdrawal, on the row and in the trail */
	d = col_value(chk, AC_WITHDRAWN_AT, &isnull);
	withdrawn_on_row = !isnull;
	if (withdraw == NULL && withdrawn_on_row)
		chk->report(chk->arg, "attachment_row_changed", capa_id, has_action, action_id, attach->seq,
					psprintf("attachment " INT64_FORMAT ": the row is withdrawn, no audit row withdrew it", id));
	else if (withdraw != NULL && !withdrawn_on_row)
		chk->report(chk->arg, "attachment_row_changed", capa_id, has_action, action_id, withdraw->seq,
					psprintf("attachment " INT64_FORMAT ": withdrawn by the trail, not on the row", id));
	else if (withdraw != NULL)
	{
		const char *reason = col_text(chk, AC_WITHDRAW_REASON);

		if (reason == NULL ||
			!same_jsonb(withdraw->changed,
						capa_attachment_withdrawal(id, reason, DatumGetTimestampTz(d))) ||
			!same_name(chk, AC_WITHDRAWN_BY, withdraw->actor) ||
			!same_seq(chk, AC_WITHDRAW_SEQ, withdraw->seq))
			chk->report(chk->arg, "attachment_row_changed", capa_id, has_action, action_id, withdraw->seq,
						psprintf("attachment " INT64_FORMAT ": the row's withdrawal differs from what its audit row recorded", id));
	}

	/* the file itself, against the SHA-256 the trail recorded */
	if (has_content)
	{
		uint8		recorded[CAPA_HASH_LEN];
		uint8		now[CAPA_HASH_LEN];

		content_sha256(content, now);
		if (capa_attachment_facts_sha256(attach->changed, recorded) &&
			memcmp(recorded, now, CAPA_HASH_LEN) != 0)
			chk->report(chk->arg, "attachment_changed", capa_id, has_action, action_id, attach->seq,
						psprintf("attachment " INT64_FORMAT ": the stored content's SHA-256 is not the one its attach audit row recorded: the file was changed", id));
	}
}

/* Rows of records before capa_id (or all, if capa_id is 0) have no trail */
static void
skip_unrecorded(CapaAttachmentCheck *chk, int64 capa_id)
{
	while (chk->row != NULL && (capa_id == 0 || chk->row_capa_id < capa_id))
	{
		MemoryContext old = MemoryContextSwitchTo(chk->row_cxt);

		check_row(chk, chk->row_capa_id, false);
		MemoryContextSwitchTo(old);
		MemoryContextReset(chk->row_cxt);
		advance(chk);
	}
}

void
capa_attachment_check_record(CapaAttachmentCheck *chk, int64 capa_id)
{
	int			i;

	skip_unrecorded(chk, capa_id);
	if (chk->nentries > 1)
		qsort(chk->entries, chk->nentries, sizeof(TrailEntry), entry_cmp);
	while (chk->row != NULL && chk->row_capa_id == capa_id)
	{
		MemoryContext old = MemoryContextSwitchTo(chk->row_cxt);

		CHECK_FOR_INTERRUPTS();
		check_row(chk, capa_id, true);
		MemoryContextSwitchTo(old);
		MemoryContextReset(chk->row_cxt);
		advance(chk);
	}
	/* what the trail recorded and no row showed */
	for (i = 0; i < chk->nentries; i++)
	{
		TrailEntry *e = &chk->entries[i];

		if (e->used)
			continue;
		if (!e->withdraw)
			chk->report(chk->arg, "attachment_missing", capa_id, false, 0, e->seq,
						psprintf("attachment " INT64_FORMAT ": attached by the trail, its row is gone", e->id));
		else if (i > 0 && chk->entries[i - 1].id == e->id)
		{
			/* sorted: the attach, or a withdrawal, of the same id comes before */
			if (chk->entries[i - 1].used)
				chk->report(chk->arg, "attachment_row_changed", capa_id, false, 0, e->seq,
							psprintf("attachment " INT64_FORMAT ": withdrawn again by the trail", e->id));
		}
		else
			chk->report(chk->arg, "attachment_missing", capa_id, false, 0, e->seq,
						psprintf("attachment " INT64_FORMAT ": withdrawn by the trail, never attached to the record", e->id));
	}
	chk->entries = NULL;
	chk->nentries = chk->maxentries = 0;
	MemoryContextReset(chk->trail_cxt);
}

void
capa_attachment_check_end(CapaAttachmentCheck *chk)
{
	skip_unrecorded(chk, 0);
	capa_ordered_scan_end(&chk->scan);
	MemoryContextDelete(chk->trail_cxt);
	MemoryContextDelete(chk->row_cxt);
}
