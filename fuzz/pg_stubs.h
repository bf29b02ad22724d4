/*-------------------------------------------------------------------------
 *
 * pg_stubs.h
 *	  Just enough of the PostgreSQL backend for capa's pure C parts to run
 *	  inside a libFuzzer process, without a server.
 *
 * capa's SQL type I/O functions (and chain.c, digest.c) are backend code:
 * they palloc, ereport and read binary messages with pqformat.  The harness
 * links them against pg_stubs.c instead of the server:
 *
 *	- palloc and friends allocate with malloc, each chunk on one list, and
 *	  capa_fuzz_reset() frees the whole list after every input, as the
 *	  server resets a memory context after each call.  Real malloc/free per
 *	  chunk keeps AddressSanitizer able to see overflows and use after free.
 *	- ereport/elog at ERROR and above long-jump back to the harness: an
 *	  error is a normal outcome of a bad input, not a crash.  The SQLSTATE
 *	  and the formatted message are kept for the harness to check.  An
 *	  ERROR where no harness is waiting for one aborts (a finding).
 *	- pq_getmsgint/pq_getmsgint64/pq_begintypsend/pq_endtypsend behave as
 *	  the server's (src/backend/libpq/pqformat.c), including the 08P01
 *	  error for a message that is too short.
 *	- DirectFunctionCall1 as fmgr.c has it; pg_detoast_datum(_packed) for
 *	  in-line values (a 1-byte header copied out, as detoast_attr does;
 *	  compressed or external values abort: no harness builds them);
 *	  check_stack_depth() against 2MB from the top of the thread's stack.
 *
 * StringInfo and the printf family come from PostgreSQL's own
 * libpgcommon/libpgport (frontend builds of the same sources).
 *
 * IDENTIFICATION
 *	  fuzz/pg_stubs.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_FUZZ_PG_STUBS_H
#define CAPA_FUZZ_PG_STUBS_H

#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"

/* The last ERROR raised (valid after capa_fuzz_call returned false) */
typedef struct CapaFuzzError
{
	int			elevel;
	int			sqlerrcode;
	char		message[1024];
	char		detail[1024];
	char		hint[1024];
} CapaFuzzError;

extern CapaFuzzError capa_fuzz_error;

/*
 * Call a V1 function with nargs non-NULL arguments, as the executor would.
 * True and *result on success; false when it raised an ERROR (see
 * capa_fuzz_error).
 */
extern bool capa_fuzz_call(PGFunction fn, int nargs, const Datum *args, Datum *result);

/* Free everything palloc'd since the last reset (call after each input) */
extern void capa_fuzz_reset(void);

/* "22P02" for a packed SQLSTATE (static buffer) */
extern const char *capa_fuzz_sqlstate(int sqlerrcode);

/* Report a broken property with the input that broke it, and abort */
extern void capa_fuzz_fail(const uint8 *data, size_t size, const char *fmt,...)
			pg_attribute_printf(3, 4) pg_attribute_noreturn();

/* A palloc'd StringInfo holding a copy of size bytes (NUL-terminated, as
 * the server's receive buffers are) */
extern StringInfo capa_fuzz_message(const uint8 *data, size_t size);

#endif							/* CAPA_FUZZ_PG_STUBS_H */
