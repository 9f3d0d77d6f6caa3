/*
 * media.c - see media.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dprint.h"

#include "media.h"
#include "ws.h"

#define PENDING_PAGE                                                                      \
	"<!doctype html><html><head><meta charset=\"utf-8\"><meta http-equiv=\"refresh\" "  \
	"content=\"2\"><title>Fetching…</title></head><body><p>Fetching the file from %s… "   \
	"this page reloads by itself.</p></body></html>\n"

/* a type a browser shows but never runs */
static int shown_as_is(const char *t)
{
	static const char *const ok[] = {"image/jpeg", "image/png", "image/gif", "image/webp",
			"image/bmp", "audio/", "video/", NULL};
	int i;

	for(i = 0; ok[i]; i++)
		if(!strncmp(t, ok[i], strlen(ok[i])))
			return strchr(t, ';') == NULL && strchr(t, ' ') == NULL;
	return 0;
}

static void text(ws_media_answer_t *a, int status, const char *type, const char *fmt,
		const char *arg)
{
	a->status = status;
	snprintf(a->type, sizeof(a->type), "%s", type);
	a->len = (size_t)snprintf(a->text, sizeof(a->text), fmt, arg);
	if(a->len >= sizeof(a->text))
		a->len = sizeof(a->text) - 1;
	a->data = a->text;
}

void ws_media_answer(const char *path, ws_media_answer_t *a)
{
	char tenant[OMNIQ_ID_MAX + 1], key[OMNIQ_MEDIA_KEY + 2], to[OMNIQ_MEDIA_KEY + 8];
	omniq_media_t *m;
	str t, k, tk, ref;
	int rc;

	memset(a, 0, sizeof(*a));
	if(sscanf(path, "/media/%64[A-Za-z0-9_.@+-]/%33[0-9a-f]", tenant, key) != 2
			|| strlen(key) != OMNIQ_MEDIA_KEY
			|| strlen(path) != 8 + strlen(tenant) + OMNIQ_MEDIA_KEY) {
		text(a, 404, "text/plain; charset=utf-8", "%s", "no such file\n");
		return;
	}
	t = omniq_str(tenant);
	if(ws_oq.tenant_use(&t) < 0) {
		text(a, 404, "text/plain; charset=utf-8", "%s", "no such file\n");
		return;
	}
	if((m = calloc(1, sizeof(*m))) == NULL) {
		ws_oq.tenant_use_index(0);
		text(a, 503, "text/plain; charset=utf-8", "%s", "out of memory: try again\n");
		return;
	}
	k = omniq_str(key);
	rc = ws_oq.media_open(&k, m);
	if(rc == OMNIQ_ENOTFOUND) {
		text(a, 404, "text/plain; charset=utf-8", "%s", "no such file, or it expired\n");
	} else if(rc < 0) {
		text(a, 503, "text/plain; charset=utf-8", "cannot look it up now: %s\n",
				ws_oq.last_error());
	} else if(m->state == OMNIQ_MEDIA_READY) {
		a->status = 200;
		snprintf(a->type, sizeof(a->type), "%s",
				shown_as_is(m->type) ? m->type : "application/octet-stream");
		a->data = m->data;
		a->len = m->len;
		a->m = m;
		ws_oq.tenant_use_index(0);
		return;
	} else if(m->state == OMNIQ_MEDIA_FAILED) {
		text(a, 404, "text/plain; charset=utf-8", "the file could not be fetched: %s\n",
				m->reason);
	} else {
		text(a, 202, "text/html; charset=utf-8", PENDING_PAGE, m->channel);
		if(m->ask) {
			snprintf(to, sizeof(to), "media:%s", key);
			tk = omniq_str(to);
			ref = omniq_str(m->ref);
			k = omniq_str(m->channel);
			if((rc = ws_oq.outbound_add(&k, &tk, NULL, &ref, NULL, NULL, 0)) < 0) {
				LM_NOTICE("media %s of %s: cannot ask for it: %s\n", key, m->channel,
						ws_oq.last_error());
				text(a, 503, "text/plain; charset=utf-8",
						"no node fetches this channel's files now: %s\n", ws_oq.last_error());
			}
		}
	}
	ws_oq.media_free(m);
	free(m);
	ws_oq.tenant_use_index(0);
}

void ws_media_done(ws_media_answer_t *a)
{
	if(a->m) {
		ws_oq.media_free(a->m);
		free(a->m);
		a->m = NULL;
	}
}
