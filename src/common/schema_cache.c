/*-------------------------------------------------------------------------
 *
 * schema_cache.c
 *	  The per-backend cache of what capa knows of its own schema (relations,
 *	  types, column numbers) and its prepared SPI plans.
 *
 * Everything a trigger needs is resolved once per backend and kept until a
 * relcache invalidation touches one of capa's relations (ALTER TABLE,
 * DROP EXTENSION, ...), as temporal_tables does.  Every statement is fully
 * schema-qualified, with qualified operators, so no search_path can
 * redirect it.
 *
 * Re-entry.  Callers hold the cache (one static struct, never moved)
 * across code that is not capa's: a type's functions, a trigger, a policy,
 * which may invalidate it and call capa again, which rebuilds it.  So a
 * rebuild reads everything into a copy and publishes it whole (a failed
 * one publishes nothing), the values of an unchanged capa stay what they
 * were, and kept plans are never freed under a caller: the plans of a
 * reinstalled capa are retired and freed at the end of the transaction,
 * when no capa call can be on the stack.  An invalidation that arrives
 * while the cache is read leaves the copy marked for another rebuild.
 *
 * IDENTIFICATION
 *	  src/common/schema_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/stratnum.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "audit/chain.h"
#include "common/schema_cache.h"

/*
 * Argument types of a plan, one letter each: r capa_ref, R capa_ref[],
 * s capa_state, v capa_severity, t text, T text[], b bool, h int2, i int4,
 * l int8, d date, z timestamptz, j jsonb, n name, I inet, X xid8, y bytea.
 */
typedef struct CapaPlanDef
{
	const char *sql;
	const char *args;
	const char *sql_governed;	/* instead of sql once the 0.3.0 columns
								 * are there (schema_cache.h), if not NULL */
} CapaPlanDef;

#define REF_EQ "OPERATOR(capa.=)"

