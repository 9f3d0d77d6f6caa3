/*
 * test_sms_kannel.c - Kannel's side: an sms-service call as Kannel writes its query (parsed
 * by sms_form_parse, as the route does), the DLR types, the dlr-url we hand Kannel and the
 * report it brings back, and the sendsms query, with their refusals.
 */
#include "unit.h"
#include "sms_kannel.h"

#define BASE "http://omniq:8080/hooks/sms/kannel/dlr"
#define ZH "\xe4\xbd\xa0\xe5\xa5\xbd" /* 你好 */

static char scratch[64 * 1024];
static sms_form_t f;

static int parse(const char *q, char *why)
{
	return sms_form_parse(q, strlen(q), scratch, sizeof(scratch), &f, why);
}

TEST(kannel_mo_maps_every_placeholder)
{
	sms_kannel_mo_t mo;
	char why[SMS_WHY_MAX] = "";

	CHECK_EQ_INT(parse("secret=x&from=%2B8613800000001&to=10086"
					   "&text=%E4%BD%A0%E5%A5%BD%0Asecond+line&time=1714521600&smsc=cmcc"
					   "&id=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0&coding=2&charset=UTF-8"
					   "&udh=%05%00%03%2A%02%01",
						 why),
			0);
	CHECK_EQ_INT(sms_kannel_mo(f.p, f.n, &mo, why), 0);
	CHECK_EQ_STR(mo.from, "+8613800000001");
	CHECK_EQ_STR(mo.to, "10086");
	CHECK_EQ_INT(mo.text_len, strlen(ZH "\nsecond line"));
	CHECK(memcmp(mo.text, ZH "\nsecond line", mo.text_len) == 0);
	CHECK_EQ_INT(mo.time, 1714521600LL);
	CHECK_EQ_STR(mo.smsc, "cmcc");
	CHECK_EQ_STR(mo.id, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	CHECK_EQ_INT(mo.coding, SMS_UCS2);
	CHECK_EQ_STR(mo.charset, "UTF-8");
	CHECK_EQ_INT(mo.udh_len, 6);
	CHECK(memcmp(mo.udh, "\x05\x00\x03\x2a\x02\x01", 6) == 0);
}

TEST(kannel_mo_defaults)
{
	sms_kannel_mo_t mo;
	char why[SMS_WHY_MAX] = "";

	/* only from and text: 7-bit, no time, no udh; empty placeholders are absent ones */
	CHECK_EQ_INT(parse("from=10086&text=", why), 0);
	CHECK_EQ_INT(sms_kannel_mo(f.p, f.n, &mo, why), 0);
	CHECK_EQ_INT(mo.coding, SMS_GSM7);
	CHECK_EQ_INT(mo.time, -1);
	CHECK_EQ_INT(mo.text_len, 0);
	CHECK(mo.to == NULL && mo.smsc == NULL && mo.id == NULL && mo.charset == NULL);
	CHECK_EQ_INT(mo.udh_len, 0);
	CHECK_EQ_INT(parse("from=1&text=a&to=&time=&coding=&udh=&charset=", why), 0);
	CHECK_EQ_INT(sms_kannel_mo(f.p, f.n, &mo, why), 0);
	CHECK(mo.to == NULL && mo.charset == NULL);
	CHECK_EQ_INT(mo.time, -1);
	CHECK_EQ_INT(mo.coding, SMS_GSM7);
	CHECK_EQ_INT(parse("from=1&text=a&coding=1", why), 0);
	CHECK_EQ_INT(sms_kannel_mo(f.p, f.n, &mo, why), 0);
	CHECK_EQ_INT(mo.coding, SMS_8BIT);
	/* UTF-16BE text (no mo-recode) is binary: NULs and all */
	CHECK_EQ_INT(parse("from=1&text=%4F%60%59%7D%00A&coding=2&charset=UTF-16BE", why), 0);
	CHECK_EQ_INT(sms_kannel_mo(f.p, f.n, &mo, why), 0);
	CHECK_EQ_INT(mo.text_len, 6);
	/* a UDH of exactly 140 bytes */
	{
		char q[1024];
		size_t n = (size_t)snprintf(q, sizeof(q), "from=1&text=a&udh=%%8B");
		int i;

		for(i = 0; i < 139; i++)
			n += (size_t)snprintf(q + n, sizeof(q) - n, "%%00");
		CHECK_EQ_INT(parse(q, why), 0);
		CHECK_EQ_INT(sms_kannel_mo(f.p, f.n, &mo, why), 0);
		CHECK_EQ_INT(mo.udh_len, 140);
		strcpy(q + n, "%00");
		q[strlen("from=1&text=a&udh=%") + 1] = 'C'; /* UDHL 0x8C: 141 bytes */
		CHECK_EQ_INT(parse(q, why), 0);
		CHECK_EQ_INT(sms_kannel_mo(f.p, f.n, &mo, why), -1);
		CHECK_EQ_STR(why, "udh longer than 140 bytes");
	}
}

TEST(kannel_mo_refusals_say_why)
{
	static const struct {
		const char *q, *why;
	} cases[] = {
			{"text=hi", "no from"},
			{"from=&text=hi", "no from"},
			{"from=1", "no text"},
			{"from=1&from=2&text=hi", "from given twice"},
			{"from=1&text=a&text=b", "text given twice"},
			{"from=1%002&text=hi", "a NUL in from"},
			{"from=1&to=2%00&text=hi", "a NUL in to"},
			{"from=1&text=hi&coding=3", "coding is not 0, 1 or 2"},
			{"from=1&text=hi&coding=-1", "coding is not 0, 1 or 2"},
			{"from=1&text=hi&coding=x", "coding is not 0, 1 or 2"},
			{"from=1&text=hi&coding=02", "coding is not 0, 1 or 2"},
			{"from=1&text=hi&time=2024-05-01+08%3A00%3A00", "time is not a number (Unix seconds: %T)"},
			{"from=1&text=hi&time=-5", "time is not a number (Unix seconds: %T)"},
			{"from=1&text=hi&time=1234567890123456789", "time is not a number (Unix seconds: %T)"},
			{"from=1&text=hi&udh=%05%00%03%2A%02", "udh's first byte (UDHL) does not count the rest"},
			{"from=1&text=hi&udh=%00%00", "udh's first byte (UDHL) does not count the rest"},
	};
	sms_kannel_mo_t mo;
	char why[SMS_WHY_MAX];
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		CHECK_EQ_INT(parse(cases[i].q, why), 0);
		CHECK_MSG(sms_kannel_mo(f.p, f.n, &mo, why) == -1, "%s was taken", cases[i].q);
		CHECK_MSG(strcmp(why, cases[i].why) == 0, "%s: why is \"%s\", expected \"%s\"",
				cases[i].q, why, cases[i].why);
	}
}

