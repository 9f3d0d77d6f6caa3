/*
 * test_media_prompts.c - a language's prompts loaded from a directory (omniq_media
 * media_prompts.c): WAV files written by the test into a mkdtemp directory, loaded, and
 * compared code by code with media_g711_encode of the same samples; the padding to whole
 * 160-sample frames with each law's silence; required files missing (all named), optional
 * ones absent, files of words the language never says left unread, rates refused with
 * their reason, and nothing leaked on any path (valgrind runs this).
 */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "../../modules/omniq_media/media_g711.h"
#include "../../modules/omniq_media/media_prompts.h"

#include <math.h>
#include <spandsp/telephony.h>
#include <spandsp/g722.h>

static char dir[] = "/tmp/omniq-prompts-XXXXXX";
static char why[MEDIA_PROMPTS_WHY_MAX];
static media_prompts_t pr;

/* the samples of id's file: a length that gives every kind of padding, a ramp per id */
static size_t samples_of(int id)
{
	if(id == MP_GREETING)
		return 160; /* exactly one frame: no padding */
	if(id == MP_POS_PRE)
		return 320;
	if(id == MP_DIGIT_0)
		return 1;
	return 1 + (size_t)id * 53;
}

static int16_t sample(int id, size_t i)
{
	return (int16_t)(((uint32_t)i * 2654435761u + (uint32_t)id * 40503u) >> 16);
}

