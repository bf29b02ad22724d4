/*-------------------------------------------------------------------------
 *
 * import_load.c
 *	  capa_import(source regclass): load an existing register, with its
 *	  historical dates and states, as records audited as imports.
 *
 * The source (a table or view) is read with the caller's privileges; its
 * columns are matched to the register's by name, plus legacy_id (the old
 * register's identifier, kept in the import audit row) and actions (a
 * jsonb array of action items).  Each row is inserted through the
 * executor as capa's owner, so capa's triggers and constraints apply
 * (the foreign keys to the lookup codes and of action items to their
 * record are checked here instead: without_checked_keys), and the
 * triggers judge each row (import_judge.c).  Refusals of this file:
 *	  42501  a source the caller cannot read
 *	  42703  a source column capa does not import; 428C9 one capa maintains
 * One statement: any refusal undoes the whole import.
 *
 * IDENTIFICATION
 *	  src/integration/import_load.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parse_coerce.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "audit/audit.h"
#include "common/actor.h"
#include "common/finite_time.h"
#include "common/schema_cache.h"
#include "common/table_write.h"
#include "common/trigger_row.h"
#include "integration/import.h"
#include "integration/import_run.h"
#include "lifecycle/rules.h"

PG_FUNCTION_INFO_V1(capa_import);

/* The import this backend runs, or NULL */
ImportState *capa_import_running = NULL;

/* Source rows fetched at a time */
#define IMPORT_BATCH 1000

/* The keys of an action item in the actions array */
typedef struct ActionKey
{
	const char *key;
	CapaActionColumn column;
} ActionKey;

static const ActionKey action_keys[] = {
	{"description", ACT_DESCRIPTION},
	{"owner", ACT_OWNER},
	{"due", ACT_DUE},
	{"done", ACT_DONE},
	{"evidence", ACT_EVIDENCE},
	{"done_at", ACT_DONE_AT},
	{"done_by", ACT_DONE_BY},
	{"created_at", ACT_CREATED_AT},
	{"created_by", ACT_CREATED_BY},
};

/* How a source column becomes a register value */
typedef enum SourceRole
{
	SRC_REGISTER,				/* a register column */
	SRC_LEGACY_ID,				/* the old register's identifier */
	SRC_ACTIONS					/* jsonb array of action items */
} SourceRole;

typedef struct SourceColumn
{
	SourceRole	role;
	AttrNumber	target;			/* register column (SRC_REGISTER) */
	bool		direct;			/* same or binary-coercible type */
	FmgrInfo	out;			/* else: the source type's output ... */
	FmgrInfo	in;				/* ... read by the target type's input */
	Oid			in_ioparam;
} SourceColumn;

/* Every error raised while a row is imported names it */
static void
import_error_context(void *arg)
{
	if (capa_import_running != NULL && capa_import_running->rowno > 0)
		errcontext("capa_import of %s, %s", capa_import_running->source_name, capa_import_row_label());
}

/*
 * Reading the source
 */