static const CapaPlanDef plan_defs[PLAN_COUNT] = {
	[PLAN_AUDIT_ROW] = {
		"SELECT " CAPA_AUDIT_COLUMNS
		" FROM capa.audit a WHERE a.seq OPERATOR(pg_catalog.=) $1",
	"l"},
	/* a cancelled action item is not counted (0.3.0) */
	[PLAN_ACTION_COUNTS] = {
		"SELECT pg_catalog.count(*),"
		" pg_catalog.count(*) FILTER (WHERE NOT a.done)"
		" FROM capa.action a WHERE a.capa_id " REF_EQ " $1",
		"r",
		"SELECT pg_catalog.count(*) FILTER (WHERE a.cancelled_at IS NULL),"
		" pg_catalog.count(*) FILTER (WHERE NOT a.done AND a.cancelled_at IS NULL)"
	" FROM capa.action a WHERE a.capa_id " REF_EQ " $1"},
	/* step names as the triggers write them: rules.c "verify", and
	 * action_trigger.c "complete_action"; an action item imported done
	 * (import_judge.c) was completed before any verification capa saw */
	[PLAN_FRESH_ACTION] = {
		"SELECT COALESCE(pg_catalog.max(a.seq) FILTER (WHERE a.step OPERATOR(pg_catalog.=) 'complete_action'"
		"  OR (a.step OPERATOR(pg_catalog.=) 'import' AND a.action_id IS NOT NULL"
		"   AND (a.changed OPERATOR(pg_catalog.->>) 'done') OPERATOR(pg_catalog.=) 'true')), 0)"
		" OPERATOR(pg_catalog.>)"
		" COALESCE(pg_catalog.max(a.seq) FILTER (WHERE a.action_id IS NULL"
		"  AND a.step OPERATOR(pg_catalog.=) 'verify'), 0)"
		" FROM capa.audit a WHERE a." REF_COLUMN " " REF_EQ " $1",
	"r"},
	/* segregation.c compares the names: one rule for every check */
	[PLAN_ACTION_OWNERS] = {
		"SELECT a.owner, a.done_by::text FROM capa.action a WHERE a.capa_id " REF_EQ " $1"
		" ORDER BY a.id",
		"r",
		/* and the role each owner was bound to (0.3.0) */
		"SELECT a.owner, a.done_by::text, a.owner_role FROM capa.action a"
	" WHERE a.capa_id " REF_EQ " $1 ORDER BY a.id"},
	[PLAN_SEGREGATION_POLICY] = {
		"SELECT p.segregation_of_duties FROM capa.policy p"
		" ORDER BY p.id DESC LIMIT 1",
	""},
	/* and (0.3.0) the earliest effectiveness check after implementation */
	[PLAN_SEVERITY_POLICY] = {
		"SELECT p.contain_within, p.close_within, p.effectiveness_within"
		" FROM capa.severity_policy p WHERE p.severity OPERATOR(capa.=) $1"
		" ORDER BY p.id DESC LIMIT 1",
		"v",
		"SELECT p.contain_within, p.close_within, p.effectiveness_within, p.effectiveness_after"
		" FROM capa.severity_policy p WHERE p.severity OPERATOR(capa.=) $1"
	" ORDER BY p.id DESC LIMIT 1"},
	/* per element of related: whether it names no record, and its unit */
	[PLAN_RELATED_UNITS] = {
		"SELECT r.id IS NULL, r.org_unit FROM pg_catalog.unnest($1) AS u(id)"
		" LEFT JOIN capa.register r ON r.id " REF_EQ " u.id",
	"R"},
	[PLAN_LOCK_RECORD] = {
		"SELECT r.kind, r.state, r.org_unit, r.owner FROM capa.register r WHERE r.id " REF_EQ " $1"
		" FOR NO KEY UPDATE",
		"r",
		"SELECT r.kind, r.state, r.org_unit, r.owner, r.owner_role FROM capa.register r"
	" WHERE r.id " REF_EQ " $1 FOR NO KEY UPDATE"},
	[PLAN_API_OPEN] = {
		"INSERT INTO capa.register (title, description, severity, source, kind,"
		" owner, priority, org_unit, contain_due, close_due)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
	"ttvtttitzz"},
	[PLAN_API_CONTAIN] = {
		"UPDATE capa.register SET state = $2, containment = $3, consequences = $4"
		" WHERE id " REF_EQ " $1 RETURNING state",
	"rstt"},
	[PLAN_API_ANALYSE] = {
		"UPDATE capa.register SET state = $2, root_cause = $3, rca_method = $4,"
		" extent_of_condition = $5, cause_category = $6, action_required = $7,"
		" no_action_justification = $8, why_chain = $9, related = $10"
		" WHERE id " REF_EQ " $1 RETURNING state",
	"rsttttbtTR"},
	[PLAN_API_ADD_ACTION] = {
		"INSERT INTO capa.action (capa_id, description, owner, due)"
		" VALUES ($1, $2, $3, $4) RETURNING id",
	"rttd"},
	[PLAN_API_COMPLETE_ACTION] = {
		"UPDATE capa.action SET done = true, evidence = $2"
		" WHERE id OPERATOR(pg_catalog.=) $1 RETURNING id",
	"lt"},
	[PLAN_API_SET_STATE] = {
		"UPDATE capa.register SET state = $2"
		" WHERE id " REF_EQ " $1 RETURNING state",
	"rs"},
	[PLAN_API_VERIFY] = {
		"UPDATE capa.register SET state = $2, effective = $3,"
		" verification_evidence = $4 WHERE id " REF_EQ " $1 RETURNING state",
	"rsbt"},
	[PLAN_API_CLOSE] = {
		"UPDATE capa.register SET state = $2, isms_changes = $3"
		" WHERE id " REF_EQ " $1 RETURNING state",
	"rst"},
	[PLAN_API_CANCEL] = {
		"UPDATE capa.register SET state = $2, cancel_reason = $3"
		" WHERE id " REF_EQ " $1 RETURNING state",
	"rst"},
	[PLAN_API_REOPEN] = {
		"UPDATE capa.register SET state = $2, reopen_reason = $3"
		" WHERE id " REF_EQ " $1 RETURNING state",
	"rst"},
	[PLAN_API_KIND_STATE] = {
		"SELECT r.kind, r.state FROM capa.register r WHERE r.id " REF_EQ " $1",
	"r"},
	/* governed changes (0.3.0); capa_reschedule and capa_amend name their
	 * column, which api.c takes from rules.c's tables only */
	[PLAN_API_REASSIGN] = {
		"UPDATE capa.register SET owner = $2 WHERE id " REF_EQ " $1 RETURNING state",
	"rt"},
	[PLAN_API_REASSIGN_ACTION] = {
		"UPDATE capa.action SET owner = $2 WHERE id OPERATOR(pg_catalog.=) $1 RETURNING id",
	"lt"},
	[PLAN_API_RESCHEDULE_ACTION] = {
		"UPDATE capa.action SET due = $2 WHERE id OPERATOR(pg_catalog.=) $1 RETURNING id",
	"ld"},
	/* 0.3.0 only (called once the schema is governed): the latest row that says */
	[PLAN_OWNER_POLICY] = {
		"SELECT p.free_text_owners FROM capa.policy p"
		" WHERE p.free_text_owners IS NOT NULL ORDER BY p.id DESC LIMIT 1",
	""},
	/*
	 * segregation of duties from the trail (register_trigger.c): every owner
	 * an audit row of the record wrote or replaced, and the acting and login
	 * roles of its completions and implementations
	 */
	[PLAN_SOD_HISTORY] = {
		"SELECT DISTINCT x.kind, x.name FROM capa.audit a,"
		" LATERAL (VALUES ('owner', a.changed OPERATOR(pg_catalog.->>) 'owner'),"
		"  ('owner', (a.changed OPERATOR(pg_catalog.->) 'previous') OPERATOR(pg_catalog.->>) 'owner'),"
		"  ('worker', CASE WHEN a.step OPERATOR(pg_catalog.=) ANY ('{complete_action,implement}'::text[])"
		"   THEN a.actor::text END),"
		"  ('worker', CASE WHEN a.step OPERATOR(pg_catalog.=) ANY ('{complete_action,implement}'::text[])"
		"   THEN a.session_actor::text END)) x (kind, name)"
		" WHERE a." REF_COLUMN " " REF_EQ " $1 AND x.name IS NOT NULL",
	"r"},
	[PLAN_API_CANCEL_ACTION] = {
		"UPDATE capa.action SET cancel_reason = $2 WHERE id OPERATOR(pg_catalog.=) $1 RETURNING id",
	"lt"},
	/* capa_open with the finding's facts (0.5.0 only: called once they are there) */
	[PLAN_API_OPEN_FACTS] = {
		"INSERT INTO capa.register (title, description, severity, source, kind,"
		" owner, priority, org_unit, contain_due, close_due,"
		" detected_at, requirement, grade, objective_evidence)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
	"ttvtttitzzzttt"},
};

