/*-------------------------------------------------------------------------
 *
 * api.c
 *	  capa's SQL functions: capa_open(), capa_contain(), ... capa_reopen(),
 *	  capa_next_states(), and the governed changes capa_reassign(),
 *	  capa_reassign_action(), capa_reschedule(), capa_reschedule_action(),
 *	  capa_amend(), capa_cancel_action().
 *
 * They are thin on purpose: each runs one prepared statement against
 * capa.register or capa.action, and the triggers decide.  What they add:
 *	  - they run the statement as the owner of capa's tables, so callers
 *		need EXECUTE on the function and no privilege on the tables;
 *	  - they record the caller (the effective role at the call, so SET ROLE
 *		is honoured) as the actor, which SECURITY DEFINER could not;
 *	  - they tell the trigger which step was asked for (its target state
 *		comes from rules.c), so asking for the state a record is already in
 *		is refused instead of ignored.
 * The functions are declared with SET search_path = pg_catalog, pg_temp.
 *
 * IDENTIFICATION
 *	  src/api/api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "common/actor.h"
#include "common/schema_cache.h"
#include "common/text_blank.h"
#include "integration/org_unit.h"
#include "lifecycle/rules.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_open);
PG_FUNCTION_INFO_V1(capa_contain);
PG_FUNCTION_INFO_V1(capa_analyse);
PG_FUNCTION_INFO_V1(capa_add_action);
PG_FUNCTION_INFO_V1(capa_complete_action);
PG_FUNCTION_INFO_V1(capa_plan);
PG_FUNCTION_INFO_V1(capa_implement);
PG_FUNCTION_INFO_V1(capa_verify);
PG_FUNCTION_INFO_V1(capa_close);
PG_FUNCTION_INFO_V1(capa_cancel);
PG_FUNCTION_INFO_V1(capa_reopen);
PG_FUNCTION_INFO_V1(capa_next_states);
PG_FUNCTION_INFO_V1(capa_reassign);
PG_FUNCTION_INFO_V1(capa_reassign_action);
PG_FUNCTION_INFO_V1(capa_reschedule);
PG_FUNCTION_INFO_V1(capa_reschedule_action);
PG_FUNCTION_INFO_V1(capa_amend);
PG_FUNCTION_INFO_V1(capa_cancel_action);
PG_FUNCTION_INFO_V1(capa_reanalyse);
PG_FUNCTION_INFO_V1(capa_extent_found);
PG_FUNCTION_INFO_V1(capa_waive_window);

#define MAX_API_ARGS 16			/* capa_open: 10, and the 4 facts (0.5.0) */

/* Arguments of one API statement */
typedef struct ApiCall
{
	CapaPlanId	plan;
	int			nargs;
	Datum		values[MAX_API_ARGS];
	char		nulls[MAX_API_ARGS];
	CapaState	target;			/* the state asked for, if a transition */
	bool		complete_action;
	bool		change;			/* a governed change (none may be a no-op) */
	const char *reason;			/* a governed change's reason, or NULL */
	const char *step;			/* the step, if the target does not say it */
	const char *sql;			/* instead of plan: a statement built from
								 * rules.c's names only */
	Oid			argtypes[MAX_API_ARGS];	/* of sql's arguments */
} ApiCall;

static void
api_arg(ApiCall *call, Datum value, bool isnull)
{
	Assert(call->nargs < MAX_API_ARGS);
	call->values[call->nargs] = value;
	call->nulls[call->nargs] = isnull ? 'n' : ' ';
	call->nargs++;
}

/* Copy argument argno of the SQL function into the call */
static void
api_fn_arg(ApiCall *call, FunctionCallInfo fcinfo, int argno)
{
	api_arg(call, PG_ARGISNULL(argno) ? (Datum) 0 : PG_GETARG_DATUM(argno),
			PG_ARGISNULL(argno));
}

