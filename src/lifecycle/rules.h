/*-------------------------------------------------------------------------
 *
 * rules.h
 *	  The lifecycle rules of capa as data: which kind may move from which
 *	  state to which, and what each step needs and does.
 *
 * Pure C (no PostgreSQL headers).  The triggers, capa_next_states() and
 * the tests read these tables, README.md ("Lifecycle") and
 * docs/reference.md ("Lifecycle rules") describe them; nothing else knows
 * the rules.
 *
 * IDENTIFICATION
 *	  src/lifecycle/rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_RULES_H
#define CAPA_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "types/labels.h"

/* Evidence columns of the register: each belongs to the steps that set it */
typedef enum CapaField
{
	CAPA_F_CONTAINMENT,
	CAPA_F_CONSEQUENCES,
	CAPA_F_ROOT_CAUSE,
	CAPA_F_RCA_METHOD,
	CAPA_F_EXTENT_OF_CONDITION,
	CAPA_F_CAUSE_CATEGORY,
	CAPA_F_WHY_CHAIN,
	CAPA_F_RELATED,
	CAPA_F_ACTION_REQUIRED,
	CAPA_F_NO_ACTION_JUSTIFICATION,
	CAPA_F_EFFECTIVE,
	CAPA_F_VERIFICATION_EVIDENCE,
	CAPA_F_ISMS_CHANGES,
	CAPA_F_CANCEL_REASON,
	CAPA_F_REOPEN_REASON,
	CAPA_FIELD_COUNT
} CapaField;

#define CAPA_BIT(f) (UINT32_C(1) << (f))

/* How a required evidence column is judged present */
typedef enum CapaFieldShape
{
	CAPA_SHAPE_TEXT,			/* not NULL and not blank */
	CAPA_SHAPE_BOOL,			/* not NULL (and see must_be_true/false) */
	CAPA_SHAPE_VALUE			/* not NULL */
} CapaFieldShape;

typedef struct CapaFieldInfo
{
	const char *column;			/* column of capa.register */
	CapaFieldShape shape;		/* how presence is judged */
} CapaFieldInfo;

/* Step stamps: each names a pair of columns <name>_at and <name>_by */
typedef enum CapaStamp
{
	CAPA_STAMP_NONE,
	CAPA_STAMP_OPENED,
	CAPA_STAMP_CONTAINED,
	CAPA_STAMP_ANALYSED,
	CAPA_STAMP_PLANNED,
	CAPA_STAMP_IMPLEMENTED,
	CAPA_STAMP_VERIFIED,
	CAPA_STAMP_CLOSED,
	CAPA_STAMP_CANCELLED,
	CAPA_STAMP_REOPENED,
	CAPA_STAMP_COUNT
} CapaStamp;

/* Conditions a step checks beyond its own columns */
#define CAPA_COND_HAS_ACTIONS	0x01	/* at least one action item */
#define CAPA_COND_ACTIONS_DONE	0x02	/* every action item done */
#define CAPA_COND_SEGREGATION	0x04	/* actor owns neither record nor actions */
#define CAPA_COND_FRESH_ACTION	0x08	/* an action item was completed since the
										 * last verification */
#define CAPA_COND_WINDOW		0x20	/* the effectiveness window is over (or
										 * waived): effectiveness_from passed */
#define CAPA_COND_ANALYSIS_REOPENED 0x10	/* the record's analysis was sent
											 * back (its root cause is cleared):
											 * for an edge from a state to itself */

/* Counters a step increments */
typedef enum CapaCounter
{
	CAPA_COUNTER_NONE,
	CAPA_COUNTER_REOPEN,		/* reopen_count */
	CAPA_COUNTER_INEFFECTIVE,	/* ineffective_count */
	CAPA_COUNTER_RESCHEDULE,	/* reschedule_count (0.3.0) */
	CAPA_COUNTER_REASSIGN,		/* reassign_count (0.3.0) */
	CAPA_COUNTER_REANALYSE		/* reanalyse_count (0.3.0) */
} CapaCounter;

/*
 * Who may take an edge or make a governed change, beyond the privilege to
 * run its statement (EXECUTE on the function, or UPDATE on the table).
 * Any bit that matches admits the actor; 0 admits anybody who may run it.
 */
#define CAPA_ROLE_ADMIN		0x01	/* a member of capa_admin */
#define CAPA_ROLE_OWNER		0x02	/* a member of capa_editor acting for the
									 * record's owner (or the item's owner):
									 * the owner names the acting role or a
									 * role it has the privileges of */
