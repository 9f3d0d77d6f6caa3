/*
 * media_g711.h - ITU-T G.711: 16-bit linear PCM to and from µ-law (PCMU) and A-law (PCMA),
 * the codecs every phone speaks.
 *
 * Table driven, because the media processes encode every prompt once at load and decode
 * nothing on the hot path; tables make both a load and a store:
 *  - encoding: µ-law depends only on the top 14 bits of a sample, A-law on the top 13, so
 *    a 16 KB and an 8 KB table indexed by the sample shifted right hold every answer;
 *  - decoding: 256 samples per law.
 * The tables are computed once by media_g711_init() (call it before forking the media
 * processes: they are then shared read-only) from the segment arithmetic of G.711 as
 * ITU-T G.191's reference implementation does it (one's complement of negative samples,
 * µ-law's bias of 33 in 14-bit units, even bits of A-law inverted). The unit test checks
 * all 65536 samples and all 256 codes against an independent copy of G.191's code.
 *
 * Decoding gives the middle of each quantisation step (G.191's expansion), so
 * encode(decode(code)) == code for every code but µ-law's negative zero (0x7F), which
 * decodes to 0 and encodes as 0xFF.
 */
#ifndef OMNIQ_MEDIA_G711_H
#define OMNIQ_MEDIA_G711_H

#include <stddef.h>
#include <stdint.h>

enum media_law { MEDIA_ULAW = 0, MEDIA_ALAW = 1 };

/* Builds the tables; idempotent, cheap (a few tens of µs). */
void media_g711_init(void);

/* One sample; only after media_g711_init(). */
extern uint8_t media_ulaw_enc[1 << 14], media_alaw_enc[1 << 13];
extern int16_t media_ulaw_dec[256], media_alaw_dec[256];

static inline uint8_t media_ulaw_encode(int16_t s)
{
	return media_ulaw_enc[(uint16_t)s >> 2];
}

static inline uint8_t media_alaw_encode(int16_t s)
{
	return media_alaw_enc[(uint16_t)s >> 3];
}

/* n samples of pcm into n codes of law; initialises the tables when needed. */
void media_g711_encode(int law, const int16_t *pcm, size_t n, uint8_t *out);

/* n codes of law into n samples; initialises the tables when needed. */
void media_g711_decode(int law, const uint8_t *in, size_t n, int16_t *pcm);

#endif
