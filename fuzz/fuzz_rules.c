/*-------------------------------------------------------------------------
 *
 * fuzz_rules.c
 *	  The lifecycle rule lookups of src/lifecycle/rules.c: capa_rules_find(),
 *	  capa_rules_next(), capa_rules_step_target(), capa_rules_frozen(),
 *	  capa_rules_actions_open(), capa_rules_step_fields().
 *
 * Pure C: no PostgreSQL at all.  The oracle is README.md's Lifecycle (the
 * kinds and their paths), written out again here as each kind's path plus the moves every
 * kind has, not read from the rule table.
 *
 * Input: kind (0 to 3: what capa_label_parse() can give the callers, 0
 * being an unknown kind), two states (any int16: a stored state code),
 * a buffer size for next(), a flag and a step name (the rest).
 *
 * Properties:
 *	  find(kind, from, to) returns an edge iff README.md's paths allow the move, and
 *		that edge's from, to and kinds are the ones asked for;
 *	  next(kind, from) writes no more than it is given room for, lists
 *		states find() accepts from `from`, without repeats, and as many as
 *		README.md has (or the room);
 *	  step_target(step, effective) is a state some edge of that step leads
 *		to, or INVALID for a name that is no step; "verify" leads to
 *		verified when effective and back to planned when not;
 *	  frozen() is closed and cancelled, whose only way out is reopen;
 *		actions_open() is open to planned; step_fields() stays within the
 *		evidence fields.
 * Once, at start-up: every edge of the table is well formed (see
 * check_table()).
 *
 * IDENTIFICATION
 *	  fuzz/fuzz_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lifecycle/rules.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NSTATES (CAPA_STATE_MAX + 1)

/* README.md's paths (Lifecycle), one per kind (0-terminated) */
static const CapaState spec_paths[CAPA_KIND_MAX + 1][NSTATES] = {
	[CAPA_KIND_CORRECTIVE] = {CAPA_STATE_OPEN, CAPA_STATE_CONTAINED, CAPA_STATE_ANALYSED,
		CAPA_STATE_PLANNED, CAPA_STATE_IMPLEMENTED, CAPA_STATE_VERIFIED, CAPA_STATE_CLOSED},
	[CAPA_KIND_PREVENTIVE] = {CAPA_STATE_OPEN, CAPA_STATE_ANALYSED, CAPA_STATE_PLANNED,
		CAPA_STATE_IMPLEMENTED, CAPA_STATE_VERIFIED, CAPA_STATE_CLOSED},
	[CAPA_KIND_IMPROVEMENT] = {CAPA_STATE_OPEN, CAPA_STATE_PLANNED, CAPA_STATE_IMPLEMENTED,
		CAPA_STATE_VERIFIED, CAPA_STATE_CLOSED},
};

/* spec[kind][from][to]: README.md allows the move */
static bool spec[CAPA_KIND_MAX + 1][NSTATES][NSTATES];

static const uint8_t *cur_data;
static size_t cur_size;

static void
fail(const char *fmt,...)
{
	va_list		ap;
	size_t		i;

	fprintf(stderr, "\ncapa fuzz: PROPERTY BROKEN: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ninput (%zu bytes): ", cur_size);
	for (i = 0; i < cur_size && i < 256; i++)
		fprintf(stderr, "%02x", cur_data[i]);
	fprintf(stderr, "\n");
	abort();
}

static bool
on_path(int kind, CapaState s)
{
	int			i;

	for (i = 0; spec_paths[kind][i] != CAPA_STATE_INVALID; i++)
	{
		if (spec_paths[kind][i] == s)
			return true;
	}
	return false;
}

