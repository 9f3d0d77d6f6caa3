/*
 * media_play.h - what a queued caller hears, 20 ms at a time: the greeting, the caller's
 * place and expected wait, then music (or silence) until the next announcement is due.
 *
 * The next announcement is made every `interval` when what it would say has changed (the
 * caller moved up, the wait rounds to other minutes): a caller hears news, not the same
 * sentence every half minute. The words are media_say_announcement's, so "changed" is
 * "would be spoken differently". A prompt the directory does not hold is skipped; music
 * continues where it stopped (a caller does not hear its first bars again and again), and
 * without music.wav the caller hears silence - still sent every 20 ms, so that the phone's
 * jitter buffer and the NAT binding of the caller's router stay alive.
 *
 * Pure C, no Kamailio, no allocation: a media process keeps one per stream.
 */
#ifndef OMNIQ_MEDIA_PLAY_H
#define OMNIQ_MEDIA_PLAY_H

#include <stddef.h>
#include <stdint.h>

#include "media_prompts.h"
#include "media_say.h"

#define MEDIA_PLAY_LIST_MAX (MEDIA_SAY_MAX + 3) /* greeting, words, callback offer */

typedef struct media_play {
	const media_prompts_t *p;
	int law;
	uint64_t interval_ns;
	media_prompt_id_t list[MEDIA_PLAY_LIST_MAX]; /* what is being said */
	int n, at;           /* its length; the prompt being played */
	size_t frame;        /* the next frame of list[at] */
	size_t music;        /* the next frame of the music */
	uint64_t next_ns;    /* when the next announcement is due (while the music plays) */
	media_prompt_id_t said[MEDIA_SAY_MAX]; /* the last announcement's words */
	int nsaid;
	uint8_t silence[MEDIA_RTP_SAMPLES];
	unsigned long announcements;  /* made so far */
	int offer_callback;  /* each announcement ends with "press 1 for a callback" */
	int last;            /* the list is the last thing said: then the stream is over */
	int first_due;       /* the first announcement follows the greeting, with the figures
	                      * known then */
	int quiet;           /* media_play_ask: silence after what is said, no music, no
	                      * announcements */
} media_play_t;

/* Starts the greeting; the first announcement follows it, made from the position and
 * wait media_play_next is given then (as media_say_announcement takes them: <= 0 / < 0
 * leave a part out; position/est_wait_s here are used when there is no greeting);
 * offer_callback: every announcement ends with MP_CALLBACK_OFFER (when the directory has
 * it). */
void media_play_init(media_play_t *pl, const media_prompts_t *p, int law, int interval_s,
		int position, int est_wait_s, int offer_callback, uint64_t now_ns);

/* Says id now, cutting off what plays (an apology when the wait is far too long); then the
 * music, and announcements as before. */
void media_play_say(media_play_t *pl, media_prompt_id_t id);

/* Says id now, cutting off what plays; once it is said, media_play_next answers NULL:
 * the stream is over (a confirmation before the call ends). */
void media_play_last(media_play_t *pl, media_prompt_id_t id);

/* Says id now, cutting off what plays, then silence - no music, no announcements - while
 * the caller answers on the keypad (a survey's question); again to ask again. */
void media_play_ask(media_play_t *pl, media_prompt_id_t id);

/* The next frame (MEDIA_RTP_SAMPLES codes): a prompt's, the music's or silence; NULL once
 * media_play_last's prompt is over. position and est_wait_s are the latest known; they are
 * read when an announcement is due. */
const uint8_t *media_play_next(media_play_t *pl, int position, int est_wait_s,
		uint64_t now_ns);

#endif
