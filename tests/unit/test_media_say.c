/*
 * test_media_say.c - what a queued caller is told (omniq_media media_say.c): Chinese and
 * English numbers as sequences of prompt ids, read back as words (二 十 二, "twenty one")
 * so that a table says what a caller hears; the announcement of position and wait with its
 * rounding and cap; the file names and what each language requires.
 */
#include <limits.h>

#include "unit.h"
#include "../../modules/omniq_media/media_say.h"

static const char *const zh_words[MP_COUNT] = {
		[MP_GREETING] = "<greeting>",
		[MP_MUSIC] = "<music>",
		[MP_POS_PRE] = "您排在第",
		[MP_POS_POST] = "位",
		[MP_WAIT_PRE] = "预计等待",
		[MP_WAIT_MINUTES] = "分钟",
		[MP_WAIT_SHORT] = "不到一分钟",
		[MP_WAIT_OVER] = "超过",
		[MP_DIGIT_0] = "零", "一", "二", "三", "四", "五", "六", "七", "八", "九",
		[MP_TEN] = "十",
		[MP_HUNDRED] = "百",
		[MP_THOUSAND] = "千",
		[MP_TEN_THOUSAND] = "万",
		[MP_TWO_ALT] = "两",
};

static const char *const en_words[MP_COUNT] = {
		[MP_POS_PRE] = "you are number",
		[MP_POS_POST] = "in the queue",
		[MP_WAIT_PRE] = "the wait is",
		[MP_WAIT_MINUTE] = "minute",
		[MP_WAIT_MINUTES] = "minutes",
		[MP_WAIT_SHORT] = "less than a minute",
		[MP_WAIT_OVER] = "more than",
		[MP_DIGIT_0] = "zero", "one", "two", "three", "four", "five", "six", "seven",
		"eight", "nine",
		[MP_TEN] = "ten",
		[MP_HUNDRED] = "hundred",
		[MP_THOUSAND] = "thousand",
		[MP_ELEVEN] = "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
		"seventeen", "eighteen", "nineteen",
		[MP_TWENTY] = "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
		"ninety",
		[MP_AND] = "and",
};

/* ids as words of lang, separated by spaces; "?<id>" for an id the language never says */
static const char *words(int lang, const media_prompt_id_t *ids, int n)
{
	static char buf[1024];
	const char *const *w = lang == MEDIA_LANG_ZH ? zh_words : en_words;
	size_t at = 0;
	int i;

	buf[0] = '\0';
	if(n < 0)
		return "(-1)";
	for(i = 0; i < n && at < sizeof buf; i++) {
		if(ids[i] < MP_COUNT && w[ids[i]])
			at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", i ? " " : "",
					w[ids[i]]);
		else
			at += (size_t)snprintf(buf + at, sizeof buf - at, "%s?%d", i ? " " : "",
					(int)ids[i]);
	}
	return buf;
}

static media_prompt_id_t ids[64];

static const char *number(int lang, unsigned n)
{
	return words(lang, ids, media_say_number(lang, n, ids, 64));
}

static const char *count(int lang, unsigned n)
{
	return words(lang, ids, media_say_count(lang, n, ids, 64));
}

static const char *announce(int lang, int pos, int wait)
{
	return words(lang, ids, media_say_announcement(lang, pos, wait, ids, 64));
}

static const struct {
	unsigned n;
	const char *said;
} zh_table[] = {
		{0, "零"},
		{1, "一"},
		{2, "二"},
		{9, "九"},
		{10, "十"},
		{11, "十 一"},
		{12, "十 二"},
		{19, "十 九"},
		{20, "二 十"},
		{22, "二 十 二"},
		{99, "九 十 九"},
		{100, "一 百"},
		{101, "一 百 零 一"},
		{102, "一 百 零 二"},
		{110, "一 百 一 十"},
		{111, "一 百 一 十 一"},
		{120, "一 百 二 十"},
		{200, "两 百"},
		{222, "两 百 二 十 二"},
		{999, "九 百 九 十 九"},
		{1000, "一 千"},
		{1001, "一 千 零 一"},
		{1010, "一 千 零 一 十"},
		{1100, "一 千 一 百"},
		{1200, "一 千 两 百"},
		{2000, "两 千"},
		{2002, "两 千 零 二"},
		{2020, "两 千 零 二 十"},
		{2222, "两 千 两 百 二 十 二"},
		{9999, "九 千 九 百 九 十 九"},
		{10000, "一 万"},
		{10001, "一 万 零 一"},
		{10010, "一 万 零 一 十"},
		{10100, "一 万 零 一 百"},
		{11000, "一 万 一 千"},
		{12000, "一 万 两 千"},
		{20000, "两 万"},
		{20300, "两 万 零 三 百"},
		{22000, "两 万 两 千"},
		{100000, "十 万"},
		{100010, "十 万 零 一 十"},
		{110000, "十 一 万"},
		{120000, "十 二 万"},
		{200000, "二 十 万"},
		{220000, "二 十 二 万"},
		{1000000, "一 百 万"},
		{2000000, "两 百 万"},
		{10000000, "一 千 万"},
		{10000001, "一 千 万 零 一"},
		{20000000, "两 千 万"},
		{10101010, "一 千 零 一 十 万 一 千 零 一 十"},
		{99999999, "九 千 九 百 九 十 九 万 九 千 九 百 九 十 九"},
};

