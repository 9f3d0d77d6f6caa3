/*
 * email_uids.h - the UIDs one IMAP round reads (email_imap.c): the lowest ones a folder's
 * SEARCH names after the last UID taken, in ascending order, whatever order the server
 * lists them in. Plain C, no Kamailio: unit-tested alone (tests/unit/test_email_uids.c).
 */
#ifndef OMNIQ_EMAIL_UIDS_H
#define OMNIQ_EMAIL_UIDS_H

#define EMAIL_UIDS_MAX 500 /* messages read in one round; the rest next round */

/* uid into the max lowest UIDs kept in uids[0..n) (in no order), once: a round keeps
 * the last UID it stored, so a higher one read before a lower one would pass over the
 * lower one for good. The new count. */
int email_uids_keep(unsigned long long *uids, int n, int max, unsigned long long uid);

/* The UIDs above `after` that a "* SEARCH ..." line of answer names (answer: the server's
 * whole answer, NUL-terminated; none without such a line), the max lowest of them, into
 * uids in ascending order. Their count. */
int email_uids_search(const char *answer, unsigned long long after, unsigned long long *uids,
		int max);

#endif
