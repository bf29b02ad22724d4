/*-------------------------------------------------------------------------
 *
 * schema_cache.h
 *	  What capa looks up once per backend: its relations, types, owner,
 *	  the attribute numbers its triggers use, and its prepared SPI plans.
 *
 * IDENTIFICATION
 *	  src/common/schema_cache.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_SCHEMA_CACHE_H
#define CAPA_SCHEMA_CACHE_H

#include "postgres.h"

#include "access/attnum.h"
#include "executor/spi.h"

#include "audit/chain.h"
#include "lifecycle/rules.h"

/* Columns of capa.register the trigger reads or writes by number */
typedef enum CapaRegisterColumn
{
	REG_ID,
	REG_KIND,
	REG_STATE,
	REG_SEVERITY,
	REG_TITLE,
	REG_DESCRIPTION,
	REG_SOURCE,
	REG_OWNER,
	REG_ORG_UNIT,
	REG_CONTAIN_DUE,
	REG_CLOSE_DUE,
	REG_EFFECTIVENESS_DUE,
	REG_UPDATED_AT,
	REG_REOPEN_COUNT,
	REG_INEFFECTIVE_COUNT,
	REG_CHAIN_SEQ,
	REG_CHAIN_HEAD,
	REG_COLUMN_COUNT
} CapaRegisterColumn;

/* Columns of capa.action the trigger reads or writes by number */
typedef enum CapaActionColumn
{
	ACT_ID,
	ACT_CAPA_ID,
	ACT_DESCRIPTION,
	ACT_OWNER,
	ACT_DUE,
	ACT_EVIDENCE,
	ACT_DONE,
	ACT_DONE_AT,
	ACT_DONE_BY,
	ACT_CREATED_AT,
	ACT_CREATED_BY,
	ACT_UPDATED_AT,
	ACT_CHAIN_SEQ,
	ACT_CHAIN_HEAD,
	ACT_COLUMN_COUNT
} CapaActionColumn;

/*
 * Columns 0.3.0 adds (governed change): InvalidAttrNumber in a database
 * that has not run ALTER EXTENSION capa UPDATE yet, where the library
 * works as before.  They come after chain_head, so rows written before
 * hash as they did (chain.c, row encoding).
 */
typedef enum CapaRegisterLateColumn
{
	REGL_ORIGINAL_CONTAIN_DUE,
	REGL_ORIGINAL_CLOSE_DUE,
	REGL_ORIGINAL_EFFECTIVENESS_DUE,
	REGL_RESCHEDULE_COUNT,
	REGL_REASSIGN_COUNT,
	REGL_REANALYSE_COUNT,
	REGL_EXTENT_FOUND,
	REGL_EFFECTIVENESS_FROM,
	REGL_OWNER_ROLE,			/* derived: not hashed, not in "changed" */
	REGL_COLUMN_COUNT
} CapaRegisterLateColumn;

typedef enum CapaActionLateColumn
{
	ACTL_ORIGINAL_DUE,
	ACTL_CANCELLED_AT,
	ACTL_CANCELLED_BY,
	ACTL_CANCEL_REASON,
	ACTL_OWNER_ROLE,			/* derived: not hashed, not in "changed" */
	ACTL_COLUMN_COUNT
} CapaActionLateColumn;

/* The SPI statements capa prepares once and keeps */
typedef enum CapaPlanId
{
	PLAN_AUDIT_ROW,
	PLAN_ACTION_COUNTS,
	PLAN_FRESH_ACTION,
	PLAN_ACTION_OWNERS,
	PLAN_SEGREGATION_POLICY,
	PLAN_SEVERITY_POLICY,
	PLAN_RELATED_UNITS,
	PLAN_LOCK_RECORD,
	PLAN_API_OPEN,
	PLAN_API_CONTAIN,
	PLAN_API_ANALYSE,
	PLAN_API_ADD_ACTION,
	PLAN_API_COMPLETE_ACTION,
	PLAN_API_SET_STATE,
	PLAN_API_VERIFY,
	PLAN_API_CLOSE,
	PLAN_API_CANCEL,
	PLAN_API_REOPEN,
	PLAN_API_KIND_STATE,
	PLAN_API_REASSIGN,
	PLAN_API_REASSIGN_ACTION,
	PLAN_API_RESCHEDULE_ACTION,
	PLAN_API_CANCEL_ACTION,
	PLAN_OWNER_POLICY,
	PLAN_SOD_HISTORY,
	/* the finding's facts (0.5.0) */
	PLAN_API_OPEN_FACTS,
	PLAN_COUNT
} CapaPlanId;

