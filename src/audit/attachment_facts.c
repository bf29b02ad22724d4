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
	push_key(&state, "attachment");
	capa_push_jsonb(&state, WJB_BEGIN_OBJECT, NULL);
	push_int(&state, "id", f->id);
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
	capa_push_jsonb(&state, WJB_END_OBJECT, NULL);
	result = capa_push_jsonb(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(result));
}

Datum
capa_attachment_withdrawal(int64 id, const char *reason, TimestampTz at)
{
	CapaJsonbState state = CAPA_JSONB_STATE_INIT;
	JsonbValue *result;

	capa_push_jsonb(&state, WJB_BEGIN_OBJECT, NULL);
	push_key(&state, "attachment");
	capa_push_jsonb(&state, WJB_BEGIN_OBJECT, NULL);
	push_int(&state, "id", id);
	push_time(&state, "withdrawn_at", at);
	capa_push_jsonb(&state, WJB_END_OBJECT, NULL);
	push_string(&state, "reason", reason);
	result = capa_push_jsonb(&state, WJB_END_OBJECT, NULL);
	return JsonbPGetDatum(JsonbValueToJsonb(result));
}

/* Member key of the document's "attachment" object, or NULL */
static JsonbValue *
attachment_member(Jsonb *changed, const char *key)
{
	JsonbValue *a;

	if (changed == NULL || !JB_ROOT_IS_OBJECT(changed))
		return NULL;
	a = getKeyJsonValueFromContainer(&changed->root, "attachment", strlen("attachment"), NULL);
	if (a == NULL || a->type != jbvBinary || !JsonContainerIsObject(a->val.binary.data))
		return NULL;
	return getKeyJsonValueFromContainer(a->val.binary.data, key, strlen(key), NULL);
}

int64
capa_attachment_facts_id(Jsonb *changed)
{
	JsonbValue *v = attachment_member(changed, "id");
	char	   *text;
	char	   *end;
	int64		id;

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

bool
capa_attachment_facts_sha256(Jsonb *changed, uint8 *out)
{
	JsonbValue *v = attachment_member(changed, "sha256");
	int			i;

	if (v == NULL || v->type != jbvString || v->val.string.len != CAPA_HASH_LEN * 2)
		return false;
	for (i = 0; i < CAPA_HASH_LEN * 2; i++)
	{
		char		c = v->val.string.val[i];
		int			nibble = (c >= '0' && c <= '9') ? c - '0' :
			(c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;

		if (nibble < 0)
			return false;
		if (i % 2 == 0)
			out[i / 2] = (uint8) (nibble << 4);
		else
			out[i / 2] |= (uint8) nibble;
	}
	return true;
}
