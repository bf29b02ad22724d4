/*-------------------------------------------------------------------------
 *
 * intake_mapping.c
 *	  The mapping of capa_intake(): from a new row to capa_open's
 *	  arguments.
 *
 * A jsonb object whose keys are capa_open's parameters and whose values
 * take one of a few fixed forms, nothing else:
 *
 *	  "column_name"								the column's value
 *	  {"column": "x"}							the same
 *	  {"column": "x", "map": {"a": "b", ...}}	the value translated (as text)
 *	  {"column": "x", "default": "d"}			d when the value is NULL (or,
 *												with "map", not in the map)
 *	  {"const": "v"}							a constant
 *
 * Column names are matched exactly (as quote_ident would write them) to
 * the table's columns; no text of the mapping is ever executed.  A "map"
 * has at most CAPA_INTAKE_MAX_MAP entries (intake.h).  A value
 * reaches capa as its text, converted by the parameter type's input
 * function (a column of the parameter's own type is passed as it is), and
 * capa_open's rules then judge it as they judge any call.
 *
 * IDENTIFICATION
 *	  src/integration/intake_mapping.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "common/finite_time.h"
#include "common/pg_compat.h"
#include "common/schema_cache.h"
#include "common/text_blank.h"
#include "integration/intake.h"

/* capa_open's parameters: name, argument type, required */
static const struct
{
	const char *name;
	char		type;			/* t text, v capa_severity, i integer, z timestamptz */
	bool		required;
}			params[INTAKE_PARAM_COUNT] = {
	[INTAKE_TITLE] = {"title", 't', true},
	[INTAKE_DESCRIPTION] = {"description", 't', true},
	[INTAKE_SEVERITY] = {"severity", 'v', true},
	[INTAKE_SOURCE] = {"source", 't', true},
	[INTAKE_KIND] = {"kind", 't', false},
	[INTAKE_OWNER] = {"owner", 't', false},
	[INTAKE_PRIORITY] = {"priority", 'i', false},
	[INTAKE_ORG_UNIT] = {"org_unit", 't', false},
	[INTAKE_CONTAIN_DUE] = {"contain_due", 'z', false},
	[INTAKE_CLOSE_DUE] = {"close_due", 'z', false},
	[INTAKE_DETECTED_AT] = {"detected_at", 'z', false},
	[INTAKE_REQUIREMENT] = {"requirement", 't', false},
	[INTAKE_GRADE] = {"grade", 't', false},
	[INTAKE_OBJECTIVE_EVIDENCE] = {"objective_evidence", 't', false},
};

/* The parameters of the capa_open this database has (the facts: 0.5.0) */
static int
param_count(void)
{
	return capa_schema()->facts ? INTAKE_PARAM_COUNT : INTAKE_DETECTED_AT;
}


typedef struct IntakeValue
{
	bool		given;
	char	   *constant;		/* {"const": ...} or a parameter's default */
	AttrNumber	attnum;			/* the column, or 0 */
	Oid			typoutput;		/* its output function */
	bool		direct;			/* the column has the parameter's type */
	int			nmap;
	char	  **map_from;
	char	  **map_to;
	char	   *fallback;		/* "default" */
} IntakeValue;

struct IntakeMapping
{
	IntakeValue v[INTAKE_PARAM_COUNT];
};

/* The mapping gives kind the constant improvement (which needs no severity) */
static bool
improvement_only(IntakeMapping *map)
{
	IntakeValue *kind = &map->v[INTAKE_KIND];

	return kind->given && kind->attnum == 0 && kind->constant != NULL &&
		capa_label_parse(&capa_kind_labels, kind->constant, strlen(kind->constant)) ==
		CAPA_KIND_IMPROVEMENT;
}

static void
shape_error(const char *param, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("capa_intake: the mapping of \"%s\" %s", param, what),
			 errhint("A parameter maps to \"column\", {\"column\": \"column\"}, "
					 "{\"column\": \"column\", \"map\": {...}, \"default\": \"...\"} or {\"const\": \"...\"}.")));
}

/* A jsonb string or number as text; anything else is a shape error */
static char *
scalar_text(JsonbValue *v, const char *param, const char *what)
{
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out,
												   NumericGetDatum(v->val.numeric)));
	shape_error(param, psprintf("has a %s that is not a string or a number", what));
	return NULL;				/* not reached */
}

/* The parameter's SQL type */
static Oid
param_type(IntakeParam p)
{
	switch (params[p].type)
	{
		case 'v':
			return capa_schema()->severity_type;
		case 'i':
			return INT4OID;
		case 'z':
			return TIMESTAMPTZOID;
		default:
			return TEXTOID;
	}
}

/* Text converted to the parameter's type by that type's input function */
static Datum
param_datum(IntakeParam p, const char *text)
{
	Oid			typinput;
	Oid			typioparam;

	if (params[p].type == 't')
		return CStringGetTextDatum(text);
	getTypeInputInfo(param_type(p), &typinput, &typioparam);
	return OidInputFunctionCall(typinput, (char *) text, typioparam, -1);
}