static void le(unsigned char *p, uint32_t v, int n)
{
	int i;

	for(i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* <dir>/<name>.wav: mono 16-bit PCM of id's samples at rate Hz, channels channels */
static void write_wav(const char *name, int id, uint32_t rate, unsigned channels)
{
	size_t n = samples_of(id) * channels, i, len = 44 + 2 * n;
	unsigned char *b = malloc(len);
	char path[256];
	FILE *f;

	if(b == NULL)
		return;
	memcpy(b, "RIFF\0\0\0\0WAVEfmt ", 16);
	le(b + 4, (uint32_t)(len - 8), 4);
	le(b + 16, 16, 4);
	le(b + 20, 1, 2);
	le(b + 22, channels, 2);
	le(b + 24, rate, 4);
	le(b + 28, rate * channels * 2, 4);
	le(b + 32, channels * 2, 2);
	le(b + 34, 16, 2);
	memcpy(b + 36, "data", 4);
	le(b + 40, (uint32_t)(2 * n), 4);
	for(i = 0; i < n; i++)
		le(b + 44 + 2 * i, (uint16_t)sample(id, i / channels), 2);
	snprintf(path, sizeof path, "%s/%s.wav", dir, name);
	f = fopen(path, "wb");
	if(f) {
		fwrite(b, 1, len, f);
		fclose(f);
	}
	free(b);
}

static void put_prompt(int id)
{
	write_wav(media_prompt_name(id), id, 8000, 1);
}

static void drop(const char *name)
{
	char path[256];

	snprintf(path, sizeof path, "%s/%s.wav", dir, name);
	unlink(path);
}

/* an empty directory, then lang's required files and, when music, music.wav */
static void fresh(int lang, int music)
{
	int id;

	for(id = 0; id < MP_COUNT; id++)
		drop(media_prompt_name(id));
	for(id = 0; id < MP_COUNT; id++)
		if(media_prompt_need(lang, id) == MEDIA_PROMPT_REQUIRED)
			put_prompt(id);
	if(music)
		put_prompt(MP_MUSIC);
}

__attribute__((constructor)) static void make_dir(void)
{
	if(mkdtemp(dir) == NULL)
		perror("mkdtemp");
}

__attribute__((destructor)) static void remove_dir(void)
{
	int id;

	for(id = 0; id < MP_COUNT; id++)
		drop(media_prompt_name(id));
	rmdir(dir);
}

/* id as loaded equals its samples encoded, padded with silence to whole frames */
static int same_as_encoded(int id)
{
	size_t n = samples_of(id), frames, i;
	int16_t *pcm = malloc(n * sizeof *pcm);
	uint8_t *want = malloc(n);
	const uint8_t *got;
	int law, ok = pcm && want;

	for(i = 0; ok && i < n; i++)
		pcm[i] = sample(id, i);
	for(law = MEDIA_ULAW; ok && law <= MEDIA_ALAW; law++) {
		got = media_prompt_frames(&pr, id, law, &frames);
		media_g711_encode(law, pcm, n, want);
		ok = got && frames == (n + 159) / 160 && memcmp(got, want, n) == 0;
		for(i = n; ok && i < frames * MEDIA_RTP_SAMPLES; i++)
			ok = got[i] == media_prompt_silence(law);
	}
	free(pcm);
	free(want);
	return ok;
}

/* id's G.722 block is its samples, padded with zeros to whole frames, encoded by a fresh
 * encoder (8 kHz input) */
static int same_as_g722(int id)
{
	size_t n = samples_of(id), frames, i, bytes;
	const uint8_t *got = media_prompt_frames(&pr, id, MEDIA_G722, &frames);
	int16_t *pcm;
	uint8_t *want;
	g722_encode_state_t *st;
	int ok;

	bytes = frames * MEDIA_RTP_SAMPLES;
	pcm = calloc(bytes, sizeof *pcm);
	want = malloc(bytes);
	st = g722_encode_init(NULL, 64000, G722_SAMPLE_RATE_8000);
	ok = got && pcm && want && st && frames == (n + 159) / 160;
	for(i = 0; ok && i < n; i++)
		pcm[i] = sample(id, i);
	ok = ok && g722_encode(st, want, pcm, (int)bytes) == (int)bytes
		 && memcmp(got, want, bytes) == 0;
	if(st)
		g722_encode_free(st);
	free(pcm);
	free(want);
	return ok;
}

/* power of pcm (n samples at 8 kHz) at f Hz */
static double goertzel(const int16_t *pcm, size_t n, double f)
{
	double c = 2 * cos(2 * M_PI * f / 8000.0), s1 = 0, s2 = 0, s0;
	size_t i;

	for(i = 0; i < n; i++) {
		s0 = pcm[i] + c * s1 - s2;
		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - c * s1 * s2;
}

TEST(prompts_g722_is_every_prompt_encoded_and_decodes_to_its_tone)
{
	int id, mismatched = 0;
	unsigned char hdr[44];
	int16_t tone[1600], *dec;
	const uint8_t *codes;
	size_t frames, i;
	g722_decode_state_t *d;
	char path[256];
	FILE *f;
	double before, after;

	fresh(MEDIA_LANG_ZH, 0);
	/* music.wav: 0.2 s of a 440 Hz tone */
	for(i = 0; i < 1600; i++)
		tone[i] = (int16_t)(8000 * sin(2 * M_PI * 440 * i / 8000.0));
	memcpy(hdr, "RIFF\0\0\0\0WAVEfmt ", 16);
	le(hdr + 4, 36 + sizeof tone, 4);
	le(hdr + 16, 16, 4);
	le(hdr + 20, 1, 2);
	le(hdr + 22, 1, 2);
	le(hdr + 24, 8000, 4);
	le(hdr + 28, 16000, 4);
	le(hdr + 32, 2, 2);
	le(hdr + 34, 16, 2);
	memcpy(hdr + 36, "data", 4);
	le(hdr + 40, sizeof tone, 4);
	snprintf(path, sizeof path, "%s/music.wav", dir);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if(f == NULL)
		return;
	fwrite(hdr, 1, sizeof hdr, f);
	fwrite(tone, 1, sizeof tone, f); /* little-endian host */
	fclose(f);
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_ZH, why, sizeof why), 0);
	for(id = 0; id < MP_COUNT; id++)
		if(media_prompt_need(MEDIA_LANG_ZH, id) == MEDIA_PROMPT_REQUIRED)
			mismatched += !same_as_g722(id);
	CHECK_EQ_INT(mismatched, 0);
	/* what a phone decodes is the tone, at about its power (the codec's delay aside) */
	codes = media_prompt_frames(&pr, MP_MUSIC, MEDIA_G722, &frames);
	CHECK(codes != NULL && frames == 10);
	dec = calloc(frames * MEDIA_RTP_SAMPLES, sizeof *dec);
	d = g722_decode_init(NULL, 64000, G722_SAMPLE_RATE_8000);
	if(codes && dec && d) {
		CHECK_EQ_INT(g722_decode(d, dec, codes, (int)(frames * MEDIA_RTP_SAMPLES)), 1600);
		before = goertzel(tone + 200, 1200, 440);
		after = goertzel(dec + 200, 1200, 440);
		CHECK_MSG(after > 0.5 * before && after < 2 * before, "440 Hz: %g before, %g after",
				before, after);
		CHECK_MSG(goertzel(dec + 200, 1200, 1000) < 0.01 * after, "not a tone");
	}
	if(d)
		g722_decode_free(d);
	free(dec);
	/* its silence frame is what the encoder makes of silence */
	CHECK(media_prompt_silence_frame(MEDIA_G722) != NULL);
	media_prompts_free(&pr);
}

TEST(prompts_silence_is_linear_zero)
{
	CHECK_EQ_INT(media_prompt_silence(MEDIA_ULAW), 0xff);
	CHECK_EQ_INT(media_prompt_silence(MEDIA_ALAW), 0xd5);
}

TEST(prompts_load_zh_encodes_and_pads_every_file)
{
	char absent[256];
	int id, mismatched = 0;

	fresh(MEDIA_LANG_ZH, 1);
	put_prompt(MP_ELEVEN); /* a word zh never says: not read */
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_ZH, why, sizeof why), 0);
	CHECK_EQ_INT(pr.lang, MEDIA_LANG_ZH);
	for(id = 0; id < MP_COUNT; id++)
		if(media_prompt_need(MEDIA_LANG_ZH, id) == MEDIA_PROMPT_REQUIRED || id == MP_MUSIC)
			mismatched += !same_as_encoded(id);
	CHECK_EQ_INT(mismatched, 0);
	CHECK_EQ_INT(media_prompt_frame_count(&pr, MP_GREETING), 1);
	CHECK_EQ_INT(media_prompt_frame_count(&pr, MP_POS_PRE), 2);
	CHECK_EQ_INT(media_prompt_frame_count(&pr, MP_DIGIT_0), 1);
	CHECK_EQ_INT(pr.p[MP_DIGIT_0].samples, 1);
	CHECK(media_prompt_frames(&pr, MP_ELEVEN, MEDIA_ULAW, NULL) == NULL);
	CHECK(media_prompt_frames(&pr, MP_CALLBACK_OFFER, MEDIA_ALAW, NULL) == NULL);
	CHECK_EQ_INT(media_prompt_frame_count(&pr, MP_CALLBACK_OFFER), 0);
	CHECK_EQ_INT(media_prompts_absent(&pr, absent, sizeof absent), 7);
	CHECK_EQ_STR(absent, "callback_offer.wav callback_ok.wav closed.wav sla3.wav "
						 "survey_ask.wav survey_thanks.wav survey_nps.wav");
	media_prompts_free(&pr);
	CHECK_EQ_INT(pr.lang, -1);
	CHECK(media_prompt_frames(&pr, MP_GREETING, MEDIA_ULAW, NULL) == NULL);
	media_prompts_free(&pr); /* twice is harmless */
}

