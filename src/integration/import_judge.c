/*-------------------------------------------------------------------------
 *
 * import_judge.c
 *	  capa_import's judgement: each imported record and action item
 *	  checked against the paths of its kind (rules.c), by the triggers.
 *
 * import_load.c inserts each source row through the executor; the
 * register trigger hands an imported row to capa_import_judge_record(),
 * which checks it against the paths of rules.c: a record in state S of
 * kind K has taken the steps of a path from open to S, with their
 * evidence and stamps (in order), and nothing of a step it has not
 * taken.  Refusals name the source row:
 *	  55000  a state the kind's path cannot reach; evidence or a stamp of a
 *			 step not taken; no action item where the path planned, an
 *			 action item not done where it implemented
 *	  23502  a required column or stamp is NULL
 *	  22023  blank required text; a boolean with the wrong value; stamps
 *			 out of order or in the future
 *	  23503  an unknown source, rca_method, cause_category or grade code
 *	  42501  segregation of duties (the verifier owned the record or an
 *			 action item, implemented or completed one)
 *
 * IDENTIFICATION
 *	  src/integration/import_judge.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "audit/audit.h"
#include "common/actor.h"
#include "common/finite_time.h"
#include "common/schema_cache.h"
#include "common/text_blank.h"
#include "common/trigger_row.h"
#include "integration/import.h"
#include "integration/import_run.h"
#include "kpi/kpi.h"
#include "lifecycle/facts.h"
#include "lifecycle/rules.h"
#include "lifecycle/segregation.h"
#include "types/ref_format.h"
#include "types/type_io.h"

/* A path of rules.c from open to a state, without revisiting a state */
#define MAX_PATHS 8
typedef struct RulePath
{
	int			len;
	const CapaEdge *edges[CAPA_STATE_MAX];
	uint32		stamps;			/* CAPA_BIT(stamp) of its steps */
} RulePath;


static RulePath paths[CAPA_KIND_MAX + 1][CAPA_STATE_MAX + 1][MAX_PATHS];
static int	npaths[CAPA_KIND_MAX + 1][CAPA_STATE_MAX + 1];
static bool paths_built = false;

/* "source row 17 (legacy_id "NC-0042")", for messages */
char *
capa_import_row_label(void)
{
	if (capa_import_running->legacy_id != NULL)
		return psprintf("source row " INT64_FORMAT " (legacy_id \"%s\")",
						capa_import_running->rowno, capa_import_running->legacy_id);
	return psprintf("source row " INT64_FORMAT, capa_import_running->rowno);
}

bool
capa_import_claim(CapaImportTarget target)
{
	if (!capa_request.active || !capa_request.import || capa_import_running == NULL ||
		capa_import_running->expect != target)
		return false;
	capa_import_running->expect = CAPA_IMPORT_NONE;
	return true;
}

/*
 * Every path of each kind from open to each state that visits no state
 * twice: the first pass of a record through its lifecycle (rules.c's
 * order, so the main path comes before a side exit).
 */
static void
walk_paths(CapaKind kind, CapaState at, uint32 visited, RulePath *path)
{
	int			i;

	if (npaths[kind][at] < MAX_PATHS)
		paths[kind][at][npaths[kind][at]++] = *path;
	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];
		RulePath	next;

		if (!(e->kinds & CAPA_KIND_BIT(kind)) || e->from != at ||
			(visited & CAPA_BIT(e->to)))
			continue;
		next = *path;
		next.edges[next.len++] = e;
		next.stamps |= CAPA_BIT(e->stamp);
		walk_paths(kind, e->to, visited | CAPA_BIT(e->to), &next);
	}
}

static void
build_paths(void)
{
	int			kind;

	if (paths_built)
		return;
	for (kind = 1; kind <= CAPA_KIND_MAX; kind++)
	{
		RulePath	empty;

		memset(&empty, 0, sizeof(empty));
		walk_paths((CapaKind) kind, CAPA_STATE_OPEN, CAPA_BIT(CAPA_STATE_OPEN), &empty);
	}
	paths_built = true;
}

