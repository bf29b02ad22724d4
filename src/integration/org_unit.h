/*-------------------------------------------------------------------------
 *
 * org_unit.h
 *	  Row-level security by organisational unit (optional, off by
 *	  default): who may act on, and who may read every record.
 *
 * IDENTIFICATION
 *	  src/integration/org_unit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_ORG_UNIT_H
#define CAPA_ORG_UNIT_H

#include "postgres.h"


/* True if row-level security by org unit is switched on (capa_rls_enable) */
extern bool capa_org_units_enforced(Oid register_relid);

/*
 * 42501 unless role may put a record into org_unit (NULL: no unit, open to
 * all): a new record, or a record moving there.  Call inside SPI.
 */
extern void capa_require_org_unit(Oid role, const char *org_unit);

/*
 * True if role may act on (and read) the records of org_unit (NULL: no
 * unit, open to all).  Call inside SPI, as capa's owner.
 */
extern bool capa_may_act_on(Oid role, const char *org_unit);

/*
 * Whether role may see record capa_id: always while row-level security
 * by org unit is off; otherwise as the policies decide for role's reads
 * (false for a reference that names no record, unless role sees every
 * unit).  With known_unit, org_unit is the record's unit and no lookup is
 * made.  Opens an SPI connection of its own and reads as capa's owner: the
 * triggers call it before anything else they judge, so that another
 * unit's record is answered exactly as a missing one (docs/security.md).
 */
extern bool capa_record_visible(Oid role, Datum capa_id, bool known_unit,
								const char *org_unit);

/* The same for an action item, by the record it belongs to */
extern bool capa_action_visible(Oid role, int64 action_id);

/* True if role sees every org unit: superuser, BYPASSRLS or capa_admin */
extern bool capa_sees_every_org_unit(Oid role);

#endif							/* CAPA_ORG_UNIT_H */
