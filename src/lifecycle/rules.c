/*-------------------------------------------------------------------------
 *
 * rules.c
 *	  THE lifecycle table of capa.  Read it top to bottom: one line per
 *	  allowed transition, with what the step needs and what it does.
 *
 *	  corrective:  open -> contained -> analysed -> planned -> implemented
 *	               -> verified -> closed; analysed -> closed when the
 *	               analysis decided no action is needed (justified)
 *	  preventive:  open -> analysed -> planned -> implemented -> verified
 *	               -> closed
 *	  improvement: open -> planned -> implemented -> verified -> closed
 *	  every kind:  implemented -> planned (verification found the action
 *	               ineffective); open/contained/analysed -> cancelled;
 *	  corrective, preventive: implemented -> analysed (ineffective, the
 *	               root cause was wrong) and planned -> analysed (re-analysis
 *	               before implementation, with a reason); the analysis is
 *	               cleared and capa_analyse records the new one;
 *	               planned/implemented -> cancelled (capa_admin only: a
 *	               duplicate found late); closed -> open (reopen, counted)
 *
 *	  Below the edges, the governed changes (reassign, reschedule, amend,
 *	  ...): what may change without a step, where, and by whom.
 *
 * IDENTIFICATION
 *	  src/lifecycle/rules.c
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <string.h>

#include "lifecycle/rules.h"

const CapaFieldInfo capa_fields[CAPA_FIELD_COUNT] = {
	[CAPA_F_CONTAINMENT] = {"containment", CAPA_SHAPE_TEXT},
	[CAPA_F_CONSEQUENCES] = {"consequences", CAPA_SHAPE_TEXT},
	[CAPA_F_ROOT_CAUSE] = {"root_cause", CAPA_SHAPE_TEXT},
	[CAPA_F_RCA_METHOD] = {"rca_method", CAPA_SHAPE_TEXT},
	[CAPA_F_EXTENT_OF_CONDITION] = {"extent_of_condition", CAPA_SHAPE_TEXT},
	[CAPA_F_CAUSE_CATEGORY] = {"cause_category", CAPA_SHAPE_TEXT},
	[CAPA_F_WHY_CHAIN] = {"why_chain", CAPA_SHAPE_VALUE},
	[CAPA_F_RELATED] = {"related", CAPA_SHAPE_VALUE},
	[CAPA_F_ACTION_REQUIRED] = {"action_required", CAPA_SHAPE_BOOL},
	[CAPA_F_NO_ACTION_JUSTIFICATION] = {"no_action_justification", CAPA_SHAPE_TEXT},
	[CAPA_F_EFFECTIVE] = {"effective", CAPA_SHAPE_BOOL},
	[CAPA_F_VERIFICATION_EVIDENCE] = {"verification_evidence", CAPA_SHAPE_TEXT},
	[CAPA_F_ISMS_CHANGES] = {"isms_changes", CAPA_SHAPE_TEXT},
	[CAPA_F_CANCEL_REASON] = {"cancel_reason", CAPA_SHAPE_TEXT},
	[CAPA_F_REOPEN_REASON] = {"reopen_reason", CAPA_SHAPE_TEXT},
};

const char *const capa_stamp_names[CAPA_STAMP_COUNT] = {
	[CAPA_STAMP_NONE] = NULL,
	[CAPA_STAMP_OPENED] = "opened",
	[CAPA_STAMP_CONTAINED] = "contained",
	[CAPA_STAMP_ANALYSED] = "analysed",
	[CAPA_STAMP_PLANNED] = "planned",
	[CAPA_STAMP_IMPLEMENTED] = "implemented",
	[CAPA_STAMP_VERIFIED] = "verified",
	[CAPA_STAMP_CLOSED] = "closed",
	[CAPA_STAMP_CANCELLED] = "cancelled",
	[CAPA_STAMP_REOPENED] = "reopened",
};

#define C	CAPA_KIND_BIT(CAPA_KIND_CORRECTIVE)
#define P	CAPA_KIND_BIT(CAPA_KIND_PREVENTIVE)
#define I	CAPA_KIND_BIT(CAPA_KIND_IMPROVEMENT)
#define ALL CAPA_KINDS_ALL
#define F(x) CAPA_BIT(CAPA_F_##x)

/* What an analysis may record besides its required fields */
#define ANALYSIS_EXTRAS \
	(F(CAUSE_CATEGORY) | F(WHY_CHAIN) | F(RELATED) | F(NO_ACTION_JUSTIFICATION))
