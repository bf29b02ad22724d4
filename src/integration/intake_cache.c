/*-------------------------------------------------------------------------
 *
 * intake_cache.c
 *	  The backend's bound intakes, and when their memory may be freed.
 *
 * capa_intake_trigger() reads an intake's configuration once and binds
 * its condition and mapping to the relation once (intake.c); the entries
 * are kept here.  They are dropped at any relcache invalidation (capa_intake
 * creates and drops triggers, which invalidates the source; ALTER TABLE
 * does too) and at the end of each transaction, so a configuration never
 * outlives a change of its table.
 *
 * The rule this file keeps: no entry is freed while a trigger call that
 * may use it is on the stack.  A trigger call runs the table's code while
 * it holds its entry: a domain's CHECK while the condition's constants are
 * converted, a type's comparison or output function, a trigger or policy
 * reached through capa_open.  That code may cause an invalidation (CREATE
 * TEMP TABLE is enough) and insert into an intake's table, so a nested
 * trigger call finds the cache stale.  It does not free what it drops: the
 * dropped entries are retired, each in its own memory context, and deleted
 * when the count of active calls (capa_intake_call_begin/_end, kept by
 * the trigger on every exit, errors included) comes back to zero, or at
 * the end of the transaction (no trigger call spans it), which also puts
 * the count back to zero whatever happened.  An entry read for a call is
 * never changed under another: binding fills it once (intake.c publishes
 * a complete binding or nothing).
 *
 * To keep entries across transactions (not done now): stop dropping them
 * in intake_xact_callback, and drop an intake's entries when its row of
 * capa.intake_config changes; the retirement rule stays as it is.
 *
 * IDENTIFICATION
 *	  src/integration/intake_cache.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/inval.h"
#include "utils/memutils.h"

#include "integration/intake.h"

/* The parent of every entry's context: one place in memory statistics */
static MemoryContext intake_cxt = NULL;
/* The entries the cache hands out */
static IntakeEntry *intake_entries = NULL;
/* Entries dropped while a call may still use them */
static IntakeEntry *intake_retired = NULL;
/* capa_intake_trigger() calls on the stack */
static int	intake_active_calls = 0;
/* a relcache invalidation since the entries were read */
static bool intake_stale = false;

static void
intake_relcache_callback(Datum arg, Oid relid)
{
	/* only a flag: a callback runs inside whatever the backend is doing */
	intake_stale = true;
}

/* Move every entry to the retired list */
static void
retire_entries(void)
{
	while (intake_entries != NULL)
	{
		IntakeEntry *entry = intake_entries;

		intake_entries = entry->next;
		entry->next = intake_retired;
		intake_retired = entry;
	}
}

/* Delete the retired entries: only when no call can be using one */
static void
free_retired(void)
{
	while (intake_retired != NULL)
	{
		IntakeEntry *entry = intake_retired;

		intake_retired = entry->next;
		/* the entry itself lives in its context */
		MemoryContextDelete(entry->cxt);
	}
}

static void
intake_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* no trigger call is on the stack at the end of a transaction */
			intake_active_calls = 0;
			retire_entries();
			free_retired();
			intake_stale = false;
			break;
		default:
			break;
	}
}

void
capa_intake_init(void)
{
	CacheRegisterRelcacheCallback(intake_relcache_callback, (Datum) 0);
	RegisterXactCallback(intake_xact_callback, NULL);
}

void
capa_intake_call_begin(void)
{
	intake_active_calls++;
}

void
capa_intake_call_end(void)
{
	Assert(intake_active_calls > 0);
	if (intake_active_calls > 0)
		intake_active_calls--;
	if (intake_active_calls == 0)
		free_retired();
}

IntakeEntry *
capa_intake_cache_find(int64 id, Oid relid)
{
	IntakeEntry *entry;

	if (intake_stale)
	{
		retire_entries();
		intake_stale = false;
	}
	/* the calling call is the only one, and it holds no entry yet */
	if (intake_active_calls <= 1)
		free_retired();
	for (entry = intake_entries; entry != NULL; entry = entry->next)
	{
		if (entry->id == id && entry->relid == relid)
			return entry;
	}
	return NULL;
}

MemoryContext
capa_intake_cache_entry_context(void)
{
	if (intake_cxt == NULL)
		intake_cxt = AllocSetContextCreate(TopMemoryContext, "capa intake",
										   ALLOCSET_SMALL_SIZES);
	return AllocSetContextCreate(intake_cxt, "capa intake entry", ALLOCSET_SMALL_SIZES);
}

void
capa_intake_cache_add(IntakeEntry *entry)
{
	entry->next = intake_entries;
	intake_entries = entry;
}
