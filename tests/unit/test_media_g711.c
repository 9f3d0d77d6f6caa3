/*
 * test_media_g711.c - G.711 (omniq_media media_g711.c): the table-driven encoders and
 * decoders against an independent copy of ITU-T G.191's reference code (the Software Tool
 * Library's g711.c: alaw_compress, alaw_expand, ulaw_compress, ulaw_expand), over every
 * one of the 65536 samples and 256 codes; the published anchor values; round trips.
 */
#include "unit.h"
#include "../../modules/omniq_media/media_g711.h"

/* G.191 alaw_compress for one 16-bit sample (only its 12 most significant bits count) */
static uint8_t ref_alaw_compress(short lin)
{
	short ix, iexp;

	ix = lin < 0 ? (~lin) >> 4 : lin >> 4;
	if(ix > 15) {
		iexp = 1;
		while(ix > 16 + 15) {
			ix >>= 1;
			iexp++;
		}
		ix -= 16;
		ix += iexp << 4;
	}
	if(lin >= 0)
		ix |= 0x0080;
	return (uint8_t)(ix ^ 0x0055);
}

static short ref_alaw_expand(uint8_t log)
{
	short ix, mant, iexp;

	ix = log ^ 0x0055;
	ix &= 0x007F;
	iexp = ix >> 4;
	mant = ix & 0x000F;
	if(iexp > 0)
		mant = mant + 16;
	mant = (mant << 4) + 0x0008;
	if(iexp > 1)
		mant = mant << (iexp - 1);
	return log > 127 ? mant : -mant;
}

/* G.191 ulaw_compress (14 most significant bits count) */
static uint8_t ref_ulaw_compress(short lin)
{
	short absno, segno, low_nibble, high_nibble, i, out;

	absno = lin < 0 ? ((~lin) >> 2) + 33 : (lin >> 2) + 33;
	if(absno > 0x1FFF)
		absno = 0x1FFF;
	i = absno >> 6;
	segno = 1;
	while(i != 0) {
		segno++;
		i >>= 1;
	}
	high_nibble = 0x0008 - segno;
	low_nibble = (absno >> segno) & 0x000F;
	low_nibble = 0x000F - low_nibble;
	out = (high_nibble << 4) | low_nibble;
	if(lin >= 0)
		out = out | 0x0080;
	return (uint8_t)out;
}

static short ref_ulaw_expand(uint8_t log)
{
	short sign, segment, exponent, mantissa, step;

	sign = log < 0x0080 ? -1 : 1;
	mantissa = ~log;
	exponent = (mantissa >> 4) & 0x0007;
	segment = exponent + 1;
	mantissa = mantissa & 0x000F;
	step = 4 << segment;
	return sign * ((0x0080 << exponent) + step * mantissa + step / 2 - 4 * 33);
}

TEST(g711_ulaw_encodes_every_sample_as_g191)
{
	int s, bad = 0, first = 0;

	media_g711_init();
	for(s = -32768; s <= 32767; s++)
		if(media_ulaw_encode((int16_t)s) != ref_ulaw_compress((short)s) && bad++ == 0)
			first = s;
	CHECK_MSG(bad == 0, "%d samples differ, the first %d: 0x%02x, G.191 0x%02x", bad, first,
			media_ulaw_encode((int16_t)first), ref_ulaw_compress((short)first));
}

TEST(g711_alaw_encodes_every_sample_as_g191)
{
	int s, bad = 0, first = 0;

	media_g711_init();
	for(s = -32768; s <= 32767; s++)
		if(media_alaw_encode((int16_t)s) != ref_alaw_compress((short)s) && bad++ == 0)
			first = s;
	CHECK_MSG(bad == 0, "%d samples differ, the first %d: 0x%02x, G.191 0x%02x", bad, first,
			media_alaw_encode((int16_t)first), ref_alaw_compress((short)first));
}

