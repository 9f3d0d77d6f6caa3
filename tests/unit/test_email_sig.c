/*
 * test_email_sig.c - the signatures omniq_email believes: a session token's, and our
 * replies' Message-IDs, which a delivery report must name to fail a reply.
 */
#include <ctype.h>

#include "unit.h"
#include "email_sig.h"

#define SECRET "unit-secret-0123456789abcdef"

TEST(reply_message_id_is_signed_and_read_back)
{
	char mid[128], did[32];

	CHECK_EQ_INT(email_reply_mid(SECRET, "42", "example.com", mid, sizeof(mid)), 0);
	CHECK(!strncmp(mid, "omniq-42-", 9));
	CHECK_EQ_INT((int)strlen(mid), 9 + EMAIL_SIG_LEN + (int)strlen("@example.com"));
	CHECK_EQ_STR(strchr(mid, '@'), "@example.com");
	/* the part before @ gives the did back; upper-case hex too (a server may fold it) */
	CHECK_EQ_INT(email_reply_mid_did(SECRET, mid, (size_t)(strchr(mid, '@') - mid), did,
						 sizeof(did)),
			0);
	CHECK_EQ_STR(did, "42");
	for(char *p = mid + 9; *p != '@'; p++)
		*p = (char)toupper((unsigned char)*p);
	CHECK_EQ_INT(email_reply_mid_did(SECRET, mid, (size_t)(strchr(mid, '@') - mid), did,
						 sizeof(did)),
			0);
	/* too small a buffer is an error, not a cut id */
	CHECK_EQ_INT(email_reply_mid(SECRET, "42", "example.com", mid, 20), -1);
}

TEST(reply_message_id_forged_or_of_another_did_is_refused)
{
	char mid[128], other[128], did[32] = "x";
	size_t n;

	CHECK_EQ_INT(email_reply_mid(SECRET, "42", "example.com", mid, sizeof(mid)), 0);
	n = (size_t)(strchr(mid, '@') - mid);
	/* an unsigned id as replies had before, a counted guess, a wrong digit, another did's
	 * signature, another secret's */
	CHECK_EQ_INT(email_reply_mid_did(SECRET, "omniq-42", 8, did, sizeof(did)), -1);
	CHECK_EQ_STR(did, "");
	CHECK_EQ_INT(email_reply_mid_did(SECRET, "omniq-42-0000000000000000", 25, did, sizeof(did)),
			-1);
	mid[n - 1] = mid[n - 1] == '0' ? '1' : '0';
	CHECK_EQ_INT(email_reply_mid_did(SECRET, mid, n, did, sizeof(did)), -1);
	CHECK_EQ_INT(email_reply_mid(SECRET, "43", "example.com", other, sizeof(other)), 0);
	memcpy(other + 6, "42", 2);
	CHECK_EQ_INT(email_reply_mid_did(SECRET, other, n, did, sizeof(did)), -1);
	CHECK_EQ_INT(email_reply_mid(SECRET "x", "42", "example.com", other, sizeof(other)), 0);
	CHECK_EQ_INT(email_reply_mid_did(SECRET, other, n, did, sizeof(did)), -1);
	/* no did, a did too long for the caller's buffer, not ours at all */
	CHECK_EQ_INT(email_reply_mid_did(SECRET, "omniq--0123456789abcdef", 23, did, sizeof(did)),
			-1);
	CHECK_EQ_INT(email_reply_mid(SECRET, "123456789", "example.com", mid, sizeof(mid)), 0);
	CHECK_EQ_INT(email_reply_mid_did(SECRET, mid, (size_t)(strchr(mid, '@') - mid), did, 9),
			-1);
	CHECK_EQ_INT(email_reply_mid_did(SECRET, "abcde-42-0123456789abcdef", 25, did, sizeof(did)),
			-1);
}

TEST(thread_and_reply_signatures_are_apart)
{
	char sig[EMAIL_SIG_LEN + 1], mid[128];

	/* the same id signed for a thread never passes as a reply's, nor the other way */
	CHECK_EQ_INT(email_sig(SECRET, "42", sig), 0);
	CHECK(email_sig_ok(SECRET, "42", sig));
	CHECK_EQ_INT(email_reply_mid(SECRET, "42", "example.com", mid, sizeof(mid)), 0);
	CHECK(strncmp(mid + 9, sig, EMAIL_SIG_LEN) != 0);
	CHECK(!email_sig_ok(SECRET, "42", "0123456789abcdeg"));
	CHECK(!email_sig_ok(SECRET, "42", NULL));
	CHECK(!email_sig_ok("", "42", sig));
}

UNIT_MAIN()
