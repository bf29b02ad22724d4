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
 *	  src/intake.h
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

/* A condition bound to a relation (NULL: every row matches) */
typedef struct IntakeCond IntakeCond;

/*
 * Parse text and bind it to tupdesc's columns; constants are converted
 * with the column type's input function.  Adds the columns it reads to
 * *columns.  Errors: 42601 syntax, 42703 unknown column, 42883 a column
 * type without a btree ordering, the type's input errors for constants.
 */
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
	INTAKE_PARAM_COUNT
} IntakeParam;

typedef struct IntakeMapping IntakeMapping;

/*
 * Validate a mapping and bind it to tupdesc's columns.  default_owner is
 * the owner when the mapping names none.  validate_values checks the
 * constants, map targets and defaults the way capa will (severity, kind,
 * priority, due dates, source codes, blank text) at capa_intake time.
 * Errors: 22023 shape, 42703 unknown parameter or column, 23502 a required
 * parameter missing, and the value checks' own codes.
 */
extern IntakeMapping *capa_intake_mapping_compile(Jsonb *mapping, TupleDesc tupdesc,
												  const char *default_owner,
												  bool validate_values,
												  Bitmapset **columns);

/* capa_open's arguments for a row: values[] and nulls[] (' ' or 'n') */
extern void capa_intake_mapping_values(IntakeMapping *map, HeapTuple tuple,
									   TupleDesc tupdesc, Datum *values, char *nulls);

/* Register the cache invalidation callback (from _PG_init) */
extern void capa_intake_init(void);

#endif							/* CAPA_INTAKE_H */