/* "open -> contained -> analysed" */
static char *
path_text(const RulePath *path)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfoString(&buf, capa_state_cstring(CAPA_STATE_OPEN));
	for (i = 0; i < path->len; i++)
		appendStringInfo(&buf, " -> %s", capa_state_cstring(path->edges[i]->to));
	return buf.data;
}

/* "open, contained, analysed, ..." : the states a kind's path reaches */
static char *
reachable_text(CapaKind kind)
{
	StringInfoData buf;
	int			s;

	initStringInfo(&buf);
	for (s = 1; s <= CAPA_STATE_MAX; s++)
	{
		if (npaths[kind][s] > 0)
			appendStringInfo(&buf, "%s%s", buf.len ? ", " : "", capa_state_cstring(s));
	}
	return buf.data;
}

/* The step that stamps s (for messages) */
static const char *
stamp_step(CapaStamp s)
{
	int			i;

	if (s == CAPA_STAMP_OPENED)
		return "open";
	for (i = 0; i < capa_edge_count; i++)
	{
		if (capa_edges[i].stamp == s)
			return capa_edges[i].step;
	}
	return "?";
}

/* The first step of this kind that records evidence field f, or NULL */
static const char *
field_step(CapaKind kind, int f)
{
	int			i;

	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];

		if ((e->kinds & CAPA_KIND_BIT(kind)) && (capa_rules_step_fields(e) & CAPA_BIT(f)))
			return e->step;
	}
	return NULL;
}

static char *
ts_text(Datum ts)
{
	return DatumGetCString(DirectFunctionCall1(timestamptz_out, ts));
}

/* What the record is, for messages: "a closed corrective record" */
static char *
record_text(CapaKind kind, CapaState state)
{
	const char *name = capa_state_cstring(state);

	return psprintf("%s %s %s record", strchr("aeiou", name[0]) ? "an" : "a", name,
					capa_label_name(&capa_kind_labels, kind));
}

/* A name (the *_by stamps) is blank by the rule text is (text_blank.c) */
static bool
name_blank(Datum value)
{
	const char *s = NameStr(*DatumGetName(value));

	return capa_blank_bytes(s, strlen(s));
}

/* 23502 if NULL, 22023 if blank text */
static void
need_value(Datum *values, bool *nulls, TupleDesc tupdesc, AttrNumber attnum,
		   const char *what, const char *step)
{
	Form_pg_attribute att = TupleDescAttr(tupdesc, attnum - 1);
	const char *column = NameStr(att->attname);
	char		suffix[NAMEDATALEN + 16] = "";

	if (step != NULL)
		snprintf(suffix, sizeof(suffix), " (step %s)", step);
	if (nulls[attnum - 1])
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("%s: %s requires \"%s\"%s", capa_import_row_label(), what, column, suffix)));
	if ((att->atttypid == TEXTOID && capa_text_blank(values[attnum - 1])) ||
		(att->atttypid == NAMEOID && name_blank(values[attnum - 1])))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s requires a non-empty \"%s\"%s", capa_import_row_label(), what,
						column, suffix)));
}

/* 23503 unless code is one of the lookup's codes */
static void
need_code(int lookup, Datum value, const char *column, const char *table)
{
	char	   *code = TextDatumGetCString(value);
	int			i;

	for (i = 0; i < capa_import_running->ncodes[lookup]; i++)
	{
		if (strcmp(capa_import_running->codes[lookup][i], code) == 0)
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("%s: unknown %s \"%s\"", capa_import_row_label(), column, code),
			 errhint("The codes are those of capa.%s; capa_admin may add one.", table)));
}

/* The path the record's stamps show: the fewest stamps amiss */
static const RulePath *
choose_path(CapaKind kind, CapaState state, const bool *nulls, CapaSchema *schema)
{
	uint32		given = 0;
	const RulePath *best = NULL;
	int			best_miss = INT_MAX;
	int			s;
	int			i;

	for (s = CAPA_STAMP_OPENED + 1; s < CAPA_STAMP_COUNT; s++)
	{
		if (!nulls[schema->stamp_at[s] - 1] || !nulls[schema->stamp_by[s] - 1])
			given |= CAPA_BIT(s);
	}
	for (i = 0; i < npaths[kind][state]; i++)
	{
		const RulePath *p = &paths[kind][state][i];
		int			miss = pg_popcount32(p->stamps ^ given);

		if (miss < best_miss)
		{
			best = p;
			best_miss = miss;
		}
	}
	return best;
}

