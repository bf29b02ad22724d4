/*-------------------------------------------------------------------------
 *
 * actor.h
 *	  Who acts, and what the API asked for.
 *
 * capa's SQL functions run their writes as the owner of capa's tables (as
 * SECURITY DEFINER would) but record the caller: the effective role when
 * the function was called (so SET ROLE from a pooled login is honoured),
 * plus the application's end-user claim from capa.app_user.  A plain
 * UPDATE by a privileged role records that role.
 *
 * IDENTIFICATION
 *	  src/common/actor.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_ACTOR_H
#define CAPA_ACTOR_H

#include "postgres.h"

#include "types/labels.h"

/* What a capa_*() function asked the triggers to do, for one statement */
typedef struct CapaRequest
{
	bool		active;			/* a capa_*() call is running its statement */
	Oid			caller;			/* effective role of the caller */
	CapaState	target;			/* requested transition, or INVALID */
	bool		complete_action;	/* capa_complete_action() */
	bool		import;			/* capa_import() is inserting a row (import.h) */
	bool		change;			/* a governed change (capa_reassign, ...):
								 * changing nothing is refused */
	const char *reason;			/* its reason, instead of capa.reason */
	const char *step;			/* the step asked for, where its target
								 * state alone does not name it, or NULL */
} CapaRequest;

/* The request of the running capa_*() call (active = false if none) */
extern CapaRequest capa_request;

/* The role acting now: the API caller, or the current user */
extern Oid	capa_actor(void);

/* The application's end-user claim (capa.app_user), or NULL if unset */
extern char *capa_app_user(void);

/* Switch to the owner of capa's tables; returns what to restore */
extern void capa_become_owner(Oid owner, Oid *saved_user, int *saved_sec);
extern void capa_restore_user(Oid saved_user, int saved_sec);

#endif							/* CAPA_ACTOR_H */
