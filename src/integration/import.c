/*-------------------------------------------------------------------------
 *
 * import.c
 *	  capa_import(source regclass): load an existing register, with its
 *	  historical dates and states, as records audited as imports.
 *
 * The source (a table or view) is read with the caller's privileges; its
 * columns are matched to the register's by name, plus legacy_id (the old
 * register's identifier, kept in the import audit row) and actions (a
 * jsonb array of action items).  Each row is inserted through the
 * executor as capa's owner, so capa's triggers and constraints apply
 * (the foreign keys to the lookup codes and of action items to their
 * record are checked here instead: without_checked_keys); the register
 * trigger hands an imported row to
 * capa_import_judge_record(), which checks it against the paths of
 * rules.c: a record in state S of kind K has taken the steps of a path
 * from open to S, with their evidence and stamps (in order), and nothing
 * of a step it has not taken.  Refusals name the source row:
 *	  55000  a state the kind's path cannot reach; evidence or a stamp of a
 *			 step not taken; no action item where the path planned, an
 *			 action item not done where it implemented
 *	  23502  a required column or stamp is NULL
 *	  22023  blank required text; a boolean with the wrong value; stamps
 *			 out of order or in the future
 *	  23503  an unknown source, rca_method or cause_category code
 *	  42501  segregation of duties (the verifier owns the record or an
 *			 action item); a source the caller cannot read
 *	  42703  a source column capa does not import; 428C9 one capa maintains
 * One statement: any refusal undoes the whole import.
 *
 * IDENTIFICATION
 *	  src/integration/import.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "port/pg_bitutils.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "audit/audit.h"
#include "common/actor.h"
#include "common/finite_time.h"
#include "common/schema_cache.h"
#include "common/table_write.h"
#include "common/text_blank.h"
#include "common/trigger_row.h"
#include "integration/import.h"
#include "kpi/kpi.h"
#include "lifecycle/rules.h"
#include "lifecycle/segregation.h"
#include "types/ref_format.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_import);

/* Source rows fetched at a time */
#define IMPORT_BATCH 1000

/* The keys of an action item in the actions array */
typedef struct ActionKey
{
	const char *key;
	CapaActionColumn column;
} ActionKey;

static const ActionKey action_keys[] = {
	{"description", ACT_DESCRIPTION},
	{"owner", ACT_OWNER},
	{"due", ACT_DUE},
	{"done", ACT_DONE},
	{"evidence", ACT_EVIDENCE},
	{"done_at", ACT_DONE_AT},
	{"done_by", ACT_DONE_BY},
	{"created_at", ACT_CREATED_AT},
	{"created_by", ACT_CREATED_BY},
};

/* One action item of the current source row, in action column order */
typedef struct ImportAction
{
	Datum		values[ACT_COLUMN_COUNT];
	bool		nulls[ACT_COLUMN_COUNT];
	char	   *legacy_id;
} ImportAction;

/* How a source column becomes a register value */
typedef enum SourceRole
{
	SRC_REGISTER,				/* a register column */
	SRC_LEGACY_ID,				/* the old register's identifier */
	SRC_ACTIONS					/* jsonb array of action items */
} SourceRole;

typedef struct SourceColumn
{
	SourceRole	role;
	AttrNumber	target;			/* register column (SRC_REGISTER) */
	bool		direct;			/* same or binary-coercible type */
	FmgrInfo	out;			/* else: the source type's output ... */
	FmgrInfo	in;				/* ... read by the target type's input */
	Oid			in_ioparam;
} SourceColumn;

/* A path of rules.c from open to a state, without revisiting a state */
#define MAX_PATHS 8
typedef struct RulePath
{
	int			len;
	const CapaEdge *edges[CAPA_STATE_MAX];
	uint32		stamps;			/* CAPA_BIT(stamp) of its steps */
} RulePath;

/* Everything one capa_import() call keeps */
typedef struct ImportState
{
	const char *source_name;
	int64		rowno;			/* position of the current row, from 1 */
	bool		in_row;			/* an error now is the current row's */
	char	   *legacy_id;		/* of the current row, or NULL */
	MemoryContext row_cxt;		/* lives as long as the current row */
	int			nactions;
	ImportAction *actions;
	int			action_index;	/* the action item being inserted */
	CapaImportTarget expect;	/* the row capa_import() is inserting */
	Datum		record_id;		/* the current record's reference */
	bool		record_cancelled;	/* ... and whether it was cancelled */
	char	   *record_org_unit;	/* ... and its org unit (NULL: none) */
	TimestampTz xact_now;		/* updated_at, as the triggers write it */
	TimestampTz clock_now;		/* history must lie before it */
	Oid			caller;			/* the acting role: capa_import's caller */
	/* lookups, read once */
	char	  **codes[3];		/* source, rca_method, cause_category */
	int			ncodes[3];
	bool		segregation;
	bool		has_policy[CAPA_SEVERITY_MAX + 1];
	Datum		contain_within[CAPA_SEVERITY_MAX + 1];	/* (Datum) 0: none */
	Datum		close_within[CAPA_SEVERITY_MAX + 1];
	Datum		effectiveness_within[CAPA_SEVERITY_MAX + 1];
	/* the trail, inserted directly (capa_audit_inserter) */
	EState	   *audit_estate;
	ResultRelInfo *audit_rri;
	TupleTableSlot *audit_slot;
	/* input functions of the action columns, for the actions' strings */
	FmgrInfo	act_in[ACT_COLUMN_COUNT];
	Oid			act_ioparam[ACT_COLUMN_COUNT];
} ImportState;

