/*-------------------------------------------------------------------------
 *
 * kpi.c
 *	  The KPI rollup: capa.kpi_rollup (counters per month, kind, org unit
 *	  and shard), capa.kpi_close_days (closures per whole days taken) and
 *	  capa.kpi_action_due (pending action items by due date), maintained
 *	  by the triggers.  The KPI views add up these few rows instead of
 *	  scanning a register of a million records.
 *
 * What one change of a register row contributes:
 *	  - events: each step stamp the change newly sets (opened_at,
 *		contained_at, analysed_at, closed_at, cancelled_at, reopened_at)
 *		counts once in the month (UTC) of its stamp, with its measures
 *		(seconds to contain and to close, on time, first-time effective,
 *		a similar record named by the analysis).  Stamps a step clears
 *		(a reopen clears closed_at) take nothing back: the closure happened.
 *	  - the open interval: a record is in the backlog from the month of its
 *		last start (reopened_at, else opened_at) to the month it ended
 *		(closed or cancelled), and overdue at the end of every month from
 *		the month of its close_due while it is still open.  As running
 *		sums: +1 at the start, -1 at the end.  A change replaces the old
 *		row's interval by the new row's from the month of the change on,
 *		except a reopen, which keeps the ended interval (history) and
 *		starts a new one.
 *
 * A transaction's contributions add up in memory, by subtransaction (a
 * rolled-back one takes its own back), and are written once just before
 * it commits; the capa_kpi_pending_*() functions show them to the
 * transaction's own reads until then.
 *
 * No hot row: each backend writes the rows of its own shard (its backend
 * id, unique among running backends), so two transactions never wait for
 * each other here.  capa_kpi_compact() folds the shards together.
 *
 * IDENTIFICATION
 *	  src/kpi/kpi.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "nodes/pg_list.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "common/actor.h"
#include "common/pg_compat.h"
#include "common/schema_cache.h"
#include "kpi/kpi.h"
#include "lifecycle/rules.h"

/* The counters of a rollup row, in kpi_rollup's order (schema_cache.c's kpi_table_defs) */
typedef enum KpiMetric
{
	KPI_OPENED,
	KPI_CONTAINED,
	KPI_CONTAIN_SECONDS,
	KPI_ANALYSED,
	KPI_ANALYSED_RELATED,
	KPI_CLOSED,
	KPI_CLOSE_SECONDS,
	KPI_CLOSED_WITH_DUE,
	KPI_CLOSED_ON_TIME,
	KPI_CLOSED_VERIFIED,
	KPI_CLOSED_FIRST_TIME,
	KPI_CANCELLED,
	KPI_REOPENED,
	KPI_BACKLOG_DELTA,
	KPI_OVERDUE_DELTA,
	KPI_METRIC_COUNT
} KpiMetric;

/* The table a rollup row belongs to */
typedef enum KpiTable
{
	KPI_MONTH,					/* capa.kpi_rollup: bucket is the month */
	KPI_CLOSE_DAYS,				/* capa.kpi_close_days: bucket is whole days */
	KPI_ACTION_DUE				/* capa.kpi_action_due: bucket is the due date */
} KpiTable;

/* A rollup row's key */
typedef struct KpiKey
{
	KpiTable	table;
	int32		bucket;			/* see KpiTable */
	const char *kind;
	const char *org_unit;		/* NULL: no org unit */
} KpiKey;

typedef struct KpiEntry
{
	KpiKey		key;			/* first: the hash table's key */
	int64		v[KPI_METRIC_COUNT];	/* days rows use v[0] (closures) */
} KpiEntry;

/* What the rollup reads of a register row */
typedef struct KpiRecord
{
	const char *kind;
	const char *org_unit;
	CapaState	state;
	bool		has[CAPA_STAMP_COUNT];
	TimestampTz at[CAPA_STAMP_COUNT];
	bool		has_close_due;
	TimestampTz close_due;
	int32		ineffective_count;
	bool		names_related;
} KpiRecord;

/* The contribution of one change: a few entries, merged by key */
#define KPI_MAX_ENTRIES 16
typedef struct KpiChange
{
	int			count;
	KpiEntry	entries[KPI_MAX_ENTRIES];
} KpiChange;

/*
 * This transaction's contributions, not yet written: totals by key and by
 * the subtransaction that made them (a rolled-back subtransaction takes
 * its own back), written once, just before the transaction commits.
 */
typedef struct KpiPendingKey
{
	KpiKey		key;
	SubTransactionId subid;
} KpiPendingKey;

typedef struct KpiPending
{
	KpiPendingKey pkey;			/* first: the hash table's key */
	int64		v[KPI_METRIC_COUNT];
} KpiPending;

