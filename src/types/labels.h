/*-------------------------------------------------------------------------
 *
 * labels.h
 *	  The closed vocabularies of capa: lifecycle states, severities and
 *	  record kinds, with their stable codes.
 *
 * Pure C (no PostgreSQL headers), so the parsers can be unit-tested and
 * fuzzed without a server.  The codes are stored on disk and in audit
 * encodings: never renumber them, only append.
 *
 * IDENTIFICATION
 *	  src/types/labels.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_LABELS_H
#define CAPA_LABELS_H

#include <stddef.h>

/* Lifecycle states, in lifecycle order (the order is the sort order) */
typedef enum CapaState
{
	CAPA_STATE_INVALID = 0,
	CAPA_STATE_OPEN = 1,
	CAPA_STATE_CONTAINED = 2,
	CAPA_STATE_ANALYSED = 3,
	CAPA_STATE_PLANNED = 4,
	CAPA_STATE_IMPLEMENTED = 5,
	CAPA_STATE_VERIFIED = 6,
	CAPA_STATE_CLOSED = 7,
	CAPA_STATE_CANCELLED = 8
} CapaState;

#define CAPA_STATE_MAX 8

/* Severities, least to most severe */
typedef enum CapaSeverity
{
	CAPA_SEVERITY_INVALID = 0,
	CAPA_SEVERITY_OBSERVATION = 1,
	CAPA_SEVERITY_MINOR = 2,
	CAPA_SEVERITY_MAJOR = 3,
	CAPA_SEVERITY_CRITICAL = 4
} CapaSeverity;

#define CAPA_SEVERITY_MAX 4

/* Record kinds: each has its own path through the states */
typedef enum CapaKind
{
	CAPA_KIND_INVALID = 0,
	CAPA_KIND_CORRECTIVE = 1,	/* a nonconformity happened (10.2) */
	CAPA_KIND_PREVENTIVE = 2,	/* a potential nonconformity */
	CAPA_KIND_IMPROVEMENT = 3	/* an opportunity for improvement (10.1) */
} CapaKind;

#define CAPA_KIND_MAX 3

/* A closed vocabulary: names[code - 1] is the label of code */
typedef struct CapaLabelSet
{
	const char *type_name;		/* as shown in error messages */
	const char *const *names;	/* labels in code order */
	int			count;			/* number of labels; codes are 1..count */
	const char *accepted;		/* "a, b, c": for error hints */
} CapaLabelSet;

extern const CapaLabelSet capa_state_labels;
extern const CapaLabelSet capa_severity_labels;
extern const CapaLabelSet capa_kind_labels;

/* Code of the label spelled exactly as str (len bytes), or 0 */
extern int	capa_label_parse(const CapaLabelSet *set, const char *str, size_t len);

/* Label of a code, or NULL when the code is out of range */
extern const char *capa_label_name(const CapaLabelSet *set, int code);

#endif							/* CAPA_LABELS_H */
