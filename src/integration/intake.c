/*-------------------------------------------------------------------------
 *
 * intake.c
 *	  capa_intake(), capa_intake_drop() and capa_intake_trigger(): a new row
 *	  of the user's findings or incidents table opens a capa record.
 *
 * One generic C trigger function, attached by capa_intake() as
 *	  CREATE TRIGGER capa_intake AFTER INSERT ON <source> FOR EACH ROW
 *		  EXECUTE FUNCTION capa.capa_intake_trigger('<intake id>')
 * reads its configuration (condition, mapping, what to do on error) from
 * capa.intake_config by the id in its argument: no code is generated, the
 * id survives a dump and restore where a trigger's OID would not, and the
 * condition and mapping are evaluated in C (intake_condition.c,
 * intake_mapping.c), never executed as SQL.
 *
 * Privileges.  capa_intake() runs as its caller (a capa_admin), who needs
 * USAGE on the source's schema, TRIGGER on the source, and SELECT on every
 * column the intake reads (the values end up in the register); it then
 * creates the trigger as capa's owner, so the caller needs no EXECUTE on
 * the trigger function, which nobody is granted.  The trigger fires in the
 * application's session: it evaluates the condition and converts the
 * values as the inserting role, then opens the record and links it as
 * capa's owner, recording the inserting role as the actor, as capa_open()
 * does for its caller.  The inserting role needs no capa privilege.
 *
 * Errors.  on_error 'fail' lets capa's error fail the application's
 * INSERT; 'log' (the default) binds the intake and runs the open in a
 * subtransaction and, for a data or definition error (classes 22, 23, 42,
 * 0A, and 54000: a configuration beyond capa's limits, stored before they
 * existed), rolls it back, keeps the row's key and the error in
 * capa.intake_failure and warns: the INSERT succeeds and the nonconformity
 * is not lost.  Other errors (serialization, cancel, out of memory, stack
 * depth, internal) always propagate.
 *
 * Re-entry.  The trigger runs the table's code (its types' functions,
 * domain checks) and capa_open's, any of which may insert into an intake's
 * table again, in the same backend, after invalidating caches: the cache
 * of bound intakes (intake_cache.c) keeps every entry a call on the stack
 * may use until that call ends.
 *
 * IDENTIFICATION
 *	  src/integration/intake.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "common/actor.h"
#include "common/pg_compat.h"
#include "common/schema_cache.h"
#include "common/subxact.h"
#include "common/trigger_row.h"
#include "integration/intake.h"

PG_FUNCTION_INFO_V1(capa_intake);
PG_FUNCTION_INFO_V1(capa_intake_drop);
PG_FUNCTION_INFO_V1(capa_intake_trigger);

#define INTAKE_TRIGGER_NAME "capa_intake"

/* The OID of capa.capa_intake_trigger() */
static Oid
intake_trigger_function(void)
{
	CapaSchema *schema = capa_schema();
	List	   *name = list_make2(makeString(get_namespace_name(schema->namespace_oid)),
								  makeString("capa_intake_trigger"));

	return LookupFuncName(name, 0, NULL, false);
}

/*
 * The checks capa_intake() and capa_intake_drop() make as the caller
 * before locking the source: USAGE on its schema, TRIGGER on it.
 */
static void
check_source_privileges(Oid relid, const char *funcname)
{
	Oid			nsp = get_rel_namespace(relid);

	if (capa_namespace_aclcheck(nsp, GetUserId(), ACL_USAGE) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s: permission denied for schema %s", funcname, get_namespace_name(nsp))));
	if (pg_class_aclcheck(relid, GetUserId(), ACL_TRIGGER) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("%s: permission denied for table %s", funcname, get_rel_name(relid)),
				 errhint("An intake attaches a trigger: the caller needs TRIGGER on the table (or to own it).")));
}