/*
 * The action items against the record's path: times within the record's
 * history, completion where the path needs it.
 */
static void
judge_actions(CapaKind kind, CapaState state, const RulePath *path, Datum *values,
			  bool *nulls, CapaSchema *schema, TimestampTz opened_at)
{
	char	   *what = record_text(kind, state);
	int			i;
	int			k;

	for (k = 0; k < capa_import_running->nactions; k++)
	{
		ImportAction *a = &capa_import_running->actions[k];
		int			n = k + 1;
		static const CapaActionColumn required[] = {ACT_DESCRIPTION, ACT_OWNER, ACT_DUE};
		static const char *const required_key[] = {"description", "owner", "due"};
		bool		done = !a->nulls[ACT_DONE] && DatumGetBool(a->values[ACT_DONE]);
		static const CapaActionColumn times[] = {ACT_DUE, ACT_CREATED_AT, ACT_DONE_AT};
		static const char *const time_key[] = {"due", "created_at", "done_at"};

		for (i = 0; i < (int) lengthof(times); i++)
		{
			Oid			typid = get_atttype(schema->action_relid, schema->act[times[i]]);

			/* the message is built only for a refusal: this runs for every item */
			if (!a->nulls[times[i]] && !capa_is_finite(typid, a->values[times[i]]))
				capa_require_finite(psprintf("%s: action %d", capa_import_row_label(), n), time_key[i],
									typid, a->values[times[i]]);
		}
		for (i = 0; i < (int) lengthof(required); i++)
		{
			CapaActionColumn c = required[i];

			if (a->nulls[c])
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("%s: action %d requires \"%s\"", capa_import_row_label(), n,
								required_key[i])));
			if (c != ACT_DUE && capa_text_blank(a->values[c]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: action %d requires a non-empty \"%s\"", capa_import_row_label(), n,
								required_key[i])));
		}
		if (done)
		{
			if (a->nulls[ACT_EVIDENCE] || a->nulls[ACT_DONE_AT] || a->nulls[ACT_DONE_BY])
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("%s: action %d is done and requires \"%s\"", capa_import_row_label(), n,
								a->nulls[ACT_EVIDENCE] ? "evidence" :
								a->nulls[ACT_DONE_AT] ? "done_at" : "done_by")));
			if (capa_text_blank(a->values[ACT_EVIDENCE]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: action %d is done and requires a non-empty \"evidence\"",
								capa_import_row_label(), n)));
		}
		else if (!a->nulls[ACT_EVIDENCE] || !a->nulls[ACT_DONE_AT] || !a->nulls[ACT_DONE_BY])
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s: action %d is not done but has \"%s\"", capa_import_row_label(), n,
							!a->nulls[ACT_EVIDENCE] ? "evidence" :
							!a->nulls[ACT_DONE_AT] ? "done_at" : "done_by"),
					 errhint("An action item with evidence is done: give \"done\": true.")));

		/* created when and by whom the record was opened, unless given */
		if (a->nulls[ACT_CREATED_AT])
		{
			a->values[ACT_CREATED_AT] = TimestampTzGetDatum(opened_at);
			a->nulls[ACT_CREATED_AT] = false;
		}
		if (a->nulls[ACT_CREATED_BY])
		{
			/* a copy: the trigger's tuple does not outlive the trigger */
			MemoryContext old = MemoryContextSwitchTo(capa_import_running->row_cxt);

			a->values[ACT_CREATED_BY] =
				datumCopy(values[schema->stamp_by[CAPA_STAMP_OPENED] - 1], false, NAMEDATALEN);
			MemoryContextSwitchTo(old);
			a->nulls[ACT_CREATED_BY] = false;
		}
		if (DatumGetTimestampTz(a->values[ACT_CREATED_AT]) < opened_at)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d was created (%s) before the record was opened (%s)",
							capa_import_row_label(), n, ts_text(a->values[ACT_CREATED_AT]),
							ts_text(TimestampTzGetDatum(opened_at)))));
		if (done && DatumGetTimestampTz(a->values[ACT_DONE_AT]) <
			DatumGetTimestampTz(a->values[ACT_CREATED_AT]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d was done (%s) before it was created (%s)",
							capa_import_row_label(), n, ts_text(a->values[ACT_DONE_AT]),
							ts_text(a->values[ACT_CREATED_AT]))));
		if (done && DatumGetTimestampTz(a->values[ACT_DONE_AT]) > capa_import_running->clock_now)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d was done in the future (%s)", capa_import_row_label(), n,
							ts_text(a->values[ACT_DONE_AT]))));

		/*
		 * Action items change only while the record is open to planned: the
		 * step that leaves those states bounds them.
		 */
		for (i = 0; i < path->len; i++)
		{
			const CapaEdge *e = path->edges[i];
			Datum		bound = values[schema->stamp_at[e->stamp] - 1];

			if (!capa_rules_actions_open(e->from) || capa_rules_actions_open(e->to))
				continue;
			if (DatumGetTimestampTz(a->values[ACT_CREATED_AT]) > DatumGetTimestampTz(bound) ||
				(done && DatumGetTimestampTz(a->values[ACT_DONE_AT]) > DatumGetTimestampTz(bound)))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: action %d was %s (%s) after step %s of the record (%s)",
								capa_import_row_label(), n,
								DatumGetTimestampTz(a->values[ACT_CREATED_AT]) > DatumGetTimestampTz(bound) ?
								"created" : "done",
								ts_text(DatumGetTimestampTz(a->values[ACT_CREATED_AT]) > DatumGetTimestampTz(bound) ?
										a->values[ACT_CREATED_AT] : a->values[ACT_DONE_AT]),
								e->step, ts_text(bound)),
						 errdetail("Action items are added and completed while the record is open through planned.")));
			break;
		}
	}

	/* the conditions of the path's steps on the action items */
	for (i = 0; i < path->len; i++)
	{
		const CapaEdge *e = path->edges[i];
		TimestampTz at = DatumGetTimestampTz(values[schema->stamp_at[e->stamp] - 1]);
		int			existing = 0;

		for (k = 0; k < capa_import_running->nactions; k++)
		{
			ImportAction *a = &capa_import_running->actions[k];

			if (DatumGetTimestampTz(a->values[ACT_CREATED_AT]) > at)
				continue;
			existing++;
			if ((e->conditions & CAPA_COND_ACTIONS_DONE) &&
				(a->nulls[ACT_DONE] || !DatumGetBool(a->values[ACT_DONE]) ||
				 DatumGetTimestampTz(a->values[ACT_DONE_AT]) > at))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("%s: action %d was not done when the record took step %s (%s)",
								capa_import_row_label(), k + 1, e->step, ts_text(TimestampTzGetDatum(at))),
						 errdetail("Step %s requires every action item to be done.", e->step)));
		}
		if ((e->conditions & CAPA_COND_HAS_ACTIONS) && existing == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s: %s requires an action item created by step %s (%s)",
							capa_import_row_label(), what, e->step, ts_text(TimestampTzGetDatum(at))),
					 errhint("Give the record's action items in the source's \"actions\" column.")));
	}
}

