/*
 * sms_text.c - see sms_text.h.
 *
 * One table of the GSM default alphabet and one of its extension serve both ways: decoding
 * indexes them, encoding searches them (138 entries, a few thousand characters at most:
 * no inverse table to keep in step). Every decoded character goes through one writer
 * (put_cp), which refuses what would not fit whole, so no path can write past out or leave
 * half a character. Counting and splitting go through one walk (walk_parts), so the count
 * an agent is shown and the parts that go out cannot disagree.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "omniq/omniq_utf8.h"

#include "sms_text.h"

#define GSM_ESC 0x1b
#define REPLACEMENT 0xfffd

/* 3GPP TS 23.038 §6.2.1, by septet. 0x1B is the escape to the extension table, no
 * character (its slot holds U+001B only to keep the index; encoding skips it). 0x09 is Ç:
 * the original GSM 03.38 showed ç, 23.038 shows Ç, and phones display Ç. */
static const uint16_t gsm_default[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, /* @£$¥èéùì */
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5, /* òÇ LF Øø CR Åå */
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8, /* Δ_ΦΓΛΩΠΨ */
	0x03a3, 0x0398, 0x039e, 0x001b, 0x00c6, 0x00e6, 0x00df, 0x00c9, /* ΣΘΞ ESC ÆæßÉ */
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027, /*  !"#¤%&' */
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f, /* ()*+,-./ */
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037, /* 01234567 */
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f, /* 89:;<=>? */
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* ¡ABCDEFG */
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f, /* HIJKLMNO */
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057, /* PQRSTUVW */
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7, /* XYZÄÖÑÜ§ */
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* ¿abcdefg */
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f, /* hijklmno */
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077, /* pqrstuvw */
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0, /* xyzäöñüà */
};

/* 23.038 §6.2.1.1, the basic extension table: the septet after ESC. Its other codes are
 * not characters; a receiver shows the default table's character for them (below). */
static const struct {
	unsigned char septet;
	uint16_t cp;
} gsm_ext[] = {
	{0x0a, 0x000c}, /* form feed (page break) */
	{0x14, 0x005e}, /* ^ */
	{0x28, 0x007b}, /* { */
	{0x29, 0x007d}, /* } */
	{0x2f, 0x005c}, /* \ */
	{0x3c, 0x005b}, /* [ */
	{0x3d, 0x007e}, /* ~ */
	{0x3e, 0x005d}, /* ] */
	{0x40, 0x007c}, /* | */
	{0x65, 0x20ac}, /* € */
};

#define GSM_EXT_N (sizeof(gsm_ext) / sizeof(gsm_ext[0]))

