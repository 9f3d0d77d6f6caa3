/*
 * media_say.c - see media_say.h. Every id goes through put(), which counts past max
 * without writing there, so a grammar never checks room itself and the caller learns
 * "does not fit" once, at the end.
 */
#include <stddef.h>
#include <string.h>

#include "media_say.h"

_Static_assert(MP_DIGIT_9 == MP_DIGIT_0 + 9 && MP_NINETEEN == MP_ELEVEN + 8
					   && MP_NINETY == MP_TWENTY + 7,
		"the digit and word runs of media_prompt_id_t are contiguous");

static const char *const names[MP_COUNT] = {
		[MP_GREETING] = "greeting",
		[MP_MUSIC] = "music",
		[MP_POS_PRE] = "pos_pre",
		[MP_POS_POST] = "pos_post",
		[MP_WAIT_PRE] = "wait_pre",
		[MP_WAIT_MINUTE] = "wait_minute",
		[MP_WAIT_MINUTES] = "wait_minutes",
		[MP_WAIT_SHORT] = "wait_short",
		[MP_WAIT_OVER] = "wait_over",
		[MP_CALLBACK_OFFER] = "callback_offer",
		[MP_CALLBACK_OK] = "callback_ok",
		[MP_CLOSED] = "closed",
		[MP_SLA3] = "sla3",
		[MP_SURVEY_ASK] = "survey_ask",
		[MP_SURVEY_THANKS] = "survey_thanks",
		[MP_SURVEY_NPS] = "survey_nps",
		[MP_DIGIT_0 + 0] = "digit_0",
		[MP_DIGIT_0 + 1] = "digit_1",
		[MP_DIGIT_0 + 2] = "digit_2",
		[MP_DIGIT_0 + 3] = "digit_3",
		[MP_DIGIT_0 + 4] = "digit_4",
		[MP_DIGIT_0 + 5] = "digit_5",
		[MP_DIGIT_0 + 6] = "digit_6",
		[MP_DIGIT_0 + 7] = "digit_7",
		[MP_DIGIT_0 + 8] = "digit_8",
		[MP_DIGIT_0 + 9] = "digit_9",
		[MP_TEN] = "ten",
		[MP_HUNDRED] = "hundred",
		[MP_THOUSAND] = "thousand",
		[MP_TEN_THOUSAND] = "ten_thousand",
		[MP_TWO_ALT] = "two_alt",
		[MP_ELEVEN + 0] = "eleven",
		[MP_ELEVEN + 1] = "twelve",
		[MP_ELEVEN + 2] = "thirteen",
		[MP_ELEVEN + 3] = "fourteen",
		[MP_ELEVEN + 4] = "fifteen",
		[MP_ELEVEN + 5] = "sixteen",
		[MP_ELEVEN + 6] = "seventeen",
		[MP_ELEVEN + 7] = "eighteen",
		[MP_ELEVEN + 8] = "nineteen",
		[MP_TWENTY + 0] = "twenty",
		[MP_TWENTY + 1] = "thirty",
		[MP_TWENTY + 2] = "forty",
		[MP_TWENTY + 3] = "fifty",
		[MP_TWENTY + 4] = "sixty",
		[MP_TWENTY + 5] = "seventy",
		[MP_TWENTY + 6] = "eighty",
		[MP_TWENTY + 7] = "ninety",
		[MP_AND] = "and",
};

#define R MEDIA_PROMPT_REQUIRED
#define O MEDIA_PROMPT_OPTIONAL
#define U MEDIA_PROMPT_UNUSED

/* the prompts that are not words of numbers: {zh, en} */
static const unsigned char phrase_need[MP_DIGIT_0][MEDIA_LANG_COUNT] = {
		[MP_GREETING] = {R, R},
		[MP_MUSIC] = {O, O},
		[MP_POS_PRE] = {R, R},
		[MP_POS_POST] = {R, R},
		[MP_WAIT_PRE] = {R, R},
		[MP_WAIT_MINUTE] = {U, R},
		[MP_WAIT_MINUTES] = {R, R},
		[MP_WAIT_SHORT] = {R, R},
		[MP_WAIT_OVER] = {R, R},
		[MP_CALLBACK_OFFER] = {O, O},
		[MP_CALLBACK_OK] = {O, O},
		[MP_CLOSED] = {O, O},
		[MP_SLA3] = {O, O},
		[MP_SURVEY_ASK] = {O, O},
		[MP_SURVEY_THANKS] = {O, O},
		[MP_SURVEY_NPS] = {O, O},
};

static int word_need(int lang, int id)
{
	if(id <= MP_DIGIT_9 || id == MP_TEN || id == MP_HUNDRED || id == MP_THOUSAND)
		return R;
	if(id == MP_TEN_THOUSAND || id == MP_TWO_ALT)
		return lang == MEDIA_LANG_ZH ? R : U;
	if(id == MP_AND)
		return lang == MEDIA_LANG_EN ? O : U;
	return lang == MEDIA_LANG_EN ? R : U; /* eleven .. ninety */
}

#undef R
#undef O
#undef U

int media_lang_by_name(const char *name)
{
	if(name == NULL)
		return -1;
	if(strcmp(name, "zh") == 0)
		return MEDIA_LANG_ZH;
	if(strcmp(name, "en") == 0)
		return MEDIA_LANG_EN;
	return -1;
}

const char *media_lang_name(int lang)
{
	return lang == MEDIA_LANG_ZH ? "zh" : lang == MEDIA_LANG_EN ? "en" : NULL;
}

const char *media_prompt_name(int id)
{
	return id >= 0 && id < MP_COUNT ? names[id] : NULL;
}

