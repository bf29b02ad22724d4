/*-------------------------------------------------------------------------
 *
 * subxact.c
 *	  capa_subxact_run(): a subtransaction around a piece of work (see
 *	  subxact.h).  The intake's on_error 'log' and the restricted checks of
 *	  another role's code (restricted.c) both use it.
 *
 * IDENTIFICATION
 *	  src/common/subxact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"

#include "common/subxact.h"

ErrorData *
capa_subxact_run(CapaSubxactFn fn, void *arg, bool keep, CapaSubxactAccept accept)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile failure = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		fn(arg);
		if (keep)
			ReleaseCurrentSubTransaction();
		else
			RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (!accept(edata->sqlerrcode))
			ReThrowError(edata);
		failure = edata;
	}
	PG_END_TRY();
	return failure;
}
