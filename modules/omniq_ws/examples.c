/*
 * examples.c - see examples.h. mod_init only (one process, before the forks).
 */
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include "core/dprint.h"

#include "examples.h"

static char first[96];  /* the first modparam found holding an example */
static int n_examples;

static int is_example(const char *s, int len)
{
	static const char marks[] = "change-me";
	int i, m = (int)sizeof(marks) - 1;

	if(len >= 8 && !strncmp(s, "example-", 8))
		return 1;
	for(i = 0; i + m <= len; i++)
		if(!strncmp(s + i, marks, (size_t)m))
			return 1;
	return 0;
}

void ws_example_note(const char *what, const char *s, int len)
{
	if(s == NULL || !is_example(s, len))
		return;
	if(n_examples++ == 0)
		snprintf(first, sizeof(first), "%s", what);
}

/* 127.0.0.0/8, ::1, localhost */
static int loopback(const char *a)
{
	unsigned char b[16];

	if(!strcmp(a, "localhost"))
		return 1;
	if(inet_pton(AF_INET, a, b) == 1)
		return b[0] == 127;
	if(inet_pton(AF_INET6, a, b) == 1) {
		static const unsigned char one[16] = {[15] = 1};
		return memcmp(b, one, 16) == 0;
	}
	return 0;
}

int ws_examples_check(const char *listen_addr)
{
	if(n_examples == 0)
		return 0;
	if(loopback(listen_addr)) {
		LM_WARN("omniq_ws: %d secret(s) are examples anyone can know (%s first: it starts "
				"with \"example-\" or holds \"change-me\"); fine on loopback (%s), set your "
				"own before listening elsewhere (e.g. openssl rand -hex 32)\n",
				n_examples, first, listen_addr);
		return 0;
	}
	LM_ERR("omniq_ws listens on %s, and %d secret(s) are examples anyone can know (%s "
		   "first: it starts with \"example-\" or holds \"change-me\"): anyone could sign "
		   "tokens or call the API. Set your own (e.g. openssl rand -hex 32), or listen on "
		   "loopback only\n",
			listen_addr, n_examples, first);
	return -1;
}
