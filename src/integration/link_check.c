/*-------------------------------------------------------------------------
 *
 * link_check.c
 *	  capa_link_check(target): the active links into one table that are
 *	  broken (or could not be checked), for capa_broken_links() and so the
 *	  view capa.broken_link.
 *
 * A reader of capa.broken_link (a DBA, a superuser, an auditor) does not
 * name the tables the links point into: an editor chose them.  Looking a
 * row up runs what the table's owner defined: the key type's input
 * function and a domain's checks, the index's equality, row-level security
 * policies, index predicates the planner folds.  In 0.2.0 that ran with
 * the reader's privileges (x.key::text ran the owner's cast as a
 * superuser).  Here the reader's own standing is checked first, without
 * running any of it:
 *	  the table exists (else "table dropped"), the reader may SELECT from it
 *	  (else "not checked: no SELECT privilege"), and no row-level security
 *	  applies to the reader (else "not checked: row-level security": the
 *	  policies are the owner's code, and a lookup without them would show
 *	  rows the reader cannot see);
 * then the rows are looked up as the table's owner, restricted
 * (restricted.h): one subtransaction for the table (its primary key, the
 * query's parse and plan) and one per key (the key read by its type's
 * input function, compared with the primary key index's equality).  An
 * error the owner's code raises there is reported as "not checked: <its
 * message>" for that key (or, before the keys, for the table's links) and
 * the view goes on; query cancels, serialization failures, deadlocks, lock
 * timeouts, out of memory and internal errors propagate.
 *
 * Only the keys capa.link holds are looked up (the active links the caller
 * can see in it): a caller cannot feed text of its own to the owner's code
 * through this function.  Those keys were read by the same input function
 * when they were linked.
 *
 * IDENTIFICATION
 *	  src/integration/link_check.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "common/restricted.h"
#include "integration/link.h"

PG_FUNCTION_INFO_V1(capa_link_check);

/* One table's active link keys and what is wrong with each (NULL: nothing) */
typedef struct TableCheck
{
	Oid			target;
	Oid			owner;
	int			nkeys;
	char	  **keys;
	const char **problems;
	const char *all;			/* a problem of every key, or NULL */
} TableCheck;

/* One key's lookup */
typedef struct KeyCheck
{
	SPIPlanPtr	plan;
	Oid			keytype;
	const char *key;
	bool		found;
} KeyCheck;

/* As the owner, restricted: is there a row with this key? */
static void
check_key(void *arg)
{
	KeyCheck   *k = (KeyCheck *) arg;
	Datum		value = capa_link_key_value(k->keytype, k->key);
	int			rc;

	rc = SPI_execute_plan(k->plan, &value, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: link target lookup returned %s", SPI_result_code_string(rc));
	k->found = SPI_processed > 0;
}

/* As the owner, restricted: the table's key, then each key's row */
static void
check_table(void *arg)
{
	TableCheck *t = (TableCheck *) arg;
	Relation	rel;
	Oid			pkey;
	AttrNumber	attnum;
	Oid			eqop = InvalidOid;
	Oid			keytype;
	SPIPlanPtr	plan;
	int			i;

	rel = try_relation_open(t->target, AccessShareLock);
	if (rel == NULL)
	{
		t->all = "table dropped";
		return;
	}
	/* the OID names something else now: the table the links named is gone */
	if (rel->rd_rel->relkind != RELKIND_RELATION &&
		rel->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
	{
		relation_close(rel, AccessShareLock);
		t->all = "table dropped";
		return;
	}
	if (capa_link_primary_key(rel, &pkey, &attnum) != 1 ||
		!OidIsValid(eqop = capa_link_key_equality(pkey)))
	{
		relation_close(rel, AccessShareLock);
		t->all = "primary key changed";
		return;
	}
	keytype = TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid;
	plan = SPI_prepare(capa_link_lookup_query(rel, attnum, eqop), 1, &keytype);
	if (plan == NULL)
		elog(ERROR, "capa: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	for (i = 0; i < t->nkeys; i++)
	{
		KeyCheck	k;
		char	   *failure;

		CHECK_FOR_INTERRUPTS();
		k.plan = plan;
		k.keytype = keytype;
		k.key = t->keys[i];
		k.found = false;
		failure = capa_run_restricted(t->owner, check_key, &k);
		if (failure != NULL)
			t->problems[i] = psprintf("not checked: %s", failure);
		else if (!k.found)
			t->problems[i] = "row gone";
	}
	relation_close(rel, AccessShareLock);
}

/* The distinct keys of the active links into target the caller can see */
static void
read_keys(TableCheck *t)
{
	Oid			argtype = REGCLASSOID;
	Datum		arg = ObjectIdGetDatum(t->target);
	uint64		i;
	int			rc;

	rc = SPI_execute_with_args("SELECT DISTINCT l.key FROM capa.link l"
							   " WHERE l.target OPERATOR(pg_catalog.=) $1 AND l.unlinked_at IS NULL",
							   1, &argtype, &arg, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "capa: link keys lookup returned %s", SPI_result_code_string(rc));
	t->nkeys = (int) SPI_processed;
	t->keys = palloc(sizeof(char *) * (SPI_processed + 1));
	t->problems = palloc0(sizeof(char *) * (SPI_processed + 1));
	for (i = 0; i < SPI_processed; i++)
		t->keys[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
}

Datum
capa_link_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TableCheck	t;
	HeapTuple	classtup;
	bool		missing = false;
	int			i;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("capa_link_check: the target table must not be NULL")));
	InitMaterializedSRF(fcinfo, 0);
	memset(&t, 0, sizeof(t));
	t.target = PG_GETARG_OID(0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	read_keys(&t);
	if (t.nkeys == 0)
	{
		SPI_finish();
		return (Datum) 0;
	}

	/* the caller's standing, judged without running the owner's code */
	classtup = SearchSysCache1(RELOID, ObjectIdGetDatum(t.target));
	if (HeapTupleIsValid(classtup))
	{
		t.owner = ((Form_pg_class) GETSTRUCT(classtup))->relowner;
		ReleaseSysCache(classtup);
	}
	else
		missing = true;
	if (missing)
		t.all = "table dropped";
	else if (pg_class_aclcheck_ext(t.target, GetUserId(), ACL_SELECT, &missing) != ACLCHECK_OK ||
			 missing)
		t.all = missing ? "table dropped" : "not checked: no SELECT privilege";
	else if (check_enable_rls(t.target, InvalidOid, true) == RLS_ENABLED)
		t.all = "not checked: row-level security";
	else
	{
		/* the lookups, as the table's owner */
		char	   *failure = capa_run_restricted(t.owner, check_table, &t);

		if (failure != NULL)
			t.all = psprintf("not checked: %s", failure);
	}

	for (i = 0; i < t.nkeys; i++)
	{
		Datum		values[2];
		bool		nulls[2] = {false, false};
		const char *problem = t.all ? t.all : t.problems[i];

		if (problem == NULL)
			continue;
		values[0] = CStringGetTextDatum(t.keys[i]);
		values[1] = CStringGetTextDatum(problem);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