/* why is optional everywhere: NULL when the caller only wants the verdict. */
static int fail(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(char *why, const char *fmt, ...)
{
	va_list ap;

	if(why) {
		va_start(ap, fmt);
		vsnprintf(why, SMS_WHY_MAX, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ---- UTF-8 ---------------------------------------------------------------------- */

/* ---- decoding ------------------------------------------------------------------- */

typedef struct dst {
	char *p;
	size_t size; /* bytes of p, the NUL included */
	size_t len;
	int full;    /* a character did not fit: nothing more goes in */
} dst_t;

static void dst_init(dst_t *d, char *out, size_t out_size)
{
	d->p = out;
	d->size = out_size;
	d->len = 0;
	d->full = out_size == 0;
	if(out_size > 0)
		out[0] = '\0';
}

/* One whole character, or none and the destination is full. U+0000 and anything that is
 * no Unicode scalar value become U+FFFD: the core refuses NUL in a body. */
static void put_cp(dst_t *d, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if(d->full)
		return;
	if(cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		cp = REPLACEMENT;
	n = omniq_utf8_put(cp, b);
	if(d->len + n + 1 > d->size) {
		d->full = 1;
		return;
	}
	memcpy(d->p + d->len, b, n);
	d->len += n;
	d->p[d->len] = '\0';
}

static int dst_done(const dst_t *d, size_t *out_len, char *why)
{
	if(out_len)
		*out_len = d->len;
	if(d->full)
		return fail(why, "no room for the decoded text");
	return 0;
}

/* Septets, unpacked (a byte each) or packed (fill bits, then 7 bits each, LSB first). */
typedef struct septets {
	const unsigned char *p;
	size_t n;   /* septets */
	int packed;
	int fill;
} septets_t;

/* Septet i; above 0x7f only from unpacked input, where it is no septet at all. Packed,
 * the caller has checked that p holds every bit of n septets. */
static unsigned int septet_at(const septets_t *s, size_t i)
{
	size_t bit, byte;
	unsigned int v, shift;

	if(!s->packed)
		return s->p[i];
	bit = (size_t)s->fill + 7 * i;
	byte = bit / 8;
	shift = (unsigned int)(bit % 8);
	v = (unsigned int)s->p[byte] >> shift;
	if(shift > 1) /* the septet runs on into the next octet */
		v |= (unsigned int)s->p[byte + 1] << (8 - shift);
	return v & 0x7f;
}

static uint32_t gsm_ext_cp(unsigned int septet)
{
	size_t i;

	for(i = 0; i < GSM_EXT_N; i++)
		if(gsm_ext[i].septet == septet)
			return gsm_ext[i].cp;
	return 0;
}

static void decode_gsm(const septets_t *s, dst_t *d)
{
	unsigned int c, e;
	uint32_t cp;
	size_t i;

	for(i = 0; i < s->n && !d->full; i++) {
		c = septet_at(s, i);
		if(c > 0x7f) {
			put_cp(d, REPLACEMENT);
		} else if(c != GSM_ESC) {
			put_cp(d, gsm_default[c]);
		} else if(i + 1 == s->n) {
			put_cp(d, ' '); /* an escape with nothing to escape: 23.038 shows a space */
		} else {
			e = septet_at(s, ++i);
			if(e > 0x7f)
				put_cp(d, REPLACEMENT); /* one U+FFFD for the broken pair */
			else if(e == GSM_ESC)
				put_cp(d, ' '); /* reserved for a further table: "display a space" */
			else if((cp = gsm_ext_cp(e)) != 0)
				put_cp(d, cp);
			else
				put_cp(d, gsm_default[e]); /* unknown: the default table's character */
		}
	}
}

static void decode_latin1(const unsigned char *in, size_t len, dst_t *d)
{
	size_t i;

	for(i = 0; i < len && !d->full; i++)
		put_cp(d, in[i]); /* Latin-1 is Unicode's first 256 code points */
}

static void decode_ucs2(const unsigned char *in, size_t len, dst_t *d)
{
	uint32_t u, lo;
	size_t i;

	for(i = 0; i + 1 < len && !d->full; i += 2) {
		u = ((uint32_t)in[i] << 8) | in[i + 1];
		if(u >= 0xd800 && u <= 0xdbff && i + 3 < len) {
			lo = ((uint32_t)in[i + 2] << 8) | in[i + 3];
			if(lo >= 0xdc00 && lo <= 0xdfff) {
				put_cp(d, 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
				i += 2;
				continue;
			}
		}
		put_cp(d, u); /* an unpaired surrogate comes out as U+FFFD */
	}
	if(len % 2)
		put_cp(d, REPLACEMENT); /* half a unit */
}

static void decode_utf8(const unsigned char *in, size_t len, dst_t *d)
{
	size_t i = 0, n, bad;
	uint32_t cp;

	while(i < len && !d->full) {
		n = omniq_utf8_next(in + i, len - i, &cp, &bad);
		if(n == 0) {
			put_cp(d, REPLACEMENT);
			i += bad;
		} else {
			put_cp(d, cp);
			i += n;
		}
	}
}

int sms_decode(sms_coding_t coding, const unsigned char *in, size_t len, char *out,
		size_t out_size, size_t *out_len, char *why)
{
	septets_t s = {in, len, 0, 0};
	dst_t d;

	dst_init(&d, out, out_size);
	switch(coding) {
		case SMS_GSM7:
			decode_gsm(&s, &d);
			break;
		case SMS_8BIT:
			decode_latin1(in, len, &d);
			break;
		case SMS_UCS2:
			decode_ucs2(in, len, &d);
			break;
		case SMS_UTF8:
			decode_utf8(in, len, &d);
			break;
		default:
			if(out_len)
				*out_len = 0;
			return fail(why, "unknown coding (0 GSM 7-bit, 1 8-bit, 2 UCS-2, 3 UTF-8)");
	}
	return dst_done(&d, out_len, why);
}

int sms_decode_packed7(const unsigned char *in, size_t octets, size_t septets,
		int fill_bits, char *out, size_t out_size, size_t *out_len, char *why)
{
	septets_t s = {in, septets, 1, fill_bits};
	dst_t d;
	size_t need;

	dst_init(&d, out, out_size);
	if(out_len)
		*out_len = 0;
	if(fill_bits < 0 || fill_bits > 6)
		return fail(why, "fill bits must be 0..6");
	if(septets > (SIZE_MAX - 13) / 7) /* so that the bits below cannot overflow */
		return fail(why, "%zu septets cannot be", septets);
	need = ((size_t)fill_bits + 7 * septets + 7) / 8;
	if(octets < need)
		return fail(why, "%zu septets need %zu octets, got %zu", septets, need, octets);
	decode_gsm(&s, &d);
	return dst_done(&d, out_len, why);
}

/* ---- encoding and counting ------------------------------------------------------ */

/* cp in the GSM alphabet: 1 septet (default table), 2 (ESC and the extension's), or 0. */
static size_t gsm_septets(uint32_t cp, unsigned char sep[2])
{
	size_t i;

	for(i = 0; i < 128; i++) {
		if(i != GSM_ESC && gsm_default[i] == cp) {
			sep[0] = (unsigned char)i;
			return 1;
		}
	}
	for(i = 0; i < GSM_EXT_N; i++) {
		if(gsm_ext[i].cp == cp) {
			sep[0] = GSM_ESC;
			sep[1] = gsm_ext[i].septet;
			return 2;
		}
	}
	return 0;
}

int sms_gsm_encode(const char *utf8, unsigned char *out, size_t out_size, size_t *septets,
		char *why)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t left = strlen(utf8), len = 0, n, k, bad;
	unsigned char sep[2];
	uint32_t cp;

	*septets = 0;
	while(left > 0) {
		if((n = omniq_utf8_next(p, left, &cp, &bad)) == 0) {
			return fail(why, "ill-formed UTF-8 at byte %zu",
					(size_t)(p - (const unsigned char *)utf8));
		}
		if((k = gsm_septets(cp, sep)) == 0) {
			return fail(why, "U+%04X has no place in the GSM alphabet",
					(unsigned int)cp);
		}
		if(len + k > out_size)
			return fail(why, "no room for the septets");
		memcpy(out + len, sep, k);
		len += k;
		p += n;
		left -= n;
	}
	*septets = len;
	return 0;
}

int sms_pack7(const unsigned char *septets, size_t n, int fill_bits, unsigned char *out,
		size_t out_size)
{
	size_t i, bit, byte, need;
	unsigned int shift;

	if(fill_bits < 0 || fill_bits > 6 || n > (SIZE_MAX - 13) / 7)
		return -1;
	need = ((size_t)fill_bits + 7 * n + 7) / 8;
	if(need > out_size || need > (size_t)INT32_MAX)
		return -1;
	memset(out, 0, need);
	for(i = 0; i < n; i++) {
		if(septets[i] > 0x7f)
			return -1;
		bit = (size_t)fill_bits + 7 * i;
		byte = bit / 8;
		shift = (unsigned int)(bit % 8);
		out[byte] |= (unsigned char)(septets[i] << shift);
		if(shift > 1)
			out[byte + 1] |= (unsigned char)(septets[i] >> (8 - shift));
	}
	return (int)need;
}

/* The units of the character at p (left > 0 bytes) in coding, its bytes in *bytes: 1 or
 * 2, or 0 for ill-formed UTF-8 or, in SMS_GSM7, a character the alphabet lacks. */
static size_t char_units(const unsigned char *p, size_t left, sms_coding_t coding,
		size_t *bytes)
{
	unsigned char sep[2];
	size_t bad;
	uint32_t cp;

	if((*bytes = omniq_utf8_next(p, left, &cp, &bad)) == 0)
		return 0;
	if(coding == SMS_GSM7)
		return gsm_septets(cp, sep);
	return cp > 0xffff ? 2 : 1; /* a surrogate pair */
}

int sms_gsm_encodable(const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t left, n;

	if(utf8 == NULL)
		return 0;
	for(left = strlen(utf8); left > 0; p += n, left -= n)
		if(char_units(p, left, SMS_GSM7, &n) == 0)
			return 0;
	return 1;
}

/* The one rule for parts: characters fill a part of cap units in order, and one that does
 * not fit whole starts the next. The parts counted (0 for "", or when a character is
 * ill-formed or not in coding: *units is 0 then too); part want's bytes in [*b, *e) when
 * there is such a part. */
static size_t walk_parts(const char *utf8, sms_coding_t coding, size_t cap, size_t want,
		const char **b, const char **e, size_t *units)
{
	const unsigned char *p = (const unsigned char *)utf8;
	size_t left = strlen(utf8), parts = 0, fill = 0, n, u;

	*units = 0;
	for(; left > 0; p += n, left -= n) {
		if((u = char_units(p, left, coding, &n)) == 0) {
			*units = 0;
			return 0;
		}
		if(parts == 0 || fill + u > cap) {
			parts++;
			fill = 0;
			if(b && parts == want + 1)
				*b = (const char *)p; /* the part asked for begins here */
			if(b && parts == want + 2)
				*e = (const char *)p; /* and ends here */
		}
		fill += u;
		*units += u;
	}
	if(b && parts == want + 1)
		*e = (const char *)p;
	return parts;
}

int sms_parts(const char *utf8, sms_plan_t *plan)
{
	size_t units;

	memset(plan, 0, sizeof(*plan));
	plan->coding = sms_gsm_encodable(utf8) ? SMS_GSM7 : SMS_UCS2;
	if(utf8 == NULL || *utf8 == '\0')
		return -1;
	plan->per_part = plan->coding == SMS_GSM7 ? SMS_GSM_SINGLE : SMS_UCS2_SINGLE;
	plan->parts = walk_parts(utf8, plan->coding, plan->per_part, 0, NULL, NULL, &units);
	if(plan->parts > 1) {
		plan->per_part = plan->coding == SMS_GSM7 ? SMS_GSM_PART : SMS_UCS2_PART;
		plan->parts = walk_parts(utf8, plan->coding, plan->per_part, 0, NULL, NULL, &units);
	}
	plan->units = units;
	if(plan->parts == 0) /* ill-formed UTF-8 */
		return -1;
	return plan->parts > SMS_PARTS_MAX ? -1 : 0;
}

int sms_split(const char *utf8, const sms_plan_t *plan, size_t part_no, char *out,
		size_t out_size)
{
	const char *b = NULL, *e = NULL;
	size_t cap, parts, units;

	if(out_size > 0)
		out[0] = '\0';
	if(plan->coding == SMS_GSM7)
		cap = plan->parts == 1 ? SMS_GSM_SINGLE : SMS_GSM_PART;
	else if(plan->coding == SMS_UCS2)
		cap = plan->parts == 1 ? SMS_UCS2_SINGLE : SMS_UCS2_PART;
	else
		return -1;
	if(utf8 == NULL || plan->per_part != cap || part_no >= plan->parts)
		return -1;
	parts = walk_parts(utf8, plan->coding, cap, part_no, &b, &e, &units);
	/* a plan made for another text would send the wrong parts */
	if(parts != plan->parts || units != plan->units || b == NULL)
		return -1;
	if((size_t)(e - b) + 1 > out_size || (size_t)(e - b) > (size_t)INT32_MAX)
		return -1;
	memcpy(out, b, (size_t)(e - b));
	out[e - b] = '\0';
	return (int)(e - b);
}

int sms_udh_concat(const unsigned char *ud, size_t len, sms_concat_t *out, size_t *udh_len,
		char *why)
{
	size_t end, i, iedl;
	unsigned int total, seq;

	memset(out, 0, sizeof(*out));
	*udh_len = 0;
	if(len == 0)
		return fail(why, "no UDH: the user data is empty");
	end = (size_t)ud[0] + 1; /* UDHL counts the octets after itself */
	if(end > len)
		return fail(why, "UDHL %u is past the %zu octets of user data",
				(unsigned int)ud[0], len);
	*udh_len = end;
	out->fill_bits = (int)((7 - (end * 8) % 7) % 7);
	out->udh_septets = (end * 8 + (size_t)out->fill_bits) / 7;
	for(i = 1; i < end; i += 2 + iedl) {
		/* an IE is its identifier, its length and that many octets, all inside UDHL */
		if(i + 2 > end || i + 2 + (size_t)ud[i + 1] > end)
			return fail(why, "IE 0x%02x at octet %zu runs past the UDH's %zu octets",
					(unsigned int)ud[i], i, end);
		iedl = ud[i + 1];
		if(ud[i] != 0x00 && ud[i] != 0x08)
			continue; /* ports, national language tables, ...: not ours to read here */
		if(iedl != (ud[i] == 0x00 ? 3u : 4u))
			return fail(why, "concatenation IE 0x%02x with length %zu",
					(unsigned int)ud[i], iedl);
		total = ud[i + iedl];
		seq = ud[i + iedl + 1];
		if(total == 0 || seq == 0 || seq > total)
			return fail(why, "concatenation says part %u of %u", seq, total);
		/* repeated, the last one counts (23.040 §9.2.3.24) */
		out->ref_bits = ud[i] == 0x00 ? 8 : 16;
		out->ref = ud[i] == 0x00 ? ud[i + 2]
								 : ((unsigned int)ud[i + 2] << 8) | ud[i + 3];
		out->total = total;
		out->seq = seq;
	}
	return 0;
}

unsigned sms_gsm_default_cp(unsigned septet)
{
	return septet < 128 && septet != GSM_ESC ? gsm_default[septet] : 0;
}

int sms_gsm_ext_at(size_t i, unsigned *septet, unsigned *cp)
{
	if(i >= GSM_EXT_N)
		return -1;
	*septet = gsm_ext[i].septet;
	*cp = gsm_ext[i].cp;
	return 0;
}