static const struct {
	unsigned n;
	const char *said;
} en_table[] = {
		{0, "zero"},
		{1, "one"},
		{9, "nine"},
		{10, "ten"},
		{11, "eleven"},
		{13, "thirteen"},
		{19, "nineteen"},
		{20, "twenty"},
		{21, "twenty one"},
		{40, "forty"},
		{99, "ninety nine"},
		{100, "one hundred"},
		{105, "one hundred and five"},
		{110, "one hundred and ten"},
		{115, "one hundred and fifteen"},
		{999, "nine hundred and ninety nine"},
		{1000, "one thousand"},
		{1005, "one thousand and five"},
		{1050, "one thousand and fifty"},
		{1100, "one thousand one hundred"},
		{1205, "one thousand two hundred and five"},
		{10000, "ten thousand"},
		{12345, "twelve thousand three hundred and forty five"},
		{100000, "one hundred thousand"},
		{100001, "one hundred thousand and one"},
		{999999, "nine hundred and ninety nine thousand nine hundred and ninety nine"},
};

TEST(say_zh_numbers)
{
	size_t i;

	for(i = 0; i < sizeof zh_table / sizeof zh_table[0]; i++)
		CHECK_MSG(strcmp(number(MEDIA_LANG_ZH, zh_table[i].n), zh_table[i].said) == 0,
				"%u said \"%s\", expected \"%s\"", zh_table[i].n,
				number(MEDIA_LANG_ZH, zh_table[i].n), zh_table[i].said);
}

TEST(say_zh_counts_say_a_lone_two_as_liang)
{
	CHECK_EQ_STR(count(MEDIA_LANG_ZH, 2), "两");
	CHECK_EQ_STR(number(MEDIA_LANG_ZH, 2), "二");
	CHECK_EQ_STR(count(MEDIA_LANG_ZH, 12), "十 二");
	CHECK_EQ_STR(count(MEDIA_LANG_ZH, 22), "二 十 二");
	CHECK_EQ_STR(count(MEDIA_LANG_ZH, 102), "一 百 零 二");
	CHECK_EQ_STR(count(MEDIA_LANG_ZH, 20002), "两 万 零 二");
	CHECK_EQ_STR(count(MEDIA_LANG_ZH, 10), "十");
	CHECK_EQ_STR(count(MEDIA_LANG_EN, 2), "two");
}

TEST(say_en_numbers)
{
	size_t i;

	for(i = 0; i < sizeof en_table / sizeof en_table[0]; i++)
		CHECK_MSG(strcmp(number(MEDIA_LANG_EN, en_table[i].n), en_table[i].said) == 0,
				"%u said \"%s\", expected \"%s\"", en_table[i].n,
				number(MEDIA_LANG_EN, en_table[i].n), en_table[i].said);
}

TEST(say_numbers_beyond_a_language)
{
	CHECK_EQ_INT(media_say_number(MEDIA_LANG_ZH, 100000000u, ids, 64), -1);
	CHECK_EQ_INT(media_say_number(MEDIA_LANG_ZH, UINT_MAX, ids, 64), -1);
	CHECK_EQ_INT(media_say_number(MEDIA_LANG_EN, 1000000u, ids, 64), -1);
	CHECK_EQ_INT(media_say_number(2, 5, ids, 64), -1);
	CHECK_EQ_INT(media_say_number(-1, 5, ids, 64), -1);
}

