/*-------------------------------------------------------------------------
 *
 * register_trigger.c
 *	  The BEFORE ROW trigger of capa.register: the one place that enforces
 *	  the lifecycle for every statement, function call or plain UPDATE.
 *
 * For each row it checks the change against rules.c, stamps the step
 * (time, actor), maintains counters and the chain position, and writes the
 * audit row in the same transaction.  Refusals:
 *	  55000  a step the state or kind does not allow; a closed or cancelled
 *			 record; evidence of another step; a missing action item
 *	  23502  required evidence is NULL
 *	  22023  required evidence is blank or has the wrong value
 *	  428C9  a column capa maintains was written
 *	  42501  segregation of duties; a governed change or an edge the actor
 *			 may not make (rules.c: roles)
 *	  22023  a governed change without a reason (capa.reason for UPDATE)
 *
 * A change without a step (reassign, reschedule, amend, edit: rules.c's
 * capa_changes) is allowed in the states and to the roles its line says,
 * one kind per statement, needs a reason, counts where rules.c says, and
 * is audited as its own step with the reason and the values it replaced.
 *
 * IDENTIFICATION
 *	  src/lifecycle/register_trigger.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/sequence.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
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
#include "lifecycle/evidence_step.h"
#include "lifecycle/facts.h"
#include "lifecycle/governed.h"
#include "lifecycle/rules.h"
#include "lifecycle/segregation.h"
#include "types/ref_format.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_register_trigger);

/* What the trigger knows about the row it is judging */
typedef struct RegisterRow
{
	Relation	rel;
	TupleDesc	tupdesc;
	HeapTuple	oldtup;			/* NULL for INSERT */
	HeapTuple	newtup;
	CapaSchema *schema;
	Datum		id;
	CapaKind	kind;
	CapaState	from;
	CapaState	to;
	Oid			actor;
	TimestampTz now;
	CapaRowChanges changes;		/* what the trigger writes into NEW */
	int			change;			/* CapaChangeKind of a change without a step,
								 * or -1 */
	uint32		amended;		/* evidence fields an amend corrects */
	const char *reason;			/* the governed change's reason */
	/* OLD and NEW deformed once: the row is wide, with NULLs early on */
	Datum	   *oldvals;
	bool	   *oldnulls;
	Datum	   *newvals;
	bool	   *newnulls;
} RegisterRow;

/*
 * Deform OLD (if any) and NEW into the row.  heap_getattr on a tuple with
 * NULLs walks every attribute before the one asked for; the checks below
 * read dozens of columns of both versions.
 */
static void
deform_row(RegisterRow *row)
{
	int			natts = row->tupdesc->natts;

	row->newvals = palloc(sizeof(Datum) * natts);
	row->newnulls = palloc(sizeof(bool) * natts);
	heap_deform_tuple(row->newtup, row->tupdesc, row->newvals, row->newnulls);
	if (row->oldtup)
	{
		row->oldvals = palloc(sizeof(Datum) * natts);
		row->oldnulls = palloc(sizeof(bool) * natts);
		heap_deform_tuple(row->oldtup, row->tupdesc, row->oldvals, row->oldnulls);
	}
}

/* owner_role, once the database has 0.3.0's columns */
static AttrNumber
owner_role_col(CapaSchema *schema)
{
	return schema->governed ? schema->reg_late[REGL_OWNER_ROLE] : InvalidAttrNumber;
}

static Datum
get_col(RegisterRow *row, HeapTuple tup, AttrNumber attnum, bool *isnull)
{
	if (tup == row->newtup && row->newvals)
	{
		*isnull = row->newnulls[attnum - 1];
		return row->newvals[attnum - 1];
	}
	if (tup == row->oldtup && row->oldvals)
	{
		*isnull = row->oldnulls[attnum - 1];
		return row->oldvals[attnum - 1];
	}
	return heap_getattr(tup, attnum, row->tupdesc, isnull);
}

/* NEW's column attnum is NULL */
static bool
new_isnull(RegisterRow *row, AttrNumber attnum)
{
	return row->newnulls[attnum - 1];
}

/* Column attnum differs between OLD and NEW (as capa_column_changed) */
static bool
col_changed(RegisterRow *row, AttrNumber attnum)
{
	Form_pg_attribute att = TupleDescAttr(row->tupdesc, attnum - 1);
	bool		oldnull = row->oldnulls[attnum - 1];
	bool		newnull = row->newnulls[attnum - 1];

	if (oldnull || newnull)
		return oldnull != newnull;
	return !datum_image_eq(row->oldvals[attnum - 1], row->newvals[attnum - 1],
						   att->attbyval, att->attlen);
}

/* "open, contained or analysed": the states of a CAPA_STATE_BIT set */
static char *
states_text(unsigned states)
{
	StringInfoData buf;
	int			s;
	int			n = 0;
	int			total = 0;

	for (s = 1; s <= CAPA_STATE_MAX; s++)
		total += (states & CAPA_STATE_BIT(s)) ? 1 : 0;
	initStringInfo(&buf);
	for (s = 1; s <= CAPA_STATE_MAX; s++)
	{
		if (!(states & CAPA_STATE_BIT(s)))
			continue;
		n++;
		appendStringInfo(&buf, "%s%s", n == 1 ? "" : n == total ? " or " : ", ",
						 capa_state_cstring(s));
	}
	return buf.data;
}

/* "contained (capa_contain), cancelled (capa_cancel)" or "none" */
static char *
next_steps_text(CapaKind kind, CapaState from)
{
	StringInfoData buf;
	int			i;
	bool		any = false;

	initStringInfo(&buf);
	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];

		if (e->from != from || e->to == from || !(e->kinds & CAPA_KIND_BIT(kind)))
			continue;
		appendStringInfo(&buf, "%s%s (capa_%s)", any ? ", " : "",
						 capa_state_cstring(e->to), e->step);
		any = true;
	}
	if (!any)
		appendStringInfoString(&buf, "none");
	return buf.data;
}

static CapaKind
row_kind(RegisterRow *row, HeapTuple tup)
{
	bool		isnull;
	Datum		d = get_col(row, tup, row->schema->reg[REG_KIND], &isnull);
	text	   *t;
	int			kind;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("a capa record needs a kind"),
				 errhint("Accepted kinds: %s.", capa_kind_labels.accepted),
				 errtablecol(row->rel, row->schema->reg[REG_KIND])));
	t = DatumGetTextPP(d);
	kind = capa_label_parse(&capa_kind_labels, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	if (kind == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid capa kind: \"%s\"", text_to_cstring(t)),
				 errhint("Accepted kinds: %s.", capa_kind_labels.accepted),
				 errtablecol(row->rel, row->schema->reg[REG_KIND])));
	return (CapaKind) kind;
}

static CapaState
row_state(RegisterRow *row, HeapTuple tup)
{
	bool		isnull;
	Datum		d = get_col(row, tup, row->schema->reg[REG_STATE], &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("a capa record needs a state"),
				 errtablecol(row->rel, row->schema->reg[REG_STATE])));
	return (CapaState) DatumGetInt16(d);
}

/* The record's org unit, or NULL */
static const char *
row_org_unit(RegisterRow *row, HeapTuple tup)
{
	bool		isnull;
	Datum		d = get_col(row, tup, row->schema->reg[REG_ORG_UNIT], &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

/* Raise 23502/22023 unless a caller-supplied text column is present */
static void
require_text(RegisterRow *row, AttrNumber attnum, const char *what)
{
	bool		isnull;
	Datum		d = get_col(row, row->newtup, attnum, &isnull);
	const char *column = NameStr(TupleDescAttr(row->tupdesc, attnum - 1)->attname);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("%s requires \"%s\"", what, column),
				 errtablecol(row->rel, attnum)));
	if (TupleDescAttr(row->tupdesc, attnum - 1)->atttypid == TEXTOID &&
		capa_text_blank(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s requires a non-empty \"%s\"", what, column),
				 errtablecol(row->rel, attnum)));
}