static const char *const register_late_names[REGL_COLUMN_COUNT] = {
	[REGL_ORIGINAL_CONTAIN_DUE] = "original_contain_due",
	[REGL_ORIGINAL_CLOSE_DUE] = "original_close_due",
	[REGL_ORIGINAL_EFFECTIVENESS_DUE] = "original_effectiveness_due",
	[REGL_RESCHEDULE_COUNT] = "reschedule_count",
	[REGL_REASSIGN_COUNT] = "reassign_count",
	[REGL_REANALYSE_COUNT] = "reanalyse_count",
	[REGL_EXTENT_FOUND] = "extent_found",
	[REGL_EFFECTIVENESS_FROM] = "effectiveness_from",
	[REGL_OWNER_ROLE] = "owner_role",
};

static const char *const action_late_names[ACTL_COLUMN_COUNT] = {
	[ACTL_ORIGINAL_DUE] = "original_due",
	[ACTL_CANCELLED_AT] = "cancelled_at",
	[ACTL_CANCELLED_BY] = "cancelled_by",
	[ACTL_CANCEL_REASON] = "cancel_reason",
	[ACTL_OWNER_ROLE] = "owner_role",
};

static const char *const register_column_names[REG_COLUMN_COUNT] = {
	[REG_ID] = "id",
	[REG_KIND] = "kind",
	[REG_STATE] = "state",
	[REG_SEVERITY] = "severity",
	[REG_TITLE] = "title",
	[REG_DESCRIPTION] = "description",
	[REG_SOURCE] = "source",
	[REG_OWNER] = "owner",
	[REG_ORG_UNIT] = "org_unit",
	[REG_CONTAIN_DUE] = "contain_due",
	[REG_CLOSE_DUE] = "close_due",
	[REG_EFFECTIVENESS_DUE] = "effectiveness_due",
	[REG_UPDATED_AT] = "updated_at",
	[REG_REOPEN_COUNT] = "reopen_count",
	[REG_INEFFECTIVE_COUNT] = "ineffective_count",
	[REG_CHAIN_SEQ] = "chain_seq",
	[REG_CHAIN_HEAD] = "chain_head",
};

