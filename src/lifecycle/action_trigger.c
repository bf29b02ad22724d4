/*-------------------------------------------------------------------------
 *
 * action_trigger.c
 *	  The BEFORE ROW trigger of capa.action: action items are added, edited
 *	  and completed only while their record is being worked (open through
 *	  planned), completion needs evidence and is final, and every change
 *	  writes its audit row.
 *
 * Changes other than completion are governed (rules.c's capa_changes):
 * reassign_action (owner), reschedule_action (due), edit_action
 * (description) and cancel_action (cancel_reason: the item is not done any
 * more, is not counted by capa_plan/capa_implement, and stays visible as
 * cancelled), one kind per statement, each with a reason and by whom
 * rules.c says; a cancelled item, like a done one, does not change again.
 *
 * The trigger locks the parent record's row (FOR NO KEY UPDATE), so an
 * action change and a step of its record (plan, implement) serialise: the
 * second one sees what the first committed.
 *
 * IDENTIFICATION
 *	  src/lifecycle/action_trigger.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "audit/audit.h"
#include "common/actor.h"
#include "common/finite_time.h"
#include "common/schema_cache.h"
#include "common/text_blank.h"
#include "common/trigger_row.h"
#include "integration/events.h"
#include "integration/import.h"
#include "integration/org_unit.h"
#include "kpi/kpi.h"
#include "lifecycle/governed.h"
#include "lifecycle/rules.h"
#include "lifecycle/segregation.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_action_trigger);

/*
 * Raise 23502/22023 unless a text column of the action is present.  Text
 * an update leaves as it was is not judged again: a value a former rule
 * let through (0.2.0 took Unicode blanks for text) does not stop the item.
 */
static void
require_action_text(Relation rel, HeapTuple oldtup, HeapTuple tup, AttrNumber attnum)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	bool		isnull;
	Datum		d = heap_getattr(tup, attnum, tupdesc, &isnull);
	const char *column = NameStr(TupleDescAttr(tupdesc, attnum - 1)->attname);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("an action item requires \"%s\"", column),
				 errtablecol(rel, attnum)));
	if ((oldtup == NULL || capa_column_changed(tupdesc, oldtup, tup, attnum)) &&
		capa_text_blank(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("an action item requires a non-empty \"%s\"", column),
				 errtablecol(rel, attnum)));
}

/* 428C9 if the caller wrote a column the trigger maintains */
static void
check_action_managed(Relation rel, HeapTuple oldtup, HeapTuple newtup)
{
	CapaSchema *schema = capa_schema();
	TupleDesc	tupdesc = RelationGetDescr(rel);
	const CapaActionColumn managed[] = {
		ACT_DONE_AT, ACT_DONE_BY, ACT_CREATED_AT, ACT_CREATED_BY,
		ACT_UPDATED_AT, ACT_CHAIN_SEQ, ACT_CHAIN_HEAD
	};
	int			i;

	for (i = 0; i < (int) lengthof(managed) + (schema->governed ? 3 : 0); i++)
	{
		AttrNumber	attnum = i < (int) lengthof(managed) ? schema->act[managed[i]] :
			i == (int) lengthof(managed) ? schema->act_late[ACTL_CANCELLED_AT] :
			i == (int) lengthof(managed) + 1 ? schema->act_late[ACTL_CANCELLED_BY] :
			schema->act_late[ACTL_ORIGINAL_DUE];
		bool		written;

		if (oldtup)
			written = capa_column_changed(tupdesc, oldtup, newtup, attnum);
		else
			written = !heap_attisnull(newtup, attnum, tupdesc);
		if (written)
			capa_refuse_maintained(rel, attnum);
	}
	if (oldtup && (capa_column_changed(tupdesc, oldtup, newtup, schema->act[ACT_ID]) ||
				   capa_column_changed(tupdesc, oldtup, newtup, schema->act[ACT_CAPA_ID])))
		ereport(ERROR,
				(errcode(ERRCODE_GENERATED_ALWAYS),
				 errmsg("an action item cannot move to another record or change its id")));
}