static void
build_spec(void)
{
	int			k;
	int			i;

	for (k = CAPA_KIND_CORRECTIVE; k <= CAPA_KIND_MAX; k++)
	{
		const CapaState *p = spec_paths[k];

		for (i = 0; p[i + 1] != CAPA_STATE_INVALID; i++)
			spec[k][p[i]][p[i + 1]] = true;
		/* every kind: a verification that finds the action ineffective */
		spec[k][CAPA_STATE_IMPLEMENTED][CAPA_STATE_PLANNED] = true;
		/* open, contained or analysed -> cancelled (those on its path) */
		if (on_path(k, CAPA_STATE_OPEN))
			spec[k][CAPA_STATE_OPEN][CAPA_STATE_CANCELLED] = true;
		if (on_path(k, CAPA_STATE_CONTAINED))
			spec[k][CAPA_STATE_CONTAINED][CAPA_STATE_CANCELLED] = true;
		if (on_path(k, CAPA_STATE_ANALYSED))
			spec[k][CAPA_STATE_ANALYSED][CAPA_STATE_CANCELLED] = true;
		/* closed -> open by capa_reopen */
		spec[k][CAPA_STATE_CLOSED][CAPA_STATE_OPEN] = true;
		/* 0.3.0: planned or implemented -> cancelled (capa_admin) */
		spec[k][CAPA_STATE_PLANNED][CAPA_STATE_CANCELLED] = true;
		spec[k][CAPA_STATE_IMPLEMENTED][CAPA_STATE_CANCELLED] = true;
		/*
		 * 0.3.0: back to analysis (ineffective, or before implementation),
		 * and the analysis taken again (an edge to the same state) for the
		 * kinds that analyse
		 */
		if (on_path(k, CAPA_STATE_ANALYSED))
		{
			spec[k][CAPA_STATE_IMPLEMENTED][CAPA_STATE_ANALYSED] = true;
			spec[k][CAPA_STATE_PLANNED][CAPA_STATE_ANALYSED] = true;
			spec[k][CAPA_STATE_ANALYSED][CAPA_STATE_ANALYSED] = true;
		}
	}
	/* corrective: analysed straight to closed when no action is needed */
	spec[CAPA_KIND_CORRECTIVE][CAPA_STATE_ANALYSED][CAPA_STATE_CLOSED] = true;
}

static bool
spec_allows(int kind, int from, int to)
{
	if (kind < 1 || kind > CAPA_KIND_MAX || from < 0 || from >= NSTATES ||
		to < 0 || to >= NSTATES)
		return false;
	return spec[kind][from][to];
}

static int
spec_next_count(int kind, int from)
{
	int			to;
	int			n = 0;

	/* a step taken again (from a state to itself) is no next state */
	for (to = 0; to < NSTATES; to++)
		n += spec_allows(kind, from, to) && to != from;
	return n;
}

#define FIELD_MASK	((UINT32_C(1) << CAPA_FIELD_COUNT) - 1)