/* The codes of a lookup table, as capa's owner */
static void
load_codes(ImportState *st, int lookup, const char *sql)
{
	uint64		i;

	MemoryContext cxt = CurrentMemoryContext;

	if (SPI_execute(sql, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "capa: lookup query failed: %s", sql);
	MemoryContextSwitchTo(cxt);
	st->codes[lookup] = palloc(sizeof(char *) * (SPI_processed + 1));
	st->ncodes[lookup] = (int) SPI_processed;
	for (i = 0; i < SPI_processed; i++)
		st->codes[lookup][i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
}

/* Lookup codes and policies, read once: the import is one statement */
static void
load_lookups(ImportState *st, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	int			sev;
	int			rc;
	bool		isnull;

	/*
	 * Held FOR KEY SHARE to the end of the transaction, as the foreign keys'
	 * checks would hold the codes they find: none can go while the imported
	 * records refer to them (see without_checked_keys)
	 */
	load_codes(st, 0, "SELECT s.code FROM capa.source s FOR KEY SHARE");
	load_codes(st, 1, "SELECT m.code FROM capa.rca_method m FOR KEY SHARE");
	load_codes(st, 2, "SELECT c.code FROM capa.cause_category c FOR KEY SHARE");
	/* the finding's grade (0.5.0), once the database has it */
	if (capa_schema()->facts)
		load_codes(st, 3, "SELECT g.code FROM capa.grade g FOR KEY SHARE");

	MemoryContextSwitchTo(cxt);
	rc = SPI_execute_plan(capa_spi_plan(PLAN_SEGREGATION_POLICY), NULL, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: policy lookup returned %s", SPI_result_code_string(rc));
	st->segregation = SPI_processed == 0 ||
		DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	for (sev = 1; sev <= CAPA_SEVERITY_MAX; sev++)
	{
		Datum		arg = Int16GetDatum((int16) sev);
		HeapTuple	tup;
		TupleDesc	td;
		Datum		d;

		rc = SPI_execute_plan(capa_spi_plan(PLAN_SEVERITY_POLICY), &arg, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "capa: severity policy lookup returned %s", SPI_result_code_string(rc));
		if (SPI_processed == 0)
			continue;
		tup = SPI_tuptable->vals[0];
		td = SPI_tuptable->tupdesc;
		MemoryContextSwitchTo(cxt);
		st->has_policy[sev] = true;
		d = SPI_getbinval(tup, td, 1, &isnull);
		st->contain_within[sev] = isnull ? (Datum) 0 : datumCopy(d, false, 16);
		d = SPI_getbinval(tup, td, 2, &isnull);
		st->close_within[sev] = isnull ? (Datum) 0 : datumCopy(d, false, 16);
		d = SPI_getbinval(tup, td, 3, &isnull);
		st->effectiveness_within[sev] = isnull ? (Datum) 0 : datumCopy(d, false, 16);
	}
	MemoryContextSwitchTo(old);
}

/* How each source column maps to the register; 42703/428C9 if it cannot */
static SourceColumn *
map_columns(TupleDesc srcdesc, CapaSchema *schema)
{
	SourceColumn *map = palloc0(sizeof(SourceColumn) * srcdesc->natts);
	const CapaRegisterColumn managed[] = {
		REG_ID, REG_UPDATED_AT, REG_REOPEN_COUNT, REG_INEFFECTIVE_COUNT,
		REG_CHAIN_SEQ, REG_CHAIN_HEAD
	};
	int			i;
	int			j;

	for (i = 0; i < srcdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(srcdesc, i);
		const char *name = NameStr(att->attname);
		SourceColumn *m = &map[i];
		Oid			target_type;
		Oid			outfunc;
		bool		isvarlena;
		Oid			infunc;

		if (att->attisdropped)
			continue;
		if (strcmp(name, "legacy_id") == 0)
		{
			m->role = SRC_LEGACY_ID;
			getTypeOutputInfo(att->atttypid, &outfunc, &isvarlena);
			fmgr_info(outfunc, &m->out);
			continue;
		}
		if (strcmp(name, "actions") == 0)
		{
			m->role = SRC_ACTIONS;
			target_type = JSONBOID;
		}
		else
		{
			m->role = SRC_REGISTER;
			m->target = get_attnum(schema->register_relid, name);
			if (m->target == InvalidAttrNumber || m->target < 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("capa_import: source column \"%s\" is not a column capa imports", name),
						 errhint("Source columns are named like the columns of capa.register, plus legacy_id and actions; leave others out with a view.")));
			for (j = 0; j < (int) lengthof(managed); j++)
			{
				if (m->target == schema->reg[managed[j]])
					ereport(ERROR,
							(errcode(ERRCODE_GENERATED_ALWAYS),
							 errmsg("capa_import: column \"%s\" is maintained by capa and cannot be imported", name),
							 managed[j] == REG_ID ?
							 errhint("capa assigns the reference; name the old register's identifier legacy_id.") :
							 errhint("Leave it out of the source.")));
			}
			target_type = get_atttype(schema->register_relid, m->target);
		}
		if (att->atttypid == target_type || IsBinaryCoercible(att->atttypid, target_type))
		{
			m->direct = true;
			continue;
		}
		/* any other type is read as its text, by the column type's input */
		getTypeOutputInfo(att->atttypid, &outfunc, &isvarlena);
		fmgr_info(outfunc, &m->out);
		getTypeInputInfo(target_type, &infunc, &m->in_ioparam);
		fmgr_info(infunc, &m->in);
	}
	return map;
}

static Datum
convert(SourceColumn *m, Datum value)
{
	if (m->direct)
		return value;
	return InputFunctionCall(&m->in, OutputFunctionCall(&m->out, value),
							 m->in_ioparam, -1);
}

/* A string of the actions document as the action column's type */
static Datum
action_string(ImportState *st, CapaActionColumn c, JsonbValue *v, int n, const char *key)
{
	char	   *s;

	if (v->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: action %d: \"%s\" must be a string", capa_import_row_label(), n, key)));
	s = pnstrdup(v->val.string.val, v->val.string.len);
	return InputFunctionCall(&st->act_in[c], s, st->act_ioparam[c], -1);
}

