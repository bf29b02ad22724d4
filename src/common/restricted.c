/*-------------------------------------------------------------------------
 *
 * restricted.c
 *	  Running code another role defined as that role, restricted (see
 *	  restricted.h).
 *
 * The switch is what PostgreSQL's own maintenance commands do before
 * they evaluate a table owner's expressions (ExecRefreshMatView,
 * index_build, vacuum_rel): SetUserIdAndSecContext(owner, sec |
 * SECURITY_LOCAL_USERID_CHANGE | SECURITY_RESTRICTED_OPERATION) and
 * NewGUCNestLevel(), undone with AtEOXact_GUC(false, ...).  Like
 * PostgreSQL 17's RestrictSearchPath() it also pins search_path, so the
 * owner's code resolves unqualified names in pg_catalog (and the
 * session's temporary tables) only, not in schemas the caller put on its
 * path.
 *
 * IDENTIFICATION
 *	  src/common/restricted.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"

#include "common/restricted.h"
#include "common/subxact.h"

void
capa_restricted_begin(Oid role, CapaRestricted *state)
{
	GetUserIdAndSecContext(&state->saved_user, &state->saved_sec);
	SetUserIdAndSecContext(role, state->saved_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	state->guc_nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

void
capa_restricted_end(CapaRestricted *state)
{
	AtEOXact_GUC(false, state->guc_nestlevel);
	SetUserIdAndSecContext(state->saved_user, state->saved_sec);
}

bool
capa_restricted_error_is_local(int sqlerrcode)
{
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_TO_CATEGORY(ERRCODE_FEATURE_NOT_SUPPORTED):
		case ERRCODE_TO_CATEGORY(ERRCODE_CARDINALITY_VIOLATION):
		case ERRCODE_TO_CATEGORY(ERRCODE_DATA_EXCEPTION):
		case ERRCODE_TO_CATEGORY(ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION):
		case ERRCODE_TO_CATEGORY(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION):
		case ERRCODE_TO_CATEGORY(ERRCODE_SQL_ROUTINE_EXCEPTION):
		case ERRCODE_TO_CATEGORY(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION):
		case ERRCODE_TO_CATEGORY(ERRCODE_EXTERNAL_ROUTINE_INVOCATION_EXCEPTION):
		case ERRCODE_TO_CATEGORY(ERRCODE_INVALID_SCHEMA_NAME):
		case ERRCODE_TO_CATEGORY(ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION):
		case ERRCODE_TO_CATEGORY(ERRCODE_WITH_CHECK_OPTION_VIOLATION):
		case ERRCODE_TO_CATEGORY(ERRCODE_PROGRAM_LIMIT_EXCEEDED):
		case ERRCODE_TO_CATEGORY(ERRCODE_PLPGSQL_ERROR):
		case ERRCODE_TO_CATEGORY(ERRCODE_INVALID_GRANTOR):
		case ERRCODE_TO_CATEGORY(ERRCODE_INVALID_ROLE_SPECIFICATION):
			return true;
		case ERRCODE_TO_CATEGORY(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE):
			/* a lock timeout is the caller's setting running out */
			return sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE;
		case ERRCODE_TO_CATEGORY(ERRCODE_INVALID_TRANSACTION_STATE):
			/* the owner's code writing on a standby or in a read-only transaction */
			return sqlerrcode == ERRCODE_READ_ONLY_SQL_TRANSACTION;
		default:
			return false;
	}
}

/* What capa_run_restricted() runs in its subtransaction */
typedef struct RestrictedCall
{
	Oid			role;
	CapaRestrictedFn fn;
	void	   *arg;
} RestrictedCall;

static void
run_as_role(void *arg)
{
	RestrictedCall *call = (RestrictedCall *) arg;
	CapaRestricted state;

	capa_restricted_begin(call->role, &state);
	call->fn(call->arg);
	capa_restricted_end(&state);
}

char *
capa_run_restricted(Oid role, CapaRestrictedFn fn, void *arg)
{
	RestrictedCall call = {role, fn, arg};
	ErrorData  *failure;

	/* nothing the owner's code did outlives the call, not even its writes */
	failure = capa_subxact_run(run_as_role, &call, false, capa_restricted_error_is_local);
	if (failure == NULL)
		return NULL;
	return failure->message ? failure->message : pstrdup("error");
}