/* The running import, or NULL */
static ImportState *current = NULL;

static RulePath paths[CAPA_KIND_MAX + 1][CAPA_STATE_MAX + 1][MAX_PATHS];
static int	npaths[CAPA_KIND_MAX + 1][CAPA_STATE_MAX + 1];
static bool paths_built = false;

/* "source row 17 (legacy_id "NC-0042")", for messages */
static char *
row_label(void)
{
	if (current->legacy_id != NULL)
		return psprintf("source row " INT64_FORMAT " (legacy_id \"%s\")",
						current->rowno, current->legacy_id);
	return psprintf("source row " INT64_FORMAT, current->rowno);
}

/* Every error raised while a row is imported names it */
static void
import_error_context(void *arg)
{
	if (current != NULL && current->rowno > 0)
		errcontext("capa_import of %s, %s", current->source_name, row_label());
}

bool
capa_import_claim(CapaImportTarget target)
{
	if (!capa_request.active || !capa_request.import || current == NULL ||
		current->expect != target)
		return false;
	current->expect = CAPA_IMPORT_NONE;
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
				 errmsg("%s: %s requires \"%s\"%s", row_label(), what, column, suffix)));
	if ((att->atttypid == TEXTOID && capa_text_blank(values[attnum - 1])) ||
		(att->atttypid == NAMEOID && name_blank(values[attnum - 1])))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s requires a non-empty \"%s\"%s", row_label(), what,
						column, suffix)));
}

/* 23503 unless code is one of the lookup's codes */
static void
need_code(int lookup, Datum value, const char *column, const char *table)
{
	char	   *code = TextDatumGetCString(value);
	int			i;

	for (i = 0; i < current->ncodes[lookup]; i++)
	{
		if (strcmp(current->codes[lookup][i], code) == 0)
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("%s: unknown %s \"%s\"", row_label(), column, code),
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

	for (k = 0; k < current->nactions; k++)
	{
		ImportAction *a = &current->actions[k];
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
				capa_require_finite(psprintf("%s: action %d", row_label(), n), time_key[i],
									typid, a->values[times[i]]);
		}
		for (i = 0; i < (int) lengthof(required); i++)
		{
			CapaActionColumn c = required[i];

			if (a->nulls[c])
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("%s: action %d requires \"%s\"", row_label(), n,
								required_key[i])));
			if (c != ACT_DUE && capa_text_blank(a->values[c]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: action %d requires a non-empty \"%s\"", row_label(), n,
								required_key[i])));
		}
		if (done)
		{
			if (a->nulls[ACT_EVIDENCE] || a->nulls[ACT_DONE_AT] || a->nulls[ACT_DONE_BY])
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("%s: action %d is done and requires \"%s\"", row_label(), n,
								a->nulls[ACT_EVIDENCE] ? "evidence" :
								a->nulls[ACT_DONE_AT] ? "done_at" : "done_by")));
			if (capa_text_blank(a->values[ACT_EVIDENCE]))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: action %d is done and requires a non-empty \"evidence\"",
								row_label(), n)));
		}
		else if (!a->nulls[ACT_EVIDENCE] || !a->nulls[ACT_DONE_AT] || !a->nulls[ACT_DONE_BY])
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s: action %d is not done but has \"%s\"", row_label(), n,
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
			MemoryContext old = MemoryContextSwitchTo(current->row_cxt);

			a->values[ACT_CREATED_BY] =
				datumCopy(values[schema->stamp_by[CAPA_STAMP_OPENED] - 1], false, NAMEDATALEN);
			MemoryContextSwitchTo(old);
			a->nulls[ACT_CREATED_BY] = false;
		}
		if (DatumGetTimestampTz(a->values[ACT_CREATED_AT]) < opened_at)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d was created (%s) before the record was opened (%s)",
							row_label(), n, ts_text(a->values[ACT_CREATED_AT]),
							ts_text(TimestampTzGetDatum(opened_at)))));
		if (done && DatumGetTimestampTz(a->values[ACT_DONE_AT]) <
			DatumGetTimestampTz(a->values[ACT_CREATED_AT]))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d was done (%s) before it was created (%s)",
							row_label(), n, ts_text(a->values[ACT_DONE_AT]),
							ts_text(a->values[ACT_CREATED_AT]))));
		if (done && DatumGetTimestampTz(a->values[ACT_DONE_AT]) > current->clock_now)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d was done in the future (%s)", row_label(), n,
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
								row_label(), n,
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

		for (k = 0; k < current->nactions; k++)
		{
			ImportAction *a = &current->actions[k];

			if (DatumGetTimestampTz(a->values[ACT_CREATED_AT]) > at)
				continue;
			existing++;
			if ((e->conditions & CAPA_COND_ACTIONS_DONE) &&
				(a->nulls[ACT_DONE] || !DatumGetBool(a->values[ACT_DONE]) ||
				 DatumGetTimestampTz(a->values[ACT_DONE_AT]) > at))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("%s: action %d was not done when the record took step %s (%s)",
								row_label(), k + 1, e->step, ts_text(TimestampTzGetDatum(at))),
						 errdetail("Step %s requires every action item to be done.", e->step)));
		}
		if ((e->conditions & CAPA_COND_HAS_ACTIONS) && existing == 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("%s: %s requires an action item created by step %s (%s)",
							row_label(), what, e->step, ts_text(TimestampTzGetDatum(at))),
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
	if (!verified || !current->segregation)
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
						row_label(), verifier.name[0])));
	if (capa_sod_match_worker(&verifier, NameStr(*DatumGetName(values[implemented_by - 1]))) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s: segregation of duties: \"%s\" verified the record and implemented it",
						row_label(), verifier.name[0])));
	for (i = 0; i < current->nactions; i++)
	{
		const ImportAction *a = &current->actions[i];

		if (capa_sod_match_name(&verifier, TextDatumGetCString(a->values[ACT_OWNER])) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("%s: segregation of duties: \"%s\" verified the record and owns action %d",
							row_label(), verifier.name[0], i + 1)));
		if (!a->nulls[ACT_DONE_BY] &&
			capa_sod_match_worker(&verifier, NameStr(*DatumGetName(a->values[ACT_DONE_BY]))) >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("%s: segregation of duties: \"%s\" verified the record and completed action %d",
							row_label(), verifier.name[0], i + 1)));
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
			capa_require_finite(row_label(), NameStr(att->attname), att->atttypid, values[i]);
	}
