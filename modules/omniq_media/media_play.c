/*
 * media_play.c - see media_play.h.
 */
#include <string.h>

#include "media_play.h"

/* list := the announcement; 1 when it says something other than the last one did */
static int announce(media_play_t *pl, int position, int est_wait_s, int first)
{
	media_prompt_id_t words[MEDIA_SAY_MAX];
	int n = media_say_announcement(pl->p->lang, position, est_wait_s, words, MEDIA_SAY_MAX);

	if(n < 0)
		n = media_say_announcement(pl->p->lang, 0, est_wait_s, words, MEDIA_SAY_MAX);
	if(n <= 0)
		return 0;
	if(!first && n == pl->nsaid && memcmp(words, pl->said, n * sizeof(words[0])) == 0)
		return 0;
	memcpy(pl->said, words, n * sizeof(words[0]));
	pl->nsaid = n;
	memcpy(pl->list + pl->n, words, n * sizeof(words[0]));
	pl->n += n;
	if(pl->offer_callback)
		pl->list[pl->n++] = MP_CALLBACK_OFFER;
	pl->announcements++;
	return 1;
}

void media_play_init(media_play_t *pl, const media_prompts_t *p, int law, int interval_s,
		int position, int est_wait_s, int offer_callback, uint64_t now_ns)
{
	memset(pl, 0, sizeof(*pl));
	pl->p = p;
	pl->offer_callback = offer_callback;
	pl->law = law;
	pl->interval_ns = (uint64_t)interval_s * 1000000000ULL;
	memcpy(pl->silence, media_prompt_silence_frame(law), sizeof(pl->silence));
	pl->next_ns = now_ns; /* set again when the list ends */
	if(media_prompt_frame_count(p, MP_GREETING) > 0) {
		pl->list[pl->n++] = MP_GREETING;
		pl->first_due = 1;
	} else
		announce(pl, position, est_wait_s, 1);
}

/* the next frame of the list, or NULL when it is over (absent prompts skipped) */
static const uint8_t *from_list(media_play_t *pl)
{
	size_t frames;
	const uint8_t *codes;

	while(pl->at < pl->n) {
		codes = media_prompt_frames(pl->p, pl->list[pl->at], pl->law, &frames);
		if(codes && pl->frame < frames)
			return codes + MEDIA_RTP_SAMPLES * pl->frame++;
		pl->at++;
		pl->frame = 0;
	}
	return NULL;
}

void media_play_say(media_play_t *pl, media_prompt_id_t id)
{
	pl->list[0] = id;
	pl->n = 1;
	pl->at = 0;
	pl->frame = 0;
}

void media_play_ask(media_play_t *pl, media_prompt_id_t id)
{
	media_play_say(pl, id);
	pl->quiet = 1;
	pl->first_due = 0;
}

void media_play_last(media_play_t *pl, media_prompt_id_t id)
{
	pl->list[0] = id;
	pl->n = 1;
	pl->at = 0;
	pl->frame = 0;
	pl->last = 1;
}

const uint8_t *media_play_next(media_play_t *pl, int position, int est_wait_s,
		uint64_t now_ns)
{
	const uint8_t *f = from_list(pl);
	size_t frames;

	if(f || pl->last)
		return f;
	if(pl->quiet)
		return pl->silence;
	if(pl->first_due) {
		/* the greeting is over: the first announcement, with today's figures */
		pl->first_due = 0;
		pl->n = pl->at = 0;
		pl->frame = 0;
		if(announce(pl, position, est_wait_s, 1) && (f = from_list(pl)) != NULL)
			return f;
	}
	if(pl->n) {
		/* the list just ended: music until the next announcement */
		pl->n = pl->at = 0;
		pl->next_ns = now_ns + pl->interval_ns;
	} else if(pl->interval_ns && now_ns >= pl->next_ns) {
		pl->next_ns = now_ns + pl->interval_ns;
		if(announce(pl, position, est_wait_s, 0) && (f = from_list(pl)) != NULL)
			return f;
		pl->n = pl->at = 0;
	}
	f = media_prompt_frames(pl->p, MP_MUSIC, pl->law, &frames);
	if(f == NULL || frames == 0)
		return pl->silence;
	if(pl->music >= frames)
		pl->music = 0;
	return f + MEDIA_RTP_SAMPLES * pl->music++;
}
