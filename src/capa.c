/*-------------------------------------------------------------------------
 *
 * capa.c
 *	  Module entry point of the capa extension.
 *
 * capa needs no shared_preload_libraries: the library loads on first use
 * of one of its functions or triggers.
 *
 * IDENTIFICATION
 *	  src/capa.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "catalog.h"
#include "events.h"
#include "intake.h"
#include "kpi.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Register the cache invalidation callback and the settings, once per backend */
void
_PG_init(void)
{
	capa_catalog_init();
	capa_events_init();
	capa_kpi_init();
	capa_intake_init();
}