/*
 * 22023 unless the due dates the caller gave (or changed) are finite; an
 * infinite one stored by 0.2.0 does not stop the record's later steps
 */
static void
check_due_dates(RegisterRow *row)
{
	static const CapaRegisterColumn dues[] = {REG_CONTAIN_DUE, REG_CLOSE_DUE, REG_EFFECTIVENESS_DUE};
	int			i;

	for (i = 0; i < (int) lengthof(dues); i++)
	{
		AttrNumber	attnum = row->schema->reg[dues[i]];
		bool		isnull;

		if (new_isnull(row, attnum) || (row->oldtup && !col_changed(row, attnum)))
			continue;
		capa_require_finite("a capa record",
							NameStr(TupleDescAttr(row->tupdesc, attnum - 1)->attname),
							TupleDescAttr(row->tupdesc, attnum - 1)->atttypid,
							get_col(row, row->newtup, attnum, &isnull));
	}
}

/* The step's own evidence: present, and booleans with the right value */
static void
check_evidence(RegisterRow *row, const CapaEdge *edge)
{
	char		what[NAMEDATALEN * 2];
	int			f;

	snprintf(what, sizeof(what), "step %s (%s to %s)", edge->step,
			 capa_state_cstring(edge->from), capa_state_cstring(edge->to));
	for (f = 0; f < CAPA_FIELD_COUNT; f++)
	{
		AttrNumber	attnum = row->schema->field[f];
		bool		isnull;
		Datum		d;

		if (!(edge->required & CAPA_BIT(f)))
			continue;
		if (capa_fields[f].shape == CAPA_SHAPE_TEXT)
		{
			require_text(row, attnum, what);
			continue;
		}
		d = get_col(row, row->newtup, attnum, &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("%s requires \"%s\"", what, capa_fields[f].column),
					 errtablecol(row->rel, attnum)));
		if (((edge->must_be_true & CAPA_BIT(f)) && !DatumGetBool(d)) ||
			((edge->must_be_false & CAPA_BIT(f)) && DatumGetBool(d)))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s requires \"%s\" to be %s", what, capa_fields[f].column,
							(edge->must_be_true & CAPA_BIT(f)) ? "true" : "false"),
					 errtablecol(row->rel, attnum)));
	}
}

/* The first step of this kind that records evidence field f */
static const char *
owning_step(CapaKind kind, int f)
{
	int			i;

	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];

		if ((e->kinds & CAPA_KIND_BIT(kind)) &&
			(capa_rules_step_fields(e) & CAPA_BIT(f)))
			return e->step;
	}
	return NULL;
}

/* Evidence may only change together with the step that records it */
static void
check_foreign_evidence(RegisterRow *row, const CapaEdge *edge)
{
	uint32		allowed = edge ? capa_rules_step_fields(edge) : row->amended;
	int			f;

	for (f = 0; f < CAPA_FIELD_COUNT; f++)
	{
		AttrNumber	attnum = row->schema->field[f];
		bool		given;
		const char *owner;

		if (allowed & CAPA_BIT(f))
			continue;
		if (row->oldtup)
			given = col_changed(row, attnum);
		else
			given = !new_isnull(row, attnum);
		if (!given)
			continue;
		owner = owning_step(row->kind, f);
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" can only be set by its own step",
						capa_fields[f].column),
				 owner && row->oldtup == NULL ?
				 errdetail("A new record starts open; \"%s\" is recorded by capa_%s().",
						   capa_fields[f].column, owner) :
				 owner ?
				 errdetail("Record %s is %s; \"%s\" is recorded by capa_%s().",
						   capa_ref_cstring(row->id), capa_state_cstring(row->from),
						   capa_fields[f].column, owner) :
				 errdetail("Records of kind %s do not record \"%s\".",
						   capa_label_name(&capa_kind_labels, row->kind),
						   capa_fields[f].column),
				 errtablecol(row->rel, attnum)));
	}
}

/*
 * A step's UPDATE changes the state and what the step records (its fields,
 * checked by check_foreign_evidence), nothing else: a new owner, due date,
 * title, severity or unit is a governed change of its own, with its reason
 * and its rule of who may make it (55000, as for two kinds of change in one
 * statement)
 */
static int	attnum_field(RegisterRow *row, AttrNumber attnum);

static void
check_step_only(RegisterRow *row, const CapaEdge *edge)
{
	CapaSchema *schema = row->schema;
	int			i;

	for (i = 1; i <= row->tupdesc->natts; i++)
	{
		if (TupleDescAttr(row->tupdesc, i - 1)->attisdropped || !col_changed(row, i))
			continue;
		if (i == schema->reg[REG_STATE] || attnum_field(row, i) >= 0)
			continue;
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("step %s of record %s makes no other change",
						edge->step, capa_ref_cstring(row->id)),
				 errdetail("The statement also changes \"%s\", which is not recorded by step %s.",
						   NameStr(TupleDescAttr(row->tupdesc, i - 1)->attname), edge->step),
				 errhint("Make the change with its own statement and reason (docs/reference.md, Governed change)."),
				 errtablecol(row->rel, i)));
	}
}

/* Columns capa maintains: the caller may not write them */
static void
check_managed_columns(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	AttrNumber	managed[REG_COLUMN_COUNT + 2 * CAPA_STAMP_COUNT + REGL_COLUMN_COUNT];
	int			n = 0;
	int			i;

	managed[n++] = schema->reg[REG_ID];
	managed[n++] = schema->reg[REG_KIND];
	managed[n++] = schema->reg[REG_UPDATED_AT];
	managed[n++] = schema->reg[REG_REOPEN_COUNT];
	managed[n++] = schema->reg[REG_INEFFECTIVE_COUNT];
	managed[n++] = schema->reg[REG_CHAIN_SEQ];
	managed[n++] = schema->reg[REG_CHAIN_HEAD];
	for (i = 1; i < CAPA_STAMP_COUNT; i++)
	{
		managed[n++] = schema->stamp_at[i];
		managed[n++] = schema->stamp_by[i];
	}
	if (schema->governed)
	{
		for (i = 0; i < REGL_COLUMN_COUNT; i++)
		{
			/* extent_found is the caller's, as evidence; effectiveness_from
			 * is capa's, but a waiver moves it (a governed change) */
			/* owner_role: judged by capa_owner_bind, before it binds */
			if (i != REGL_EXTENT_FOUND && i != REGL_OWNER_ROLE &&
				!(i == REGL_EFFECTIVENESS_FROM && row->oldtup != NULL))
				managed[n++] = schema->reg_late[i];
		}
	}
	for (i = 0; i < n; i++)
	{
		bool		written;

		/* on INSERT the kind is the caller's to choose */
		if (row->oldtup == NULL && managed[i] == schema->reg[REG_KIND])
			continue;
		if (row->oldtup)
			written = col_changed(row, managed[i]);
		else
			written = !new_isnull(row, managed[i]);
		if (written)
			capa_refuse_maintained(row->rel, managed[i]);
	}
}

/* NULL-able timestamptz of now + interval, or NULL if the interval is */
static void
set_due(RegisterRow *row, AttrNumber attnum, HeapTuple policy, TupleDesc ptd,
		int policy_col)
{
	bool		isnull;
	Datum		interval = SPI_getbinval(policy, ptd, policy_col, &isnull);

	if (isnull)
		return;
	capa_row_set(&row->changes, attnum,
				 DirectFunctionCall2(timestamptz_pl_interval,
									 TimestampTzGetDatum(row->now), interval),
				 false);
}

