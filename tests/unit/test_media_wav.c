/*
 * test_media_wav.c - prompts from WAV files (omniq_media media_wav.c): the formats taken
 * (PCM 16-bit mono 8/16 kHz, G.711 µ-law/A-law, WAVE_FORMAT_EXTENSIBLE), the chunks
 * skipped (LIST, fact, odd sizes and their pad byte), and every way a file can be wrong
 * (other rates or channels with the sox command that converts them, truncated, not a WAV,
 * chunks out of order, inconsistent fmt), from memory and from files.
 */
#include <stdint.h>
#include <unistd.h>

#include "unit.h"
#include "../../modules/omniq_media/media_g711.h"
#include "../../modules/omniq_media/media_wav.h"

typedef struct wb {
	unsigned char b[16384];
	size_t n;
} wb_t;

static wb_t w;
static media_wav_t out;
static char why[MEDIA_WAV_WHY_MAX];

static void put(const void *p, size_t n)
{
	memcpy(w.b + w.n, p, n);
	w.n += n;
}

static void u16(unsigned v)
{
	unsigned char b[2] = {(unsigned char)v, (unsigned char)(v >> 8)};
	put(b, 2);
}

static void u32(uint32_t v)
{
	unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
			(unsigned char)(v >> 24)};
	put(b, 4);
}

static void riff(void)
{
	w.n = 0;
	put("RIFF\0\0\0\0WAVE", 12);
}

/* the RIFF size as the file now is */
static void riff_end(void)
{
	uint32_t v = (uint32_t)(w.n - 8);
	memcpy(w.b + 4, (unsigned char[4]){(unsigned char)v, (unsigned char)(v >> 8),
					  (unsigned char)(v >> 16), (unsigned char)(v >> 24)}, 4);
}

static void chunk(const char *id, const void *p, uint32_t n, int pad)
{
	put(id, 4);
	u32(n);
	put(p, n);
	if(pad && (n & 1))
		put("", 1);
}

static void fmt(unsigned tag, unsigned ch, uint32_t rate, unsigned bits)
{
	put("fmt ", 4);
	u32(16);
	u16(tag);
	u16(ch);
	u32(rate);
	u32(rate * ch * bits / 8);
	u16(ch * bits / 8);
	u16(bits);
}

static int16_t tone[400];

static void pcm_data(size_t samples)
{
	size_t i;

	put("data", 4);
	u32((uint32_t)(samples * 2));
	for(i = 0; i < samples; i++)
		u16((uint16_t)tone[i]);
}

static int parse(const char *name)
{
	riff_end();
	return media_wav_parse(w.b, w.n, name, &out, why);
}

__attribute__((constructor)) static void make_tone(void)
{
	size_t i;

	for(i = 0; i < 400; i++)
		tone[i] = (int16_t)((int)(i * 2654435761u >> 16) - 32768); /* every value kind */
}

TEST(wav_pcm16_8k_mono)
{
	riff();
	fmt(1, 1, 8000, 16);
	pcm_data(400);
	CHECK_EQ_INT(parse("hello.wav"), 0);
	CHECK_EQ_INT(out.rate, 8000);
	CHECK_EQ_INT(out.format, MEDIA_WAV_PCM16);
	CHECK_EQ_INT(out.samples, 400);
	CHECK(out.pcm && memcmp(out.pcm, tone, sizeof tone) == 0);
	media_wav_free(&out);
	CHECK(out.pcm == NULL && out.samples == 0);
}

TEST(wav_pcm16_16k_for_g722)
{
	riff();
	fmt(1, 1, 16000, 16);
	pcm_data(320);
	CHECK_EQ_INT(parse("wide.wav"), 0);
	CHECK_EQ_INT(out.rate, 16000);
	CHECK_EQ_INT(out.samples, 320);
	media_wav_free(&out);
}

