/*
 * media_score.c - see media_score.h.
 */
#include <string.h>

#include "media_score.h"

void media_score_start(media_score_t *m, media_score_kind_t kind)
{
	memset(m, 0, sizeof(*m));
	m->kind = kind;
}

int media_score_key(media_score_t *m, char c, uint64_t now_ns)
{
	if(m->kind == MEDIA_SCORE_CSAT)
		return c >= '1' && c <= '5' ? c - '0' : -1;
	if(m->kind != MEDIA_SCORE_NPS)
		return -1;
	if(m->one) {
		m->one = 0; /* "1" then "0" is 10; then anything else ends it at 1 */
		return c == '0' ? 10 : 1;
	}
	if(c == '1') {
		m->one = 1;
		m->one_until_ns = now_ns + MEDIA_SCORE_NEXT_NS;
		return -1;
	}
	return c >= '0' && c <= '9' ? c - '0' : -1;
}

int media_score_due(media_score_t *m, uint64_t now_ns)
{
	if(!m->one || now_ns < m->one_until_ns)
		return -1;
	m->one = 0;
	return 1;
}
