/*
 * media_wav.c - see media_wav.h. The chunk walk never trusts a size: each is compared
 * with the bytes left in the RIFF chunk before anything is read behind it.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media_g711.h"
#include "media_wav.h"

#define W MEDIA_WAV_WHY_MAX
#define NAME_MAX_SHOWN 96
#define FORMAT_EXTENSIBLE 0xfffe

/* KSDATAFORMAT_SUBTYPE_*: the format tag in two bytes, then these fourteen */
static const unsigned char guid_tail[14] = {0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
		0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71};

typedef struct fmt {
	unsigned tag, channels, block, bits;
	uint32_t rate, byte_rate;
} fmt_t;

typedef struct wav_ctx {
	const char *name; /* shown, made printable */
	char *why;
} wav_ctx_t;

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static unsigned le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static int fail(wav_ctx_t *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(wav_ctx_t *x, const char *fmt, ...)
{
	char text[W];
	va_list ap;

	va_start(ap, fmt);
	if(vsnprintf(text, sizeof text, fmt, ap) < 0)
		text[0] = '\0';
	va_end(ap);
	if(x->why && snprintf(x->why, W, "prompt %s: %s", x->name, text) < 0)
		x->why[0] = '\0';
	return -1;
}

static const char *codec_name(unsigned tag)
{
	switch(tag) {
		case MEDIA_WAV_PCM16:
			return "PCM";
		case 3:
			return "IEEE float";
		case MEDIA_WAV_ALAW:
			return "A-law";
		case MEDIA_WAV_ULAW:
			return "u-law";
		case 2:
		case 0x11:
			return "ADPCM";
		case 0x55:
			return "MP3";
	}
	return NULL;
}

/* what the file is, and the sox command that makes it one we take */
static int refuse(wav_ctx_t *x, const fmt_t *f, const char *also)
{
	char chans[16], codec[24], stem[NAME_MAX_SHOWN + 1];
	const char *dot = strrchr(x->name, '.');
	size_t n = dot ? (size_t)(dot - x->name) : strlen(x->name);

	if(f->channels == 1 || f->channels == 2)
		snprintf(chans, sizeof chans, "%s", f->channels == 1 ? "mono" : "stereo");
	else
		snprintf(chans, sizeof chans, "%u channels", f->channels);
	if(codec_name(f->tag))
		snprintf(codec, sizeof codec, "%s", codec_name(f->tag));
	else
		snprintf(codec, sizeof codec, "format 0x%04x", f->tag);
	snprintf(stem, sizeof stem, "%.*s", (int)n, x->name);
	return fail(x, "%u Hz %s %u-bit %s%s; convert with: sox %s -r 8000 -c 1 -b 16 %s-8k.wav",
			f->rate, chans, f->bits, codec, also, x->name, stem);
}

static int read_fmt(wav_ctx_t *x, const unsigned char *p, uint32_t size, fmt_t *f)
{
	if(size < 16)
		return fail(x, "fmt chunk of %u bytes, at least 16 expected", size);
	f->tag = le16(p);
	f->channels = le16(p + 2);
	f->rate = le32(p + 4);
	f->byte_rate = le32(p + 8);
	f->block = le16(p + 12);
	f->bits = le16(p + 14);
	if(f->tag == FORMAT_EXTENSIBLE) {
		if(size < 40 || le16(p + 16) < 22)
			return fail(x, "extensible fmt chunk of %u bytes, 40 expected", size);
		if(memcmp(p + 26, guid_tail, sizeof guid_tail) != 0)
			return fail(x, "extensible format with a sub-format that is not PCM or G.711;"
						   " convert with: sox %s -r 8000 -c 1 -b 16 <out>.wav",
					x->name);
		f->tag = le16(p + 24);
	}
	return 0;
}

static int check_fmt(wav_ctx_t *x, const fmt_t *f)
{
	int g711 = f->tag == MEDIA_WAV_ALAW || f->tag == MEDIA_WAV_ULAW;

	if(f->channels != 1 || !(f->tag == MEDIA_WAV_PCM16 || g711))
		return refuse(x, f, "");
	if(f->tag == MEDIA_WAV_PCM16 && f->bits != 16)
		return refuse(x, f, "");
	if(g711 && f->bits != 8)
		return refuse(x, f, " (G.711 has 8-bit codes)");
	if(f->tag == MEDIA_WAV_PCM16 && f->rate != 8000 && f->rate != 16000)
		return refuse(x, f, " (8000 or 16000 Hz are taken)");
	if(g711 && f->rate != 8000)
		return refuse(x, f, " (G.711 is 8000 Hz)");
	if(f->block != f->bits / 8 || f->byte_rate != f->rate * f->block)
		return fail(x, "fmt chunk contradicts itself: block align %u and %u bytes/s for "
					   "%u Hz %u-bit mono",
				f->block, f->byte_rate, f->rate, f->bits);
	return 0;
}

static int samples_of(wav_ctx_t *x, const fmt_t *f, const unsigned char *data, uint32_t size,
		media_wav_t *w)
{
	size_t i, n = f->tag == MEDIA_WAV_PCM16 ? size / 2 : size;

	if(f->tag == MEDIA_WAV_PCM16 && size % 2)
		return fail(x, "data chunk of %u bytes: 16-bit samples need an even count", size);
	if(n == 0)
		return fail(x, "no samples (empty data chunk)");
	if((w->pcm = malloc(n * sizeof *w->pcm)) == NULL)
		return fail(x, "out of memory for %zu samples", n);
	if(f->tag == MEDIA_WAV_PCM16)
		for(i = 0; i < n; i++)
			w->pcm[i] = (int16_t)le16(data + 2 * i);
	else
		media_g711_decode(f->tag == MEDIA_WAV_ALAW ? MEDIA_ALAW : MEDIA_ULAW, data, n, w->pcm);
	w->samples = n;
	w->rate = (int)f->rate;
	w->format = (int)f->tag;
	return 0;
}

/* a chunk's four-byte id, printable */
static const char *chunk_id(const unsigned char *p, char *out)
{
	int i;

	for(i = 0; i < 4; i++)
		out[i] = p[i] < 0x20 || p[i] > 0x7e || p[i] == '\'' ? '?' : (char)p[i];
	out[4] = '\0';
	return out;
}

static int parse(wav_ctx_t *x, const unsigned char *buf, size_t len, media_wav_t *w)
{
	const unsigned char *data = NULL;
	uint32_t riff, size, data_size = 0;
	size_t pos = 12, end, left;
	fmt_t f;
	char id[5];
	int have_fmt = 0;

	if(len < 12)
		return fail(x, "%zu bytes, too short for a WAV file", len);
	if(memcmp(buf, "RIFX", 4) == 0)
		return fail(x, "big-endian RIFX is not supported; convert with: sox %s -r 8000 -c 1 "
					   "-b 16 <out>.wav",
				x->name);
	if(memcmp(buf, "RIFF", 4) != 0 || memcmp(buf + 8, "WAVE", 4) != 0)
		return fail(x, "not a WAV file (no RIFF/WAVE header)");
	riff = le32(buf + 4);
	if(riff < 4 || riff > len - 8)
		return fail(x, "truncated: the RIFF header says %u bytes, the file has %zu", riff,
				len - 8);
	end = 8 + (size_t)riff;
	while(pos < end) {
		left = end - pos;
		if(left < 8)
			return fail(x, "%zu stray bytes at the end of the RIFF chunk", left);
		size = le32(buf + pos + 4);
		if(size > left - 8)
			return fail(x, "truncated: chunk '%s' says %u bytes, %zu remain",
					chunk_id(buf + pos, id), size, left - 8);
		if(memcmp(buf + pos, "fmt ", 4) == 0) {
			if(have_fmt)
				return fail(x, "two fmt chunks");
			if(data)
				return fail(x, "the fmt chunk comes after the data chunk");
			if(read_fmt(x, buf + pos + 8, size, &f) < 0 || check_fmt(x, &f) < 0)
				return -1;
			have_fmt = 1;
		} else if(memcmp(buf + pos, "data", 4) == 0) {
			if(!have_fmt)
				return fail(x, "no fmt chunk before the data chunk");
			if(data)
				return fail(x, "two data chunks");
			data = buf + pos + 8;
			data_size = size;
		}
		/* an odd chunk is followed by a pad byte, which a last chunk may lack */
		pos += 8 + (size_t)size + (size & 1);
	}
	if(!have_fmt)
		return fail(x, "no fmt chunk");
	if(data == NULL)
		return fail(x, "no data chunk");
	return samples_of(x, &f, data, data_size, w);
}

/* the name made printable for messages, cut to NAME_MAX_SHOWN bytes */
static void shown(const char *name, char *out)
{
	size_t i;

	for(i = 0; name[i] && i < NAME_MAX_SHOWN; i++)
		out[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f ? '?' : name[i];
	out[i] = '\0';
}

int media_wav_parse(const unsigned char *buf, size_t len, const char *name, media_wav_t *w,
		char *why)
{
	char nm[NAME_MAX_SHOWN + 1];
	wav_ctx_t x = {nm, why};

	memset(w, 0, sizeof *w);
	shown(name ? name : "(unnamed)", nm);
	if(len > MEDIA_WAV_MAX)
		return fail(&x, "%zu bytes; a prompt is at most %u", len, MEDIA_WAV_MAX);
	if(parse(&x, buf, len, w) < 0) {
		media_wav_free(w);
		return -1;
	}
	return 0;
}

int media_wav_load(const char *path, media_wav_t *w, char *why)
{
	const char *base = strrchr(path, '/');
	char nm[NAME_MAX_SHOWN + 1];
	wav_ctx_t x = {nm, why};
	unsigned char *buf = NULL;
	struct stat st;
	size_t got = 0;
	ssize_t r;
	int fd, rc = -1;

	memset(w, 0, sizeof *w);
	shown(base ? base + 1 : path, nm);
	if((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(&x, "cannot open %s: %s", path, strerror(errno));
	if(fstat(fd, &st) < 0) {
		fail(&x, "cannot stat %s: %s", path, strerror(errno));
		goto out;
	}
	if(!S_ISREG(st.st_mode)) {
		fail(&x, "%s is not a regular file", path);
		goto out;
	}
	if(st.st_size > (off_t)MEDIA_WAV_MAX) {
		fail(&x, "%lld bytes; a prompt is at most %u", (long long)st.st_size,
				MEDIA_WAV_MAX);
		goto out;
	}
	if((buf = malloc(st.st_size ? (size_t)st.st_size : 1)) == NULL) {
		fail(&x, "out of memory for %lld bytes", (long long)st.st_size);
		goto out;
	}
	while(got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if(r < 0 && errno == EINTR)
			continue;
		if(r <= 0) {
			fail(&x, "read %s: %s", path, r < 0 ? strerror(errno) : "the file shrank");
			goto out;
		}
		got += (size_t)r;
	}
	rc = media_wav_parse(buf, got, nm, w, why);
out:
	free(buf);
	close(fd);
	return rc;
}

void media_wav_free(media_wav_t *w)
{
	free(w->pcm);
	memset(w, 0, sizeof *w);
}
