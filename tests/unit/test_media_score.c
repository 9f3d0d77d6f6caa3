/*
 * test_media_score.c - a survey's score from keypad keys (omniq_media's media_score.c):
 * CSAT's one key, NPS's 0-10 with 10 as "1" "0", and what is no score.
 */
#include "unit.h"
#include "../../modules/omniq_media/media_score.h"

#define S (1000000000ULL)

TEST(csat_takes_1_to_5_only)
{
	media_score_t m;
	media_score_start(&m, MEDIA_SCORE_CSAT);
	CHECK_EQ_INT(media_score_key(&m, '0', 0), -1);
	CHECK_EQ_INT(media_score_key(&m, '6', 0), -1);
	CHECK_EQ_INT(media_score_key(&m, '#', 0), -1);
	CHECK_EQ_INT(media_score_key(&m, '1', 0), 1); /* no wait for a second key */
	CHECK_EQ_INT(media_score_key(&m, '5', 0), 5);
	CHECK_EQ_INT(media_score_due(&m, 10 * S), -1);
}

TEST(nps_digits_other_than_1_are_scores_at_once)
{
	media_score_t m;
	char c;
	media_score_start(&m, MEDIA_SCORE_NPS);
	CHECK_EQ_INT(media_score_key(&m, '0', 0), 0);
	for(c = '2'; c <= '9'; c++)
		CHECK_EQ_INT(media_score_key(&m, c, 0), c - '0');
	CHECK_EQ_INT(media_score_key(&m, '*', 0), -1);
	CHECK_EQ_INT(media_score_key(&m, '#', 0), -1);
	CHECK_EQ_INT(media_score_key(&m, 'A', 0), -1);
}

TEST(nps_1_then_0_is_10)
{
	media_score_t m;
	media_score_start(&m, MEDIA_SCORE_NPS);
	CHECK_EQ_INT(media_score_key(&m, '1', 5 * S), -1);
	CHECK_EQ_INT(media_score_due(&m, 5 * S + MEDIA_SCORE_NEXT_NS - 1), -1);
	CHECK_EQ_INT(media_score_key(&m, '0', 6 * S), 10);
	CHECK_EQ_INT(media_score_due(&m, 60 * S), -1); /* nothing left waiting */
}

TEST(nps_1_alone_is_1_by_hash_by_another_key_or_in_time)
{
	media_score_t m;
	media_score_start(&m, MEDIA_SCORE_NPS);
	CHECK_EQ_INT(media_score_key(&m, '1', 0), -1);
	CHECK_EQ_INT(media_score_key(&m, '#', 1 * S), 1);
	CHECK_EQ_INT(media_score_key(&m, '1', 2 * S), -1);
	CHECK_EQ_INT(media_score_key(&m, '7', 3 * S), 1);
	CHECK_EQ_INT(media_score_key(&m, '1', 4 * S), -1);
	CHECK_EQ_INT(media_score_due(&m, 4 * S + MEDIA_SCORE_NEXT_NS), 1);
	CHECK_EQ_INT(media_score_due(&m, 9 * S), -1); /* once */
}

TEST(a_new_question_forgets_a_waiting_1)
{
	media_score_t m;
	media_score_start(&m, MEDIA_SCORE_NPS);
	CHECK_EQ_INT(media_score_key(&m, '1', 0), -1);
	media_score_start(&m, MEDIA_SCORE_CSAT);
	CHECK_EQ_INT(media_score_due(&m, 60 * S), -1);
	CHECK_EQ_INT(media_score_key(&m, '0', 0), -1);
}

UNIT_MAIN()