/* The table, once: every edge well formed, and the table is README.md's paths */
static void
check_table(void)
{
	uint32_t	bools = 0;
	int			i;
	int			j;
	int			k;
	int			from;
	int			to;

	for (i = 0; i < CAPA_FIELD_COUNT; i++)
	{
		if (capa_fields[i].column == NULL)
			fail("field %d has no column", i);
		if (capa_fields[i].shape == CAPA_SHAPE_BOOL)
			bools |= CAPA_BIT(i);
	}
	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];

		if (e->kinds == 0 || (e->kinds & ~(unsigned) CAPA_KINDS_ALL) != 0)
			fail("edge %d: kinds %#x", i, e->kinds);
		if (e->from < 1 || e->from > CAPA_STATE_MAX || e->to < 1 ||
			e->to > CAPA_STATE_MAX ||
			(e->from == e->to && !(e->conditions & CAPA_COND_ANALYSIS_REOPENED)))
			fail("edge %d: %d -> %d", i, e->from, e->to);
		if (e->step == NULL || e->step[0] == '\0')
			fail("edge %d: no step", i);
		if ((int) e->stamp < 0 || e->stamp >= CAPA_STAMP_COUNT ||
			(e->stamp != CAPA_STAMP_NONE) != (capa_stamp_names[e->stamp] != NULL))
			fail("edge %d: stamp %d", i, e->stamp);
		if (((e->required | e->must_be_true | e->must_be_false | e->optional |
			  e->checks | e->clears) & ~FIELD_MASK) != 0)
			fail("edge %d: a field bit beyond the fields", i);
		if ((e->must_be_true | e->must_be_false) & ~(e->required & bools))
			fail("edge %d: a must-be value on a field not required or not boolean", i);
		if (e->must_be_true & e->must_be_false)
			fail("edge %d: a field must be both true and false", i);
		if (e->checks & ~e->required)
			fail("edge %d: checks a field it does not require", i);
		if (e->clears_stamps & ~((UINT32_C(1) << CAPA_STAMP_COUNT) - 1))
			fail("edge %d: clears a stamp beyond the stamps", i);
		for (j = 0; j < i; j++)
		{
			const CapaEdge *o = &capa_edges[j];

			if (o->from == e->from && o->to == e->to && (o->kinds & e->kinds))
				fail("edges %d and %d: the same move for one kind", j, i);
		}
	}
	for (k = 0; k <= CAPA_KIND_MAX; k++)
		for (from = 0; from < NSTATES; from++)
			for (to = 0; to < NSTATES; to++)
				if ((capa_rules_find(k, from, to) != NULL) != spec_allows(k, from, to))
					fail("kind %d: %d -> %d: the table and README.md's paths disagree", k, from, to);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	build_spec();
	check_table();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int			kind;
	CapaState	from;
	CapaState	to;
	int			max;
	bool		effective;
	char	   *step;
	const CapaEdge *e;
	CapaState  *out;
	int			n;
	int			i;
	int			j;
	CapaState	target;

	if (size < 6)
		return 0;
	cur_data = data;
	cur_size = size;
	kind = data[0] % (CAPA_KIND_MAX + 1);
	from = (CapaState) (int16_t) (data[1] << 8 | data[2]);
	to = (CapaState) (int16_t) (data[3] << 8 | data[4]);
	max = data[5] & 0x0F;
	effective = (data[5] & 0x10) != 0;
	step = malloc(size - 6 + 1);
	memcpy(step, data + 6, size - 6);
	step[size - 6] = '\0';

	/* find() */
	e = capa_rules_find(kind, from, to);
	if ((e != NULL) != spec_allows(kind, from, to))
		fail("find(%d, %d, %d) %s", kind, from, to, e ? "found an edge" : "found none");
	if (e != NULL && (e->from != from || e->to != to ||
					  !(e->kinds & CAPA_KIND_BIT(kind))))
		fail("find(%d, %d, %d) returned edge %d -> %d for kinds %#x", kind, from, to,
			 e->from, e->to, e->kinds);
	if ((capa_rules_step_fields(e) & ~FIELD_MASK) != 0)
		fail("step_fields beyond the fields");
	if (e == NULL && capa_rules_step_fields(NULL) != 0)
		fail("step_fields(NULL) != 0");

	/* next(): exactly max elements of room, so ASan sees a write past it */
	out = malloc(sizeof(CapaState) * max);
	n = capa_rules_next(kind, from, out, max);
	if (n < 0 || n > max)
		fail("next(%d, %d, max %d) = %d", kind, from, max, n);
	for (i = 0; i < n; i++)
	{
		const CapaEdge *ne = capa_rules_find(kind, from, out[i]);

		if (ne == NULL || ne->from != from)
			fail("next(%d, %d) lists %d, which find() refuses", kind, from, out[i]);
		for (j = 0; j < i; j++)
			if (out[j] == out[i])
				fail("next(%d, %d) lists %d twice", kind, from, out[i]);
	}
	j = spec_next_count(kind, from);
	if (n != (j < max ? j : max))
		fail("next(%d, %d, max %d) = %d, README.md has %d", kind, from, max, n, j);
	free(out);

	/* step_target() */
	target = capa_rules_step_target(step, effective);
	if (target != CAPA_STATE_INVALID)
	{
		bool		found = false;

		for (i = 0; i < capa_edge_count; i++)
			found |= strcmp(capa_edges[i].step, step) == 0 && capa_edges[i].to == target;
		if (!found)
			fail("step_target(\"%s\") = %d, which no edge of that step leads to", step,
				 target);
	}
	else if (effective)
	{
		for (i = 0; i < capa_edge_count; i++)
			if (strcmp(capa_edges[i].step, step) == 0)
				fail("step_target(\"%s\", true) = INVALID for a step of the table", step);
	}
	if (strcmp(step, "verify") == 0 &&
		target != (effective ? CAPA_STATE_VERIFIED : CAPA_STATE_PLANNED))
		fail("verify, effective %d, leads to %d", effective, target);

	/* frozen(), actions_open() */
	if (capa_rules_frozen(from) != (from == CAPA_STATE_CLOSED || from == CAPA_STATE_CANCELLED))
		fail("frozen(%d)", from);
	if (capa_rules_frozen(from) && e != NULL && strcmp(e->step, "reopen") != 0)
		fail("a %s step leaves frozen state %d", e->step, from);
	if (capa_rules_actions_open(from) !=
		(from >= CAPA_STATE_OPEN && from <= CAPA_STATE_PLANNED))
		fail("actions_open(%d)", from);

	free(step);
	return 0;
}