/* The latest severity policy row, or NULL; columns contain, close, check */
static HeapTuple
severity_policy(RegisterRow *row, TupleDesc *ptd)
{
	bool		isnull;
	Datum		severity = get_col(row, row->newtup, row->schema->reg[REG_SEVERITY], &isnull);
	int			rc;

	if (isnull)
		return NULL;
	rc = SPI_execute_plan(capa_spi_plan(PLAN_SEVERITY_POLICY), &severity, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: severity policy lookup returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		return NULL;
	*ptd = SPI_tuptable->tupdesc;
	return SPI_tuptable->vals[0];
}

/*
 * Run a condition query against the latest committed state (and this
 * transaction's earlier changes), whatever the isolation level: a step is
 * judged by what others committed, as foreign-key checks are.  Under
 * REPEATABLE READ the transaction snapshot would miss an action item added
 * meanwhile.
 */
static int
execute_latest(CapaPlanId plan, Datum *values, long count)
{
	int			rc;

	PushActiveSnapshot(GetLatestSnapshot());
	rc = SPI_execute_plan(capa_spi_plan(plan), values, NULL, true, count);
	PopActiveSnapshot();
	return rc;
}

/* 55000 unless the record has action items (and all are done) */
static void
check_actions(RegisterRow *row, const CapaEdge *edge)
{
	int			rc;
	bool		isnull;
	int64		total;
	int64		pending;

	rc = execute_latest(PLAN_ACTION_COUNTS, &row->id, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "capa: action count returned %s", SPI_result_code_string(rc));
	total = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	pending = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));

	if ((edge->conditions & CAPA_COND_HAS_ACTIONS) && total == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("step %s of record %s requires at least one action item",
						edge->step, capa_ref_cstring(row->id)),
				 errdetail("Record %s has no action items.", capa_ref_cstring(row->id)),
				 errhint("Add one with capa_add_action().")));
	if ((edge->conditions & CAPA_COND_ACTIONS_DONE) && pending > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("step %s of record %s requires every action item to be done",
						edge->step, capa_ref_cstring(row->id)),
				 errdetail("%lld of %lld action items are not done.",
						   (long long) pending, (long long) total),
				 errhint("Complete them with capa_complete_action().")));
}

/*
 * 55000 unless an action item was completed after the record's last
 * verification: a record found ineffective (or reopened) is not
 * implemented again by the same work.  Read from the audit trail, whose
 * seq orders steps even within one transaction.
 */
static void
check_fresh_action(RegisterRow *row, const CapaEdge *edge)
{
	bool		isnull;
	int			rc;

	rc = execute_latest(PLAN_FRESH_ACTION, &row->id, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "capa: fresh action check returned %s", SPI_result_code_string(rc));
	if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("step %s of record %s requires an action item completed since its last verification",
						edge->step, capa_ref_cstring(row->id)),
				 errdetail("The record was verified before; no action item has been completed since."),
				 errhint("Add and complete a new action item with capa_add_action() and capa_complete_action().")));
}

/*
 * 42501: identity ids[i] is `what` ("owns the record", "owns an action item
 * of the record", "completed an action item of the record", "implemented
 * the record"), written there as `as`
 */
static void
segregation_refused(RegisterRow *row, const CapaSodIdentities *ids, int i, const char *what,
					const CapaOwner *as)
{
	const char *who = ids->name[i];
	const char *spelled;

	Oid			role = capa_owner_role(as);

	/* the spelling it was found under, when it is not the same */
	if (strcmp(who, as->name) == 0)
		spelled = "";
	else if (as->bound && OidIsValid(ids->role[i]) && ids->role[i] == as->role)
		spelled = psprintf(" (written \"%s\": the same role, renamed since; an owner is bound to its role)",
						   as->name);
	else if (OidIsValid(role) && OidIsValid(ids->role[i]) && ids->role[i] != role &&
			 is_member_of_role(ids->role[i], role))
		spelled = psprintf(" (\"%s\", a role \"%s\" is a member of: its members act for it)",
						   as->name, who);
	else
		spelled = psprintf(" (written \"%s\": names are compared without blanks at either end and without case)",
						   as->name);

	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("segregation of duties: \"%s\" may not verify record %s",
					who, capa_ref_cstring(row->id)),
			 ids->kind[i] == CAPA_SOD_SESSION_USER ?
			 errdetail("\"%s\" %s%s; it is the session's login role (session_user), which SET ROLE does not change.",
					   who, what, spelled) :
			 errdetail("\"%s\" %s%s.", who, what, spelled),
			 errhint("The effectiveness of an action is verified by someone who neither owns the record or one of its action items, nor completed an item or implemented the record.")));
}

/* A worker's recorded name as segregation_refused shows it */
static const CapaOwner *
worker_name(const char *name)
{
	CapaOwner  *w = palloc0(sizeof(CapaOwner));

	w->name = name;
	return w;
}

/*
 * 42501 if any identity of the verifying session (segregation.h: the
 * acting role, the login role, the end-user claim) owns the record or an
 * action item of it
 */
static void
check_segregation(RegisterRow *row)
{
	CapaSodIdentities ids;
	int			rc;
	int			i;
	uint64		n;
	bool		isnull;
	CapaOwner	owners[2];

	rc = execute_latest(PLAN_SEGREGATION_POLICY, NULL, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: policy lookup returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 1 &&
		!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
		return;

	capa_sod_session_identities(row->actor, &ids);

	/* the owner before and after this statement: changing it is no escape */
	capa_owner_read(row->tupdesc, row->oldtup, row->schema->reg[REG_OWNER],
					owner_role_col(row->schema), &owners[0]);
	capa_owner_read(row->tupdesc, row->newtup, row->schema->reg[REG_OWNER],
					owner_role_col(row->schema), &owners[1]);
	for (i = 0; i < 2; i++)
	{
		int			match = capa_sod_match(&ids, &owners[i]);

		if (match >= 0)
			segregation_refused(row, &ids, match, "owns the record", &owners[i]);
	}

	/* who implemented it (0.3.0): the work is not verified by who did it */
	{
		Datum		by = get_col(row, row->oldtup, row->schema->stamp_by[CAPA_STAMP_IMPLEMENTED], &isnull);
		char	   *name = isnull ? NULL : pstrdup(NameStr(*DatumGetName(by)));
		int			match = capa_sod_match_worker(&ids, name);

		if (match >= 0)
			segregation_refused(row, &ids, match, "implemented the record", worker_name(name));
	}

	/* every action item's owner, compared here by the same rule */
	rc = execute_latest(PLAN_ACTION_OWNERS, &row->id, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: action owner lookup returned %s", SPI_result_code_string(rc));
	for (n = 0; n < SPI_processed; n++)
	{
		Datum		owner = SPI_getbinval(SPI_tuptable->vals[n], SPI_tuptable->tupdesc, 1, &isnull);
		char	   *done_by;
		int			match;

		if (!isnull)
		{
			CapaOwner	item_owner = {TextDatumGetCString(owner), false, InvalidOid};

			if (SPI_tuptable->tupdesc->natts >= 3)
			{
				Datum		role = SPI_getbinval(SPI_tuptable->vals[n], SPI_tuptable->tupdesc, 3,
												 &item_owner.bound);

				item_owner.bound = !item_owner.bound;
				item_owner.role = item_owner.bound ? DatumGetObjectId(role) : InvalidOid;
			}
			match = capa_sod_match(&ids, &item_owner);
			if (match >= 0)
				segregation_refused(row, &ids, match, "owns an action item of the record",
									&item_owner);
		}
		/* and who completed it (0.3.0) */
		done_by = SPI_getvalue(SPI_tuptable->vals[n], SPI_tuptable->tupdesc, 2);
		match = capa_sod_match_worker(&ids, done_by);
		if (match >= 0)
			segregation_refused(row, &ids, match, "completed an action item of the record",
								worker_name(done_by));
	}

	/*
	 * And the trail (0.3.0): every owner the record or an item has had (a
	 * reassignment just before the verification is no escape), and the
	 * login role as well as the acting role of every completion and
	 * implementation (work done under SET ROLE is still the login's)
	 */
	rc = execute_latest(PLAN_SOD_HISTORY, &row->id, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: segregation history lookup returned %s", SPI_result_code_string(rc));
	for (n = 0; n < SPI_processed; n++)
	{
		char	   *kind = SPI_getvalue(SPI_tuptable->vals[n], SPI_tuptable->tupdesc, 1);
		char	   *name = SPI_getvalue(SPI_tuptable->vals[n], SPI_tuptable->tupdesc, 2);
		int			match;

		if (kind[0] == 'o')
		{
			CapaOwner	past = {name, false, InvalidOid};

			match = capa_sod_match(&ids, &past);
			if (match >= 0)
				segregation_refused(row, &ids, match,
									"owned the record or one of its action items (its trail says so)",
									&past);
		}
		else
		{
			match = capa_sod_match_worker(&ids, name);
			if (match >= 0)
				segregation_refused(row, &ids, match,
									"did work of the record: completed an action item or implemented it (its trail says so)",
									worker_name(name));
		}
	}
}

/*
 * A new or changed owner names a role or an application identity, unless
 * the policy allows free text (0.3.0; an owner written before stays as it is)
 */
static void
check_owner_identity(RegisterRow *row)
{
	AttrNumber	attnum = row->schema->reg[REG_OWNER];
	bool		isnull;

	if (!row->schema->governed || (row->oldtup && !col_changed(row, attnum)))
		return;
	capa_sod_require_identity(TextDatumGetCString(get_col(row, row->newtup, attnum, &isnull)),
							  "a capa record's");
}

/* Every sibling named in "related" must exist */
static void
check_related(RegisterRow *row)
{
	bool		isnull;
	Datum		related = get_col(row, row->newtup, row->schema->field[CAPA_F_RELATED], &isnull);
	int			rc;
	int64		missing;
	int			nitems;
	ArrayType  *arr;
	bool		enforced;
	SPITupleTable *tt;
	uint64		n;
	uint64		i;

	if (isnull)
		return;
	if (row->oldtup && !col_changed(row, row->schema->field[CAPA_F_RELATED]))
		return;
	arr = DatumGetArrayTypeP(related);
	nitems = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));
	if (array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("\"related\" may not contain NULL references"),
				 errtablecol(row->rel, row->schema->field[CAPA_F_RELATED])));
	rc = SPI_execute_plan(capa_spi_plan(PLAN_RELATED_UNITS), &related, NULL, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: related lookup returned %s", SPI_result_code_string(rc));

	/*
	 * A reference to a record of a unit the actor may not see names no
	 * record for it (row-level security by org unit): the same refusal as
	 * for a reference to nothing, so that related cannot probe other units
	 */
	enforced = capa_org_units_enforced(row->schema->register_relid);
	missing = 0;
	tt = SPI_tuptable;			/* capa_may_act_on() runs queries of its own */
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		if (DatumGetBool(SPI_getbinval(tt->vals[i], tt->tupdesc, 1, &isnull)))
			missing++;
		else if (enforced && !capa_may_act_on(row->actor, SPI_getvalue(tt->vals[i], tt->tupdesc, 2)))
			missing++;
	}
	if (missing > 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("\"related\" names a record that does not exist"),
				 errdetail("%lld of %d related references name no record.", (long long) missing, nitems),
				 errtablecol(row->rel, row->schema->field[CAPA_F_RELATED])));
}