/* The actions column: a jsonb array of objects with action_keys */
static void
parse_actions(ImportState *st, Jsonb *jb)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			n = 0;
	int			max;

	if (!JB_ROOT_IS_ARRAY(jb) || JB_ROOT_IS_SCALAR(jb))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: \"actions\" must be a JSON array of action items", capa_import_row_label())));
	max = JB_ROOT_COUNT(jb);
	st->actions = palloc0(sizeof(ImportAction) * Max(max, 1));
	it = JsonbIteratorInit(&jb->root);
	tok = JsonbIteratorNext(&it, &v, false);	/* WJB_BEGIN_ARRAY */
	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_END_ARRAY && tok != WJB_DONE)
	{
		ImportAction *a;
		int			c;

		if (tok != WJB_BEGIN_OBJECT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d must be a JSON object", capa_import_row_label(), n + 1)));
		a = &st->actions[n++];
		for (c = 0; c < ACT_COLUMN_COUNT; c++)
			a->nulls[c] = true;
		while ((tok = JsonbIteratorNext(&it, &v, false)) == WJB_KEY)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			int			k;

			tok = JsonbIteratorNext(&it, &v, false);
			if (tok != WJB_VALUE)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: action %d: \"%s\" must be a string, a boolean or null",
								capa_import_row_label(), n, key)));
			if (strcmp(key, "legacy_id") == 0)
			{
				if (v.type == jbvString)
					a->legacy_id = pnstrdup(v.val.string.val, v.val.string.len);
				else if (v.type == jbvNumeric)
					a->legacy_id = DatumGetCString(DirectFunctionCall1(numeric_out,
																	   NumericGetDatum(v.val.numeric)));
				else if (v.type != jbvNull)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s: action %d: \"legacy_id\" must be a string or a number",
									capa_import_row_label(), n)));
				continue;
			}
			for (k = 0; k < (int) lengthof(action_keys); k++)
			{
				if (strcmp(key, action_keys[k].key) == 0)
					break;
			}
			if (k == (int) lengthof(action_keys))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("%s: action %d has an unknown key \"%s\"", capa_import_row_label(), n, key),
						 errhint("Keys of an action item: description, owner, due, done, evidence, done_at, done_by, created_at, created_by, legacy_id.")));
			c = action_keys[k].column;
			if (v.type == jbvNull)
				continue;
			if (c == ACT_DONE)
			{
				if (v.type != jbvBool)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s: action %d: \"done\" must be true or false", capa_import_row_label(), n)));
				a->values[c] = BoolGetDatum(v.val.boolean);
			}
			else
				a->values[c] = action_string(st, c, &v, n, key);
			a->nulls[c] = false;
		}
		if (tok != WJB_END_OBJECT)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: action %d: values must be strings, booleans or null",
							capa_import_row_label(), n)));
		if (a->nulls[ACT_DONE])
		{
			a->values[ACT_DONE] = BoolGetDatum(false);
			a->nulls[ACT_DONE] = false;
		}
	}
	st->nactions = n;
}

