/*
 * test_media_play.c - what a queued caller hears, frame by frame (media_play.c): the
 * greeting, the announcement and the callback offer, music that continues where it
 * stopped, announcements only when their words change, absent prompts skipped, silence
 * without music, and the last words before the stream ends.
 *
 * The prompts are made here in memory: every frame of prompt id holds the byte id + 1
 * and its frame index, so a frame tells which prompt and which frame it is.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include <stdarg.h>
#include <stdio.h>

#include "../../modules/omniq_media/media_g711.h"
#include "../../modules/omniq_media/media_play.h"

#define S 1000000000ULL

static media_prompts_t P;

/* prompt id, frames long (0: absent) */
static void put(media_prompt_id_t id, size_t frames)
{
	size_t i;

	if(P.p[id].code[0])
		free(P.p[id].code[0]);
	P.p[id].code[0] = P.p[id].code[1] = NULL;
	P.p[id].frames = frames;
	if(frames == 0)
		return;
	P.p[id].code[0] = malloc(2 * frames * MEDIA_RTP_SAMPLES);
	P.p[id].code[1] = P.p[id].code[0] + frames * MEDIA_RTP_SAMPLES;
	for(i = 0; i < 2 * frames; i++) {
		uint8_t *f = P.p[id].code[0] + i * MEDIA_RTP_SAMPLES;
		memset(f, id + 1, MEDIA_RTP_SAMPLES);
		f[1] = (uint8_t)(i % frames);
	}
}

static void setup(void)
{
	int id;

	memset(&P, 0, sizeof(P));
	P.lang = MEDIA_LANG_ZH;
	for(id = 0; id < MP_COUNT; id++)
		put(id, 1);
	put(MP_GREETING, 2);
	put(MP_MUSIC, 3);
}

static void teardown(void)
{
	int id;

	for(id = 0; id < MP_COUNT; id++)
		free(P.p[id].code[0]);
	memset(&P, 0, sizeof(P));
}

/* n frames as "id:frame id:frame ..." ('s' for silence) */
static const char *heard(media_play_t *pl, int n, int pos, int wait, uint64_t *now)
{
	static char out[2048];
	int k, len = 0;

	out[0] = '\0';
	for(k = 0; k < n; k++) {
		const uint8_t *f = media_play_next(pl, pos, wait, *now);
		*now += 20000000ULL;
		if(f == NULL)
			len += snprintf(out + len, sizeof(out) - len, "%sEND", k ? " " : "");
		else if(f == pl->silence)
			len += snprintf(out + len, sizeof(out) - len, "%ss", k ? " " : "");
		else
			len += snprintf(out + len, sizeof(out) - len, "%s%d:%d", k ? " " : "", f[0] - 1,
					f[1]);
		if(f == NULL)
			break;
	}
	return out;
}

static char *ids(const char *fmt, ...)
{
	static char out[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, sizeof(out), fmt, ap);
	va_end(ap);
	return out;
}

TEST(play_greeting_announcement_offer_then_music)
{
	media_play_t pl;
	uint64_t now = 5 * S;

	setup();
	media_play_init(&pl, &P, MEDIA_ULAW, 30, 2, 90, 1, now);
	/* 您排在第 二 位 预计等待 两 分钟 (90 s is two minutes, rounded up) 按一回电, music */
	CHECK_EQ_STR(heard(&pl, 14, 2, 90, &now),
			ids("%d:0 %d:1 %d:0 %d:0 %d:0 %d:0 %d:0 %d:0 %d:0 %d:0 %d:1 %d:2 %d:0 %d:1",
					MP_GREETING, MP_GREETING, MP_POS_PRE, MP_DIGIT_0 + 2, MP_POS_POST,
					MP_WAIT_PRE, MP_TWO_ALT, MP_WAIT_MINUTES, MP_CALLBACK_OFFER, MP_MUSIC,
					MP_MUSIC, MP_MUSIC, MP_MUSIC, MP_MUSIC));
	CHECK_EQ_INT((int)pl.announcements, 1);
	teardown();
}