/* every number of both ranges, sampled: within MEDIA_SAY_NUMBER_MAX, only its own words */
TEST(say_numbers_fit_the_documented_maximum)
{
	unsigned n, step;
	int lang, k, i, worst[2] = {0, 0}, strangers = 0;

	for(lang = 0; lang < MEDIA_LANG_COUNT; lang++) {
		unsigned top = lang == MEDIA_LANG_ZH ? 99999999u : 999999u;
		for(n = 0, step = 1; n <= top; n += step) {
			k = media_say_number(lang, n, ids, 64);
			if(k > worst[lang])
				worst[lang] = k;
			for(i = 0; i < k; i++)
				strangers += media_prompt_need(lang, ids[i]) == MEDIA_PROMPT_UNUSED;
			step = n < 200000 ? 1 : 97; /* all of the small ones, a sample beyond */
		}
	}
	CHECK_MSG(worst[MEDIA_LANG_ZH] <= MEDIA_SAY_NUMBER_MAX, "zh needs %d",
			worst[MEDIA_LANG_ZH]);
	CHECK_MSG(worst[MEDIA_LANG_EN] <= MEDIA_SAY_NUMBER_MAX, "en needs %d",
			worst[MEDIA_LANG_EN]);
	CHECK_EQ_INT(strangers, 0);
}

TEST(say_does_not_write_past_max)
{
	media_prompt_id_t small[4] = {MP_COUNT, MP_COUNT, MP_COUNT, MP_COUNT};

	/* 一 百 零 一 fits 4 exactly, 一 千 零 一 十 (5) does not */
	CHECK_EQ_INT(media_say_number(MEDIA_LANG_ZH, 101, small, 4), 4);
	CHECK_EQ_INT(media_say_number(MEDIA_LANG_ZH, 1010, small, 3), -1);
	CHECK(small[3] == MP_DIGIT_0 + 1); /* from the 101 above: index 3 untouched */
	CHECK_EQ_INT(media_say_number(MEDIA_LANG_EN, 1205, small, 4), -1);
	CHECK_EQ_INT(media_say_number(MEDIA_LANG_EN, 0, small, 0), -1);
	CHECK_EQ_INT(media_say_number(MEDIA_LANG_EN, 0, NULL, 0), -1);
	CHECK_EQ_INT(media_say_announcement(MEDIA_LANG_ZH, 3, 120, small, 4), -1);
	CHECK_EQ_INT(media_say_announcement(MEDIA_LANG_ZH, 0, -1, NULL, 0), 0);
}

TEST(say_announcement_zh)
{
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 3, 120), "您排在第 三 位 预计等待 两 分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 2, 600), "您排在第 二 位 预计等待 十 分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 22, 59), "您排在第 二 十 二 位 预计等待 不到一分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 1, 0), "您排在第 一 位 预计等待 不到一分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 1, 60), "您排在第 一 位 预计等待 一 分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 1, 61), "您排在第 一 位 预计等待 两 分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 10, -1), "您排在第 十 位");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 0, 1300), "预计等待 二 十 二 分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, -5, 1300), "预计等待 二 十 二 分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 0, -1), "");
}

TEST(say_announcement_en)
{
	CHECK_EQ_STR(announce(MEDIA_LANG_EN, 3, 59),
			"you are number three in the queue the wait is less than a minute");
	CHECK_EQ_STR(announce(MEDIA_LANG_EN, 3, 60),
			"you are number three in the queue the wait is one minute");
	CHECK_EQ_STR(announce(MEDIA_LANG_EN, 3, 61),
			"you are number three in the queue the wait is two minutes");
	CHECK_EQ_STR(announce(MEDIA_LANG_EN, 21, 120),
			"you are number twenty one in the queue the wait is two minutes");
	CHECK_EQ_STR(announce(MEDIA_LANG_EN, 105, -1), "you are number one hundred and five in the queue");
	CHECK_EQ_STR(announce(MEDIA_LANG_EN, 0, 121), "the wait is three minutes");
}

TEST(say_announcement_caps_long_waits)
{
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 0, 3600), "预计等待 六 十 分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_ZH, 0, 3601), "预计等待 超过 六 十 分钟");
	CHECK_EQ_STR(announce(MEDIA_LANG_EN, 0, 3601), "the wait is more than sixty minutes");
	CHECK_EQ_STR(announce(MEDIA_LANG_EN, 0, INT_MAX), "the wait is more than sixty minutes");
	CHECK(media_say_announcement(MEDIA_LANG_ZH, 99999999, INT_MAX, ids, MEDIA_SAY_MAX) > 0);
	CHECK(media_say_announcement(MEDIA_LANG_ZH, 10101010, 3599, ids, MEDIA_SAY_MAX) > 0);
	CHECK(media_say_announcement(MEDIA_LANG_EN, 777777, 3599, ids, MEDIA_SAY_MAX) > 0);
}

