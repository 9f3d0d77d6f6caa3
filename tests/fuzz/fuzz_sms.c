/*
 * fuzz_sms.c - libFuzzer on what reaches omniq_sms from the network: a Twilio or Kannel form
 * body (parsed, signature checked, mapped to a message, a status and a Kannel MO or DLR), a
 * SIP MESSAGE's message/cpim body and its From numbers, a gateway's number, a user data
 * header and the text in every coding, a charset conversion, and the text of an agent's
 * reply counted and cut into parts (every part rebuilt must be the text again). Any crash,
 * sanitizer report or hang is a failure; refusals are what is expected.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sms_charset.h"
#include "sms_cpim.h"
#include "sms_kannel.h"
#include "sms_number.h"
#include "sms_text.h"
#include "sms_twilio.h"

#define MAX_IN 65536

static char scratch[MAX_IN + 1], out[4 * MAX_IN + 8], part[4 * MAX_IN + 8];
static sms_form_t f;
static sms_cpim_t cpim;

static void parts(const char *utf8)
{
	sms_plan_t p;
	size_t i, at = 0, len = strlen(utf8);
	int n;

	if(sms_parts(utf8, &p) < 0)
		return;
	for(i = 0; i < p.parts; i++) {
		if((n = sms_split(utf8, &p, i, part, sizeof(part))) < 0)
			abort();
		if(at + (size_t)n > len || memcmp(utf8 + at, part, (size_t)n) != 0)
			abort(); /* the parts must be the text, in order */
		at += (size_t)n;
	}
	if(at != len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[SMS_WHY_MAX + 8], num[64], sig[SMS_TWILIO_SIG_LEN + 1];
	sms_twilio_msg_t m;
	sms_twilio_status_t st;
	sms_kannel_mo_t mo;
	sms_kannel_dlr_t d;
	sms_concat_t cc;
	size_t n, udh;
	int c;

	if(size > MAX_IN)
		return 0;
	if(sms_form_parse((const char *)data, size, scratch, sizeof(scratch), &f, why) == 0) {
		sms_twilio_signature("token", "https://omniq.example/hooks/sms/tw", &f, sig);
		sms_twilio_verify("token", "https://omniq.example/hooks/sms/tw", &f, sig);
		sms_twilio_message(&f, &m, why);
		sms_twilio_status(&f, &st, why);
		if(sms_kannel_mo(f.p, f.n, &mo, why) == 0) {
			sms_decode(mo.coding, (const unsigned char *)mo.text, mo.text_len, out,
					sizeof(out), &n, why);
			if(mo.udh_len)
				sms_udh_concat(mo.udh, mo.udh_len, &cc, &udh, why);
			sms_number(mo.from, strlen(mo.from), "86", num, sizeof(num), why, sizeof(why));
		}
		sms_kannel_dlr(f.p, f.n, "0123456789", &d, why);
	}
	if(sms_cpim_parse((const char *)data, size, &cpim, why) == 0 && cpim.from)
		sms_cpim_number(cpim.from, num, sizeof(num), why);
	sms_number((const char *)data, size, "86", num, sizeof(num), why, sizeof(why));
	sms_udh_concat(data, size, &cc, &udh, why);
	for(c = SMS_GSM7; c <= SMS_UTF8; c++)
		sms_decode((sms_coding_t)c, data, size, out, sizeof(out), &n, why);
	sms_decode_packed7(data, size, size * 8 / 7, size ? data[0] % 7 : 0, out, sizeof(out), &n,
			why);
	sms_to_utf8(size && data[0] & 1 ? "GB18030" : "BIG5", (const char *)data, size, out,
			sizeof(out), &n, why, sizeof(why));
	sms_optout_keyword((const char *)data, size);
	if(sms_decode(SMS_UTF8, data, size, out, sizeof(out), &n, why) == 0)
		parts(out);
	return 0;
}