static MemoryContext pending_cxt = NULL;
static HTAB *pending = NULL;
static List *pending_subids = NIL;	/* the subtransactions with totals */

/*
 * The totals are being written at commit.  The writes fire the row
 * triggers someone added to a KPI table, whose code may change records
 * (more totals: they go to a new table, written next) but not rebuild the
 * rollup under the write (capa_kpi_rebuild refuses).
 */
static bool pending_writing = false;

static void kpi_record_actions(Datum capa_id, const char *org_unit, int sign);

static DateADT
month_of(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;

	/* in UTC: the month of an event does not depend on the session */
	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for a KPI month")));
	return date2j(tm.tm_year, tm.tm_mon, 1) - POSTGRES_EPOCH_JDATE;
}

static bool
same_text(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
same_key(const KpiKey *a, const KpiKey *b)
{
	return a->table == b->table && a->bucket == b->bucket &&
		same_text(a->kind, b->kind) && same_text(a->org_unit, b->org_unit);
}

/* The entry of a key in this change, added if new */
static int64 *
change_entry(KpiChange *change, KpiTable table, int32 bucket, const KpiRecord *rec)
{
	KpiKey		key = {table, bucket, rec->kind, rec->org_unit};
	int			i;

	for (i = 0; i < change->count; i++)
	{
		if (same_key(&change->entries[i].key, &key))
			return change->entries[i].v;
	}
	if (change->count >= KPI_MAX_ENTRIES)
		elog(ERROR, "capa: too many KPI rollup entries for one change");
	memset(&change->entries[i], 0, sizeof(KpiEntry));
	change->entries[i].key = key;
	change->count++;
	return change->entries[i].v;
}

static void
read_record(TupleDesc tupdesc, HeapTuple tuple, KpiRecord *rec)
{
	CapaSchema *schema = capa_schema();
	Datum	   *values = palloc(sizeof(Datum) * tupdesc->natts);
	bool	   *nulls = palloc(sizeof(bool) * tupdesc->natts);
	Datum		d;
	int			s;

/* the value and null flag of a column, by attribute number */
#define COLUMN(attnum) values[(attnum) - 1]
#define NULLCOL(attnum) nulls[(attnum) - 1]

	/* every column at once: the row is wide and read in many places */
	heap_deform_tuple(tuple, tupdesc, values, nulls);
	memset(rec, 0, sizeof(*rec));
	rec->kind = NULLCOL(schema->reg[REG_KIND]) ? "" : TextDatumGetCString(COLUMN(schema->reg[REG_KIND]));
	rec->org_unit = NULLCOL(schema->reg[REG_ORG_UNIT]) ? NULL :
		TextDatumGetCString(COLUMN(schema->reg[REG_ORG_UNIT]));
	rec->state = NULLCOL(schema->reg[REG_STATE]) ? CAPA_STATE_INVALID :
		(CapaState) DatumGetInt16(COLUMN(schema->reg[REG_STATE]));
	for (s = 1; s < CAPA_STAMP_COUNT; s++)
	{
		d = COLUMN(schema->stamp_at[s]);
		/* an infinite stamp has no month: it counts as no stamp */
		rec->has[s] = !NULLCOL(schema->stamp_at[s]) && !TIMESTAMP_NOT_FINITE(DatumGetTimestampTz(d));
		rec->at[s] = rec->has[s] ? DatumGetTimestampTz(d) : 0;
	}
	d = COLUMN(schema->reg[REG_CLOSE_DUE]);
	rec->has_close_due = !NULLCOL(schema->reg[REG_CLOSE_DUE]) && !TIMESTAMP_IS_NOEND(DatumGetTimestampTz(d));
	rec->close_due = rec->has_close_due ? DatumGetTimestampTz(d) : 0;
	rec->ineffective_count = NULLCOL(schema->reg[REG_INEFFECTIVE_COUNT]) ? 0 :
		DatumGetInt32(COLUMN(schema->reg[REG_INEFFECTIVE_COUNT]));
	if (!NULLCOL(schema->field[CAPA_F_RELATED]))
	{
		ArrayType  *arr = DatumGetArrayTypeP(COLUMN(schema->field[CAPA_F_RELATED]));

		rec->names_related = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr)) > 0;
	}
#undef COLUMN
#undef NULLCOL
	pfree(values);
	pfree(nulls);
}

/* True if the step stamp s is set on rec and was not, or differed, on old */
static bool
newly_stamped(const KpiRecord *old, const KpiRecord *rec, CapaStamp s)
{
	if (!rec->has[s])
		return false;
	return old == NULL || !old->has[s] || old->at[s] != rec->at[s];
}

static int64
seconds_between(TimestampTz from, TimestampTz to)
{
	return (to - from) / USECS_PER_SEC;
}

