/*-------------------------------------------------------------------------
 *
 * lifecycle_sql.c
 *	  rules.c's lifecycle facts for SQL: the edges, the governed changes and
 *	  the small facts views and reports need, read from the one table.
 *
 *	  capa_lifecycle()      one row per edge and kind: from, to, step,
 *	                        what it requires and may record, who may take it
 *	  capa_changes()        one row per governed change: its step, states,
 *	                        kinds, roles, whether it needs a reason
 *	  capa_state_ended(s)   closed or cancelled (rules.c: frozen)
 *	  capa_state_actions_open(s)  action items may change in this state
 *
 * IMMUTABLE: they depend on the library's tables only, which change with a
 * new version of capa (an ALTER EXTENSION UPDATE, which replaces them).
 *
 * IDENTIFICATION
 *	  src/lifecycle_sql.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "capa.h"
#include "rules.h"

PG_FUNCTION_INFO_V1(capa_lifecycle);
PG_FUNCTION_INFO_V1(capa_governed_changes);
PG_FUNCTION_INFO_V1(capa_state_ended);
PG_FUNCTION_INFO_V1(capa_state_actions_open);

/* The column names of the fields in mask, as text[] */
static Datum
field_array(uint32_t mask)
{
	Datum		elems[CAPA_FIELD_COUNT];
	int			n = 0;
	int			f;

	for (f = 0; f < CAPA_FIELD_COUNT; f++)
	{
		if (mask & CAPA_BIT(f))
			elems[n++] = CStringGetTextDatum(capa_fields[f].column);
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The CAPA_ROLE_* bits as text[] ({} for anybody who may run the statement) */
static Datum
role_array(unsigned roles)
{
	Datum		elems[3];
	int			n = 0;

	if (roles & CAPA_ROLE_OWNER)
		elems[n++] = CStringGetTextDatum("owner");
	if (roles & CAPA_ROLE_VERIFIER)
		elems[n++] = CStringGetTextDatum("capa_verifier");
	if (roles & CAPA_ROLE_ADMIN)
		elems[n++] = CStringGetTextDatum("capa_admin");
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The kinds in the CAPA_KIND_BIT set, as text[] */
static Datum
kind_array(unsigned kinds)
{
	Datum		elems[CAPA_KIND_MAX];
	int			n = 0;
	int			k;

	for (k = 1; k <= CAPA_KIND_MAX; k++)
	{
		if (kinds & CAPA_KIND_BIT(k))
			elems[n++] = CStringGetTextDatum(capa_label_name(&capa_kind_labels, k));
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

/* The states in the CAPA_STATE_BIT set, as text[] */
static Datum
state_array(unsigned states)
{
	Datum		elems[CAPA_STATE_MAX];
	int			n = 0;
	int			s;

	for (s = 1; s <= CAPA_STATE_MAX; s++)
	{
		if (states & CAPA_STATE_BIT(s))
			elems[n++] = CStringGetTextDatum(capa_state_cstring(s));
	}
	return PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
}

static const char *const condition_names[] = {
	"has_actions", "actions_done", "segregation", "fresh_action", "analysis_reopened", "window"
};

/*
 * capa_lifecycle() RETURNS TABLE (kind text, from_state text, to_state text,
 *	 step text, requires text[], may_record text[], conditions text[],
 *	 clears text[], roles text[], needs_reason boolean): one row per edge
 *	 and kind, in the table's order
 */
Datum
capa_lifecycle(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;
	int			k;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < capa_edge_count; i++)
	{
		const CapaEdge *e = &capa_edges[i];

		for (k = 1; k <= CAPA_KIND_MAX; k++)
		{
			Datum		values[10];
			bool		nulls[10] = {0};
			Datum		conds[lengthof(condition_names)];
			int			nc = 0;
			int			c;

			if (!(e->kinds & CAPA_KIND_BIT(k)))
				continue;
			for (c = 0; c < (int) lengthof(condition_names); c++)
			{
				if (e->conditions & (1u << c))
					conds[nc++] = CStringGetTextDatum(condition_names[c]);
			}
			values[0] = CStringGetTextDatum(capa_label_name(&capa_kind_labels, k));
			values[1] = CStringGetTextDatum(capa_state_cstring(e->from));
			values[2] = CStringGetTextDatum(capa_state_cstring(e->to));
			values[3] = CStringGetTextDatum(e->step);
			values[4] = field_array(e->required);
			values[5] = field_array(e->optional);
			values[6] = PointerGetDatum(construct_array(conds, nc, TEXTOID, -1, false, TYPALIGN_INT));
			values[7] = field_array(e->clears);
			values[8] = role_array(e->roles);
			values[9] = BoolGetDatum(e->needs_reason);
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		}
	}
	return (Datum) 0;
}

/*
 * capa_changes() (C: capa_governed_changes) RETURNS TABLE (change text, states text[], kinds text[],
 *	 roles text[], needs_reason boolean): the governed changes
 */
Datum
capa_governed_changes(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < CAPA_CHANGE_COUNT; i++)
	{
		const CapaChange *c = &capa_changes[i];
		Datum		values[5];
		bool		nulls[5] = {0};

		values[0] = CStringGetTextDatum(c->step);
		values[1] = state_array(c->states);
		values[2] = kind_array(c->kinds);
		values[3] = role_array(c->roles);
		values[4] = BoolGetDatum(c->needs_reason);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* capa_state_ended(state capa_state) RETURNS boolean */
Datum
capa_state_ended(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(capa_rules_frozen((CapaState) PG_GETARG_INT16(0)));
}

/* capa_state_actions_open(state capa_state) RETURNS boolean */
Datum
capa_state_actions_open(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_BOOL(capa_rules_actions_open((CapaState) PG_GETARG_INT16(0)));
}