TEST(prompts_load_en_without_optional_files)
{
	char absent[24];
	int id, mismatched = 0;

	fresh(MEDIA_LANG_EN, 0);
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_EN, why, sizeof why), 0);
	for(id = 0; id < MP_COUNT; id++)
		if(media_prompt_need(MEDIA_LANG_EN, id) == MEDIA_PROMPT_REQUIRED)
			mismatched += !same_as_encoded(id);
	CHECK_EQ_INT(mismatched, 0);
	CHECK(media_prompt_frames(&pr, MP_MUSIC, MEDIA_ULAW, NULL) == NULL); /* silence */
	CHECK(media_prompt_frames(&pr, MP_AND, MEDIA_ULAW, NULL) == NULL);	/* American */
	CHECK(media_prompt_frames(&pr, MP_TWO_ALT, MEDIA_ULAW, NULL) == NULL);
	/* nine absent; the list stops at the last name that fits */
	CHECK_EQ_INT(media_prompts_absent(&pr, absent, sizeof absent), 9);
	CHECK_EQ_STR(absent, "music.wav");
	media_prompts_free(&pr);
}

TEST(prompts_accessors_out_of_range)
{
	size_t frames = 99;

	fresh(MEDIA_LANG_ZH, 0);
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_ZH, why, sizeof why), 0);
	CHECK(media_prompt_frames(&pr, MP_GREETING, MEDIA_CODECS, &frames) == NULL);
	CHECK_EQ_INT(frames, 0);
	CHECK(media_prompt_frames(&pr, MP_COUNT, MEDIA_ULAW, &frames) == NULL);
	CHECK(media_prompt_frames(&pr, (media_prompt_id_t)-1, MEDIA_ULAW, &frames) == NULL);
	CHECK(media_prompt_frames(NULL, MP_GREETING, MEDIA_ULAW, &frames) == NULL);
	CHECK(media_prompt_frames(&pr, MP_GREETING, MEDIA_ALAW, &frames) != NULL);
	CHECK_EQ_INT(frames, 1);
	media_prompts_free(&pr);
}