/* The KPI rollup tables, which kpi_write.c writes without a statement */
typedef enum CapaKpiTable
{
	CAPA_KPI_ROLLUP,			/* capa.kpi_rollup */
	CAPA_KPI_CLOSE_DAYS,		/* capa.kpi_close_days */
	CAPA_KPI_ACTION_DUE,		/* capa.kpi_action_due */
	CAPA_KPI_TABLE_COUNT
} CapaKpiTable;

#define CAPA_KPI_MAX_KEYS 4
#define CAPA_KPI_MAX_COUNTERS 15

/* A KPI table: its key (a unique index) and its bigint counters */
typedef struct CapaKpiRelation
{
	Oid			relid;
	Oid			key_index;		/* unique, NULLS NOT DISTINCT, on the key columns */
	int			nkeys;
	AttrNumber	key[CAPA_KPI_MAX_KEYS]; /* the index's columns, in its order */
	RegProcedure key_eq[CAPA_KPI_MAX_KEYS]; /* their equality, of the index's opfamily */
	Oid			key_collation[CAPA_KPI_MAX_KEYS];
	int			ncounters;
	AttrNumber	counter[CAPA_KPI_MAX_COUNTERS]; /* in kpi.c's metric order */
} CapaKpiRelation;

typedef struct CapaSchema
{
	bool		valid;			/* false after a relcache invalidation */
	Oid			namespace_oid;	/* schema capa */
	Oid			register_relid;
	Oid			action_relid;
	Oid			audit_relid;
	Oid			register_pkey;	/* indexes the chains are read in: (id) */
	Oid			action_chain_index; /* (capa_id, id) */
	Oid			audit_chain_index;	/* (capa_id, action_id, chain_seq) */
	AttrNumber	audit_column[CAPA_AUDIT_NCOLS]; /* CAPA_AUDIT_COLUMNS order */
	Oid			owner;			/* owner of capa.register: runs capa's writes */
	Oid			ref_type;		/* capa.capa_ref */
	Oid			state_type;		/* capa.capa_state */
	Oid			severity_type;	/* capa.capa_severity */
	Oid			number_seq;		/* capa.register_number_seq */
	Oid			audit_seq;		/* capa.audit_seq_seq */
	AttrNumber	reg[REG_COLUMN_COUNT];
	AttrNumber	field[CAPA_FIELD_COUNT];	/* evidence columns */
	AttrNumber	stamp_at[CAPA_STAMP_COUNT]; /* <stamp>_at columns */
	AttrNumber	stamp_by[CAPA_STAMP_COUNT]; /* <stamp>_by columns */
	AttrNumber	act[ACT_COLUMN_COUNT];
	AttrNumber	reg_late[REGL_COLUMN_COUNT];	/* or InvalidAttrNumber */
	AttrNumber	act_late[ACTL_COLUMN_COUNT];	/* or InvalidAttrNumber */
	bool		governed;		/* every 0.3.0 column is there */
	const char *ref_column;		/* "capa_id", or "record_id" before 0.4.0 */
	/* the finding's facts (0.5.0; rules.h, CapaFact): or InvalidAttrNumber */
	AttrNumber	fact[CAPA_FACT_COUNT];
	bool		facts;			/* every one of them is there */
	CapaKpiRelation kpi[CAPA_KPI_TABLE_COUNT];
	SPIPlanPtr	plans[PLAN_COUNT];	/* prepared on first use */
} CapaSchema;

/* What this backend knows of capa's schema, rebuilt if capa's relations changed */
extern CapaSchema *capa_schema(void);

/* sql with each REF_COLUMN replaced by this database's name, palloc'd */
extern char *capa_schema_sql(const char *sql);

/* A kept plan; the caller must be connected to SPI */
extern SPIPlanPtr capa_spi_plan(CapaPlanId id);

/* Register the invalidation callback (from _PG_init) */
extern void capa_schema_cache_init(void);

#endif							/* CAPA_SCHEMA_CACHE_H */