/*
 * At capa_intake time: a constant, map target or default is checked as
 * capa_open would check it, so a mistake shows now and not at the first
 * matching row.  The caller is connected to SPI.
 */
static void
validate_value(IntakeParam p, const char *text)
{
	Datum		value = param_datum(p, text);

	if ((p == INTAKE_TITLE || p == INTAKE_DESCRIPTION || p == INTAKE_SOURCE ||
		 p == INTAKE_OWNER || p == INTAKE_REQUIREMENT || p == INTAKE_OBJECTIVE_EVIDENCE) &&
		capa_text_blank(value))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_intake: the mapping gives \"%s\" a blank value", params[p].name)));
	if (params[p].type == 'z')
		capa_require_finite("capa_intake: the mapping", params[p].name, TIMESTAMPTZOID, value);
	/* a record is opened when the row comes, never before it was detected */
	if (p == INTAKE_DETECTED_AT && DatumGetTimestampTz(value) > GetCurrentTransactionStartTimestamp())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_intake: the mapping gives \"detected_at\" the moment %s, which is still to come", text),
				 errhint("A record is opened when its finding is detected or later.")));
	if (p == INTAKE_KIND && capa_label_parse(&capa_kind_labels, text, strlen(text)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_intake: the mapping gives \"kind\" the unknown value \"%s\"", text),
				 errhint("Accepted: %s.", capa_kind_labels.accepted)));
	if (p == INTAKE_PRIORITY && (DatumGetInt32(value) < 1 || DatumGetInt32(value) > 5))
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("capa_intake: the mapping gives \"priority\" %s, outside 1 to 5", text)));
	if (p == INTAKE_SOURCE || p == INTAKE_GRADE)
	{
		Oid			argtype = TEXTOID;
		int			rc = SPI_execute_with_args(p == INTAKE_SOURCE ?
											   "SELECT FROM capa.source s WHERE s.code OPERATOR(pg_catalog.=) $1" :
											   "SELECT FROM capa.grade g WHERE g.code OPERATOR(pg_catalog.=) $1",
											   1, &argtype, &value, NULL, true, 1);

		if (rc != SPI_OK_SELECT)
			elog(ERROR, "capa: %s lookup returned %s", params[p].name, SPI_result_code_string(rc));
		if (SPI_processed == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FOREIGN_KEY_VIOLATION),
					 errmsg("capa_intake: the mapping gives \"%s\" the value \"%s\", which is not a code of capa.%s",
							params[p].name, text, params[p].name)));
	}
}

static void
bind_column(IntakeValue *val, IntakeParam p, const char *name, TupleDesc tupdesc,
			Bitmapset **columns)
{
	int			i;
	bool		isvarlena;

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
		{
			if (capa_attr_is_virtual(att))
				capa_intake_virtual_refused(name);
			val->attnum = att->attnum;
			getTypeOutputInfo(att->atttypid, &val->typoutput, &isvarlena);
			val->direct = getBaseType(att->atttypid) == param_type(p);
			*columns = bms_add_member(*columns, att->attnum);
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("capa_intake: the mapping of \"%s\" names column \"%s\", which the table does not have",
					params[p].name, name)));
}

/* {"a": "b", ...}: the translations of a column's text */
static void
parse_map(IntakeValue *val, IntakeParam p, JsonbValue *m)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			cap;

	if (m->type != jbvBinary || !JsonContainerIsObject(m->val.binary.data))
		shape_error(params[p].name, "has a \"map\" that is not an object");
	cap = JsonContainerSize(m->val.binary.data);
	if (cap > CAPA_INTAKE_MAX_MAP)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("capa_intake: the map of \"%s\" has %d entries, more than %d",
						params[p].name, cap, CAPA_INTAKE_MAX_MAP),
				 errhint("Translate fewer values, or let the table compute the value (a generated column).")));
	val->map_from = palloc(sizeof(char *) * Max(cap, 1));
	val->map_to = palloc(sizeof(char *) * Max(cap, 1));
	it = JsonbIteratorInit(m->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		if (tok != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &v, true);
		val->map_from[val->nmap] = pnstrdup(k.val.string.val, k.val.string.len);
		val->map_to[val->nmap] = scalar_text(&v, params[p].name, "map value");
		val->nmap++;
	}
}

/* One parameter's value form */
static void
parse_value(IntakeValue *val, IntakeParam p, JsonbValue *v, TupleDesc tupdesc,
			Bitmapset **columns)
{
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	item;
	JsonbIteratorToken tok;
	char	   *column = NULL;
	bool		has_const = false;
	bool		has_map = false;

	val->given = true;
	if (v->type == jbvString)
	{
		bind_column(val, p, pnstrdup(v->val.string.val, v->val.string.len), tupdesc, columns);
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		shape_error(params[p].name, "is neither a column name nor an object");
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &item, true);
		key = pnstrdup(k.val.string.val, k.val.string.len);
		if (strcmp(key, "column") == 0)
		{
			if (item.type != jbvString)
				shape_error(params[p].name, "has a \"column\" that is not a string");
			column = pnstrdup(item.val.string.val, item.val.string.len);
		}
		else if (strcmp(key, "const") == 0)
		{
			val->constant = scalar_text(&item, params[p].name, "\"const\"");
			has_const = true;
		}
		else if (strcmp(key, "map") == 0)
		{
			parse_map(val, p, &item);
			has_map = true;
		}
		else if (strcmp(key, "default") == 0)
			val->fallback = scalar_text(&item, params[p].name, "\"default\"");
		else
			shape_error(params[p].name,
						psprintf("has the unknown key \"%s\"", key));
	}
	if (has_const && (column || has_map || val->fallback))
		shape_error(params[p].name, "has \"const\" with other keys");
	if (!has_const && column == NULL)
		shape_error(params[p].name, "has neither \"column\" nor \"const\"");
	if (column)
		bind_column(val, p, column, tupdesc, columns);
}