/* The record reference of argument 0; NULL is refused with 22004 */
static Datum
api_record_arg(FunctionCallInfo fcinfo, const char *funcname)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: the record reference must not be NULL", funcname)));
	return PG_GETARG_DATUM(0);
}

/*
 * An error raised while the call's statement ran carries "SQL statement
 * ..." context lines naming capa's internal statements: noise for the
 * caller, who called a function.  Drop those lines, keep the rest.
 */
static void
rethrow_without_internal_context(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	if (edata->context != NULL)
	{
		StringInfoData kept;
		char	   *line = edata->context;

		initStringInfo(&kept);
		while (line != NULL && *line != '\0')
		{
			char	   *end = strchr(line, '\n');
			int			len = end ? (int) (end - line) : (int) strlen(line);

			if (!(strncmp(line, "SQL statement \"", 15) == 0 &&
				  (strstr(line, " capa.register") != NULL ||
				   strstr(line, " capa.action") != NULL ||
				   strstr(line, " capa.audit") != NULL)))
				appendStringInfo(&kept, "%s%.*s", kept.len ? "\n" : "", len, line);
			line = end ? end + 1 : NULL;
		}
		edata->context = kept.len ? kept.data : NULL;
	}
	ReThrowError(edata);
}

/*
 * Run the call's statement as capa's owner on behalf of the caller.
 * Returns whether a row was affected; *result is its first column (capa's
 * RETURNING columns are all pass-by-value).
 */
static bool
api_execute(ApiCall *call, Datum *result)
{
	CapaSchema *schema = capa_schema();
	CapaRequest saved_request = capa_request;
	Oid			caller = GetUserId();
	Oid			saved_user;
	int			saved_sec;
	bool		found = false;
	Datum		first = (Datum) 0;	/* read only when PG_TRY completed */
	int			rc;
	MemoryContext cxt = CurrentMemoryContext;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	PG_TRY();
	{
		capa_request.active = true;
		capa_request.caller = caller;
		capa_request.target = call->target;
		capa_request.complete_action = call->complete_action;
		/* a call made from code capa_import runs is not one of its rows */
		capa_request.import = false;
		capa_request.change = call->change || call->reason != NULL;
		capa_request.reason = call->reason;
		capa_request.step = call->step;
		if (call->sql)
			rc = SPI_execute_with_args(call->sql, call->nargs, call->argtypes,
									   call->values, call->nulls, false, 0);
		else
			rc = SPI_execute_plan(capa_spi_plan(call->plan), call->values, call->nulls,
								  false, 0);
		if (rc < 0)
			elog(ERROR, "capa: statement returned %s", SPI_result_code_string(rc));
		if (SPI_processed > 0)
		{
			bool		isnull;

			found = true;
			first = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								  1, &isnull);
		}
	}
	PG_CATCH();
	{
		capa_request = saved_request;
		rethrow_without_internal_context(cxt);
	}
	PG_END_TRY();
	capa_request = saved_request;
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	*result = first;
	return found;
}

/* A step of a record that does not exist */
static void
record_not_found(Datum record)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("capa record %s does not exist", capa_ref_cstring(record))));
}

/*
 * Run a transition of record argument 0 and return the new state.
 *
 * Row-level security by org unit first: a record the caller may not see is
 * answered here as one that does not exist, before the statement runs, so
 * that the call neither takes the record's row lock nor waits for a writer
 * of another unit who holds it (a missing record never makes it wait).
 * Nothing a missing reference's answer depends on is left to check: its
 * UPDATE finds no row, whatever the arguments.  The register trigger
 * checks again (a record moved meanwhile, a plain UPDATE).
 */
static Datum
api_transition(ApiCall *call, Datum record)
{
	Datum		state = (Datum) 0;

	if (!capa_record_visible(GetUserId(), record, false, NULL))
		record_not_found(record);
	if (!api_execute(call, &state))
		record_not_found(record);
	return state;
}