#define COL(c) (schema->reg[c])
#define ISNULL(attnum) (nulls[(attnum) - 1])
#define VALUE(attnum) (values[(attnum) - 1])

	/* what the record is */
	if (ISNULL(COL(REG_KIND)))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("%s: a capa record needs a kind", row_label()),
				 errhint("Accepted kinds: %s.", capa_kind_labels.accepted)));
	kindtext = DatumGetTextPP(VALUE(COL(REG_KIND)));
	kind = (CapaKind) capa_label_parse(&capa_kind_labels, VARDATA_ANY(kindtext),
									   VARSIZE_ANY_EXHDR(kindtext));
	if (kind == CAPA_KIND_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: invalid capa kind: \"%s\"", row_label(), text_to_cstring(kindtext)),
				 errhint("Accepted kinds: %s.", capa_kind_labels.accepted)));
	if (ISNULL(COL(REG_STATE)))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("%s: a capa record needs a state", row_label())));
	state = (CapaState) DatumGetInt16(VALUE(COL(REG_STATE)));
	what = record_text(kind, state);

	/* what every record has */
	need_value(values, nulls, tupdesc, COL(REG_TITLE), what, NULL);
	need_value(values, nulls, tupdesc, COL(REG_DESCRIPTION), what, NULL);
	need_value(values, nulls, tupdesc, COL(REG_SOURCE), what, NULL);
	need_value(values, nulls, tupdesc, COL(REG_OWNER), what, NULL);
	if (ISNULL(COL(REG_SEVERITY)))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("%s: %s requires \"severity\"", row_label(), what),
				 errhint("Accepted severities: %s.", capa_severity_labels.accepted)));
	need_code(0, VALUE(COL(REG_SOURCE)), "source", "source");
	if (!ISNULL(schema->field[CAPA_F_RCA_METHOD]))
		need_code(1, VALUE(schema->field[CAPA_F_RCA_METHOD]), "rca_method", "rca_method");
	if (!ISNULL(schema->field[CAPA_F_CAUSE_CATEGORY]))
		need_code(2, VALUE(schema->field[CAPA_F_CAUSE_CATEGORY]), "cause_category", "cause_category");

	/* the steps it took: a path of its kind from open to its state */
	build_paths();
	if (npaths[kind][state] == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s: %s %s record cannot be %s", row_label(),
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
							row_label(), capa_stamp_names[s],
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
					 errmsg("%s: \"%s\" (%s) is before \"%s\" (%s)", row_label(),
							NameStr(TupleDescAttr(tupdesc, col - 1)->attname), ts_text(VALUE(col)),
							NameStr(TupleDescAttr(tupdesc, prev_col - 1)->attname), ts_text(prev)),
					 errdetail("Its path: %s.", path_text(path))));
		prev = VALUE(col);
		prev_col = col;
	}
	if (DatumGetTimestampTz(prev) > current->clock_now)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: \"%s\" (%s) is in the future", row_label(),
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
							row_label(), capa_fields[f].column, what),
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
					 errmsg("%s: %s requires \"%s\" to be %s", row_label(), what,
							capa_fields[f].column,
							(must_true & CAPA_BIT(f)) ? "true" : "false"),
					 errdetail("Its path: %s.", path_text(path))));
	}

	judge_actions(kind, state, path, values, nulls, schema, opened_at);
	judge_segregation(path, values, schema);

	/* the reference: the year of opening (UTC) and the next number */
	if (timestamp2tm(opened_at, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "capa: timestamp out of range");
	if (tm.tm_year < CAPA_REF_YEAR_MIN || tm.tm_year > CAPA_REF_YEAR_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: \"opened_at\" must lie in the years %d to %d", row_label(),
						CAPA_REF_YEAR_MIN, CAPA_REF_YEAR_MAX)));
	number = nextval_internal(schema->number_seq, false);
	if (!capa_ref_pack(tm.tm_year, number, &packed))
		ereport(ERROR,
				(errcode(ERRCODE_SEQUENCE_GENERATOR_LIMIT_EXCEEDED),
				 errmsg("capa reference number %lld is out of range", (long long) number)));
	*id = CapaRefGetDatum(packed);
	current->record_id = *id;
	current->record_cancelled = (state == CAPA_STATE_CANCELLED);
	current->record_org_unit = ISNULL(COL(REG_ORG_UNIT)) ? NULL :
		MemoryContextStrdup(current->row_cxt, TextDatumGetCString(VALUE(COL(REG_ORG_UNIT))));

	capa_row_set(changes, COL(REG_ID), *id, false);
	capa_row_set(changes, COL(REG_UPDATED_AT), TimestampTzGetDatum(current->xact_now), false);
	capa_row_set(changes, COL(REG_REOPEN_COUNT), Int32GetDatum(0), false);
	capa_row_set(changes, COL(REG_INEFFECTIVE_COUNT), Int32GetDatum(0), false);
	capa_row_set(changes, COL(REG_CHAIN_SEQ), Int32GetDatum(1), false);

	/* due dates left empty: from the step that sets them, per the policy */
	severity = DatumGetInt16(VALUE(COL(REG_SEVERITY)));
	if (severity >= 1 && severity <= CAPA_SEVERITY_MAX && current->has_policy[severity])
	{
		if (kind == CAPA_KIND_CORRECTIVE)
			derive_due(changes, values, nulls, COL(REG_CONTAIN_DUE),
					   TimestampTzGetDatum(opened_at), current->contain_within[severity]);
		derive_due(changes, values, nulls, COL(REG_CLOSE_DUE),
				   TimestampTzGetDatum(opened_at), current->close_within[severity]);
		for (i = 0; i < path->len; i++)
		{
			if (path->edges[i]->sets_effectiveness_due)
				derive_due(changes, values, nulls, COL(REG_EFFECTIVENESS_DUE),
						   VALUE(schema->stamp_at[path->edges[i]->stamp]),
						   current->effectiveness_within[severity]);
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
	return import_changed(tupdesc, row, skip, current->legacy_id);
}

HeapTuple
capa_import_action_row(Relation rel, HeapTuple newtup, MemoryContext result_cxt)
{
	CapaSchema *schema = capa_schema();
	TupleDesc	tupdesc = RelationGetDescr(rel);
	ImportAction *a = &current->actions[current->action_index];
	CapaRowChanges changes;
	CapaAuditEntry entry;
	HeapTuple	result;
	Oid			saved_user;
	int			saved_sec;
	bool		isnull;
	bool	   *skip;
	Datum		capa_id = heap_getattr(newtup, schema->act[ACT_CAPA_ID], tupdesc, &isnull);

	/* capa_import() built this row from the record it just inserted */
	if (isnull || DatumGetInt64(capa_id) != DatumGetInt64(current->record_id))
		elog(ERROR, "capa: imported action item does not belong to the imported record");

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);

	memset(&changes, 0, sizeof(changes));
	capa_row_set(&changes, schema->act[ACT_CHAIN_SEQ], Int32GetDatum(1), false);
	capa_row_set(&changes, schema->act[ACT_UPDATED_AT], TimestampTzGetDatum(current->xact_now), false);
	{
		MemoryContext spi_cxt = MemoryContextSwitchTo(result_cxt);

		result = capa_row_apply(newtup, tupdesc, &changes);
		MemoryContextSwitchTo(spi_cxt);
	}

	skip = capa_bookkeeping_skip(tupdesc, schema->act[ACT_CHAIN_SEQ], schema->act[ACT_CHAIN_HEAD],
								 schema->act[ACT_UPDATED_AT]);
	memset(&entry, 0, sizeof(entry));
	entry.record_id = capa_id;
	entry.has_action = true;
	entry.action_id = DatumGetInt64(heap_getattr(result, schema->act[ACT_ID], tupdesc, &isnull));
	entry.chain_seq = 1;
	entry.step = "import";
	entry.changed = import_changed(tupdesc, result, skip, a->legacy_id);
	entry.actor = capa_actor();
	result = capa_audit_chain(&entry, tupdesc, NULL, result, schema->act[ACT_CHAIN_HEAD],
							  result_cxt);
	capa_kpi_track_action(tupdesc, NULL, result, current->record_org_unit,
						  current->record_cancelled);

	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	return result;
}