TEST(kannel_dlr_types_map_to_report_states)
{
	static const struct {
		const char *type, *state;
	} cases[] = {
			{"1", "delivered"},
			{"2", "failed"},
			{"4", "sent"},
			{"8", "sent"},
			{"16", "failed"},
	};
	static const char *const bad[] = {"0", "3", "5", "24", "31", "32", "99", "016", "100",
			"-1", "+1", "1 ", "abc", "", NULL};
	const char *state;
	char why[SMS_WHY_MAX];
	size_t i;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		state = NULL;
		CHECK_EQ_INT(sms_kannel_dlr_state(cases[i].type, &state, why), 0);
		CHECK_MSG(state && strcmp(state, cases[i].state) == 0, "%s became %s", cases[i].type,
				state ? state : "(null)");
	}
	for(i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK_MSG(sms_kannel_dlr_state(bad[i], &state, why) == -1, "%s was taken",
				bad[i] ? bad[i] : "NULL");
		CHECK_MSG(why[0] != '\0', "%s: no why", bad[i] ? bad[i] : "NULL");
	}
	CHECK_EQ_INT(sms_kannel_dlr_state("3", &state, why), -1);
	CHECK_EQ_STR(why, "DLR type 3 is not one of 1, 2, 4, 8, 16");
	CHECK_EQ_INT(sms_kannel_dlr_state("x", &state, why), -1);
	CHECK_EQ_STR(why, "DLR type is not a number");
	CHECK_EQ_INT(sms_kannel_dlr_mask(1), 31);
	CHECK_EQ_INT(sms_kannel_dlr_mask(0), 3);
}