/* Events: the steps this change newly stamped */
static void
add_events(KpiChange *change, const KpiRecord *old, const KpiRecord *rec)
{
	int64	   *v;

	if (newly_stamped(old, rec, CAPA_STAMP_OPENED))
		change_entry(change, KPI_MONTH, month_of(rec->at[CAPA_STAMP_OPENED]), rec)[KPI_OPENED]++;
	if (newly_stamped(old, rec, CAPA_STAMP_CONTAINED))
	{
		v = change_entry(change, KPI_MONTH, month_of(rec->at[CAPA_STAMP_CONTAINED]), rec);
		v[KPI_CONTAINED]++;
		v[KPI_CONTAIN_SECONDS] += seconds_between(rec->at[CAPA_STAMP_OPENED],
												  rec->at[CAPA_STAMP_CONTAINED]);
	}
	if (newly_stamped(old, rec, CAPA_STAMP_ANALYSED))
	{
		v = change_entry(change, KPI_MONTH, month_of(rec->at[CAPA_STAMP_ANALYSED]), rec);
		v[KPI_ANALYSED]++;
		if (rec->names_related)
			v[KPI_ANALYSED_RELATED]++;
	}
	if (newly_stamped(old, rec, CAPA_STAMP_CLOSED))
	{
		TimestampTz closed = rec->at[CAPA_STAMP_CLOSED];
		int64		seconds = seconds_between(rec->at[CAPA_STAMP_OPENED], closed);

		v = change_entry(change, KPI_MONTH, month_of(closed), rec);
		v[KPI_CLOSED]++;
		v[KPI_CLOSE_SECONDS] += seconds;
		if (rec->has_close_due)
		{
			v[KPI_CLOSED_WITH_DUE]++;
			if (closed <= rec->close_due)
				v[KPI_CLOSED_ON_TIME]++;
		}
		/* closed after a verification of effectiveness (not "no action") */
		if (rec->has[CAPA_STAMP_VERIFIED])
		{
			v[KPI_CLOSED_VERIFIED]++;
			if (rec->ineffective_count == 0)
				v[KPI_CLOSED_FIRST_TIME]++;
		}
		/* whole days taken, rounded down */
		change_entry(change, KPI_CLOSE_DAYS, (int32) (seconds / SECS_PER_DAY), rec)[0]++;
	}
	if (newly_stamped(old, rec, CAPA_STAMP_CANCELLED))
		change_entry(change, KPI_MONTH, month_of(rec->at[CAPA_STAMP_CANCELLED]), rec)[KPI_CANCELLED]++;
	if (newly_stamped(old, rec, CAPA_STAMP_REOPENED))
		change_entry(change, KPI_MONTH, month_of(rec->at[CAPA_STAMP_REOPENED]), rec)[KPI_REOPENED]++;
}

/*
 * The record has ended (rules.c: closed or cancelled), at *end: the stamp
 * of the step that ended it
 */
static bool
has_ended(const KpiRecord *rec, TimestampTz *end)
{
	CapaStamp	stamp = capa_rules_end_stamp(rec->state);

	if (stamp == CAPA_STAMP_NONE || !rec->has[stamp])
		return false;
	*end = rec->at[stamp];
	return true;
}

/*
 * The open interval of rec, added with sign +1 or -1, from floor_month on:
 * a change made now (a due date moved, a record moved to another unit)
 * changes the backlog and the overdue count from this month on, and leaves
 * the months before as they were.
 */
static void
add_interval(KpiChange *change, const KpiRecord *rec, int sign, DateADT floor_month)
{
	TimestampTz start;
	TimestampTz end;
	bool		ended = has_ended(rec, &end);
	DateADT		start_month;
	DateADT		due_month;

	if (rec->has[CAPA_STAMP_REOPENED])
		start = rec->at[CAPA_STAMP_REOPENED];
	else if (rec->has[CAPA_STAMP_OPENED])
		start = rec->at[CAPA_STAMP_OPENED];
	else
		return;
	start_month = month_of(start);
	change_entry(change, KPI_MONTH, Max(start_month, floor_month), rec)[KPI_BACKLOG_DELTA] += sign;
	if (ended)
		change_entry(change, KPI_MONTH, Max(month_of(end), floor_month), rec)[KPI_BACKLOG_DELTA] -= sign;

	if (!rec->has_close_due)
		return;
	/* overdue at a month's end: due in or before that month, still open */
	due_month = TIMESTAMP_IS_NOBEGIN(rec->close_due) ? start_month : month_of(rec->close_due);
	change_entry(change, KPI_MONTH, Max(Max(due_month, start_month), floor_month),
				 rec)[KPI_OVERDUE_DELTA] += sign;
	if (ended)
		change_entry(change, KPI_MONTH, Max(Max(due_month, month_of(end)), floor_month),
					 rec)[KPI_OVERDUE_DELTA] -= sign;
}

