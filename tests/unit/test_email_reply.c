/*
 * test_email_reply.c - an agent's reply as the customer's mail client reads it: built with
 * email_reply_build, then read back with email_mime_parse as any incoming mail is.
 */
#include "unit.h"
#include "email_mime.h"
#include "email_reply.h"

TEST(reply_threads_and_reads_back_in_chinese)
{
	email_reply_in_t in = {"support@example.com", "客服中心", "support+omniq-12-0123456789abcdef@example.com",
			"li.lei@customer.example", "Re: 发票抬头错了 [#omniq-9-aaaaaaaaaaaaaaaa]",
			"[#omniq-12-0123456789abcdef]", "omniq-d42@example.com", "b2@customer.example",
			"a1@customer.example", "您好，抬头已改为 <北京某某公司> & 重开。\n谢谢！", 1796000000, 0};
	char *out, why[EMAIL_WHY_MAX];
	size_t len;
	email_msg_t m;

	CHECK_EQ_INT(email_reply_build(&in, &out, &len, why), 0);
	/* SMTP's line ends, no bare LF; the headers 7-bit (RFC 2047) */
	CHECK(strstr(out, "\r\n") != NULL);
	for(size_t i = 0; i < len; i++)
		if(out[i] == '\n')
			CHECK(i > 0 && out[i - 1] == '\r');
	/* every byte of the header block ASCII (RFC 2047 words), the subject's token readable */
	for(size_t i = 0; i < len && !(i > 3 && !memcmp(out + i - 4, "\r\n\r\n", 4)); i++)
		CHECK((unsigned char)out[i] < 0x80);
	CHECK_CONTAINS(out, "Subject: Re: =?UTF-8?B?");
	CHECK_CONTAINS(out, "?= [#omniq-12-0123456789abcdef]\r\n");
	CHECK_CONTAINS(out, "Auto-Submitted: no");
	CHECK_EQ_INT(email_mime_parse(out, len, NULL, &m, why), 0);
	/* the old token out, ours in, one "Re:" */
	CHECK_EQ_STR(m.subject, "Re: 发票抬头错了 [#omniq-12-0123456789abcdef]");
	CHECK_EQ_STR(m.from.addr, "support@example.com");
	CHECK_EQ_STR(m.from.name, "客服中心");
	CHECK_EQ_STR(m.reply_to.addr, "support+omniq-12-0123456789abcdef@example.com");
	CHECK_EQ_STR(m.message_id, "omniq-d42@example.com");
	CHECK_EQ_STR(m.in_reply_to, "b2@customer.example");
	CHECK_EQ_INT((int)m.n_refs, 2);
	CHECK_EQ_STR(m.refs[0], "a1@customer.example");
	CHECK_EQ_STR(m.refs[1], "b2@customer.example");
	CHECK_EQ_STR(m.text, "您好，抬头已改为 <北京某某公司> & 重开。\n谢谢！");
	CHECK(m.html != NULL && strstr(m.html, "&lt;北京某某公司&gt; &amp; 重开。<br>") != NULL);
	CHECK_EQ_INT((int)(m.flags & EMAIL_F_NO_AUTOREPLY), 0);
	email_mime_free(&m);
	free(out);
	/* a first answer: no In-Reply-To, a subject made from none */
	in.in_reply_to = NULL;
	in.subject = NULL;
	CHECK_EQ_INT(email_reply_build(&in, &out, &len, why), 0);
	CHECK_EQ_INT(email_mime_parse(out, len, NULL, &m, why), 0);
	CHECK(m.in_reply_to == NULL && m.n_refs == 0);
	CHECK_CONTAINS(m.subject, "[#omniq-12-0123456789abcdef]");
	email_mime_free(&m);
	free(out);
	in.token = NULL;
	CHECK_EQ_INT(email_reply_build(&in, &out, &len, why), -1);
	CHECK(out == NULL);
	/* GMime stays up for the next case: once shut down it cannot start again */
}

TEST(notice_of_no_session_is_a_plain_automatic_mail)
{
	email_reply_in_t in = {0};
	char *out, why[EMAIL_WHY_MAX];
	size_t len;
	email_msg_t m;

	in.from_addr = "support@example.com";
	in.to = "boss@example.com";
	in.subject = "[SLA level 2] 会话 12 等待 4 min 10 s";
	in.message_id = "omniq-77@example.com";
	in.text = "[SLA level 2] 会话 12 等待 4 min 10 s\nhttps://desk.example.com/#s=12";
	in.date = 1796000000;
	in.notice = 1;
	CHECK_EQ_INT(email_reply_build(&in, &out, &len, why), 0);
	CHECK_CONTAINS(out, "Auto-Submitted: auto-generated");
	CHECK(strstr(out, "In-Reply-To") == NULL && strstr(out, "Reply-To") == NULL);
	CHECK_EQ_INT(email_mime_parse(out, len, NULL, &m, why), 0);
	/* the subject as given: no "Re:", no token */
	CHECK_EQ_STR(m.subject, "[SLA level 2] 会话 12 等待 4 min 10 s");
	CHECK_EQ_STR(m.text, "[SLA level 2] 会话 12 等待 4 min 10 s\nhttps://desk.example.com/#s=12");
	/* an automatic mail: no mail client should answer it automatically */
	CHECK((m.flags & EMAIL_F_NO_AUTOREPLY) != 0);
	email_mime_free(&m);
	free(out);
	/* a notice still needs its subject */
	in.subject = NULL;
	CHECK_EQ_INT(email_reply_build(&in, &out, &len, why), -1);
	CHECK(out == NULL);
	email_mime_shutdown(); /* the last case */
}

UNIT_MAIN()
