/*-------------------------------------------------------------------------
 *
 * intake_condition.c
 *	  The condition of capa_intake(): which new rows open a record.
 *
 * Not an SQL expression: a closed grammar, parsed here and evaluated in C
 * on the new row, so nothing of it is ever executed as SQL and it cannot
 * call a function, read another table or end a statement:
 *
 *	  expr		:= and_expr { OR and_expr }
 *	  and_expr	:= not_expr { AND not_expr }
 *	  not_expr	:= NOT not_expr | '(' expr ')' | predicate
 *	  predicate := column op literal
 *				 | column IS [NOT] NULL
 *				 | column [NOT] IN '(' literal { ',' literal } ')'
 *	  op		:= = | <> | != | < | <= | > | >=
 *	  column	:= identifier | "quoted identifier"
 *	  literal	:= 'string' | number | TRUE | FALSE
 *
 * Identifiers fold to lower case as in SQL; keywords are case-insensitive.
 * A condition holds at most CAPA_INTAKE_MAX_PREDICATES predicates,
 * CAPA_INTAKE_MAX_CONSTANTS constants and CAPA_INTAKE_MAX_DEPTH levels of
 * parentheses and NOT (intake.h; 54000 beyond).  AND and OR are n-ary
 * nodes, evaluated by a loop: evaluation recurses only as deep as that
 * nesting, so a condition that was accepted can always be tested.
 * A literal is converted to its column's type by that type's input
 * function when the condition is bound, and compared with the type's
 * default btree comparison under the column's collation.  NULL follows
 * SQL's three-valued logic: a row matches only when the condition is true.
 *
 * IDENTIFICATION
 *	  src/integration/intake_condition.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/scansup.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "common/pg_compat.h"
#include "integration/intake.h"

typedef enum CondOp
{
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE
} CondOp;

typedef enum CondKind
{
	COND_AND, COND_OR, COND_NOT, COND_CMP, COND_NULLTEST, COND_IN
} CondKind;

struct IntakeCond
{
	CondKind	kind;
	int			nargs;			/* AND, OR: two or more; NOT: one */
	IntakeCond **args;
	AttrNumber	attnum;			/* CMP, NULLTEST, IN */
	bool		negate;			/* IS NOT NULL, NOT IN */
	CondOp		op;				/* CMP */
	Oid			collation;
	FmgrInfo   *cmp;			/* the type's btree comparison, the condition's own */
	int			nvalues;
	Datum	   *values;			/* CMP: one; IN: nvalues */
};

typedef enum TokKind
{
	TOK_END, TOK_IDENT, TOK_QIDENT, TOK_STRING, TOK_NUMBER, TOK_OP,
	TOK_LPAREN, TOK_RPAREN, TOK_COMMA
} TokKind;

typedef struct Parser
{
	const char *src;
	int			pos;			/* next byte to read */
	TokKind		tok;			/* the current token */
	char	   *text;			/* its text (identifiers folded, strings unquoted) */
	int			tokpos;			/* where it starts, for messages */
	TupleDesc	tupdesc;
	Bitmapset **columns;
	int			npredicates;	/* so far, against the limits */
	int			nconstants;
	int			depth;			/* parentheses and NOT open now */
} Parser;

/* 54000: the condition is beyond one of capa's limits */
static void
limit_error(const char *what, int limit)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
			 errmsg("capa_intake: the condition has more than %d %s", limit, what),
			 errdetail("A condition may have at most %d predicates, %d constants (each value of an IN list counts) "
					   "and %d levels of parentheses and NOT.",
					   CAPA_INTAKE_MAX_PREDICATES, CAPA_INTAKE_MAX_CONSTANTS, CAPA_INTAKE_MAX_DEPTH),
			 errhint("Test fewer values, or let the table compute what the condition tests (a generated column).")));
}

/* One more level of parentheses or NOT */
static void
enter_level(Parser *p)
{
	if (++p->depth > CAPA_INTAKE_MAX_DEPTH)
		limit_error("levels of parentheses and NOT", CAPA_INTAKE_MAX_DEPTH);
	check_stack_depth();
}

static void
syntax_error(Parser *p, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("capa_intake: syntax error in the condition at character %d: %s",
					p->tokpos + 1, what),
			 errdetail("The condition is not SQL: comparisons of a column with a constant "
					   "(=, <>, <, <=, >, >=, IS [NOT] NULL, [NOT] IN (...)), joined by AND, OR, NOT "
					   "and parentheses.")));
}