/*
 * An action item for a record that does not exist: also the answer for a
 * record the actor may not see (row-level security by org unit), word for
 * word
 */
static void
record_missing(Datum capa_id)
{
	ereport(ERROR,
			(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
			 errmsg("capa record %s does not exist", capa_ref_cstring(capa_id))));
}

/* Lock the parent record and return its state (error if missing) */
static CapaState
lock_record(Datum capa_id, CapaKind *kind, char **org_unit, CapaOwner *owner)
{
	int			rc;
	bool		isnull;
	char	   *kindname;

	rc = SPI_execute_plan(capa_spi_plan(PLAN_LOCK_RECORD), &capa_id, NULL, false, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: record lock returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		record_missing(capa_id);
	kindname = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	*kind = (CapaKind) capa_label_parse(&capa_kind_labels, kindname, strlen(kindname));
	*org_unit = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
	owner->name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);
	owner->bound = false;
	owner->role = InvalidOid;
	if (SPI_tuptable->tupdesc->natts >= 5)
	{
		Datum		role = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 5, &isnull);

		owner->bound = !isnull;
		owner->role = isnull ? InvalidOid : DatumGetObjectId(role);
	}
	return (CapaState) DatumGetInt16(SPI_getbinval(SPI_tuptable->vals[0],
												   SPI_tuptable->tupdesc, 2, &isnull));
}

/*
 * The governed change an UPDATE makes (CapaChangeKind), or -1 for a
 * completion; 55000 for two kinds in one statement
 */
static int
classify_action_change(Relation rel, HeapTuple oldtup, HeapTuple newtup, bool completing)
{
	CapaSchema *schema = capa_schema();
	TupleDesc	tupdesc = RelationGetDescr(rel);
	int			change = -1;
	int			n = completing ? 1 : 0;
	struct
	{
		AttrNumber	attnum;
		CapaChangeKind kind;
	}			columns[] = {
		{schema->act[ACT_OWNER], CAPA_CHANGE_REASSIGN_ACTION},
		{schema->act[ACT_DUE], CAPA_CHANGE_RESCHEDULE_ACTION},
		{schema->act[ACT_DESCRIPTION], CAPA_CHANGE_EDIT_ACTION},
		{schema->governed ? schema->act_late[ACTL_CANCEL_REASON] : InvalidAttrNumber,
		CAPA_CHANGE_CANCEL_ACTION},
	};
	int			i;

	for (i = 0; i < (int) lengthof(columns); i++)
	{
		if (columns[i].attnum == InvalidAttrNumber ||
			!capa_column_changed(tupdesc, oldtup, newtup, columns[i].attnum))
			continue;
		change = columns[i].kind;
		n++;
	}
	/* the owner's name bound anew to another role (capa_reassign_action) */
	if (n == 0 && schema->governed &&
		capa_column_changed(tupdesc, oldtup, newtup, schema->act_late[ACTL_OWNER_ROLE]))
	{
		change = CAPA_CHANGE_REASSIGN_ACTION;
		n++;
	}
	if (n > 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("an UPDATE of an action item makes one kind of change"),
				 errdetail("Completing, reassigning (owner), rescheduling (due), editing (description) and cancelling (cancel_reason) are separate steps of the trail."),
				 errhint("Make each change with its own statement and reason.")));
	return completing ? -1 : change;
}

