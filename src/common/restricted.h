/*-------------------------------------------------------------------------
 *
 * restricted.h
 *	  Running code another role defined as that role, restricted.
 *
 * Where capa evaluates what a table's owner defined (its key type's input
 * function and domain checks, its operators, its row-level security and
 * index predicates) for a caller who did not name that table, it does so
 * the way REFRESH MATERIALIZED VIEW, index builds and autovacuum run a
 * table owner's functions: as the owner, under
 * SECURITY_RESTRICTED_OPERATION, with a GUC nest level of its own and
 * search_path = pg_catalog, pg_temp.  The owner's code then has the
 * owner's privileges and no more, and can leave nothing behind that
 * outlives the call: no SET, no temporary object, no cursor, no prepared
 * statement, no listener; capa_run_restricted() also rolls its
 * subtransaction back, so not even the owner's writes outlive it.
 *
 * IDENTIFICATION
 *	  src/common/restricted.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_RESTRICTED_H
#define CAPA_RESTRICTED_H

#include "postgres.h"

/* What capa_restricted_begin() saved, for capa_restricted_end() */
typedef struct CapaRestricted
{
	Oid			saved_user;
	int			saved_sec;
	int			guc_nestlevel;
} CapaRestricted;

/*
 * Become role, restricted, until capa_restricted_end().  An error in
 * between needs no clean-up: the (sub)transaction's abort restores the
 * user, the security context and the settings.
 */
extern void capa_restricted_begin(Oid role, CapaRestricted *state);
extern void capa_restricted_end(CapaRestricted *state);

/*
 * Whether an error raised while another role's code ran is that code's
 * failure on the data it was given (a data exception, a constraint, a
 * refused privilege, a RAISE, ...), which the caller may report and go
 * on; false for what concerns the whole transaction or session (query
 * cancel and statement timeout, serialization failure and deadlock, lock
 * timeout, out of memory, internal and system errors): those propagate.
 */
extern bool capa_restricted_error_is_local(int sqlerrcode);

/*
 * Run fn(arg) as role, restricted, in a subtransaction that is always
 * rolled back.  Returns NULL when fn returned; the message of the error
 * when fn raised one that capa_restricted_error_is_local() accepts; any
 * other error is raised again.  fn allocates in the caller's memory
 * context, so what it puts in arg outlives the subtransaction.
 */
typedef void (*CapaRestrictedFn) (void *arg);
extern char *capa_run_restricted(Oid role, CapaRestrictedFn fn, void *arg);

#endif							/* CAPA_RESTRICTED_H */
