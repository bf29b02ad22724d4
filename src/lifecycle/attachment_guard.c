/*-------------------------------------------------------------------------
 *
 * attachment_guard.c
 *	  The trigger that keeps capa.attachment append-only: a row is inserted
 *	  by capa_attach, its withdrawal written by capa_withdraw_attachment,
 *	  and nothing else is written, by any role (42501).  A superuser's
 *	  INSERT of a row that names the audit row that recorded it is a
 *	  restore from a dump, accepted as it is (capa_audit_verify proves it
 *	  against the trail), as restored register rows are.
 *
 * The row trigger is an ordinary one, as the register's: with the
 * triggers bypassed (session_replication_role = replica, a subscriber's
 * apply) a superuser can still write the table, and capa_audit_verify
 * finds what was changed.  TRUNCATE is refused always.
 *
 * IDENTIFICATION
 *	  src/lifecycle/attachment_guard.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "utils/rel.h"

#include "lifecycle/attachment_guard.h"

PG_FUNCTION_INFO_V1(capa_attachment_guard);

bool		capa_attachment_writing = false;

/* A superuser restoring a dumped row: it names its audit row */
static bool
restored_row(Relation rel, HeapTuple tuple)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			i;

	if (!superuser())
		return false;
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		bool		isnull;

		if (!att->attisdropped && strcmp(NameStr(att->attname), "attach_seq") == 0)
		{
			(void) heap_getattr(tuple, i + 1, tupdesc, &isnull);
			return !isnull;
		}
	}
	return false;
}

Datum
capa_attachment_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *what;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"capa_attachment_guard\" was not called by trigger manager")));
	if (TRIGGER_FIRED_BY_TRUNCATE(trigdata->tg_event))
		what = "TRUNCATE";
	else if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		what = "DELETE";
	else if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		if (capa_attachment_writing || restored_row(trigdata->tg_relation, trigdata->tg_trigtuple))
			return PointerGetDatum(trigdata->tg_trigtuple);
		what = "INSERT";
	}
	else
	{
		if (capa_attachment_writing)
			return PointerGetDatum(trigdata->tg_newtuple);
		what = "UPDATE";
	}
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("capa.%s is append-only", RelationGetRelationName(trigdata->tg_relation)),
			 errdetail("%s on \"%s\" is refused for every role.", what,
					   RelationGetRelationName(trigdata->tg_relation)),
			 errhint("Attach with capa_attach(); withdraw an attachment with capa_withdraw_attachment().")));
	PG_RETURN_NULL();
}