TEST(kannel_dlr_url_encodes_and_signs)
{
	char out[512], small[40], why[SMS_WHY_MAX] = "";

	CHECK_EQ_INT(sms_kannel_dlr_url(BASE, "s3cret", "d-42/a b", out, sizeof(out), why), 0);
	CHECK_EQ_STR(out, BASE "?id=d-42%2Fa%20b&sig=293df5356bfccd7d45f218b64b490c86"
						   "&type=%d&reply=%A&fid=%F");
	CHECK_EQ_INT(sms_kannel_dlr_url(BASE "?tenant=acme", "s3cret", "q:7", out, sizeof(out), why),
			0);
	CHECK_EQ_STR(out, BASE "?tenant=acme&id=q%3A7&sig=647ce5ab4928133b2ff64ad281e2524e"
						   "&type=%d&reply=%A&fid=%F");
	CHECK_EQ_INT(sms_kannel_dlr_url(BASE "?", "s3cret", "q:7", out, sizeof(out), why), 0);
	CHECK_EQ_STR(out, BASE "?id=q%3A7&sig=647ce5ab4928133b2ff64ad281e2524e"
						   "&type=%d&reply=%A&fid=%F");
	/* refusals */
	CHECK_EQ_INT(sms_kannel_dlr_url(BASE "?x=%41", "s", "1", out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "base must be a URL without '%', '#', spaces or controls");
	CHECK_EQ_INT(sms_kannel_dlr_url("http://omniq/a b", "s", "1", out, sizeof(out), why), -1);
	CHECK_EQ_INT(sms_kannel_dlr_url("", "s", "1", out, sizeof(out), why), -1);
	CHECK_EQ_INT(sms_kannel_dlr_url(BASE, "", "1", out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "no secret");
	CHECK_EQ_INT(sms_kannel_dlr_url(BASE, "s", "", out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "id must be printable ASCII");
	/* a UTF-8 id would be written %E4..., and Kannel reads %A..%F as its placeholders */
	CHECK_EQ_INT(sms_kannel_dlr_url(BASE, "s", "id-" ZH, out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "id must be printable ASCII");
	CHECK_EQ_INT(sms_kannel_dlr_url(BASE, "s", "a\tb", out, sizeof(out), why), -1);
	CHECK_EQ_INT(sms_kannel_dlr_url(BASE, "s3cret", "q:7", small, sizeof(small), why), -1);
	CHECK_EQ_STR(why, "no room for the dlr-url");
	CHECK_EQ_STR(small, "");
}

/* What Kannel does with our dlr-url: fills in %d, %A (URL-encoded) and %F, and calls it. */
static void kannel_fills(const char *url, const char *d, const char *a, const char *fid,
		char *q, size_t size)
{
	const char *s = strchr(url, '?') + 1;
	size_t n = 0;

	for(; *s && n + 64 < size; s++) {
		if(s[0] == '%' && s[1] == 'd')
			n += (size_t)snprintf(q + n, size - n, "%s", d), s++;
		else if(s[0] == '%' && s[1] == 'A')
			n += (size_t)snprintf(q + n, size - n, "%s", a), s++;
		else if(s[0] == '%' && s[1] == 'F')
			n += (size_t)snprintf(q + n, size - n, "%s", fid), s++;
		else
			q[n++] = *s;
	}
	q[n] = '\0';
}

TEST(kannel_dlr_report_round_trip)
{
	sms_kannel_dlr_t d;
	char url[512], q[1024], why[SMS_WHY_MAX] = "";

	CHECK_EQ_INT(sms_kannel_dlr_url(BASE, "s3cret", "d-42/a b", url, sizeof(url), why), 0);
	kannel_fills(url, "1", "id%3A123+sub%3A001+dlvrd%3A001+stat%3ADELIVRD", "123", q, sizeof(q));
	CHECK_EQ_INT(parse(q, why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), 0);
	CHECK_EQ_STR(d.id, "d-42/a b");
	CHECK_EQ_INT(d.type, 1);
	CHECK_EQ_STR(d.state, "delivered");
	CHECK_EQ_STR(d.reply, "id:123 sub:001 dlvrd:001 stat:DELIVRD");
	CHECK_EQ_STR(d.fid, "123");
	kannel_fills(url, "16", "", "", q, sizeof(q));
	CHECK_EQ_INT(parse(q, why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), 0);
	CHECK_EQ_STR(d.state, "failed");
	CHECK(d.reply == NULL && d.fid == NULL);
	/* another secret, another delivery's id, a combined type, no sig */
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cres", &d, why), -1);
	CHECK_EQ_STR(why, "wrong sig");
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "", &d, why), -1);
	CHECK_EQ_STR(why, "cannot compute the sig (no secret?)");
	CHECK_EQ_INT(parse("id=d-43&sig=293df5356bfccd7d45f218b64b490c86&type=1", why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), -1);
	CHECK_EQ_STR(why, "wrong sig");
	CHECK_EQ_INT(parse("id=d-42%2Fa+b&sig=293df5356bfccd7d45f218b64b490c8&type=1", why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), -1);
	CHECK_EQ_STR(why, "wrong sig");
	CHECK_EQ_INT(parse("id=d-42%2Fa+b&sig=293df5356bfccd7d45f218b64b490c87&type=1", why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), -1);
	CHECK_EQ_STR(why, "wrong sig");
	CHECK_EQ_INT(parse("id=d-42%2Fa+b&sig=293df5356bfccd7d45f218b64b490c860&type=1", why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), -1);
	CHECK_EQ_STR(why, "wrong sig");
	CHECK_EQ_INT(parse("id=d-42%2Fa+b&sig=293DF5356BFCCD7D45F218B64B490C86&type=1", why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), -1);
	CHECK_EQ_STR(why, "wrong sig");
	CHECK_EQ_INT(parse("id=d-42%2Fa+b&sig=293df5356bfccd7d45f218b64b490c86&type=3", why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), -1);
	CHECK_EQ_STR(why, "DLR type 3 is not one of 1, 2, 4, 8, 16");
	CHECK_EQ_INT(parse("id=d-42%2Fa+b&sig=293df5356bfccd7d45f218b64b490c86", why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), -1);
	CHECK_EQ_STR(why, "DLR type is not a number");
	CHECK_EQ_INT(parse("id=d-42%2Fa+b&type=1", why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), -1);
	CHECK_EQ_STR(why, "no sig");
	CHECK_EQ_INT(parse("sig=293df5356bfccd7d45f218b64b490c86&type=1", why), 0);
	CHECK_EQ_INT(sms_kannel_dlr(f.p, f.n, "s3cret", &d, why), -1);
	CHECK_EQ_STR(why, "no id");
}

TEST(kannel_sendsms_query_encodes_every_part)
{
	sms_kannel_send_t s = {"omniq", "p&w d", "10086", "+8613800000001", ZH " +1", 0, 2, NULL,
			31, NULL};
	char url[256], out[1024], why[SMS_WHY_MAX] = "";
	const sms_pair_t *v;

	s.text_len = strlen(s.text);
	CHECK_EQ_INT(sms_kannel_dlr_url(BASE, "s3cret", "q:7", url, sizeof(url), why), 0);
	s.dlr_url = url;
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), 0);
	CHECK_EQ_STR(out, "username=omniq&password=p%26w%20d&from=10086&to=%2B8613800000001"
					  "&text=%E4%BD%A0%E5%A5%BD%20%2B1&coding=2&charset=UTF-8&dlr-mask=31"
					  "&dlr-url=http%3A%2F%2Fomniq%3A8080%2Fhooks%2Fsms%2Fkannel%2Fdlr%3Fid%3Dq"
					  "%253A7%26sig%3D647ce5ab4928133b2ff64ad281e2524e%26type%3D%25d%26reply%3D"
					  "%25A%26fid%3D%25F");
	/* what Kannel decodes is what we meant, the dlr-url's placeholders intact */
	CHECK_EQ_INT(parse(out, why), 0);
	CHECK_EQ_INT(f.n, 9);
	CHECK((v = sms_form_get(&f, "to")) && strcmp(v->value, "+8613800000001") == 0);
	CHECK((v = sms_form_get(&f, "text")) && strcmp(v->value, ZH " +1") == 0);
	CHECK((v = sms_form_get(&f, "password")) && strcmp(v->value, "p&w d") == 0);
	CHECK((v = sms_form_get(&f, "dlr-url")) && strcmp(v->value, url) == 0);
	/* no from ("" is none too), an smsc, no reports, GSM */
	s.from = "";
	s.smsc = "cmcc";
	s.dlr_mask = 0;
	s.coding = 0;
	s.text = "Hi~ 1.5_x-y";
	s.text_len = strlen(s.text);
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), 0);
	CHECK_EQ_STR(out, "username=omniq&password=p%26w%20d&to=%2B8613800000001"
					  "&text=Hi~%201.5_x-y&coding=0&charset=UTF-8&smsc=cmcc");
	/* a text's NUL goes as %00 (text_len counts) */
	s.text = "a\0b";
	s.text_len = 3;
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), 0);
	CHECK(strstr(out, "&text=a%00b&") != NULL);
}

