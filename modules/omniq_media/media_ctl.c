/*
 * media_ctl.c - omniq_media's control process: the one place that waits on Redis for the
 * media processes, which never do.
 *
 * It keeps each stream's position and expected wait fresh (api.get of its session, every
 * REFRESH_S or half the announcement interval, whichever is shorter), so that the media
 * process finds the latest figures in the slot when an announcement is due; and it tells
 * a stream's owner (omniq_sip) that the stream ended on its own, through the callback the
 * owner registered - the owner then ends the call (an abandon in Redis, a reply), which
 * may wait on Redis too.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "core/dprint.h"

#include "omniq/omniq_clock.h"
#include "media_mod.h"
#include "media_score.h"
#include "media_slot.h"

#define REFRESH_S 10

typedef struct figures {
	int queued, position, est_wait_s, sla_first;
} figures_t;

static int field_is(const str *k, const char *name)
{
	return k->len == (int)strlen(name) && memcmp(k->s, name, k->len) == 0;
}

static int num_of(const str *v)
{
	char buf[24];

	if(v->len <= 0 || v->len >= (int)sizeof(buf))
		return 0;
	memcpy(buf, v->s, v->len);
	buf[v->len] = '\0';
	return atoi(buf);
}

/* the session's fields (api.query "session": name, value, ...) */
static int on_session(void *arg, int n, const str *it)
{
	figures_t *f = arg;
	int i;

	for(i = 0; i + 1 < n; i += 2) {
		if(field_is(&it[i], "state"))
			f->queued = field_is(&it[i + 1], "queued");
		else if(field_is(&it[i], "position"))
			f->position = num_of(&it[i + 1]);
		else if(field_is(&it[i], "est_wait_ms"))
			f->est_wait_s = num_of(&it[i + 1]) / 1000;
		else if(field_is(&it[i], "sla_f"))
			f->sla_first = num_of(&it[i + 1]); /* the first response's alert level fired */
	}
	return 0;
}

/* slot i's position, wait and alert level, read from Redis (one round trip): 0, or -1 when
 * Redis did not answer */
static int refresh_one(int i)
{
	media_slot_t *sl = &media_slots->slot[i];
	unsigned short gen = sl->gen;
	figures_t f = {0, 0, -1, 0};
	char sid[OMNIQ_SID_MAX];
	str s;
	int rc;

	if(sl->state != MS_ACTIVE || sl->stop)
		return 0;
	memcpy(sid, sl->sid, sizeof(sid));
	sid[sizeof(sid) - 1] = '\0';
	s.s = sid;
	s.len = strlen(sid);
	if(s.len == 0)
		return 0;
	if((rc = media_oq.query("session", 1, &s, on_session, &f)) < 0)
		return rc == OMNIQ_EREDIS ? -1 : 0; /* the last figures stay, said as they were */
	if(sl->gen != gen)
		return 0; /* the slot went to another call meanwhile */
	if(f.queued) {
		sl->position = f.position;
		sl->est_wait_s = f.est_wait_s;
		if(f.sla_first >= 3)
			sl->sla3 = 1;
	}
	return 0;
}

/* every stream's figures; a round ends at the first Redis failure (each would wait its
 * timeout, and the ends and keys of callers wait behind this loop) */
static void refresh(void)
{
	int i;

	for(i = 0; i < media_slots->n; i++)
		if(refresh_one(i) < 0) {
			LM_NOTICE("positions not read (Redis: %s): the last ones are said until it is "
					  "back\n", media_oq.last_error());
			return;
		}
}

/* The caller pressed the callback key: the session keeps its place as a callback (Redis),
 * then the media process says so and ends the stream. Refused (no longer waiting, Redis
 * away): the caller goes on waiting, hearing the queue. */
static void callback_key(const media_msg_end_t *m)
{
	media_slot_t *sl = &media_slots->slot[m->slot];
	str sid = {(char *)m->sid, (int)strlen(m->sid)}, to = STR_NULL;
	int rc = media_oq.callback(&sid, &to);

	if(rc < 0) {
		LM_NOTICE("session %s: the caller pressed %c for a callback, refused: %s\n", m->sid,
				m->digit, media_oq.last_error());
		return;
	}
	if(sl->gen == m->gen && sl->state == MS_ACTIVE)
		sl->callback_made = 1;
	media_stat_add(MEDIA_ST_CALLBACK, 1);
	LM_INFO("session %s: the caller pressed %c: to be called back, keeping the place\n",
			m->sid, m->digit);
}

/* The caller's score for the survey's question (CSAT 1-5 or NPS 0-10, media_score.h): the
 * session's (api.survey_answer, one score at a time), then the media process asks the next
 * question (NPS after CSAT, kind both) or thanks them and the call ends - also when Redis
 * refused it (the window closed, Redis away: said in the log; nothing the caller can do
 * about it). */
static void survey_key(const media_msg_end_t *m)
{
	media_slot_t *sl = &media_slots->slot[m->slot];
	str sid = {(char *)m->sid, (int)strlen(m->sid)};
	int nps = m->step == MEDIA_SCORE_NPS;
	const char *what = nps ? "NPS" : "CSAT";
	int rc = media_oq.survey_answer(
			&sid, NULL, nps ? -1 : m->score, nps ? m->score : -1, NULL, NULL, 0);

	if(rc < 0)
		LM_NOTICE("session %s: the caller's %s %d by keypad is not recorded: %s\n", m->sid,
				what, m->score, media_oq.last_error());
	else {
		media_stat_add(MEDIA_ST_SURVEYS, 1);
		LM_INFO("session %s: the caller's %s %d by keypad is recorded\n", m->sid, what,
				m->score);
	}
	if(sl->gen == m->gen && sl->state == MS_ACTIVE)
		sl->survey_done = m->step;
}

static void take_ends(void)
{
	media_msg_end_t m;
	ssize_t n;

	while((n = recv(media_to_ctl[0], &m, sizeof(m), MSG_DONTWAIT)) >= 0) {
		if(n != (ssize_t)sizeof(m) || m.slot < 0 || m.slot >= media_slots->n)
			continue;
		m.sid[sizeof(m.sid) - 1] = '\0';
		if(m.why == 0) {
			if(m.step == MEDIA_SCORE_CSAT || m.step == MEDIA_SCORE_NPS)
				survey_key(&m);
			else if(m.digit)
				callback_key(&m);
			else if(media_slots->slot[m.slot].gen == m.gen)
				refresh_one(m.slot); /* a new stream: its figures before its greeting ends */
			continue;
		}
		if(m.why == OMNIQ_MEDIA_END_IDLE || m.why == OMNIQ_MEDIA_END_FAILED)
			LM_NOTICE("session %s: the caller's media stream ended (%s)\n", m.sid,
					m.why == OMNIQ_MEDIA_END_IDLE ? "nothing received" : "failed");
		if(media_end_cb)
			media_end_cb(m.tag, m.sid, (omniq_media_end_t)m.why);
	}
}

void media_ctl_loop(void *arg)
{
	struct pollfd pfd = {.fd = media_to_ctl[0], .events = POLLIN};
	int every = media_cfg.announce_interval / 2, k;
	long long next = 0, now;

	if(every > REFRESH_S)
		every = REFRESH_S;
	if(every < 1)
		every = 1;
	for(k = 0; k < media_cfg.processes; k++)
		close(media_to_proc[k][0]);
	for(;;) {
		media_oq.stop_check("omniq_media control");
		if(poll(&pfd, 1, 1000) > 0)
			take_ends();
		now = omniq_mono_ms();
		if(now >= next) {
			refresh();
			next = now + every * 1000LL;
		}
	}
}