/* A verification's outcome and evidence */
#define VERIFICATION	(F(EFFECTIVE) | F(VERIFICATION_EVIDENCE))
/* What an analysis decided: cleared when it is sent back (the trail keeps it) */
#define ANALYSIS_RESULT \
	(F(ROOT_CAUSE) | F(RCA_METHOD) | F(EXTENT_OF_CONDITION) | F(CAUSE_CATEGORY) | \
	 F(WHY_CHAIN) | F(ACTION_REQUIRED) | F(NO_ACTION_JUSTIFICATION))

const CapaEdge capa_edges[] = {
	/* 10.2 a: react, control and correct, deal with the consequences */
	{.kinds = C, .from = CAPA_STATE_OPEN, .to = CAPA_STATE_CONTAINED,
		.step = "contain", .stamp = CAPA_STAMP_CONTAINED,
	.required = F(CONTAINMENT) | F(CONSEQUENCES)},

	/* 10.2 b: root cause, extent of condition, and whether action is needed */
	{.kinds = C, .from = CAPA_STATE_CONTAINED, .to = CAPA_STATE_ANALYSED,
		.step = "analyse", .stamp = CAPA_STAMP_ANALYSED,
		.required = F(ROOT_CAUSE) | F(RCA_METHOD) | F(EXTENT_OF_CONDITION) | F(ACTION_REQUIRED),
	.optional = ANALYSIS_EXTRAS},
	{.kinds = P, .from = CAPA_STATE_OPEN, .to = CAPA_STATE_ANALYSED,
		.step = "analyse", .stamp = CAPA_STAMP_ANALYSED,
		.required = F(ROOT_CAUSE) | F(RCA_METHOD) | F(ACTION_REQUIRED),
	.optional = F(EXTENT_OF_CONDITION) | ANALYSIS_EXTRAS},

	/* 10.2 c: plan the actions (improvement: the P of PDCA) */
	{.kinds = C | P, .from = CAPA_STATE_ANALYSED, .to = CAPA_STATE_PLANNED,
		.step = "plan", .stamp = CAPA_STAMP_PLANNED,
		.required = F(ACTION_REQUIRED), .must_be_true = F(ACTION_REQUIRED),
		.checks = F(ACTION_REQUIRED),
	.conditions = CAPA_COND_HAS_ACTIONS},
	{.kinds = I, .from = CAPA_STATE_OPEN, .to = CAPA_STATE_PLANNED,
		.step = "plan", .stamp = CAPA_STAMP_PLANNED,
	.conditions = CAPA_COND_HAS_ACTIONS},

	/*
	 * 10.2 c: every action done (the D of PDCA); after a verification (found
	 * ineffective, or before a reopen) something new must have been done
	 */
	{.kinds = ALL, .from = CAPA_STATE_PLANNED, .to = CAPA_STATE_IMPLEMENTED,
		.step = "implement", .stamp = CAPA_STAMP_IMPLEMENTED,
		.conditions = CAPA_COND_HAS_ACTIONS | CAPA_COND_ACTIONS_DONE | CAPA_COND_FRESH_ACTION,
		.clears = VERIFICATION, .clears_stamps = CAPA_BIT(CAPA_STAMP_VERIFIED),
	.sets_effectiveness_due = true},

	/*
	 * 10.2 d: review effectiveness, by someone other than the owners; found
	 * effective only once the window the severity policy gives has passed
	 * (an ineffective finding may come any time)
	 */
	{.kinds = ALL, .from = CAPA_STATE_IMPLEMENTED, .to = CAPA_STATE_VERIFIED,
		.step = "verify", .stamp = CAPA_STAMP_VERIFIED,
		.required = VERIFICATION, .must_be_true = F(EFFECTIVE),
	.conditions = CAPA_COND_SEGREGATION | CAPA_COND_WINDOW},
	{.kinds = ALL, .from = CAPA_STATE_IMPLEMENTED, .to = CAPA_STATE_PLANNED,
		.step = "verify", .stamp = CAPA_STAMP_VERIFIED,
		.required = VERIFICATION, .must_be_false = F(EFFECTIVE),
	.conditions = CAPA_COND_SEGREGATION, .counter = CAPA_COUNTER_INEFFECTIVE},

	/*
	 * 10.2 b again: the fix was ineffective because the root cause was
	 * wrong (capa_verify(..., reanalyse => true)), or the plan turns out
	 * to rest on a wrong analysis before implementation (capa_reanalyse,
	 * with a reason, by the owner or capa_admin).  The analysis is cleared
	 * and capa_analyse records the new one (the edges below, from analysed
	 * to itself); the old one stays in the trail.
	 */
	{.kinds = C | P, .from = CAPA_STATE_IMPLEMENTED, .to = CAPA_STATE_ANALYSED,
		.step = "verify", .stamp = CAPA_STAMP_VERIFIED,
		.required = VERIFICATION, .must_be_false = F(EFFECTIVE),
		.conditions = CAPA_COND_SEGREGATION, .counter = CAPA_COUNTER_INEFFECTIVE,
	.counter2 = CAPA_COUNTER_REANALYSE, .clears = ANALYSIS_RESULT},
	{.kinds = C | P, .from = CAPA_STATE_PLANNED, .to = CAPA_STATE_ANALYSED,
		.step = "reanalyse", .counter = CAPA_COUNTER_REANALYSE, .clears = ANALYSIS_RESULT,
	.needs_reason = true, .roles = CAPA_ROLE_OWNER | CAPA_ROLE_ADMIN},
	{.kinds = C, .from = CAPA_STATE_ANALYSED, .to = CAPA_STATE_ANALYSED,
		.step = "analyse", .stamp = CAPA_STAMP_ANALYSED,
		.required = F(ROOT_CAUSE) | F(RCA_METHOD) | F(EXTENT_OF_CONDITION) | F(ACTION_REQUIRED),
	.optional = ANALYSIS_EXTRAS, .conditions = CAPA_COND_ANALYSIS_REOPENED},
	{.kinds = P, .from = CAPA_STATE_ANALYSED, .to = CAPA_STATE_ANALYSED,
		.step = "analyse", .stamp = CAPA_STAMP_ANALYSED,
		.required = F(ROOT_CAUSE) | F(RCA_METHOD) | F(ACTION_REQUIRED),
	.optional = F(EXTENT_OF_CONDITION) | ANALYSIS_EXTRAS, .conditions = CAPA_COND_ANALYSIS_REOPENED},

	/* 10.2 e: update the ISMS (or say why not) and close */
	{.kinds = ALL, .from = CAPA_STATE_VERIFIED, .to = CAPA_STATE_CLOSED,
		.step = "close", .stamp = CAPA_STAMP_CLOSED,
	.required = F(ISMS_CHANGES)},
	{.kinds = C, .from = CAPA_STATE_ANALYSED, .to = CAPA_STATE_CLOSED,
		.step = "close", .stamp = CAPA_STAMP_CLOSED,
		.required = F(ISMS_CHANGES) | F(ACTION_REQUIRED) | F(NO_ACTION_JUSTIFICATION),
		.must_be_false = F(ACTION_REQUIRED),
	.checks = F(ACTION_REQUIRED) | F(NO_ACTION_JUSTIFICATION)},

	/* side exits */
	{.kinds = ALL, .from = CAPA_STATE_OPEN, .to = CAPA_STATE_CANCELLED,
		.step = "cancel", .stamp = CAPA_STAMP_CANCELLED,
	.required = F(CANCEL_REASON)},
	{.kinds = C, .from = CAPA_STATE_CONTAINED, .to = CAPA_STATE_CANCELLED,
		.step = "cancel", .stamp = CAPA_STAMP_CANCELLED,
	.required = F(CANCEL_REASON)},
	{.kinds = C | P, .from = CAPA_STATE_ANALYSED, .to = CAPA_STATE_CANCELLED,
		.step = "cancel", .stamp = CAPA_STAMP_CANCELLED,
	.required = F(CANCEL_REASON)},
	/* work already planned or done is thrown away by the ISMS manager only */
	{.kinds = ALL, .from = CAPA_STATE_PLANNED, .to = CAPA_STATE_CANCELLED,
		.step = "cancel", .stamp = CAPA_STAMP_CANCELLED,
	.required = F(CANCEL_REASON), .roles = CAPA_ROLE_ADMIN},
	{.kinds = ALL, .from = CAPA_STATE_IMPLEMENTED, .to = CAPA_STATE_CANCELLED,
		.step = "cancel", .stamp = CAPA_STAMP_CANCELLED,
	.required = F(CANCEL_REASON), .roles = CAPA_ROLE_ADMIN},
	{.kinds = ALL, .from = CAPA_STATE_CLOSED, .to = CAPA_STATE_OPEN,
		.step = "reopen", .stamp = CAPA_STAMP_REOPENED,
		.required = F(REOPEN_REASON), .counter = CAPA_COUNTER_REOPEN,
		.clears = VERIFICATION | F(ISMS_CHANGES),
	.clears_stamps = CAPA_BIT(CAPA_STAMP_VERIFIED) | CAPA_BIT(CAPA_STAMP_CLOSED)},
};

