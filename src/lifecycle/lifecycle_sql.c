/*-------------------------------------------------------------------------
 *
 * lifecycle_sql.c
 *	  rules.c's lifecycle facts for SQL: the edges, the governed changes and
 *	  the small facts views and reports need, read from the one table.
 *
 *	  capa_lifecycle()      one row per edge and kind: from, to, step,
 *	                        what it requires and may record, who may take it
 *	  capa_changes()        one row per governed change: its step, states,
 *	                        kinds, roles, whether it needs a reason
 *	  capa_state_ended(s)   closed or cancelled (rules.c: frozen)
 *	  capa_state_open(s)    being worked: not ended (what the KPIs count as
 *	                        open, escalation and the snapshots list)
 *	  capa_state_actions_open(s)  action items may change in this state
 *	  capa_due_applies(d, s)  due date d (contain, close, effectiveness) is
 *	                        due in state s: past it, the record is overdue
 *	  capa_overdue(s, contain_due, close_due, effectiveness_due, at)
 *	                        a record in state s with these due dates is
 *	                        overdue at `at`: past a due date due in s
 *	  capa_kind_has_step(k, step)  kind k's path has the step (contain:
 *	                        whether the kind is contained at all)
 *	  capa_step_requires(k, step)  the evidence every such step of k's path
 *	                        requires
 *
 * The views, reports and partial indexes of the SQL scripts call these
 * rather than spelling the states out, so the rule is written once; a
 * partial index predicate and the queries that use it write the same call.
 *
 * IMMUTABLE: they depend on the library's tables only, which change with a
 * new version of capa (an ALTER EXTENSION UPDATE, which replaces them).
 *
 * IDENTIFICATION
 *	  src/lifecycle/lifecycle_sql.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/selfuncs.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
#include "utils/typcache.h"

#include "lifecycle/rules.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_lifecycle);
PG_FUNCTION_INFO_V1(capa_governed_changes);
PG_FUNCTION_INFO_V1(capa_state_ended);
PG_FUNCTION_INFO_V1(capa_state_actions_open);
PG_FUNCTION_INFO_V1(capa_state_open);
PG_FUNCTION_INFO_V1(capa_due_applies);
PG_FUNCTION_INFO_V1(capa_overdue);
PG_FUNCTION_INFO_V1(capa_facts_support);
PG_FUNCTION_INFO_V1(capa_kind_has_step);
PG_FUNCTION_INFO_V1(capa_step_requires);

/* The column names of the fields in mask, as text[] */
static Datum
field_array(uint32_t mask)
{
	Datum		elems[CAPA_FIELD_COUNT];
	int			n = 0;
	int			f;

	for (f = 0; f < CAPA_FIELD_COUNT; f++)
	{
		if (mask & CAPA_BIT(f))
			elems[n++] = CStringGetTextDatum(capa_fields[f].column);
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The CAPA_ROLE_* bits as text[] ({} for anybody who may run the statement) */
static Datum
role_array(unsigned roles)
{
	Datum		elems[3];
	int			n = 0;

	if (roles & CAPA_ROLE_OWNER)
		elems[n++] = CStringGetTextDatum("owner");
	if (roles & CAPA_ROLE_VERIFIER)
		elems[n++] = CStringGetTextDatum("capa_verifier");
	if (roles & CAPA_ROLE_ADMIN)
		elems[n++] = CStringGetTextDatum("capa_admin");
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The kinds in the CAPA_KIND_BIT set, as text[] */
static Datum
kind_array(unsigned kinds)
{
	Datum		elems[CAPA_KIND_MAX];
	int			n = 0;
	int			k;

	for (k = 1; k <= CAPA_KIND_MAX; k++)
	{
		if (kinds & CAPA_KIND_BIT(k))
			elems[n++] = CStringGetTextDatum(capa_label_name(&capa_kind_labels, k));
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The states in the CAPA_STATE_BIT set, as text[] */
static Datum
state_array(unsigned states)
{
	Datum		elems[CAPA_STATE_MAX];
	int			n = 0;
	int			s;

	for (s = 1; s <= CAPA_STATE_MAX; s++)
	{
		if (states & CAPA_STATE_BIT(s))
			elems[n++] = CStringGetTextDatum(capa_state_cstring(s));
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static const char *const condition_names[] = {
	"has_actions", "actions_done", "segregation", "fresh_action", "analysis_reopened", "window"
};

/*
 * capa_lifecycle() RETURNS TABLE (kind text, from_state text, to_state text,
 *	 step text, requires text[], may_record text[], conditions text[],
 *	 clears text[], roles text[], needs_reason boolean): one row per edge
 *	 and kind, in the table's order
 */
Datum
capa_lifecycle(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;
	int			k;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];

		for (k = 1; k <= CAPA_KIND_MAX; k++)
		{
			Datum		values[10];
			bool		nulls[10] = {0};
			Datum		conds[lengthof(condition_names)];
			int			nc = 0;
			int			c;

			if (!(e->kinds & CAPA_KIND_BIT(k)))
				continue;
			for (c = 0; c < (int) lengthof(condition_names); c++)
			{
				if (e->conditions & (1u << c))
					conds[nc++] = CStringGetTextDatum(condition_names[c]);
			}
			values[0] = CStringGetTextDatum(capa_label_name(&capa_kind_labels, k));
			values[1] = CStringGetTextDatum(capa_state_cstring(e->from));
			values[2] = CStringGetTextDatum(capa_state_cstring(e->to));
			values[3] = CStringGetTextDatum(e->step);
			values[4] = field_array(e->required);
			values[5] = field_array(e->optional);
			values[6] = PointerGetDatum(construct_array(conds, nc, TEXTOID, -1, false, TYPALIGN_INT));
			values[7] = field_array(e->clears);
			values[8] = role_array(e->roles);
			values[9] = BoolGetDatum(e->needs_reason);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/*
 * capa_changes() (C: capa_governed_changes) RETURNS TABLE (change text, states text[], kinds text[],
 *	 roles text[], needs_reason boolean): the governed changes
 */
Datum
capa_governed_changes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < CAPA_CHANGE_COUNT; i++)
	{
		const CapaChange *c = &capa_changes[i];
		Datum		values[5];
		bool		nulls[5] = {0};

		values[0] = CStringGetTextDatum(c->step);
		values[1] = state_array(c->states);
		values[2] = kind_array(c->kinds);
		values[3] = role_array(c->roles);
		values[4] = BoolGetDatum(c->needs_reason);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* capa_state_ended(state capa_state) RETURNS boolean */
Datum
capa_state_ended(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(capa_rules_frozen((CapaState) PG_GETARG_INT16(0)));
}

/* capa_state_actions_open(state capa_state) RETURNS boolean */
Datum
capa_state_actions_open(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(capa_rules_actions_open((CapaState) PG_GETARG_INT16(0)));
}

/* capa_state_open(state capa_state) RETURNS boolean */
Datum
capa_state_open(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(capa_rules_open((CapaState) PG_GETARG_INT16(0)));
}

/* The kind named by a text argument, or an error naming the accepted ones */
static CapaKind
kind_arg(const char *fn, text *arg)
{
	int			kind = capa_label_parse(&capa_kind_labels, VARDATA_ANY(arg),
										VARSIZE_ANY_EXHDR(arg));

	if (kind == CAPA_KIND_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: invalid capa kind: \"%s\"", fn, text_to_cstring(arg)),
				 errhint("Accepted kinds: %s.", capa_kind_labels.accepted)));
	return (CapaKind) kind;
}

/*
 * The step named by a text argument: one of the API steps of the edges (a
 * misspelt step would otherwise read as "no kind has it")
 */
static char *
step_arg(const char *fn, text *arg)
{
	char	   *step = text_to_cstring(arg);

	if (!capa_rules_step_known(step))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: no lifecycle step is called \"%s\"", fn, step),
				 errhint("The steps are those of capa.capa_lifecycle().")));
	return step;
}

/*
 * The facts are not STRICT (no lifecycle function is, test/pgtap/40_hostile):
 * NULL in, NULL out, said here
 */
static bool
any_null(FunctionCallInfo fcinfo, int nargs)
{
	int			i;

	for (i = 0; i < nargs; i++)
	{
		if (PG_ARGISNULL(i))
			return true;
	}
	return false;
}

/* The due date named by a text, compared in place (no copy), or -1 */
static int
due_of(text *name)
{
	size_t		len = VARSIZE_ANY_EXHDR(name);
	int			d;

	for (d = 0; d < CAPA_DUE_COUNT; d++)
	{
		if (strlen(capa_dues[d].name) == len &&
			memcmp(capa_dues[d].name, VARDATA_ANY(name), len) == 0)
			return d;
	}
	return -1;
}

/*
 * capa_due_applies(due text, state capa_state) RETURNS boolean.  Called
 * per row by the KPI views and partial index predicates: the name is
 * compared in place, without a copy.
 */
Datum
capa_due_applies(PG_FUNCTION_ARGS)
{
	text	   *due;
	int			d;

	if (any_null(fcinfo, 2))
		PG_RETURN_NULL();
	due = PG_GETARG_TEXT_PP(0);
	d = due_of(due);
	if (d >= 0)
		PG_RETURN_BOOL(capa_rules_due_watched((CapaDue) d, (CapaState) PG_GETARG_INT16(1)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("capa_due_applies: no due date is called \"%s\"", text_to_cstring(due)),
			 errhint("The due dates are contain, close and effectiveness.")));
	PG_RETURN_NULL();			/* not reached */
}

/*
 * capa_overdue(state capa_state, contain_due timestamptz, close_due
 * timestamptz, effectiveness_due timestamptz, at timestamptz) RETURNS
 * boolean: past one of the due dates that is due in state (a NULL due date
 * is never past; NULL only for a NULL state or at).  The arguments are the
 * due dates in capa_dues' order.  One call per row where the KPI views
 * would otherwise ask capa_due_applies three times.
 */
Datum
capa_overdue(PG_FUNCTION_ARGS)
{
	CapaState	state;
	TimestampTz at;
	int			d;

	StaticAssertStmt(CAPA_DUE_CONTAIN == 0 && CAPA_DUE_CLOSE == 1 &&
					 CAPA_DUE_EFFECTIVENESS == 2 && CAPA_DUE_COUNT == 3,
					 "capa_overdue's arguments follow capa_dues");
	if (PG_ARGISNULL(0) || PG_ARGISNULL(4))
		PG_RETURN_NULL();
	state = (CapaState) PG_GETARG_INT16(0);
	at = PG_GETARG_TIMESTAMPTZ(4);
	for (d = 0; d < CAPA_DUE_COUNT; d++)
	{
		/* timestamptz_lt: the int64 order, infinities included */
		if (!PG_ARGISNULL(1 + d) && PG_GETARG_TIMESTAMPTZ(1 + d) < at &&
			capa_rules_due_watched((CapaDue) d, state))
			PG_RETURN_BOOL(true);
	}
	PG_RETURN_BOOL(false);
}

/* capa_kind_has_step(kind text, step text) RETURNS boolean */
Datum
capa_kind_has_step(PG_FUNCTION_ARGS)
{
	CapaKind	kind;
	char	   *step;

	if (any_null(fcinfo, 2))
		PG_RETURN_NULL();
	kind = kind_arg("capa_kind_has_step", PG_GETARG_TEXT_PP(0));
	step = step_arg("capa_kind_has_step", PG_GETARG_TEXT_PP(1));

	PG_RETURN_BOOL(capa_rules_kind_has_step(kind, step));
}

/*
 * capa_step_requires(kind text, step text) RETURNS text[]: the evidence
 * columns, in the register's order of capa_fields; NULL when the kind's
 * path has no such step
 */
Datum
capa_step_requires(PG_FUNCTION_ARGS)
{
	CapaKind	kind;
	char	   *step;
	bool		found;
	uint32_t	required;

	if (any_null(fcinfo, 2))
		PG_RETURN_NULL();
	kind = kind_arg("capa_step_requires", PG_GETARG_TEXT_PP(0));
	step = step_arg("capa_step_requires", PG_GETARG_TEXT_PP(1));
	required = capa_rules_step_requires(kind, step, &found);

	if (!found)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(field_array(required));
}

/*
 * capa_facts_support(internal) RETURNS internal: the planner support
 * function of capa_state_open(state) and capa_due_applies('<due>', state).
 * Their selectivity is the share of rows whose state the fact holds for:
 * the sum of the frequencies the statistics of the state column give each
 * such state.  Without it the planner takes a third of the rows for any
 * function in a WHERE clause, where the state < 'closed' the facts replace
 * was estimated from the statistics; the overestimate made it choose
 * parallel plans for a few thousand open records of a large register.
 * No estimate (the planner's default) for anything else: a due date that
 * is not a constant, an expression without statistics, a join.
 */
Datum
capa_facts_support(PG_FUNCTION_ARGS)
{
	Node	   *rawreq = (Node *) PG_GETARG_POINTER(0);
	SupportRequestSelectivity *req;
	Node	   *state_arg;
	int			due = -1;
	VariableStatData vardata;
	TypeCacheEntry *tce;
	Selectivity selec = 0;
	int			s;

	if (!IsA(rawreq, SupportRequestSelectivity))
		PG_RETURN_POINTER(NULL);
	req = (SupportRequestSelectivity *) rawreq;
	if (req->is_join)
		PG_RETURN_POINTER(NULL);
	if (list_length(req->args) == 1)
		state_arg = (Node *) linitial(req->args);
	else if (list_length(req->args) == 2)
	{
		Const	   *name = (Const *) linitial(req->args);

		if (!IsA(name, Const) || name->constisnull || name->consttype != TEXTOID)
			PG_RETURN_POINTER(NULL);
		due = due_of(DatumGetTextPP(name->constvalue));
		if (due < 0)
			PG_RETURN_POINTER(NULL);
		state_arg = (Node *) lsecond(req->args);
	}
	else
		PG_RETURN_POINTER(NULL);

	tce = lookup_type_cache(exprType(state_arg), TYPECACHE_EQ_OPR);
	if (!OidIsValid(tce->eq_opr))
		PG_RETURN_POINTER(NULL);
	examine_variable(req->root, state_arg, req->varRelid, &vardata);
	if (!HeapTupleIsValid(vardata.statsTuple))
	{
		ReleaseVariableStats(vardata);
		PG_RETURN_POINTER(NULL);
	}
	for (s = 1; s <= CAPA_STATE_MAX; s++)
	{
		bool		holds = due < 0 ? capa_rules_open((CapaState) s) :
			capa_rules_due_watched((CapaDue) due, (CapaState) s);

		if (holds)
			selec += var_eq_const(&vardata, tce->eq_opr, InvalidOid, Int16GetDatum((int16) s),
								  false, true, false);
	}
	ReleaseVariableStats(vardata);
	CLAMP_PROBABILITY(selec);
	req->selectivity = selec;
	PG_RETURN_POINTER(req);
}
