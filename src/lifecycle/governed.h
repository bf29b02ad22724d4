/*-------------------------------------------------------------------------
 *
 * governed.h
 *	  Governed changes of a record or an action item (rules.c's
 *	  capa_changes): their reason and who may make them.
 *
 * IDENTIFICATION
 *	  src/lifecycle/governed.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_GOVERNED_H
#define CAPA_GOVERNED_H

#include "postgres.h"

#include "lifecycle/segregation.h"

/*
 * The reason of the change being judged: the function's argument, or for a
 * plain UPDATE the setting capa.reason.  22023 if missing or blank.
 */
extern const char *capa_governed_reason(const char *step);

/*
 * 42501 unless actor may take a step or change with these CAPA_ROLE_*
 * bits: capa_admin, or a capa_editor acting for owner or other_owner
 * (either may be NULL), or a capa_verifier (the caller then judges
 * segregation of duties).  what names the step for the message.
 */
extern void capa_governed_permit(unsigned roles, Oid actor, const CapaOwner *owner,
								 const CapaOwner *other_owner, const char *what,
								 const char *object);

/* actor is a member of capa_verifier and roles admit verifiers */
extern bool capa_governed_as_verifier(unsigned roles, Oid actor);

#endif							/* CAPA_GOVERNED_H */
