/*-------------------------------------------------------------------------
 *
 * module.c
 *	  Module entry point of the capa extension.
 *
 * capa needs no shared_preload_libraries: the library loads on first use
 * of one of its functions or triggers.
 *
 * IDENTIFICATION
 *	  src/module.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"

#include "common/schema_cache.h"
#include "integration/events.h"
#include "integration/intake.h"
#include "kpi/kpi.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Register the cache invalidation callback and the settings, once per backend */
void
_PG_init(void)
{
	capa_schema_cache_init();
	capa_events_init();
	capa_kpi_init();
	capa_intake_init();
}
