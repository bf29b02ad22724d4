/*-------------------------------------------------------------------------
 *
 * pg_stubs.c
 *	  Minimal backend stand-ins for the fuzz harnesses: palloc on an arena
 *	  freed per input, ereport as a long jump, the four pqformat
 *	  functions capa's binary I/O uses, DirectFunctionCall1 and the
 *	  detoasting of in-line values.  See pg_stubs.h for why.
 *
 * IDENTIFICATION
 *	  fuzz/pg_stubs.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include "libpq/pqformat.h"
#include "utils/memutils.h"

#include "pg_stubs.h"

/* ---------------------------------------------------------------------
 * Memory: every chunk is malloc'd with a header linking it into one list
 * (the "memory context"); capa_fuzz_reset() frees them all.
 * --------------------------------------------------------------------- */
typedef struct Chunk
{
	struct Chunk *prev;
	struct Chunk *next;
	Size		size;
	Size		pad;			/* keeps the user pointer MAXALIGNed */
} Chunk;

StaticAssertDecl(sizeof(Chunk) % MAXIMUM_ALIGNOF == 0, "chunk header alignment");

static Chunk arena = {&arena, &arena, 0, 0};

static void
link_chunk(Chunk *c)
{
	c->prev = &arena;
	c->next = arena.next;
	arena.next->prev = c;
	arena.next = c;
}

static void
unlink_chunk(Chunk *c)
{
	c->prev->next = c->next;
	c->next->prev = c->prev;
}