/*
 * 42501 if the verifier owns the record or one of its action items, or
 * (0.3.0) completed one of them or implemented the record: the rule of a
 * live verification, over the names the old register recorded
 */
static void
judge_segregation(const RulePath *path, Datum *values, CapaSchema *schema)
{
	CapaSodIdentities verifier;
	int			i;
	bool		verified = false;
	AttrNumber	implemented_by = schema->stamp_by[CAPA_STAMP_IMPLEMENTED];

	for (i = 0; i < path->len; i++)
		verified |= (path->edges[i]->conditions & CAPA_COND_SEGREGATION) != 0;
	if (!verified || !capa_import_running->segregation)
		return;

	/*
	 * The verification happened in the old register: judged is the verifier
	 * it recorded (the importing session did not verify), by the same
	 * comparison as a live verification (segregation.c).  Recorded names are
	 * not bound to roles: a history's people need not be roles here.
	 */
	capa_sod_recorded_identity(NameStr(*DatumGetName(values[schema->stamp_by[CAPA_STAMP_VERIFIED] - 1])),
							   &verifier);
	if (capa_sod_match_name(&verifier, TextDatumGetCString(values[schema->reg[REG_OWNER] - 1])) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s: segregation of duties: \"%s\" verified the record and owns it",
						capa_import_row_label(), verifier.name[0])));
	if (capa_sod_match_worker(&verifier, NameStr(*DatumGetName(values[implemented_by - 1]))) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s: segregation of duties: \"%s\" verified the record and implemented it",
						capa_import_row_label(), verifier.name[0])));
	for (i = 0; i < capa_import_running->nactions; i++)
	{
		const ImportAction *a = &capa_import_running->actions[i];

		if (capa_sod_match_name(&verifier, TextDatumGetCString(a->values[ACT_OWNER])) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("%s: segregation of duties: \"%s\" verified the record and owns action %d",
							capa_import_row_label(), verifier.name[0], i + 1)));
		if (!a->nulls[ACT_DONE_BY] &&
			capa_sod_match_worker(&verifier, NameStr(*DatumGetName(a->values[ACT_DONE_BY]))) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("%s: segregation of duties: \"%s\" verified the record and completed action %d",
							capa_import_row_label(), verifier.name[0], i + 1)));
	}
}