/* The source's one-column primary key, or 0 (error if required) */
static AttrNumber
source_key(Relation rel, bool required)
{
	Oid			pkey = capa_primary_key_index(rel);
	HeapTuple	indtup;
	Form_pg_index index;
	AttrNumber	attnum = 0;

	if (!OidIsValid(pkey))
	{
		if (required)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
					 errmsg("table \"%s\" has no primary key", RelationGetRelationName(rel)),
					 errdetail("An intake links each record to its source row by the row's primary key.")));
		return 0;
	}
	indtup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(pkey));
	if (!HeapTupleIsValid(indtup))
		elog(ERROR, "capa: cache lookup failed for index %u", pkey);
	index = (Form_pg_index) GETSTRUCT(indtup);
	if (index->indnkeyatts == 1)
		attnum = index->indkey.values[0];
	else if (required)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("table \"%s\" has a primary key of %d columns",
						RelationGetRelationName(rel), index->indnkeyatts),
				 errdetail("capa links rows by a one-column primary key.")));
	ReleaseSysCache(indtup);
	return attnum;
}

static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/*
 * The trigger capa made on the relation, if any.  A trigger of that name
 * that calls something else is not capa's: 42710.
 */
static bool
has_intake_trigger(Oid relid)
{
	Oid			argtype = OIDOID;
	Datum		arg = ObjectIdGetDatum(relid);
	bool		isnull;
	Oid			tgfoid;

	if (SPI_execute_with_args("SELECT t.tgfoid FROM pg_catalog.pg_trigger t"
							  " WHERE t.tgrelid OPERATOR(pg_catalog.=) $1"
							  " AND t.tgname OPERATOR(pg_catalog.=) '" INTAKE_TRIGGER_NAME "'",
							  1, &argtype, &arg, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "capa: trigger lookup failed");
	if (SPI_processed == 0)
		return false;
	tgfoid = DatumGetObjectId(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	if (tgfoid != intake_trigger_function())
		ereport(ERROR,
				(errcode(ERRCODE_DUPLICATE_OBJECT),
				 errmsg("table \"%s\" already has a trigger named \"%s\" that is not capa's",
						get_rel_name(relid), INTAKE_TRIGGER_NAME)));
	return true;
}

/* Run a utility or DML statement as capa's owner (SPI connected) */
static int
owner_execute(const char *sql, int nargs, Oid *argtypes, Datum *values, int expected)
{
	int			rc = SPI_execute_with_args(sql, nargs, argtypes, values, NULL, false, 0);

	if (rc != expected)
		elog(ERROR, "capa: intake statement returned %s", SPI_result_code_string(rc));
	return rc;
}

/* Close the active configuration of relid, if any; true if there was one */
static bool
close_config(Oid relid, Datum by)
{
	Oid			argtypes[2] = {REGCLASSOID, NAMEOID};
	Datum		values[2] = {ObjectIdGetDatum(relid), by};

	owner_execute("UPDATE capa.intake_config c SET dropped_at = pg_catalog.clock_timestamp(), dropped_by = $2"
				  " WHERE c.source OPERATOR(pg_catalog.=) $1 AND c.dropped_at IS NULL",
				  2, argtypes, values, SPI_OK_UPDATE);
	return SPI_processed > 0;
}

/*
 * capa_intake(source regclass, condition text, mapping jsonb,
 *			   on_error text DEFAULT 'log') returns the intake's id
 */
Datum
capa_intake(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	Oid			relid;
	Relation	rel;
	char	   *condition = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));
	Jsonb	   *mapping;
	char	   *on_error;
	char	   *caller = GetUserNameFromId(GetUserId(), false);
	Bitmapset  *columns = NULL;
	AttrNumber	keycol;
	int			col;
	Oid			saved_user;
	int			saved_sec;
	Oid			argtypes[6] = {REGCLASSOID, TEXTOID, TEXTOID, JSONBOID, TEXTOID, NAMEOID};
	Datum		values[6];
	char		nulls[6] = {' ', ' ', ' ', ' ', ' ', ' '};
	int64		id;
	bool		isnull;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_intake: the source table must not be NULL")));
	if (PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_intake: the mapping must not be NULL")));
	if (PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_intake: on_error must not be NULL")));
	relid = PG_GETARG_OID(0);
	mapping = PG_GETARG_JSONB_P(2);
	on_error = text_to_cstring(PG_GETARG_TEXT_PP(3));
	if (strcmp(on_error, "fail") != 0 && strcmp(on_error, "log") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_intake: on_error must be 'log' or 'fail', not \"%s\"", on_error)));

	/* as the caller: the table, the privileges, the condition and mapping */
	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	check_source_privileges(relid, "capa_intake");
	rel = table_open(relid, ShareRowExclusiveLock);
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(rel)),
				 errdetail("An intake attaches an AFTER INSERT trigger to a table.")));
	if (RelationGetNamespace(rel) == schema->namespace_oid)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("capa_intake: capa's own table \"%s\" cannot be a source",
						RelationGetRelationName(rel))));
	keycol = source_key(rel, true);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	if (condition != NULL)
		(void) capa_intake_condition_compile(condition, RelationGetDescr(rel), &columns);
	(void) capa_intake_mapping_compile(mapping, RelationGetDescr(rel), caller, true, &columns);
	/* the values go into the register (and the key into capa.link) */
	columns = bms_add_member(columns, keycol);
	col = -1;
	while (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		   (col = bms_next_member(columns, col)) >= 0)
	{
		if (pg_attribute_aclcheck(relid, (AttrNumber) col, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("capa_intake: permission denied for column \"%s\" of table %s",
							get_attname(relid, (AttrNumber) col, false), RelationGetRelationName(rel)),
					 errhint("The intake copies what it reads into the register: the caller needs SELECT on it.")));
	}

	/* as capa's owner: replace any earlier intake, then configure and attach */
	values[5] = DirectFunctionCall1(namein, CStringGetDatum(caller));
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	(void) close_config(relid, values[5]);
	if (has_intake_trigger(relid))
		owner_execute(psprintf("DROP TRIGGER %s ON %s", INTAKE_TRIGGER_NAME, qualified_name(relid)),
					  0, NULL, NULL, SPI_OK_UTILITY);
	values[0] = ObjectIdGetDatum(relid);
	values[1] = CStringGetTextDatum(qualified_name(relid));
	values[2] = condition ? CStringGetTextDatum(condition) : (Datum) 0;
	nulls[2] = condition ? ' ' : 'n';
	values[3] = JsonbPGetDatum(mapping);
	values[4] = CStringGetTextDatum(on_error);
	if (SPI_execute_with_args("INSERT INTO capa.intake_config (source, source_name, condition, mapping, on_error, created_by)"
							  " VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
							  6, argtypes, values, nulls, false, 0) != SPI_OK_INSERT_RETURNING ||
		SPI_processed != 1)
		elog(ERROR, "capa: intake configuration insert failed");
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	/* relid and id are an OID and an integer: nothing of the caller's text */
	owner_execute(psprintf("CREATE TRIGGER %s AFTER INSERT ON %s FOR EACH ROW"
						   " EXECUTE FUNCTION %s.capa_intake_trigger('" INT64_FORMAT "')",
						   INTAKE_TRIGGER_NAME, qualified_name(relid),
						   quote_identifier(get_namespace_name(schema->namespace_oid)), id),
				  0, NULL, NULL, SPI_OK_UTILITY);
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	table_close(rel, NoLock);
	PG_RETURN_INT64(id);
}

