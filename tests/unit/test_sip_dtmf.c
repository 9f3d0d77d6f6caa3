/*
 * test_sip_dtmf.c - the key of a SIP INFO (omniq_sip's dtmf_info.c): both bodies in use,
 * what is no DTMF INFO, and malformed ones refused with why.
 */
#include "unit.h"
#include "dtmf_info.h"

static char why[128];

static int parse(const char *ctype, const char *body, char *d)
{
	why[0] = '\0';
	return os_dtmf_info(ctype, (int)strlen(ctype), body, body ? (int)strlen(body) : 0, d, why,
			sizeof why);
}

TEST(dtmf_relay_signal)
{
	char d = 0;
	CHECK_EQ_INT(parse("application/dtmf-relay", "Signal=1\r\nDuration=160\r\n", &d), 1);
	CHECK_EQ_INT(d, '1');
	CHECK_EQ_INT(parse("Application/DTMF-Relay; charset=x", "Duration=100\nsignal = # \n", &d),
			1);
	CHECK_EQ_INT(d, '#');
	CHECK_EQ_INT(parse("application/dtmf-relay", "Signal=10\r\n", &d), 1);
	CHECK_EQ_INT(d, '*');
	CHECK_EQ_INT(parse("application/dtmf-relay", "Signal=11", &d), 1);
	CHECK_EQ_INT(d, '#');
	CHECK_EQ_INT(parse("application/dtmf-relay", "Signal=d\r\n", &d), 1);
	CHECK_EQ_INT(d, 'D');
}

TEST(dtmf_plain_body)
{
	char d = 0;
	CHECK_EQ_INT(parse("application/dtmf", "5", &d), 1);
	CHECK_EQ_INT(d, '5');
	CHECK_EQ_INT(parse(" application/dtmf ", " * \r\n", &d), 1);
	CHECK_EQ_INT(d, '*');
}

TEST(dtmf_other_types_are_no_dtmf)
{
	char d = 'x';
	CHECK_EQ_INT(parse("application/media_control+xml", "<x/>", &d), 0);
	CHECK_EQ_INT(parse("application/dtmf-relayed", "Signal=1", &d), 0);
	CHECK_EQ_INT(parse("application/dtm", "1", &d), 0);
	CHECK_EQ_INT(parse("", "1", &d), 0);
	CHECK_EQ_INT(d, 'x');
}

TEST(dtmf_malformed_refused_with_why)
{
	char d = 'x', big[OS_DTMF_BODY_MAX + 8];
	CHECK_EQ_INT(parse("application/dtmf-relay", "Duration=160\r\n", &d), -1);
	CHECK_EQ_STR(why, "no Signal line");
	CHECK_EQ_INT(parse("application/dtmf-relay", "Signal=12\r\n", &d), -1);
	CHECK_EQ_STR(why, "a Signal that is no key");
	CHECK_EQ_INT(parse("application/dtmf-relay", "Signal=\r\n", &d), -1);
	CHECK_EQ_INT(parse("application/dtmf-relay", "Signal=1\r\nSignal=2\r\n", &d), -1);
	CHECK_EQ_STR(why, "two Signal lines");
	CHECK_EQ_INT(parse("application/dtmf", "", &d), -1);
	CHECK_EQ_STR(why, "no body");
	CHECK_EQ_INT(parse("application/dtmf", "12", &d), -1);
	CHECK_EQ_INT(parse("application/dtmf", "E", &d), -1);
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_EQ_INT(parse("application/dtmf", big, &d), -1);
	CHECK(strstr(why, "over") != NULL);
	CHECK_EQ_INT(os_dtmf_info("application/dtmf", 16, "1\0", 2, &d, why, sizeof why), -1);
	CHECK_EQ_STR(why, "a NUL in the body");
	CHECK_EQ_INT(d, 'x');
}

UNIT_MAIN()