TEST(play_announces_again_only_when_the_words_change)
{
	media_play_t pl;
	uint64_t now = 0;
	char first[2048];

	setup();
	put(MP_GREETING, 0); /* absent: skipped */
	media_play_init(&pl, &P, MEDIA_ALAW, 1, 3, -1, 0, now);
	snprintf(first, sizeof(first), "%s", heard(&pl, 4, 3, -1, &now));
	CHECK_EQ_STR(first, ids("%d:0 %d:0 %d:0 %d:0", MP_POS_PRE, MP_DIGIT_0 + 3, MP_POS_POST,
								MP_MUSIC));
	/* a second of music later, the same place: the music goes on, no words */
	heard(&pl, 49, 3, -1, &now);
	CHECK_EQ_STR(heard(&pl, 2, 3, -1, &now), ids("%d:2 %d:0", MP_MUSIC, MP_MUSIC));
	CHECK_EQ_INT((int)pl.announcements, 1);
	/* moved up to 2: said at the next interval's end, then the music where it stopped */
	{
		int k, said = 0;
		const char *h = NULL;
		for(k = 0; k < 60 && !said; k++) {
			h = heard(&pl, 1, 2, -1, &now);
			said = strcmp(h, ids("%d:0", MP_POS_PRE)) == 0;
		}
		CHECK_MSG(said, "no announcement within 1.2 s of the change");
		CHECK_EQ_STR(heard(&pl, 2, 2, -1, &now), ids("%d:0 %d:0", MP_DIGIT_0 + 2, MP_POS_POST));
		CHECK_EQ_INT((int)pl.announcements, 2);
	}
	teardown();
}

TEST(play_silence_without_music_and_no_callback_offer_when_off)
{
	media_play_t pl;
	uint64_t now = 0;

	setup();
	put(MP_MUSIC, 0);
	media_play_init(&pl, &P, MEDIA_ULAW, 30, 0, -1, 0, now);
	/* no place, no wait known: the greeting, then silence (still a frame every 20 ms) */
	CHECK_EQ_STR(heard(&pl, 4, 0, -1, &now), ids("%d:0 %d:1 s s", MP_GREETING, MP_GREETING));
	CHECK_EQ_INT(pl.silence[0], media_prompt_silence(MEDIA_ULAW));
	teardown();
}

TEST(play_last_words_cut_in_then_the_stream_is_over)
{
	media_play_t pl;
	uint64_t now = 0;

	setup();
	put(MP_CALLBACK_OK, 2);
	media_play_init(&pl, &P, MEDIA_ULAW, 30, 1, 30, 1, now);
	heard(&pl, 1, 1, 30, &now); /* the greeting's first frame */
	media_play_last(&pl, MP_CALLBACK_OK);
	CHECK_EQ_STR(heard(&pl, 4, 1, 30, &now),
			ids("%d:0 %d:1 END", MP_CALLBACK_OK, MP_CALLBACK_OK));
	/* absent last words: over at once */
	put(MP_CALLBACK_OK, 0);
	media_play_init(&pl, &P, MEDIA_ULAW, 30, 1, 30, 1, now);
	media_play_last(&pl, MP_CALLBACK_OK);
	CHECK_EQ_STR(heard(&pl, 1, 1, 30, &now), "END");
	teardown();
}

TEST(play_ask_then_silence_until_the_answer_then_the_last_words)
{
	media_play_t pl;
	uint64_t now = 0;

	setup();
	put(MP_SURVEY_ASK, 2);
	/* a survey's stream: the question at once (no greeting), then silence - no music, no
	 * announcement even long past the interval - until it is asked again or thanked */
	media_play_init(&pl, &P, MEDIA_ULAW, 1, 1, 30, 1, now);
	media_play_ask(&pl, MP_SURVEY_ASK);
	CHECK_EQ_STR(heard(&pl, 4, 1, 30, &now), ids("%d:0 %d:1 s s", MP_SURVEY_ASK, MP_SURVEY_ASK));
	now += 5 * S;
	CHECK_EQ_STR(heard(&pl, 2, 1, 30, &now), "s s");
	media_play_ask(&pl, MP_SURVEY_ASK);
	CHECK_EQ_STR(heard(&pl, 3, 1, 30, &now), ids("%d:0 %d:1 s", MP_SURVEY_ASK, MP_SURVEY_ASK));
	media_play_last(&pl, MP_SURVEY_THANKS);
	CHECK_EQ_STR(heard(&pl, 3, 1, 30, &now), ids("%d:0 END", MP_SURVEY_THANKS));
	teardown();
}

UNIT_MAIN()