#define CAPA_ROLE_VERIFIER	0x04	/* a member of capa_verifier, judged by
									 * segregation of duties */

#define CAPA_STATE_BIT(s)	(1u << (s))

#define CAPA_KIND_BIT(k)	(1u << (k))
#define CAPA_KINDS_ALL \
	(CAPA_KIND_BIT(CAPA_KIND_CORRECTIVE) | CAPA_KIND_BIT(CAPA_KIND_PREVENTIVE) | \
	 CAPA_KIND_BIT(CAPA_KIND_IMPROVEMENT))

/* One allowed transition */
typedef struct CapaEdge
{
	unsigned	kinds;			/* CAPA_KIND_BIT set of kinds it applies to */
	CapaState	from;
	CapaState	to;
	const char *step;			/* the API step, capa_<step>() */
	CapaStamp	stamp;			/* step columns set to now() and the actor */
	uint32_t	required;		/* evidence fields that must be present */
	uint32_t	must_be_true;	/* boolean fields that must be true */
	uint32_t	must_be_false;	/* boolean fields that must be false */
	uint32_t	optional;		/* further fields the step may set */
	uint32_t	checks;			/* required fields an earlier step recorded:
								 * checked here, never written here */
	unsigned	conditions;		/* CAPA_COND_* */
	CapaCounter counter;		/* counter incremented */
	CapaCounter counter2;		/* a second one (an ineffective verification
								 * that sends the record back to analysis) */
	uint32_t	clears;			/* evidence fields reset to NULL */
	uint32_t	clears_stamps;	/* CAPA_BIT(stamp) set reset to NULL */
	bool		sets_effectiveness_due; /* effectiveness check due from now */
	unsigned	roles;			/* CAPA_ROLE_* that may take it; 0: any */
	bool		needs_reason;	/* a reason, as for a governed change */
} CapaEdge;

/*
 * Governed changes: what changes a record or an action item without a
 * step of its path.  Each needs a non-blank reason (the function's
 * argument, or the setting capa.reason for a plain UPDATE), is audited as
 * its own step with the reason and the values it replaced, and is allowed
 * in the states and to the roles its line says.
 */
typedef enum CapaChangeKind
{
	CAPA_CHANGE_REASSIGN,		/* the record's owner */
	CAPA_CHANGE_RESCHEDULE,		/* a due date of the record */
	CAPA_CHANGE_AMEND,			/* title, description, recorded evidence */
	CAPA_CHANGE_EDIT,			/* severity, priority, source, org unit */
	CAPA_CHANGE_REASSIGN_ACTION,	/* an action item's owner */
	CAPA_CHANGE_RESCHEDULE_ACTION,	/* an action item's due date */
	CAPA_CHANGE_EDIT_ACTION,	/* an action item's description */
	CAPA_CHANGE_CANCEL_ACTION,	/* an action item is not done any more */
	CAPA_CHANGE_EXTENT_FOUND,	/* what the extent-of-condition check found */
	CAPA_CHANGE_WAIVE_WINDOW,	/* the effectiveness window shortened */
	CAPA_CHANGE_COUNT
} CapaChangeKind;

typedef struct CapaChange
{
	const char *step;			/* the audit step, capa_<step>() if any */
	unsigned	states;			/* CAPA_STATE_BIT set of the record's states */
	unsigned	roles;			/* CAPA_ROLE_* */
	CapaCounter counter;		/* counter of the record incremented */
	unsigned	kinds;			/* CAPA_KIND_BIT set it applies to */
	bool		needs_reason;	/* false: the new value is its own account */
} CapaChange;

extern const CapaChange capa_changes[CAPA_CHANGE_COUNT];

/* The due dates of a record, and where each may be moved */
typedef enum CapaDue
{
	CAPA_DUE_CONTAIN,
	CAPA_DUE_CLOSE,
	CAPA_DUE_EFFECTIVENESS,
	CAPA_DUE_COUNT
} CapaDue;

typedef struct CapaDueInfo
{
	const char *name;			/* capa_reschedule's due_kind */
	const char *column;			/* <name>_due */
	const char *original;		/* original_<name>_due: the first one */
	unsigned	kinds;			/* CAPA_KIND_BIT set that have it */
	unsigned	states;			/* CAPA_STATE_BIT set where it is due: it
								 * may be overdue (the KPIs, escalation)
								 * and may be moved */
} CapaDueInfo;

