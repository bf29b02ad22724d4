/*-------------------------------------------------------------------------
 *
 * org_unit.h
 *	  Row-level security by organisational unit (optional, off by
 *	  default): who may act on, and who may read every record.
 *
 * IDENTIFICATION
 *	  src/org_unit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_ORG_UNIT_H
#define CAPA_ORG_UNIT_H

#include "postgres.h"


/* True if row-level security by org unit is switched on (capa_rls_enable) */
extern bool capa_org_units_enforced(Oid register_relid);

/*
 * 42501 unless role may act on records of org_unit (NULL: a record of no
 * unit, open to all).  Call inside SPI, as capa's owner.
 */
extern void capa_require_org_unit(Oid role, const char *org_unit, Datum record_id);

/* True if role sees every org unit: superuser, BYPASSRLS or capa_admin */
extern bool capa_sees_every_org_unit(Oid role);

#endif							/* CAPA_ORG_UNIT_H */
