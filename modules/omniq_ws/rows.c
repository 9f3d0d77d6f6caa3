/*
 * rows.c - api.query() rows as JSON, for the desk and the REST API alike, and the string
 * members of a socket request.
 */
#include <string.h>

#include "ws.h"

static json_t *flat_object(int n, const str *it)
{
	json_t *o = json_object();
	char key[64];
	int i;
	for(i = 0; o && i + 1 < n; i += 2) {
		if(it[i].len <= 0 || (size_t)it[i].len >= sizeof(key))
			continue;
		memcpy(key, it[i].s, it[i].len);
		key[it[i].len] = '\0';
		json_object_set_new(o, key, json_stringn(it[i + 1].s, (size_t)it[i + 1].len));
	}
	return o;
}

int ws_row_append(void *arr, int n, const str *it)
{
	json_t *o = flat_object(n, it);
	if(o)
		json_array_append_new((json_t *)arr, o);
	return 0;
}

int ws_row_merge(void *obj, int n, const str *it)
{
	json_t *o = flat_object(n, it);
	if(o) {
		json_object_update((json_t *)obj, o);
		json_decref(o);
	}
	return 1; /* one object: stop after the first row */
}

void ws_tx_entry_append(void *arr, const omniq_tx_entry_t *e)
{
	json_t *v = json_pack("{s:s%,s:s%,s:s%,s:s%}", "id", e->id.s, (size_t)e->id.len, "dir",
			e->dir.s, (size_t)e->dir.len, "from", e->from.s, (size_t)e->from.len, "text",
			e->body.s, (size_t)e->body.len);

	if(v && e->delivery.len)
		json_object_set_new(v, "delivery", json_stringn(e->delivery.s, e->delivery.len));
	if(v && e->delivery_reason.len)
		json_object_set_new(v, "reason",
				json_stringn(e->delivery_reason.s, e->delivery_reason.len));
	json_array_append_new((json_t *)arr, v);
}

void ws_tx_append(void *arr, const str *id, const str *dir, const str *from, const str *body)
{
	json_array_append_new((json_t *)arr,
			json_pack("{s:s%,s:s%,s:s%,s:s%}", "id", id->s, (size_t)id->len, "dir", dir->s,
					(size_t)dir->len, "from", from->s, (size_t)from->len, "text", body->s,
					(size_t)body->len));
}

const char *ws_json_str(json_t *m, const char *name, int *bad)
{
	json_t *v = json_object_get(m, name);

	if(v == NULL || json_is_null(v))
		return NULL;
	if(!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}
