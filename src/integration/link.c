/*-------------------------------------------------------------------------
 *
 * link.c
 *	  capa_link() and capa_unlink(): a record's links to rows of the user's
 *	  own tables (controls, risks, assets, audits), by primary key.
 *
 * The target row is looked up as the caller, with the caller's privileges
 * and row-level security, before anything is written: a link proves the
 * caller could see that row, and cannot be used to probe tables the caller
 * cannot read (no SELECT privilege: 42501 before any lookup).  The link is
 * then written as capa's owner (callers have no privilege on capa.link)
 * and names the target by OID (regclass), so a renamed table keeps its
 * links; the qualified name at link time is kept for display.
 *
 * Whatever the target table's owner defined (the key type's input
 * function and domain checks, the equality operator, row-level security
 * policies) runs as the caller, who named the table, as in any query of
 * theirs on it; none of it runs while capa is switched to its own owner
 * (capa_become_owner comes after the lookup, and only capa's tables are
 * touched after it).  capa_unlink runs none of it for a caller who may not
 * read the table.  capa.broken_link, which a reader runs without naming
 * the tables, checks the rows as each table's owner, restricted
 * (link_check.c).
 *
 * IDENTIFICATION
 *	  src/integration/link.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "common/actor.h"
#include "common/pg_compat.h"
#include "common/schema_cache.h"
#include "common/trigger_row.h"
#include "integration/link.h"
#include "integration/org_unit.h"
#include "types/type_io.h"

PG_FUNCTION_INFO_V1(capa_link);
PG_FUNCTION_INFO_V1(capa_unlink);

/* The arguments of both functions: record, target table, key */
typedef struct LinkArgs
{
	Datum		record;
	Oid			target;
	text	   *key;
} LinkArgs;

static void
link_args(FunctionCallInfo fcinfo, const char *funcname, LinkArgs *args)
{
	static const char *const names[] = {"record reference", "target table", "key"};
	int			i;

	for (i = 0; i < 3; i++)
	{
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s: the %s must not be NULL", funcname, names[i])));
	}
	args->record = PG_GETARG_DATUM(0);
	args->target = PG_GETARG_OID(1);
	args->key = PG_GETARG_TEXT_PP(2);
}

/* OPERATOR(schema.name) of an operator, for a query text */
static char *
qualified_operator(Oid opno)
{
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(opno));
	Form_pg_operator op;
	char	   *result;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "capa: cache lookup failed for operator %u", opno);
	op = (Form_pg_operator) GETSTRUCT(tup);
	result = psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(op->oprnamespace)),
					  NameStr(op->oprname));
	ReleaseSysCache(tup);
	return result;
}

/*
 * 42704 unless the record exists (read as capa's owner) and, with row-level
 * security by org unit on, belongs to a unit the actor may act on: a link
 * is part of the record's handling, and must not reveal other units'
 * records by succeeding or failing differently.
 */
static void
require_record(Datum record, Oid actor)
{
	CapaSchema *schema = capa_schema();
	Oid			argtypes[1] = {schema->ref_type};
	int			rc;

	rc = SPI_execute_with_args("SELECT r.org_unit FROM capa.register r WHERE r.id OPERATOR(capa.=) $1",
							   1, argtypes, &record, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: record lookup returned %s", SPI_result_code_string(rc));

	/*
	 * One error site for both: even the error's location fields (file,
	 * line, function), which every client receives, must not tell a hidden
	 * record from a missing one
	 */
	if (SPI_processed == 0 ||
		(capa_org_units_enforced(schema->register_relid) &&
		 !capa_may_act_on(actor, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1))))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("capa record %s does not exist", capa_ref_cstring(record))));
}

int
capa_link_primary_key(Relation rel, Oid *pkey, AttrNumber *attnum)
{
	HeapTuple	indtup;
	int			ncolumns;

	*pkey = capa_primary_key_index(rel);
	*attnum = InvalidAttrNumber;
	if (!OidIsValid(*pkey))
		return 0;
	indtup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(*pkey));
	if (!HeapTupleIsValid(indtup))
		elog(ERROR, "capa: cache lookup failed for index %u", *pkey);
	ncolumns = ((Form_pg_index) GETSTRUCT(indtup))->indnkeyatts;
	*attnum = ((Form_pg_index) GETSTRUCT(indtup))->indkey.values[0];
	ReleaseSysCache(indtup);
	return ncolumns;
}