/* A due date the source left empty: from the step's time, as capa would */
static void
derive_due(CapaRowChanges *changes, Datum *values, bool *nulls, AttrNumber attnum,
		   Datum from, Datum interval)
{
	if (!nulls[attnum - 1] || interval == (Datum) 0)
		return;
	capa_row_set(changes, attnum,
				 DirectFunctionCall2(timestamptz_pl_interval, from, interval), false);
}

void
capa_import_judge_record(Relation rel, HeapTuple newtup, CapaRowChanges *changes,
						 Datum *id, CapaKind *kind_out, CapaState *state_out)
{
	CapaSchema *schema = capa_schema();
	TupleDesc	tupdesc = RelationGetDescr(rel);
	Datum	   *values = palloc(sizeof(Datum) * tupdesc->natts);
	bool	   *nulls = palloc(sizeof(bool) * tupdesc->natts);
	const RulePath *path;
	CapaKind	kind;
	CapaState	state;
	char	   *what;
	text	   *kindtext;
	uint32		allowed = 0;
	uint32		required = 0;
	uint32		must_true = 0;
	uint32		must_false = 0;
	TimestampTz opened_at;
	Datum		prev;
	AttrNumber	prev_col;
	struct pg_tm tm;
	fsec_t		fsec;
	int64		number;
	int64		packed;
	int			severity;
	int			i;
	int			s;
	int			f;

	heap_deform_tuple(newtup, tupdesc, values, nulls);
	/* every date and time of the row is finite (stamps, due dates) */
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && !nulls[i] && !capa_is_finite(att->atttypid, values[i]))
			capa_require_finite(capa_import_row_label(), NameStr(att->attname), att->atttypid, values[i]);
	}