/*
 * Reading the source
 */

/* The codes of a lookup table, as capa's owner */
static void
load_codes(ImportState *st, int lookup, const char *sql)
{
	uint64		i;

	MemoryContext cxt = CurrentMemoryContext;

	if (SPI_execute(sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "capa: lookup query failed: %s", sql);
	MemoryContextSwitchTo(cxt);
	st->codes[lookup] = palloc(sizeof(char *) * (SPI_processed + 1));
	st->ncodes[lookup] = (int) SPI_processed;
	for (i = 0; i < SPI_processed; i++)
		st->codes[lookup][i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
}

/* Lookup codes and policies, read once: the import is one statement */
static void
load_lookups(ImportState *st, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	int			sev;
	int			rc;
	bool		isnull;

	/*
	 * Held FOR KEY SHARE to the end of the transaction, as the foreign keys'
	 * checks would hold the codes they find: none can go while the imported
	 * records refer to them (see without_checked_keys)
	 */
	load_codes(st, 0, "SELECT s.code FROM capa.source s FOR KEY SHARE");
	load_codes(st, 1, "SELECT m.code FROM capa.rca_method m FOR KEY SHARE");
	load_codes(st, 2, "SELECT c.code FROM capa.cause_category c FOR KEY SHARE");

	MemoryContextSwitchTo(cxt);
	rc = SPI_execute_plan(capa_spi_plan(PLAN_SEGREGATION_POLICY), NULL, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: policy lookup returned %s", SPI_result_code_string(rc));
	st->segregation = SPI_processed == 0 ||
		DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	for (sev = 1; sev <= CAPA_SEVERITY_MAX; sev++)
	{
		Datum		arg = Int16GetDatum((int16) sev);
		HeapTuple	tup;
		TupleDesc	td;
		Datum		d;

		rc = SPI_execute_plan(capa_spi_plan(PLAN_SEVERITY_POLICY), &arg, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "capa: severity policy lookup returned %s", SPI_result_code_string(rc));
		if (SPI_processed == 0)
			continue;
		tup = SPI_tuptable->vals[0];
		td = SPI_tuptable->tupdesc;
		MemoryContextSwitchTo(cxt);
		st->has_policy[sev] = true;
		d = SPI_getbinval(tup, td, 1, &isnull);
		st->contain_within[sev] = isnull ? (Datum) 0 : datumCopy(d, false, 16);
		d = SPI_getbinval(tup, td, 2, &isnull);
		st->close_within[sev] = isnull ? (Datum) 0 : datumCopy(d, false, 16);
		d = SPI_getbinval(tup, td, 3, &isnull);
		st->effectiveness_within[sev] = isnull ? (Datum) 0 : datumCopy(d, false, 16);
	}
	MemoryContextSwitchTo(old);
}

/* How each source column maps to the register; 42703/428C9 if it cannot */
static SourceColumn *
map_columns(TupleDesc srcdesc, CapaSchema *schema)
{
	SourceColumn *map = palloc0(sizeof(SourceColumn) * srcdesc->natts);
	const CapaRegisterColumn managed[] = {
		REG_ID, REG_UPDATED_AT, REG_REOPEN_COUNT, REG_INEFFECTIVE_COUNT,
		REG_CHAIN_SEQ, REG_CHAIN_HEAD
	};
	int			i;
	int			j;

	for (i = 0; i < srcdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(srcdesc, i);
		const char *name = NameStr(att->attname);
		SourceColumn *m = &map[i];
		Oid			target_type;
		Oid			outfunc;
		bool		isvarlena;
		Oid			infunc;

		if (att->attisdropped)
			continue;
		if (strcmp(name, "legacy_id") == 0)
		{
			m->role = SRC_LEGACY_ID;
			getTypeOutputInfo(att->atttypid, &outfunc, &isvarlena);
			fmgr_info(outfunc, &m->out);
			continue;
		}
		if (strcmp(name, "actions") == 0)
		{
			m->role = SRC_ACTIONS;
			target_type = JSONBOID;
		}
		else
		{
			m->role = SRC_REGISTER;
			m->target = get_attnum(schema->register_relid, name);
			if (m->target == InvalidAttrNumber || m->target < 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("capa_import: source column \"%s\" is not a column capa imports", name),
						 errhint("Source columns are named like the columns of capa.register, plus legacy_id and actions; leave others out with a view.")));
			for (j = 0; j < (int) lengthof(managed); j++)
			{
				if (m->target == schema->reg[managed[j]])
					ereport(ERROR,
							(errcode(ERRCODE_GENERATED_ALWAYS),
							 errmsg("capa_import: column \"%s\" is maintained by capa and cannot be imported", name),
							 managed[j] == REG_ID ?
							 errhint("capa assigns the reference; name the old register's identifier legacy_id.") :
							 errhint("Leave it out of the source.")));
			}
			target_type = get_atttype(schema->register_relid, m->target);
		}
		if (att->atttypid == target_type || IsBinaryCoercible(att->atttypid, target_type))
		{
			m->direct = true;
			continue;
		}
		/* any other type is read as its text, by the column type's input */
		getTypeOutputInfo(att->atttypid, &outfunc, &isvarlena);
		fmgr_info(outfunc, &m->out);
		getTypeInputInfo(target_type, &infunc, &m->in_ioparam);
		fmgr_info(infunc, &m->in);
	}
	return map;
}

static Datum
convert(SourceColumn *m, Datum value)
{
	if (m->direct)
		return value;
	return InputFunctionCall(&m->in, OutputFunctionCall(&m->out, value),
							 m->in_ioparam, -1);
}

/* A string of the actions document as the action column's type */
static Datum
action_string(ImportState *st, CapaActionColumn c, JsonbValue *v, int n, const char *key)
{
	char	   *s;

	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: action %d: \"%s\" must be a string", row_label(), n, key)));
	s = pnstrdup(v->val.string.val, v->val.string.len);
	return InputFunctionCall(&st->act_in[c], s, st->act_ioparam[c], -1);
}