Datum
capa_link_key_value(Oid keytype, const char *keystr)
{
	Oid			typinput;
	Oid			typioparam;

	getTypeInputInfo(keytype, &typinput, &typioparam);
	return OidInputFunctionCall(typinput, (char *) keystr, typioparam, -1);
}

/*
 * The equality of the primary key index's operator class, whose input type
 * may differ from the column's (varchar and domains use text_ops, enums
 * anyenum); InvalidOid if it has none
 */
Oid
capa_link_key_equality(Oid pkey)
{
	Oid			opclass = get_index_column_opclass(pkey, 1);
	Oid			opcintype = get_opclass_input_type(opclass);

	return get_opfamily_member(get_opclass_family(opclass), opcintype, opcintype,
							   BTEqualStrategyNumber);
}

char *
capa_link_lookup_query(Relation rel, AttrNumber attnum, Oid eqop)
{
	return psprintf("SELECT FROM %s t WHERE t.%s %s $1 LIMIT 1",
					quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
											   RelationGetRelationName(rel)),
					quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attname)),
					qualified_operator(eqop));
}

/* the key as its type writes it: '007' and '7' are one row, one link */
static char *
key_as_written(Oid keytype, Datum value)
{
	Oid			typoutput;
	bool		isvarlena;

	getTypeOutputInfo(keytype, &typoutput, &isvarlena);
	return OidOutputFunctionCall(typoutput, value);
}

/*
 * Look the target row up as the caller: SELECT privilege first (42501),
 * then a one-column primary key (42P10 / 0A000), the key converted to its
 * type (22P02 and friends), and the row visible to the caller (23503).
 */
static text *
require_target_row(Oid target, text *key)
{
	Relation	rel;
	Oid			pkey;
	int			ncolumns;
	AttrNumber	attnum;
	Oid			keytype;
	Oid			eqop;
	Datum		value;
	char	   *relname;
	char	   *keystr = text_to_cstring(key);
	int			rc;

	if (!SearchSysCacheExists1(RELOID, ObjectIdGetDatum(target)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", target)));
	if (pg_class_aclcheck(target, GetUserId(), ACL_SELECT) != ACLCHECK_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied for table %s", get_rel_name(target)),
				 errhint("A link needs SELECT on the table it points into.")));

	rel = table_open(target, AccessShareLock);
	relname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(rel)),
										 RelationGetRelationName(rel));
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(rel)),
				 errdetail("A link points at a table row by its primary key.")));
	ncolumns = capa_link_primary_key(rel, &pkey, &attnum);
	if (ncolumns == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_COLUMN_REFERENCE),
				 errmsg("table \"%s\" has no primary key", RelationGetRelationName(rel)),
				 errdetail("A link points at a table row by its primary key.")));
	if (ncolumns != 1)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("table \"%s\" has a primary key of %d columns",
						RelationGetRelationName(rel), ncolumns),
				 errdetail("capa links rows by a one-column primary key.")));
	keytype = TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid;
	eqop = capa_link_key_equality(pkey);
	if (!OidIsValid(eqop))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("the primary key of %s has no btree equality capa can use", relname)));
	value = capa_link_key_value(keytype, keystr);
	keystr = key_as_written(keytype, value);

	rc = SPI_execute_with_args(capa_link_lookup_query(rel, attnum, eqop), 1, &keytype, &value,
							   NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: target lookup returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
				 errmsg("no row of %s has key \"%s\"", relname, keystr),
				 errdetail("A link points at an existing row the caller can see.")));
	table_close(rel, AccessShareLock);
	return cstring_to_text(keystr);
}