static void
api_begin(ApiCall *call, CapaPlanId plan, CapaState target, Datum record)
{
	memset(call, 0, sizeof(*call));
	call->plan = plan;
	call->target = target;
	api_arg(call, record, false);
	if (target != CAPA_STATE_INVALID)
		api_arg(call, Int16GetDatum((int16) target), false);
}

/*
 * capa_open(title, description, severity, source, kind, owner, priority,
 *			 org_unit, contain_due, close_due [, detected_at, requirement,
 *			 grade, objective_evidence]) returns capa_ref.  The four facts
 * (0.5.0) come last, so the ten-argument form of a database not yet
 * updated runs as before.
 */
Datum
capa_open(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = (Datum) 0;
	int			nargs = 10;
	int			i;

	memset(&call, 0, sizeof(call));
	call.plan = PLAN_API_OPEN;
	if (PG_NARGS() >= 10 + CAPA_FACT_COUNT && capa_schema()->facts)
	{
		call.plan = PLAN_API_OPEN_FACTS;
		nargs += CAPA_FACT_COUNT;
	}
	for (i = 0; i < nargs; i++)
		api_fn_arg(&call, fcinfo, i);
	if (!api_execute(&call, &id))
		elog(ERROR, "capa_open: no record was inserted");
	PG_RETURN_DATUM(id);
}

/* capa_contain(id, containment, consequences): 10.2 a */
Datum
capa_contain(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_contain");

	api_begin(&call, PLAN_API_CONTAIN, capa_rules_step_target("contain", true), id);
	api_fn_arg(&call, fcinfo, 1);
	api_fn_arg(&call, fcinfo, 2);
	PG_RETURN_DATUM(api_transition(&call, id));
}

/*
 * capa_analyse(id, root_cause, method, extent_of_condition, cause_category,
 *				action_required, justification, why_chain, related): 10.2 b
 */
Datum
capa_analyse(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_analyse");
	int			i;

	api_begin(&call, PLAN_API_ANALYSE, capa_rules_step_target("analyse", true), id);
	for (i = 1; i <= 8; i++)
		api_fn_arg(&call, fcinfo, i);
	PG_RETURN_DATUM(api_transition(&call, id));
}

/* capa_add_action(id, description, owner, due) returns the action's id */
Datum
capa_add_action(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		action_id = (Datum) 0;
	Datum		id = api_record_arg(fcinfo, "capa_add_action");

	api_begin(&call, PLAN_API_ADD_ACTION, CAPA_STATE_INVALID, id);
	api_fn_arg(&call, fcinfo, 1);
	api_fn_arg(&call, fcinfo, 2);
	api_fn_arg(&call, fcinfo, 3);
	if (!api_execute(&call, &action_id))
		elog(ERROR, "capa_add_action: no action item was inserted");
	PG_RETURN_DATUM(action_id);
}

/* capa_complete_action(action_id, evidence) */
Datum
capa_complete_action(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		ignored;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_complete_action: the action item id must not be NULL")));
	memset(&call, 0, sizeof(call));
	call.plan = PLAN_API_COMPLETE_ACTION;
	call.complete_action = true;
	api_fn_arg(&call, fcinfo, 0);
	api_fn_arg(&call, fcinfo, 1);
	/* as api_transition: an item the caller may not see, before its lock */
	if (!capa_action_visible(GetUserId(), PG_GETARG_INT64(0)) ||
		!api_execute(&call, &ignored))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("capa action item %lld does not exist",
						(long long) PG_GETARG_INT64(0))));
	PG_RETURN_VOID();
}

/* capa_plan(id): the actions are planned */
Datum
capa_plan(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_plan");

	api_begin(&call, PLAN_API_SET_STATE, capa_rules_step_target("plan", true), id);
	PG_RETURN_DATUM(api_transition(&call, id));
}

/* capa_implement(id): every action is done */
Datum
capa_implement(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_implement");

	api_begin(&call, PLAN_API_SET_STATE, capa_rules_step_target("implement", true), id);
	PG_RETURN_DATUM(api_transition(&call, id));
}

