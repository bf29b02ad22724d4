/*-------------------------------------------------------------------------
 *
 * intake.h
 *	  capa_intake(): the condition and the mapping that turn a new row of
 *	  the user's findings or incidents table into a capa record.
 *
 * Neither is SQL: the condition is a closed grammar of comparisons of a
 * column with a constant (intake_condition.c), the mapping a jsonb object
 * of a few fixed forms (intake_mapping.c).  Both are bound to a relation's
 * columns by name, so the trigger evaluates them in C on the new row and
 * no text from either is ever executed.
 *
 * IDENTIFICATION
 *	  src/integration/intake.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_INTAKE_H
#define CAPA_INTAKE_H

#include "postgres.h"

#include "access/htup.h"
#include "access/tupdesc.h"
#include "nodes/bitmapset.h"
#include "utils/jsonb.h"

/*
 * What a configuration may hold (54000 beyond): capa_intake() refuses
 * more, and the trigger refuses a stored configuration with more (one made
 * before these limits) as it refuses one that no longer binds.  Generous
 * for a real condition; they bound the work of binding a configuration and
 * of testing a row, and the nesting of the condition's evaluation, which
 * recurses only into parentheses and NOT (AND and OR are loops).
 */
#define CAPA_INTAKE_MAX_PREDICATES 1000 /* comparisons, IS NULL, IN tests */
#define CAPA_INTAKE_MAX_CONSTANTS 1000	/* each value of an IN list counts */
#define CAPA_INTAKE_MAX_DEPTH 100	/* levels of parentheses and NOT */
#define CAPA_INTAKE_MAX_MAP 1000	/* entries of one "map" of the mapping */

/* A condition bound to a relation (NULL: every row matches) */
typedef struct IntakeCond IntakeCond;

/*
 * Parse text and bind it to tupdesc's columns; constants are converted
 * with the column type's input function.  Adds the columns it reads to
 * *columns.  Errors: 42601 syntax, 42703 unknown column, 42883 a column
 * type without a btree ordering, 54000 beyond the limits above, the type's
 * input errors for constants.  Everything it builds is allocated in the
 * current memory context.
 */
/*
 * 0A000: a condition or a mapping names a virtual generated column (18 and
 * later), which a row trigger sees as NULL
 */
extern void capa_intake_virtual_refused(const char *column);

extern IntakeCond *capa_intake_condition_compile(const char *text, TupleDesc tupdesc,
												 Bitmapset **columns);

/* True if the row satisfies the condition (NULL comparisons do not) */
extern bool capa_intake_condition_match(IntakeCond *cond, HeapTuple tuple,
										TupleDesc tupdesc);

/* capa_open's parameters, in the order of its statement's arguments */
typedef enum IntakeParam
{
	INTAKE_TITLE,
	INTAKE_DESCRIPTION,
	INTAKE_SEVERITY,
	INTAKE_SOURCE,
	INTAKE_KIND,
	INTAKE_OWNER,
	INTAKE_PRIORITY,
	INTAKE_ORG_UNIT,
	INTAKE_CONTAIN_DUE,
	INTAKE_CLOSE_DUE,
	/* the finding's facts (0.5.0: capa_open's last parameters) */
	INTAKE_DETECTED_AT,
	INTAKE_REQUIREMENT,
	INTAKE_GRADE,
	INTAKE_OBJECTIVE_EVIDENCE,
	INTAKE_PARAM_COUNT
} IntakeParam;

typedef struct IntakeMapping IntakeMapping;

/*
 * Validate a mapping and bind it to tupdesc's columns.  default_owner is
 * the owner when the mapping names none.  validate_values checks the
 * constants, map targets and defaults the way capa will (severity, kind,
 * priority, due dates, source codes, blank text) at capa_intake time.
 * Errors: 22023 shape, 42703 unknown parameter or column, 23502 a required
 * parameter missing, 54000 a map beyond CAPA_INTAKE_MAX_MAP, and the value
 * checks' own codes.
 */
extern IntakeMapping *capa_intake_mapping_compile(Jsonb *mapping, TupleDesc tupdesc,
												  const char *default_owner,
												  bool validate_values,
												  Bitmapset **columns);

/* capa_open's arguments for a row: values[] and nulls[] (' ' or 'n') */
extern void capa_intake_mapping_values(IntakeMapping *map, HeapTuple tuple,
									   TupleDesc tupdesc, Datum *values, char *nulls);

/*
 * One intake bound to one relation (the source, or one of its partitions),
 * as the trigger keeps it (intake_cache.c).  The entry and everything it
 * points to live in its own memory context, cxt.
 */
typedef struct IntakeEntry
{
	struct IntakeEntry *next;	/* in the cache's list */
	MemoryContext cxt;			/* the entry's memory */
	int64		id;
	Oid			relid;			/* the relation the trigger fired on */
	Oid			source;			/* the intake's table: links point there */
	char	   *source_name;
	bool		log_errors;		/* on_error = 'log' */
	char	   *condition;		/* as configured, NULL for every row */
	Jsonb	   *mapping;
	char	   *created_by;		/* the default owner */
	bool		compiled;		/* cond and map are bound */
	IntakeCond *cond;
	IntakeMapping *map;
} IntakeEntry;

/*
 * The cache of bound intakes (intake_cache.c).  A trigger call brackets its
 * use of an entry with capa_intake_call_begin() and _end() (also when it
 * fails): an entry the cache drops while a call may still use it (a
 * relcache invalidation caused by code the call ran: a domain's CHECK, a
 * type's function, a trigger) is retired, and freed once no call is active.
 */
extern void capa_intake_call_begin(void);
extern void capa_intake_call_end(void);

/* The entry of intake id bound to relid, or NULL */
extern IntakeEntry *capa_intake_cache_find(int64 id, Oid relid);

/* A memory context for a new entry; then capa_intake_cache_add() */
extern MemoryContext capa_intake_cache_entry_context(void);
extern void capa_intake_cache_add(IntakeEntry *entry);

/* Register the cache's invalidation and transaction callbacks (from _PG_init) */
extern void capa_intake_init(void);

#endif							/* CAPA_INTAKE_H */