/* capa_intake_drop(source regclass): false if the table had no intake */
Datum
capa_intake_drop(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	Oid			relid;
	bool		exists;
	bool		closed;
	Oid			saved_user;
	int			saved_sec;
	Datum		by = DirectFunctionCall1(namein,
										 CStringGetDatum(GetUserNameFromId(GetUserId(), false)));

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_intake_drop: the source table must not be NULL")));
	relid = PG_GETARG_OID(0);
	/* a dropped table took its trigger along: only its configuration is left */
	exists = SearchSysCacheExists1(RELOID, ObjectIdGetDatum(relid));
	if (exists)
	{
		check_source_privileges(relid, "capa_intake_drop");
		LockRelationOid(relid, ShareRowExclusiveLock);
	}
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	closed = close_config(relid, by);
	if (exists && has_intake_trigger(relid))
		owner_execute(psprintf("DROP TRIGGER %s ON %s", INTAKE_TRIGGER_NAME, qualified_name(relid)),
					  0, NULL, NULL, SPI_OK_UTILITY);
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	PG_RETURN_BOOL(closed);
}

/*
 * The intake id of the trigger's argument, bound to rel: read (as capa's
 * owner) once per transaction, bound on first use (intake_compile).  The
 * entry is the cache's (intake_cache.c): the caller is between
 * capa_intake_call_begin() and _end().
 */