TEST(prompts_missing_required_names_them_all)
{
	fresh(MEDIA_LANG_ZH, 1);
	drop("digit_3");
	drop("two_alt");
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_ZH, why, sizeof why), -1);
	CHECK_CONTAINS(why, dir);
	CHECK_CONTAINS(why, "zh prompt digit_3.wav is missing (required); also missing: "
						"two_alt.wav");
	CHECK_EQ_INT(pr.lang, -1);
	CHECK(media_prompt_frames(&pr, MP_GREETING, MEDIA_ULAW, NULL) == NULL);
	CHECK_EQ_INT(media_prompts_check(dir, MEDIA_LANG_ZH, why, sizeof why), -1);
	CHECK_CONTAINS(why, "digit_3.wav is missing");
}

TEST(prompts_an_empty_directory_fits_a_short_reason)
{
	char small[120];
	int id;

	for(id = 0; id < MP_COUNT; id++)
		drop(media_prompt_name(id));
	memset(small, 'x', sizeof small);
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_EN, small, 100), -1);
	CHECK(memchr(small, '\0', 100) != NULL);
	CHECK_EQ_INT(small[100], 'x');
	CHECK_CONTAINS(small, "greeting.wav is missing");
	/* a middling one names what fits, then how many more */
	memset(why, 'x', sizeof why);
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_EN, why, 220), -1);
	CHECK_CONTAINS(why, "en prompt greeting.wav is missing (required); also missing: "
						"pos_pre.wav pos_post.wav");
	CHECK_CONTAINS(why, ".wav and ");
	CHECK(strlen(why) > 5 && strlen(why) < 220
			&& strcmp(why + strlen(why) - 5, " more") == 0);
	/* a long one names them all */
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_EN, why, sizeof why), -1);
	CHECK_CONTAINS(why, "seventy.wav eighty.wav ninety.wav");
	CHECK(strstr(why, " more") == NULL);
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_EN, NULL, 0), -1);
}

