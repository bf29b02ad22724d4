/*-------------------------------------------------------------------------
 *
 * labels.c
 *	  Label tables and the exact-match parser shared by capa's label types.
 *
 * IDENTIFICATION
 *	  src/types/labels.c
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "types/labels.h"

static const char *const state_names[] = {
	"open", "contained", "analysed", "planned",
	"implemented", "verified", "closed", "cancelled"
};

static const char *const severity_names[] = {
	"observation", "minor", "major", "critical"
};

static const char *const kind_names[] = {
	"corrective", "preventive", "improvement"
};

const CapaLabelSet capa_state_labels = {
	"capa_state", state_names, CAPA_STATE_MAX,
	"open, contained, analysed, planned, implemented, verified, closed, cancelled"
};

const CapaLabelSet capa_severity_labels = {
	"capa_severity", severity_names, CAPA_SEVERITY_MAX,
	"observation, minor, major, critical"
};

const CapaLabelSet capa_kind_labels = {
	"capa kind", kind_names, CAPA_KIND_MAX,
	"corrective, preventive, improvement"
};

/*
 * Labels match exactly, as enum input does: no case folding and no
 * trimming, so every value has one spelling.
 */
int
capa_label_parse(const CapaLabelSet *set, const char *str, size_t len)
{
	int			i;

	if (str == NULL)
		return 0;
	for (i = 0; i < set->count; i++)
	{
		const char *name = set->names[i];

		if (strlen(name) == len && memcmp(name, str, len) == 0)
			return i + 1;
	}
	return 0;
}

const char *
capa_label_name(const CapaLabelSet *set, int code)
{
	if (code < 1 || code > set->count)
		return NULL;
	return set->names[code - 1];
}