/*
 * counter + 1.  The counters 0.3.0 added are NULL on a record an older
 * version wrote (none yet), and absent before the update.
 */
static void
bump_counter(RegisterRow *row, CapaCounter counter)
{
	CapaSchema *schema = row->schema;
	AttrNumber	attnum = InvalidAttrNumber;
	bool		isnull;
	int32		count;

	switch (counter)
	{
		case CAPA_COUNTER_NONE:
			return;
		case CAPA_COUNTER_REOPEN:
			attnum = schema->reg[REG_REOPEN_COUNT];
			break;
		case CAPA_COUNTER_INEFFECTIVE:
			attnum = schema->reg[REG_INEFFECTIVE_COUNT];
			break;
		case CAPA_COUNTER_RESCHEDULE:
			attnum = schema->reg_late[REGL_RESCHEDULE_COUNT];
			break;
		case CAPA_COUNTER_REASSIGN:
			attnum = schema->reg_late[REGL_REASSIGN_COUNT];
			break;
		case CAPA_COUNTER_REANALYSE:
			attnum = schema->reg_late[REGL_REANALYSE_COUNT];
			break;
	}
	if (attnum == InvalidAttrNumber)
		return;
	count = DatumGetInt32(get_col(row, row->oldtup, attnum, &isnull));
	capa_row_set(&row->changes, attnum, Int32GetDatum(isnull ? 1 : count + 1), false);
}

/* Stamps, counters, resets and due dates of a step */
static void
apply_effects(RegisterRow *row, const CapaEdge *edge)
{
	CapaSchema *schema = row->schema;
	int			i;

	if (edge->stamp != CAPA_STAMP_NONE)
	{
		capa_row_set(&row->changes, schema->stamp_at[edge->stamp],
					 TimestampTzGetDatum(row->now), false);
		capa_row_set(&row->changes, schema->stamp_by[edge->stamp],
					 capa_role_name_datum(row->actor), false);
	}
	bump_counter(row, edge->counter);
	bump_counter(row, edge->counter2);
	for (i = 0; i < CAPA_FIELD_COUNT; i++)
	{
		if (edge->clears & CAPA_BIT(i))
			capa_row_set(&row->changes, schema->field[i], (Datum) 0, true);
	}
	/* what the extent check found goes with the analysis that asked for it */
	if ((edge->clears & CAPA_BIT(CAPA_F_EXTENT_OF_CONDITION)) && schema->governed)
		capa_row_set(&row->changes, schema->reg_late[REGL_EXTENT_FOUND], (Datum) 0, true);
	for (i = 1; i < CAPA_STAMP_COUNT; i++)
	{
		if (edge->clears_stamps & CAPA_BIT(i))
		{
			capa_row_set(&row->changes, schema->stamp_at[i], (Datum) 0, true);
			capa_row_set(&row->changes, schema->stamp_by[i], (Datum) 0, true);
		}
	}
	if (edge->sets_effectiveness_due)
	{
		TupleDesc	ptd;
		HeapTuple	policy = severity_policy(row, &ptd);

		capa_row_set(&row->changes, schema->reg[REG_EFFECTIVENESS_DUE], (Datum) 0, true);
		if (policy)
			set_due(row, schema->reg[REG_EFFECTIVENESS_DUE], policy, ptd, 3);
		/* the earliest effectiveness check (0.3.0): none without a window */
		if (schema->governed)
		{
			capa_row_set(&row->changes, schema->reg_late[REGL_EFFECTIVENESS_FROM], (Datum) 0, true);
			if (policy)
				set_due(row, schema->reg_late[REGL_EFFECTIVENESS_FROM], policy, ptd, 4);
		}
	}
}

/*
 * The finding's facts of a new record (0.5.0): as given, and detected when
 * it is opened unless it says earlier
 */
static void
judge_new_facts(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	bool		judge[CAPA_FACT_COUNT];
	int			f;

	if (!schema->facts)
		return;
	for (f = 0; f < CAPA_FACT_COUNT; f++)
		judge[f] = true;
	capa_facts_check("a capa record", row->rel, schema->fact, row->newvals, row->newnulls,
					 judge, false, row->now);
	if (new_isnull(row, schema->fact[CAPA_FACT_DETECTED_AT]))
		capa_row_set(&row->changes, schema->fact[CAPA_FACT_DETECTED_AT],
					 TimestampTzGetDatum(row->now), false);
}

/*
 * The facts an amend corrects (0.5.0): a value, not NULL, and detected_at
 * not later than the record's opening
 */
