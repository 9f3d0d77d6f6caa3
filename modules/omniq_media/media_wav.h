/*
 * media_wav.h - prompts from WAV (RIFF) files, read strictly: what a media process plays
 * must be exactly what the admin meant, and a file it cannot play must say why at load
 * (with the command that converts it), not sound like noise to callers.
 *
 * Taken: mono 16-bit PCM at 8000 Hz (PCMU/PCMA calls) or 16000 Hz (G.722, later), and
 * mono G.711 µ-law or A-law at 8000 Hz (format tags 7 and 6, or WAVE_FORMAT_EXTENSIBLE
 * with the PCM, A-law or µ-law sub-format); the samples come out as 16-bit PCM.
 * Anything else is refused with what the file is and how to convert it:
 *   "prompt x.wav: 44100 Hz stereo 16-bit PCM; convert with: sox x.wav -r 8000 -c 1 -b 16 x-8k.wav"
 *
 * The reader is bounded: at most MEDIA_WAV_MAX bytes, chunks walked by their sizes with
 * every size checked against what is left; odd chunks skip their pad byte (a last chunk
 * missing its pad is tolerated); LIST, fact, cue and other chunks are skipped; "fmt "
 * must come once, before "data"; a data chunk longer than the file is a truncated file and
 * refused. Bytes after the RIFF chunk (some editors append junk) are ignored.
 *
 * Pure C (no Kamailio); the samples are malloc'ed (media_wav_free releases them), since
 * prompts are loaded in mod_init before the processes fork.
 */
#ifndef OMNIQ_MEDIA_WAV_H
#define OMNIQ_MEDIA_WAV_H

#include <stddef.h>
#include <stdint.h>

#define MEDIA_WAV_MAX (32u << 20) /* bytes: ~17 min of 16 kHz PCM, ~35 min at 8 kHz */
#define MEDIA_WAV_WHY_MAX 256

enum media_wav_format { MEDIA_WAV_PCM16 = 1, MEDIA_WAV_ULAW = 7, MEDIA_WAV_ALAW = 6 };

typedef struct media_wav {
	int rate;		 /* 8000 or 16000 */
	int format;		 /* what the file held: MEDIA_WAV_* */
	int16_t *pcm;	 /* the samples, malloc'ed */
	size_t samples;
} media_wav_t;

/* Reads the WAV in buf (len bytes) into w; name is the file's name for messages. 0, or -1
 * with why (MEDIA_WAV_WHY_MAX bytes) and w empty. */
int media_wav_parse(const unsigned char *buf, size_t len, const char *name, media_wav_t *w,
		char *why);

/* Reads the file at path (its base name in messages): as media_wav_parse, plus the reasons
 * of open/read and the size limit. */
int media_wav_load(const char *path, media_wav_t *w, char *why);

void media_wav_free(media_wav_t *w);

#endif