const int	capa_edge_count = sizeof(capa_edges) / sizeof(capa_edges[0]);

#define S(x)	CAPA_STATE_BIT(CAPA_STATE_##x)
/* A record being worked: not closed or cancelled */
#define WORKED	(S(OPEN) | S(CONTAINED) | S(ANALYSED) | S(PLANNED) | S(IMPLEMENTED) | S(VERIFIED))
/* Action items change while their record is open through planned */
#define ACTIONS_OPEN	(S(OPEN) | S(CONTAINED) | S(ANALYSED) | S(PLANNED))
#define OWNER_OR_ADMIN	(CAPA_ROLE_OWNER | CAPA_ROLE_ADMIN)

/*
 * Governed changes.  An editor changes what they own or act for (the
 * record's owner; for an action item, the record's or the item's owner);
 * capa_admin changes any record.  Amending the verification evidence is
 * the verifier's (see capa_rules_amend_roles).
 */
const CapaChange capa_changes[CAPA_CHANGE_COUNT] = {
#define CHANGE(kind_, step_, states_, counter_) \
	[kind_] = {.step = step_, .states = states_, .roles = OWNER_OR_ADMIN, \
			   .counter = counter_, .kinds = ALL, .needs_reason = true}
	CHANGE(CAPA_CHANGE_REASSIGN, "reassign", WORKED, CAPA_COUNTER_REASSIGN),
	CHANGE(CAPA_CHANGE_RESCHEDULE, "reschedule", WORKED, CAPA_COUNTER_RESCHEDULE),
	CHANGE(CAPA_CHANGE_AMEND, "amend", WORKED, CAPA_COUNTER_NONE),
	/* severity, priority, source, org unit: no function, UPDATE only */
	CHANGE(CAPA_CHANGE_EDIT, "edit", WORKED, CAPA_COUNTER_NONE),
	CHANGE(CAPA_CHANGE_REASSIGN_ACTION, "reassign_action", ACTIONS_OPEN, CAPA_COUNTER_NONE),
	CHANGE(CAPA_CHANGE_RESCHEDULE_ACTION, "reschedule_action", ACTIONS_OPEN, CAPA_COUNTER_NONE),
	CHANGE(CAPA_CHANGE_EDIT_ACTION, "edit_action", ACTIONS_OPEN, CAPA_COUNTER_NONE),
	CHANGE(CAPA_CHANGE_CANCEL_ACTION, "cancel_action", ACTIONS_OPEN, CAPA_COUNTER_NONE),
#undef CHANGE

	/*
	 * 10.2 b, second part: what the check of other places found, recorded
	 * once known (often by an action item), any time after the analysis
	 * and before the verification; again to complete it.  The finding is
	 * its own account: no reason.
	 */
	[CAPA_CHANGE_EXTENT_FOUND] = {.step = "extent_found",
		.states = S(ANALYSED) | S(PLANNED) | S(IMPLEMENTED), .roles = OWNER_OR_ADMIN,
	.kinds = C | P, .needs_reason = false},

	/*
	 * 10.2 d: the ISMS manager lets one record be verified before its
	 * effectiveness window ends, with a reason (capa_waive_window)
	 */
	[CAPA_CHANGE_WAIVE_WINDOW] = {.step = "waive_window", .states = S(IMPLEMENTED),
	.roles = CAPA_ROLE_ADMIN, .kinds = ALL, .needs_reason = true},
};