static void
judge_amended_facts(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	bool		judge[CAPA_FACT_COUNT];
	bool		isnull;
	Datum		opened;
	int			f;

	if (!schema->facts)
		return;
	for (f = 0; f < CAPA_FACT_COUNT; f++)
		judge[f] = col_changed(row, schema->fact[f]);
	opened = get_col(row, row->oldtup, schema->stamp_at[CAPA_STAMP_OPENED], &isnull);
	capa_facts_check(psprintf("capa_amend of record %s", capa_ref_cstring(row->id)), row->rel,
					 schema->fact, row->newvals, row->newnulls, judge, true,
					 isnull ? row->now : DatumGetTimestampTz(opened));
}

/* The fact of column attnum (0.5.0), or -1 */
static int
attnum_fact(RegisterRow *row, AttrNumber attnum)
{
	int			f;

	for (f = 0; row->schema->facts && f < CAPA_FACT_COUNT; f++)
	{
		if (row->schema->fact[f] == attnum)
			return f;
	}
	return -1;
}

/* A new record: starts open, gets its reference, stamps and due dates */
static void
judge_insert(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	bool		isnull;
	struct pg_tm tm;
	fsec_t		fsec;
	int64		number;
	int64		packed;
	Datum		state;

	row->kind = row_kind(row, row->newtup);
	state = get_col(row, row->newtup, schema->reg[REG_STATE], &isnull);
	if (!isnull && DatumGetInt16(state) != CAPA_INITIAL_STATE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("a capa record starts in state \"%s\"",
						capa_state_cstring(CAPA_INITIAL_STATE)),
				 errdetail("The new record was given state \"%s\".",
						   capa_state_cstring(DatumGetInt16(state))),
				 errtablecol(row->rel, schema->reg[REG_STATE])));
	row->from = CAPA_STATE_INVALID;
	row->to = CAPA_INITIAL_STATE;

	check_managed_columns(row);
	require_text(row, schema->reg[REG_TITLE], "a capa record");
	require_text(row, schema->reg[REG_DESCRIPTION], "a capa record");
	require_text(row, schema->reg[REG_SOURCE], "a capa record");
	require_text(row, schema->reg[REG_OWNER], "a capa record");
	capa_facts_require_severity(new_isnull(row, schema->reg[REG_SEVERITY]), row->kind,
								"a capa record", row->rel, schema->reg[REG_SEVERITY]);
	check_foreign_evidence(row, NULL);
	judge_new_facts(row);
	if (schema->governed && !new_isnull(row, schema->reg_late[REGL_EXTENT_FOUND]))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"extent_found\" can only be set once the record is analysed"),
				 errdetail("A new record starts open; \"extent_found\" is recorded by capa_extent_found()."),
				 errtablecol(row->rel, schema->reg_late[REGL_EXTENT_FOUND])));

	/* the reference: year of opening (UTC) and the next number */
	if (timestamp2tm(row->now, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "capa: timestamp out of range");
	number = nextval_internal(schema->number_seq, false);
	if (!capa_ref_pack(tm.tm_year, number, &packed))
		ereport(ERROR,
				(errcode(ERRCODE_SEQUENCE_GENERATOR_LIMIT_EXCEEDED),
				 errmsg("capa reference number %lld is out of range", (long long) number)));
	row->id = CapaRefGetDatum(packed);

	capa_row_set(&row->changes, schema->reg[REG_ID], row->id, false);
	capa_row_set(&row->changes, schema->reg[REG_STATE], Int16GetDatum(CAPA_INITIAL_STATE), false);
	capa_row_set(&row->changes, schema->stamp_at[CAPA_STAMP_OPENED], TimestampTzGetDatum(row->now), false);
	capa_row_set(&row->changes, schema->stamp_by[CAPA_STAMP_OPENED], capa_role_name_datum(row->actor), false);
	capa_row_set(&row->changes, schema->reg[REG_UPDATED_AT], TimestampTzGetDatum(row->now), false);
	capa_row_set(&row->changes, schema->reg[REG_REOPEN_COUNT], Int32GetDatum(0), false);
	capa_row_set(&row->changes, schema->reg[REG_INEFFECTIVE_COUNT], Int32GetDatum(0), false);
	capa_row_set(&row->changes, schema->reg[REG_CHAIN_SEQ], Int32GetDatum(1), false);
}

/* Due dates the caller left empty come from the severity policy */
static void
set_policy_due_dates(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	TupleDesc	ptd;
	HeapTuple	policy = severity_policy(row, &ptd);

	if (policy == NULL)
		return;
	if (row->kind == CAPA_KIND_CORRECTIVE && new_isnull(row, schema->reg[REG_CONTAIN_DUE]))
		set_due(row, schema->reg[REG_CONTAIN_DUE], policy, ptd, 1);
	if (new_isnull(row, schema->reg[REG_CLOSE_DUE]))
		set_due(row, schema->reg[REG_CLOSE_DUE], policy, ptd, 2);
}


/* The due date columns, in rules.c's CapaDue order, and their originals */
static const CapaRegisterColumn due_columns[CAPA_DUE_COUNT] = {
	REG_CONTAIN_DUE, REG_CLOSE_DUE, REG_EFFECTIVENESS_DUE
};
static const CapaRegisterLateColumn due_originals[CAPA_DUE_COUNT] = {
	REGL_ORIGINAL_CONTAIN_DUE, REGL_ORIGINAL_CLOSE_DUE, REGL_ORIGINAL_EFFECTIVENESS_DUE
};

/* The evidence field of column attnum, or -1 */
static int
attnum_field(RegisterRow *row, AttrNumber attnum)
{
	int			f;

	for (f = 0; f < CAPA_FIELD_COUNT; f++)
	{
		if (row->schema->field[f] == attnum)
			return f;
	}
	return -1;
}

/* The due kind of column attnum, or -1 */
static int
attnum_due(RegisterRow *row, AttrNumber attnum)
{
	int			d;

	for (d = 0; d < CAPA_DUE_COUNT; d++)
	{
		if (row->schema->reg[due_columns[d]] == attnum)
			return d;
	}
	return -1;
}

/*
 * What an UPDATE without a step changes (rules.c's capa_changes): the
 * owner (reassign), due dates (reschedule), the title, description or
 * recorded evidence (amend), or severity, priority, source, org unit
 * (edit).  One kind per statement, so that each is its own step in the
 * trail and counts where it should.  Columns capa maintains were refused
 * before.
 */
static void
classify_change(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	bool		seen[CAPA_CHANGE_COUNT];
	int			n = 0;
	int			i;

	memset(seen, 0, sizeof(seen));
	row->amended = 0;
	for (i = 1; i <= row->tupdesc->natts; i++)
	{
		int			kind;
		int			f;

		if (TupleDescAttr(row->tupdesc, i - 1)->attisdropped || !col_changed(row, i))
			continue;
		f = attnum_field(row, i);
		/* the binding follows the owner: part of a reassignment */
		if (schema->governed && i == schema->reg_late[REGL_OWNER_ROLE])
			kind = CAPA_CHANGE_REASSIGN;
		else if (i == schema->reg[REG_OWNER])
			kind = CAPA_CHANGE_REASSIGN;
		else if (schema->governed && i == schema->reg_late[REGL_EXTENT_FOUND])
			kind = CAPA_CHANGE_EXTENT_FOUND;
		else if (schema->governed && i == schema->reg_late[REGL_EFFECTIVENESS_FROM])
			kind = CAPA_CHANGE_WAIVE_WINDOW;
		else if (attnum_due(row, i) >= 0)
			kind = CAPA_CHANGE_RESCHEDULE;
		else if (i == schema->reg[REG_TITLE] || i == schema->reg[REG_DESCRIPTION])
			kind = CAPA_CHANGE_AMEND;
		/* the finding's facts (0.5.0) are corrected as its description is */
		else if (attnum_fact(row, i) >= 0)
			kind = CAPA_CHANGE_AMEND;
		else if (f >= 0)
		{
			kind = CAPA_CHANGE_AMEND;
			row->amended |= CAPA_BIT(f);
		}
		else
			kind = CAPA_CHANGE_EDIT;
		if (!seen[kind])
			n++;
		seen[kind] = true;
		row->change = kind;
	}
	if (n > 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("an UPDATE of record %s makes one kind of change",
						capa_ref_cstring(row->id)),
				 errdetail("Reassigning (owner), rescheduling (due dates), amending (title, description, the finding's facts, evidence) and editing (severity, priority, source, org unit) are separate steps of the trail."),
				 errhint("Make each change with its own statement and reason.")));
}

