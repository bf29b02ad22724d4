/*-------------------------------------------------------------------------
 *
 * catalog.h
 *	  What capa looks up once per backend: its relations, types, owner,
 *	  the attribute numbers its triggers use, and its prepared SPI plans.
 *
 * IDENTIFICATION
 *	  src/catalog.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_CATALOG_H
#define CAPA_CATALOG_H

#include "postgres.h"

#include "access/attnum.h"
#include "executor/spi.h"

#include "chain.h"
#include "rules.h"

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

/* The SPI statements capa prepares once and keeps */
typedef enum CapaPlanId
{
	PLAN_AUDIT_ROW,
	PLAN_ACTION_COUNTS,
	PLAN_FRESH_ACTION,
	PLAN_ACTION_OWNED_BY,
	PLAN_SEGREGATION_POLICY,
	PLAN_SEVERITY_POLICY,
	PLAN_RELATED_MISSING,
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
	PLAN_KPI_UPSERT,
	PLAN_KPI_DAYS_UPSERT,
	PLAN_KPI_ACTION_UPSERT,
	PLAN_COUNT
} CapaPlanId;

typedef struct CapaCatalog
{
	bool		valid;			/* false after a relcache invalidation */
	Oid			namespace_oid;	/* schema capa */
	Oid			register_relid;
	Oid			action_relid;
	Oid			audit_relid;
	Oid			register_pkey;	/* indexes the chains are read in: (id) */
	Oid			action_chain_index; /* (capa_id, id) */
	Oid			audit_chain_index;	/* (record_id, action_id, chain_seq) */
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
	SPIPlanPtr	plans[PLAN_COUNT];	/* prepared on first use */
} CapaCatalog;

/* The backend's catalog, rebuilt if capa's relations changed */
extern CapaCatalog *capa_catalog(void);

/* A kept plan; the caller must be connected to SPI */
extern SPIPlanPtr capa_spi_plan(CapaPlanId id);

/* Register the invalidation callback (from _PG_init) */
extern void capa_catalog_init(void);

#endif							/* CAPA_CATALOG_H */