/*
 * capa_verify(id, effective, evidence [, reanalyse]): 10.2 d.  Effective
 * moves the record to verified; not effective sends it back to planned for
 * new actions, or with reanalyse => true (0.3.0) back to analysed, when the
 * root cause was wrong.
 */
Datum
capa_verify(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_verify");
	bool		ineffective = !PG_ARGISNULL(1) && !PG_GETARG_BOOL(1);
	bool		reanalyse = PG_NARGS() > 3 && !PG_ARGISNULL(3) && PG_GETARG_BOOL(3);

	if (reanalyse && !ineffective)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_verify: reanalyse => true needs effective => false"),
				 errhint("An effective action needs no new analysis.")));
	api_begin(&call, PLAN_API_VERIFY,
			  reanalyse ? CAPA_STATE_ANALYSED : capa_rules_step_target("verify", !ineffective), id);
	api_fn_arg(&call, fcinfo, 1);
	api_fn_arg(&call, fcinfo, 2);
	PG_RETURN_DATUM(api_transition(&call, id));
}

/* capa_close(id, isms_changes): 10.2 e */
Datum
capa_close(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_close");

	api_begin(&call, PLAN_API_CLOSE, capa_rules_step_target("close", true), id);
	api_fn_arg(&call, fcinfo, 1);
	PG_RETURN_DATUM(api_transition(&call, id));
}

/* capa_cancel(id, reason) */
Datum
capa_cancel(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_cancel");

	api_begin(&call, PLAN_API_CANCEL, capa_rules_step_target("cancel", true), id);
	api_fn_arg(&call, fcinfo, 1);
	PG_RETURN_DATUM(api_transition(&call, id));
}

/* capa_reopen(id, reason): a closed record goes back to open, counted */
Datum
capa_reopen(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_reopen");

	api_begin(&call, PLAN_API_REOPEN, capa_rules_step_target("reopen", true), id);
	api_fn_arg(&call, fcinfo, 1);
	PG_RETURN_DATUM(api_transition(&call, id));
}

/* capa_next_states(id): the states the record's path allows next */
Datum
capa_next_states(PG_FUNCTION_ARGS)
{
	Datum		id = api_record_arg(fcinfo, "capa_next_states");
	CapaSchema *schema = capa_schema();
	CapaState	next[CAPA_STATE_MAX * 2];
	Datum		elems[CAPA_STATE_MAX * 2];
	char	   *kindname;
	int			kind;
	CapaState	state;
	bool		isnull;
	int			n;
	int			i;
	int			rc;
	ArrayType  *result;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	rc = SPI_execute_plan(capa_spi_plan(PLAN_API_KIND_STATE), &id, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: state lookup returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("capa record %s does not exist", capa_ref_cstring(id))));
	kindname = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	kind = capa_label_parse(&capa_kind_labels, kindname, strlen(kindname));
	state = (CapaState) DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0],
													SPI_tuptable->tupdesc, 2, &isnull));
	SPI_finish();

	n = capa_rules_next((CapaKind) kind, state, next, lengthof(next));
	for (i = 0; i < n; i++)
		elems[i] = Int16GetDatum((int16) next[i]);
	result = construct_array(elems, n, schema->state_type, sizeof(int16), true,
							 TYPALIGN_SHORT);
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * Governed changes (rules.c's capa_changes): the triggers judge state,
 * role and value; the function checks its own arguments first (the same
 * answer for a record that is missing and one the caller may not see),
 * then asks as the step functions do.
 */

/* The reason argument: 22023 if NULL or blank */
static const char *
api_reason(FunctionCallInfo fcinfo, int argno, const char *funcname)
{
	text	   *t;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a reason", funcname)));
	t = PG_GETARG_TEXT_PP(argno);
	if (capa_blank_bytes(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a non-blank reason", funcname)));
	return text_to_cstring(t);
}

/* The action item id of argument 0; NULL is refused with 22004 */
static int64
api_action_arg(FunctionCallInfo fcinfo, const char *funcname)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s: the action item id must not be NULL", funcname)));
	return PG_GETARG_INT64(0);
}

/* Run a change of action item id: an item the caller may not see is missing */
static void
api_action_change(ApiCall *call, int64 id)
{
	Datum		ignored;

	if (!capa_action_visible(GetUserId(), id) || !api_execute(call, &ignored))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("capa action item %lld does not exist", (long long) id)));
}

