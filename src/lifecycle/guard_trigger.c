/*-------------------------------------------------------------------------
 *
 * guard_trigger.c
 *	  Triggers that only refuse: the audit trail is append-only for
 *	  everyone (its owner included), and no capa table may be truncated.
 *
 * These triggers are ENABLE ALWAYS, so session_replication_role = replica
 * does not silence them.  Privileges are revoked too; the triggers are
 * the second lock on the door.
 *
 * IDENTIFICATION
 *	  src/lifecycle/guard_trigger.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/trigger.h"
#include "utils/rel.h"


PG_FUNCTION_INFO_V1(capa_audit_guard);
PG_FUNCTION_INFO_V1(capa_truncate_guard);

/* UPDATE, DELETE or TRUNCATE of capa.audit or capa.digest: refused (42501) */
Datum
capa_audit_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"capa_audit_guard\" was not called by trigger manager")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("capa.%s is append-only", RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("%s on \"%s\" is refused for every role.",
					   TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event) ? "TRUNCATE" :
					   TRIGGER_FIRED_BY_DELETE(trigdata->tg_event) ? "DELETE" : "UPDATE",
					   RelationGetRelationName(trigdata->tg_relation))));
	PG_RETURN_NULL();
}

/* TRUNCATE of capa.register or capa.action: refused (55000) */
Datum
capa_truncate_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"capa_truncate_guard\" was not called by trigger manager")));
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("\"%s\" cannot be truncated",
					RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("capa records and action items are never deleted."),
			 errhint("Cancel records with capa_cancel() instead.")));
	PG_RETURN_NULL();
}
