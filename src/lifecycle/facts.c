/*-------------------------------------------------------------------------
 *
 * facts.c
 *	  The finding's facts: when it was found (never after the record was
 *	  opened), the requirement not met, its grade and what was seen; and
 *	  the severity, which only an improvement may go without.
 *
 * The register trigger judges them for INSERT and for capa_amend (or an
 * UPDATE with capa.reason); capa_import for each imported record, against
 * the opening its history gives.  Refusals:
 *	  23502  no severity for a corrective or preventive record; a fact
 *			 amended to NULL
 *	  22023  detected_at later than the opening, or not finite; a blank
 *			 requirement or objective_evidence
 *
 * IDENTIFICATION
 *	  src/lifecycle/facts.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "common/finite_time.h"
#include "common/text_blank.h"
#include "lifecycle/facts.h"
#include "types/labels.h"

void
capa_facts_require_severity(bool isnull, CapaKind kind, const char *who,
							Relation rel, AttrNumber attnum)
{
	if (!isnull || capa_rules_severity_optional(kind))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_NOT_NULL_VIOLATION),
			 errmsg("%s requires \"severity\"", who),
			 errdetail("Only an improvement may be recorded without a severity; this record is %s.",
					   capa_label_name(&capa_kind_labels, kind)),
			 errhint("Accepted severities: %s.", capa_severity_labels.accepted),
			 rel ? errtablecol(rel, attnum) : 0));
}

void
capa_facts_check(const char *who, Relation rel, const AttrNumber *fact,
				 const Datum *values, const bool *nulls, const bool *judge,
				 bool required, TimestampTz opened_at)
{
	int			f;

	for (f = 0; f < CAPA_FACT_COUNT; f++)
	{
		AttrNumber	attnum = fact[f];
		Datum		value;

		if (!judge[f] || attnum == InvalidAttrNumber)
			continue;
		if (nulls[attnum - 1])
		{
			if (required)
				ereport(ERROR,
						(errcode(ERRCODE_NOT_NULL_VIOLATION),
						 errmsg("%s: \"%s\" is corrected, not removed", who, capa_fact_columns[f]),
						 errhint("capa_amend gives it a new value, with a reason."),
						 rel ? errtablecol(rel, attnum) : 0));
			continue;
		}
		value = values[attnum - 1];
		if (f == CAPA_FACT_DETECTED_AT)
		{
			capa_require_finite(who, capa_fact_columns[f], TIMESTAMPTZOID, value);
			if (DatumGetTimestampTz(value) > opened_at)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%s: \"detected_at\" (%s) is later than the opening (%s)", who,
								/* timestamptz_to_str's buffer is static */
								pstrdup(timestamptz_to_str(DatumGetTimestampTz(value))),
								pstrdup(timestamptz_to_str(opened_at))),
						 errhint("A finding is recorded when or after it is found; detected_at defaults to the opening."),
						 rel ? errtablecol(rel, attnum) : 0));
		}
		else if ((f == CAPA_FACT_REQUIREMENT || f == CAPA_FACT_OBJECTIVE_EVIDENCE) &&
				 capa_text_blank(value))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: \"%s\" must not be blank", who, capa_fact_columns[f]),
					 errhint("Leave it NULL when there is none to record."),
					 rel ? errtablecol(rel, attnum) : 0));
	}
}