/* capa_reassign(id, owner, reason): the record gets a new owner */
Datum
capa_reassign(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_reassign");
	const char *reason = api_reason(fcinfo, 2, "capa_reassign");

	api_begin(&call, PLAN_API_REASSIGN, CAPA_STATE_INVALID, id);
	api_fn_arg(&call, fcinfo, 1);
	call.reason = reason;
	call.step = capa_changes[CAPA_CHANGE_REASSIGN].step;	/* the same name binds anew */
	api_transition(&call, id);
	PG_RETURN_VOID();
}

/* An action item's change: argument 1 is the new value, 2 the reason */
static void
api_action_call(FunctionCallInfo fcinfo, CapaPlanId plan, const char *funcname,
				int reason_arg)
{
	ApiCall		call;
	int64		id = api_action_arg(fcinfo, funcname);
	const char *reason = api_reason(fcinfo, reason_arg, funcname);

	memset(&call, 0, sizeof(call));
	call.plan = plan;
	api_fn_arg(&call, fcinfo, 0);
	api_fn_arg(&call, fcinfo, 1);
	call.reason = reason;
	if (plan == PLAN_API_REASSIGN_ACTION)
		call.step = capa_changes[CAPA_CHANGE_REASSIGN_ACTION].step;
	api_action_change(&call, id);
}

/* capa_reassign_action(action_id, owner, reason) */
Datum
capa_reassign_action(PG_FUNCTION_ARGS)
{
	api_action_call(fcinfo, PLAN_API_REASSIGN_ACTION, "capa_reassign_action", 2);
	PG_RETURN_VOID();
}

/* capa_reschedule_action(action_id, due, reason) */
Datum
capa_reschedule_action(PG_FUNCTION_ARGS)
{
	api_action_call(fcinfo, PLAN_API_RESCHEDULE_ACTION, "capa_reschedule_action", 2);
	PG_RETURN_VOID();
}

/* capa_cancel_action(action_id, reason): the item is not done any more */
Datum
capa_cancel_action(PG_FUNCTION_ARGS)
{
	api_action_call(fcinfo, PLAN_API_CANCEL_ACTION, "capa_cancel_action", 1);
	PG_RETURN_VOID();
}

/* An UPDATE of one column of the register, named by rules.c's tables */
static void
api_column_update(ApiCall *call, Datum id, const char *column, Oid type,
				  const char *cast, Datum value, bool isnull, const char *reason)
{
	CapaSchema *schema = capa_schema();

	memset(call, 0, sizeof(*call));
	call->sql = psprintf("UPDATE capa.register SET %s = $2%s WHERE id OPERATOR(capa.=) $1 RETURNING state",
						 quote_identifier(column), cast);
	call->argtypes[0] = schema->ref_type;
	call->argtypes[1] = type;
	api_arg(call, id, false);
	api_arg(call, value, isnull);
	call->reason = reason;
	call->change = true;
}

/*
 * capa_reschedule(id, due_kind, due, reason): due_kind is contain, close
 * or effectiveness (rules.c's capa_dues)
 */