/* Read the next token into p->tok / p->text */
static void
next_token(Parser *p)
{
	const char *s = p->src;
	int			i = p->pos;
	StringInfoData buf;

	while (s[i] != '\0' && scanner_isspace(s[i]))
		i++;
	p->tokpos = i;
	initStringInfo(&buf);
	if (s[i] == '\0')
		p->tok = TOK_END;
	else if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
			 s[i] == '_' || IS_HIGHBIT_SET(s[i]))
	{
		int			start = i;

		while ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
			   (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '$' ||
			   IS_HIGHBIT_SET(s[i]))
			i++;
		p->tok = TOK_IDENT;
		p->text = downcase_truncate_identifier(s + start, i - start, false);
		p->pos = i;
		return;
	}
	else if (s[i] == '"' || s[i] == '\'')
	{
		char		quote = s[i++];

		for (;;)
		{
			if (s[i] == '\0')
				syntax_error(p, quote == '"' ? "unterminated quoted identifier"
							 : "unterminated string constant");
			if (s[i] == quote)
			{
				if (s[i + 1] != quote)
					break;
				i++;
			}
			appendStringInfoChar(&buf, s[i++]);
		}
		i++;
		if (quote == '"')
		{
			if (buf.len == 0)
				syntax_error(p, "zero-length quoted identifier");
			truncate_identifier(buf.data, buf.len, false);
			p->tok = TOK_QIDENT;
		}
		else
			p->tok = TOK_STRING;
	}
	else if ((s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-' || s[i] == '+')
	{
		int			start = i;
		int			digits = 0;

		if (s[i] == '-' || s[i] == '+')
			i++;
		while (s[i] >= '0' && s[i] <= '9')
			i++, digits++;
		if (s[i] == '.')
		{
			i++;
			while (s[i] >= '0' && s[i] <= '9')
				i++, digits++;
		}
		if (digits == 0)
			syntax_error(p, "a number needs digits");
		if (s[i] == 'e' || s[i] == 'E')
		{
			int			exp = 0;

			i++;
			if (s[i] == '-' || s[i] == '+')
				i++;
			while (s[i] >= '0' && s[i] <= '9')
				i++, exp++;
			if (exp == 0)
				syntax_error(p, "an exponent needs digits");
		}
		appendBinaryStringInfo(&buf, s + start, i - start);
		p->tok = TOK_NUMBER;
	}
	else if (s[i] == '=' || s[i] == '<' || s[i] == '>' || s[i] == '!')
	{
		appendStringInfoChar(&buf, s[i++]);
		if ((buf.data[0] == '<' && (s[i] == '=' || s[i] == '>')) ||
			(buf.data[0] == '>' && s[i] == '=') ||
			(buf.data[0] == '!' && s[i] == '='))
			appendStringInfoChar(&buf, s[i++]);
		if (strcmp(buf.data, "!") == 0)
			syntax_error(p, "unknown operator \"!\"");
		p->tok = TOK_OP;
	}
	else if (s[i] == '(')
		p->tok = TOK_LPAREN, i++;
	else if (s[i] == ')')
		p->tok = TOK_RPAREN, i++;
	else if (s[i] == ',')
		p->tok = TOK_COMMA, i++;
	else
		syntax_error(p, psprintf("unexpected character \"%.*s\"",
								 pg_mblen(s + i), s + i));
	p->text = buf.data;
	p->pos = i;
}

/* The current token is the (unquoted) keyword kw */
static bool
is_keyword(Parser *p, const char *kw)
{
	return p->tok == TOK_IDENT && strcmp(p->text, kw) == 0;
}

static bool
reserved(const char *word)
{
	static const char *const words[] = {"and", "or", "not", "is", "null", "in", "true", "false"};
	int			i;

	for (i = 0; i < (int) lengthof(words); i++)
		if (strcmp(word, words[i]) == 0)
			return true;
	return false;
}

static IntakeCond *parse_or(Parser *p);

void
capa_intake_virtual_refused(const char *column)
{
	ereport(ERROR,
			(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			 errmsg("capa_intake: column \"%s\" is a virtual generated column", column),
			 errdetail("A row trigger sees a virtual column as NULL: it is computed when the row is read."),
			 errhint("Make the column STORED (GENERATED ALWAYS AS (...) STORED), or name the columns it is computed from.")));
}

/* Bind the column named by the current token; 42703 if there is none */
static void
bind_column(Parser *p, IntakeCond *node, Oid *typid, int32 *typmod)
{
	int			i;

	if (p->tok != TOK_QIDENT && (p->tok != TOK_IDENT || reserved(p->text)))
		syntax_error(p, "a column name expected");
	for (i = 0; i < p->tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(p->tupdesc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), p->text) == 0)
		{
			TypeCacheEntry *tc;

			if (capa_attr_is_virtual(att))
				capa_intake_virtual_refused(p->text);
			tc = lookup_type_cache(getBaseType(att->atttypid), TYPECACHE_CMP_PROC_FINFO);

			if (!OidIsValid(tc->cmp_proc))
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_FUNCTION),
						 errmsg("capa_intake: column \"%s\" of type %s cannot be compared",
								p->text, format_type_be(att->atttypid)),
						 errdetail("The type has no default btree operator class.")));
			node->attnum = att->attnum;
			node->collation = att->attcollation;

			/*
			 * The condition's own copy, not the type cache's: that one is
			 * rebuilt in place when the type's operator classes change,
			 * which a comparison function could cause while it runs
			 */
			node->cmp = palloc(sizeof(FmgrInfo));
			fmgr_info(tc->cmp_proc, node->cmp);
			*typid = att->atttypid;
			*typmod = att->atttypmod;
			*p->columns = bms_add_member(*p->columns, att->attnum);
			next_token(p);
			return;
		}
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("capa_intake: the condition names column \"%s\", which the table does not have",
					p->text)));
}

