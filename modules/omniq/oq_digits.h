/*
 * oq_digits.h - a number in decimal into a buffer, without snprintf's format parsing (on
 * hot paths it cost more than the rest of the work: an event's id, an agent's row, a Redis
 * command's lengths). Shared by the core (oq_resp.c) and the engine; no Kamailio header.
 */
#ifndef OQ_DIGITS_H
#define OQ_DIGITS_H

/* v in decimal at p, no terminator (at most 20 bytes): the end */
static inline char *oq_put_u64(char *p, unsigned long long v)
{
	char d[24];
	int n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while((v /= 10) > 0);
	while(n > 0)
		*p++ = d[--n];
	return p;
}

#endif
