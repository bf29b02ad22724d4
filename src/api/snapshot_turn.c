/*-------------------------------------------------------------------------
 *
 * snapshot_turn.c
 *	  capa_review_snapshot_turn(): one review snapshot at a time, each
 *	  linked to the one before, without a lock anybody else can take.
 *
 * The snapshot's fill trigger used a transaction advisory lock on
 * hashtext('capa.review_snapshot'): any role, even one with only CONNECT,
 * can take that key with pg_advisory_lock() and keep it for as long as its
 * session lives, and every snapshot would wait (docs/security.md, rule e).
 * A lock on the table itself does not do: the inserting transactions hold
 * ROW EXCLUSIVE on it already, and two that both asked for a self-
 * conflicting mode would deadlock.  So the turn is an object lock that no
 * SQL command takes: the capa schema as an object with sub-id 1 (schemas
 * have no sub-objects; DROP SCHEMA and object creation lock sub-id 0).
 * Only what calls this function takes it, and only capa_admin may (it is
 * the role that inserts snapshots); it is held to the end of the
 * transaction, as the advisory lock was.
 *
 * IDENTIFICATION
 *	  src/api/snapshot_turn.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_namespace.h"
#include "fmgr.h"
#include "storage/lmgr.h"

#include "common/schema_cache.h"

#define SNAPSHOT_TURN_SUBID 1

PG_FUNCTION_INFO_V1(capa_review_snapshot_turn);

Datum
capa_review_snapshot_turn(PG_FUNCTION_ARGS)
{
	CapaSchema *schema = capa_schema();

	LockDatabaseObject(NamespaceRelationId, schema->namespace_oid, SNAPSHOT_TURN_SUBID,
					   ExclusiveLock);
	PG_RETURN_VOID();
}
