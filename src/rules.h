/*-------------------------------------------------------------------------
 *
 * rules.h
 *	  The lifecycle rules of capa as data: which kind may move from which
 *	  state to which, and what each step needs and does.
 *
 * Pure C (no PostgreSQL headers).  The triggers, capa_next_states(), the
 * README and the tests all read these tables; nothing else knows the rules.
 *
 * IDENTIFICATION
 *	  src/rules.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_RULES_H
#define CAPA_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "labels.h"

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

/* Counters a step increments */
typedef enum CapaCounter
{
	CAPA_COUNTER_NONE,
	CAPA_COUNTER_REOPEN,		/* reopen_count */
	CAPA_COUNTER_INEFFECTIVE	/* ineffective_count */
} CapaCounter;

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
	uint32_t	clears;			/* evidence fields reset to NULL */
	uint32_t	clears_stamps;	/* CAPA_BIT(stamp) set reset to NULL */
	bool		sets_effectiveness_due; /* effectiveness check due from now */
} CapaEdge;

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

/* Evidence fields a statement may change: those of its step (none if NULL) */
extern uint32_t capa_rules_step_fields(const CapaEdge *edge);

#endif							/* CAPA_RULES_H */
