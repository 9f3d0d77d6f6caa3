/*
 * media_g711.c - see media_g711.h. The tables are filled from one sample per table entry:
 * the lowest sample whose top bits are that index (the bits below do not change the code).
 */
#include "media_g711.h"

uint8_t media_ulaw_enc[1 << 14], media_alaw_enc[1 << 13];
int16_t media_ulaw_dec[256], media_alaw_dec[256];
static int ready;

/* the highest bit set in v (v > 0): 0..31 */
static int top_bit(unsigned v)
{
	return 31 - __builtin_clz(v);
}

/* µ-law of a 16-bit sample. In 16-bit units the bias is 0x84 (33 << 2); a negative sample
 * is taken as its one's complement, so -1 and 0 both land on the smallest step. Segment =
 * position of the top bit of (magnitude + bias) above bit 7; past segment 7 it clips. */
static uint8_t ulaw_of(int s)
{
	int mask, seg;
	unsigned v;

	if(s < 0) {
		v = (unsigned)(0x84 + (-s - 1));
		mask = 0x7f;
	} else {
		v = (unsigned)(0x84 + s);
		mask = 0xff;
	}
	seg = top_bit(v | 0xff) - 7;
	if(seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((v >> (seg + 3)) & 0x0f)) ^ mask);
}

/* A-law of a 16-bit sample: magnitude (one's complement when negative), segment from its
 * top bit above bit 7 (segments 0 and 1 share the step), even bits inverted (0x55). */
static uint8_t alaw_of(int s)
{
	int mask, seg;
	unsigned v;

	if(s < 0) {
		v = (unsigned)(-s - 1);
		mask = 0x55;
	} else {
		v = (unsigned)s;
		mask = 0xd5;
	}
	seg = top_bit(v | 0xff) - 7;
	if(seg >= 8)
		return (uint8_t)(0x7f ^ mask);
	return (uint8_t)(((seg << 4) | ((v >> (seg ? seg + 3 : 4)) & 0x0f)) ^ mask);
}

static int16_t ulaw_value(uint8_t code)
{
	unsigned u = (uint8_t)~code;
	int t = (int)((((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4));

	return (int16_t)((u & 0x80) ? 0x84 - t : t - 0x84);
}

static int16_t alaw_value(uint8_t code)
{
	unsigned a = code ^ 0x55u;
	int seg = (int)((a & 0x70) >> 4), v = (int)((a & 0x0f) << 4);

	v = seg ? (v + 0x108) << (seg - 1) : v + 8;
	return (int16_t)((a & 0x80) ? v : -v);
}

void media_g711_init(void)
{
	int i;

	if(ready)
		return;
	for(i = 0; i < (1 << 14); i++)
		media_ulaw_enc[i] = ulaw_of((int16_t)(uint16_t)(i << 2));
	for(i = 0; i < (1 << 13); i++)
		media_alaw_enc[i] = alaw_of((int16_t)(uint16_t)(i << 3));
	for(i = 0; i < 256; i++) {
		media_ulaw_dec[i] = ulaw_value((uint8_t)i);
		media_alaw_dec[i] = alaw_value((uint8_t)i);
	}
	ready = 1;
}

void media_g711_encode(int law, const int16_t *pcm, size_t n, uint8_t *out)
{
	size_t i;

	media_g711_init();
	if(law == MEDIA_ALAW)
		for(i = 0; i < n; i++)
			out[i] = media_alaw_encode(pcm[i]);
	else
		for(i = 0; i < n; i++)
			out[i] = media_ulaw_encode(pcm[i]);
}

void media_g711_decode(int law, const uint8_t *in, size_t n, int16_t *pcm)
{
	const int16_t *t = law == MEDIA_ALAW ? media_alaw_dec : media_ulaw_dec;
	size_t i;

	media_g711_init();
	for(i = 0; i < n; i++)
		pcm[i] = t[in[i]];
}