static IntakeEntry *
intake_entry(int64 id, Relation rel)
{
	CapaSchema *schema = capa_schema();
	Oid			relid = RelationGetRelid(rel);
	IntakeEntry *entry;
	Oid			saved_user;
	int			saved_sec;
	Oid			argtype = INT8OID;
	Datum		arg = Int64GetDatum(id);
	HeapTuple	tup;
	TupleDesc	td;
	bool		isnull;
	Oid			source;
	char	   *source_name;
	MemoryContext cxt;
	MemoryContext old;

	entry = capa_intake_cache_find(id, relid);
	if (entry != NULL)
		return entry;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	if (SPI_execute_with_args("SELECT c.source::pg_catalog.oid, c.source_name, c.condition, c.mapping,"
							  " c.on_error, c.created_by::pg_catalog.text"
							  " FROM capa.intake_config c"
							  " WHERE c.id OPERATOR(pg_catalog.=) $1 AND c.dropped_at IS NULL",
							  1, &argtype, &arg, NULL, true, 1) != SPI_OK_SELECT)
		elog(ERROR, "capa: intake configuration lookup failed");
	capa_restore_user(saved_user, saved_sec);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa intake " INT64_FORMAT " is not configured", id),
				 errdetail("The trigger on \"%s\" names an intake that capa.intake does not list.",
						   RelationGetRelationName(rel)),
				 errhint("Set the intake up again with capa_intake(), or remove it with capa_intake_drop().")));
	tup = SPI_tuptable->vals[0];
	td = SPI_tuptable->tupdesc;
	source = DatumGetObjectId(SPI_getbinval(tup, td, 1, &isnull));
	source_name = SPI_getvalue(tup, td, 2);

	/* the trigger fires on the source or on one of its partitions */
	if (source != relid &&
		!list_member_oid(get_partition_ancestors(relid), source))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("capa intake " INT64_FORMAT " belongs to %s, not to \"%s\"",
						id, source_name, RelationGetRelationName(rel))));

	/* the entry and all it holds in a context of its own */
	cxt = capa_intake_cache_entry_context();
	old = MemoryContextSwitchTo(cxt);
	entry = palloc0(sizeof(IntakeEntry));
	entry->cxt = cxt;
	entry->id = id;
	entry->relid = relid;
	entry->source = source;
	entry->source_name = pstrdup(source_name);
	entry->condition = SPI_getvalue(tup, td, 3);
	entry->mapping = DatumGetJsonbPCopy(SPI_getbinval(tup, td, 4, &isnull));
	entry->log_errors = strcmp(SPI_getvalue(tup, td, 5), "log") == 0;
	entry->created_by = SPI_getvalue(tup, td, 6);
	MemoryContextSwitchTo(old);
	SPI_finish();
	capa_intake_cache_add(entry);
	return entry;
}

/* What one trigger call works on */
typedef struct IntakeRow
{
	IntakeEntry *entry;
	Relation	rel;
	HeapTuple	tuple;
	char	   *key;
	Oid			actor;			/* the inserting role */
} IntakeRow;

/* A binding of an entry's condition and mapping */
typedef struct IntakeBinding
{
	IntakeCond *cond;
	IntakeMapping *map;
} IntakeBinding;

static void
intake_bind(IntakeEntry *entry, Relation rel, IntakeBinding *binding)
{
	Bitmapset  *columns = NULL;

	binding->cond = entry->condition == NULL ? NULL :
		capa_intake_condition_compile(entry->condition, RelationGetDescr(rel), &columns);
	binding->map = capa_intake_mapping_compile(entry->mapping, RelationGetDescr(rel),
											   entry->created_by, false, &columns);
}

/*
 * The condition and mapping bound to the relation (as the inserting role).
 * Binding runs the table's code (a domain's CHECK converts a constant), so
 * it is built in a context of its own under the entry's and published into
 * the entry only when complete: a nested call that binds the same entry
 * meanwhile publishes its own, and this one is then dropped; a failed one
 * is dropped and leaves the entry unbound.
 */
static void
intake_compile(IntakeRow *row)
{
	IntakeEntry *entry = row->entry;
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt = AllocSetContextCreate(entry->cxt, "capa intake binding",
											  ALLOCSET_SMALL_SIZES);
	IntakeBinding binding;

	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		intake_bind(entry, row->rel, &binding);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		MemoryContextDelete(cxt);
		PG_RE_THROW();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	if (entry->compiled)
	{
		MemoryContextDelete(cxt);
		return;
	}
	entry->cond = binding.cond;
	entry->map = binding.map;
	entry->compiled = true;
}

