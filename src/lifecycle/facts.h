/*-------------------------------------------------------------------------
 *
 * facts.h
 *	  The finding's facts (0.5.0: rules.h, CapaFact) and the severity an
 *	  improvement may go without: the checks the register trigger and
 *	  capa_import share.
 *
 * IDENTIFICATION
 *	  src/lifecycle/facts.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_FACTS_H
#define CAPA_FACTS_H

#include "postgres.h"

#include "utils/rel.h"
#include "utils/timestamp.h"

#include "lifecycle/rules.h"

/*
 * 23502 unless the record has a severity or its kind may go without one
 * (rules.c: capa_rules_severity_optional).  who starts the message ("a
 * capa record", or capa_import's row); rel and attnum name the column.
 */
extern void capa_facts_require_severity(bool isnull, CapaKind kind, const char *who,
										Relation rel, AttrNumber attnum);

/*
 * The facts a row gives, judged where judge[f] is true (values and nulls
 * in column order, fact[] the facts' column numbers): detected_at finite
 * and not later than opened_at, requirement and objective_evidence not
 * blank (22023); with required, none of them NULL (23502: a fact is
 * corrected, not removed).  The grade's code is its foreign key's.
 */
extern void capa_facts_check(const char *who, Relation rel, const AttrNumber *fact,
							 const Datum *values, const bool *nulls, const bool *judge,
							 bool required, TimestampTz opened_at);

#endif							/* CAPA_FACTS_H */