/*
 * An audit row of the import, inserted without a statement of its own:
 * capa.audit has no insert trigger and no foreign key, so this is what
 * its INSERT would do (constraints, heap, indexes).
 */
static void
insert_audit(Datum *values, const char *nulls)
{
	capa_audit_slot_store(capa_import_running->audit_slot, values, nulls);
	ExecSimpleRelationInsert(capa_import_running->audit_rri, capa_import_running->audit_estate, capa_import_running->audit_slot);
	ResetPerTupleExprContext(capa_import_running->audit_estate);
}

/* Per-row state handed to the triggers through current and capa_request */
static void
insert_row(ImportState *st, EState *estate, ResultRelInfo *rri, TupleTableSlot *slot,
		   CapaImportTarget target)
{
	CapaRequest saved = capa_request;

	st->expect = target;
	capa_request.active = true;
	capa_request.caller = st->caller;
	capa_request.target = CAPA_STATE_INVALID;
	capa_request.complete_action = false;
	capa_request.import = true;
	capa_audit_inserter = insert_audit;
	ExecSimpleRelationInsert(rri, estate, slot);
	capa_audit_inserter = NULL;
	capa_request = saved;
	if (st->expect != CAPA_IMPORT_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa_import: the trigger of \"%s\" did not judge the imported row",
						RelationGetRelationName(rri->ri_RelationDesc)),
				 errhint("capa's triggers are disabled (DISABLE TRIGGER, or session_replication_role = replica).")));
}

/*
 * True for the foreign key trigger of a key capa_import() checks itself:
 * the register's source, rca_method, cause_category and grade (against the codes
 * it holds FOR KEY SHARE: need_code) and an action item's record (the row
 * this statement inserted just before).  Any other foreign key, added
 * later or by someone else, keeps its trigger.
 */
static bool
checked_by_import(const Trigger *t, Oid relid, CapaSchema *schema)
{
	static const struct
	{
		bool		action;
		const char *table;
		const char *column;
	}			keys[] = {
		{false, "source", "source"},
		{false, "rca_method", "rca_method"},
		{false, "cause_category", "cause_category"},
		{false, "grade", "grade"},	/* 0.5.0 */
		{true, "register", "capa_id"},
	};
	HeapTuple	tup;
	Form_pg_constraint con;
	AttrNumber	conkey[INDEX_MAX_KEYS];
	AttrNumber	confkey[INDEX_MAX_KEYS];
	int			nkeys = 0;
	bool		result = false;
	int			i;

	if (!t->tgisinternal || !OidIsValid(t->tgconstraint) ||
		RI_FKey_trigger_type(t->tgfoid) != RI_TRIGGER_FK)
		return false;
	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(t->tgconstraint));
	if (!HeapTupleIsValid(tup))
		return false;
	con = (Form_pg_constraint) GETSTRUCT(tup);
	if (con->contype == CONSTRAINT_FOREIGN)
	{
		Oid			pf[INDEX_MAX_KEYS];
		Oid			pp[INDEX_MAX_KEYS];
		Oid			ff[INDEX_MAX_KEYS];
		int			nset = 0;
		AttrNumber	set[INDEX_MAX_KEYS];

		DeconstructFkConstraintRow(tup, &nkeys, conkey, confkey, pf, pp, ff, &nset, set);
	}
	for (i = 0; nkeys == 1 && i < (int) lengthof(keys); i++)
	{
		bool		on_action = relid == schema->action_relid;

		if (keys[i].action != on_action)
			continue;
		if (con->confrelid == get_relname_relid(keys[i].table, schema->namespace_oid) &&
			conkey[0] == get_attnum(relid, keys[i].column))
			result = true;
	}
	ReleaseSysCache(tup);
	return result;
}

/*
 * The relation's triggers less those foreign key triggers: they would
 * re-check every imported row in a statement of its own at the end.
 */