extern const CapaDueInfo capa_dues[CAPA_DUE_COUNT];

/* The due kind named name, or -1 */
extern int	capa_rules_due_kind(const char *name);

/*
 * Evidence fields capa_amend() may correct in state (those of the steps a
 * record in that state has taken; a field is corrected only where a value
 * was recorded)
 */
extern uint32_t capa_rules_amendable(CapaState state);

/* The evidence field with this column name, or -1 */
extern int	capa_rules_field(const char *column);

/* Amended by the verifier (segregation of duties applies), or an admin */
#define CAPA_AMEND_VERIFIER_FIELDS CAPA_BIT(CAPA_F_VERIFICATION_EVIDENCE)

/* Who may amend these fields (CAPA_ROLE_*) */
extern unsigned capa_rules_amend_roles(uint32_t fields);

extern const CapaFieldInfo capa_fields[CAPA_FIELD_COUNT];
extern const char *const capa_stamp_names[CAPA_STAMP_COUNT];
extern const CapaEdge capa_edges[];
extern const int capa_edge_count;

/* The state every record starts in */
#define CAPA_INITIAL_STATE CAPA_STATE_OPEN

/* The edge kind may take from -> to, or NULL */
extern const CapaEdge *capa_rules_find(CapaKind kind, CapaState from, CapaState to);

/* Fills out[] with the states kind may reach from `from`; returns count */
extern int	capa_rules_next(CapaKind kind, CapaState from, CapaState *out, int max);

/*
 * The state a step leads to: for "verify", the effective outcome or not;
 * CAPA_STATE_INVALID for an unknown step
 */
extern CapaState capa_rules_step_target(const char *step, bool effective);

/* Closed and cancelled records are immutable except for their exits */
extern bool capa_rules_frozen(CapaState state);

/* Action items may be added, edited or completed in this state */
extern bool capa_rules_actions_open(CapaState state);

/*
 * The record is being worked: not ended (closed or cancelled).  What the
 * KPIs count as open, and what escalation and the review snapshot list.
 */
extern bool capa_rules_open(CapaState state);

/*
 * The stamp of the step that ended a record in state (its <stamp>_at is
 * when it ended), or CAPA_STAMP_NONE while it has not ended
 */
extern CapaStamp capa_rules_end_stamp(CapaState state);

/*
 * Due date due is watched in state: a record in state is overdue when it
 * is past it (capa_dues[due].states)
 */
extern bool capa_rules_due_watched(CapaDue due, CapaState state);

/* Some edge of kind's path is the API step `step` */
extern bool capa_rules_kind_has_step(CapaKind kind, const char *step);

/*
 * The evidence fields every edge of kind's path with API step `step`
 * requires (what the step always needs, whichever state it starts from);
 * *found false (and 0) when kind's path has no such step
 */
extern uint32_t capa_rules_step_requires(CapaKind kind, const char *step, bool *found);

/* Some edge of any kind's path is the API step `step` */
extern bool capa_rules_step_known(const char *step);

/* Evidence fields a statement may change: those of its step (none if NULL) */
extern uint32_t capa_rules_step_fields(const CapaEdge *edge);

/*
 * The finding's facts (0.5.0): when it was found, the requirement not met,
 * its grade (a code of capa.grade, apart from the severity) and what was
 * seen.  Given at opening (detected_at defaults to it and is never later),
 * corrected only by capa_amend (a governed change with a reason) while the
 * record is worked, never by a step: they describe the finding, they are
 * not a step's evidence.  Columns after chain_head, as rules.c names them.
 */
typedef enum CapaFact
{
	CAPA_FACT_DETECTED_AT,
	CAPA_FACT_REQUIREMENT,
	CAPA_FACT_GRADE,
	CAPA_FACT_OBJECTIVE_EVIDENCE,
	CAPA_FACT_COUNT
} CapaFact;

extern const char *const capa_fact_columns[CAPA_FACT_COUNT];

/* The fact with this column name, or -1 */
extern int	capa_rules_fact(const char *column);

/*
 * A record of this kind may have no severity (an improvement, 0.5.0): it
 * then gets no due date from the severity policy, only those it is given
 */
extern bool capa_rules_severity_optional(CapaKind kind);

#endif							/* CAPA_RULES_H */