/*
 * A waiver of the effectiveness window: there is one, and the new start
 * of the check is earlier, not later (a waiver never lengthens it)
 */
static void
judge_waiver(RegisterRow *row)
{
	AttrNumber	attnum = row->schema->reg_late[REGL_EFFECTIVENESS_FROM];
	bool		oldnull;
	bool		newnull;
	Datum		oldval = get_col(row, row->oldtup, attnum, &oldnull);
	Datum		newval = get_col(row, row->newtup, attnum, &newnull);

	if (oldnull)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("record %s has no effectiveness window to waive",
						capa_ref_cstring(row->id)),
				 errdetail("Its severity policy set no earliest effectiveness check when it was implemented.")));
	if (newnull)
		ereport(ERROR,
				(errcode(ERRCODE_NOT_NULL_VIOLATION),
				 errmsg("a waiver moves \"effectiveness_from\", it does not remove it"),
				 errtablecol(row->rel, attnum)));
	if (DatumGetTimestampTz(oldval) <= row->now)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the effectiveness window of record %s is over already",
						capa_ref_cstring(row->id)),
				 errdetail("The effectiveness of the action is checked from %s.",
						   timestamptz_to_str(DatumGetTimestampTz(oldval)))));
	capa_require_finite("a capa record", "effectiveness_from", TIMESTAMPTZOID, newval);
	if (DatumGetTimestampTz(newval) > DatumGetTimestampTz(oldval))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a waiver shortens the effectiveness window of record %s, it does not lengthen it",
						capa_ref_cstring(row->id)),
				 errtablecol(row->rel, attnum)));
}

/* The effectiveness check is due no earlier than its window ends */
static void
check_due_after_window(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	AttrNumber	due = schema->reg[REG_EFFECTIVENESS_DUE];
	bool		dnull;
	bool		wnull;
	Datum		d;
	Datum		w;

	if (!schema->governed || !col_changed(row, due))
		return;
	d = get_col(row, row->newtup, due, &dnull);
	w = get_col(row, row->oldtup, schema->reg_late[REGL_EFFECTIVENESS_FROM], &wnull);
	if (!dnull && !wnull && DatumGetTimestampTz(d) < DatumGetTimestampTz(w))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the effectiveness check of record %s cannot be due before its window ends",
						capa_ref_cstring(row->id)),
				 errdetail("The effectiveness of the action is checked from %s.",
						   timestamptz_to_str(DatumGetTimestampTz(w))),
				 errtablecol(row->rel, due)));
}

/*
 * 55000 while the record's effectiveness window lasts: the action is found
 * effective only once it had the time to show it (an ineffective finding
 * may come any time).  A record implemented before 0.3.0, or under a policy
 * without a window, has none.
 */
static void
check_window(RegisterRow *row)
{
	bool		isnull;
	Datum		from;

	if (!row->schema->governed)
		return;
	from = get_col(row, row->oldtup, row->schema->reg_late[REGL_EFFECTIVENESS_FROM], &isnull);
	if (isnull || row->now >= DatumGetTimestampTz(from))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("the effectiveness of record %s cannot be verified before %s",
					capa_ref_cstring(row->id), timestamptz_to_str(DatumGetTimestampTz(from))),
			 errdetail("Its severity policy gives the action time to show its effect after implementation."),
			 errhint("Verify from %s; an ineffective finding may be recorded now; capa_admin may waive the window for this record with capa_waive_window().",
					 timestamptz_to_str(DatumGetTimestampTz(from)))));
}

/*
 * A change without a step: allowed in this state, and an amend corrects
 * only evidence the record's steps recorded (its actor and reason are
 * judged by permit_change, once its values are)
 */
static void
judge_change(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	const CapaChange *change = &capa_changes[row->change];
	bool		isnull;
	int			d;
	int			f;

	if (!(change->kinds & CAPA_KIND_BIT(row->kind)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("records of kind %s have no %s",
						capa_label_name(&capa_kind_labels, row->kind), change->step),
				 errdetail("Record %s is an %s record.", capa_ref_cstring(row->id),
						   capa_label_name(&capa_kind_labels, row->kind))));
	if (!(change->states & CAPA_STATE_BIT(row->from)))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("record %s is %s: no %s", capa_ref_cstring(row->id),
						capa_state_cstring(row->from), change->step),
				 errdetail("The record is %s; %s is made while it is %s.",
						   capa_state_cstring(row->from), change->step,
						   states_text(change->states)),
				 (row->from == CAPA_STATE_CLOSED) ?
				 errhint("A closed record changes only through capa_reopen().") : 0));
	if (row->change == CAPA_CHANGE_EXTENT_FOUND)
		require_text(row, schema->reg_late[REGL_EXTENT_FOUND], "capa_extent_found");
	if (row->change == CAPA_CHANGE_WAIVE_WINDOW)
		judge_waiver(row);
	if (row->change == CAPA_CHANGE_RESCHEDULE)
	{
		check_due_after_window(row);
		for (d = 0; d < CAPA_DUE_COUNT; d++)
		{
			AttrNumber	attnum = schema->reg[due_columns[d]];

			if (!col_changed(row, attnum))
				continue;
			if (new_isnull(row, attnum))
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("a due date is moved, not removed: \"%s\" of record %s",
								capa_dues[d].column, capa_ref_cstring(row->id)),
						 errtablecol(row->rel, attnum)));
			if (!(capa_dues[d].kinds & CAPA_KIND_BIT(row->kind)) ||
				!(capa_dues[d].states & CAPA_STATE_BIT(row->from)))
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("the %s due date of record %s cannot be moved while it is %s",
								capa_dues[d].name, capa_ref_cstring(row->id),
								capa_state_cstring(row->from)),
						 errdetail("A %s record's %s due date is moved while it is still ahead (%s).",
								   capa_label_name(&capa_kind_labels, row->kind),
								   capa_dues[d].name,
								   d == CAPA_DUE_CONTAIN ? "a corrective record, open" :
								   d == CAPA_DUE_EFFECTIVENESS ? "implemented" :
								   "not closed or cancelled"),
						 errtablecol(row->rel, attnum)));
		}
	}
	if (row->change == CAPA_CHANGE_AMEND)
	{
		uint32		recorded = 0;

		/* evidence is corrected where a step of this state recorded it */
		for (f = 0; f < CAPA_FIELD_COUNT; f++)
		{
			get_col(row, row->oldtup, schema->field[f], &isnull);
			if (!isnull)
				recorded |= CAPA_BIT(f);
		}
		row->amended &= capa_rules_amendable(row->from) & recorded;
		judge_amended_facts(row);
		/* any other evidence: 55000, as for evidence of another step */
		check_foreign_evidence(row, NULL);
		for (f = 0; f < CAPA_FIELD_COUNT; f++)
		{
			if (!(row->amended & CAPA_BIT(f)))
				continue;
			if (capa_fields[f].shape == CAPA_SHAPE_TEXT)
				require_text(row, schema->field[f], "capa_amend");
			else if (new_isnull(row, schema->field[f]))
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("capa_amend requires \"%s\"", capa_fields[f].column),
						 errtablecol(row->rel, schema->field[f])));
		}
	}
}

/* A change without a step is made by whom rules.c says, with a reason */
static void
permit_change(RegisterRow *row)
{
	const CapaChange *change = &capa_changes[row->change];
	unsigned	roles = row->change == CAPA_CHANGE_AMEND ?
		capa_rules_amend_roles(row->amended) : change->roles;
	char		object[64];
	CapaOwner	owner;

	snprintf(object, sizeof(object), "record %s", capa_ref_cstring(row->id));
	capa_owner_read(row->tupdesc, row->oldtup, row->schema->reg[REG_OWNER], owner_role_col(row->schema),
					&owner);
	capa_governed_permit(roles, row->actor, &owner, NULL, change->step, object);
	row->reason = change->needs_reason ? capa_governed_reason(change->step) : NULL;
}