/* The actions column: a jsonb array of objects with action_keys */
static void
parse_actions(ImportState *st, Jsonb *jb)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;
	int			max;

	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: \"actions\" must be a JSON array of action items", row_label())));
	max = JB_ROOT_COUNT(jb);
	st->actions = palloc0(sizeof(ImportAction) * Max(max, 1));
	it = JsonbIteratorInit(&jb->root);
	tok = JsonbIteratorNext(&it, &v, false);	/* WJB_BEGIN_ARRAY */
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_END_ARRAY && tok != WJB_DONE)
	{
		ImportAction *a;
		int			c;

		if (tok != WJB_BEGIN_OBJECT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d must be a JSON object", row_label(), n + 1)));
		a = &st->actions[n++];
		for (c = 0; c < ACT_COLUMN_COUNT; c++)
			a->nulls[c] = true;
		while ((tok = JsonbIteratorNext(&it, &v, false)) == WJB_KEY)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			int			k;

			tok = JsonbIteratorNext(&it, &v, false);
			if (tok != WJB_VALUE)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: action %d: \"%s\" must be a string, a boolean or null",
								row_label(), n, key)));
			if (strcmp(key, "legacy_id") == 0)
			{
				if (v.type == jbvString)
					a->legacy_id = pnstrdup(v.val.string.val, v.val.string.len);
				else if (v.type == jbvNumeric)
					a->legacy_id = DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v.val.numeric)));
				else if (v.type != jbvNull)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s: action %d: \"legacy_id\" must be a string or a number",
									row_label(), n)));
				continue;
			}
			for (k = 0; k < (int) lengthof(action_keys); k++)
			{
				if (strcmp(key, action_keys[k].key) == 0)
					break;
			}
			if (k == (int) lengthof(action_keys))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("%s: action %d has an unknown key \"%s\"", row_label(), n, key),
						 errhint("Keys of an action item: description, owner, due, done, evidence, done_at, done_by, created_at, created_by, legacy_id.")));
			c = action_keys[k].column;
			if (v.type == jbvNull)
				continue;
			if (c == ACT_DONE)
			{
				if (v.type != jbvBool)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s: action %d: \"done\" must be true or false", row_label(), n)));
				a->values[c] = BoolGetDatum(v.val.boolean);
			}
			else
				a->values[c] = action_string(st, c, &v, n, key);
			a->nulls[c] = false;
		}
		if (tok != WJB_END_OBJECT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d: values must be strings, booleans or null",
							row_label(), n)));
		if (a->nulls[ACT_DONE])
		{
			a->values[ACT_DONE] = BoolGetDatum(false);
			a->nulls[ACT_DONE] = false;
		}
	}
	st->nactions = n;
}