Datum
capa_action_trigger(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	TriggerData *trigdata = capa_trigger_preamble(fcinfo, "capa_action_trigger",
												  schema->action_relid);
	Relation	rel = trigdata->tg_relation;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	HeapTuple	oldtup = NULL;
	HeapTuple	newtup;
	HeapTuple	result;
	CapaRowChanges changes;
	CapaAuditEntry entry;
	MemoryContext caller_cxt = CurrentMemoryContext;
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	Oid			actor = capa_actor();
	Oid			saved_user;
	int			saved_sec;
	bool		isnull;
	bool		was_done = false;
	bool		is_done;
	Datum		capa_id;
	CapaState	state;
	CapaKind	kind;
	char	   *org_unit = NULL;
	int32		seq = 0;
	const char *step;
	bool	   *skip;
	int			i;
	int			change = -1;
	CapaOwner	record_owner = {NULL, false, InvalidOid};
	AttrNumber	owner_role_col = schema->governed ? schema->act_late[ACTL_OWNER_ROLE] : InvalidAttrNumber;
	const char *reason = NULL;
	bool		cancelling = false;

	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa action items cannot be deleted"),
				 errhint("Action items stay with their record as evidence of what was planned.")));
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		oldtup = trigdata->tg_trigtuple;
		newtup = capa_owner_bind(tupdesc, oldtup, trigdata->tg_newtuple, schema->act[ACT_OWNER],
								 owner_role_col, rel, schema->act[ACT_CHAIN_HEAD],
								 capa_reassigning(capa_changes[CAPA_CHANGE_REASSIGN_ACTION].step));

		/*
		 * Row-level security by org unit, before anything about the item
		 * is judged ("already done", its evidence): an item of a record the
		 * actor may not see is skipped, as the policies would hide it, and
		 * capa_complete_action() answers as for an id that names no item
		 */
		if (!capa_record_visible(actor, heap_getattr(oldtup, schema->act[ACT_CAPA_ID], tupdesc, &isnull),
								 false, NULL))
			return PointerGetDatum(NULL);
		was_done = DatumGetBool(heap_getattr(oldtup, schema->act[ACT_DONE], tupdesc, &isnull));
		seq = DatumGetInt32(heap_getattr(oldtup, schema->act[ACT_CHAIN_SEQ], tupdesc, &isnull));
		if (capa_request.complete_action && was_done)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("action item %lld is already done",
							(long long) DatumGetInt64(heap_getattr(oldtup, schema->act[ACT_ID], tupdesc, &isnull))),
					 errdetail("Completion is final: its evidence stays as recorded.")));
		/* a cancelled item is final, as a done one */
		if (schema->governed &&
			!heap_attisnull(oldtup, schema->act_late[ACTL_CANCELLED_AT], tupdesc))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("action item %lld is cancelled and cannot be changed",
							(long long) DatumGetInt64(heap_getattr(oldtup, schema->act[ACT_ID], tupdesc, &isnull))),
					 errdetail("It stays with its record, cancelled, with its reason.")));
		/* an UPDATE that changes nothing is not a change: no audit row */
		for (i = 1; i <= tupdesc->natts; i++)
		{
			if (!TupleDescAttr(tupdesc, i - 1)->attisdropped &&
				capa_column_changed(tupdesc, oldtup, newtup, i))
				break;
		}
		if (i > tupdesc->natts)
		{
			if (capa_request.active && capa_request.change)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("action item %lld already has that value",
								(long long) DatumGetInt64(heap_getattr(oldtup, schema->act[ACT_ID], tupdesc, &isnull))),
						 errdetail("The change would change nothing.")));
			return PointerGetDatum(newtup);
		}
	}
	else
	{
		newtup = capa_owner_bind(tupdesc, NULL, trigdata->tg_trigtuple, schema->act[ACT_OWNER],
								 owner_role_col, rel, schema->act[ACT_CHAIN_HEAD], false);
		if (capa_is_restored_row(rel, newtup, schema->act[ACT_CHAIN_SEQ],
								 schema->act[ACT_CHAIN_HEAD]))
			return PointerGetDatum(newtup);
		/* an action item capa_import() judged with its record */
		if (capa_import_claim(CAPA_IMPORT_ACTION))
			return PointerGetDatum(capa_import_action_row(rel, newtup, caller_cxt));
	}

	check_action_managed(rel, oldtup, newtup);
	capa_id = heap_getattr(newtup, schema->act[ACT_CAPA_ID], tupdesc, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("an action item requires \"capa_id\""),
				 errtablecol(rel, schema->act[ACT_CAPA_ID])));
	require_action_text(rel, oldtup, newtup, schema->act[ACT_DESCRIPTION]);
	require_action_text(rel, oldtup, newtup, schema->act[ACT_OWNER]);
	if (heap_attisnull(newtup, schema->act[ACT_DUE], tupdesc))
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("an action item requires \"due\""),
				 errtablecol(rel, schema->act[ACT_DUE])));
	/* a due date given or moved is finite (one stored by 0.2.0 may stay) */
	if (oldtup == NULL || capa_column_changed(tupdesc, oldtup, newtup, schema->act[ACT_DUE]))
		capa_require_finite("an action item", "due",
							TupleDescAttr(tupdesc, schema->act[ACT_DUE] - 1)->atttypid,
							heap_getattr(newtup, schema->act[ACT_DUE], tupdesc, &isnull));
	is_done = !heap_attisnull(newtup, schema->act[ACT_DONE], tupdesc) &&
		DatumGetBool(heap_getattr(newtup, schema->act[ACT_DONE], tupdesc, &isnull));
	if (was_done)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("action item %lld is done and cannot be changed",
						(long long) DatumGetInt64(heap_getattr(oldtup, schema->act[ACT_ID], tupdesc, &isnull))),
				 errdetail("Completion is final: its evidence stays as recorded.")));
	if (oldtup)
		change = classify_action_change(rel, oldtup, newtup, is_done);
	if (schema->governed &&
		!heap_attisnull(newtup, schema->act_late[ACTL_CANCEL_REASON], tupdesc))
	{
		if (oldtup == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("a new action item is not cancelled"),
					 errhint("Cancel it with capa_cancel_action().")));
		if (change == CAPA_CHANGE_CANCEL_ACTION)
		{
			require_action_text(rel, oldtup, newtup, schema->act_late[ACTL_CANCEL_REASON]);
			cancelling = true;
		}
	}
	if (is_done)
		require_action_text(rel, oldtup, newtup, schema->act[ACT_EVIDENCE]);
	else if (!heap_attisnull(newtup, schema->act[ACT_EVIDENCE], tupdesc))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("evidence is recorded when an action item is completed"),
				 errhint("Use capa_complete_action().")));

	/*
	 * A new item for a record the actor may not see: refused as for a
	 * record that does not exist, at the point where that is refused (the
	 * item's own fields are checked above for both), and before the
	 * record's row lock is asked for, so that the call does not wait for a
	 * writer of another unit either
	 */
	if (oldtup == NULL && !capa_record_visible(actor, capa_id, false, NULL))
		record_missing(capa_id);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);

	state = lock_record(capa_id, &kind, &org_unit, &record_owner);

	/*
	 * Seen under the lock: a new item for a record the actor may not see is
	 * refused as for a record that does not exist; an existing one (whose
	 * record moved to such a unit meanwhile) is skipped as above
	 */
	if (capa_org_units_enforced(schema->register_relid) && !capa_may_act_on(actor, org_unit))
	{
		if (oldtup == NULL)
			record_missing(capa_id);
		capa_restore_user(saved_user, saved_sec);
		SPI_finish();
		return PointerGetDatum(NULL);
	}
	if (!capa_rules_actions_open(state))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("action items of record %s cannot change while it is %s",
						capa_ref_cstring(capa_id), capa_state_cstring(state)),
				 errdetail("The record is %s.", capa_state_cstring(state)),
				 errhint("Action items are added and completed from open through planned.")));

	/*
	 * A new or changed owner names a role or an application identity,
	 * unless the policy allows free text (0.3.0)
	 */
	if (schema->governed &&
		(oldtup == NULL || capa_column_changed(tupdesc, oldtup, newtup, schema->act[ACT_OWNER])))
		capa_sod_require_identity(TextDatumGetCString(heap_getattr(newtup, schema->act[ACT_OWNER], tupdesc, &isnull)),
								  "an action item's");

	/* a governed change: by whom rules.c says, with its reason */
	if (change >= 0)
	{
		char		object[64];
		CapaOwner	item_owner;

		snprintf(object, sizeof(object), "action item %lld",
				 (long long) DatumGetInt64(heap_getattr(oldtup, schema->act[ACT_ID], tupdesc, &isnull)));

		capa_owner_read(tupdesc, oldtup, schema->act[ACT_OWNER], owner_role_col, &item_owner);
		capa_governed_permit(capa_changes[change].roles, actor, &record_owner, &item_owner,
							 capa_changes[change].step, object);
		/* a cancellation's reason is its cancel_reason */
		reason = cancelling ?
			TextDatumGetCString(heap_getattr(newtup, schema->act_late[ACTL_CANCEL_REASON], tupdesc, &isnull)) :
			capa_governed_reason(capa_changes[change].step);
	}

	memset(&changes, 0, sizeof(changes));
	capa_row_set(&changes, schema->act[ACT_CHAIN_SEQ], Int32GetDatum(seq + 1), false);
	capa_row_set(&changes, schema->act[ACT_UPDATED_AT], TimestampTzGetDatum(now), false);
	if (oldtup == NULL)
	{
		capa_row_set(&changes, schema->act[ACT_CREATED_AT], TimestampTzGetDatum(now), false);
		capa_row_set(&changes, schema->act[ACT_CREATED_BY], capa_role_name_datum(actor), false);
		capa_row_set(&changes, schema->act[ACT_DONE], BoolGetDatum(is_done), false);
		/* the first due date stays known */
		if (schema->governed)
			capa_row_set(&changes, schema->act_late[ACTL_ORIGINAL_DUE],
						 heap_getattr(newtup, schema->act[ACT_DUE], tupdesc, &isnull), false);
		step = "add_action";
	}
	else if (change >= 0)
		step = capa_changes[change].step;
	else
		step = is_done ? "complete_action" : "edit_action";
	if (cancelling)
	{
		capa_row_set(&changes, schema->act_late[ACTL_CANCELLED_AT], TimestampTzGetDatum(now), false);
		capa_row_set(&changes, schema->act_late[ACTL_CANCELLED_BY], capa_role_name_datum(actor), false);
	}
	/* an item of an older version keeps its due date as the original */
	if (change == CAPA_CHANGE_RESCHEDULE_ACTION && schema->governed &&
		heap_attisnull(oldtup, schema->act_late[ACTL_ORIGINAL_DUE], tupdesc))
		capa_row_set(&changes, schema->act_late[ACTL_ORIGINAL_DUE],
					 heap_getattr(oldtup, schema->act[ACT_DUE], tupdesc, &isnull), false);
	if (is_done)
	{
		capa_row_set(&changes, schema->act[ACT_DONE_AT], TimestampTzGetDatum(now), false);
		capa_row_set(&changes, schema->act[ACT_DONE_BY], capa_role_name_datum(actor), false);
	}

	{
		MemoryContext spi_cxt = MemoryContextSwitchTo(caller_cxt);

		result = capa_row_apply(newtup, tupdesc, &changes);
		MemoryContextSwitchTo(spi_cxt);
	}

	skip = capa_bookkeeping_skip(tupdesc, schema->act[ACT_CHAIN_SEQ], schema->act[ACT_CHAIN_HEAD],
								 schema->act[ACT_UPDATED_AT]);
	memset(&entry, 0, sizeof(entry));
	entry.capa_id = capa_id;
	entry.has_action = true;
	entry.action_id = DatumGetInt64(heap_getattr(result, schema->act[ACT_ID], tupdesc, &isnull));
	entry.chain_seq = seq + 1;
	entry.step = step;
	entry.changed = change >= 0 ?
		capa_changed_columns_reason(tupdesc, oldtup, result, skip, reason) :
		capa_changed_columns(tupdesc, oldtup, result, skip);
	entry.actor = actor;
	result = capa_audit_chain(&entry, tupdesc, oldtup, result,
							  schema->act[ACT_CHAIN_HEAD], caller_cxt);
	if (change >= 0)
		capa_notify_change(capa_id, step, entry.seq);
	/* the record is being worked (checked above): not cancelled */
	capa_kpi_track_action(tupdesc, oldtup, result, org_unit, false);

	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	return PointerGetDatum(result);
}