static const char *const action_column_names[ACT_COLUMN_COUNT] = {
	[ACT_ID] = "id",
	[ACT_CAPA_ID] = "capa_id",
	[ACT_DESCRIPTION] = "description",
	[ACT_OWNER] = "owner",
	[ACT_DUE] = "due",
	[ACT_EVIDENCE] = "evidence",
	[ACT_DONE] = "done",
	[ACT_DONE_AT] = "done_at",
	[ACT_DONE_BY] = "done_by",
	[ACT_CREATED_AT] = "created_at",
	[ACT_CREATED_BY] = "created_by",
	[ACT_UPDATED_AT] = "updated_at",
	[ACT_CHAIN_SEQ] = "chain_seq",
	[ACT_CHAIN_HEAD] = "chain_head",
};

/* As CAPA_AUDIT_COLUMNS lists them */
static const char *const audit_column_names[CAPA_AUDIT_NCOLS] = {
	"seq", NULL /* ref_column */, "action_id", "chain_seq", "step", "from_state",
	"to_state", "changed", "actor", "session_actor", "app_user",
	"application_name", "client_addr", "xid", "at", "row_hash", "prev_hash",
	"hash", "encoding"
};

/*
 * The KPI tables: name, key index, key columns (the index's, in order) and
 * counters (kpi.c's KpiMetric order for kpi_rollup)
 */
typedef struct KpiTableDef
{
	const char *table;
	const char *index;
	const char *keys[CAPA_KPI_MAX_KEYS + 1];	/* NULL-terminated */
	Oid			key_types[CAPA_KPI_MAX_KEYS];
	const char *counters[CAPA_KPI_MAX_COUNTERS + 1];
} KpiTableDef;

static const KpiTableDef kpi_table_defs[CAPA_KPI_TABLE_COUNT] = {
	[CAPA_KPI_ROLLUP] = {
		"kpi_rollup", "kpi_rollup_key",
		{"month", "kind", "org_unit", "shard", NULL},
		{DATEOID, TEXTOID, TEXTOID, INT4OID},
		{"opened", "contained", "contain_seconds", "analysed", "analysed_related",
			"closed", "close_seconds", "closed_with_due", "closed_on_time",
			"closed_verified", "closed_first_time", "cancelled", "reopened",
		"backlog_delta", "overdue_delta", NULL}
	},
	[CAPA_KPI_CLOSE_DAYS] = {
		"kpi_close_days", "kpi_close_days_key",
		{"days", "kind", "org_unit", "shard", NULL},
		{INT4OID, TEXTOID, TEXTOID, INT4OID},
		{"closed", NULL}
	},
	[CAPA_KPI_ACTION_DUE] = {
		"kpi_action_due", "kpi_action_due_key",
		{"due", "org_unit", "shard", NULL},
		{DATEOID, TEXTOID, INT4OID},
		{"pending", NULL}
	},
};

static CapaSchema cache;

/* relcache invalidations seen, so a rebuild knows if one came meanwhile */
static uint64 invalidations = 0;

/* plans of a reinstalled capa, freed at the end of the transaction */
static List *retired_plans = NIL;

