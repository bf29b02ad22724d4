/*-------------------------------------------------------------------------
 *
 * governed.c
 *	  Governed changes: a change that is not a step of the path (reassign,
 *	  reschedule, amend, cancel an action item, ...) needs a reason, and is
 *	  made only by whom rules.c says.
 *
 * The triggers call these for every statement, so a plain UPDATE by a role
 * a DBA granted UPDATE to passes the same checks as the functions: its
 * reason comes from the setting capa.reason (SET LOCAL capa.reason =
 * '...'), the functions' from their argument (capa_request.reason, so a
 * capa.reason the session set does not leak into a function's change).
 *
 * IDENTIFICATION
 *	  src/lifecycle/governed.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "common/actor.h"
#include "common/text_blank.h"
#include "lifecycle/governed.h"
#include "lifecycle/rules.h"
#include "lifecycle/segregation.h"

const char *
capa_governed_reason(const char *step)
{
	const char *reason;

	if (capa_request.active)
		reason = capa_request.reason;
	else
		reason = GetConfigOption("capa.reason", true, false);
	if (reason == NULL || reason[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a reason", step),
				 errhint(capa_request.active ?
						 "Give a non-blank reason." :
						 "A change that is not a step of the path needs a reason: SET LOCAL capa.reason = '...' in its transaction.")));
	if (capa_blank_bytes(reason, (int) strlen(reason)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a non-blank reason", step)));
	return reason;
}

/* actor has the privileges of the group role name (and it exists) */
static bool
member_of(Oid actor, const char *name)
{
	Oid			role = get_role_oid(name, true);

	return OidIsValid(role) && has_privs_of_role(actor, role);
}

bool
capa_governed_as_verifier(unsigned roles, Oid actor)
{
	return (roles & CAPA_ROLE_VERIFIER) && member_of(actor, "capa_verifier");
}

/* owner is bound to a role, or names one now */
static bool
names_a_role(const CapaOwner *owner)
{
	if (owner == NULL || owner->name == NULL)
		return false;
	return owner->bound || (strlen(owner->name) < NAMEDATALEN &&
							OidIsValid(get_role_oid(owner->name, true)));
}

void
capa_governed_permit(unsigned roles, Oid actor, const CapaOwner *owner,
					 const CapaOwner *other_owner, const char *what,
					 const char *object)
{
	const char *verb;

	if (roles == 0)
		return;
	/* "reschedule action item 3", not "reschedule_action action item 3" */
	verb = (strlen(what) > 7 && strcmp(what + strlen(what) - 7, "_action") == 0) ?
		pnstrdup(what, strlen(what) - 7) : what;
	if ((roles & CAPA_ROLE_ADMIN) && member_of(actor, "capa_admin"))
		return;
	if ((roles & CAPA_ROLE_OWNER) && member_of(actor, "capa_editor") &&
		(capa_sod_acts_for(actor, owner) || capa_sod_acts_for(actor, other_owner)))
		return;
	if (capa_governed_as_verifier(roles, actor))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("\"%s\" may not %s %s", GetUserNameFromId(actor, false), verb, object),
			 ((roles & CAPA_ROLE_OWNER) && !names_a_role(owner) && !names_a_role(other_owner)) ?
			 errdetail("%s is made by capa_admin, or by a capa_editor acting for the owner (%s%s%s); "
					   "no role acts for an owner that names no role (an application identity, a name): capa_admin makes the change, or reassigns it to a role.",
					   what, owner && owner->name ? capa_owner_text(owner) : "\"\"",
					   other_owner && other_owner->name ? " or " : "",
					   other_owner && other_owner->name ? capa_owner_text(other_owner) : "") :
			 (roles & CAPA_ROLE_OWNER) ?
			 errdetail("%s is made by capa_admin, or by a capa_editor acting for the owner (%s%s%s).",
					   what, owner && owner->name ? capa_owner_text(owner) : "\"\"",
					   other_owner && other_owner->name ? " or " : "",
					   other_owner && other_owner->name ? capa_owner_text(other_owner) : "") :
			 (roles & CAPA_ROLE_VERIFIER) ?
			 errdetail("%s is made by capa_admin or a capa_verifier.", what) :
			 errdetail("%s is made by capa_admin only.", what)));
}