/*
 * An audit row of the import, inserted without a statement of its own:
 * capa.audit has no insert trigger and no foreign key, so this is what
 * its INSERT would do (constraints, heap, indexes).
 */
static void
insert_audit(Datum *values, const char *nulls)
{
	capa_audit_slot_store(current->audit_slot, values, nulls);
	ExecSimpleRelationInsert(current->audit_rri, current->audit_estate, current->audit_slot);
	ResetPerTupleExprContext(current->audit_estate);
}

/* Per-row state handed to the triggers through current and capa_request */
static void
insert_row(ImportState *st, EState *estate, ResultRelInfo *rri, TupleTableSlot *slot,
		   CapaImportTarget target)
{
	CapaRequest saved = capa_request;

	st->expect = target;
	capa_request.active = true;
	capa_request.caller = st->caller;
	capa_request.target = CAPA_STATE_INVALID;
	capa_request.complete_action = false;
	capa_request.import = true;
	capa_audit_inserter = insert_audit;
	ExecSimpleRelationInsert(rri, estate, slot);
	capa_audit_inserter = NULL;
	capa_request = saved;
	if (st->expect != CAPA_IMPORT_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa_import: the trigger of \"%s\" did not judge the imported row",
						RelationGetRelationName(rri->ri_RelationDesc)),
				 errhint("capa's triggers are disabled (DISABLE TRIGGER, or session_replication_role = replica).")));
}

/*
 * True for the foreign key trigger of a key capa_import() checks itself:
 * the register's source, rca_method and cause_category (against the codes
 * it holds FOR KEY SHARE: need_code) and an action item's record (the row
 * this statement inserted just before).  Any other foreign key, added
 * later or by someone else, keeps its trigger.
 */
static bool
checked_by_import(const Trigger *t, Oid relid, CapaSchema *schema)
{
	static const struct
	{
		bool		action;
		const char *table;
		const char *column;
	}			keys[] = {
		{false, "source", "source"},
		{false, "rca_method", "rca_method"},
		{false, "cause_category", "cause_category"},
		{true, "register", "capa_id"},
	};
	HeapTuple	tup;
	Form_pg_constraint con;
	AttrNumber	conkey[INDEX_MAX_KEYS];
	AttrNumber	confkey[INDEX_MAX_KEYS];
	int			nkeys = 0;
	bool		result = false;
	int			i;

	if (!t->tgisinternal || !OidIsValid(t->tgconstraint) ||
		RI_FKey_trigger_type(t->tgfoid) != RI_TRIGGER_FK)
		return false;
	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(t->tgconstraint));
	if (!HeapTupleIsValid(tup))
		return false;
	con = (Form_pg_constraint) GETSTRUCT(tup);
	if (con->contype == CONSTRAINT_FOREIGN)
	{
		Oid			pf[INDEX_MAX_KEYS];
		Oid			pp[INDEX_MAX_KEYS];
		Oid			ff[INDEX_MAX_KEYS];
		int			nset = 0;
		AttrNumber	set[INDEX_MAX_KEYS];

		DeconstructFkConstraintRow(tup, &nkeys, conkey, confkey, pf, pp, ff, &nset, set);
	}
	for (i = 0; nkeys == 1 && i < (int) lengthof(keys); i++)
	{
		bool		on_action = relid == schema->action_relid;

		if (keys[i].action != on_action)
			continue;
		if (con->confrelid == get_relname_relid(keys[i].table, schema->namespace_oid) &&
			conkey[0] == get_attnum(relid, keys[i].column))
			result = true;
	}
	ReleaseSysCache(tup);
	return result;
}

/*
 * The relation's triggers less those foreign key triggers: they would
 * re-check every imported row in a statement of its own at the end.
 */