/* The current token as a constant of the column's type */
static Datum
parse_literal(Parser *p, Oid typid, int32 typmod)
{
	const char *text;
	Oid			typinput;
	Oid			typioparam;
	Datum		value;

	/* counted before the type's input function runs */
	if (++p->nconstants > CAPA_INTAKE_MAX_CONSTANTS)
		limit_error("constants", CAPA_INTAKE_MAX_CONSTANTS);
	if (p->tok == TOK_STRING || p->tok == TOK_NUMBER)
		text = p->text;
	else if (is_keyword(p, "true") || is_keyword(p, "false"))
		text = p->text;
	else if (is_keyword(p, "null"))
		syntax_error(p, "NULL never compares equal: use IS NULL or IS NOT NULL");
	else
		syntax_error(p, "a constant expected ('text', a number, TRUE or FALSE)");
	getTypeInputInfo(typid, &typinput, &typioparam);
	value = OidInputFunctionCall(typinput, (char *) text, typioparam, typmod);
	next_token(p);
	return value;
}

static IntakeCond *
parse_predicate(Parser *p)
{
	IntakeCond *node;
	Oid			typid;
	int32		typmod;

	if (++p->npredicates > CAPA_INTAKE_MAX_PREDICATES)
		limit_error("predicates", CAPA_INTAKE_MAX_PREDICATES);
	node = palloc0(sizeof(IntakeCond));
	bind_column(p, node, &typid, &typmod);
	if (p->tok == TOK_OP)
	{
		static const char *const ops[] = {"=", "<>", "<", "<=", ">", ">="};
		const char *op = strcmp(p->text, "!=") == 0 ? "<>" : p->text;
		int			i;

		node->kind = COND_CMP;
		for (i = 0; i < (int) lengthof(ops); i++)
			if (strcmp(op, ops[i]) == 0)
				node->op = (CondOp) i;
		next_token(p);
		node->nvalues = 1;
		node->values = palloc(sizeof(Datum));
		node->values[0] = parse_literal(p, typid, typmod);
		return node;
	}
	if (is_keyword(p, "is"))
	{
		next_token(p);
		node->kind = COND_NULLTEST;
		if (is_keyword(p, "not"))
		{
			node->negate = true;
			next_token(p);
		}
		if (!is_keyword(p, "null"))
			syntax_error(p, "NULL expected after IS");
		next_token(p);
		return node;
	}
	if (is_keyword(p, "not"))
	{
		node->negate = true;
		next_token(p);
		if (!is_keyword(p, "in"))
			syntax_error(p, "IN expected after NOT");
	}
	if (is_keyword(p, "in"))
	{
		int			cap = 8;

		next_token(p);
		node->kind = COND_IN;
		if (p->tok != TOK_LPAREN)
			syntax_error(p, "( expected after IN");
		next_token(p);
		node->values = palloc(sizeof(Datum) * cap);
		for (;;)
		{
			if (node->nvalues == cap)
			{
				cap *= 2;
				node->values = repalloc(node->values, sizeof(Datum) * cap);
			}
			node->values[node->nvalues++] = parse_literal(p, typid, typmod);
			if (p->tok == TOK_RPAREN)
				break;
			if (p->tok != TOK_COMMA)
				syntax_error(p, ", or ) expected in the IN list");
			next_token(p);
		}
		next_token(p);
		return node;
	}
	syntax_error(p, "an operator, IS or IN expected after the column");
	return NULL;				/* not reached */
}

