/*-------------------------------------------------------------------------
 *
 * evidence_step.c
 *	  The audit row of a step that adds evidence to a record (attach,
 *	  withdraw_attachment) without changing the record's facts.
 *
 * Such a step is taken in any state, a closed or cancelled record's
 * included: it changes none of the record's columns (an auditor's later
 * request for evidence is answered without reopening the record), only the
 * chain bookkeeping every audited change moves (chain_seq, chain_head,
 * updated_at).  Its facts are in the audit row's "changed", so the hash
 * covers them with the encoding every other step has.
 *
 * IDENTIFICATION
 *	  src/lifecycle/evidence_step.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "executor/spi.h"
#include "utils/timestamp.h"

#include "audit/audit.h"
#include "audit/chain.h"
#include "common/actor.h"
#include "common/schema_cache.h"
#include "common/trigger_row.h"
#include "integration/events.h"
#include "lifecycle/evidence_step.h"
#include "types/type_io.h"

CapaEvidenceStep *capa_evidence_step = NULL;

HeapTuple
capa_evidence_step_row(Relation rel, HeapTuple oldtup, HeapTuple newtup, Oid actor,
					   MemoryContext result_cxt)
{
	CapaSchema *schema = capa_schema();
	CapaEvidenceStep *es = capa_evidence_step;
	TupleDesc	tupdesc = RelationGetDescr(rel);
	CapaRowChanges changes;
	CapaAuditEntry entry;
	HeapTuple	stepped;
	HeapTuple	result;
	Datum		id;
	bool		isnull;
	int32		seq;
	int			i;
	Oid			saved_user;
	int			saved_sec;

	if (es == NULL || es->done || !capa_request.active)
		return NULL;
	id = heap_getattr(oldtup, schema->reg[REG_ID], tupdesc, &isnull);
	if (isnull || DatumGetInt64(id) != DatumGetInt64(es->capa_id))
		return NULL;
	/* the function's statement sets nothing: nothing else may ride on it */
	for (i = 1; i <= tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i - 1);

		if (!att->attisdropped && !capa_row_derived_column(att) &&
			capa_column_changed(tupdesc, oldtup, newtup, i))
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("record %s changed during its %s step", capa_ref_cstring(id), es->step),
					 errdetail("Column \"%s\" was changed, by a trigger that ran before capa's.",
							   NameStr(att->attname)),
					 errhint("A step that adds evidence changes none of the record's columns.")));
	}

	seq = DatumGetInt32(heap_getattr(oldtup, schema->reg[REG_CHAIN_SEQ], tupdesc, &isnull));
	memset(&changes, 0, sizeof(changes));
	capa_row_set(&changes, schema->reg[REG_CHAIN_SEQ], Int32GetDatum(seq + 1), false);
	capa_row_set(&changes, schema->reg[REG_UPDATED_AT],
				 TimestampTzGetDatum(GetCurrentTransactionStartTimestamp()), false);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "capa: SPI_connect failed");
	capa_become_owner(schema->owner, &saved_user, &saved_sec);
	{
		MemoryContext spi_cxt = MemoryContextSwitchTo(result_cxt);

		stepped = capa_row_apply(newtup, tupdesc, &changes);
		MemoryContextSwitchTo(spi_cxt);
	}
	memset(&entry, 0, sizeof(entry));
	entry.capa_id = id;
	entry.has_action = false;
	entry.chain_seq = seq + 1;
	entry.step = es->step;
	entry.from_state = CAPA_STATE_INVALID;
	entry.to_state = CAPA_STATE_INVALID;
	entry.changed = es->changed;
	entry.actor = actor;
	result = capa_audit_chain(&entry, tupdesc, oldtup, stepped,
							  schema->reg[REG_CHAIN_HEAD], result_cxt);
	capa_notify_change(id, es->step, entry.seq);
	capa_restore_user(saved_user, saved_sec);
	SPI_finish();

	es->done = true;
	es->seq = entry.seq;
	return result;
}