/* NEW's value of attnum as the trigger will write it */
static Datum
final_col(RegisterRow *row, AttrNumber attnum, bool *isnull)
{
	int			i;

	for (i = row->changes.count - 1; i >= 0; i--)
	{
		if (row->changes.cols[i] == attnum)
		{
			*isnull = row->changes.nulls[i];
			return row->changes.values[i];
		}
	}
	return get_col(row, row->newtup, attnum, isnull);
}

/*
 * The first due date of each kind stays known: set when a due date is
 * first there (a new record, the first implementation), and for a record
 * an older version wrote, when its due date is first moved
 */
static void
keep_original_dues(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	int			d;

	if (!schema->governed)
		return;
	for (d = 0; d < CAPA_DUE_COUNT; d++)
	{
		AttrNumber	original = schema->reg_late[due_originals[d]];
		AttrNumber	due = schema->reg[due_columns[d]];
		bool		isnull;
		Datum		value;

		if (row->oldtup == NULL)
			value = final_col(row, due, &isnull);
		else
		{
			get_col(row, row->oldtup, original, &isnull);
			if (!isnull)
				continue;		/* set once */
			if (row->change == CAPA_CHANGE_RESCHEDULE && col_changed(row, due))
			{
				/* the due date it had, if it had one */
				value = get_col(row, row->oldtup, due, &isnull);
				if (isnull)
					value = final_col(row, due, &isnull);
			}
			else if (d == CAPA_DUE_EFFECTIVENESS && row->to == CAPA_STATE_IMPLEMENTED &&
					 row->from != row->to)
				value = final_col(row, due, &isnull);
			else
				continue;
		}
		if (!isnull)
			capa_row_set(&row->changes, original, value, false);
	}
}

/* Counters of a governed change */
static void
count_change(RegisterRow *row)
{
	bump_counter(row, capa_changes[row->change].counter);
}

/*
 * An edge from the record's state to itself (rules.c: the analysis taken
 * again once it was sent back), if this statement takes it: asked for by
 * its function, or a plain UPDATE that writes the step's evidence; and
 * only while the analysis is open (its root cause cleared).  NULL if not.
 */
static const CapaEdge *
retaken_step(RegisterRow *row)
{
	const CapaEdge *self = capa_rules_find(row->kind, row->from, row->from);
	uint32		fields;
	bool		isnull;
	int			f;

	if (self == NULL || !(self->conditions & CAPA_COND_ANALYSIS_REOPENED))
		return NULL;
	get_col(row, row->oldtup, row->schema->field[CAPA_F_ROOT_CAUSE], &isnull);
	if (!isnull)
		return NULL;			/* analysed, and not sent back: "already" */
	if (capa_request.active && capa_request.target == row->from)
		return self;
	fields = capa_rules_step_fields(self);
	for (f = 0; f < CAPA_FIELD_COUNT; f++)
	{
		if ((fields & CAPA_BIT(f)) && col_changed(row, row->schema->field[f]))
			return self;
	}
	return NULL;
}

/* A change to a record: a step of its path, or an edit of an open record */
static const CapaEdge *
judge_update(RegisterRow *row)
{
	CapaSchema *schema = row->schema;
	const CapaEdge *edge = NULL;
	bool		isnull;
	int32		seq;

	row->id = get_col(row, row->oldtup, schema->reg[REG_ID], &isnull);
	row->kind = row_kind(row, row->oldtup);
	row->from = row_state(row, row->oldtup);
	row->to = row_state(row, row->newtup);

	if (row->from != row->to)
	{
		edge = capa_rules_find(row->kind, row->from, row->to);
		if (edge == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("record %s cannot move from %s to %s",
							capa_ref_cstring(row->id), capa_state_cstring(row->from),
							capa_state_cstring(row->to)),
					 errdetail("The record is %s; the %s path has no step from %s to %s.",
							   capa_state_cstring(row->from),
							   capa_label_name(&capa_kind_labels, row->kind),
							   capa_state_cstring(row->from), capa_state_cstring(row->to)),
					 errhint("Allowed next steps: %s.", next_steps_text(row->kind, row->from)),
					 errtablecol(row->rel, schema->reg[REG_STATE])));
	}
	else if ((edge = retaken_step(row)) != NULL)
		;						/* the analysis taken again */
	else if (capa_request.active && capa_request.target != CAPA_STATE_INVALID)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("record %s is already %s", capa_ref_cstring(row->id),
						capa_state_cstring(row->from)),
				 errdetail("The record is %s.", capa_state_cstring(row->from)),
				 errhint("Allowed next steps: %s.", next_steps_text(row->kind, row->from))));
	else if (capa_rules_frozen(row->from))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("record %s is %s and cannot be changed",
						capa_ref_cstring(row->id), capa_state_cstring(row->from)),
				 errdetail("The record is %s.", capa_state_cstring(row->from)),
				 errhint("Allowed next steps: %s.", next_steps_text(row->kind, row->from))));

	/* a function that names its step takes that step only */
	if (edge && capa_request.active && capa_request.step &&
		strcmp(edge->step, capa_request.step) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("record %s cannot %s while it is %s", capa_ref_cstring(row->id),
						capa_request.step, capa_state_cstring(row->from)),
				 errdetail("The record is %s.", capa_state_cstring(row->from)),
				 errhint("Allowed next steps: %s.", next_steps_text(row->kind, row->from))));

	check_managed_columns(row);
	row->change = -1;
	if (edge == NULL)
	{
		classify_change(row);
		if (row->change >= 0)
			judge_change(row);
	}
	else
		check_step_only(row, edge);
	if (edge != NULL && edge->roles)
	{
		char		object[64];
		CapaOwner	owner;

		snprintf(object, sizeof(object), "record %s from %s", capa_ref_cstring(row->id),
				 capa_state_cstring(row->from));
		capa_owner_read(row->tupdesc, row->oldtup, schema->reg[REG_OWNER], owner_role_col(schema), &owner);
		capa_governed_permit(edge->roles, row->actor, &owner, NULL, edge->step, object);
	}
	require_text(row, schema->reg[REG_TITLE], "a capa record");
	require_text(row, schema->reg[REG_DESCRIPTION], "a capa record");
	require_text(row, schema->reg[REG_SOURCE], "a capa record");
	require_text(row, schema->reg[REG_OWNER], "a capa record");
	/* an edit of the severity: only an improvement may go without (0.5.0) */
	capa_facts_require_severity(new_isnull(row, schema->reg[REG_SEVERITY]), row->kind,
								"a capa record", row->rel, schema->reg[REG_SEVERITY]);
	check_foreign_evidence(row, edge);
	if (edge)
		check_evidence(row, edge);

	seq = DatumGetInt32(get_col(row, row->oldtup, schema->reg[REG_CHAIN_SEQ], &isnull));
	capa_row_set(&row->changes, schema->reg[REG_CHAIN_SEQ], Int32GetDatum(seq + 1), false);
	capa_row_set(&row->changes, schema->reg[REG_UPDATED_AT], TimestampTzGetDatum(row->now), false);
	return edge;
}

/* True if the UPDATE changes no column at all */
static bool
update_is_noop(RegisterRow *row)
{
	int			i;

	for (i = 1; i <= row->tupdesc->natts; i++)
	{
		if (TupleDescAttr(row->tupdesc, i - 1)->attisdropped)
			continue;
		if (col_changed(row, i))
			return false;
	}
	return true;
}

