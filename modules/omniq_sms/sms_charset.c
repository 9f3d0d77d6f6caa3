/*
 * sms_charset.c - see sms_charset.h.
 */
#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sms_charset.h"
#include "sms_text.h"

static const char REPLACEMENT[] = "\xef\xbf\xbd";

static int is_utf8(const char *cs)
{
	return cs == NULL || cs[0] == '\0' || !strcasecmp(cs, "utf-8") || !strcasecmp(cs, "utf8")
		   || !strcasecmp(cs, "us-ascii") || !strcasecmp(cs, "ascii");
}

int sms_to_utf8(const char *charset, const char *in, size_t len, char *out, size_t size,
		size_t *out_len, char *why, size_t wsize)
{
	char dwhy[SMS_WHY_MAX], tmp[SMS_CHARSET_MAX + 1];
	iconv_t cd;
	char *ip = (char *)in, *op = out;
	size_t il = len, ol, i;
	int rc = 0;

	*out_len = 0;
	if(size == 0)
		return -1;
	out[0] = '\0';
	if(is_utf8(charset)) {
		if(sms_decode(SMS_UTF8, (const unsigned char *)in, len, out, size, out_len, dwhy) < 0) {
			snprintf(why, wsize, "%s", dwhy);
			return -1;
		}
		return 0;
	}
	for(i = 0; charset[i] && i < SMS_CHARSET_MAX; i++) {
		char c = charset[i];
		if(!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
				   || c == '-' || c == '_' || c == '.' || c == ':'))
			break;
		tmp[i] = c;
	}
	tmp[i] = '\0';
	if(charset[i] || (cd = iconv_open("UTF-8", tmp)) == (iconv_t)-1) {
		snprintf(why, wsize, "unknown charset '%.40s'", charset);
		return -2;
	}
	ol = size - 1;
	while(il > 0) {
		if(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1)
			break;
		if(errno == E2BIG) {
			snprintf(why, wsize, "the text does not fit %zu bytes", size - 1);
			rc = -1;
			break;
		}
		/* EILSEQ, or EINVAL (a character cut at the end): one byte stands for U+FFFD */
		if(ol < sizeof(REPLACEMENT) - 1) {
			snprintf(why, wsize, "the text does not fit %zu bytes", size - 1);
			rc = -1;
			break;
		}
		memcpy(op, REPLACEMENT, sizeof(REPLACEMENT) - 1);
		op += sizeof(REPLACEMENT) - 1;
		ol -= sizeof(REPLACEMENT) - 1;
		ip++, il--;
		iconv(cd, NULL, NULL, NULL, NULL); /* back to the initial shift state */
	}
	iconv_close(cd);
	*op = '\0';
	*out_len = (size_t)(op - out);
	/* iconv passes NUL through: the core refuses it in a body */
	for(i = 0; i < *out_len; i++)
		if(out[i] == '\0')
			out[i] = ' ';
	return rc;
}

int sms_content_type(const char *v, size_t len, char *type, size_t tsize, char *charset,
		size_t csize)
{
	const char *p = v, *end = v + len, *semi;
	size_t n, i;

	charset[0] = '\0';
	while(p < end && (*p == ' ' || *p == '\t'))
		p++;
	semi = memchr(p, ';', (size_t)(end - p));
	n = (size_t)((semi ? semi : end) - p);
	while(n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	if(n == 0 || n >= tsize)
		return -1;
	for(i = 0; i < n; i++)
		type[i] = (char)((p[i] >= 'A' && p[i] <= 'Z') ? p[i] + 32 : p[i]);
	type[n] = '\0';
	while(semi && semi < end) {
		const char *q = semi + 1, *e2;
		while(q < end && (*q == ' ' || *q == '\t'))
			q++;
		semi = memchr(q, ';', (size_t)(end - q));
		e2 = semi ? semi : end;
		if(e2 - q > 8 && !strncasecmp(q, "charset=", 8)) {
			q += 8;
			while(e2 > q && (e2[-1] == ' ' || e2[-1] == '\t'))
				e2--;
			if(e2 - q >= 2 && *q == '"' && e2[-1] == '"')
				q++, e2--;
			n = (size_t)(e2 - q);
			if(n >= csize)
				n = csize - 1;
			memcpy(charset, q, n);
			charset[n] = '\0';
		}
	}
	return 0;
}
