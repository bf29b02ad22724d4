/*-------------------------------------------------------------------------
 *
 * subxact.h
 *	  Running a piece of work in a subtransaction of its own, as a PL/pgSQL
 *	  exception block does, and catching the errors the caller expects.
 *
 * IDENTIFICATION
 *	  src/common/subxact.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_SUBXACT_H
#define CAPA_SUBXACT_H

#include "postgres.h"

typedef void (*CapaSubxactFn) (void *arg);
typedef bool (*CapaSubxactAccept) (int sqlerrcode);

/*
 * Run fn(arg) in a subtransaction.  When fn returns, the subtransaction is
 * committed if keep, rolled back otherwise, and NULL is returned.  When fn
 * raises an error, the subtransaction is rolled back (which also restores
 * the user, the security context and the settings); the error is returned
 * (copied into the caller's memory context) if accept(its SQLSTATE), and
 * raised again otherwise.  fn allocates in the caller's memory context.
 */
extern ErrorData *capa_subxact_run(CapaSubxactFn fn, void *arg, bool keep,
								   CapaSubxactAccept accept);

#endif							/* CAPA_SUBXACT_H */