/* relid is one the cache holds (or any, before the first build) */
static bool
capa_relation(Oid relid)
{
	int			i;

	if (relid == InvalidOid || !OidIsValid(cache.register_relid))
		return true;
	if (relid == cache.register_relid || relid == cache.action_relid ||
		relid == cache.audit_relid || relid == cache.register_pkey ||
		relid == cache.action_chain_index || relid == cache.audit_chain_index ||
		relid == cache.number_seq || relid == cache.audit_seq)
		return true;
	for (i = 0; i < CAPA_KPI_TABLE_COUNT; i++)
	{
		if (relid == cache.kpi[i].relid || relid == cache.kpi[i].key_index)
			return true;
	}
	return false;
}

/*
 * Forget everything when one of capa's relations changes.  Counted even
 * while the cache is invalid: a rebuild that reads it meanwhile must not
 * mark its result valid.
 */
static void
capa_relcache_callback(Datum arg, Oid relid)
{
	if (!capa_relation(relid))
		return;
	invalidations++;
	cache.valid = false;
}

/* At the end of a transaction no capa call is on the stack */
static void
capa_schema_cache_xact_callback(XactEvent event, void *arg)
{
	ListCell   *lc;

	if (retired_plans == NIL ||
		(event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		 event != XACT_EVENT_PREPARE))
		return;
	foreach(lc, retired_plans)
		SPI_freeplan((SPIPlanPtr) lfirst(lc));
	list_free(retired_plans);
	retired_plans = NIL;
}

void
capa_schema_cache_init(void)
{
	CacheRegisterRelcacheCallback(capa_relcache_callback, (Datum) 0);
	RegisterXactCallback(capa_schema_cache_xact_callback, NULL);
}

static Oid
lookup_relation(Oid namespace_oid, const char *name)
{
	Oid			relid = get_relname_relid(name, namespace_oid);

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("relation \"capa.%s\" does not exist", name),
				 errhint("Install the extension with CREATE EXTENSION capa.")));
	return relid;
}

static Oid
lookup_type(Oid namespace_oid, const char *name)
{
	Oid			typid = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
										CStringGetDatum(name),
										ObjectIdGetDatum(namespace_oid));

	if (!OidIsValid(typid))
		elog(ERROR, "capa: type capa.%s does not exist", name);
	return typid;
}

static AttrNumber
lookup_column(Oid relid, const char *name)
{
	AttrNumber	attnum = get_attnum(relid, name);

	if (attnum == InvalidAttrNumber)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						name, get_rel_name(relid))));
	return attnum;
}

/*
 * A column capa reads as raw Datums must still have the type it was
 * created with: after ALTER COLUMN ... TYPE, a by-value Datum taken for a
 * pointer would crash verification.
 */
static void
check_column_type(Oid relid, AttrNumber attnum, Oid expected)
{
	Oid			actual = get_atttype(relid, attnum);

	if (actual != expected)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("column \"%s\" of relation \"%s\" has type %s, not %s",
						get_attname(relid, attnum, false), get_rel_name(relid),
						format_type_be(actual), format_type_be(expected))));
}

static Oid
relation_owner(Oid relid)
{
	HeapTuple	tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	Oid			owner;

	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "capa: cache lookup failed for relation %u", relid);
	owner = ((Form_pg_class) GETSTRUCT(tuple))->relowner;
	ReleaseSysCache(tuple);
	return owner;
}

/*
 * A KPI table as kpi_write.c needs it: the key index must still be the
 * unique index of the key columns in this order, each counter a bigint
 */