#define COL(c) (schema->reg[c])
#define ISNULL(attnum) (nulls[(attnum) - 1])
#define VALUE(attnum) (values[(attnum) - 1])

	/* what the record is */
	if (ISNULL(COL(REG_KIND)))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("%s: a capa record needs a kind", capa_import_row_label()),
				 errhint("Accepted kinds: %s.", capa_kind_labels.accepted)));
	kindtext = DatumGetTextPP(VALUE(COL(REG_KIND)));
	kind = (CapaKind) capa_label_parse(&capa_kind_labels, VARDATA_ANY(kindtext),
									   VARSIZE_ANY_EXHDR(kindtext));
	if (kind == CAPA_KIND_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: invalid capa kind: \"%s\"", capa_import_row_label(), text_to_cstring(kindtext)),
				 errhint("Accepted kinds: %s.", capa_kind_labels.accepted)));
	if (ISNULL(COL(REG_STATE)))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("%s: a capa record needs a state", capa_import_row_label())));
	state = (CapaState) DatumGetInt16(VALUE(COL(REG_STATE)));
	what = record_text(kind, state);

	/* what every record has */
	need_value(values, nulls, tupdesc, COL(REG_TITLE), what, NULL);
	need_value(values, nulls, tupdesc, COL(REG_DESCRIPTION), what, NULL);
	need_value(values, nulls, tupdesc, COL(REG_SOURCE), what, NULL);
	need_value(values, nulls, tupdesc, COL(REG_OWNER), what, NULL);
	/* an improvement may have no severity (0.5.0) */
	capa_facts_require_severity(ISNULL(COL(REG_SEVERITY)), kind,
								psprintf("%s: %s", capa_import_row_label(), what), NULL,
								InvalidAttrNumber);
	need_code(0, VALUE(COL(REG_SOURCE)), "source", "source");
	if (schema->facts && !ISNULL(schema->fact[CAPA_FACT_GRADE]))
		need_code(3, VALUE(schema->fact[CAPA_FACT_GRADE]), "grade", "grade");
	if (!ISNULL(schema->field[CAPA_F_RCA_METHOD]))
		need_code(1, VALUE(schema->field[CAPA_F_RCA_METHOD]), "rca_method", "rca_method");
	if (!ISNULL(schema->field[CAPA_F_CAUSE_CATEGORY]))
		need_code(2, VALUE(schema->field[CAPA_F_CAUSE_CATEGORY]), "cause_category", "cause_category");

	/* the steps it took: a path of its kind from open to its state */
	build_paths();
	if (npaths[kind][state] == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s: %s %s record cannot be %s", capa_import_row_label(),
						kind == CAPA_KIND_IMPROVEMENT ? "an" : "a",
						capa_label_name(&capa_kind_labels, kind), capa_state_cstring(state)),
				 errhint("The %s path reaches: %s.", capa_label_name(&capa_kind_labels, kind),
						 reachable_text(kind))));
	path = choose_path(kind, state, nulls, schema);

	/* stamps: each step taken has both, no other step has either */
	need_value(values, nulls, tupdesc, schema->stamp_at[CAPA_STAMP_OPENED], what, "open");
	need_value(values, nulls, tupdesc, schema->stamp_by[CAPA_STAMP_OPENED], what, "open");
	for (s = CAPA_STAMP_OPENED + 1; s < CAPA_STAMP_COUNT; s++)
	{
		if (path->stamps & CAPA_BIT(s))
		{
			need_value(values, nulls, tupdesc, schema->stamp_at[s], what, stamp_step(s));
			need_value(values, nulls, tupdesc, schema->stamp_by[s], what, stamp_step(s));
		}
		else if (!ISNULL(schema->stamp_at[s]) || !ISNULL(schema->stamp_by[s]))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s: \"%s_%s\" is set, but %s has not taken step %s",
							capa_import_row_label(), capa_stamp_names[s],
							ISNULL(schema->stamp_at[s]) ? "by" : "at", what, stamp_step(s)),
					 errdetail("Its path: %s.", path_text(path))));
	}

	/* in the order of the path, and not in the future */
	opened_at = DatumGetTimestampTz(VALUE(schema->stamp_at[CAPA_STAMP_OPENED]));
	prev = VALUE(schema->stamp_at[CAPA_STAMP_OPENED]);
	prev_col = schema->stamp_at[CAPA_STAMP_OPENED];
	for (i = 0; i < path->len; i++)
	{
		AttrNumber	col = schema->stamp_at[path->edges[i]->stamp];

		if (DatumGetTimestampTz(VALUE(col)) < DatumGetTimestampTz(prev))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: \"%s\" (%s) is before \"%s\" (%s)", capa_import_row_label(),
							NameStr(TupleDescAttr(tupdesc, col - 1)->attname), ts_text(VALUE(col)),
							NameStr(TupleDescAttr(tupdesc, prev_col - 1)->attname), ts_text(prev)),
					 errdetail("Its path: %s.", path_text(path))));
		prev = VALUE(col);
		prev_col = col;
	}
	if (DatumGetTimestampTz(prev) > capa_import_running->clock_now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: \"%s\" (%s) is in the future", capa_import_row_label(),
						NameStr(TupleDescAttr(tupdesc, prev_col - 1)->attname), ts_text(prev))));

	/* evidence: what the path's steps require and record, nothing else */
	for (i = 0; i < path->len; i++)
	{
		const CapaEdge *e = path->edges[i];

		allowed |= capa_rules_step_fields(e) | e->required;
		required |= e->required;
		must_true |= e->must_be_true;
		must_false |= e->must_be_false;
		allowed &= ~e->clears;
		required &= ~e->clears;
		must_true &= ~e->clears;
		must_false &= ~e->clears;
	}
	for (f = 0; f < CAPA_FIELD_COUNT; f++)
	{
		AttrNumber	col = schema->field[f];
		const char *step = NULL;

		if (!(allowed & CAPA_BIT(f)))
		{
			const char *owner = field_step(kind, f);

			if (ISNULL(col))
				continue;
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s: \"%s\" is set, but %s has not taken the step that records it",
							capa_import_row_label(), capa_fields[f].column, what),
					 owner ?
					 errdetail("Its path: %s; \"%s\" is recorded by step %s.",
							   path_text(path), capa_fields[f].column, owner) :
					 errdetail("Records of kind %s do not record \"%s\".",
							   capa_label_name(&capa_kind_labels, kind), capa_fields[f].column)));
		}
		if (!(required & CAPA_BIT(f)))
			continue;
		for (i = 0; i < path->len && step == NULL; i++)
		{
			if (path->edges[i]->required & CAPA_BIT(f))
				step = path->edges[i]->step;
		}
		need_value(values, nulls, tupdesc, col, what, step);
		if (((must_true & CAPA_BIT(f)) && !DatumGetBool(VALUE(col))) ||
			((must_false & CAPA_BIT(f)) && DatumGetBool(VALUE(col))))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: %s requires \"%s\" to be %s", capa_import_row_label(), what,
							capa_fields[f].column,
							(must_true & CAPA_BIT(f)) ? "true" : "false"),
					 errdetail("Its path: %s.", path_text(path))));
	}

	/* the finding's facts (0.5.0): found before or when it was opened */
	if (schema->facts)
	{
		bool		judge[CAPA_FACT_COUNT];

		for (f = 0; f < CAPA_FACT_COUNT; f++)
			judge[f] = true;
		capa_facts_check(capa_import_row_label(), NULL, schema->fact, values, nulls, judge,
						 false, opened_at);
		if (ISNULL(schema->fact[CAPA_FACT_DETECTED_AT]))
			capa_row_set(changes, schema->fact[CAPA_FACT_DETECTED_AT],
						 TimestampTzGetDatum(opened_at), false);
	}

	judge_actions(kind, state, path, values, nulls, schema, opened_at);
	judge_segregation(path, values, schema);

	/* the reference: the year of opening (UTC) and the next number */
	if (timestamp2tm(opened_at, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "capa: timestamp out of range");
	if (tm.tm_year < CAPA_REF_YEAR_MIN || tm.tm_year > CAPA_REF_YEAR_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: \"opened_at\" must lie in the years %d to %d", capa_import_row_label(),
						CAPA_REF_YEAR_MIN, CAPA_REF_YEAR_MAX)));
	number = nextval_internal(schema->number_seq, false);
	if (!capa_ref_pack(tm.tm_year, number, &packed))
		ereport(ERROR,
				(errcode(ERRCODE_SEQUENCE_GENERATOR_LIMIT_EXCEEDED),
				 errmsg("capa reference number %lld is out of range", (long long) number)));
	*id = CapaRefGetDatum(packed);
	capa_import_running->capa_id = *id;
	capa_import_running->record_cancelled = (state == CAPA_STATE_CANCELLED);
	capa_import_running->record_org_unit = ISNULL(COL(REG_ORG_UNIT)) ? NULL :
		MemoryContextStrdup(capa_import_running->row_cxt, TextDatumGetCString(VALUE(COL(REG_ORG_UNIT))));

	capa_row_set(changes, COL(REG_ID), *id, false);
	capa_row_set(changes, COL(REG_UPDATED_AT), TimestampTzGetDatum(capa_import_running->xact_now), false);
	capa_row_set(changes, COL(REG_REOPEN_COUNT), Int32GetDatum(0), false);
	capa_row_set(changes, COL(REG_INEFFECTIVE_COUNT), Int32GetDatum(0), false);
	capa_row_set(changes, COL(REG_CHAIN_SEQ), Int32GetDatum(1), false);

	/* due dates left empty: from the step that sets them, per the policy
	 * of its severity (none without one) */
	severity = ISNULL(COL(REG_SEVERITY)) ? 0 : DatumGetInt16(VALUE(COL(REG_SEVERITY)));
	if (severity >= 1 && severity <= CAPA_SEVERITY_MAX && capa_import_running->has_policy[severity])
	{
		if (kind == CAPA_KIND_CORRECTIVE)
			derive_due(changes, values, nulls, COL(REG_CONTAIN_DUE),
					   TimestampTzGetDatum(opened_at), capa_import_running->contain_within[severity]);
		derive_due(changes, values, nulls, COL(REG_CLOSE_DUE),
				   TimestampTzGetDatum(opened_at), capa_import_running->close_within[severity]);
		for (i = 0; i < path->len; i++)
		{
			if (path->edges[i]->sets_effectiveness_due)
				derive_due(changes, values, nulls, COL(REG_EFFECTIVENESS_DUE),
						   VALUE(schema->stamp_at[path->edges[i]->stamp]),
						   capa_import_running->effectiveness_within[severity]);
		}
	}
	*kind_out = kind;
	*state_out = state;
