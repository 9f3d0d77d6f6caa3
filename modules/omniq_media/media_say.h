/*
 * media_say.h - what a queued caller is told, as a sequence of prompt ids, in Chinese (zh)
 * and English (en): the ids, the file each is recorded in, which of them a language needs,
 * numbers spoken by each language's grammar, and the position/wait announcement.
 *
 * Why ids and not sentences: a media process plays recorded words one after another
 * (media_prompts.h holds them, encoded once per law), so "您排在第二十二位" is
 * POS_PRE, DIGIT_2, TEN, DIGIT_2, POS_POST. The same ids serve both languages: MP_TEN is
 * "十" in the zh directory and "ten" in the en one; a word a language never uses (zh has no
 * "eleven", en no "万") is simply not required of it.
 *
 * Chinese numbers (0 .. 99,999,999, grouped by 万; 亿 is not needed for a queue):
 *  - 十 not 一十 when it leads the number: 10 十, 15 十五, 100000 十万; inside it keeps its
 *    一: 110 一百一十, 1010 一千零一十;
 *  - one 零 for a run of zeros between non-zero digits (101 一百零一, 1001 一千零一,
 *    10010 一万零一十), and before a 万-group's remainder under 1000 (20300 两万零三百);
 *  - 两 for a 2 before 百, 千 and 万 (200 两百, 2000 两千, 20000 两万, 22000 两万两千),
 *    二 before 十 and at the end (22 二十二, 102 一百零二, 200000 二十万);
 *  - a lone 2 is 二 as a number ("第二位") but 两 as a count before a measure word
 *    ("两分钟"): media_say_count. 零 is DIGIT_0, the same recording as a digit.
 *
 * English numbers (0 .. 999,999): 13 thirteen, 21 twenty one, 105 one hundred and five,
 * 1005 one thousand and five, 1205 one thousand two hundred and five: British "and". The
 * "and" prompt is optional: a directory without and.wav speaks American English ("one
 * hundred five"), since the player skips an absent prompt. That is the flag.
 *
 * Pure C, no Kamailio, no allocation: outputs go to the caller's array, never past max.
 */
#ifndef OMNIQ_MEDIA_SAY_H
#define OMNIQ_MEDIA_SAY_H

enum media_lang { MEDIA_LANG_ZH = 0, MEDIA_LANG_EN = 1, MEDIA_LANG_COUNT };

/* The file of each id is <basename>.wav, basenames in brackets. */
typedef enum media_prompt_id {
	MP_GREETING,	   /* [greeting] first thing the caller hears */
	MP_MUSIC,		   /* [music] between announcements; optional: silence */
	MP_POS_PRE,		   /* [pos_pre] "您排在第" / "You are number" */
	MP_POS_POST,	   /* [pos_post] "位" / "in the queue" */
	MP_WAIT_PRE,	   /* [wait_pre] "预计等待" / "The estimated wait is" */
	MP_WAIT_MINUTE,	   /* [wait_minute] en "minute" (1 minute); zh has no plural */
	MP_WAIT_MINUTES,   /* [wait_minutes] "分钟" / "minutes" */
	MP_WAIT_SHORT,	   /* [wait_short] "不到一分钟" / "less than a minute" */
	MP_WAIT_OVER,	   /* [wait_over] "超过" / "more than": a wait past the cap */
	MP_CALLBACK_OFFER, /* [callback_offer] "press 1 for a callback"; optional */
	MP_CALLBACK_OK,	   /* [callback_ok] "we will call you back, goodbye"; optional */
	MP_CLOSED,		   /* [closed] outside business hours; optional */
	MP_SLA3,		   /* [sla3] apology for a wait far too long; optional */
	MP_SURVEY_ASK,	   /* [survey_ask] after the agent hangs up: "rate us 1 to 5 on your
	                    * keypad"; optional (without it no call is surveyed by voice) */
	MP_SURVEY_THANKS,  /* [survey_thanks] after the key; optional */
	MP_SURVEY_NPS,	   /* [survey_nps] "how likely are you to recommend us, 0 to 10: for 10
	                    * press 1 then 0"; optional (without it no NPS is asked by voice) */
	MP_DIGIT_0,		   /* [digit_0 .. digit_9] 零..九 / zero..nine */
	MP_DIGIT_9 = MP_DIGIT_0 + 9,
	MP_TEN,			   /* [ten] 十 / ten */
	MP_HUNDRED,		   /* [hundred] 百 / hundred */
	MP_THOUSAND,	   /* [thousand] 千 / thousand */
	MP_TEN_THOUSAND,   /* [ten_thousand] zh 万 */
	MP_TWO_ALT,		   /* [two_alt] zh 两 */
	MP_ELEVEN,		   /* [eleven .. nineteen] en */
	MP_NINETEEN = MP_ELEVEN + 8,
	MP_TWENTY,		   /* [twenty, thirty .. ninety] en */
	MP_NINETY = MP_TWENTY + 7,
	MP_AND,			   /* [and] en "and" after hundred/thousand; optional: American */
	MP_COUNT
} media_prompt_id_t;