TEST(prompts_a_44k_file_is_refused_with_its_reason)
{
	fresh(MEDIA_LANG_ZH, 1);
	/* late in the order: the prompts loaded before it are freed (valgrind) */
	write_wav("ten_thousand", MP_TEN_THOUSAND, 44100, 2);
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_ZH, why, sizeof why), -1);
	CHECK_CONTAINS(why, dir);
	CHECK_CONTAINS(why, "prompt ten_thousand.wav: 44100 Hz stereo 16-bit PCM; convert with: "
						"sox ten_thousand.wav -r 8000 -c 1 -b 16 ten_thousand-8k.wav");
	CHECK_EQ_INT(pr.lang, -1);
	CHECK(media_prompt_frames(&pr, MP_GREETING, MEDIA_ULAW, NULL) == NULL);
	CHECK_EQ_INT(media_prompts_check(dir, MEDIA_LANG_ZH, why, sizeof why), -1);
	CHECK_CONTAINS(why, "44100 Hz stereo");
}

TEST(prompts_16k_is_refused_with_the_conversion)
{
	fresh(MEDIA_LANG_EN, 0);
	write_wav("music", MP_MUSIC, 16000, 1); /* optional, but present: it must be right */
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_EN, why, sizeof why), -1);
	CHECK_CONTAINS(why, "prompt music.wav: 16000 Hz; prompts are 8000 Hz (G.722 calls get them too)");
	CHECK_CONTAINS(why, "sox music.wav -r 8000 -c 1 -b 16 music-8k.wav");
	CHECK_EQ_INT(pr.lang, -1);
}

TEST(prompts_a_broken_file_keeps_media_wavs_reason)
{
	char path[256];
	FILE *f;

	fresh(MEDIA_LANG_ZH, 0);
	snprintf(path, sizeof path, "%s/callback_ok.wav", dir);
	f = fopen(path, "wb");
	if(f) {
		fputs("ID3 not a wav", f);
		fclose(f);
	}
	CHECK_EQ_INT(media_prompts_load(&pr, dir, MEDIA_LANG_ZH, why, sizeof why), -1);
	CHECK_CONTAINS(why, "prompt callback_ok.wav: not a WAV file");
	drop("callback_ok");
}

TEST(prompts_check_keeps_nothing)
{
	fresh(MEDIA_LANG_EN, 1);
	why[0] = '\0';
	CHECK_EQ_INT(media_prompts_check(dir, MEDIA_LANG_EN, why, sizeof why), 0);
	CHECK_EQ_STR(why, "");
	/* the directory lacks zh's 万 and 两 */
	CHECK_EQ_INT(media_prompts_check(dir, MEDIA_LANG_ZH, why, sizeof why), -1);
	CHECK_CONTAINS(why, "zh prompt ten_thousand.wav is missing (required); also missing: "
						"two_alt.wav");
}

TEST(prompts_directory_and_language_errors)
{
	char file[300];

	CHECK_EQ_INT(media_prompts_load(&pr, "/nonexistent/omniq", MEDIA_LANG_ZH, why,
						 sizeof why), -1);
	CHECK_EQ_STR(why, "prompts directory /nonexistent/omniq: No such file or directory");
	fresh(MEDIA_LANG_ZH, 0);
	snprintf(file, sizeof file, "%s/greeting.wav", dir);
	CHECK_EQ_INT(media_prompts_load(&pr, file, MEDIA_LANG_ZH, why, sizeof why), -1);
	CHECK_CONTAINS(why, "greeting.wav: not a directory");
	CHECK_EQ_INT(media_prompts_load(&pr, dir, 5, why, sizeof why), -1);
	CHECK_EQ_STR(why, "unknown prompt language 5");
	CHECK_EQ_INT(media_prompts_load(&pr, NULL, MEDIA_LANG_EN, why, sizeof why), -1);
	CHECK_EQ_STR(why, "no prompts directory given");
	CHECK_EQ_INT(pr.lang, -1);
}

UNIT_MAIN()