static void
lookup_kpi_table(Oid namespace_oid, CapaKpiRelation *k, const KpiTableDef *def)
{
	HeapTuple	tuple;
	Form_pg_index index;
	oidvector  *indclass;
	oidvector  *indcollation;
	Datum		d;
	bool		isnull;
	int			i;

	k->relid = lookup_relation(namespace_oid, def->table);
	k->key_index = lookup_relation(namespace_oid, def->index);
	tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(k->key_index));
	if (!HeapTupleIsValid(tuple))
		elog(ERROR, "capa: cache lookup failed for index %u", k->key_index);
	index = (Form_pg_index) GETSTRUCT(tuple);
	d = SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indclass, &isnull);
	Assert(!isnull);
	indclass = (oidvector *) DatumGetPointer(d);
	d = SysCacheGetAttr(INDEXRELID, tuple, Anum_pg_index_indcollation, &isnull);
	Assert(!isnull);
	indcollation = (oidvector *) DatumGetPointer(d);
	for (k->nkeys = 0; def->keys[k->nkeys] != NULL; k->nkeys++)
		;
	if (index->indrelid != k->relid || !index->indisunique ||
		!index->indnullsnotdistinct || index->indnkeyatts != k->nkeys)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index \"capa.%s\" is not the key of \"capa.%s\"",
						def->index, def->table)));
	for (i = 0; i < k->nkeys; i++)
	{
		Oid			opfamily = get_opclass_family(indclass->values[i]);
		Oid			eqop;

		k->key[i] = lookup_column(k->relid, def->keys[i]);
		check_column_type(k->relid, k->key[i], def->key_types[i]);
		if (index->indkey.values[i] != k->key[i])
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("index \"capa.%s\" is not the key of \"capa.%s\"",
							def->index, def->table)));
		eqop = get_opfamily_member(opfamily, def->key_types[i], def->key_types[i],
								   BTEqualStrategyNumber);
		if (!OidIsValid(eqop))
			elog(ERROR, "capa: no equality operator for column %s of %s",
				 def->keys[i], def->table);
		k->key_eq[i] = get_opcode(eqop);
		k->key_collation[i] = indcollation->values[i];
	}
	ReleaseSysCache(tuple);
	for (k->ncounters = 0; def->counters[k->ncounters] != NULL; k->ncounters++)
	{
		k->counter[k->ncounters] = lookup_column(k->relid, def->counters[k->ncounters]);
		check_column_type(k->relid, k->counter[k->ncounters], INT8OID);
	}
}

/*
 * Resolve everything into *c (all but valid and plans); plans are prepared
 * lazily by capa_spi_plan()
 */