/* What a language asks of a prompt. */
enum media_prompt_need {
	MEDIA_PROMPT_UNUSED = 0, /* the language never says it: not loaded */
	MEDIA_PROMPT_OPTIONAL,	 /* absent: the player skips it (music: silence) */
	MEDIA_PROMPT_REQUIRED	 /* absent: the directory is refused */
};

/* the longest number either language says (zh 11,111,111 takes 15, en 121,121 11) */
#define MEDIA_SAY_NUMBER_MAX 20
/* the longest announcement: position and capped wait */
#define MEDIA_SAY_MAX (MEDIA_SAY_NUMBER_MAX + 8)
/* a wait of more minutes is said "more than 60 minutes": an estimate that far out is
 * noise, and a precise "347 minutes" would promise what nobody knows */
#define MEDIA_SAY_WAIT_CAP_MIN 60

/* "zh" or "en" as MEDIA_LANG_*, or -1. */
int media_lang_by_name(const char *name);

/* "zh", "en", or NULL for another value. */
const char *media_lang_name(int lang);

/* The base name of id's file ("digit_3", without .wav), or NULL outside 0..MP_COUNT-1. */
const char *media_prompt_name(int id);

/* MEDIA_PROMPT_* for id in lang; MEDIA_PROMPT_UNUSED for an unknown lang or id. */
int media_prompt_need(int lang, int id);

/* n spoken in lang into out (max ids): how many, or -1 when they do not fit, n is beyond
 * what lang says (zh 99,999,999, en 999,999) or lang is unknown. */
int media_say_number(int lang, unsigned n, media_prompt_id_t *out, int max);

/* As media_say_number, for a count before a measure word: zh says a lone 2 as 两 ("两分钟");
 * the same as media_say_number otherwise and in en. */
int media_say_count(int lang, unsigned n, media_prompt_id_t *out, int max);

/*
 * The periodic announcement into out (max ids): how many, or -1 when they do not fit, the
 * position cannot be said in lang, or lang is unknown.
 *   position > 0:    POS_PRE, number, POS_POST ("您排在第" 三 "位"); <= 0: left out
 *   est_wait_s < 0:  unknown, the wait is left out;
 *   0 .. 59 s:       WAIT_PRE, WAIT_SHORT ("预计等待" "不到一分钟")
 *   60 s and more:   WAIT_PRE, count of minutes, WAIT_MINUTES (en WAIT_MINUTE for 1)
 *   over the cap:    WAIT_PRE, WAIT_OVER, count(MEDIA_SAY_WAIT_CAP_MIN), WAIT_MINUTES
 * Minutes are rounded UP (60 s is 1 minute, 61 s is 2): a caller told two minutes who
 * waits one and a half is pleased, one told one who waits one and a half is not. Both
 * parts left out: 0.
 */
int media_say_announcement(int lang, int position, int est_wait_s, media_prompt_id_t *out,
		int max);

#endif
