/*-------------------------------------------------------------------------
 *
 * finite_time.h
 *	  The one check that a date or time a user gives capa is finite.
 *
 * PostgreSQL's timestamptz and date hold -infinity and infinity.  A due
 * date, stamp or action due of either kind makes arithmetic on it fail
 * (22008 "cannot subtract infinite timestamps"), and a reader that shows
 * or counts it (the management report, for everyone) fails with it.  So
 * every date and time a user supplies (capa_open's and the register's due
 * dates, action items' due, capa_import's stamps and dues, an intake's
 * constant due dates) is refused with 22023 unless finite; the readers
 * still cope with such values stored by capa 0.2.0.
 *
 * IDENTIFICATION
 *	  src/common/finite_time.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_FINITE_TIME_H
#define CAPA_FINITE_TIME_H

#include "postgres.h"

/* Whether value, of type typid, is finite (any type but these three is) */
extern bool capa_is_finite(Oid typid, Datum value);

/*
 * 22023 unless value, of type typid (timestamptz, timestamp or date; any
 * other type passes), is finite.  The message: "<who>: "<column>" must be
 * a finite <type>, not <value>".
 */
extern void capa_require_finite(const char *who, const char *column, Oid typid,
								Datum value);

#endif							/* CAPA_FINITE_TIME_H */