static bool
entry_is_zero(const KpiEntry *e)
{
	int			i;

	for (i = 0; i < KPI_METRIC_COUNT; i++)
	{
		if (e->v[i] != 0)
			return false;
	}
	return true;
}

/* Add one entry's counters to this backend's shard */
static void
write_entry(const KpiEntry *e, int32 shard)
{
	Datum		keys[CAPA_KPI_MAX_KEYS];
	bool		keynulls[CAPA_KPI_MAX_KEYS];
	int			n = 0;

	memset(keynulls, 0, sizeof(keynulls));
	keys[n++] = e->key.table == KPI_CLOSE_DAYS ? Int32GetDatum(e->key.bucket) :
		DateADTGetDatum(e->key.bucket);
	/* kpi_action_due has no kind */
	if (e->key.table != KPI_ACTION_DUE)
		keys[n++] = CStringGetTextDatum(e->key.kind);
	keynulls[n] = e->key.org_unit == NULL;
	keys[n] = keynulls[n] ? (Datum) 0 : CStringGetTextDatum(e->key.org_unit);
	n++;
	keys[n++] = Int32GetDatum(shard);
	capa_kpi_add_row(e->key.table == KPI_MONTH ? CAPA_KPI_ROLLUP :
					 e->key.table == KPI_CLOSE_DAYS ? CAPA_KPI_CLOSE_DAYS :
					 CAPA_KPI_ACTION_DUE, keys, keynulls, e->v);
}

/* Pending totals: hashed by the whole key, texts compared by value */
static uint32
pending_hash(const void *key, Size keysize)
{
	const KpiPendingKey *p = key;
	const KpiKey *k = &p->key;
	uint32		h = hash_uint32((uint32) k->bucket) ^ hash_uint32((uint32) k->table);

	h = hash_combine(h, hash_uint32((uint32) p->subid));
	h = hash_combine(h, hash_bytes((const unsigned char *) k->kind, strlen(k->kind)));
	if (k->org_unit)
		h = hash_combine(h, hash_bytes((const unsigned char *) k->org_unit,
									   strlen(k->org_unit)));
	return h;
}

static int
pending_match(const void *a, const void *b, Size keysize)
{
	const KpiPendingKey *x = a;
	const KpiPendingKey *y = b;

	return (x->subid == y->subid && same_key(&x->key, &y->key)) ? 0 : 1;
}