TEST(say_announcement_position_out_of_range)
{
	CHECK_EQ_INT(media_say_announcement(MEDIA_LANG_EN, 1000000, 60, ids, 64), -1);
	CHECK(media_say_announcement(MEDIA_LANG_ZH, 1000000, 60, ids, 64) > 0);
	CHECK_EQ_INT(media_say_announcement(7, 1, 60, ids, 64), -1);
}

TEST(say_languages_by_name)
{
	CHECK_EQ_INT(media_lang_by_name("zh"), MEDIA_LANG_ZH);
	CHECK_EQ_INT(media_lang_by_name("en"), MEDIA_LANG_EN);
	CHECK_EQ_INT(media_lang_by_name("EN"), -1);
	CHECK_EQ_INT(media_lang_by_name("zh-CN"), -1);
	CHECK_EQ_INT(media_lang_by_name(""), -1);
	CHECK_EQ_INT(media_lang_by_name(NULL), -1);
	CHECK_EQ_STR(media_lang_name(MEDIA_LANG_ZH), "zh");
	CHECK_EQ_STR(media_lang_name(MEDIA_LANG_EN), "en");
	CHECK(media_lang_name(2) == NULL);
}

TEST(say_prompt_names_are_unique_files)
{
	int i, j, named = 0;

	for(i = 0; i < MP_COUNT; i++) {
		const char *a = media_prompt_name(i);
		named += a != NULL;
		for(j = 0; a && j < i; j++)
			CHECK_MSG(strcmp(a, media_prompt_name(j)) != 0, "%d and %d both %s", i, j, a);
	}
	CHECK_EQ_INT(named, MP_COUNT);
	CHECK_EQ_STR(media_prompt_name(MP_GREETING), "greeting");
	CHECK_EQ_STR(media_prompt_name(MP_DIGIT_0 + 7), "digit_7");
	CHECK_EQ_STR(media_prompt_name(MP_TWENTY + 2), "forty");
	CHECK_EQ_STR(media_prompt_name(MP_NINETEEN), "nineteen");
	CHECK_EQ_STR(media_prompt_name(MP_TEN_THOUSAND), "ten_thousand");
	CHECK(media_prompt_name(MP_COUNT) == NULL);
	CHECK(media_prompt_name(-1) == NULL);
}

TEST(say_what_each_language_requires)
{
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_ZH, MP_GREETING), MEDIA_PROMPT_REQUIRED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_ZH, MP_MUSIC), MEDIA_PROMPT_OPTIONAL);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_EN, MP_CALLBACK_OFFER), MEDIA_PROMPT_OPTIONAL);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_ZH, MP_SLA3), MEDIA_PROMPT_OPTIONAL);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_EN, MP_CLOSED), MEDIA_PROMPT_OPTIONAL);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_ZH, MP_TEN_THOUSAND), MEDIA_PROMPT_REQUIRED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_EN, MP_TEN_THOUSAND), MEDIA_PROMPT_UNUSED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_ZH, MP_TWO_ALT), MEDIA_PROMPT_REQUIRED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_EN, MP_TWO_ALT), MEDIA_PROMPT_UNUSED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_ZH, MP_ELEVEN), MEDIA_PROMPT_UNUSED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_EN, MP_NINETY), MEDIA_PROMPT_REQUIRED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_EN, MP_AND), MEDIA_PROMPT_OPTIONAL);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_ZH, MP_AND), MEDIA_PROMPT_UNUSED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_EN, MP_WAIT_MINUTE), MEDIA_PROMPT_REQUIRED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_ZH, MP_WAIT_MINUTE), MEDIA_PROMPT_UNUSED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_EN, MP_DIGIT_0), MEDIA_PROMPT_REQUIRED);
	CHECK_EQ_INT(media_prompt_need(2, MP_GREETING), MEDIA_PROMPT_UNUSED);
	CHECK_EQ_INT(media_prompt_need(MEDIA_LANG_ZH, MP_COUNT), MEDIA_PROMPT_UNUSED);
}

/* what the announcement may say is what the language loads */
TEST(say_announcements_use_only_their_language)
{
	int lang, pos, wait, k, i, strangers = 0;

	for(lang = 0; lang < MEDIA_LANG_COUNT; lang++)
		for(pos = -1; pos < 300; pos += 7)
			for(wait = -1; wait < 4000; wait += 13) {
				k = media_say_announcement(lang, pos, wait, ids, MEDIA_SAY_MAX);
				CHECK(k >= 0);
				for(i = 0; i < k; i++)
					strangers += media_prompt_need(lang, ids[i]) == MEDIA_PROMPT_UNUSED;
			}
	CHECK_EQ_INT(strangers, 0);
}

UNIT_MAIN()