static void *
arena_alloc(Size size, bool zero)
{
	Chunk	   *c;

	/* the server refuses these too (mcxt.c) */
	if (!AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	c = zero ? calloc(1, sizeof(Chunk) + size) : malloc(sizeof(Chunk) + size);
	if (c == NULL)
		elog(ERROR, "out of memory");
	c->size = size;
	link_chunk(c);
	return c + 1;
}

void *
palloc(Size size)
{
	return arena_alloc(size, false);
}

void *
palloc0(Size size)
{
	return arena_alloc(size, true);
}

void *
palloc_extended(Size size, int flags)
{
	return arena_alloc(size, (flags & MCXT_ALLOC_ZERO) != 0);
}

void *
repalloc(void *pointer, Size size)
{
	Chunk	   *c = (Chunk *) pointer - 1;
	Chunk	   *n;

	if (!AllocSizeIsValid(size))
		elog(ERROR, "invalid memory alloc request size %zu", size);
	unlink_chunk(c);
	n = realloc(c, sizeof(Chunk) + size);
	if (n == NULL)
	{
		link_chunk(c);
		elog(ERROR, "out of memory");
	}
	n->size = size;
	link_chunk(n);
	return n + 1;
}

void
pfree(void *pointer)
{
	Chunk	   *c = (Chunk *) pointer - 1;

	unlink_chunk(c);
	free(c);
}

char *
pstrdup(const char *in)
{
	size_t		len = strlen(in);
	char	   *out = palloc(len + 1);

	memcpy(out, in, len + 1);
	return out;
}

void
capa_fuzz_reset(void)
{
	while (arena.next != &arena)
	{
		Chunk	   *c = arena.next;

		unlink_chunk(c);
		free(c);
	}
}

/* ---------------------------------------------------------------------
 * Errors: ereport(ERROR) long-jumps to capa_fuzz_call.
 * --------------------------------------------------------------------- */
CapaFuzzError capa_fuzz_error;
static sigjmp_buf *catcher = NULL;

bool
errstart(int elevel, const char *domain)
{
	if (elevel < WARNING)
		return false;			/* DEBUG, LOG, INFO, NOTICE: dropped */
	memset(&capa_fuzz_error, 0, sizeof(capa_fuzz_error));
	capa_fuzz_error.elevel = elevel;
	capa_fuzz_error.sqlerrcode = elevel >= ERROR ? ERRCODE_INTERNAL_ERROR : ERRCODE_WARNING;
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	if (capa_fuzz_error.elevel < ERROR)
		return;
	if (catcher == NULL)
	{
		fprintf(stderr, "capa fuzz: ERROR %s outside a caught call at %s:%d (%s): %s\n",
				capa_fuzz_sqlstate(capa_fuzz_error.sqlerrcode), filename, lineno,
				funcname, capa_fuzz_error.message);
		abort();
	}
	siglongjmp(*catcher, 1);
}

int
errcode(int sqlerrcode)
{
	capa_fuzz_error.sqlerrcode = sqlerrcode;
	return 0;
}

/* The messages are formatted (with PostgreSQL's own printf), so a bad
 * format argument is exercised as it would be in the server */
#define FORMAT_INTO(field, fmt) \
	do { \
		va_list		ap; \
		va_start(ap, fmt); \
		vsnprintf(capa_fuzz_error.field, sizeof(capa_fuzz_error.field), fmt, ap); \
		va_end(ap); \
	} while (0)

int
errmsg(const char *fmt,...)
{
	FORMAT_INTO(message, fmt);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	FORMAT_INTO(message, fmt);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	FORMAT_INTO(detail, fmt);
	return 0;
}

int
errhint(const char *fmt,...)
{
	FORMAT_INTO(hint, fmt);
	return 0;
}

const char *
capa_fuzz_sqlstate(int sqlerrcode)
{
	static char buf[6];
	int			i;

	for (i = 0; i < 5; i++)
	{
		buf[i] = PGUNSIXBIT(sqlerrcode);
		sqlerrcode >>= 6;
	}
	buf[5] = '\0';
	return buf;
}

bool
capa_fuzz_call(PGFunction fn, int nargs, const Datum *args, Datum *result)
{
	LOCAL_FCINFO(fcinfo, 4);
	sigjmp_buf	jb;
	sigjmp_buf *volatile saved = catcher;
	int			i;

	Assert(nargs <= 4);
	InitFunctionCallInfoData(*fcinfo, NULL, nargs, InvalidOid, NULL, NULL);
	for (i = 0; i < nargs; i++)
	{
		fcinfo->args[i].value = args[i];
		fcinfo->args[i].isnull = false;
	}
	if (sigsetjmp(jb, 0) != 0)
	{
		catcher = saved;
		return false;
	}
	catcher = &jb;
	*result = fn(fcinfo);
	catcher = saved;
	if (fcinfo->isnull)
	{
		fprintf(stderr, "capa fuzz: a strict I/O function returned NULL\n");
		abort();
	}
	return true;
}

void
capa_fuzz_fail(const uint8 *data, size_t size, const char *fmt,...)
{
	va_list		ap;
	size_t		i;

	fprintf(stderr, "\ncapa fuzz: PROPERTY BROKEN: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ninput (%zu bytes): ", size);
	for (i = 0; i < size && i < 256; i++)
		fprintf(stderr, "%02x", data[i]);
	fprintf(stderr, "%s\n", size > 256 ? "..." : "");
	abort();
}

StringInfo
capa_fuzz_message(const uint8 *data, size_t size)
{
	StringInfo	s = palloc(sizeof(StringInfoData));

	s->data = palloc(size + 1);
	memcpy(s->data, data, size);
	s->data[size] = '\0';
	s->len = (int) size;
	s->maxlen = (int) size + 1;
	s->cursor = 0;
	return s;
}

/* ---------------------------------------------------------------------
 * pqformat: the server's semantics, for the functions capa calls.
 * --------------------------------------------------------------------- */
void
pq_copymsgbytes(StringInfo msg, char *buf, int datalen)
{
	if (datalen < 0 || datalen > (msg->len - msg->cursor))
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("insufficient data left in message")));
	memcpy(buf, &msg->data[msg->cursor], datalen);
	msg->cursor += datalen;
}

