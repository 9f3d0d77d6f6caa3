/*
 * test_email_uids.c - the UIDs one IMAP round of omniq_email reads (email_uids.c): the
 * lowest EMAIL_UIDS_MAX of those a SEARCH answer names after the last UID taken, each
 * once, in ascending order, whatever order and repetitions the server answers with.
 */
#include "unit.h"
#include "email_uids.h"

static unsigned long long got[EMAIL_UIDS_MAX];

/* got[0..n) as "1 2 3" */
static const char *listed(int n)
{
	static char s[EMAIL_UIDS_MAX * 21 + 1];
	size_t at = 0;
	int i;

	s[0] = '\0';
	for(i = 0; i < n && at < sizeof(s) - 22; i++)
		at += (size_t)snprintf(s + at, sizeof(s) - at, i ? " %llu" : "%llu", got[i]);
	return s;
}

TEST(uids_out_of_order_come_back_ascending)
{
	int n = email_uids_search("* SEARCH 7 3 9 5\r\nA3 OK SEARCH completed\r\n", 0, got,
			EMAIL_UIDS_MAX);

	CHECK_EQ_INT(n, 4);
	CHECK_EQ_STR(listed(n), "3 5 7 9");
	/* 32-bit UIDs at their top, listed high first */
	n = email_uids_search("* SEARCH 4294967295 4294967294 2147483648\r\n", 0, got,
			EMAIL_UIDS_MAX);
	CHECK_EQ_STR(listed(n), "2147483648 4294967294 4294967295");
}

TEST(uids_at_or_below_the_last_taken_are_left)
{
	/* "UID SEARCH UID 11:*" names the folder's last message even when it is below 11 */
	CHECK_EQ_INT(email_uids_search("* SEARCH 4\r\nA3 OK\r\n", 10, got, EMAIL_UIDS_MAX), 0);
	CHECK_EQ_STR(listed(email_uids_search("* SEARCH 13 11 12\r\n", 11, got, EMAIL_UIDS_MAX)),
			"12 13");
	/* no message, no SEARCH line */
	CHECK_EQ_INT(email_uids_search("* SEARCH\r\nA3 OK\r\n", 0, got, EMAIL_UIDS_MAX), 0);
	CHECK_EQ_INT(email_uids_search("A3 OK\r\n", 0, got, EMAIL_UIDS_MAX), 0);
	CHECK_EQ_INT(email_uids_search("", 0, got, EMAIL_UIDS_MAX), 0);
}

/* "* SEARCH" and the UIDs from..to (step), then the UIDs of more[] */
static char *search_of(long from, long to, long step, const unsigned long long *more, int nm)
{
	size_t size = 16 + 21 * (size_t)((to - from) / step + 1 + nm), at;
	char *s = malloc(size);
	long u;
	int i;

	if(s == NULL)
		return NULL;
	at = (size_t)snprintf(s, size, "* SEARCH");
	for(u = from; step > 0 ? u <= to : u >= to; u += step)
		at += (size_t)snprintf(s + at, size - at, " %ld", u);
	for(i = 0; i < nm; i++)
		at += (size_t)snprintf(s + at, size - at, " %llu", more[i]);
	snprintf(s + at, size - at, "\r\n");
	return s;
}

/* got[0..n) is first, first+1, ... */
static int runs_from(int n, unsigned long long first)
{
	int i;

	for(i = 0; i < n; i++)
		if(got[i] != first + (unsigned long long)i)
			return 0;
	return 1;
}

TEST(uids_over_the_round_limit_keep_the_lowest)
{
	static const unsigned long long low[] = {3, 1, 2};
	char *s;
	int n;

	/* 1000 high first, as a server that sorts its answer downwards lists them */
	s = search_of(1000, 1, -1, NULL, 0);
	CHECK(s != NULL);
	n = email_uids_search(s, 0, got, EMAIL_UIDS_MAX);
	free(s);
	CHECK_EQ_INT(n, EMAIL_UIDS_MAX);
	CHECK(runs_from(n, 1));
	/* ascending, the common case: the first 500, the rest next round */
	s = search_of(101, 2000, 1, NULL, 0);
	n = email_uids_search(s, 100, got, EMAIL_UIDS_MAX);
	free(s);
	CHECK_EQ_INT(n, EMAIL_UIDS_MAX);
	CHECK(runs_from(n, 101));
	/* the lowest three come last, after 600 higher ones */
	s = search_of(4, 603, 1, low, 3);
	n = email_uids_search(s, 0, got, EMAIL_UIDS_MAX);
	free(s);
	CHECK_EQ_INT(n, EMAIL_UIDS_MAX);
	CHECK(runs_from(n, 1));
	/* every other UID, interleaved high and low */
	s = search_of(2001, 1, -2, NULL, 0);
	n = email_uids_search(s, 0, got, 3);
	free(s);
	CHECK_EQ_STR(listed(n), "1 3 5");
}

TEST(uids_named_twice_are_read_once)
{
	int n = email_uids_search("* SEARCH 5 3 5 3 1 5\r\n", 0, got, EMAIL_UIDS_MAX);

	CHECK_EQ_STR(listed(n), "1 3 5");
	/* at the limit: a repeated low UID takes no place of a higher one */
	n = email_uids_search("* SEARCH 9 8 7 1 1 1\r\n", 0, got, 3);
	CHECK_EQ_STR(listed(n), "1 7 8");
	n = email_uids_search("* SEARCH 1 1 1 9 8 7\r\n", 0, got, 3);
	CHECK_EQ_STR(listed(n), "1 7 8");
}

TEST(uids_keep_one_at_a_time)
{
	unsigned long long u[3];
	int n = 0;

	n = email_uids_keep(u, n, 3, 30);
	n = email_uids_keep(u, n, 3, 10);
	n = email_uids_keep(u, n, 3, 30);
	CHECK_EQ_INT(n, 2);
	n = email_uids_keep(u, n, 3, 20);
	n = email_uids_keep(u, n, 3, 40); /* full: higher than all, not kept */
	CHECK_EQ_INT(n, 3);
	CHECK((u[0] ^ u[1] ^ u[2]) == (10ULL ^ 20ULL ^ 30ULL) && u[0] + u[1] + u[2] == 60);
	n = email_uids_keep(u, n, 3, 5); /* takes the place of 30 */
	CHECK_EQ_INT(n, 3);
	CHECK(u[0] + u[1] + u[2] == 35);
}

UNIT_MAIN()