static void
without_checked_keys(ResultRelInfo *rri, CapaSchema *schema)
{
	TriggerDesc *td = rri->ri_TrigDesc;
	Oid			relid = RelationGetRelid(rri->ri_RelationDesc);
	int			i;
	int			n = 0;

	if (td == NULL)
		return;
	td->trig_insert_before_row = td->trig_insert_after_row = false;
	td->trig_insert_instead_row = td->trig_insert_new_table = false;
	td->trig_insert_before_statement = td->trig_insert_after_statement = false;
	for (i = 0; i < td->numtriggers; i++)
	{
		Trigger    *t = &td->triggers[i];
		int16		type = t->tgtype;

		if (checked_by_import(t, relid, schema))
			continue;
		td->triggers[n++] = *t;
		td->trig_insert_before_row |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_INSERT);
		td->trig_insert_after_row |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_INSERT);
		td->trig_insert_instead_row |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_ROW, TRIGGER_TYPE_INSTEAD, TRIGGER_TYPE_INSERT);
		td->trig_insert_before_statement |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_BEFORE, TRIGGER_TYPE_INSERT);
		td->trig_insert_after_statement |=
			TRIGGER_TYPE_MATCHES(type, TRIGGER_TYPE_STATEMENT, TRIGGER_TYPE_AFTER, TRIGGER_TYPE_INSERT);
		td->trig_insert_new_table |=
			(TRIGGER_FOR_INSERT(type) && TRIGGER_USES_TRANSITION_TABLE(t->tgnewtable));
	}
	td->numtriggers = n;
}

/* The executor state for inserting into the register and action items */
static EState *
begin_inserts(Relation reg, Relation act, ResultRelInfo **rri_reg, ResultRelInfo **rri_act)
{
	Relation	rels[2] = {reg, act};
	ResultRelInfo *rri[2];
	EState	   *estate = capa_table_write_begin(2, rels, rri);
	int			i;

	/* ri_TrigDesc is InitResultRelInfo's copy: filtered, not shared */
	for (i = 0; i < 2; i++)
		without_checked_keys(rri[i], capa_schema());
	*rri_reg = rri[0];
	*rri_act = rri[1];
	return estate;
}

/*
 * capa_import(source regclass) returns bigint: the number of records
 * imported.  capa_admin only; see docs/reference.md, capa_import.
 */