TEST(wav_g711_files_decode)
{
	uint8_t codes[256];
	int16_t want[256];
	int i, law;

	for(i = 0; i < 256; i++)
		codes[i] = (uint8_t)i;
	for(law = 0; law < 2; law++) {
		riff();
		fmt(law == MEDIA_ALAW ? 6 : 7, 1, 8000, 8);
		chunk("data", codes, 256, 1);
		CHECK_EQ_INT(parse("g711.wav"), 0);
		CHECK_EQ_INT(out.format, law == MEDIA_ALAW ? MEDIA_WAV_ALAW : MEDIA_WAV_ULAW);
		CHECK_EQ_INT(out.samples, 256);
		media_g711_decode(law, codes, 256, want);
		CHECK(out.pcm && memcmp(out.pcm, want, sizeof want) == 0);
		media_wav_free(&out);
	}
}

TEST(wav_extensible_pcm)
{
	static const unsigned char pcm_guid[16] = {0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
			0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

	riff();
	put("fmt ", 4);
	u32(40);
	u16(0xfffe);
	u16(1);
	u32(8000);
	u32(16000);
	u16(2);
	u16(16);
	u16(22);
	u16(16);
	u32(4); /* front centre */
	put(pcm_guid, 16);
	pcm_data(100);
	CHECK_EQ_INT(parse("ext.wav"), 0);
	CHECK_EQ_INT(out.samples, 100);
	media_wav_free(&out);
	/* IEEE float as the sub-format: what it is, and how to convert it */
	w.b[12 + 8 + 24] = 3;
	w.b[12 + 8 + 14] = 32;
	CHECK_EQ_INT(media_wav_parse(w.b, w.n, "ext.wav", &out, why), -1);
	CHECK_CONTAINS(why, "8000 Hz mono 32-bit IEEE float; convert with: sox ext.wav");
	w.b[12 + 8 + 24 + 5] = 0x77; /* not the KSDATAFORMAT GUID family */
	CHECK_EQ_INT(media_wav_parse(w.b, w.n, "ext.wav", &out, why), -1);
	CHECK_CONTAINS(why, "sub-format that is not PCM or G.711");
}

TEST(wav_skips_list_fact_and_odd_chunks)
{
	riff();
	chunk("LIST", "INFOISFT\x05\0\0\0Lavf\0", 17, 1); /* odd, padded */
	fmt(1, 1, 8000, 16);
	chunk("fact", "\x90\x01\0\0", 4, 1);
	chunk("junk", "abc", 3, 1);
	pcm_data(400);
	chunk("LIST", "INFOx", 5, 0); /* the last chunk, odd and without its pad */
	CHECK_EQ_INT(parse("tagged.wav"), 0);
	CHECK_EQ_INT(out.samples, 400);
	CHECK(out.pcm && memcmp(out.pcm, tone, sizeof tone) == 0);
	media_wav_free(&out);
	/* junk after the RIFF chunk is not ours to read */
	riff();
	fmt(1, 1, 8000, 16);
	pcm_data(10);
	riff_end();
	put("ID3\x03garbage", 11);
	CHECK_EQ_INT(media_wav_parse(w.b, w.n, "trail.wav", &out, why), 0);
	CHECK_EQ_INT(out.samples, 10);
	media_wav_free(&out);
}

TEST(wav_other_formats_say_how_to_convert)
{
	riff();
	fmt(1, 2, 44100, 16);
	pcm_data(100);
	CHECK_EQ_INT(parse("x.wav"), -1);
	CHECK_EQ_STR(why, "prompt x.wav: 44100 Hz stereo 16-bit PCM; convert with: sox x.wav -r "
					  "8000 -c 1 -b 16 x-8k.wav");
	CHECK(out.pcm == NULL && out.samples == 0);
	riff();
	fmt(1, 1, 8000, 8);
	chunk("data", "abcd", 4, 1);
	CHECK_EQ_INT(parse("eight.wav"), -1);
	CHECK_CONTAINS(why, "8000 Hz mono 8-bit PCM; convert with: sox eight.wav");
	riff();
	fmt(3, 1, 8000, 32);
	chunk("data", "abcdabcd", 8, 1);
	CHECK_EQ_INT(parse("float.wav"), -1);
	CHECK_CONTAINS(why, "32-bit IEEE float");
	riff();
	fmt(1, 1, 22050, 16);
	pcm_data(10);
	CHECK_EQ_INT(parse("welcome.prompt.wav"), -1);
	CHECK_CONTAINS(why, "22050 Hz mono 16-bit PCM (8000 or 16000 Hz are taken); convert with:"
						" sox welcome.prompt.wav -r 8000 -c 1 -b 16 welcome.prompt-8k.wav");
	riff();
	fmt(6, 1, 16000, 8);
	chunk("data", "abcd", 4, 1);
	CHECK_EQ_INT(parse("alaw16k.wav"), -1);
	CHECK_CONTAINS(why, "A-law (G.711 is 8000 Hz)");
	riff();
	fmt(0x55, 6, 48000, 0);
	chunk("data", "abcd", 4, 1);
	CHECK_EQ_INT(parse("song.wav"), -1);
	CHECK_CONTAINS(why, "48000 Hz 6 channels 0-bit MP3");
	riff();
	fmt(0x1234, 1, 8000, 16);
	chunk("data", "abcd", 4, 1);
	CHECK_EQ_INT(parse("odd.wav"), -1);
	CHECK_CONTAINS(why, "format 0x1234");
}

TEST(wav_truncated_and_broken_files)
{
	size_t full;

	riff();
	fmt(1, 1, 8000, 16);
	pcm_data(400);
	riff_end();
	full = w.n;
	/* cut anywhere: never a crash, always a reason */
	for(w.n = 0; w.n < full; w.n++) {
		CHECK_EQ_INT(media_wav_parse(w.b, w.n, "cut.wav", &out, why), -1);
		CHECK(why[0] != '\0');
	}
	CHECK_EQ_INT(media_wav_parse(w.b, full - 1, "cut.wav", &out, why), -1);
	CHECK_CONTAINS(why, "truncated: the RIFF header says");
	/* a data chunk that claims more than the file (RIFF size fixed up to match) */
	w.n = full - 100;
	CHECK_EQ_INT(parse("cut.wav"), -1);
	CHECK_CONTAINS(why, "truncated: chunk 'data' says 800 bytes, 700 remain");
	CHECK_EQ_INT(media_wav_parse(w.b, 5, "tiny.wav", &out, why), -1);
	CHECK_CONTAINS(why, "5 bytes, too short");
	CHECK_EQ_INT(media_wav_parse((const unsigned char *)"RIFX\0\0\0\0WAVE", 12, "be.wav",
						 &out, why), -1);
	CHECK_CONTAINS(why, "big-endian RIFX");
	CHECK_EQ_INT(media_wav_parse((const unsigned char *)"ID3\x04\0\0\0\0\0\0\0\0\0\0", 14,
						 "song.mp3", &out, why), -1);
	CHECK_EQ_STR(why, "prompt song.mp3: not a WAV file (no RIFF/WAVE header)");
}

TEST(wav_chunks_in_the_wrong_order_or_missing)
{
	riff();
	pcm_data(10);
	fmt(1, 1, 8000, 16);
	CHECK_EQ_INT(parse("order.wav"), -1);
	CHECK_CONTAINS(why, "no fmt chunk before the data chunk");
	riff();
	fmt(1, 1, 8000, 16);
	CHECK_EQ_INT(parse("nodata.wav"), -1);
	CHECK_CONTAINS(why, "no data chunk");
	riff();
	chunk("LIST", "INFO", 4, 1);
	CHECK_EQ_INT(parse("nofmt.wav"), -1);
	CHECK_CONTAINS(why, "no fmt chunk");
	riff();
	fmt(1, 1, 8000, 16);
	fmt(1, 1, 8000, 16);
	pcm_data(10);
	CHECK_EQ_INT(parse("twofmt.wav"), -1);
	CHECK_CONTAINS(why, "two fmt chunks");
	riff();
	fmt(1, 1, 8000, 16);
	pcm_data(10);
	pcm_data(10);
	CHECK_EQ_INT(parse("twodata.wav"), -1);
	CHECK_CONTAINS(why, "two data chunks");
	riff();
	fmt(1, 1, 8000, 16);
	chunk("data", "", 0, 1);
	CHECK_EQ_INT(parse("empty.wav"), -1);
	CHECK_CONTAINS(why, "no samples");
	riff();
	fmt(1, 1, 8000, 16);
	chunk("data", "abc", 3, 1);
	CHECK_EQ_INT(parse("oddpcm.wav"), -1);
	CHECK_CONTAINS(why, "data chunk of 3 bytes: 16-bit samples need an even count");
	riff();
	chunk("fmt ", "\x01\x00\x01\x00", 4, 1);
	CHECK_EQ_INT(parse("shortfmt.wav"), -1);
	CHECK_CONTAINS(why, "fmt chunk of 4 bytes, at least 16 expected");
	riff();
	fmt(1, 1, 8000, 16);
	w.b[w.n - 4] = 4; /* block align 4 for 16-bit mono */
	pcm_data(10);
	CHECK_EQ_INT(parse("contra.wav"), -1);
	CHECK_CONTAINS(why, "fmt chunk contradicts itself");
	riff();
	fmt(1, 1, 8000, 16);
	pcm_data(10);
	put("dat", 3);
	CHECK_EQ_INT(parse("stray.wav"), -1);
	CHECK_CONTAINS(why, "3 stray bytes");
}

TEST(wav_names_are_made_printable)
{
	riff();
	CHECK_EQ_INT(media_wav_parse(w.b, 12, "a\nb\x1b.wav", &out, why), -1);
	CHECK_CONTAINS(why, "prompt a?b?.wav: ");
	CHECK(strchr(why, '\n') == NULL);
}

TEST(wav_load_from_files)
{
	char dir[] = "/tmp/omniq-wav-XXXXXX", path[128];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/greeting.wav", dir);
	riff();
	fmt(1, 1, 8000, 16);
	pcm_data(400);
	riff_end();
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if(f) {
		fwrite(w.b, 1, w.n, f);
		fclose(f);
	}
	CHECK_EQ_INT(media_wav_load(path, &out, why), 0);
	CHECK_EQ_INT(out.samples, 400);
	CHECK(out.pcm && memcmp(out.pcm, tone, sizeof tone) == 0);
	media_wav_free(&out);
	/* a truncated copy names the file by its base name */
	f = fopen(path, "wb");
	if(f) {
		fwrite(w.b, 1, w.n - 10, f);
		fclose(f);
	}
	CHECK_EQ_INT(media_wav_load(path, &out, why), -1);
	CHECK_CONTAINS(why, "prompt greeting.wav: truncated");
	unlink(path);
	CHECK_EQ_INT(media_wav_load(path, &out, why), -1);
	CHECK_CONTAINS(why, "No such file or directory");
	CHECK_EQ_INT(media_wav_load(dir, &out, why), -1);
	CHECK_CONTAINS(why, "is not a regular file");
	CHECK(out.pcm == NULL);
	/* over the size limit, judged before reading: a sparse file */
	f = fopen(path, "wb");
	if(f) {
		CHECK_EQ_INT(ftruncate(fileno(f), (off_t)MEDIA_WAV_MAX + 1), 0);
		fclose(f);
	}
	CHECK_EQ_INT(media_wav_load(path, &out, why), -1);
	CHECK_CONTAINS(why, "a prompt is at most");
	unlink(path);
	rmdir(dir);
}

UNIT_MAIN()