/*
 * The due dates: containment is due while a corrective record is open,
 * the effectiveness check while a record is implemented, the close while
 * it is being worked.  A due date is moved only where it is still ahead.
 */
const CapaDueInfo capa_dues[CAPA_DUE_COUNT] = {
	[CAPA_DUE_CONTAIN] = {"contain", "contain_due", "original_contain_due", C, S(OPEN)},
	[CAPA_DUE_CLOSE] = {"close", "close_due", "original_close_due", ALL, WORKED},
	[CAPA_DUE_EFFECTIVENESS] = {"effectiveness", "effectiveness_due",
	"original_effectiveness_due", ALL, S(IMPLEMENTED)},
};

/* What capa_amend() may correct, by state: the evidence of steps taken */
#define CONTAINMENT_TEXT	(F(CONTAINMENT) | F(CONSEQUENCES))
#define ANALYSIS_TEXT \
	(CONTAINMENT_TEXT | F(ROOT_CAUSE) | F(RCA_METHOD) | F(EXTENT_OF_CONDITION) | \
	 F(CAUSE_CATEGORY) | F(WHY_CHAIN) | F(NO_ACTION_JUSTIFICATION))
static const uint32_t amendable[CAPA_STATE_MAX + 1] = {
	[CAPA_STATE_CONTAINED] = CONTAINMENT_TEXT,
	[CAPA_STATE_ANALYSED] = ANALYSIS_TEXT,
	/* planned after an ineffective review keeps that review's evidence */
	[CAPA_STATE_PLANNED] = ANALYSIS_TEXT | F(VERIFICATION_EVIDENCE),
	[CAPA_STATE_IMPLEMENTED] = ANALYSIS_TEXT,
	[CAPA_STATE_VERIFIED] = ANALYSIS_TEXT | F(VERIFICATION_EVIDENCE),
};