#undef COL
#undef ISNULL
#undef VALUE
}

/* Every non-NULL column, and the old register's identifier if given */
static Datum
import_changed(TupleDesc tupdesc, HeapTuple row, const bool *skip, const char *legacy_id)
{
	return capa_changed_columns_with(tupdesc, NULL, row, skip,
									 legacy_id ? "legacy_id" : NULL, legacy_id);
}

Datum
capa_import_changed(TupleDesc tupdesc, HeapTuple row, const bool *skip)
{
	return import_changed(tupdesc, row, skip, capa_import_running->legacy_id);
}

HeapTuple
capa_import_action_row(Relation rel, HeapTuple newtup, MemoryContext result_cxt)
{
	CapaSchema *schema = capa_schema();
	TupleDesc	tupdesc = RelationGetDescr(rel);
	ImportAction *a = &capa_import_running->actions[capa_import_running->action_index];
	CapaRowChanges changes;
	CapaAuditEntry entry;
	HeapTuple	result;
	Oid			saved_user;
	int			saved_sec;
	bool		isnull;
	bool	   *skip;
	Datum		capa_id = heap_getattr(newtup, schema->act[ACT_CAPA_ID], tupdesc, &isnull);

	/* capa_import() built this row from the record it just inserted */
	if (isnull || DatumGetInt64(capa_id) != DatumGetInt64(capa_import_running->capa_id))
		elog(ERROR, "capa: imported action item does not belong to the imported record");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);

	memset(&changes, 0, sizeof(changes));
	capa_row_set(&changes, schema->act[ACT_CHAIN_SEQ], Int32GetDatum(1), false);
	capa_row_set(&changes, schema->act[ACT_UPDATED_AT], TimestampTzGetDatum(capa_import_running->xact_now), false);
	{
		MemoryContext spi_cxt = MemoryContextSwitchTo(result_cxt);

		result = capa_row_apply(newtup, tupdesc, &changes);
		MemoryContextSwitchTo(spi_cxt);
	}

	skip = capa_bookkeeping_skip(tupdesc, schema->act[ACT_CHAIN_SEQ], schema->act[ACT_CHAIN_HEAD],
								 schema->act[ACT_UPDATED_AT]);
	memset(&entry, 0, sizeof(entry));
	entry.capa_id = capa_id;
	entry.has_action = true;
	entry.action_id = DatumGetInt64(heap_getattr(result, schema->act[ACT_ID], tupdesc, &isnull));
	entry.chain_seq = 1;
	entry.step = "import";
	entry.changed = import_changed(tupdesc, result, skip, a->legacy_id);
	entry.actor = capa_actor();
	result = capa_audit_chain(&entry, tupdesc, NULL, result, schema->act[ACT_CHAIN_HEAD],
							  result_cxt);
	capa_kpi_track_action(tupdesc, NULL, result, capa_import_running->record_org_unit,
						  capa_import_running->record_cancelled);

	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	return result;
}
