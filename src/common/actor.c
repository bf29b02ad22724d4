/*-------------------------------------------------------------------------
 *
 * actor.c
 *	  The acting role, the end-user claim, and the switch to the owner.
 *
 * IDENTIFICATION
 *	  src/common/actor.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"

#include "common/actor.h"

CapaRequest capa_request;

Oid
capa_actor(void)
{
	if (capa_request.active)
		return capa_request.caller;
	return GetUserId();
}

/*
 * capa.app_user is a placeholder setting any session may set: it is a
 * claim recorded next to the role, never a replacement for it.
 */
char *
capa_app_user(void)
{
	const char *value = GetConfigOption("capa.app_user", true, false);

	if (value == NULL || value[0] == '\0')
		return NULL;
	return pstrdup(value);
}

void
capa_become_owner(Oid owner, Oid *saved_user, int *saved_sec)
{
	GetUserIdAndSecContext(saved_user, saved_sec);
	SetUserIdAndSecContext(owner, *saved_sec | SECURITY_LOCAL_USERID_CHANGE);
}

void
capa_restore_user(Oid saved_user, int saved_sec)
{
	SetUserIdAndSecContext(saved_user, saved_sec);
}
