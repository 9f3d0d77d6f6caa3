/*
 * media_prompts.c - see media_prompts.h. The required files are looked for before any is
 * read, so a directory missing several is refused with all of them named and nothing
 * decoded; then each file is read, encoded and freed in turn.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "media_g711.h"
#include <spandsp/telephony.h>
#include <spandsp/g722.h>

#include "media_prompts.h"
#include "media_wav.h"

#define FRAME MEDIA_RTP_SAMPLES
#define MORE_ROOM 24 /* kept for " and 99 more" when naming missing files */

/* printf into why (len bytes, may be NULL): -1, for `return whyf(...)` */
static int whyf(char *why, int len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int whyf(char *why, int len, const char *fmt, ...)
{
	va_list ap;

	if(why == NULL || len <= 0)
		return -1;
	va_start(ap, fmt);
	if(vsnprintf(why, (size_t)len, fmt, ap) < 0)
		why[0] = '\0';
	va_end(ap);
	return -1;
}

/* appends " name" to out (len bytes) when it fits with room bytes to spare: 1, else 0 */
static int add_name(char *out, int len, const char *sep, const char *name, int room)
{
	size_t at = strlen(out), n = strlen(sep) + strlen(name) + 4;

	if(at + n + (size_t)room >= (size_t)len)
		return 0;
	snprintf(out + at, (size_t)len - at, "%s%s.wav", sep, name);
	return 1;
}

static int check_dir(const char *dir, int lang, char *why, int len)
{
	struct stat st;

	if(media_lang_name(lang) == NULL)
		return whyf(why, len, "unknown prompt language %d", lang);
	if(dir == NULL || dir[0] == '\0')
		return whyf(why, len, "no prompts directory given");
	if(stat(dir, &st) < 0)
		return whyf(why, len, "prompts directory %s: %s", dir, strerror(errno));
	if(!S_ISDIR(st.st_mode))
		return whyf(why, len, "prompts directory %s: not a directory", dir);
	return 0;
}

/* <dir>/<name>.wav into path (PATH_MAX): 0, or -1 with why */
static int path_of(const char *dir, int id, char *path, char *why, int len)
{
	const char *name = media_prompt_name(id);

	if(snprintf(path, PATH_MAX, "%s/%s.wav", dir, name) >= PATH_MAX)
		return whyf(why, len, "prompts directory %s: path too long for %s.wav", dir, name);
	return 0;
}

/* whether path is missing; other stat failures are left to media_wav_load to explain */
static int missing(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 && (errno == ENOENT || errno == ENOTDIR);
}

static int missing_why(char *why, int len, const char *dir, int lang, int id)
{
	return whyf(why, len, "prompts directory %s: %s prompt %s.wav is missing (required)",
			dir, media_lang_name(lang), media_prompt_name(id));
}

/* every required file of lang is in dir: 0, or -1 naming the first and the others */
static int required_present(const char *dir, int lang, char *why, int len)
{
	char path[PATH_MAX];
	int id, first = -1, listed = 0, more = 0;

	for(id = 0; id < MP_COUNT; id++) {
		if(media_prompt_need(lang, id) != MEDIA_PROMPT_REQUIRED)
			continue;
		if(path_of(dir, id, path, why, len) < 0)
			return -1;
		if(!missing(path))
			continue;
		if(first < 0) {
			first = id;
			missing_why(why, len, dir, lang, id);
		} else if(why && len > 0 && !more
				  && add_name(why, len, listed ? " " : "; also missing: ",
						  media_prompt_name(id), MORE_ROOM))
			listed++;
		else
			more++;
	}
	if(first >= 0 && more && why && len > 0)
		snprintf(why + strlen(why), (size_t)len - strlen(why), " and %d more", more);
	return first < 0 ? 0 : -1;
}

uint8_t media_prompt_silence(int law)
{
	int16_t zero = 0;
	uint8_t code;

	media_g711_encode(law, &zero, 1, &code);
	return code;
}

/* n samples (zeros past w's end) as G.722 from a fresh encoder: 0, or -1 */
static int g722(const int16_t *pcm, size_t have, size_t n, uint8_t *out)
{
	g722_encode_state_t *st = g722_encode_init(NULL, 64000, G722_SAMPLE_RATE_8000);
	int16_t *padded = calloc(n ? n : 1, sizeof(*padded));
	int rc = -1;

	if(st && padded) {
		memcpy(padded, pcm, have * sizeof(*pcm));
		rc = g722_encode(st, out, padded, (int)n) == (int)n ? 0 : -1;
	}
	free(padded);
	if(st)
		g722_encode_free(st);
	return rc;
}

const uint8_t *media_prompt_silence_frame(int law)
{
	static uint8_t frame[MEDIA_CODECS][FRAME];
	static int made[MEDIA_CODECS];
	int16_t zeros[3 * FRAME];
	uint8_t codes[3 * FRAME];

	if(law < 0 || law >= MEDIA_CODECS)
		law = MEDIA_ULAW;
	if(!made[law]) {
		if(law == MEDIA_G722) {
			/* the encoder's own silence, once it has settled: the last of three frames */
			memset(zeros, 0, sizeof(zeros));
			if(g722(zeros, 3 * FRAME, 3 * FRAME, codes) == 0)
				memcpy(frame[law], codes + 2 * FRAME, FRAME);
		} else
			memset(frame[law], media_prompt_silence(law), FRAME);
		made[law] = 1;
	}
	return frame[law];
}

/* w's samples in every codec, padded to whole frames, into one block of into */
static int encode(const media_wav_t *w, media_prompt_t *into)
{
	size_t frames = (w->samples + FRAME - 1) / FRAME, bytes = frames * FRAME;
	uint8_t *block = malloc(MEDIA_CODECS * bytes);
	int law;

	if(block == NULL)
		return -1;
	for(law = MEDIA_ULAW; law <= MEDIA_ALAW; law++) {
		into->code[law] = block + (size_t)law * bytes;
		media_g711_encode(law, w->pcm, w->samples, into->code[law]);
		memset(into->code[law] + w->samples, media_prompt_silence(law), bytes - w->samples);
	}
	into->code[MEDIA_G722] = block + (size_t)MEDIA_G722 * bytes;
	if(g722(w->pcm, w->samples, bytes, into->code[MEDIA_G722]) < 0) {
		free(block);
		memset(into->code, 0, sizeof(into->code));
		return -1;
	}
	into->frames = frames;
	into->samples = w->samples;
	return 0;
}

/* a rate the senders have no codec for: why, with the conversion */
static int bad_rate(const char *dir, int id, int rate, char *why, int len)
{
	const char *name = media_prompt_name(id);

	return whyf(why, len,
			"prompts directory %s: prompt %s.wav: %d Hz; prompts are 8000 Hz (G.722 calls "
			"get them too); convert with: sox %s.wav -r 8000 -c 1 -b 16 %s-8k.wav",
			dir, name, rate, name, name);
}

/* id's file of dir, encoded into `into` (NULL: only checked): 0, 1 when absent, or -1 */
static int load_one(const char *dir, int id, media_prompt_t *into, char *why, int len)
{
	char path[PATH_MAX], wwhy[MEDIA_WAV_WHY_MAX];
	media_wav_t w;
	int rc = 0;

	if(path_of(dir, id, path, why, len) < 0)
		return -1;
	if(missing(path))
		return 1;
	if(media_wav_load(path, &w, wwhy) < 0)
		return whyf(why, len, "prompts directory %s: %s", dir, wwhy);
	if(w.rate != 8000)
		rc = bad_rate(dir, id, w.rate, why, len);
	else if(into && encode(&w, into) < 0)
		rc = whyf(why, len, "prompts directory %s: out of memory for %s.wav (%zu samples)",
				dir, media_prompt_name(id), w.samples);
	media_wav_free(&w);
	return rc;
}

/* each file lang uses, loaded into p (NULL: checked and dropped) */
static int load_all(media_prompts_t *p, const char *dir, int lang, char *why, int len)
{
	int id, need, rc;

	if(check_dir(dir, lang, why, len) < 0 || required_present(dir, lang, why, len) < 0)
		return -1;
	for(id = 0; id < MP_COUNT; id++) {
		if((need = media_prompt_need(lang, id)) == MEDIA_PROMPT_UNUSED)
			continue;
		rc = load_one(dir, id, p ? &p->p[id] : NULL, why, len);
		if(rc == 1 && need == MEDIA_PROMPT_REQUIRED) /* gone since it was looked for */
			rc = missing_why(why, len, dir, lang, id);
		if(rc < 0)
			return -1;
	}
	return 0;
}

int media_prompts_load(media_prompts_t *p, const char *dir, int lang, char *why, int why_len)
{
	memset(p, 0, sizeof *p);
	p->lang = -1;
	if(load_all(p, dir, lang, why, why_len) < 0) {
		media_prompts_free(p);
		return -1;
	}
	p->lang = lang;
	return 0;
}

void media_prompts_free(media_prompts_t *p)
{
	int id;

	for(id = 0; id < MP_COUNT; id++)
		free(p->p[id].code[MEDIA_ULAW]);
	memset(p, 0, sizeof *p);
	p->lang = -1;
}

int media_prompts_check(const char *dir, int lang, char *why, int why_len)
{
	return load_all(NULL, dir, lang, why, why_len);
}

const uint8_t *media_prompt_frames(const media_prompts_t *p, media_prompt_id_t id, int law,
		size_t *frames)
{
	if(frames)
		*frames = 0;
	if(p == NULL || (int)id < 0 || id >= MP_COUNT || law < 0 || law >= MEDIA_CODECS
			|| p->p[id].code[law] == NULL)
		return NULL;
	if(frames)
		*frames = p->p[id].frames;
	return p->p[id].code[law];
}

size_t media_prompt_frame_count(const media_prompts_t *p, media_prompt_id_t id)
{
	size_t frames;

	media_prompt_frames(p, id, MEDIA_ULAW, &frames);
	return frames;
}

int media_prompts_absent(const media_prompts_t *p, char *out, int len)
{
	int id, n = 0, full = 0;

	if(out && len > 0)
		out[0] = '\0';
	for(id = 0; id < MP_COUNT; id++) {
		if(media_prompt_need(p->lang, id) != MEDIA_PROMPT_OPTIONAL
				|| p->p[id].code[MEDIA_ULAW])
			continue;
		if(out && len > 0 && !full)
			full = !add_name(out, len, n ? " " : "", media_prompt_name(id), 0);
		n++;
	}
	return n;
}
