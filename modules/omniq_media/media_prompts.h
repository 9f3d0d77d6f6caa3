/*
 * media_prompts.h - the prompts of one language (media_say.h's ids), loaded from a
 * directory of WAV files and encoded once, ready for the media processes to send.
 *
 * G.722 (MEDIA_G722): the same 8000 Hz prompts, encoded by spandsp's G.722 encoder in its
 * 8 kHz input mode (the upper band silent): a caller whose phone prefers G.722 is answered
 * in it, 160 bytes per 20 ms at RTP clock 8000 (RFC 3551's rule for G.722). The encoder is
 * stateful: each prompt is encoded from a fresh state, as a decoder that resets between
 * talkspurts hears it.
 *
 * Why all at load: a media process sends 20 ms frames on a timer to thousands of callers;
 * encoding there would repeat the same work per call, and a bad file found there would be
 * heard as noise. So <dir>/<basename>.wav of every id the language uses is read with
 * media_wav_load (strict, with the sox command that converts what it refuses) in
 * mod_init, encoded to µ-law AND A-law (each call takes one of them), and its end padded
 * with silence (the code of linear 0 in that law) to a whole number of
 * MEDIA_RTP_SAMPLES-sample frames, so that the sender never sends a short packet.
 *
 * What a directory must hold is media_prompt_need's: a missing required file refuses the
 * directory (the reason names the file, the directory and any other required file
 * missing, so an admin setting up a language fixes them all at once); a missing optional
 * one is absent, which the player skips (music absent: silence). Files of ids the
 * language does not use are not read. Rates: 8000 Hz only; a 16000 Hz file is refused
 * until G.722 has an encoder.
 *
 * Memory: plain malloc, one block per prompt holding both laws; loaded before the media
 * processes fork, the blocks are then shared read-only. media_prompts_free releases them.
 *
 * Pure C, no Kamailio.
 */
#ifndef OMNIQ_MEDIA_PROMPTS_H
#define OMNIQ_MEDIA_PROMPTS_H

#include <stddef.h>
#include <stdint.h>

#include "media_g711.h"
#include "media_rtp.h"
#include "media_say.h"

/* enough for a directory path and media_wav's reason */
#define MEDIA_PROMPTS_WHY_MAX 768

/* the codecs a prompt is held in: media_g711.h's MEDIA_ULAW (0), MEDIA_ALAW (1), and */
#define MEDIA_G722 2
#define MEDIA_CODECS 3

typedef struct media_prompt {
	uint8_t *code[MEDIA_CODECS]; /* [MEDIA_ULAW], [MEDIA_ALAW], [MEDIA_G722]: frames *
						 MEDIA_RTP_SAMPLES bytes; NULL when absent (one block: code[0] is the one
						 to free) */
	size_t frames;
	size_t samples; /* in the file, before the padding */
} media_prompt_t;

typedef struct media_prompts {
	int lang; /* MEDIA_LANG_*, -1 when nothing is loaded */
	media_prompt_t p[MP_COUNT];
} media_prompts_t;

/* The prompts of lang from dir into p: 0, or -1 with why (why_len bytes, may be NULL) and
 * p empty. p need not be initialised; on success release it with media_prompts_free. */
int media_prompts_load(media_prompts_t *p, const char *dir, int lang, char *why, int why_len);

/* Releases what media_prompts_load took; p is then empty (lang -1). Safe twice. */
void media_prompts_free(media_prompts_t *p);

/* Whether media_prompts_load would take dir for lang: 0, or -1 with why. Holds one file's
 * samples at a time (an RPC or a config check can run it beside the loaded prompts). */
int media_prompts_check(const char *dir, int lang, char *why, int why_len);

/* The codes of id in law (MEDIA_ULAW, MEDIA_ALAW), frame i at i * MEDIA_RTP_SAMPLES, and
 * their frame count into *frames (may be NULL); NULL (and 0) when absent or out of range. */
const uint8_t *media_prompt_frames(const media_prompts_t *p, media_prompt_id_t id, int law,
		size_t *frames);

/* The frames of id: 0 when absent. */
size_t media_prompt_frame_count(const media_prompts_t *p, media_prompt_id_t id);

/* The code of linear 0 in law: what the padding is made of (G.711 laws). */
uint8_t media_prompt_silence(int law);

/* A frame of silence in law (MEDIA_ULAW, MEDIA_ALAW, MEDIA_G722): what is sent when there is
 * no music. */
const uint8_t *media_prompt_silence_frame(int law);

/* The optional prompts of p's language that are absent, as "music.wav sla3.wav" into out
 * (len bytes, cut at a name's end when short): how many. For mod_init's log. */
int media_prompts_absent(const media_prompts_t *p, char *out, int len);

#endif
