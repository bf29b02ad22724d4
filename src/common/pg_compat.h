/*-------------------------------------------------------------------------
 *
 * pg_compat.h
 *	  The server API differences between the PostgreSQL majors capa builds
 *	  against (15, 17, 18, 19), in one place.
 *
 * Every other file is written against one spelling: the one below.  Where
 * a function kept its meaning and only lost its name or gained an
 * argument, the call sites use a capa_ or CAPA_ name defined here, so a
 * new major is one more #if in this file and no edit elsewhere.  Each
 * difference is guarded by the PG_VERSION_NUM of the major that made it
 * (16 is not built or tested here: its guards follow the release notes).
 *
 * IDENTIFICATION
 *	  src/common/pg_compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_PG_COMPAT_H
#define CAPA_PG_COMPAT_H

#include "postgres.h"

#include "access/genam.h"
#include "access/tableam.h"
#include "executor/executor.h"
#include "nodes/bitmapset.h"
#include "nodes/parsenodes.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/jsonb.h"
#include "utils/relcache.h"

#if PG_VERSION_NUM >= 160000
#include "catalog/pg_namespace.h"
#include "parser/parse_relation.h"
/* 16 moved the varlena macros (VARDATA_ANY, VARSIZE_ANY_EXHDR) out of postgres.h */
#include "varatt.h"
#endif
#if PG_VERSION_NUM >= 170000
#include "storage/procnumber.h"
#else
#include "storage/backendid.h"
#endif

/*
 * 18: C11's noreturn as a prefix (pg_noreturn); pg_attribute_noreturn(),
 * a suffix, is gone.  GCC and clang take the attribute as a prefix too.
 */
#ifndef pg_noreturn
#define pg_noreturn pg_attribute_noreturn()
#endif

/*
 * 16: the per-object-type aclcheck functions became object_aclcheck()
 * with the catalog's OID.
 */
#if PG_VERSION_NUM >= 160000
#define capa_namespace_aclcheck(nsp, roleid, mode) \
	object_aclcheck(NamespaceRelationId, (nsp), (roleid), (mode))
#else
#define capa_namespace_aclcheck(nsp, roleid, mode) \
	pg_namespace_aclcheck((nsp), (roleid), (mode))
#endif

/*
 * 17: the local transaction id moved into PGPROC's vxid, and backends are
 * numbered by ProcNumber (from 0) instead of BackendId (from 1).
 */
#if PG_VERSION_NUM >= 170000
#define CAPA_MY_LXID (MyProc->vxid.lxid)
#else
#define CAPA_MY_LXID (MyProc->lxid)
#endif

/*
 * The KPI rollup shard a backend writes (kpi.c): its number counted from
 * 1, as BackendId was, because shard 0 holds what capa_kpi_compact()
 * folded and a backend writing there would wait for the compaction.
 */
#if PG_VERSION_NUM >= 170000
#define CAPA_BACKEND_SHARD ((int32) MyProcNumber + 1)
#else
#define CAPA_BACKEND_SHARD ((int32) MyBackendId)
#endif

/*
 * 18: the primary key may be deferrable, if the caller says so; before,
 * a deferrable one was never returned, which is what capa wants (an
 * intake's key must identify the row at once).
 */
#if PG_VERSION_NUM >= 180000
#define capa_primary_key_index(rel) RelationGetPrimaryKeyIndex((rel), false)
#else
#define capa_primary_key_index(rel) RelationGetPrimaryKeyIndex(rel)
#endif

/*
 * 18: an index scan takes where to count its work (none here); 19: and
 * scan options, as a table scan does (none here)
 */
#if PG_VERSION_NUM >= 190000
#define capa_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), NULL, (nkeys), (norderbys), SO_NONE)
#elif PG_VERSION_NUM >= 180000
#define capa_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), NULL, (nkeys), (norderbys))
#else
#define capa_index_beginscan(heap, index, snapshot, nkeys, norderbys) \
	index_beginscan((heap), (index), (snapshot), (nkeys), (norderbys))
#endif

/*
 * 18: a generated column is VIRTUAL unless it says STORED, and a row
 * trigger sees a virtual column as NULL (it is computed when read); before,
 * every generated column was stored
 */
#ifdef ATTRIBUTE_GENERATED_VIRTUAL
#define capa_attr_is_virtual(att) ((att)->attgenerated == ATTRIBUTE_GENERATED_VIRTUAL)
#else
#define capa_attr_is_virtual(att) false
#endif

/* 19: a sequential scan takes scan options (none here) */
#if PG_VERSION_NUM >= 190000
#define capa_table_beginscan(rel, snapshot, nkeys, key) \
	table_beginscan((rel), (snapshot), (nkeys), (key), SO_NONE)
#else
#define capa_table_beginscan(rel, snapshot, nkeys, key) \
	table_beginscan((rel), (snapshot), (nkeys), (key))
#endif

/*
 * 19: a jsonb value is built in a JsonbInState (the caller's, zeroed)
 * whose result is set when the outermost container ends; before, in a
 * stack of JsonbParseState that pushJsonbValue() returned the value from.
 * capa_push_jsonb() returns the value built so far either way (NULL
 * until the outermost container ends, on 19).
 */
#if PG_VERSION_NUM >= 190000
typedef JsonbInState CapaJsonbState;
#define CAPA_JSONB_STATE_INIT {0}
#else
typedef JsonbParseState *CapaJsonbState;
#define CAPA_JSONB_STATE_INIT NULL
#endif

static inline JsonbValue *
capa_push_jsonb(CapaJsonbState *state, JsonbIteratorToken seq, JsonbValue *jbval)
{
#if PG_VERSION_NUM >= 190000
	pushJsonbValue(state, seq, jbval);
	return state->result;
#else
	return pushJsonbValue(state, seq, jbval);
#endif
}

/* 16: EvalPlanQual is told the result relations (none here) */
#if PG_VERSION_NUM >= 160000
#define capa_EvalPlanQualInit(epqstate, estate, subplan, auxrowmarks, epqParam) \
	EvalPlanQualInit((epqstate), (estate), (subplan), (auxrowmarks), (epqParam), NIL)
#else
#define capa_EvalPlanQualInit(epqstate, estate, subplan, auxrowmarks, epqParam) \
	EvalPlanQualInit((epqstate), (estate), (subplan), (auxrowmarks), (epqParam))
#endif

/*
 * The executor's range table for relations written without a statement.
 * 16 moved the permission fields of a range table entry into a list of
 * RTEPermissionInfo that the executor reads when it reports a failed
 * constraint and fires column-specific UPDATE triggers: every entry gets
 * one (requiring nothing: the checks were made before), as logical
 * replication's apply does.  18 also wants the entries that survived
 * partition pruning: all of them.
 */
static inline void
capa_exec_init_range_table(EState *estate, List *rtable)
{
#if PG_VERSION_NUM >= 160000
	List	   *perminfos = NIL;
	ListCell   *lc;

	foreach(lc, rtable)
		addRTEPermissionInfo(&perminfos, lfirst_node(RangeTblEntry, lc));
#endif
#if PG_VERSION_NUM >= 180000
	ExecInitRangeTable(estate, rtable, perminfos,
					   bms_add_range(NULL, 1, list_length(rtable)));
#elif PG_VERSION_NUM >= 160000
	ExecInitRangeTable(estate, rtable, perminfos);
#else
	ExecInitRangeTable(estate, rtable);
#endif
}

#endif							/* CAPA_PG_COMPAT_H */
