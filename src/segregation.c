/*-------------------------------------------------------------------------
 *
 * segregation.c
 *	  Segregation of duties: the identities a verification is judged by,
 *	  and the one comparison of names (see segregation.h).
 *
 * Why the session user: the functions record the effective role as the
 * actor, so a pooled login that runs SET ROLE alice acts as alice.  But
 * SET ROLE is also open to the owner of a record who is a member of
 * capa_verifier (or of any role): judged by the effective role alone, the
 * owner verified their own record as "capa_verifier".  The login role
 * cannot be changed by SET ROLE, so judging it too closes that, whatever
 * role is set.  A SECURITY DEFINER wrapper is judged by its owner (the
 * effective role) and by the login that called it.
 *
 * IDENTIFICATION
 *	  src/segregation.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/acl.h"

#include "actor.h"
#include "segregation.h"

static void
add_identity(CapaSodIdentities *ids, const char *name, CapaSodKind kind)
{
	int			i;

	if (name == NULL)
		return;
	for (i = 0; i < ids->n; i++)
	{
		if (capa_sod_same_name(ids->name[i], name))
			return;
	}
	Assert(ids->n < CAPA_SOD_MAX_IDENTITIES);
	ids->name[ids->n] = name;
	ids->kind[ids->n] = kind;
	ids->n++;
}

void
capa_sod_session_identities(Oid actor, CapaSodIdentities *ids)
{
	ids->n = 0;
	add_identity(ids, GetUserNameFromId(actor, false), CAPA_SOD_ROLE);
	add_identity(ids, GetUserNameFromId(GetSessionUserId(), false), CAPA_SOD_SESSION_USER);
	add_identity(ids, capa_app_user(), CAPA_SOD_APP_USER);
}

void
capa_sod_recorded_identity(const char *name, CapaSodIdentities *ids)
{
	ids->n = 0;
	add_identity(ids, name, CAPA_SOD_RECORDED);
}

/*
 * Exact, byte for byte, as owner columns are free text; a later version
 * may fold case here, for every check at once.
 */
bool
capa_sod_same_name(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

int
capa_sod_match(const CapaSodIdentities *ids, const char *owner)
{
	int			i;

	if (owner == NULL)
		return -1;
	for (i = 0; i < ids->n; i++)
	{
		if (capa_sod_same_name(ids->name[i], owner))
			return i;
	}
	return -1;
}

bool
capa_sod_acts_for(Oid role, const char *owner)
{
	Oid			owner_role;

	if (owner == NULL)
		return false;
	if (capa_sod_same_name(GetUserNameFromId(role, false), owner))
		return true;
	owner_role = get_role_oid(owner, true);
	return OidIsValid(owner_role) && has_privs_of_role(role, owner_role);
}

const char *
capa_sod_kind_text(CapaSodKind kind)
{
	switch (kind)
	{
		case CAPA_SOD_ROLE:
			return "the acting role";
		case CAPA_SOD_SESSION_USER:
			return "the session's login role";
		case CAPA_SOD_APP_USER:
			return "the capa.app_user claim";
		case CAPA_SOD_RECORDED:
			return "the recorded verifier";
	}
	return "an identity";
}