static void
without_checked_keys(ResultRelInfo *rri, CapaSchema *schema)
{
	TriggerDesc *td = rri->ri_TrigDesc;
	Oid			relid = RelationGetRelid(rri->ri_RelationDesc);
	int			i;
	int			n = 0;

	if (td == NULL)
		return;
	td->trig_insert_before_row = td->trig_insert_after_row = false;
	td->trig_insert_instead_row = td->trig_insert_new_table = false;
	td->trig_insert_before_statement = td->trig_insert_after_statement = false;
	for (i = 0; i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];
		int16		type = t->tgtype;

		if (checked_by_import(t, relid, schema))
			continue;
		td->triggers[n++] = *t;
		td->trig_insert_before_row |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_INSERT);
		td->trig_insert_after_row |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_INSERT);
		td->trig_insert_instead_row |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, TRIGGER_TYPE_INSTEAD, TRIGGER_TYPE_INSERT);
		td->trig_insert_before_statement |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_INSERT);
		td->trig_insert_after_statement |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_INSERT);
		td->trig_insert_new_table |=
			(TRIGGER_FOR_INSERT(type) && TRIGGER_USES_TRANSITION_TABLE(t->tgnewtable));
	}
	td->numtriggers = n;
}

/* The executor state for inserting into the register and action items */
static EState *
begin_inserts(Relation reg, Relation act, ResultRelInfo **rri_reg, ResultRelInfo **rri_act)
{
	Relation	rels[2] = {reg, act};
	ResultRelInfo *rri[2];
	EState	   *estate = capa_table_write_begin(2, rels, rri);
	int			i;

	/* ri_TrigDesc is InitResultRelInfo's copy: filtered, not shared */
	for (i = 0; i < 2; i++)
		without_checked_keys(rri[i], capa_schema());
	*rri_reg = rri[0];
	*rri_act = rri[1];
	return estate;
}

/*
 * capa_import(source regclass) returns bigint: the number of records
 * imported.  capa_admin only; see the README's import section.
 */
