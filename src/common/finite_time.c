/*-------------------------------------------------------------------------
 *
 * finite_time.c
 *	  The one check that a date or time a user gives capa is finite (see
 *	  finite_time.h).
 *
 * IDENTIFICATION
 *	  src/common/finite_time.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "common/finite_time.h"

bool
capa_is_finite(Oid typid, Datum value)
{
	switch (typid)
	{
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			return !TIMESTAMP_NOT_FINITE(DatumGetTimestamp(value));
		case DATEOID:
			return !DATE_NOT_FINITE(DatumGetDateADT(value));
		default:
			return true;
	}
}

void
capa_require_finite(const char *who, const char *column, Oid typid, Datum value)
{
	const char *type;
	const char *shown;

	if (capa_is_finite(typid, value))
		return;
	if (typid == DATEOID)
	{
		type = "date";
		shown = DATE_IS_NOBEGIN(DatumGetDateADT(value)) ? "-infinity" : "infinity";
	}
	else
	{
		type = "date and time";
		shown = TIMESTAMP_IS_NOBEGIN(DatumGetTimestamp(value)) ? "-infinity" : "infinity";
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: \"%s\" must be a finite %s, not %s", who, column, type, shown),
			 errdetail("An infinite date cannot be shown, counted or escalated.")));
}
