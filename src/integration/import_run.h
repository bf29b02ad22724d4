/*-------------------------------------------------------------------------
 *
 * import_run.h
 *	  The state of one capa_import() call, shared by its two halves:
 *	  import_load.c, which reads the source and inserts, and
 *	  import_judge.c, which the triggers call for each inserted row.
 *
 * IDENTIFICATION
 *	  src/integration/import_run.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_IMPORT_RUN_H
#define CAPA_IMPORT_RUN_H

#include "postgres.h"

#include "fmgr.h"
#include "nodes/execnodes.h"
#include "utils/timestamp.h"

#include "common/schema_cache.h"
#include "integration/import.h"
#include "types/labels.h"

/* One action item of the current source row, in action column order */
typedef struct ImportAction
{
	Datum		values[ACT_COLUMN_COUNT];
	bool		nulls[ACT_COLUMN_COUNT];
	char	   *legacy_id;
} ImportAction;

/* Everything one capa_import() call keeps */
typedef struct ImportState
{
	const char *source_name;
	int64		rowno;			/* position of the current row, from 1 */
	bool		in_row;			/* an error now is the current row's */
	char	   *legacy_id;		/* of the current row, or NULL */
	MemoryContext row_cxt;		/* lives as long as the current row */
	int			nactions;
	ImportAction *actions;
	int			action_index;	/* the action item being inserted */
	CapaImportTarget expect;	/* the row capa_import() is inserting */
	Datum		capa_id;		/* the current record's reference */
	bool		record_cancelled;	/* ... and whether it was cancelled */
	char	   *record_org_unit;	/* ... and its org unit (NULL: none) */
	TimestampTz xact_now;		/* updated_at, as the triggers write it */
	TimestampTz clock_now;		/* history must lie before it */
	Oid			caller;			/* the acting role: capa_import's caller */
	/* lookups, read once */
	char	  **codes[4];		/* source, rca_method, cause_category, grade
								 * (0.5.0) */
	int			ncodes[4];
	bool		segregation;
	bool		has_policy[CAPA_SEVERITY_MAX + 1];
	Datum		contain_within[CAPA_SEVERITY_MAX + 1];	/* (Datum) 0: none */
	Datum		close_within[CAPA_SEVERITY_MAX + 1];
	Datum		effectiveness_within[CAPA_SEVERITY_MAX + 1];
	/* the trail, inserted directly (capa_audit_inserter) */
	EState	   *audit_estate;
	ResultRelInfo *audit_rri;
	TupleTableSlot *audit_slot;
	/* input functions of the action columns, for the actions' strings */
	FmgrInfo	act_in[ACT_COLUMN_COUNT];
	Oid			act_ioparam[ACT_COLUMN_COUNT];
} ImportState;

/*
 * The import this backend runs, or NULL: set by capa_import()
 * (import_load.c) for the length of one call, read by the triggers'
 * judgement (import_judge.c)
 */
extern ImportState *capa_import_running;

/* "source row 17 (legacy_id "NC-0042")", for messages */
extern char *capa_import_row_label(void);

#endif							/* CAPA_IMPORT_RUN_H */