uint32_t
capa_rules_amendable(CapaState state)
{
	if ((unsigned) state > CAPA_STATE_MAX)
		return 0;
	return amendable[state];
}

unsigned
capa_rules_amend_roles(uint32_t fields)
{
	/* the verifier's own words: not the owner's to rewrite */
	if (fields & CAPA_AMEND_VERIFIER_FIELDS)
		return CAPA_ROLE_VERIFIER | CAPA_ROLE_ADMIN;
	return capa_changes[CAPA_CHANGE_AMEND].roles;
}

int
capa_rules_due_kind(const char *name)
{
	int			i;

	for (i = 0; i < CAPA_DUE_COUNT; i++)
	{
		if (strcmp(capa_dues[i].name, name) == 0)
			return i;
	}
	return -1;
}

int
capa_rules_field(const char *column)
{
	int			i;

	for (i = 0; i < CAPA_FIELD_COUNT; i++)
	{
		if (strcmp(capa_fields[i].column, column) == 0)
			return i;
	}
	return -1;
}

const CapaEdge *
capa_rules_find(CapaKind kind, CapaState from, CapaState to)
{
	int			i;

	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];

		if (e->from == from && e->to == to && (e->kinds & CAPA_KIND_BIT(kind)))
			return e;
	}
	return NULL;
}

