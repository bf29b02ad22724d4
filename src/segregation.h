/*-------------------------------------------------------------------------
 *
 * segregation.h
 *	  Segregation of duties: who is judged, and how names are compared.
 *
 * The person who verifies effectiveness may not own the record or any of
 * its action items, nor have completed one of its action items or
 * implemented it (0.3.0).  "Who verifies" is every identity the verifying
 * session speaks for, so that none of them can be swapped for another to
 * get past the check:
 *	  - the effective role (the caller of the capa function);
 *	  - the session's login role (session_user): SET ROLE cannot change it,
 *		only a superuser's SET SESSION AUTHORIZATION can;
 *	  - the application's end-user claim capa.app_user, if set.
 * Any of them equal to an owner refuses the step (42501).  Names are
 * compared in one place, capa_sod_same_name(), which every check (the
 * register trigger, capa_import) goes through.
 *
 * IDENTIFICATION
 *	  src/segregation.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_SEGREGATION_H
#define CAPA_SEGREGATION_H

#include "postgres.h"

#define CAPA_SOD_MAX_IDENTITIES 3

/* Which identity of the session a name is */
typedef enum CapaSodKind
{
	CAPA_SOD_ROLE,				/* the effective role */
	CAPA_SOD_SESSION_USER,		/* the login role, session_user */
	CAPA_SOD_APP_USER,			/* the capa.app_user claim */
	CAPA_SOD_RECORDED			/* a name recorded by a step (capa_import) */
} CapaSodKind;

typedef struct CapaSodIdentities
{
	int			n;
	const char *name[CAPA_SOD_MAX_IDENTITIES];
	CapaSodKind kind[CAPA_SOD_MAX_IDENTITIES];
} CapaSodIdentities;

/* The identities of the session acting as role actor, duplicates left out */
extern void capa_sod_session_identities(Oid actor, CapaSodIdentities *ids);

/* One name alone (the verified_by a source records, for capa_import) */
extern void capa_sod_recorded_identity(const char *name, CapaSodIdentities *ids);

/*
 * Two names denote the same identity: equal once blanks at either end are
 * dropped and case is folded (0.3.0; exact before)
 */
extern bool capa_sod_same_name(const char *a, const char *b);

/*
 * The index of the first identity that did the work (completed an action
 * item, implemented the record), or -1; a superuser role is not judged by
 * this rule
 */
extern int	capa_sod_match_worker(const CapaSodIdentities *ids, const char *worker);

/* The index of the first identity that is owner, or -1 */
extern int	capa_sod_match(const CapaSodIdentities *ids, const char *owner);

/*
 * role acts for owner: owner names role, or a role whose privileges role
 * has (a group it belongs to).  Claims (capa.app_user) never give a right.
 */
extern bool capa_sod_acts_for(Oid role, const char *owner);

/*
 * 42704 unless owner names an existing role (exactly) or is an application
 * identity (user@domain, as capa.app_user names the end user), when the
 * policy does not allow free-text owners; what names the row for the message
 */
extern void capa_sod_require_identity(const char *owner, bool free_text, const char *what);

/* "the effective role", "the session's login role (session_user)", ... */
extern const char *capa_sod_kind_text(CapaSodKind kind);

#endif							/* CAPA_SEGREGATION_H */