Datum
capa_import(PG_FUNCTION_ARGS)
{
	CapaSchema *schema;
	ImportState *st;
	Oid			relid;
	char		relkind;
	Oid			caller = GetUserId();
	Oid			saved_user;
	int			saved_sec;
	MemoryContext entry_cxt;
	MemoryContext import_cxt;
	MemoryContext row_cxt;
	MemoryContext old;
	SPIPlanPtr	plan;
	Portal		portal;
	TupleDesc	srcdesc;
	SourceColumn *map;
	Datum	   *src_values;
	bool	   *src_nulls;
	Relation	reg;
	Relation	act;
	Relation	audit;
	ResultRelInfo *rri_reg;
	ResultRelInfo *rri_act;
	EState	   *estate;
	TupleTableSlot *reg_slot;
	TupleTableSlot *act_slot;
	ErrorContextCallback errcallback;
	CapaRequest saved_request = capa_request;
	Oid			action_seq;
	int64		count;
	int			c;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_import: the source must not be NULL")));
	relid = PG_GETARG_OID(0);
	relkind = get_rel_relkind(relid);
	if (relkind == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("capa_import: relation with OID %u does not exist", relid)));
	if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW &&
		relkind != RELKIND_MATVIEW && relkind != RELKIND_FOREIGN_TABLE &&
		relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("capa_import: \"%s\" is not a table or view", get_rel_name(relid))));
	if (capa_import_running != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa_import cannot run inside another capa_import")));

	schema = capa_schema();
	entry_cxt = CurrentMemoryContext;
	import_cxt = AllocSetContextCreate(entry_cxt, "capa_import",
									   ALLOCSET_DEFAULT_SIZES);
	row_cxt = AllocSetContextCreate(import_cxt, "capa_import row",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(import_cxt);
	st = palloc0(sizeof(ImportState));
	st->source_name = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
												 get_rel_name(relid));
	st->xact_now = GetCurrentTransactionStartTimestamp();
	st->clock_now = GetCurrentTimestamp();
	st->caller = caller;
	st->row_cxt = row_cxt;
	for (c = 0; c < ACT_COLUMN_COUNT; c++)
	{
		Oid			infunc;

		getTypeInputInfo(get_atttype(schema->action_relid, schema->act[c]), &infunc,
						 &st->act_ioparam[c]);
		fmgr_info(infunc, &st->act_in[c]);
	}
	action_seq = get_relname_relid("action_id_seq", schema->namespace_oid);
	if (!OidIsValid(action_seq))
		elog(ERROR, "capa: sequence capa.action_id_seq does not exist");
	MemoryContextSwitchTo(old);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");

	/* the source, read as the caller: their privileges, their row security */
	plan = SPI_prepare(psprintf("SELECT * FROM %s", st->source_name), 0, NULL);
	if (plan == NULL)
		elog(ERROR, "capa_import: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	/* a snapshot of its own: the source as this statement has changed it */
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);
	old = MemoryContextSwitchTo(import_cxt);
	srcdesc = CreateTupleDescCopy(portal->tupDesc);
	map = map_columns(srcdesc, schema);
	src_values = palloc(sizeof(Datum) * srcdesc->natts);
	src_nulls = palloc(sizeof(bool) * srcdesc->natts);
	MemoryContextSwitchTo(old);

	/* the writes, as capa's owner */
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	load_lookups(st, import_cxt);
	reg = table_open(schema->register_relid, RowExclusiveLock);
	act = table_open(schema->action_relid, RowExclusiveLock);
	audit = table_open(schema->audit_relid, RowExclusiveLock);
	old = MemoryContextSwitchTo(import_cxt);
	estate = begin_inserts(reg, act, &rri_reg, &rri_act);
	/* an executor state of its own for the trail, inserted from the triggers */
	st->audit_estate = capa_table_write_begin(1, &audit, &st->audit_rri);
	st->audit_slot = ExecInitExtraTupleSlot(st->audit_estate, RelationGetDescr(audit),
											&TTSOpsVirtual);
	reg_slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(reg), &TTSOpsVirtual);
	act_slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(act), &TTSOpsVirtual);
	MemoryContextSwitchTo(old);
	capa_restore_user(saved_user, saved_sec);

	errcallback.callback = import_error_context;
	errcallback.arg = NULL;
	errcallback.previous = error_context_stack;

	capa_import_running = st;
	PG_TRY();
	{
		AfterTriggerBeginQuery();
		for (;;)
		{
			SPITupleTable *batch;
			uint64		nrows;
			uint64		r;

			/* fetched as the caller: a view's functions run as them */
			SPI_cursor_fetch(portal, true, IMPORT_BATCH);
			batch = SPI_tuptable;
			nrows = SPI_processed;
			if (nrows == 0)
				break;

			capa_become_owner(schema->owner, &saved_user, &saved_sec);
			error_context_stack = &errcallback;
			for (r = 0; r < nrows; r++)
			{
				HeapTuple	src = batch->vals[r];
				int			i;
				int			k;

				CHECK_FOR_INTERRUPTS();
				old = MemoryContextSwitchTo(row_cxt);
				st->rowno++;
				st->in_row = true;
				st->legacy_id = NULL;
				st->nactions = 0;
				st->actions = NULL;

				/* the register row: the source's columns, the rest NULL */
				ExecClearTuple(reg_slot);
				for (i = 0; i < reg_slot->tts_tupleDescriptor->natts; i++)
					reg_slot->tts_isnull[i] = true;
				reg_slot->tts_values[schema->reg[REG_KIND] - 1] = CStringGetTextDatum("corrective");
				reg_slot->tts_isnull[schema->reg[REG_KIND] - 1] = false;
				reg_slot->tts_values[schema->reg[REG_STATE] - 1] = Int16GetDatum(CAPA_STATE_OPEN);
				reg_slot->tts_isnull[schema->reg[REG_STATE] - 1] = false;
				/* the source row's columns, all at once */
				heap_deform_tuple(src, batch->tupdesc, src_values, src_nulls);
				for (i = 0; i < srcdesc->natts; i++)
				{
					SourceColumn *m = &map[i];
					bool		isnull = src_nulls[i];
					Datum		value = src_values[i];

					if (TupleDescAttr(srcdesc, i)->attisdropped)
						continue;
					switch (m->role)
					{
						case SRC_LEGACY_ID:
							if (!isnull)
								st->legacy_id = OutputFunctionCall(&m->out, value);
							break;
						case SRC_ACTIONS:
							if (!isnull)
								parse_actions(st, DatumGetJsonbP(convert(m, value)));
							break;
						case SRC_REGISTER:
							reg_slot->tts_isnull[m->target - 1] = isnull;
							reg_slot->tts_values[m->target - 1] =
								isnull ? (Datum) 0 : convert(m, value);
							break;
					}
				}
				ExecStoreVirtualTuple(reg_slot);
				insert_row(st, estate, rri_reg, reg_slot, CAPA_IMPORT_REGISTER);

				/* its action items, judged with it by the register trigger */
				for (k = 0; k < st->nactions; k++)
				{
					ImportAction *a = &st->actions[k];

					ExecClearTuple(act_slot);
					for (i = 0; i < act_slot->tts_tupleDescriptor->natts; i++)
						act_slot->tts_isnull[i] = true;
					for (c = 0; c < ACT_COLUMN_COUNT; c++)
					{
						act_slot->tts_values[schema->act[c] - 1] = a->values[c];
						act_slot->tts_isnull[schema->act[c] - 1] = a->nulls[c];
					}
					act_slot->tts_values[schema->act[ACT_ID] - 1] =
						Int64GetDatum(nextval_internal(action_seq, false));
					act_slot->tts_isnull[schema->act[ACT_ID] - 1] = false;
					act_slot->tts_values[schema->act[ACT_CAPA_ID] - 1] = st->capa_id;
					act_slot->tts_isnull[schema->act[ACT_CAPA_ID] - 1] = false;
					ExecStoreVirtualTuple(act_slot);
					st->action_index = k;
					insert_row(st, estate, rri_act, act_slot, CAPA_IMPORT_ACTION);
				}
				st->in_row = false;
				MemoryContextSwitchTo(old);
				ResetPerTupleExprContext(estate);
				MemoryContextReset(row_cxt);
			}
			error_context_stack = errcallback.previous;
			capa_restore_user(saved_user, saved_sec);
			SPI_freetuptable(batch);
		}

		/* the foreign keys, as capa's owner */
		capa_become_owner(schema->owner, &saved_user, &saved_sec);
		CommandCounterIncrement();
		AfterTriggerEndQuery(estate);
		capa_restore_user(saved_user, saved_sec);
	}
	PG_CATCH();
	{
		bool		in_row = st->in_row;
		char	   *label;

		MemoryContextSwitchTo(entry_cxt);
		label = in_row ? capa_import_row_label() : NULL;
		capa_import_running = NULL;
		capa_audit_inserter = NULL;
		capa_request = saved_request;
		if (in_row)
		{
			/*
			 * Whatever refused the row (a type's input, a CHECK constraint,
			 * the register trigger), the message names it
			 */
			ErrorData  *edata = CopyErrorData();

			FlushErrorState();
			if (edata->message && strncmp(edata->message, "source row ", 11) != 0)
				edata->message = psprintf("%s: %s", label, edata->message);
			ReThrowError(edata);
		}
		PG_RE_THROW();
	}
	PG_END_TRY();
	capa_import_running = NULL;

	capa_table_write_end(estate);
	capa_table_write_end(st->audit_estate);
	table_close(audit, NoLock);
	table_close(reg, NoLock);
	table_close(act, NoLock);
	SPI_cursor_close(portal);
	SPI_finish();
	count = st->rowno;
	MemoryContextDelete(import_cxt);
	PG_RETURN_INT64(count);
}