/* A table of pending totals, keyed by (KpiKey, subtransaction) */
static HTAB *
pending_table(const char *name, MemoryContext cxt)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(KpiPendingKey);
	ctl.entrysize = sizeof(KpiPending);
	ctl.hash = pending_hash;
	ctl.match = pending_match;
	ctl.hcxt = cxt;
	return hash_create(name, 64, &ctl,
					   HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/*
 * The transaction's memory went with it: so did its pending totals (unless
 * the context is one pending_write() detached, and new totals came since)
 */
static void
pending_forget(void *arg)
{
	if (pending_cxt != (MemoryContext) arg)
		return;
	pending = NULL;
	pending_cxt = NULL;
	pending_subids = NIL;
}

static void
pending_create(void)
{
	MemoryContextCallback *cb;

	pending_cxt = AllocSetContextCreate(TopTransactionContext, "capa KPI pending",
										ALLOCSET_SMALL_SIZES);
	cb = MemoryContextAlloc(pending_cxt, sizeof(MemoryContextCallback));
	cb->func = pending_forget;
	cb->arg = pending_cxt;
	MemoryContextRegisterResetCallback(pending_cxt, cb);
	pending = pending_table("capa KPI pending", pending_cxt);
}

/* Remember that subid has pending totals (the subtransaction callback's shortcut) */
static void
note_subid(SubTransactionId subid)
{
	MemoryContext old;

	if (list_member_int(pending_subids, (int) subid))
		return;
	old = MemoryContextSwitchTo(pending_cxt);
	pending_subids = lappend_int(pending_subids, (int) subid);
	MemoryContextSwitchTo(old);
}

/*
 * Add counters to the pending total of (key, subid); owned: the key's texts
 * already live in pending_cxt
 */
static void
pending_add_key(const KpiKey *key, SubTransactionId subid, const int64 *v, bool owned)
{
	KpiPendingKey pkey;
	KpiPending *total;
	bool		found;
	int			i;

	if (pending == NULL)
		pending_create();
	memset(&pkey, 0, sizeof(pkey));
	pkey.key = *key;
	pkey.subid = subid;
	total = hash_search(pending, &pkey, HASH_FIND, &found);
	if (!found)
	{
		/* the key's texts must outlive the row they came from: copied first */
		pkey.key.kind = owned ? key->kind : MemoryContextStrdup(pending_cxt, key->kind);
		pkey.key.org_unit = (owned || key->org_unit == NULL) ? key->org_unit :
			MemoryContextStrdup(pending_cxt, key->org_unit);
		total = hash_search(pending, &pkey, HASH_ENTER, &found);
		memset(total->v, 0, sizeof(total->v));
		note_subid(subid);
	}
	for (i = 0; i < KPI_METRIC_COUNT; i++)
		total->v[i] += v[i];
}

static void
pending_add(const KpiKey *key, SubTransactionId subid, const int64 *v)
{
	pending_add_key(key, subid, v, false);
}

void
capa_kpi_track(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup)
{
	KpiChange	change;
	KpiRecord	old;
	KpiRecord	rec;
	TimestampTz end;
	SubTransactionId subid = GetCurrentSubTransactionId();
	DateADT		floor_month;
	bool		isnull;
	int			i;

	change.count = 0;
	read_record(tupdesc, newtup, &rec);
	if (oldtup)
		read_record(tupdesc, oldtup, &old);
	add_events(&change, oldtup ? &old : NULL, &rec);
	/*
	 * A new (or imported) row brings its whole history; a change replaces
	 * the old interval by the new one from this month on.  A reopen keeps
	 * the ended interval: the record was closed meanwhile.
	 */
	floor_month = oldtup ? month_of(GetCurrentTransactionStartTimestamp()) : DATEVAL_NOBEGIN;
	add_interval(&change, &rec, +1, floor_month);
	if (oldtup && !(has_ended(&old, &end) && !has_ended(&rec, &end)))
		add_interval(&change, &old, -1, floor_month);

	for (i = 0; i < change.count; i++)
	{
		if (!entry_is_zero(&change.entries[i]))
			pending_add(&change.entries[i].key, subid, change.entries[i].v);
	}

	/*
	 * The record's pending action items: no longer counted once it is
	 * cancelled, counted in its new org unit when it moves (a new row,
	 * imported, has none yet; a rebuild counts the items by themselves)
	 */
	if (oldtup && old.state != CAPA_STATE_CANCELLED)
	{
		Datum		id = heap_getattr(newtup, capa_schema()->reg[REG_ID], tupdesc, &isnull);

		if (rec.state == CAPA_STATE_CANCELLED)
			kpi_record_actions(id, old.org_unit, -1);
		else if (!same_text(old.org_unit, rec.org_unit))
		{
			kpi_record_actions(id, old.org_unit, -1);
			kpi_record_actions(id, rec.org_unit, +1);
		}
	}
}

/*
 * The pending totals of this transaction, summed over its subtransactions,
 * in one hash table keyed by KpiKey (subid 0); NULL if there are none.
 */
static HTAB *
pending_by_key(void)
{
	HTAB	   *sums;
	HASH_SEQ_STATUS status;
	KpiPending *p;

	if (pending == NULL || hash_get_num_entries(pending) == 0)
		return NULL;
	sums = pending_table("capa KPI pending sums", CurrentMemoryContext);
	hash_seq_init(&status, pending);
	while ((p = hash_seq_search(&status)) != NULL)
	{
		KpiPendingKey pkey = p->pkey;
		KpiPending *sum;
		bool		found;
		int			i;

		pkey.subid = InvalidSubTransactionId;
		sum = hash_search(sums, &pkey, HASH_ENTER, &found);
		if (!found)
			memset(sum->v, 0, sizeof(sum->v));
		for (i = 0; i < KPI_METRIC_COUNT; i++)
			sum->v[i] += p->v[i];
	}
	return sums;
}

/* Write one table of pending totals to the shard's rows */
static void
pending_write_table(HTAB *sums, int32 shard)
{
	CapaSchema *schema;
	HASH_SEQ_STATUS status;
	KpiPending *p;
	Oid			saved_user;
	int			saved_sec;

	/*
	 * At commit every subtransaction has handed its totals to its parent,
	 * so each key is there once, under the top transaction
	 */
	hash_seq_init(&status, sums);
	while ((p = hash_seq_search(&status)) != NULL)
	{
		if (p->pkey.subid != TopSubTransactionId)
		{
			hash_seq_term(&status);
			elog(ERROR, "capa: KPI totals of subtransaction %u are still pending at commit",
				 p->pkey.subid);
		}
	}
	schema = capa_schema();
	/* at commit no statement is running: the writes need a snapshot */
	PushActiveSnapshot(GetTransactionSnapshot());
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	hash_seq_init(&status, sums);
	while ((p = hash_seq_search(&status)) != NULL)
	{
		KpiEntry	e;

		e.key = p->pkey.key;
		memcpy(e.v, p->v, sizeof(e.v));
		if (!entry_is_zero(&e))
			write_entry(&e, shard);
	}
	capa_restore_user(saved_user, saved_sec);
	PopActiveSnapshot();
}

/*
 * Just before commit (or PREPARE): write the pending totals, once.  Each
 * table is detached before it is written: the writes fire the triggers
 * of the KPI tables, and a record those change adds its totals to a new
 * table (written in the next round), never to the one being read.
 */
static void
pending_write(int32 shard)
{
	PG_TRY();
	{
		pending_writing = true;
		while (pending != NULL && hash_get_num_entries(pending) > 0)
		{
			HTAB	   *sums = pending;
			MemoryContext cxt = pending_cxt;

			CHECK_FOR_INTERRUPTS();
			pending = NULL;
			pending_cxt = NULL;
			pending_subids = NIL;
			pending_write_table(sums, shard);
			/* written: nothing of it is pending any more */
			MemoryContextDelete(cxt);
		}
	}
	PG_FINALLY();
	{
		pending_writing = false;
	}
	PG_END_TRY();
}

static void
kpi_xact_callback(XactEvent event, void *arg)
{
	if (pending == NULL)
		return;
	if (event == XACT_EVENT_PRE_COMMIT)
		pending_write(CAPA_BACKEND_SHARD);
	else if (event == XACT_EVENT_PRE_PREPARE)
	{
		/*
		 * A prepared transaction keeps its row locks until COMMIT PREPARED:
		 * it writes rows of its own (a negative shard from its transaction
		 * id, folded by capa_kpi_compact), not its backend's, which the
		 * backend's next transaction would have to wait for
		 */
		pending_write(-1 - (int32) (XidFromFullTransactionId(GetTopFullTransactionId()) % PG_INT32_MAX));
	}
}

/*
 * A subtransaction's totals: taken back when it rolls back, handed to its
 * parent when it commits.
 */
static void
kpi_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid, void *arg)
{
	HASH_SEQ_STATUS status;
	KpiPending *p;
	List	   *moved = NIL;
	ListCell   *lc;
	MemoryContext tmp;
	MemoryContext old;

	if (pending == NULL ||
		(event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB) ||
		!list_member_int(pending_subids, (int) mySubid))
		return;
	pending_subids = list_delete_int(pending_subids, (int) mySubid);
	tmp = AllocSetContextCreate(CurrentMemoryContext, "capa KPI subtransaction",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(tmp);
	hash_seq_init(&status, pending);
	while ((p = hash_seq_search(&status)) != NULL)
	{
		if (p->pkey.subid != mySubid)
			continue;
		if (event == SUBXACT_EVENT_COMMIT_SUB)
		{
			KpiPending *copy = palloc(sizeof(KpiPending));

			memcpy(copy, p, sizeof(KpiPending));
			moved = lappend(moved, copy);
		}
		hash_search(pending, &p->pkey, HASH_REMOVE, NULL);
	}
	MemoryContextSwitchTo(old);
	/* its texts stay in pending_cxt: handed up without a copy */
	foreach(lc, moved)
	{
		KpiPending *copy = lfirst(lc);

		pending_add_key(&copy->pkey.key, parentSubid, copy->v, true);
	}
	MemoryContextDelete(tmp);
}

void
capa_kpi_init(void)
{
	RegisterXactCallback(kpi_xact_callback, NULL);
	RegisterSubXactCallback(kpi_subxact_callback, NULL);
}

/*
 * capa_kpi_pending_rollup() and capa_kpi_pending_close_days(): this
 * transaction's pending totals as rows of kpi_rollup and kpi_close_days
 * (shard: this backend), so the KPI views see the transaction's own
 * changes before it commits.
 */
static void
pending_rows(FunctionCallInfo fcinfo, KpiTable table)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	HTAB	   *sums;
	HASH_SEQ_STATUS status;
	KpiPending *p;

	InitMaterializedSRF(fcinfo, 0);
	sums = pending_by_key();
	if (sums == NULL)
		return;
	hash_seq_init(&status, sums);
	while ((p = hash_seq_search(&status)) != NULL)
	{
		Datum		values[4 + KPI_METRIC_COUNT];
		bool		nulls[4 + KPI_METRIC_COUNT];
		int			i;

		if (p->pkey.key.table != table)
			continue;
		memset(nulls, 0, sizeof(nulls));
		if (table == KPI_ACTION_DUE)
		{
			/* due, org_unit, shard, pending */
			values[0] = DateADTGetDatum(p->pkey.key.bucket);
			nulls[1] = p->pkey.key.org_unit == NULL;
			values[1] = nulls[1] ? (Datum) 0 : CStringGetTextDatum(p->pkey.key.org_unit);
			values[2] = Int32GetDatum(CAPA_BACKEND_SHARD);
			values[3] = Int64GetDatum(p->v[0]);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
			continue;
		}
		values[0] = table == KPI_CLOSE_DAYS ? Int32GetDatum(p->pkey.key.bucket) :
			DateADTGetDatum(p->pkey.key.bucket);
		values[1] = CStringGetTextDatum(p->pkey.key.kind);
		nulls[2] = p->pkey.key.org_unit == NULL;
		values[2] = nulls[2] ? (Datum) 0 : CStringGetTextDatum(p->pkey.key.org_unit);
		values[3] = Int32GetDatum(CAPA_BACKEND_SHARD);
		for (i = 0; i < (table == KPI_CLOSE_DAYS ? 1 : KPI_METRIC_COUNT); i++)
			values[4 + i] = Int64GetDatum(p->v[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
}

PG_FUNCTION_INFO_V1(capa_kpi_pending_rollup);
PG_FUNCTION_INFO_V1(capa_kpi_pending_close_days);
PG_FUNCTION_INFO_V1(capa_kpi_pending_action_due);

Datum
capa_kpi_pending_rollup(PG_FUNCTION_ARGS)
{
	pending_rows(fcinfo, KPI_MONTH);
	return (Datum) 0;
}

Datum
capa_kpi_pending_close_days(PG_FUNCTION_ARGS)
{
	pending_rows(fcinfo, KPI_CLOSE_DAYS);
	return (Datum) 0;
}

Datum
capa_kpi_pending_action_due(PG_FUNCTION_ARGS)
{
	pending_rows(fcinfo, KPI_ACTION_DUE);
	return (Datum) 0;
}

/*
 * Pending action items by due date (capa.kpi_action_due), for
 * overdue_actions: an item counts while it is not done and its record is
 * not cancelled.  Action items change only while their record is worked
 * (open to planned), so the record's cancel is the one other change that
 * takes items out: kpi_cancelled_record() below.
 */
/* count pending action items due on due, of a record of org_unit */
static void
pending_add_action_due(DateADT due, const char *org_unit, int64 count)
{
	KpiKey		key;
	int64		v[KPI_METRIC_COUNT];

	if (DATE_NOT_FINITE(due))
		return;
	memset(&key, 0, sizeof(key));
	key.table = KPI_ACTION_DUE;
	key.bucket = due;
	key.kind = "";
	key.org_unit = org_unit;
	memset(v, 0, sizeof(v));
	v[0] = count;
	pending_add(&key, GetCurrentSubTransactionId(), v);
}

static void
action_contribution(TupleDesc tupdesc, HeapTuple tuple, const char *org_unit,
					bool record_cancelled, int sign)
{
	CapaSchema *schema = capa_schema();
	bool		isnull;
	Datum		d;

	if (record_cancelled)
		return;
	d = heap_getattr(tuple, schema->act[ACT_DONE], tupdesc, &isnull);
	if (!isnull && DatumGetBool(d))
		return;
	/* a cancelled item is not pending (0.3.0) */
	if (schema->governed && !heap_attisnull(tuple, schema->act_late[ACTL_CANCELLED_AT], tupdesc))
		return;
	d = heap_getattr(tuple, schema->act[ACT_DUE], tupdesc, &isnull);
	if (!isnull)
		pending_add_action_due(DatumGetDateADT(d), org_unit, sign);
}

void
capa_kpi_track_action(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup,
					  const char *org_unit, bool record_cancelled)
{
	action_contribution(tupdesc, newtup, org_unit, record_cancelled, +1);
	if (oldtup)
		action_contribution(tupdesc, oldtup, org_unit, record_cancelled, -1);
}

/*
 * A record's pending action items, counted for org unit from (sign -1,
 * taken out) or to (sign +1): when the record is cancelled, or moves to
 * another org unit.
 */
static void
kpi_record_actions(Datum capa_id, const char *org_unit, int sign)
{
	CapaSchema *schema = capa_schema();
	Oid			argtypes[1] = {schema->ref_type};
	uint64		i;
	int			rc;

	/*
	 * The latest committed items: the record's row is locked by now, so no
	 * item changes after this, but one may have been committed while this
	 * change waited for the lock (after the statement's snapshot)
	 */
	PushActiveSnapshot(GetLatestSnapshot());
	rc = SPI_execute_with_args(schema->governed ?
							   "SELECT a.due, pg_catalog.count(*) FROM capa.action a"
							   " WHERE a.capa_id OPERATOR(capa.=) $1 AND NOT a.done"
							   " AND a.cancelled_at IS NULL GROUP BY a.due" :
							   "SELECT a.due, pg_catalog.count(*) FROM capa.action a"
							   " WHERE a.capa_id OPERATOR(capa.=) $1 AND NOT a.done"
							   " GROUP BY a.due",
							   1, argtypes, &capa_id, NULL, true, 0);
	PopActiveSnapshot();
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: pending action count returned %s", SPI_result_code_string(rc));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		due = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			pending_add_action_due(DatumGetDateADT(due), org_unit,
								   sign * DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
																	  SPI_tuptable->tupdesc, 2, &isnull)));
	}
}