int media_prompt_need(int lang, int id)
{
	if(lang < 0 || lang >= MEDIA_LANG_COUNT || id < 0 || id >= MP_COUNT)
		return MEDIA_PROMPT_UNUSED;
	if(id < MP_DIGIT_0)
		return phrase_need[id][lang];
	return word_need(lang, id);
}

typedef struct say {
	media_prompt_id_t *out;
	int max, n;
} say_t;

static void put(say_t *s, media_prompt_id_t id)
{
	if(s->n < s->max)
		s->out[s->n] = id;
	s->n++;
}

static int said(const say_t *s)
{
	return s->n <= s->max ? s->n : -1;
}

static media_prompt_id_t digit(unsigned d)
{
	return (media_prompt_id_t)(MP_DIGIT_0 + (int)d);
}

/*
 * zh: one group of 1..9999 (the part before 万, or after it). `lead`: the group begins
 * the number (十 for a leading 1 of the tens); `liang`: a lone 2 is 两 (before 万, or a
 * count). Zeros between non-zero digits become one 零.
 */
static void zh_group(say_t *s, unsigned g, int lead, int liang)
{
	static const media_prompt_id_t unit[4] = {MP_COUNT, MP_TEN, MP_HUNDRED, MP_THOUSAND};
	unsigned d[4] = {g % 10, g / 10 % 10, g / 100 % 10, g / 1000};
	int i, started = 0, zero = 0;

	for(i = 3; i >= 0; i--) {
		if(d[i] == 0) {
			zero = started;
			continue;
		}
		if(zero)
			put(s, MP_DIGIT_0);
		zero = 0;
		if(d[i] == 2 && (i >= 2 || (i == 0 && liang && g == 2)))
			put(s, MP_TWO_ALT);
		else if(!(i == 1 && d[i] == 1 && lead && !started))
			put(s, digit(d[i]));
		if(i > 0)
			put(s, unit[i]);
		started = 1;
	}
}

static int zh_number(say_t *s, unsigned n, int count)
{
	unsigned high = n / 10000, low = n % 10000;

	if(n > 99999999u)
		return -1;
	if(n == 0) {
		put(s, MP_DIGIT_0);
		return 0;
	}
	if(high) {
		zh_group(s, high, 1, 1);
		put(s, MP_TEN_THOUSAND);
		if(low && low < 1000)
			put(s, MP_DIGIT_0);
	}
	if(low)
		zh_group(s, low, high == 0, count && high == 0);
	return 0;
}

/* en: 1..99 */
static void en_tens(say_t *s, unsigned r)
{
	if(r < 10)
		put(s, digit(r));
	else if(r == 10)
		put(s, MP_TEN);
	else if(r < 20)
		put(s, (media_prompt_id_t)(MP_ELEVEN + (int)(r - 11)));
	else {
		put(s, (media_prompt_id_t)(MP_TWENTY + (int)(r / 10 - 2)));
		if(r % 10)
			put(s, digit(r % 10));
	}
}

/* en: 1..999, "and" between the hundreds and the rest */
static void en_hundreds(say_t *s, unsigned h)
{
	if(h >= 100) {
		put(s, digit(h / 100));
		put(s, MP_HUNDRED);
		if(h % 100)
			put(s, MP_AND);
	}
	if(h % 100)
		en_tens(s, h % 100);
}

static int en_number(say_t *s, unsigned n)
{
	unsigned rest = n % 1000;

	if(n > 999999u)
		return -1;
	if(n == 0) {
		put(s, MP_DIGIT_0);
		return 0;
	}
	if(n >= 1000) {
		en_hundreds(s, n / 1000);
		put(s, MP_THOUSAND);
		if(rest && rest < 100)
			put(s, MP_AND); /* one thousand and five */
	}
	if(rest)
		en_hundreds(s, rest);
	return 0;
}

static int say_number(say_t *s, int lang, unsigned n, int count)
{
	if(lang == MEDIA_LANG_ZH)
		return zh_number(s, n, count);
	if(lang == MEDIA_LANG_EN)
		return en_number(s, n);
	return -1;
}

static int say_into(int lang, unsigned n, int count, media_prompt_id_t *out, int max)
{
	say_t s = {out, max, 0};

	if(say_number(&s, lang, n, count) < 0)
		return -1;
	return said(&s);
}

int media_say_number(int lang, unsigned n, media_prompt_id_t *out, int max)
{
	return say_into(lang, n, 0, out, max);
}

int media_say_count(int lang, unsigned n, media_prompt_id_t *out, int max)
{
	return say_into(lang, n, 1, out, max);
}

/* the wait part; est_wait_s >= 0 */
static void say_wait(say_t *s, int lang, int est_wait_s)
{
	unsigned minutes = (unsigned)(est_wait_s / 60 + (est_wait_s % 60 != 0));

	put(s, MP_WAIT_PRE);
	if(est_wait_s < 60) {
		put(s, MP_WAIT_SHORT);
		return;
	}
	if(minutes > MEDIA_SAY_WAIT_CAP_MIN) {
		put(s, MP_WAIT_OVER);
		minutes = MEDIA_SAY_WAIT_CAP_MIN;
	}
	say_number(s, lang, minutes, 1); /* within both languages' range */
	put(s, lang == MEDIA_LANG_EN && minutes == 1 ? MP_WAIT_MINUTE : MP_WAIT_MINUTES);
}

int media_say_announcement(int lang, int position, int est_wait_s, media_prompt_id_t *out,
		int max)
{
	say_t s = {out, max, 0};

	if(media_lang_name(lang) == NULL)
		return -1;
	if(position > 0) {
		put(&s, MP_POS_PRE);
		if(say_number(&s, lang, (unsigned)position, 0) < 0)
			return -1;
		put(&s, MP_POS_POST);
	}
	if(est_wait_s >= 0)
		say_wait(&s, lang, est_wait_s);
	return said(&s);
}