static void
read_schema(CapaSchema *c)
{
	int			i;
	char		column[NAMEDATALEN];
	Oid			nsp;

	c->namespace_oid = nsp = get_namespace_oid("capa", true);
	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schema \"capa\" does not exist"),
				 errhint("Install the extension with CREATE EXTENSION capa.")));

	c->register_relid = lookup_relation(nsp, "register");
	c->action_relid = lookup_relation(nsp, "action");
	c->audit_relid = lookup_relation(nsp, "audit");
	c->register_pkey = lookup_relation(nsp, "register_pkey");
	c->action_chain_index = lookup_relation(nsp, "action_chain_idx");
	c->audit_chain_index = lookup_relation(nsp, "audit_chain_idx");
	c->number_seq = lookup_relation(nsp, "register_number_seq");
	c->audit_seq = lookup_relation(nsp, "audit_seq_seq");
	c->owner = relation_owner(c->register_relid);
	c->ref_type = lookup_type(nsp, "capa_ref");
	c->state_type = lookup_type(nsp, "capa_state");
	c->severity_type = lookup_type(nsp, "capa_severity");
	{
		const Oid	audit_type[CAPA_AUDIT_NCOLS] = {
			INT8OID, c->ref_type, INT8OID, INT4OID, TEXTOID, c->state_type,
			c->state_type, JSONBOID, NAMEOID, NAMEOID, TEXTOID, TEXTOID, INETOID,
			XID8OID, TIMESTAMPTZOID, BYTEAOID, BYTEAOID, BYTEAOID, INT2OID
		};

		/* 0.4.0 renamed record_id (chain.h, REF_COLUMN) */
		c->ref_column = get_attnum(c->audit_relid, "capa_id") != InvalidAttrNumber
			? "capa_id" : "record_id";
		for (i = 0; i < CAPA_AUDIT_NCOLS; i++)
		{
			c->audit_column[i] = lookup_column(c->audit_relid,
											   audit_column_names[i] ? audit_column_names[i] : c->ref_column);
			check_column_type(c->audit_relid, c->audit_column[i], audit_type[i]);
		}
	}

	for (i = 0; i < REG_COLUMN_COUNT; i++)
		c->reg[i] = lookup_column(c->register_relid, register_column_names[i]);
	for (i = 0; i < ACT_COLUMN_COUNT; i++)
		c->act[i] = lookup_column(c->action_relid, action_column_names[i]);
	check_column_type(c->register_relid, c->reg[REG_ID], c->ref_type);
	check_column_type(c->register_relid, c->reg[REG_CHAIN_SEQ], INT4OID);
	check_column_type(c->register_relid, c->reg[REG_CHAIN_HEAD], BYTEAOID);
	/* read as raw Datums by the KPI rollup (kpi.c) */
	check_column_type(c->register_relid, c->reg[REG_KIND], TEXTOID);
	check_column_type(c->register_relid, c->reg[REG_ORG_UNIT], TEXTOID);
	check_column_type(c->register_relid, c->reg[REG_CLOSE_DUE], TIMESTAMPTZOID);
	check_column_type(c->register_relid, c->reg[REG_INEFFECTIVE_COUNT], INT4OID);
	check_column_type(c->action_relid, c->act[ACT_ID], INT8OID);
	check_column_type(c->action_relid, c->act[ACT_CAPA_ID], c->ref_type);
	check_column_type(c->action_relid, c->act[ACT_CHAIN_SEQ], INT4OID);
	check_column_type(c->action_relid, c->act[ACT_CHAIN_HEAD], BYTEAOID);
	for (i = 0; i < CAPA_FIELD_COUNT; i++)
		c->field[i] = lookup_column(c->register_relid, capa_fields[i].column);
	c->stamp_at[CAPA_STAMP_NONE] = InvalidAttrNumber;
	c->stamp_by[CAPA_STAMP_NONE] = InvalidAttrNumber;
	for (i = 1; i < CAPA_STAMP_COUNT; i++)
	{
		snprintf(column, sizeof(column), "%s_at", capa_stamp_names[i]);
		c->stamp_at[i] = lookup_column(c->register_relid, column);
		check_column_type(c->register_relid, c->stamp_at[i], TIMESTAMPTZOID);
		snprintf(column, sizeof(column), "%s_by", capa_stamp_names[i]);
		c->stamp_by[i] = lookup_column(c->register_relid, column);
	}
	for (i = 0; i < CAPA_KPI_TABLE_COUNT; i++)
		lookup_kpi_table(nsp, &c->kpi[i], &kpi_table_defs[i]);

	/* 0.3.0's columns, which a database not yet updated lacks */
	c->governed = true;
	for (i = 0; i < REGL_COLUMN_COUNT; i++)
	{
		c->reg_late[i] = get_attnum(c->register_relid, register_late_names[i]);
		if (c->reg_late[i] == InvalidAttrNumber || c->reg_late[i] <= c->reg[REG_CHAIN_HEAD])
			c->governed = false;
	}
	for (i = 0; i < ACTL_COLUMN_COUNT; i++)
	{
		c->act_late[i] = get_attnum(c->action_relid, action_late_names[i]);
		if (c->act_late[i] == InvalidAttrNumber || c->act_late[i] <= c->act[ACT_CHAIN_HEAD])
			c->governed = false;
	}
	if (!c->governed)
	{
		memset(c->reg_late, 0, sizeof(c->reg_late));
		memset(c->act_late, 0, sizeof(c->act_late));
	}
	else
	{
		/* read as raw Datums */
		check_column_type(c->register_relid, c->reg_late[REGL_RESCHEDULE_COUNT], INT4OID);
		check_column_type(c->register_relid, c->reg_late[REGL_REASSIGN_COUNT], INT4OID);
		check_column_type(c->register_relid, c->reg_late[REGL_REANALYSE_COUNT], INT4OID);
		check_column_type(c->action_relid, c->act_late[ACTL_CANCELLED_AT], TIMESTAMPTZOID);
		check_column_type(c->register_relid, c->reg_late[REGL_EFFECTIVENESS_FROM], TIMESTAMPTZOID);
		check_column_type(c->register_relid, c->reg_late[REGL_OWNER_ROLE], OIDOID);
		check_column_type(c->action_relid, c->act_late[ACTL_OWNER_ROLE], OIDOID);
	}

	/* the finding's facts (0.5.0), which a database not yet updated lacks */
	c->facts = c->governed;
	for (i = 0; i < CAPA_FACT_COUNT; i++)
	{
		c->fact[i] = get_attnum(c->register_relid, capa_fact_columns[i]);
		if (c->fact[i] == InvalidAttrNumber || c->fact[i] <= c->reg[REG_CHAIN_HEAD])
			c->facts = false;
	}
	if (!c->facts)
		memset(c->fact, 0, sizeof(c->fact));
	else
		check_column_type(c->register_relid, c->fact[CAPA_FACT_DETECTED_AT], TIMESTAMPTZOID);
}