Datum
capa_import(PG_FUNCTION_ARGS)
{
	CapaSchema *schema;
	ImportState *st;
	Oid			relid;
	char		relkind;
	Oid			caller = GetUserId();
	Oid			saved_user;
	int			saved_sec;
	MemoryContext entry_cxt;
	MemoryContext import_cxt;
	MemoryContext row_cxt;
	MemoryContext old;
	SPIPlanPtr	plan;
	Portal		portal;
	TupleDesc	srcdesc;
	SourceColumn *map;
	Datum	   *src_values;
	bool	   *src_nulls;
	Relation	reg;
	Relation	act;
	Relation	audit;
	ResultRelInfo *rri_reg;
	ResultRelInfo *rri_act;
	EState	   *estate;
	TupleTableSlot *reg_slot;
	TupleTableSlot *act_slot;
	ErrorContextCallback errcallback;
	CapaRequest saved_request = capa_request;
	Oid			action_seq;
	int64		count;
	int			c;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_import: the source must not be NULL")));
	relid = PG_GETARG_OID(0);
	relkind = get_rel_relkind(relid);
	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("capa_import: relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("capa_import: \"%s\" is not a table or view", get_rel_name(relid))));
	if (current != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa_import cannot run inside another capa_import")));

	schema = capa_schema();
	entry_cxt = CurrentMemoryContext;
	import_cxt = AllocSetContextCreate(entry_cxt, "capa_import",
									   ALLOCSET_DEFAULT_SIZES);
	row_cxt = AllocSetContextCreate(import_cxt, "capa_import row",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(import_cxt);
	st = palloc0(sizeof(ImportState));
	st->source_name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												 get_rel_name(relid));
	st->xact_now = GetCurrentTransactionStartTimestamp();
	st->clock_now = GetCurrentTimestamp();
	st->caller = caller;
	st->row_cxt = row_cxt;
	for (c = 0; c < ACT_COLUMN_COUNT; c++)
	{
		Oid			infunc;

		getTypeInputInfo(get_atttype(schema->action_relid, schema->act[c]), &infunc,
						 &st->act_ioparam[c]);
		fmgr_info(infunc, &st->act_in[c]);
	}
	action_seq = get_relname_relid("action_id_seq", schema->namespace_oid);
	if (!OidIsValid(action_seq))
		elog(ERROR, "capa: sequence capa.action_id_seq does not exist");
	MemoryContextSwitchTo(old);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");

	/* the source, read as the caller: their privileges, their row security */
	plan = SPI_prepare(psprintf("SELECT * FROM %s", st->source_name), 0, NULL);
	if (plan == NULL)
		elog(ERROR, "capa_import: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	/* a snapshot of its own: the source as this statement has changed it */
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);
	old = MemoryContextSwitchTo(import_cxt);
	srcdesc = CreateTupleDescCopy(portal->tupDesc);
	map = map_columns(srcdesc, schema);
	src_values = palloc(sizeof(Datum) * srcdesc->natts);
	src_nulls = palloc(sizeof(bool) * srcdesc->natts);
	MemoryContextSwitchTo(old);

	/* the writes, as capa's owner */
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	load_lookups(st, import_cxt);
	reg = table_open(schema->register_relid, RowExclusiveLock);
	act = table_open(schema->action_relid, RowExclusiveLock);
	audit = table_open(schema->audit_relid, RowExclusiveLock);
	old = MemoryContextSwitchTo(import_cxt);
	estate = begin_inserts(reg, act, &rri_reg, &rri_act);
	/* an executor state of its own for the trail, inserted from the triggers */
	st->audit_estate = capa_table_write_begin(1, &audit, &st->audit_rri);
	st->audit_slot = ExecInitExtraTupleSlot(st->audit_estate, RelationGetDescr(audit),
											&TTSOpsVirtual);
	reg_slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(reg), &TTSOpsVirtual);
	act_slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(act), &TTSOpsVirtual);
	MemoryContextSwitchTo(old);
	capa_restore_user(saved_user, saved_sec);

	errcallback.callback = import_error_context;
	errcallback.arg = NULL;
	errcallback.previous = error_context_stack;

	current = st;
	PG_TRY();
	{
		AfterTriggerBeginQuery();
		for (;;)
		{
			SPITupleTable *batch;
			uint64		nrows;
			uint64		r;

			/* fetched as the caller: a view's functions run as them */
			SPI_cursor_fetch(portal, true, IMPORT_BATCH);
			batch = SPI_tuptable;
			nrows = SPI_processed;
			if (nrows == 0)
				break;

			capa_become_owner(schema->owner, &saved_user, &saved_sec);
			error_context_stack = &errcallback;
			for (r = 0; r < nrows; r++)
			{
				HeapTuple	src = batch->vals[r];
				int			i;
				int			k;

				CHECK_FOR_INTERRUPTS();
				old = MemoryContextSwitchTo(row_cxt);
				st->rowno++;
				st->in_row = true;
				st->legacy_id = NULL;
				st->nactions = 0;
				st->actions = NULL;

				/* the register row: the source's columns, the rest NULL */
				ExecClearTuple(reg_slot);
				for (i = 0; i < reg_slot->tts_tupleDescriptor->natts; i++)
					reg_slot->tts_isnull[i] = true;
				reg_slot->tts_values[schema->reg[REG_KIND] - 1] = CStringGetTextDatum("corrective");
				reg_slot->tts_isnull[schema->reg[REG_KIND] - 1] = false;
				reg_slot->tts_values[schema->reg[REG_STATE] - 1] = Int16GetDatum(CAPA_STATE_OPEN);
				reg_slot->tts_isnull[schema->reg[REG_STATE] - 1] = false;
				/* the source row's columns, all at once */
				heap_deform_tuple(src, batch->tupdesc, src_values, src_nulls);
				for (i = 0; i < srcdesc->natts; i++)
				{
					SourceColumn *m = &map[i];
					bool		isnull = src_nulls[i];
					Datum		value = src_values[i];

					if (TupleDescAttr(srcdesc, i)->attisdropped)
						continue;
					switch (m->role)
					{
						case SRC_LEGACY_ID:
							if (!isnull)
								st->legacy_id = OutputFunctionCall(&m->out, value);
							break;
						case SRC_ACTIONS:
							if (!isnull)
								parse_actions(st, DatumGetJsonbP(convert(m, value)));
							break;
						case SRC_REGISTER:
							reg_slot->tts_isnull[m->target - 1] = isnull;
							reg_slot->tts_values[m->target - 1] =
								isnull ? (Datum) 0 : convert(m, value);
							break;
					}
				}
				ExecStoreVirtualTuple(reg_slot);
				insert_row(st, estate, rri_reg, reg_slot, CAPA_IMPORT_REGISTER);

				/* its action items, judged with it by the register trigger */
				for (k = 0; k < st->nactions; k++)
				{
					ImportAction *a = &st->actions[k];

					ExecClearTuple(act_slot);
					for (i = 0; i < act_slot->tts_tupleDescriptor->natts; i++)
						act_slot->tts_isnull[i] = true;
					for (c = 0; c < ACT_COLUMN_COUNT; c++)
					{
						act_slot->tts_values[schema->act[c] - 1] = a->values[c];
						act_slot->tts_isnull[schema->act[c] - 1] = a->nulls[c];
					}
					act_slot->tts_values[schema->act[ACT_ID] - 1] =
						Int64GetDatum(nextval_internal(action_seq, false));
					act_slot->tts_isnull[schema->act[ACT_ID] - 1] = false;
					act_slot->tts_values[schema->act[ACT_CAPA_ID] - 1] = st->record_id;
					act_slot->tts_isnull[schema->act[ACT_CAPA_ID] - 1] = false;
					ExecStoreVirtualTuple(act_slot);
					st->action_index = k;
					insert_row(st, estate, rri_act, act_slot, CAPA_IMPORT_ACTION);
				}
				st->in_row = false;
				MemoryContextSwitchTo(old);
				ResetPerTupleExprContext(estate);
				MemoryContextReset(row_cxt);
			}
			error_context_stack = errcallback.previous;
			capa_restore_user(saved_user, saved_sec);
			SPI_freetuptable(batch);
		}

		/* the foreign keys, as capa's owner */
		capa_become_owner(schema->owner, &saved_user, &saved_sec);
		CommandCounterIncrement();
		AfterTriggerEndQuery(estate);
		capa_restore_user(saved_user, saved_sec);
	}
	PG_CATCH();
	{
		bool		in_row = st->in_row;
		char	   *label;

		MemoryContextSwitchTo(entry_cxt);
		label = in_row ? row_label() : NULL;
		current = NULL;
		capa_audit_inserter = NULL;
		capa_request = saved_request;
		if (in_row)
		{
			/*
			 * Whatever refused the row (a type's input, a CHECK constraint,
			 * the register trigger), the message names it
			 */
			ErrorData  *edata = CopyErrorData();

			FlushErrorState();
			if (edata->message && strncmp(edata->message, "source row ", 11) != 0)
				edata->message = psprintf("%s: %s", label, edata->message);
			ReThrowError(edata);
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	current = NULL;

	capa_table_write_end(estate);
	capa_table_write_end(st->audit_estate);
	table_close(audit, NoLock);
	table_close(reg, NoLock);
	table_close(act, NoLock);
	SPI_cursor_close(portal);
	SPI_finish();
	count = st->rowno;
	MemoryContextDelete(import_cxt);
	PG_RETURN_INT64(count);
}