TEST(g711_decodes_every_code_as_g191)
{
	int c, ubad = 0, abad = 0;

	media_g711_init();
	for(c = 0; c < 256; c++) {
		ubad += media_ulaw_dec[c] != ref_ulaw_expand((uint8_t)c);
		abad += media_alaw_dec[c] != ref_alaw_expand((uint8_t)c);
	}
	CHECK_EQ_INT(ubad, 0);
	CHECK_EQ_INT(abad, 0);
}

TEST(g711_anchor_values)
{
	media_g711_init();
	/* silence: µ-law 0xFF (and 0x7F, negative zero), A-law 0xD5 */
	CHECK_EQ_INT(media_ulaw_encode(0), 0xFF);
	CHECK_EQ_INT(media_ulaw_encode(-1), 0x7F);
	CHECK_EQ_INT(media_alaw_encode(0), 0xD5);
	CHECK_EQ_INT(media_alaw_encode(-1), 0x55);
	/* full scale */
	CHECK_EQ_INT(media_ulaw_encode(32767), 0x80);
	CHECK_EQ_INT(media_ulaw_encode(-32768), 0x00);
	CHECK_EQ_INT(media_alaw_encode(32767), 0xAA);
	CHECK_EQ_INT(media_alaw_encode(-32768), 0x2A);
	CHECK_EQ_INT(media_ulaw_dec[0x00], -32124);
	CHECK_EQ_INT(media_ulaw_dec[0x80], 32124);
	CHECK_EQ_INT(media_ulaw_dec[0xFF], 0);
	CHECK_EQ_INT(media_ulaw_dec[0x7F], 0);
	CHECK_EQ_INT(media_alaw_dec[0xD5], 8);
	CHECK_EQ_INT(media_alaw_dec[0x55], -8);
	CHECK_EQ_INT(media_alaw_dec[0xAA], 32256);
	CHECK_EQ_INT(media_alaw_dec[0x2A], -32256);
}

TEST(g711_round_trips_every_code)
{
	int c, ubad = 0, abad = 0;

	media_g711_init();
	for(c = 0; c < 256; c++) {
		if(c != 0x7F)
			ubad += media_ulaw_encode(media_ulaw_dec[c]) != c;
		abad += media_alaw_encode(media_alaw_dec[c]) != c;
	}
	CHECK_EQ_INT(ubad, 0);
	CHECK_EQ_INT(abad, 0);
	CHECK_EQ_INT(media_ulaw_encode(media_ulaw_dec[0x7F]), 0xFF);
}

TEST(g711_is_monotonic)
{
	int s, back = 0;

	/* a louder sample never decodes quieter: the codes follow the signal */
	media_g711_init();
	for(s = -32767; s <= 32767; s++) {
		back += media_ulaw_dec[media_ulaw_encode((int16_t)s)]
				< media_ulaw_dec[media_ulaw_encode((int16_t)(s - 1))];
		back += media_alaw_dec[media_alaw_encode((int16_t)s)]
				< media_alaw_dec[media_alaw_encode((int16_t)(s - 1))];
	}
	CHECK_EQ_INT(back, 0);
}

TEST(g711_buffers)
{
	int16_t pcm[5] = {0, 1000, -1000, 32767, -32768}, back[5];
	uint8_t u[5], a[5];
	int i;

	media_g711_encode(MEDIA_ULAW, pcm, 5, u);
	media_g711_encode(MEDIA_ALAW, pcm, 5, a);
	for(i = 0; i < 5; i++) {
		CHECK_EQ_INT(u[i], ref_ulaw_compress(pcm[i]));
		CHECK_EQ_INT(a[i], ref_alaw_compress(pcm[i]));
	}
	media_g711_decode(MEDIA_ULAW, u, 5, back);
	for(i = 0; i < 5; i++)
		CHECK_EQ_INT(back[i], ref_ulaw_expand(u[i]));
	media_g711_decode(MEDIA_ALAW, a, 5, back);
	for(i = 0; i < 5; i++)
		CHECK_EQ_INT(back[i], ref_alaw_expand(a[i]));
	media_g711_encode(MEDIA_ULAW, pcm, 0, u); /* nothing to do is nothing done */
	CHECK_EQ_INT(u[0], ref_ulaw_compress(0));
}

UNIT_MAIN()