/* The row's one-column primary key as text, or NULL */
static char *
row_key(Relation rel, HeapTuple tuple)
{
	AttrNumber	attnum = source_key(rel, false);
	Oid			typoutput;
	bool		isvarlena;
	bool		isnull;
	Datum		value;

	if (attnum == 0)
		return NULL;
	value = heap_getattr(tuple, attnum, RelationGetDescr(rel), &isnull);
	if (isnull)
		return NULL;
	getTypeOutputInfo(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid,
					  &typoutput, &isvarlena);
	return OidOutputFunctionCall(typoutput, value);
}

static void
intake_error_context(void *arg)
{
	IntakeRow  *row = (IntakeRow *) arg;

	errcontext("capa intake " INT64_FORMAT " on %s, new row %s%s",
			   row->entry->id, row->entry->source_name,
			   row->key ? "with key " : "without a key", row->key ? row->key : "");
}

/*
 * Open the record and link it to the row.  The values are computed as the
 * inserting role (their types' functions are the table's); the statements
 * run as capa's owner, with the inserting role as the actor.
 */
static void
intake_open(IntakeRow *row)
{
	CapaSchema *schema = capa_schema();
	CapaRequest saved_request = capa_request;
	Datum		values[INTAKE_PARAM_COUNT];
	char		nulls[INTAKE_PARAM_COUNT];
	Oid			saved_user;
	int			saved_sec;

	capa_intake_mapping_values(row->entry->map, row->tuple, RelationGetDescr(row->rel),
							   values, nulls);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	PG_TRY();
	{
		int			rc;
		bool		isnull;
		Datum		id;

		capa_request.active = true;
		capa_request.caller = row->actor;
		capa_request.target = CAPA_STATE_INVALID;
		capa_request.complete_action = false;
		capa_request.import = false;
		/* with the finding's facts once the database has them (0.5.0) */
		rc = SPI_execute_plan(capa_spi_plan(schema->facts ? PLAN_API_OPEN_FACTS : PLAN_API_OPEN),
							  values, nulls, false, 0);
		if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
			elog(ERROR, "capa intake: no record was inserted");
		id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		capa_request = saved_request;

		if (row->key != NULL)
		{
			Oid			argtypes[5] = {schema->ref_type, REGCLASSOID, TEXTOID, TEXTOID, NAMEOID};
			Datum		args[5];

			args[0] = id;
			args[1] = ObjectIdGetDatum(row->entry->source);
			args[2] = CStringGetTextDatum(qualified_name(row->entry->source));
			args[3] = CStringGetTextDatum(row->key);
			args[4] = capa_role_name_datum(row->actor);
			owner_execute("INSERT INTO capa.link (capa_id, target, target_name, key, linked_by)"
						  " VALUES ($1, $2, $3, $4, $5)", 5, argtypes, args, SPI_OK_INSERT);
		}
	}
	PG_CATCH();
	{
		capa_request = saved_request;
		PG_RE_THROW();
	}
	PG_END_TRY();
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
}