/* Publish a fresh cache as a whole */
static void
rebuild(void)
{
	CapaSchema fresh;
	uint64		seen = invalidations;
	int			i;

	memset(&fresh, 0, sizeof(fresh));
	read_schema(&fresh);

	/*
	 * Kept plans follow ALTER TABLE by themselves (plancache); they are only
	 * dropped when capa was reinstalled, since their parameter types are
	 * then gone.  A caller may be running one now: retired, not freed.
	 */
	if (fresh.register_relid == cache.register_relid && fresh.governed == cache.governed)
		memcpy(fresh.plans, cache.plans, sizeof(fresh.plans));
	else
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		for (i = 0; i < PLAN_COUNT; i++)
		{
			if (cache.plans[i] != NULL)
				retired_plans = lappend(retired_plans, cache.plans[i]);
		}
		MemoryContextSwitchTo(old);
		capa_chain_reset_cache();
	}
	/* an invalidation while the cache was read: read it again next time */
	fresh.valid = (invalidations == seen);
	cache = fresh;
}

CapaSchema *
capa_schema(void)
{
	if (!cache.valid)
		rebuild();
	return &cache;
}

static Oid
plan_arg_type(char code)
{
	switch (code)
	{
		case 'r':
			return cache.ref_type;
		case 'R':
			return get_array_type(cache.ref_type);
		case 's':
			return cache.state_type;
		case 'v':
			return cache.severity_type;
		case 't':
			return TEXTOID;
		case 'T':
			return TEXTARRAYOID;
		case 'b':
			return BOOLOID;
		case 'i':
			return INT4OID;
		case 'l':
			return INT8OID;
		case 'd':
			return DATEOID;
		case 'z':
			return TIMESTAMPTZOID;
		case 'j':
			return JSONBOID;
		case 'n':
			return NAMEOID;
		case 'I':
			return INETOID;
		case 'X':
			return XID8OID;
		case 'y':
			return BYTEAOID;
		case 'h':
			return INT2OID;
	}
	elog(ERROR, "capa: unknown plan argument code '%c'", code);
	return InvalidOid;			/* keep compiler quiet */
}

char *
capa_schema_sql(const char *sql)
{
	const char *ref_column = capa_schema()->ref_column;
	StringInfoData buf;
	const char *p;

	initStringInfo(&buf);
	while ((p = strstr(sql, REF_COLUMN)) != NULL)
	{
		appendBinaryStringInfo(&buf, sql, (int) (p - sql));
		appendStringInfoString(&buf, ref_column);
		sql = p + strlen(REF_COLUMN);
	}
	appendStringInfoString(&buf, sql);
	return buf.data;
}

SPIPlanPtr
capa_spi_plan(CapaPlanId id)
{
	CapaSchema *schema = capa_schema();

	if (schema->plans[id] == NULL)
	{
		const CapaPlanDef *def = &plan_defs[id];
		int			nargs = (int) strlen(def->args);
		Oid			argtypes[32];
		SPIPlanPtr	plan;
		int			i;

		if (nargs > (int) lengthof(argtypes))
			elog(ERROR, "capa: plan %d has too many arguments", (int) id);
		for (i = 0; i < nargs; i++)
			argtypes[i] = plan_arg_type(def->args[i]);
		plan = SPI_prepare(capa_schema_sql(schema->governed && def->sql_governed
										   ? def->sql_governed : def->sql),
						   nargs, argtypes);
		if (plan == NULL)
			elog(ERROR, "capa: SPI_prepare failed for plan %d: %s",
				 (int) id, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "capa: SPI_keepplan failed for plan %d", (int) id);
		schema->plans[id] = plan;
	}
	return schema->plans[id];
}
