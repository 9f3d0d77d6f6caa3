/*
 * dtmf_info.h - the key a SIP INFO carries (phones that send DTMF in the signalling rather
 * than in the audio: "DTMF type: SIP INFO"). Two bodies are in use, neither an RFC's:
 * application/dtmf-relay ("Signal=1\r\nDuration=160\r\n", Cisco's, the common one) and
 * application/dtmf ("1"). Pure C (no Kamailio types): unit-tested in
 * tests/unit/test_sip_dtmf.c.
 */
#ifndef OS_DTMF_INFO_H
#define OS_DTMF_INFO_H

/* Longest body taken: a DTMF INFO is a few dozen bytes; more is no key. */
#define OS_DTMF_BODY_MAX 512

/* The key of an INFO whose Content-Type is ctype (its media type, parameters allowed, any
 * case) and whose body is body: 1 with *digit one of 0-9 * # A-D (a Signal of 10 or 11
 * is * or #, as some phones send), 0 when ctype is no DTMF type (an INFO of another
 * package), -1 when it is one but the body holds no single valid key (why, size bytes, says
 * what). */
int os_dtmf_info(const char *ctype, int ctype_len, const char *body, int body_len,
		char *digit, char *why, int size);

#endif