TEST(kannel_sendsms_refusals_say_why)
{
	sms_kannel_send_t ok = {"u", "p", NULL, "+1", "hi", 2, 0, NULL, 0, NULL}, s;
	char out[64], why[SMS_WHY_MAX] = "";
	size_t n;

	s = ok;
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), 0);
	CHECK_EQ_STR(out, "username=u&password=p&to=%2B1&text=hi&coding=0&charset=UTF-8");
	/* exactly the room it needs, and one byte less */
	n = strlen(out) + 1;
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, n, why), 0);
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, n - 1, why), -1);
	CHECK_EQ_STR(why, "no room for the sendsms query");
	CHECK_EQ_STR(out, "");
	s.coding = 1;
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "coding is not 0 (GSM) or 2 (UCS-2)");
	s = ok;
	s.dlr_mask = 32;
	s.dlr_url = BASE;
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "dlr_mask over 31");
	s.dlr_mask = 31;
	s.dlr_url = NULL;
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "dlr_mask without a dlr_url");
	s = ok;
	s.to = "";
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "no to");
	s = ok;
	s.username = NULL;
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "no username or password");
	s = ok;
	s.text = NULL;
	CHECK_EQ_INT(sms_kannel_sendsms(&s, out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "no text");
}

UNIT_MAIN()