IntakeMapping *
capa_intake_mapping_compile(Jsonb *mapping, TupleDesc tupdesc, const char *default_owner,
							bool validate_values, Bitmapset **columns)
{
	IntakeMapping *map = palloc0(sizeof(IntakeMapping));
	JsonbIterator *it;
	JsonbValue	k;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			p;

	if (!JB_ROOT_IS_OBJECT(mapping) || JB_ROOT_IS_SCALAR(mapping))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("capa_intake: the mapping must be a jsonb object"),
				 errhint("For example {\"title\": \"summary\", \"description\": \"details\", "
						 "\"severity\": {\"column\": \"level\", \"map\": {\"high\": \"major\"}}, "
						 "\"source\": {\"const\": \"internal_audit\"}}.")));
	it = JsonbIteratorInit(&mapping->root);
	while ((tok = JsonbIteratorNext(&it, &k, true)) != WJB_DONE)
	{
		char	   *key;

		if (tok != WJB_KEY)
			continue;
		(void) JsonbIteratorNext(&it, &v, true);
		key = pnstrdup(k.val.string.val, k.val.string.len);
		for (p = 0; p < param_count(); p++)
			if (strcmp(key, params[p].name) == 0)
				break;
		if (p == param_count())
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("capa_intake: the mapping names \"%s\", which is not a parameter of capa_open", key),
					 errhint("Parameters: title, description, severity, source, kind, owner, priority, "
							 "org_unit, contain_due, close_due%s.",
							 param_count() > INTAKE_DETECTED_AT ?
							 ", detected_at, requirement, grade, objective_evidence" : "")));
		parse_value(&map->v[p], (IntakeParam) p, &v, tupdesc, columns);
	}

	/* what capa_open itself defaults: kind corrective; the owner here is
	 * the intake's creator, not the application role that inserts */
	if (!map->v[INTAKE_KIND].given)
		map->v[INTAKE_KIND].given = true, map->v[INTAKE_KIND].constant = "corrective";
	if (!map->v[INTAKE_OWNER].given)
		map->v[INTAKE_OWNER].given = true, map->v[INTAKE_OWNER].constant = pstrdup(default_owner);

	for (p = 0; p < INTAKE_PARAM_COUNT; p++)
	{
		IntakeValue *val = &map->v[p];
		int			i;

		/* only an improvement may go without a severity (0.5.0) */
		if (params[p].required && !val->given &&
			!(p == INTAKE_SEVERITY && improvement_only(map)))
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("capa_intake: the mapping must give \"%s\"", params[p].name),
					 errdetail("A capa record needs a title, a description, a severity and a source; an improvement (kind given as the constant improvement) may go without a severity.")));
		if (!validate_values || !val->given)
			continue;
		if (val->constant)
			validate_value((IntakeParam) p, val->constant);
		if (val->fallback)
			validate_value((IntakeParam) p, val->fallback);
		for (i = 0; i < val->nmap; i++)
			validate_value((IntakeParam) p, val->map_to[i]);
	}
	return map;
}

void
capa_intake_mapping_values(IntakeMapping *map, HeapTuple tuple, TupleDesc tupdesc,
						   Datum *values, char *nulls)
{
	int			p;

	for (p = 0; p < INTAKE_PARAM_COUNT; p++)
	{
		IntakeValue *val = &map->v[p];
		const char *text = NULL;
		bool		isnull;
		Datum		value;
		int			i;

		values[p] = (Datum) 0;
		nulls[p] = 'n';
		if (!val->given)
			continue;
		if (val->attnum == 0)
			text = val->constant;
		else
		{
			value = heap_getattr(tuple, val->attnum, tupdesc, &isnull);
			if (isnull)
				text = val->fallback;
			else if (val->direct && val->nmap == 0)
			{
				values[p] = value;
				nulls[p] = ' ';
				continue;
			}
			else
			{
				text = OidOutputFunctionCall(val->typoutput, value);
				if (val->nmap > 0)
				{
					for (i = 0; i < val->nmap; i++)
						if (strcmp(text, val->map_from[i]) == 0)
							break;
					if (i < val->nmap)
						text = val->map_to[i];
					else if (val->fallback)
						text = val->fallback;
				}
			}
		}
		if (text != NULL)
		{
			values[p] = param_datum((IntakeParam) p, text);
			nulls[p] = ' ';
		}
	}
}
