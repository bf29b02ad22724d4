/*-------------------------------------------------------------------------
 *
 * attachment_verify.h
 *	  capa_audit_verify()'s check of capa.attachment (verify.c calls it):
 *	  each attachment row against the audit rows that attached and withdrew
 *	  it, and its stored content against the SHA-256 the trail recorded.
 *
 * IDENTIFICATION
 *	  src/audit/attachment_verify.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_ATTACHMENT_VERIFY_H
#define CAPA_ATTACHMENT_VERIFY_H

#include "postgres.h"

#include "audit/chain.h"

/* How a finding is reported: verify.c's output */
typedef void (*CapaVerifyReport) (void *arg, const char *problem, int64 capa_id,
								  bool has_action, int64 action_id, int64 seq,
								  const char *detail);

typedef struct CapaAttachmentCheck CapaAttachmentCheck;

/*
 * Start: the attachments read in (capa_id, id) order, all or one record's
 * (as capa_ordered_scan_begin).  NULL when the database has no
 * capa.attachment yet (not updated to 0.5.0): nothing to check.
 */
extern CapaAttachmentCheck *capa_attachment_check_begin(bool one_record, Datum record,
														bool record_visible,
														CapaVerifyReport report, void *arg);

/* An audit row of a record's own chain, in chain order */
extern void capa_attachment_check_trail(CapaAttachmentCheck *chk, const CapaAuditFields *f);

/* The record's own chain has ended: check its attachment rows */
extern void capa_attachment_check_record(CapaAttachmentCheck *chk, int64 capa_id);

/* The end: rows left have no audit row */
extern void capa_attachment_check_end(CapaAttachmentCheck *chk);

#endif							/* CAPA_ATTACHMENT_VERIFY_H */