/* The errors on_error 'log' keeps: the data's or the intake's, not the system's */
static bool
loggable(int sqlerrcode)
{
	/* a configuration beyond capa's limits (intake.h), or a row too big */
	if (sqlerrcode == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
		return true;
	switch (ERRCODE_TO_CATEGORY(sqlerrcode))
	{
		case ERRCODE_DATA_EXCEPTION:
		case ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION:
		case ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION:
		case ERRCODE_FEATURE_NOT_SUPPORTED:
			return true;
		default:
			return false;
	}
}

/* A failure kept in capa.intake_failure, and a warning to the client */
static void
intake_log_failure(IntakeRow *row, ErrorData *edata)
{
	CapaSchema *schema = capa_schema();
	Oid			argtypes[8] = {INT8OID, REGCLASSOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, NAMEOID};
	Datum		values[8];
	char		nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
	Oid			saved_user;
	int			saved_sec;

	values[0] = Int64GetDatum(row->entry->id);
	values[1] = ObjectIdGetDatum(row->entry->source);
	values[2] = CStringGetTextDatum(row->entry->source_name);
	values[3] = row->key ? CStringGetTextDatum(row->key) : (Datum) 0;
	nulls[3] = row->key ? ' ' : 'n';
	values[4] = CStringGetTextDatum(unpack_sql_state(edata->sqlerrcode));
	values[5] = CStringGetTextDatum(edata->message ? edata->message : "");
	values[6] = edata->detail ? CStringGetTextDatum(edata->detail) : (Datum) 0;
	nulls[6] = edata->detail ? ' ' : 'n';
	values[7] = capa_role_name_datum(row->actor);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	if (SPI_execute_with_args("INSERT INTO capa.intake_failure (intake_id, source, source_name, key,"
							  " sqlstate, message, detail, actor) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
							  8, argtypes, values, nulls, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "capa: intake failure insert failed");
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	ereport(WARNING,
			(errmsg("capa intake " INT64_FORMAT ": no record opened for the new row of %s%s%s: %s",
					row->entry->id, row->entry->source_name,
					row->key ? " with key " : "", row->key ? row->key : "", edata->message),
			 errdetail("The row was inserted; the failure (SQLSTATE %s) is kept in capa.intake_failure.",
					   unpack_sql_state(edata->sqlerrcode))));
}

/* What intake_guarded() runs in its subtransaction */
typedef struct GuardedCall
{
	IntakeRow  *row;
	void		(*fn) (IntakeRow *row);
} GuardedCall;

static void
run_guarded(void *arg)
{
	GuardedCall *call = (GuardedCall *) arg;

	call->fn(call->row);
}

/*
 * on_error 'log': fn in a subtransaction, as PL/pgSQL runs an exception
 * block; a loggable error is rolled back and kept.  False if it failed.
 */
static bool
intake_guarded(IntakeRow *row, void (*fn) (IntakeRow *row))
{
	GuardedCall call = {row, fn};
	ErrorData  *failure = capa_subxact_run(run_guarded, &call, true, loggable);

	if (failure == NULL)
		return true;
	intake_log_failure(row, failure);
	return false;
}

/* fn, guarded when on_error is 'log' */
static bool
intake_run(IntakeRow *row, void (*fn) (IntakeRow *row))
{
	if (row->entry->log_errors)
		return intake_guarded(row, fn);
	fn(row);
	return true;
}

/* One new row: bind the intake if need be, test the row, open its record */
static void
intake_fire(TriggerData *trigdata, int64 id)
{
	IntakeRow	row;
	ErrorContextCallback errcallback;

	memset(&row, 0, sizeof(row));
	row.rel = trigdata->tg_relation;
	row.tuple = trigdata->tg_trigtuple;
	row.actor = GetUserId();
	row.entry = intake_entry(id, row.rel);
	row.key = row_key(row.rel, row.tuple);

	errcallback.callback = intake_error_context;
	errcallback.arg = &row;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	/*
	 * A condition or mapping that no longer binds (a column renamed or
	 * dropped) or beyond the limits (one stored before they existed) fails,
	 * or is logged for, every row alike
	 */
	if ((row.entry->compiled || intake_run(&row, intake_compile)) &&
		capa_intake_condition_match(row.entry->cond, row.tuple, RelationGetDescr(row.rel)))
		(void) intake_run(&row, intake_open);

	error_context_stack = errcallback.previous;
}

Datum
capa_intake_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	char	   *end;
	int64		id;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"capa_intake_trigger\" was not called by trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"capa_intake_trigger\" must be fired AFTER INSERT FOR EACH ROW")));
	errno = 0;
	if (trigdata->tg_trigger->tgnargs != 1 ||
		(id = strtoi64(trigdata->tg_trigger->tgargs[0], &end, 10), errno != 0 || *end != '\0' ||
		 end == trigdata->tg_trigger->tgargs[0]))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("function \"capa_intake_trigger\" needs one argument, an intake id"),
				 errhint("Attach it with capa_intake().")));

	/*
	 * The entry stays allocated while this call is active, whatever the
	 * table's code run meanwhile does to the cache (intake_cache.c); the
	 * count is kept on every exit, errors included.
	 */
	capa_intake_call_begin();
	PG_TRY();
	{
		intake_fire(trigdata, id);
	}
	PG_FINALLY();
	{
		capa_intake_call_end();
	}
	PG_END_TRY();
	return PointerGetDatum(NULL);
}