static IntakeCond *
parse_not(Parser *p)
{
	IntakeCond *node;

	if (is_keyword(p, "not"))
	{
		enter_level(p);
		node = palloc0(sizeof(IntakeCond));
		next_token(p);
		node->kind = COND_NOT;
		node->nargs = 1;
		node->args = palloc(sizeof(IntakeCond *));
		node->args[0] = parse_not(p);
		p->depth--;
		return node;
	}
	if (p->tok == TOK_LPAREN)
	{
		enter_level(p);
		next_token(p);
		node = parse_or(p);
		if (p->tok != TOK_RPAREN)
			syntax_error(p, ") expected");
		next_token(p);
		p->depth--;
		return node;
	}
	return parse_predicate(p);
}

/*
 * operand { keyword operand }: one n-ary AND or OR node (or the operand
 * alone), its operands in an array, never a chain of nested nodes
 */
static IntakeCond *
parse_list(Parser *p, CondKind kind, const char *keyword,
		   IntakeCond *(*operand) (Parser *p))
{
	IntakeCond *first = operand(p);
	IntakeCond *node;
	int			cap = 4;

	if (!is_keyword(p, keyword))
		return first;
	node = palloc0(sizeof(IntakeCond));
	node->kind = kind;
	node->args = palloc(sizeof(IntakeCond *) * cap);
	node->args[node->nargs++] = first;
	while (is_keyword(p, keyword))
	{
		next_token(p);
		/* every operand has a predicate: their number is bounded by the limit */
		if (node->nargs == cap)
		{
			cap *= 2;
			node->args = repalloc(node->args, sizeof(IntakeCond *) * cap);
		}
		node->args[node->nargs++] = operand(p);
	}
	return node;
}

static IntakeCond *
parse_and(Parser *p)
{
	return parse_list(p, COND_AND, "and", parse_not);
}

static IntakeCond *
parse_or(Parser *p)
{
	return parse_list(p, COND_OR, "or", parse_and);
}

IntakeCond *
capa_intake_condition_compile(const char *text, TupleDesc tupdesc, Bitmapset **columns)
{
	Parser		p;
	IntakeCond *cond;

	memset(&p, 0, sizeof(p));
	p.src = text;
	p.tupdesc = tupdesc;
	p.columns = columns;
	next_token(&p);
	if (p.tok == TOK_END)
		syntax_error(&p, "the condition is empty (pass NULL for every row)");
	cond = parse_or(&p);
	if (p.tok != TOK_END)
		syntax_error(&p, "end of condition expected");
	return cond;
}

/*
 * 1 true, 0 false, -1 unknown (NULL).  AND and OR loop over their operands
 * (stopping at the first that decides, in order); only parentheses and
 * NOT nest, at most CAPA_INTAKE_MAX_DEPTH deep.
 */
static int
eval(IntakeCond *c, HeapTuple tuple, TupleDesc tupdesc)
{
	bool		isnull;
	Datum		value;
	int			result;
	int			r;
	int			i;

	check_stack_depth();
	switch (c->kind)
	{
		case COND_AND:
			result = 1;
			for (i = 0; i < c->nargs; i++)
			{
				r = eval(c->args[i], tuple, tupdesc);
				if (r == 0)
					return 0;
				if (r < 0)
					result = -1;
			}
			return result;
		case COND_OR:
			result = 0;
			for (i = 0; i < c->nargs; i++)
			{
				r = eval(c->args[i], tuple, tupdesc);
				if (r == 1)
					return 1;
				if (r < 0)
					result = -1;
			}
			return result;
		case COND_NOT:
			r = eval(c->args[0], tuple, tupdesc);
			return r < 0 ? -1 : !r;
		case COND_NULLTEST:
			(void) heap_getattr(tuple, c->attnum, tupdesc, &isnull);
			return isnull != c->negate;
		case COND_CMP:
		case COND_IN:
			value = heap_getattr(tuple, c->attnum, tupdesc, &isnull);
			if (isnull)
				return -1;
			for (i = 0; i < c->nvalues; i++)
			{
				int32		cmp = DatumGetInt32(FunctionCall2Coll(c->cmp, c->collation,
																  value, c->values[i]));

				if (c->kind == COND_IN)
				{
					if (cmp == 0)
						return !c->negate;
					continue;
				}
				switch (c->op)
				{
					case OP_EQ:
						return cmp == 0;
					case OP_NE:
						return cmp != 0;
					case OP_LT:
						return cmp < 0;
					case OP_LE:
						return cmp <= 0;
					case OP_GT:
						return cmp > 0;
					case OP_GE:
						return cmp >= 0;
				}
			}
			return c->negate;
	}
	return -1;
}

bool
capa_intake_condition_match(IntakeCond *cond, HeapTuple tuple, TupleDesc tupdesc)
{
	return cond == NULL || eval(cond, tuple, tupdesc) == 1;
}