Datum
capa_link(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	LinkArgs	args;
	Oid			actor = capa_actor();
	Oid			saved_user;
	int			saved_sec;
	Datum		values[5];
	Oid			argtypes[5] = {schema->ref_type, REGCLASSOID, TEXTOID, TEXTOID, NAMEOID};
	int64		id;
	bool		isnull;
	int			rc;

	link_args(fcinfo, "capa_link", &args);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");

	/* as the caller: the row must exist for them */
	args.key = require_target_row(args.target, args.key);

	/* as capa's owner: the record, then the link (an existing one is kept) */
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	require_record(args.record, actor);
	values[0] = args.record;
	values[1] = ObjectIdGetDatum(args.target);
	values[2] = CStringGetTextDatum(quote_qualified_identifier(get_namespace_name(get_rel_namespace(args.target)),
															   get_rel_name(args.target)));
	values[3] = PointerGetDatum(args.key);
	values[4] = capa_role_name_datum(actor);
	rc = SPI_execute_with_args(
		"INSERT INTO capa.link (capa_id, target, target_name, key, linked_by)"
		" VALUES ($1, $2, $3, $4, $5)"
		" ON CONFLICT (capa_id, target, key) WHERE unlinked_at IS NULL DO NOTHING"
		" RETURNING id",
		5, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_INSERT_RETURNING)
		elog(ERROR, "capa: link insert returned %s", SPI_result_code_string(rc));
	if (SPI_processed == 0)
	{
		/* linked already (perhaps by a transaction it just waited for): that link */
		rc = SPI_execute_with_args(
			"SELECT l.id FROM capa.link l"
			" WHERE l.capa_id OPERATOR(capa.=) $1 AND l.target OPERATOR(pg_catalog.=) $2"
			"   AND l.key OPERATOR(pg_catalog.=) $4 AND l.unlinked_at IS NULL",
			5, argtypes, values, NULL, false, 0);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "capa: existing link lookup returned %s", SPI_result_code_string(rc));
	}
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	PG_RETURN_INT64(id);
}

/*
 * The key as the target's primary key type writes it, as capa_link stored
 * it: for a caller who may read the table only.  The type's input function
 * (and a domain's checks) runs as the caller, as in capa_link; without
 * SELECT on the table it does not run at all, so a refusal cannot tell the
 * caller the type of a key it may not read.  The key is then taken as
 * given (as capa.link shows it), as it is when the table or its
 * one-column key has gone.
 */
static text *
normalized_key(Oid target, text *key)
{
	Relation	rel;
	Oid			pkey;
	AttrNumber	attnum;
	Oid			keytype;
	bool		missing = false;

	if (pg_class_aclcheck_ext(target, GetUserId(), ACL_SELECT, &missing) != ACLCHECK_OK ||
		missing)
		return key;
	rel = try_relation_open(target, AccessShareLock);
	if (rel == NULL)
		return key;
	if (capa_link_primary_key(rel, &pkey, &attnum) != 1)
	{
		relation_close(rel, AccessShareLock);
		return key;
	}
	keytype = TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid;
	relation_close(rel, AccessShareLock);
	return cstring_to_text(key_as_written(keytype, capa_link_key_value(keytype, text_to_cstring(key))));
}

Datum
capa_unlink(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();
	LinkArgs	args;
	Oid			actor = capa_actor();
	Oid			saved_user;
	int			saved_sec;
	Datum		values[4];
	Oid			argtypes[4] = {schema->ref_type, REGCLASSOID, TEXTOID, NAMEOID};
	int			rc;
	bool		removed;

	link_args(fcinfo, "capa_unlink", &args);
	args.key = normalized_key(args.target, args.key);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	require_record(args.record, actor);
	values[0] = args.record;
	values[1] = ObjectIdGetDatum(args.target);
	values[2] = PointerGetDatum(args.key);
	values[3] = capa_role_name_datum(actor);
	rc = SPI_execute_with_args(
		"UPDATE capa.link l SET unlinked_at = pg_catalog.clock_timestamp(), unlinked_by = $4"
		" WHERE l.capa_id OPERATOR(capa.=) $1 AND l.target OPERATOR(pg_catalog.=) $2"
		"   AND l.key OPERATOR(pg_catalog.=) $3 AND l.unlinked_at IS NULL",
		4, argtypes, values, NULL, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "capa: unlink returned %s", SPI_result_code_string(rc));
	removed = SPI_processed > 0;
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();
	PG_RETURN_BOOL(removed);
}
