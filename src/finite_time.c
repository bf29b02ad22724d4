/*-------------------------------------------------------------------------
 *
 * finite_time.c
 *	  The one check that a date or time a user gives capa is finite (see
 *	  finite_time.h).
 *
 * IDENTIFICATION
 *	  src/finite_time.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/date.h"
#include "utils/timestamp.h"

#include "finite_time.h"

void
capa_require_finite(const char *who, const char *column, Oid typid, Datum value)
{
	const char *type;
	const char *shown;

	switch (typid)
	{
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			if (!TIMESTAMP_NOT_FINITE(DatumGetTimestamp(value)))
				return;
			type = "date and time";
			shown = TIMESTAMP_IS_NOBEGIN(DatumGetTimestamp(value)) ? "-infinity" : "infinity";
			break;
		case DATEOID:
			if (!DATE_NOT_FINITE(DatumGetDateADT(value)))
				return;
			type = "date";
			shown = DATE_IS_NOBEGIN(DatumGetDateADT(value)) ? "-infinity" : "infinity";
			break;
		default:
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: \"%s\" must be a finite %s, not %s", who, column, type, shown),
			 errdetail("An infinite date cannot be shown, counted or escalated.")));
}
