/*
 * media_score.h - a survey's score from the caller's keys, one score at a time.
 *
 * CSAT (1-5) is one key. NPS runs 0-10, and 10 is two keys: a "1" therefore waits up to
 * MEDIA_SCORE_NEXT_NS for a "0" (10); "#", any other key, or the time running out make it
 * 1. Every other digit is its score at once, so a caller who presses 7 is not kept
 * waiting; "*", "#" alone and letters are no score (the question keeps waiting).
 *
 * Pure C, no Kamailio: the media process feeds it keys and the time.
 */
#ifndef OMNIQ_MEDIA_SCORE_H
#define OMNIQ_MEDIA_SCORE_H

#include <stdint.h>

#define MEDIA_SCORE_NEXT_NS (2500 * 1000000ULL)

typedef enum media_score_kind {
	MEDIA_SCORE_CSAT = 1, /* = OMNIQ_SURVEY_CSAT */
	MEDIA_SCORE_NPS = 2   /* = OMNIQ_SURVEY_NPS */
} media_score_kind_t;

typedef struct media_score {
	media_score_kind_t kind; /* the score being entered */
	int one;                 /* NPS: a "1" waits for its "0" */
	uint64_t one_until_ns;
} media_score_t;

/* A new question of kind: nothing entered yet. */
void media_score_start(media_score_t *m, media_score_kind_t kind);

/* Key c (0-9 * # A-D) at now: the score it completes (CSAT 1-5, NPS 0-10), or -1 (none
 * yet, or no key this question takes). */
int media_score_key(media_score_t *m, char c, uint64_t now_ns);

/* A "1" of NPS left waiting past MEDIA_SCORE_NEXT_NS at now: 1 (its score), else -1. */
int media_score_due(media_score_t *m, uint64_t now_ns);

#endif
