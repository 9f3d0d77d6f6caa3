/*
 * test_hours.c - business hours into open intervals (modules/omniq/oq_hours.c): a Chinese
 * national holiday with its working Saturday, a daylight-saving change, days that join,
 * and every refusal with its reason.
 */
#define _GNU_SOURCE
#include <time.h>

#include "unit.h"
#include "oq_hours.h"

static char why[256];

/* UTC ms of a UTC date and time */
static long long utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {0};

	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	return (long long)timegm(&tm) * 1000;
}

TEST(hours_a_holiday_week_and_its_working_saturday_in_shanghai)
{
	oq_hours_t h;
	oq_open_t o[32];
	int n;

	CHECK_EQ_INT(oq_hours_parse(&h, "Asia/Shanghai", "mon-fri 09:00-18:00",
						 "2026-10-01..2026-10-07 closed; 2026-10-10 09:00-18:00", why, sizeof why), 0);
	/* Mon 2026-09-28 00:00 to Tue 2026-10-13 00:00, Shanghai time (UTC+8) */
	n = oq_hours_open(&h, utc(2026, 9, 27, 16, 0), utc(2026, 10, 12, 16, 0), o, 32);
	/* Mon-Wed, then closed Thu 10-01 to Wed 10-07, Thu and Fri, the Saturday, Monday */
	CHECK_EQ_INT(n, 7);
	if(n != 7)
		return;
	CHECK(o[0].start == utc(2026, 9, 28, 1, 0) && o[0].end == utc(2026, 9, 28, 10, 0));
	CHECK(o[2].start == utc(2026, 9, 30, 1, 0) && o[2].end == utc(2026, 9, 30, 10, 0));
	CHECK(o[3].start == utc(2026, 10, 8, 1, 0) && o[3].end == utc(2026, 10, 8, 10, 0));
	CHECK(o[4].start == utc(2026, 10, 9, 1, 0));
	CHECK(o[5].start == utc(2026, 10, 10, 1, 0) && o[5].end == utc(2026, 10, 10, 10, 0));
	CHECK(o[6].start == utc(2026, 10, 12, 1, 0) && o[6].end == utc(2026, 10, 12, 10, 0));
}

TEST(hours_follow_daylight_saving_in_new_york)
{
	oq_hours_t h;
	oq_open_t o[8];
	int n;

	CHECK_EQ_INT(oq_hours_parse(&h, "America/New_York", "mon-sun 09:00-17:00", "", why,
						 sizeof why), 0);
	n = oq_hours_open(&h, utc(2026, 3, 7, 0, 0), utc(2026, 3, 10, 0, 0), o, 8);
	CHECK_EQ_INT(n, 3);
	if(n != 3)
		return;
	CHECK(o[0].start == utc(2026, 3, 7, 14, 0) && o[0].end == utc(2026, 3, 7, 22, 0)); /* EST */
	CHECK(o[1].start == utc(2026, 3, 8, 13, 0) && o[1].end == utc(2026, 3, 8, 21, 0)); /* EDT */
	CHECK(o[2].start == utc(2026, 3, 9, 13, 0));
}

TEST(hours_spans_that_meet_are_one_and_the_stretch_clips_them)
{
	oq_hours_t h;
	oq_open_t o[8];
	int n;

	CHECK_EQ_INT(oq_hours_parse(&h, "UTC", "mon-fri 00:00-12:00 12:00-24:00; sat 00:00-06:00",
						 "", why, sizeof why), 0);
	/* Mon 2026-12-07 10:00 .. Sun 2026-12-13 12:00: one stretch from Monday to Saturday 06:00 */
	n = oq_hours_open(&h, utc(2026, 12, 7, 10, 0), utc(2026, 12, 13, 12, 0), o, 8);
	CHECK_EQ_INT(n, 1);
	CHECK(n == 1 && o[0].start == utc(2026, 12, 7, 10, 0) && o[0].end == utc(2026, 12, 12, 6, 0));
	/* more than fit */
	CHECK_EQ_INT(oq_hours_parse(&h, "UTC", "mon-sun 09:00-10:00", "", why, sizeof why), 0);
	CHECK_EQ_INT(oq_hours_open(&h, utc(2026, 12, 1, 0, 0), utc(2026, 12, 31, 0, 0), o, 8), -1);
	CHECK_EQ_INT(oq_hours_open(&h, utc(2026, 12, 1, 0, 0), utc(2026, 12, 1, 0, 0), o, 8), 0);
}

TEST(hours_local_time_for_the_customer)
{
	oq_hours_t h;
	char s[20];

	CHECK_EQ_INT(oq_hours_parse(&h, "Asia/Shanghai", "mon-fri 09:00-18:00", "", why, sizeof why), 0);
	oq_hours_local(&h, utc(2026, 10, 8, 1, 0), s);
	CHECK_EQ_STR(s, "2026-10-08 09:00");
	CHECK(getenv("TZ") == NULL); /* put back as it was */
}

static void refused(const char *tz, const char *week, const char *except, const char *says)
{
	oq_hours_t h;

	why[0] = '\0';
	CHECK_EQ_INT(oq_hours_parse(&h, tz, week, except, why, sizeof why), -1);
	if(!strstr(why, says))
		CHECK_EQ_STR(why, says);
}

TEST(hours_refusals_say_why)
{
	refused("Mars/Olympus", "mon 09:00-10:00", "", "not in /usr/share/zoneinfo/");
	refused("../../etc/passwd", "mon 09:00-10:00", "", "no IANA name");
	refused("/etc/localtime", "mon 09:00-10:00", "", "no IANA name");
	refused("Asia/Shanghai; rm", "mon 09:00-10:00", "", "no IANA name");
	refused("", "mon 09:00-10:00", "", "timezone must be 1..63 bytes");
	refused("UTC", "mon 9-18", "", "a span is HH:MM-HH:MM");
	refused("UTC", "mon 09:00-25:00", "", "a span is HH:MM-HH:MM");
	refused("UTC", "mon 24:00-24:00", "", "a span is HH:MM-HH:MM");
	refused("UTC", "mon 10:00-09:00", "", "spans must end after they start");
	refused("UTC", "mon 09:00-12:00 11:00-13:00", "", "without overlapping");
	refused("UTC", "mon-fri", "", "mon has no spans");
	refused("UTC", "fri-mon 09:00-10:00", "", "a range of days");
	refused("UTC", "someday 09:00-10:00", "", "a day is mon..sun");
	refused("UTC", "mon 09:00-10:00; mon 11:00-12:00", "", "mon is given twice");
	refused("UTC", "", "", "never open");
	refused("UTC", "mon 09:00-10:00", "2026-02-30 closed", "a date is YYYY-MM-DD");
	refused("UTC", "mon 09:00-10:00", "2026-10-07..2026-10-01 closed", "a range is such as");
	refused("UTC", "mon 09:00-10:00", "2026-10-01 closed 09:00-10:00", "nothing may follow closed");
	refused("UTC", "mon 09:00-10:00", "2026-10-01", "needs closed or its spans");
	refused("UTC", "mon 01:00-02:00 02:00-03:00 03:00-04:00 04:00-05:00 05:00-06:00 06:00-07:00 "
				   "07:00-08:00 08:00-09:00 09:00-10:00", "", "at most 8 spans a day");
}

UNIT_MAIN()
