/*-------------------------------------------------------------------------
 *
 * attachment_guard.h
 *	  capa.attachment is written by capa_attach and capa_withdraw_attachment
 *	  only (api/attach.c): they set capa_attachment_writing around their
 *	  statements, and the guard trigger refuses every other write.
 *
 * IDENTIFICATION
 *	  src/lifecycle/attachment_guard.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CAPA_ATTACHMENT_GUARD_H
#define CAPA_ATTACHMENT_GUARD_H

#include "postgres.h"

/* capa's own statement on capa.attachment is running */
extern bool capa_attachment_writing;

#endif							/* CAPA_ATTACHMENT_GUARD_H */