int
capa_rules_next(CapaKind kind, CapaState from, CapaState *out, int max)
{
	int			i;
	int			n = 0;

	for (i = 0; i < capa_edge_count && n < max; i++)
	{
		const CapaEdge *e = &capa_edges[i];

		/* an edge to the same state is a step taken again, not a next state */
		if (e->from == from && e->to != from && (e->kinds & CAPA_KIND_BIT(kind)))
			out[n++] = e->to;
	}
	return n;
}

CapaState
capa_rules_step_target(const char *step, bool effective)
{
	int			i;

	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];
		bool		ineffective_edge = (e->must_be_false & F(EFFECTIVE)) != 0;

		if (strcmp(e->step, step) == 0 && ineffective_edge == !effective)
			return e->to;
	}
	return CAPA_STATE_INVALID;
}

bool
capa_rules_frozen(CapaState state)
{
	return state == CAPA_STATE_CLOSED || state == CAPA_STATE_CANCELLED;
}

bool
capa_rules_actions_open(CapaState state)
{
	return state == CAPA_STATE_OPEN || state == CAPA_STATE_CONTAINED ||
		state == CAPA_STATE_ANALYSED || state == CAPA_STATE_PLANNED;
}

bool
capa_rules_open(CapaState state)
{
	return state >= CAPA_STATE_OPEN && state <= CAPA_STATE_MAX && !capa_rules_frozen(state);
}

CapaStamp
capa_rules_end_stamp(CapaState state)
{
	int			i;

	if (!capa_rules_frozen(state))
		return CAPA_STAMP_NONE;
	/* the stamp of the steps that lead into the ended state */
	for (i = 0; i < capa_edge_count; i++)
	{
		if (capa_edges[i].to == state && capa_edges[i].stamp != CAPA_STAMP_NONE)
			return capa_edges[i].stamp;
	}
	return CAPA_STAMP_NONE;
}

bool
capa_rules_due_watched(CapaDue due, CapaState state)
{
	if ((unsigned) due >= CAPA_DUE_COUNT || (unsigned) state > CAPA_STATE_MAX)
		return false;
	return (capa_dues[due].states & CAPA_STATE_BIT(state)) != 0;
}

bool
capa_rules_kind_has_step(CapaKind kind, const char *step)
{
	bool		found;

	(void) capa_rules_step_requires(kind, step, &found);
	return found;
}

uint32_t
capa_rules_step_requires(CapaKind kind, const char *step, bool *found)
{
	uint32_t	required = ~UINT32_C(0);
	int			i;

	*found = false;
	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];

		if ((e->kinds & CAPA_KIND_BIT(kind)) && strcmp(e->step, step) == 0)
		{
			required &= e->required;
			*found = true;
		}
	}
	return *found ? required : 0;
}

bool
capa_rules_step_known(const char *step)
{
	int			i;

	for (i = 0; i < capa_edge_count; i++)
	{
		if (strcmp(capa_edges[i].step, step) == 0)
			return true;
	}
	return false;
}

uint32_t
capa_rules_step_fields(const CapaEdge *edge)
{
	if (edge == NULL)
		return 0;
	return (edge->required | edge->optional) & ~edge->checks;
}

/*
 * The finding's facts (0.5.0): corrected by capa_amend, as the title and
 * the description are, in the states capa_changes gives amend
 */
const char *const capa_fact_columns[CAPA_FACT_COUNT] = {
	[CAPA_FACT_DETECTED_AT] = "detected_at",
	[CAPA_FACT_REQUIREMENT] = "requirement",
	[CAPA_FACT_GRADE] = "grade",
	[CAPA_FACT_OBJECTIVE_EVIDENCE] = "objective_evidence",
};

int
capa_rules_fact(const char *column)
{
	int			i;

	for (i = 0; i < CAPA_FACT_COUNT; i++)
	{
		if (strcmp(capa_fact_columns[i], column) == 0)
			return i;
	}
	return -1;
}

/* An opportunity has no nonconformity to grade by severity (10.1) */
bool
capa_rules_severity_optional(CapaKind kind)
{
	return kind == CAPA_KIND_IMPROVEMENT;
}
