/*-------------------------------------------------------------------------
 *
 * evidence_step.h
 *	  A step of a record that changes none of its columns but goes into its
 *	  hash chain: attaching evidence, withdrawing it (api/attach.c).  The
 *	  function names the step and its "changed" document, then updates the
 *	  record's row with a statement that sets nothing; the register trigger
 *	  hands that row here, which writes the audit row and moves the chain
 *	  head, as for any step.
 *
 * IDENTIFICATION
 *	  src/lifecycle/evidence_step.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_EVIDENCE_STEP_H
#define CAPA_EVIDENCE_STEP_H

#include "postgres.h"

#include "access/htup.h"
#include "utils/relcache.h"

typedef struct CapaEvidenceStep
{
	Datum		capa_id;		/* the record whose row the statement updates */
	const char *step;			/* the audit step: attach, withdraw_attachment */
	Datum		changed;		/* its "changed" jsonb */
	bool		done;			/* set once the audit row is written */
	int64		seq;			/* that audit row's seq */
} CapaEvidenceStep;

/* The step being taken, set by its function around its statement only */
extern CapaEvidenceStep *capa_evidence_step;

/*
 * For the register trigger, on an UPDATE of a row it may act on: if it is
 * the row of the evidence step being taken, write the step's audit row and
 * return the row with its chain advanced (built in result_cxt); NULL if it
 * is any other change, which the trigger judges as usual.
 */
extern HeapTuple capa_evidence_step_row(Relation rel, HeapTuple oldtup, HeapTuple newtup,
										Oid actor, MemoryContext result_cxt);

#endif							/* CAPA_EVIDENCE_STEP_H */
