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
 *	  src/lifecycle/segregation.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_SEGREGATION_H
#define CAPA_SEGREGATION_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "utils/relcache.h"

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
	Oid			role[CAPA_SOD_MAX_IDENTITIES];	/* a role's OID, else InvalidOid */
} CapaSodIdentities;

/*
 * An owner as a record or an action item keeps it (0.3.0): the name as
 * written, and the role it named when it was written (owner_role, bound
 * by the triggers: capa_owner_binding).  A bound owner is that role under
 * any later name; a role dropped since names nobody who may act for it.
 * Unbound (free text, an application identity, or an owner written before
 * 0.3.0 that named no role then): the name alone.
 */
typedef struct CapaOwner
{
	const char *name;
	bool		bound;
	Oid			role;			/* when bound: may no longer exist */
} CapaOwner;

/* The role owner is bound to, or names now; InvalidOid if none */
extern Oid	capa_owner_role(const CapaOwner *owner);

/* owner_role for an owner written now: the role it names exactly, or NULL */
extern Datum capa_owner_binding(const char *owner, bool *isnull);

/*
 * newtup with owner_role as the triggers keep it: bound anew from owner
 * when the row is new (restored rows too: OIDs differ between clusters) or
 * its owner changed (or rebind), else OLD's.  A statement that writes owner_role
 * itself is refused (428C9, as for capa's other maintained columns), but
 * a restored row (it carries a chain head, head_col) brings its dump's.
 */
extern HeapTuple capa_owner_bind(TupleDesc tupdesc, HeapTuple oldtup, HeapTuple newtup,
								 AttrNumber owner_col, AttrNumber role_col,
								 Relation rel, AttrNumber head_col, bool rebind);

/*
 * capa_reassign (step "reassign") or capa_reassign_action is running: a
 * reassignment to the name the row has binds it anew (rebind above), so
 * capa_admin can hand a dropped role's records to a new role of its name
 */
extern bool capa_reassigning(const char *step);

/* A row's owner as segregation.c judges it */
extern void capa_owner_read(TupleDesc tupdesc, HeapTuple tuple, AttrNumber owner_col,
							AttrNumber role_col, CapaOwner *owner);

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

/*
 * The index of the first identity that is owner, or -1: a bound owner is
 * matched by its role's OID (a rename keeps it) and by its name, an
 * unbound one by its name
 */
extern int	capa_sod_match(const CapaSodIdentities *ids, const CapaOwner *owner);

/* The same for a name alone (a verifier's or an owner's recorded name) */
extern int	capa_sod_match_name(const CapaSodIdentities *ids, const char *name);

/*
 * role acts for owner: a bound owner's role is role or a role whose
 * privileges role has (a group it belongs to); an unbound owner's name is
 * role's name exactly, or names such a group.  Claims (capa.app_user)
 * never give a right.
 */
extern bool capa_sod_acts_for(Oid role, const CapaOwner *owner);

/* "alice", or "alice" (now the role "asmith") when the bound role was renamed */
extern char *capa_owner_text(const CapaOwner *owner);

/*
 * 42704 unless owner names an existing role (exactly) or is an application
 * identity (user@domain, as capa.app_user names the end user), or the
 * policy allows free-text owners; what names the row for the message.
 * Runs a query: inside SPI, as capa's owner.
 */
extern void capa_sod_require_identity(const char *owner, const char *what);

/* "the effective role", "the session's login role (session_user)", ... */
extern const char *capa_sod_kind_text(CapaSodKind kind);

#endif							/* CAPA_SEGREGATION_H */
