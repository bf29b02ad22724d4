/*-------------------------------------------------------------------------
 *
 * attachment_facts.c
 *	  The facts of an attachment (and of its withdrawal) as the jsonb its
 *	  audit row's "changed" holds.  Built from values, never from text: no
 *	  setting of the session enters them, times are UTC, the SHA-256 is
 *	  lower-case hex, and the content is never read.
 *
 * IDENTIFICATION
 *	  src/audit/attachment_facts.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "audit/attachment_facts.h"
#include "common/pg_compat.h"

static void
push_key(CapaJsonbState *state, const char *key)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) key;
	v.val.string.len = strlen(key);
	capa_push_jsonb(state, WJB_KEY, &v);
}

static void
push_string(CapaJsonbState *state, const char *key, const char *value)
{
	JsonbValue	v;

	if (value == NULL)
		return;
	push_key(state, key);
	v.type = jbvString;
	v.val.string.val = (char *) value;
	v.val.string.len = strlen(value);
	capa_push_jsonb(state, WJB_VALUE, &v);
}

static void
push_int(CapaJsonbState *state, const char *key, int64 value)
{
	JsonbValue	v;

	push_key(state, key);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(value);
	capa_push_jsonb(state, WJB_VALUE, &v);
}

static void
push_time(CapaJsonbState *state, const char *key, TimestampTz at)
{
	static const int utc = 0;

	push_string(state, key, JsonEncodeDateTime(NULL, TimestampTzGetDatum(at),
											   TIMESTAMPTZOID, &utc));
}

Datum
capa_attachment_facts(const CapaAttachmentFacts *f)
{
	CapaJsonbState state = CAPA_JSONB_STATE_INIT;
	JsonbValue	v;
	JsonbValue *result;

	capa_push_jsonb(&state, WJB_BEGIN_OBJECT, NULL);
	push_int(&state, "attachment_id", f->id);
	push_string(&state, "title", f->title);
	push_string(&state, "step", f->step);
	if (f->has_action)
		push_int(&state, "action_id", f->action_id);
	push_string(&state, "uri", f->uri);
	push_string(&state, "media_type", f->media_type);
	if (f->sha256 != NULL)
	{
		char		hex[CAPA_HASH_LEN * 2 + 1];
		int			i;

		for (i = 0; i < CAPA_HASH_LEN; i++)
			snprintf(hex + 2 * i, 3, "%02x", f->sha256[i]);
		push_string(&state, "sha256", hex);
	}
	push_key(&state, "stored");
	v.type = jbvBool;
	v.val.boolean = f->stored;
	capa_push_jsonb(&state, WJB_VALUE, &v);
	if (f->stored)
		push_int(&state, "size", f->size);
	push_time(&state, "attached_at", f->attached_at);
	result = capa_push_jsonb(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(result));
}

Datum
capa_attachment_withdrawal(int64 id, const char *reason, TimestampTz at)
{
	CapaJsonbState state = CAPA_JSONB_STATE_INIT;
	JsonbValue *result;

	capa_push_jsonb(&state, WJB_BEGIN_OBJECT, NULL);
	push_int(&state, "attachment_id", id);
	push_string(&state, "reason", reason);
	push_time(&state, "withdrawn_at", at);
	result = capa_push_jsonb(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(result));
}

int64
capa_attachment_facts_id(Jsonb *changed)
{
	JsonbValue *v;
	char	   *text;
	char	   *end;
	int64		id;

	if (changed == NULL || !JB_ROOT_IS_OBJECT(changed))
		return -1;
	v = getKeyJsonValueFromContainer(&changed->root, "attachment_id",
									 strlen("attachment_id"), NULL);
	if (v == NULL || v->type != jbvNumeric)
		return -1;
	/* as text: a document edited by hand must not stop verification */
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	errno = 0;
	id = strtoi64(text, &end, 10);
	if (errno != 0 || *end != '\0' || end == text || id < 1)
		return -1;
	return id;
}
