/*-------------------------------------------------------------------------
 *
 * attachment_facts.h
 *	  The "changed" document of the audit rows that attach and withdraw an
 *	  attachment: built once here, by capa_attach and capa_withdraw_attachment
 *	  from their arguments and by capa_audit_verify from the stored row, so
 *	  a row that no longer gives the recorded document was changed.
 *
 * IDENTIFICATION
 *	  src/audit/attachment_facts.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_ATTACHMENT_FACTS_H
#define CAPA_ATTACHMENT_FACTS_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "audit/chain.h"

/* What an attach step records (never the content itself) */
typedef struct CapaAttachmentFacts
{
	int64		id;
	const char *title;
	const char *step;			/* or NULL: the record as a whole */
	bool		has_action;
	int64		action_id;
	const char *uri;			/* or NULL */
	const char *media_type;		/* or NULL */
	const uint8 *sha256;		/* CAPA_HASH_LEN bytes, or NULL */
	bool		stored;			/* capa stores the content */
	int64		size;			/* its bytes, if stored */
	TimestampTz attached_at;
} CapaAttachmentFacts;

/*
 * {"attachment": {"id", "title", "step", "action_id", "uri", "media_type",
 * "sha256" (hex), "stored", "size", "attached_at"}} as jsonb, the members
 * that are NULL left out.  The facts are one member of their own: none of
 * them is mistaken for a column of the record the step changed.
 */
extern Datum capa_attachment_facts(const CapaAttachmentFacts *f);

/* {"attachment": {"id", "withdrawn_at"}, "reason"} as jsonb */
extern Datum capa_attachment_withdrawal(int64 id, const char *reason, TimestampTz at);

/* The attachment id an attach or withdraw_attachment document names, or -1 */
extern int64 capa_attachment_facts_id(Jsonb *changed);

/* The SHA-256 an attach document recorded, into out; false if none */
extern bool capa_attachment_facts_sha256(Jsonb *changed, uint8 *out);

/* The audit steps that record attachments */
#define CAPA_STEP_ATTACH "attach"
#define CAPA_STEP_WITHDRAW_ATTACHMENT "withdraw_attachment"

#endif							/* CAPA_ATTACHMENT_FACTS_H */