Datum
capa_reschedule(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_reschedule");
	const char *reason = api_reason(fcinfo, 3, "capa_reschedule");
	char	   *kind;
	int			due;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_reschedule needs a due_kind"),
				 errhint("due_kind is contain, close or effectiveness.")));
	kind = text_to_cstring(PG_GETARG_TEXT_PP(1));
	due = capa_rules_due_kind(kind);
	if (due < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid due_kind: \"%s\"", kind),
				 errhint("due_kind is contain, close or effectiveness.")));
	api_column_update(&call, id, capa_dues[due].column, TIMESTAMPTZOID, "",
					  PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2), PG_ARGISNULL(2),
					  reason);
	api_transition(&call, id);
	PG_RETURN_VOID();
}

/*
 * capa_amend(id, field, value, reason): corrects the title, description,
 * or the text a step recorded (rules.c: capa_rules_amendable); why_chain
 * is given as an array literal
 */
Datum
capa_amend(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_amend");
	const char *reason = api_reason(fcinfo, 3, "capa_amend");
	uint32		any = 0;
	char	   *field;
	int			f;
	int			fact;
	int			s;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_amend needs a field")));
	field = text_to_cstring(PG_GETARG_TEXT_PP(1));
	for (s = 0; s <= CAPA_STATE_MAX; s++)
		any |= capa_rules_amendable((CapaState) s);
	f = capa_rules_field(field);
	/* the finding's facts (0.5.0), once the database has them */
	fact = capa_schema()->facts ? capa_rules_fact(field) : -1;
	if (strcmp(field, "title") != 0 && strcmp(field, "description") != 0 && fact < 0 &&
		(f < 0 || !(any & CAPA_BIT(f))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_amend cannot correct \"%s\"", field),
				 errhint("It corrects the title, the description, the finding's facts (detected_at, requirement, grade, objective_evidence), or the text of a step already taken: containment, consequences, root_cause, rca_method, extent_of_condition, cause_category, why_chain, no_action_justification, verification_evidence.")));
	api_column_update(&call, id, field, TEXTOID,
					  fact == CAPA_FACT_DETECTED_AT ? "::timestamptz" :
					  f >= 0 && capa_fields[f].shape == CAPA_SHAPE_VALUE ? "::text[]" : "",
					  PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2), PG_ARGISNULL(2),
					  reason);
	api_transition(&call, id);
	PG_RETURN_VOID();
}

/*
 * capa_reanalyse(id, reason): a planned record goes back to analysed before
 * implementation (the plan rests on a wrong analysis); capa_analyse then
 * records the new one.  By the owner or capa_admin (rules.c).
 */
Datum
capa_reanalyse(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_reanalyse");
	const char *reason = api_reason(fcinfo, 1, "capa_reanalyse");

	api_begin(&call, PLAN_API_SET_STATE, capa_rules_step_target("reanalyse", true), id);
	call.reason = reason;
	/* analysed is also where a verification or an analysis leads */
	call.step = "reanalyse";
	PG_RETURN_DATUM(api_transition(&call, id));
}

/*
 * capa_extent_found(id, found): what the check of other places for the same
 * condition found (10.2 b), once known; the analysis recorded what would be
 * checked (extent_of_condition).  A governed change without a reason: the
 * finding is its own account.
 */
Datum
capa_extent_found(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_extent_found");

	/* before the record: NULL would otherwise be a change of nothing */
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("capa_extent_found requires \"found\"")));
	api_column_update(&call, id, "extent_found", TEXTOID, "",
					  PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1), PG_ARGISNULL(1), NULL);
	api_transition(&call, id);
	PG_RETURN_VOID();
}

/*
 * capa_waive_window(id, reason): capa_admin lets one implemented record be
 * verified before its effectiveness window ends: the check may start now
 * (effectiveness_from), audited with the reason
 */
Datum
capa_waive_window(PG_FUNCTION_ARGS)
{
	ApiCall		call;
	Datum		id = api_record_arg(fcinfo, "capa_waive_window");
	const char *reason = api_reason(fcinfo, 1, "capa_waive_window");

	api_column_update(&call, id, "effectiveness_from", TIMESTAMPTZOID, "",
					  TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false, reason);
	api_transition(&call, id);
	PG_RETURN_VOID();
}