Datum
capa_register_trigger(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	TriggerData *trigdata = capa_trigger_preamble(fcinfo, "capa_register_trigger",
												  schema->register_relid);
	RegisterRow row;
	const CapaEdge *edge = NULL;
	MemoryContext caller_cxt = CurrentMemoryContext;
	HeapTuple	result;
	CapaAuditEntry entry;
	Oid			saved_user;
	int			saved_sec;
	bool	   *skip;
	bool		isnull;
	bool		importing = false;

	if (TRIGGER_FIRED_BY_DELETE(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa records cannot be deleted"),
				 errdetail("Record %s stays in the register with its history.",
						   capa_ref_cstring(heap_getattr(trigdata->tg_trigtuple,
														 schema->reg[REG_ID],
														 RelationGetDescr(trigdata->tg_relation),
														 &isnull))),
				 errhint("Cancel it with capa_cancel() instead.")));

	memset(&row, 0, sizeof(row));
	row.change = -1;
	row.rel = trigdata->tg_relation;
	row.tupdesc = RelationGetDescr(row.rel);
	row.schema = schema;
	row.actor = capa_actor();
	row.now = GetCurrentTransactionStartTimestamp();

	if (TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
	{
		row.newtup = capa_owner_bind(row.tupdesc, NULL, trigdata->tg_trigtuple,
									 schema->reg[REG_OWNER], owner_role_col(schema),
									 row.rel, schema->reg[REG_CHAIN_HEAD], false);
		if (capa_is_restored_row(row.rel, row.newtup, schema->reg[REG_CHAIN_SEQ],
								 schema->reg[REG_CHAIN_HEAD]))
			return PointerGetDatum(row.newtup);
		/* a row capa_import() is inserting: judged against its history */
		importing = capa_import_claim(CAPA_IMPORT_REGISTER);
		if (importing)
			capa_import_judge_record(row.rel, row.newtup, &row.changes, &row.id,
									 &row.kind, &row.to);
		else
		{
			deform_row(&row);
			judge_insert(&row);
			check_due_dates(&row);
		}
	}
	else if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
	{
		row.oldtup = trigdata->tg_trigtuple;
		row.newtup = capa_owner_bind(row.tupdesc, row.oldtup, trigdata->tg_newtuple,
									 schema->reg[REG_OWNER], owner_role_col(schema),
									 row.rel, schema->reg[REG_CHAIN_HEAD],
									 capa_reassigning(capa_changes[CAPA_CHANGE_REASSIGN].step));
		deform_row(&row);

		/*
		 * Row-level security by org unit, before anything that reads the
		 * record's content: a record of a unit the actor may not see is
		 * skipped, as the policies would hide it from the actor's own
		 * UPDATE.  The API's statement, run as capa's owner, then finds no
		 * row and answers as for a reference that names no record, by the
		 * same code: no state, kind, evidence or segregation check has run
		 * to tell the two apart (docs/security.md).
		 */
		if (capa_org_units_enforced(schema->register_relid) &&
			!capa_record_visible(row.actor, (Datum) 0, true,
								 row_org_unit(&row, row.oldtup)))
			return PointerGetDatum(NULL);

		/* [attach] a step that adds evidence (evidence_step.c): its chain row */
		result = capa_evidence_step_row(row.rel, row.oldtup, row.newtup, row.actor, caller_cxt);
		if (result != NULL)
			return PointerGetDatum(result);

		/* an UPDATE that changes nothing is not a change: no audit row */
		if (update_is_noop(&row) &&
			!(capa_request.active && capa_request.target != CAPA_STATE_INVALID))
		{
			/* ... but a function asked for a change: say it made none */
			if (capa_request.active && capa_request.change)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("record %s already has that value",
								capa_ref_cstring(get_col(&row, row.oldtup, schema->reg[REG_ID], &isnull))),
						 errdetail("The change would change nothing.")));
			return PointerGetDatum(row.newtup);
		}
		edge = judge_update(&row);
		check_due_dates(&row);
		/* who and why, once the change itself is judged */
		if (row.change >= 0)
			permit_change(&row);
		else if (edge && edge->needs_reason)
			row.reason = capa_governed_reason(edge->step);
	}
	else
		elog(ERROR, "capa_register_trigger: unexpected event");

	/* the checks and writes that need queries run as capa's owner */
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);

	/*
	 * Row-level security by org unit: a new record, or one moving to
	 * another unit, goes only into a unit the actor may act on (the record
	 * it comes from was judged visible above)
	 */
	if (capa_org_units_enforced(schema->register_relid))
		capa_require_org_unit(row.actor, row_org_unit(&row, row.newtup));

	if (!importing)
		check_owner_identity(&row);
	if (row.oldtup == NULL && !importing)
	{
		set_policy_due_dates(&row);
		keep_original_dues(&row);
		if (schema->governed)
		{
			capa_row_set(&row.changes, schema->reg_late[REGL_RESCHEDULE_COUNT], Int32GetDatum(0), false);
			capa_row_set(&row.changes, schema->reg_late[REGL_REASSIGN_COUNT], Int32GetDatum(0), false);
			capa_row_set(&row.changes, schema->reg_late[REGL_REANALYSE_COUNT], Int32GetDatum(0), false);
		}
	}
	else if (edge)
	{
		if (edge->conditions & (CAPA_COND_HAS_ACTIONS | CAPA_COND_ACTIONS_DONE))
			check_actions(&row, edge);
		if (edge->conditions & CAPA_COND_FRESH_ACTION)
			check_fresh_action(&row, edge);
		if (edge->conditions & CAPA_COND_SEGREGATION)
			check_segregation(&row);
		if (edge->conditions & CAPA_COND_WINDOW)
			check_window(&row);
		apply_effects(&row, edge);
		keep_original_dues(&row);
	}
	else if (row.change >= 0)
	{
		/* the verifier's words are corrected by someone who may verify */
		if (row.amended & CAPA_AMEND_VERIFIER_FIELDS)
			check_segregation(&row);
		count_change(&row);
		keep_original_dues(&row);
	}
	check_related(&row);

	{
		MemoryContext spi_cxt = MemoryContextSwitchTo(caller_cxt);

		result = capa_row_apply(row.newtup, row.tupdesc, &row.changes);
		MemoryContextSwitchTo(spi_cxt);
	}

	/* the audit row: what changed, without the chain bookkeeping */
	skip = capa_bookkeeping_skip(row.tupdesc, schema->reg[REG_CHAIN_SEQ], schema->reg[REG_CHAIN_HEAD],
								 schema->reg[REG_UPDATED_AT]);
	memset(&entry, 0, sizeof(entry));
	entry.capa_id = row.id;
	entry.has_action = false;
	entry.chain_seq = DatumGetInt32(heap_getattr(result, schema->reg[REG_CHAIN_SEQ],
												 row.tupdesc, &isnull));
	entry.step = importing ? "import" : row.oldtup == NULL ? "open" :
		edge ? edge->step : row.change >= 0 ? capa_changes[row.change].step : "edit";
	entry.from_state = edge ? row.from : CAPA_STATE_INVALID;
	entry.to_state = (edge || row.oldtup == NULL) ? row.to : CAPA_STATE_INVALID;
	entry.changed = importing ? capa_import_changed(row.tupdesc, result, skip) :
		(row.reason != NULL || row.change >= 0) ?
		capa_changed_columns_reason(row.tupdesc, row.oldtup, result, skip, row.reason) :
		capa_changed_columns(row.tupdesc, row.oldtup, result, skip);
	entry.actor = row.actor;
	result = capa_audit_chain(&entry, row.tupdesc, row.oldtup, result,
							  schema->reg[REG_CHAIN_HEAD], caller_cxt);
	capa_kpi_track(row.tupdesc, row.oldtup, result);
	/* an import is not a step: no NOTIFY per imported record */
	if (entry.to_state != CAPA_STATE_INVALID && !importing)
		capa_notify_step(row.tupdesc, result, entry.step, entry.from_state, entry.to_state,
						 entry.seq);
	else if (row.change >= 0)
		capa_notify_change(row.id, entry.step, entry.seq);

	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	return PointerGetDatum(result);
}