unsigned int
pq_getmsgint(StringInfo msg, int b)
{
	uint8		n8;
	uint16		n16;
	uint32		n32;

	switch (b)
	{
		case 1:
			pq_copymsgbytes(msg, (char *) &n8, 1);
			return n8;
		case 2:
			pq_copymsgbytes(msg, (char *) &n16, 2);
			return pg_ntoh16(n16);
		case 4:
			pq_copymsgbytes(msg, (char *) &n32, 4);
			return pg_ntoh32(n32);
		default:
			elog(ERROR, "unsupported integer size %d", b);
			return 0;
	}
}

int64
pq_getmsgint64(StringInfo msg)
{
	uint64		n64;

	pq_copymsgbytes(msg, (char *) &n64, sizeof(n64));
	return (int64) pg_ntoh64(n64);
}

void
pq_begintypsend(StringInfo buf)
{
	initStringInfo(buf);
	/* four bytes for the bytea length word */
	appendStringInfoCharMacro(buf, '\0');
	appendStringInfoCharMacro(buf, '\0');
	appendStringInfoCharMacro(buf, '\0');
	appendStringInfoCharMacro(buf, '\0');
}

bytea *
pq_endtypsend(StringInfo buf)
{
	bytea	   *result = (bytea *) buf->data;

	SET_VARSIZE(result, buf->len);
	return result;
}

/* ---------------------------------------------------------------------
 * fmgr: DirectFunctionCall1 (json_text.c and chain.c call numeric_out and
 * inet_out through it; fuzz/pg_adt_stubs.c), as fmgr.c has it.
 * --------------------------------------------------------------------- */
Datum
DirectFunctionCall1Coll(PGFunction func, Oid collation, Datum arg1)
{
	LOCAL_FCINFO(fcinfo, 1);
	Datum		result;

	InitFunctionCallInfoData(*fcinfo, NULL, 1, collation, NULL, NULL);
	fcinfo->args[0].value = arg1;
	fcinfo->args[0].isnull = false;
	result = (*func) (fcinfo);
	if (fcinfo->isnull)
		elog(ERROR, "function %p returned NULL", (void *) func);
	return result;
}

/* ---------------------------------------------------------------------
 * Detoasting, for the values the harnesses build: in line, uncompressed,
 * with a 4-byte or a 1-byte header (as values deformed from a tuple
 * have).  A compressed value or a TOAST pointer here is a harness bug.
 * --------------------------------------------------------------------- */
static void
not_inline(struct varlena *datum)
{
	fprintf(stderr, "capa fuzz: detoasting a compressed or external value (header %02x): "
			"the harnesses only build in-line ones\n", *(uint8 *) datum);
	abort();
}

struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	struct varlena *copy;
	Size		len;

	if (VARATT_IS_COMPRESSED(datum) || VARATT_IS_EXTERNAL(datum))
		not_inline(datum);
	if (!VARATT_IS_SHORT(datum))
		return datum;
	/* a short header: copied out with a 4-byte one (detoast_attr) */
	len = VARSIZE_SHORT(datum) - VARHDRSZ_SHORT;
	copy = palloc(len + VARHDRSZ);
	SET_VARSIZE(copy, len + VARHDRSZ);
	memcpy(VARDATA(copy), VARDATA_SHORT(datum), len);
	return copy;
}

struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	if (VARATT_IS_COMPRESSED(datum) || VARATT_IS_EXTERNAL(datum))
		not_inline(datum);
	return datum;
}

/* ---------------------------------------------------------------------
 * check_stack_depth: the server's check against max_stack_depth (2MB by
 * default), measured from the top of this thread's stack.
 * --------------------------------------------------------------------- */
void
check_stack_depth(void)
{
	static char *top = NULL;
	char		here;

	if (top == NULL)
	{
		pthread_attr_t attr;
		void	   *addr;
		size_t		size;

		if (pthread_getattr_np(pthread_self(), &attr) != 0 ||
			pthread_attr_getstack(&attr, &addr, &size) != 0)
			abort();
		pthread_attr_destroy(&attr);
		top = (char *) addr + size;
	}
	if (top - &here > 2 * 1024 * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("stack depth limit exceeded")));
}