/*
 * capa_kpi_rebuild(): recompute the rollup from the register, for a
 * register that has none (restored from an older dump, upgraded) or whose
 * rollup is in doubt.  Each record counts with the history its row holds;
 * a reopened record's earlier closures are not on its row any more, so
 * they are not counted again (the live rollup has them).  The register is
 * locked against writers (SHARE) meanwhile; readers go on.
 */
PG_FUNCTION_INFO_V1(capa_kpi_rebuild);

Datum
capa_kpi_rebuild(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	Relation	rel;
	TableScanDesc scan;
	uint64		i;
	HeapTuple	tuple;
	int64		records = 0;
	Oid			saved_user;
	int			saved_sec;
	MemoryContext per_row;
	MemoryContext old;

	/* it rewrites the rollup: 25006 in a read-only transaction or on a
	 * hot standby, before the SHARE lock (refused there with 55000) */
	PreventCommandIfReadOnly("capa_kpi_rebuild()");

	/* called by a trigger of a KPI table while the totals are written */
	if (pending_writing)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa_kpi_rebuild() cannot run while the transaction's KPI totals are written"),
				 errdetail("It was called at commit, by a trigger of a KPI table.")));

	/*
	 * The rows it reads include this transaction's own changes, so their
	 * pending totals go.  Not inside a subtransaction: were it rolled back,
	 * the rollup would come back without them.
	 */
	if (pending != NULL && hash_get_num_entries(pending) > 0)
	{
		if (GetCurrentTransactionNestLevel() > 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
					 errmsg("capa_kpi_rebuild() cannot run in a subtransaction after capa changes"),
					 errhint("Run it in a transaction of its own.")));
		MemoryContextDelete(pending_cxt);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	/* no writer of records or action items until the rebuild commits */
	rel = table_open(schema->register_relid, ShareLock);
	LockRelationOid(schema->action_relid, ShareLock);
	/* read what was committed before the locks were granted, not before the call */
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_execute("DELETE FROM capa.kpi_rollup", false, 0) != SPI_OK_DELETE ||
		SPI_execute("DELETE FROM capa.kpi_close_days", false, 0) != SPI_OK_DELETE)
		elog(ERROR, "capa: could not empty the KPI rollup");

	per_row = AllocSetContextCreate(CurrentMemoryContext, "capa KPI rebuild row",
									ALLOCSET_DEFAULT_SIZES);
	if (SPI_execute("DELETE FROM capa.kpi_action_due", false, 0) != SPI_OK_DELETE)
		elog(ERROR, "capa: could not empty the KPI rollup");

	/* pending action items of records not cancelled, by due date and org unit */
	if (SPI_execute(schema->governed ?
					"SELECT a.due, r.org_unit, pg_catalog.count(*) FROM capa.action a"
					" JOIN capa.register r ON r.id OPERATOR(capa.=) a.capa_id"
					" WHERE NOT a.done AND r.state OPERATOR(capa.<>) 'cancelled'::capa.capa_state"
					" AND a.cancelled_at IS NULL"
					" GROUP BY a.due, r.org_unit" :
					"SELECT a.due, r.org_unit, pg_catalog.count(*) FROM capa.action a"
					" JOIN capa.register r ON r.id OPERATOR(capa.=) a.capa_id"
					" WHERE NOT a.done AND r.state OPERATOR(capa.<>) 'cancelled'::capa.capa_state"
					" GROUP BY a.due, r.org_unit", true, 0) != SPI_OK_SELECT)
		elog(ERROR, "capa: could not count the pending action items");
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		Datum		due = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);

		if (!isnull)
			pending_add_action_due(DatumGetDateADT(due),
								   SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2),
								   DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i],
															   SPI_tuptable->tupdesc, 3, &isnull)));
	}

	/* each record's contribution; all are written when the transaction commits */
	scan = capa_table_beginscan(rel, GetActiveSnapshot(), 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		old = MemoryContextSwitchTo(per_row);
		capa_kpi_track(RelationGetDescr(rel), NULL, tuple);
		MemoryContextSwitchTo(old);
		MemoryContextReset(per_row);
		records++;
	}
	table_endscan(scan);
	PopActiveSnapshot();

	table_close(rel, NoLock);
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	PG_RETURN_INT64(records);
}
