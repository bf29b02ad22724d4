/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  capa_scan(): a read-only query streamed through an SPI cursor.
 *
 * IDENTIFICATION
 *	  src/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "utils/memutils.h"

#include "scan.h"

#define FETCH_BATCH 10000

void
capa_scan(const char *sql, int nargs, Oid *argtypes, Datum *values,
		  const char *nulls, CapaRowFn fn, void *arg)
{
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "capa scan row",
												 ALLOCSET_DEFAULT_SIZES);
	Portal		portal = SPI_cursor_open_with_args(NULL, sql, nargs, argtypes, values,
												   nulls, true, 0);

	for (;;)
	{
		uint64		i;

		SPI_cursor_fetch(portal, true, FETCH_BATCH);
		if (SPI_processed == 0)
			break;
		for (i = 0; i < SPI_processed; i++)
		{
			MemoryContext old = MemoryContextSwitchTo(rowcxt);

			fn(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, arg);
			MemoryContextSwitchTo(old);
			MemoryContextReset(rowcxt);
		}
		SPI_freetuptable(SPI_tuptable);
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(rowcxt);
}
