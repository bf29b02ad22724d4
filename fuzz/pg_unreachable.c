/*-------------------------------------------------------------------------
 *
 * pg_unreachable.c
 *	  Link-time stand-ins for the server functions that src/audit/chain.c and
 *	  src/audit/digest.c call on paths the harnesses do not fuzz (SPI, the
 *	  catalog caches, tuple access, SHA-256 contexts).
 *
 * The harnesses compile those files whole, so that they fuzz the real
 * capa_audit_encode(), capa_parse_digest() and capa_format_digest(), and
 * the linker wants every symbol the rest of the file uses.  Each one here
 * aborts if it is ever called: reaching one is a harness bug, and shows
 * as a crash.  When chain.c or digest.c start using another server
 * function, the link fails naming it: add it to the list below.
 *
 * This file deliberately includes no PostgreSQL header: the stand-ins do
 * not share the real prototypes (the linker only matches names).
 *
 * IDENTIFICATION
 *	  fuzz/pg_unreachable.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void
unreachable(const char *name)
{
	fprintf(stderr, "capa fuzz: %s() called, but no harness path should reach it\n", name);
	abort();
}

#define UNREACHABLE(name) \
	void name(void); \
	void name(void) { unreachable(#name); }

/* chain.c: row hashing (catalog lookups, tuple access, send functions) */
UNREACHABLE(heap_deform_tuple)
UNREACHABLE(SendFunctionCall)
UNREACHABLE(TypeCategory)
UNREACHABLE(deconstruct_array)
UNREACHABLE(fmgr_info_cxt)
UNREACHABLE(getTypeBinaryOutputInfo)
UNREACHABLE(get_element_type)
UNREACHABLE(get_typlen)
UNREACHABLE(get_typlenbyvalalign)
UNREACHABLE(getmissingattr)
UNREACHABLE(heap_datum_check)
UNREACHABLE(heap_getsysattr)
UNREACHABLE(nocachegetattr)

/*
 * chain.c: the send functions whose output it writes itself (compared by
 * address, never called here); capa's own are in files the audit harness
 * does not link
 */
UNREACHABLE(boolsend)
UNREACHABLE(date_send)
UNREACHABLE(int2send)
UNREACHABLE(int4send)
UNREACHABLE(int8send)
UNREACHABLE(oidsend)
UNREACHABLE(timestamp_send)
UNREACHABLE(timestamptz_send)
UNREACHABLE(capa_ref_send)
UNREACHABLE(capa_severity_send)
UNREACHABLE(capa_state_send)

/* chain.c and digest.c: SHA-256 (chain.c's capa_sha256 uses OpenSSL's EVP
 * directly when USE_OPENSSL: the harnesses link -lcrypto, as capa does) */
UNREACHABLE(pg_cryptohash_create)
UNREACHABLE(pg_cryptohash_init)
UNREACHABLE(pg_cryptohash_update)
UNREACHABLE(pg_cryptohash_final)
UNREACHABLE(pg_cryptohash_free)
UNREACHABLE(pg_cryptohash_error)

/* digest.c: capa_digest() and capa_compute_digest() (SPI, locks) */
UNREACHABLE(CheckRelationOidLockedByMe)
UNREACHABLE(GetTransactionSnapshot)
UNREACHABLE(LockRelationOid)
UNREACHABLE(PopActiveSnapshot)
UNREACHABLE(PushActiveSnapshot)
UNREACHABLE(SPI_connect)
UNREACHABLE(SPI_execute)
UNREACHABLE(SPI_execute_with_args)
UNREACHABLE(SPI_finish)
UNREACHABLE(SPI_getbinval)
UNREACHABLE(SPI_palloc)
UNREACHABLE(SPI_result_code_string)
UNREACHABLE(capa_schema)
UNREACHABLE(capa_scan)
UNREACHABLE(capa_ordered_scan_begin)
UNREACHABLE(capa_ordered_scan_next)
UNREACHABLE(capa_ordered_scan_end)
UNREACHABLE(cstring_to_text)
UNREACHABLE(AllocSetContextCreateInternal)
UNREACHABLE(MemoryContextReset)
UNREACHABLE(MemoryContextDelete)
UNREACHABLE(ProcessInterrupts)
/* digest.c: waiting out the audit writers without holding a lock */
UNREACHABLE(WaitForLockers)
UNREACHABLE(UnlockRelationOid)
UNREACHABLE(get_relname_relid)

/* Variables those paths read (never, here) */
void	   *TopMemoryContext;
void	   *CurrentMemoryContext;
volatile int InterruptPending;
void	   *SPI_tuptable;
uint64_t	SPI_processed;
int			XactIsoLevel;
unsigned int MyDatabaseId;
void	   *MyProc;
/* digest.c: capa_digest() records the digest as capa's owner (not on a standby) */
UNREACHABLE(GetUserId)
UNREACHABLE(GetUserNameFromId)
UNREACHABLE(capa_become_owner)
UNREACHABLE(capa_restore_user)
UNREACHABLE(PreventCommandIfReadOnly)
