/*
 * test_email_mime.c - mail as customers' clients send it (Foxmail/QQ in GB2312 and GBK, a
 * Big5 client, Outlook's HTML-only reply, Gmail's multipart/alternative, attachments with
 * RFC 2231 and RFC 2047 names, an inline image, auto-replies, bounces, mailing lists)
 * turned into what omniq keeps; malformed and hostile input taken or refused without a
 * crash; and the pieces under the parse (charsets, HTML, flowed text, quoted history,
 * file names, the session token) on their own.
 *
 * Expected texts are written in UTF-8 as they should come out; the mails themselves carry
 * the bytes their clients send (GBK quoted-printable, raw Big5, Windows-1252 ...).
 */
#include "unit.h"
#include "email_html.h"
#include "email_mime.h"
#include "email_quote.h"
#include "email_text.h"
#include "email_token.h"

static int parse(const char *in, email_msg_t *m, char *why)
{
	return email_mime_parse(in, strlen(in), NULL, m, why);
}

/* ---- real-world shaped mail ----------------------------------------------------- */

/* Foxmail / QQ Mail: a GBK subject labelled gb2312 (镕 is not in GB2312), a body in GBK
 * quoted-printable labelled gb2312, QQ's "原始邮件" separator, and the token of our mail in
 * the subject and in the quote. */
static const char foxmail[] =
		"Received: from smtpbg.qq.com (unknown [203.205.251.80])\r\n"
		"\tby mx.omniq.example (Postfix) with ESMTPS id 4VYk1b2C3dz9s\r\n"
		"\tfor <support@omniq.example>; Mon, 6 May 2024 10:00:03 +0800 (CST)\r\n"
		"From: \"=?gb2312?B?1cXI/Q==?=\" <zhangsan@qq.com>\r\n"
		"To: \"support\" <support@omniq.example>\r\n"
		"Subject: =?gb2312?B?u9i4tKO6udjT2ulG1v28/raptaW1xM7KzOIgWyNvbW5pcS0xMDI0LTlmODZkMDgxODg0YzdkNjVd?=\r\n"
		"Mime-Version: 1.0\r\n"
		"Content-Type: multipart/alternative;\r\n"
		"\tboundary=\"----=_NextPart_6638B1A0_0F4E8D30_1A2B3C4D\"\r\n"
		"Content-Transfer-Encoding: 8Bit\r\n"
		"Date: Mon, 6 May 2024 10:00:00 +0800\r\n"
		"X-Priority: 3\r\n"
		"Message-ID: <tencent_5F1C2A7B8E9D@qq.com>\r\n"
		"X-QQ-MIME: TCMime 1.0 by Tencent\r\n"
		"X-Mailer: Foxmail 7.2.25.228[cn]\r\n"
		"\r\n"
		"This is a multi-part message in MIME format.\r\n"
		"\r\n"
		"------=_NextPart_6638B1A0_0F4E8D30_1A2B3C4D\r\n"
		"Content-Type: text/plain;\r\n"
		"\tcharset=\"gb2312\"\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"=C4=FA=BA=C3=A3=AC=CE=D2=B5=C4=B6=A9=B5=A5=A3=A8=E9F=D6=FD=BC=FE=A3=A9=BB=\r\n"
		"=B9=C3=BB=D3=D0=B7=A2=BB=F5=A3=AC=C7=EB=B0=EF=C3=A6=B2=E9=D2=BB=CF=C2=A1=A3\r\n"
		"\r\n"
		"=D0=BB=D0=BB=A3=A1\r\n"
		"\r\n"
		"------------------ =D4=AD=CA=BC=D3=CA=BC=FE ------------------\r\n"
		"=B7=A2=BC=FE=C8=CB: \"=BF=CD=B7=FE=D6=D0=D0=C4\"<support@omniq.example>;\r\n"
		"=B7=A2=CB=CD=CA=B1=BC=E4: 2024=C4=EA5=D4=C25=C8=D5(=D0=C7=C6=DA=CC=EC) =CF=\r\n"
		"=C2=CE=E73:00\r\n"
		"=CA=D5=BC=FE=C8=CB: \"=D5=C5=C8=FD\"<zhangsan@qq.com>;\r\n"
		"=D6=F7=CC=E2: =B9=D8=D3=DA=B6=A9=B5=A5=B5=C4=CE=CA=CC=E2 [#omniq-1024-9f86d=\r\n"
		"081884c7d65]\r\n"
		"\r\n"
		"=C4=FA=BA=C3=A3=AC=C7=EB=CE=CA=D3=D0=CA=B2=C3=B4=BF=C9=D2=D4=B0=EF=C4=FA=A3=\r\n"
		"=BF\r\n"
		"\r\n"
		"------=_NextPart_6638B1A0_0F4E8D30_1A2B3C4D\r\n"
		"Content-Type: text/html;\r\n"
		"\tcharset=\"gb2312\"\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"PGRpdj7E+rrDo6zO0rXEtqm1paOo6UbW/bz+o6m7ucO709C3orv1o6zH67Dvw6ay6dK7z8KhozwvZGl2Pg==\r\n"
		"\r\n"
		"------=_NextPart_6638B1A0_0F4E8D30_1A2B3C4D--\r\n"
		"\r\n";

TEST(foxmail_gb2312_subject_and_gbk_quoted_printable_body)
{
	static const char fresh[] = "您好，我的订单（镕铸件）还没有发货，请帮忙查一下。\n\n谢谢！";
	email_msg_t m;
	email_token_t t;
	char why[EMAIL_WHY_MAX] = "";

	CHECK_EQ_INT(parse(foxmail, &m, why), 0);
	CHECK_EQ_STR(m.from.addr, "zhangsan@qq.com");
	CHECK_EQ_STR(m.from.name, "张三");
	CHECK_EQ_INT(m.n_to, 1);
	CHECK_EQ_STR(m.to[0].addr, "support@omniq.example");
	CHECK_EQ_STR(m.subject, "回复：关于镕铸件订单的问题 [#omniq-1024-9f86d081884c7d65]");
	CHECK_EQ_INT(m.date, 1714960800);
	CHECK_EQ_STR(m.message_id, "tencent_5F1C2A7B8E9D@qq.com");
	CHECK(m.in_reply_to == NULL && m.n_refs == 0);
	CHECK_EQ_INT(m.flags, 0);
	/* the plain part is the text; the HTML is kept as well, in UTF-8 */
	CHECK_EQ_INT(m.text_from_html, 0);
	CHECK(strncmp(m.text, fresh, strlen(fresh)) == 0);
	CHECK_EQ_INT(m.quote_at, strlen(fresh));
	CHECK_CONTAINS(m.text + m.quote_at, "原始邮件");
	CHECK_CONTAINS(m.text, "发送时间: 2024年5月5日(星期天) 下午3:00");
	CHECK(m.text[m.text_len - 1] != '\n');
	CHECK_EQ_INT(strlen(m.text), m.text_len);
	CHECK_EQ_STR(m.html, "<div>您好，我的订单（镕铸件）还没有发货，请帮忙查一下。</div>");
	CHECK_EQ_INT(m.html_len, strlen(m.html));
	CHECK_EQ_INT(m.n_att, 0);
	CHECK_EQ_INT(m.notes, 0);
	/* the token, in the subject and in the quote */
	CHECK_EQ_INT(email_token_find(m.subject, strlen(m.subject), &t), 1);
	CHECK_EQ_STR(t.sid, "1024");
	CHECK_EQ_STR(t.sig, "9f86d081884c7d65");
	CHECK_EQ_INT(email_token_find(m.text, m.text_len, &t), 1);
	CHECK(t.at > m.quote_at);
	CHECK_EQ_STR(t.sid, "1024");
	email_mime_free(&m);
	CHECK(m.text == NULL && m.gm_ == NULL);
}

/* A Traditional Chinese client: Big5 encoded-words, a raw 8-bit Big5 body with the euro
 * sign (0xA3E1, in Microsoft's CP950 that big5 is read as). */
static const char big5[] =
		"From: =?big5?B?s6+kaqTl?= <chan.taiman@example.com.hk>\r\n"
		"To: support@omniq.example\r\n"
		"Subject: =?big5?B?wWPF6aSkpOWryKpBuN+w3Q==?=\r\n"
		"Date: Sat, 11 May 2024 14:20:00 +0800\r\n"
		"Message-ID: <20240511142000.8F3A@example.com.hk>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=\"big5\"\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"X-Mailer: Microsoft Outlook Express 6.00.2900.5931\r\n"
		"\r\n"
		"\xab\xc8\xaa" "A\xb1z\xa6n\xa1G\r\n"
		"\xbd\xd0\xb0\xdd\xa7\xda\xaa\xba\xa5]\xbbq\xa6\xf3\xae\xc9\xb0" "e\xb9" "F\xa1H"
		"\xbb\xf9\xae\xe6\xacO\xa3\xe1" "100\xa1" "C\r\n"
		"\xb3\xaf\xa4j\xa4\xe5\r\n";

TEST(big5_headers_and_8bit_body)
{
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";

	CHECK_EQ_INT(parse(big5, &m, why), 0);
	CHECK_EQ_STR(m.from.name, "陳大文");
	CHECK_EQ_STR(m.from.addr, "chan.taiman@example.com.hk");
	CHECK_EQ_STR(m.subject, "繁體中文客服詢問");
	CHECK_EQ_INT(m.date, 1715408400);
	CHECK_EQ_STR(m.text, "客服您好：\n請問我的包裹何時送達？價格是€100。\n陳大文");
	CHECK_EQ_INT(m.quote_at, m.text_len);
	CHECK(m.html == NULL);
	CHECK_EQ_INT(m.notes, 0);
	email_mime_free(&m);
}

/* Outlook: HTML only (Windows-1252 quoted-printable), Word's head and conditional
 * comments, empty paragraphs of &nbsp;, a list, a script, and the reply's quote below
 * "-----Original Message-----". */
static const char outlook[] =
		"From: \"Wang, Lei\" <lei.wang@contoso.com>\r\n"
		"To: \"support@omniq.example\" <support@omniq.example>\r\n"
		"Subject: RE: Invoice 2024-118 [#omniq-4242-deadbeefcafebabe]\r\n"
		"Thread-Topic: Invoice 2024-118\r\n"
		"Thread-Index: AQHaoBc3kT2uQvZyEkqJ8oI2V0m1Aw==\r\n"
		"Date: Wed, 8 May 2024 02:31:07 +0000\r\n"
		"Message-ID:\r\n"
		" <SN6PR11MB2877C3B1A0F8E4D2C9E2A1B4C3D2A@SN6PR11MB2877.namprd11.prod.outlook.com>\r\n"
		"References: <reply-9@omniq.example>\r\n"
		"In-Reply-To: <reply-9@omniq.example>\r\n"
		"Accept-Language: en-US\r\n"
		"Content-Language: en-US\r\n"
		"X-MS-Has-Attach:\r\n"
		"X-MS-TNEF-Correlator:\r\n"
		"Content-Type: text/html; charset=\"Windows-1252\"\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"MIME-Version: 1.0\r\n"
		"\r\n"
		"<html xmlns:o=3D\"urn:schemas-microsoft-com:office:office\">\r\n"
		"<head>\r\n"
		"<meta http-equiv=3D\"Content-Type\" content=3D\"text/html; charset=3DWindows-1252\">\r\n"
		"<style><!--\r\n"
		"/* Style Definitions */\r\n"
		"p.MsoNormal {margin:0cm; font-size:11.0pt;}\r\n"
		"--></style><!--[if gte mso 9]><xml>\r\n"
		"<o:shapedefaults v:ext=3D\"edit\" spidmax=3D\"1026\" />\r\n"
		"</xml><![endif]-->\r\n"
		"</head>\r\n"
		"<body lang=3D\"EN-US\" link=3D\"#0563C1\">\r\n"
		"<div class=3D\"WordSection1\">\r\n"
		"<p class=3DMsoNormal>Hi team,<o:p></o:p></p>\r\n"
		"<p class=3DMsoNormal><o:p>&nbsp;</o:p></p>\r\n"
		"<p class=3DMsoNormal>We haven=92t received the corrected invoice yet &amp; our =\r\n"
		"auditors need it by Friday.<o:p></o:p></p>\r\n"
		"<ul><li>PO&nbsp;7731</li><li>Amount: =8050.00 &lt;incl. VAT&gt;</li></ul>\r\n"
		"<p class=3DMsoNormal>Regards,<br>\r\n"
		"Lei<o:p></o:p></p>\r\n"
		"<p class=3DMsoNormal><o:p>&nbsp;</o:p></p>\r\n"
		"<div>\r\n"
		"<p class=3DMsoNormal>-----Original Message-----<br>\r\n"
		"From: Omniq Support &lt;support@omniq.example&gt; <br>\r\n"
		"Sent: Tuesday, May 7, 2024 4:12 PM<br>\r\n"
		"To: Wang, Lei &lt;lei.wang@contoso.com&gt;<br>\r\n"
		"Subject: Invoice 2024-118 [#omniq-4242-deadbeefcafebabe]<o:p></o:p></p>\r\n"
		"</div>\r\n"
		"<p class=3DMsoNormal>Dear Lei, please find the invoice attached.<o:p></o:p></p>\r\n"
		"<script type=3D\"text/javascript\">document.write(\"<p>x</p>\")</script>\r\n"
		"</div>\r\n"
		"</body>\r\n"
		"</html>\r\n";

TEST(outlook_html_only_with_original_message)
{
	static const char fresh[] = "Hi team,\n\n"
								"We haven’t received the corrected invoice yet & our auditors "
								"need it by Friday.\n"
								"- PO 7731\n"
								"- Amount: €50.00 <incl. VAT>\n"
								"Regards,\n"
								"Lei";
	static const char quoted[] = "\n\n-----Original Message-----\n"
								 "From: Omniq Support <support@omniq.example>\n"
								 "Sent: Tuesday, May 7, 2024 4:12 PM\n"
								 "To: Wang, Lei <lei.wang@contoso.com>\n"
								 "Subject: Invoice 2024-118 [#omniq-4242-deadbeefcafebabe]\n"
								 "Dear Lei, please find the invoice attached.";
	email_msg_t m;
	email_token_t t;
	char why[EMAIL_WHY_MAX] = "";

	CHECK_EQ_INT(parse(outlook, &m, why), 0);
	CHECK_EQ_STR(m.from.name, "Wang, Lei");
	CHECK_EQ_STR(m.message_id,
			"SN6PR11MB2877C3B1A0F8E4D2C9E2A1B4C3D2A@SN6PR11MB2877.namprd11.prod.outlook.com");
	CHECK_EQ_STR(m.in_reply_to, "reply-9@omniq.example");
	CHECK_EQ_INT(m.date, 1715135467);
	CHECK_EQ_INT(m.text_from_html, 1);
	CHECK_EQ_INT(m.quote_at, strlen(fresh));
	CHECK(strncmp(m.text, fresh, strlen(fresh)) == 0);
	CHECK_EQ_STR(m.text + m.quote_at, quoted);
	/* what is no text stays out of it; the HTML is kept as it came, in UTF-8 */
	CHECK(strstr(m.text, "MsoNormal") == NULL && strstr(m.text, "shapedefaults") == NULL);
	CHECK(strstr(m.text, "document.write") == NULL && strstr(m.text, "<p>x") == NULL);
	CHECK_CONTAINS(m.html, "<p class=MsoNormal>We haven’t received");
	CHECK_CONTAINS(m.html, "document.write");
	CHECK(unit_valid_utf8(m.html, m.html_len));
	CHECK_EQ_INT(email_token_find(m.subject, strlen(m.subject), &t), 1);
	CHECK_EQ_STR(t.sid, "4242");
	email_mime_free(&m);
}

/* Gmail: multipart/alternative, the attribution wrapped onto two lines, '>' quotes, Cc
 * with a group, References three deep. */
static const char gmail[] =
		"MIME-Version: 1.0\r\n"
		"Date: Tue, 7 May 2024 09:15:42 +0100\r\n"
		"References: <root-1@omniq.example> <CAF=abc@mail.gmail.com>\r\n"
		"\t<reply-2@omniq.example>\r\n"
		"In-Reply-To: <reply-2@omniq.example>\r\n"
		"Message-ID: <CAJx9f2=YfB8kQ@mail.gmail.com>\r\n"
		"Subject: Re: Your order #4471 [#omniq-77-0123456789ABCDEF]\r\n"
		"From: =?UTF-8?Q?Anna_M=C3=BCller?= <anna.mueller@gmail.com>\r\n"
		"To: Omniq Support <support@omniq.example>\r\n"
		"Cc: \"Bob\" <bob@example.org>, team: carol@example.org, dave@example.org;\r\n"
		"Content-Type: multipart/alternative; boundary=\"000000000000a1b2c3d4e5f60718\"\r\n"
		"\r\n"
		"--000000000000a1b2c3d4e5f60718\r\n"
		"Content-Type: text/plain; charset=\"UTF-8\"\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"Hi,\r\n"
		"\r\n"
		"the parcel arrived but the lid is cracked =E2=80=93 can you send a new one?\r\n"
		"\r\n"
		"Thanks,\r\n"
		"Anna\r\n"
		"\r\n"
		"On Mon, May 6, 2024 at 5:02=E2=80=AFPM Omniq Support <support@omniq.exa=\r\n"
		"mple>\r\n"
		"wrote:\r\n"
		"\r\n"
		"> Dear Anna,\r\n"
		">\r\n"
		"> your order has shipped.\r\n"
		">\r\n"
		"\r\n"
		"--000000000000a1b2c3d4e5f60718\r\n"
		"Content-Type: text/html; charset=\"UTF-8\"\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n"
		"\r\n"
		"<div dir=3D\"ltr\">Hi,<div><br></div><div>the parcel arrived but the lid is cr=\r\n"
		"acked =E2=80=93 can you send a new one?</div><div><br></div><div>Thanks,</div><d=\r\n"
		"iv>Anna</div></div><br><div class=3D\"gmail_quote\"=\r\n"
		"><div dir=3D\"ltr\" class=3D\"gmail_attr\">On Mon, May 6, 2024 at 5:02=E2=80=AFPM=\r\n"
		" Omniq Support &lt;<a href=3D\"mailto:support@omniq.example\">support@omniq.e=\r\n"
		"xample</a>&gt; wrote:<br></div><blockquote class=3D\"gmail_quote\">Dear Anna,<br=\r\n"
		"><br>your order has shipped.</blockquote></div>\r\n"
		"\r\n"
		"--000000000000a1b2c3d4e5f60718--\r\n";

TEST(gmail_alternative_with_on_wrote_quote)
{
	static const char fresh[] = "Hi,\n\nthe parcel arrived but the lid is cracked – can you "
								"send a new one?\n\nThanks,\nAnna";
	email_msg_t m;
	email_token_t t;
	char why[EMAIL_WHY_MAX] = "", *text;
	size_t len;

	CHECK_EQ_INT(parse(gmail, &m, why), 0);
	CHECK_EQ_STR(m.from.name, "Anna Müller");
	CHECK_EQ_STR(m.from.addr, "anna.mueller@gmail.com");
	CHECK_EQ_STR(m.to[0].name, "Omniq Support");
	CHECK_EQ_INT(m.n_cc, 3);
	CHECK_EQ_STR(m.cc[0].addr, "bob@example.org");
	CHECK_EQ_STR(m.cc[1].addr, "carol@example.org");
	CHECK_EQ_STR(m.cc[2].addr, "dave@example.org");
	CHECK_EQ_INT(m.date, 1715069742);
	CHECK_EQ_STR(m.in_reply_to, "reply-2@omniq.example");
	CHECK_EQ_INT(m.n_refs, 3);
	CHECK_EQ_STR(m.refs[0], "root-1@omniq.example");
	CHECK_EQ_STR(m.refs[2], "reply-2@omniq.example");
	CHECK_EQ_INT(m.text_from_html, 0);
	CHECK_EQ_INT(m.quote_at, strlen(fresh));
	CHECK(strncmp(m.text, fresh, strlen(fresh)) == 0);
	CHECK_CONTAINS(m.text + m.quote_at, "wrote:\n\n> Dear Anna,");
	CHECK_CONTAINS(m.html, "gmail_quote");
	/* the token's signature upper-cased by the subject's writer comes back lower-cased */
	CHECK_EQ_INT(email_token_find(m.subject, strlen(m.subject), &t), 1);
	CHECK_EQ_STR(t.sig, "0123456789abcdef");
	/* the HTML alone reduces to the same new text, and its quote is found there too */
	text = email_html_to_text(m.html, m.html_len, EMAIL_TEXT_MAX, &len, NULL);
	CHECK(text != NULL && strncmp(text, fresh, strlen(fresh)) == 0);
	CHECK(text != NULL && email_quote_start(text, len) == strlen(fresh));
	free(text);
	email_mime_free(&m);
}

/* Attachments named the ways clients name them: RFC 2231 in UTF-8 and in GB2312, RFC 2047
 * inside quotes (Outlook, Foxmail), a path meant to escape, and no name at all. */
static const char attachments[] =
		"From: Li Na <lina@example.cn>\r\n"
		"To: support@omniq.example\r\n"
		"Subject: =?UTF-8?B?5Y+R56Wo5ZKM5ZCI5ZCM?=\r\n"
		"Date: Thu, 9 May 2024 11:00:00 +0800\r\n"
		"Message-ID: <att-1@example.cn>\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed; boundary=\"mixed-boundary-42\"\r\n"
		"\r\n"
		"--mixed-boundary-42\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"6K+35p+l5pS26ZmE5Lu244CCCg==\r\n"
		"--mixed-boundary-42\r\n"
		"Content-Type: application/pdf\r\n"
		"Content-Disposition: attachment; filename*=UTF-8''%E5%8F%91%E7%A5%A8.pdf\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"JVBERi0xLjQKJWZha2UgaW52b2ljZQo=\r\n"
		"--mixed-boundary-42\r\n"
		"Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document;\r\n"
		"\tname=\"=?UTF-8?B?5ZCI5ZCMLmRvY3g=?=\"\r\n"
		"Content-Disposition: attachment;\r\n"
		"\tfilename=\"=?UTF-8?B?5ZCI5ZCMLmRvY3g=?=\"\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"UEsDBBQAAAAIAA==\r\n"
		"--mixed-boundary-42\r\n"
		"Content-Type: application/vnd.ms-excel\r\n"
		"Content-Disposition: attachment; filename*=gb2312''%B1%A8%BC%DB%B5%A5%2E%78%6C%73\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"0M8R4KGxGuE=\r\n"
		"--mixed-boundary-42\r\n"
		"Content-Type: application/x-sh; name=\"../../etc/cron.d/evil:job?.sh\"\r\n"
		"Content-Disposition: attachment; filename=\"../../etc/cron.d/evil:job?.sh\"\r\n"
		"Content-Transfer-Encoding: 7bit\r\n"
		"\r\n"
		"MZ\r\n"
		"--mixed-boundary-42\r\n"
		"Content-Type: Application/PDF\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"AAEC\r\n"
		"--mixed-boundary-42--\r\n";

TEST(attachments_with_rfc2231_and_rfc2047_names)
{
	static const struct {
		const char *name, *type, *bytes;
		size_t size;
	} want[] = {
			{"发票.pdf", "application/pdf", "%PDF-1.4\n%fake invoice\n", 23},
			{"合同.docx",
					"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
					"PK\x03\x04\x14\x00\x00\x00\x08\x00", 10},
			{"报价单.xls", "application/vnd.ms-excel", "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8},
			{"evil_job_.sh", "application/x-sh", "MZ", 2},
			{"attachment-5.pdf", "application/pdf", "\x00\x01\x02", 3},
	};
	email_msg_t m;
	unsigned char buf[64];
	char why[EMAIL_WHY_MAX] = "";
	size_t i, len;

	CHECK_EQ_INT(parse(attachments, &m, why), 0);
	CHECK_EQ_STR(m.subject, "发票和合同");
	CHECK_EQ_STR(m.text, "请查收附件。");
	CHECK_EQ_INT(m.n_att, 5);
	for(i = 0; i < m.n_att && i < 5; i++) {
		CHECK_MSG(strcmp(m.att[i].filename, want[i].name) == 0, "%zu: \"%s\"", i,
				m.att[i].filename);
		CHECK_MSG(strcmp(m.att[i].media_type, want[i].type) == 0, "%zu: \"%s\"", i,
				m.att[i].media_type);
		CHECK_MSG(m.att[i].size == want[i].size, "%zu: size %zu", i, m.att[i].size);
		CHECK(m.att[i].content_id == NULL && !m.att[i].is_inline && !m.att[i].too_large);
		CHECK_MSG(email_mime_attachment(&m, i, buf, sizeof(buf), &len, why) == 0, "%zu: %s", i,
				why);
		CHECK_MSG(len == want[i].size && memcmp(buf, want[i].bytes, len) == 0, "%zu: bytes", i);
	}
	/* a buffer too small, an index past the list */
	CHECK_EQ_INT(email_mime_attachment(&m, 0, buf, 22, &len, why), -1);
	CHECK_EQ_STR(why, "attachment 0 needs 23 bytes, the buffer has 22");
	CHECK_EQ_INT(email_mime_attachment(&m, 5, buf, sizeof(buf), &len, why), -1);
	CHECK_EQ_STR(why, "no attachment 5");
	email_mime_free(&m);
	CHECK_EQ_INT(email_mime_attachment(&m, 0, buf, sizeof(buf), &len, why), -1);
}

TEST(attachment_over_the_decode_limit_is_listed_not_read)
{
	email_opts_t o = {NULL, 10};
	email_msg_t m;
	unsigned char buf[64];
	char why[EMAIL_WHY_MAX] = "";
	size_t len;

	CHECK_EQ_INT(email_mime_parse(attachments, strlen(attachments), &o, &m, why), 0);
	CHECK_EQ_INT(m.n_att, 5);
	CHECK_EQ_INT(m.att[0].size, 23);
	CHECK_EQ_INT(m.att[0].too_large, 1);
	CHECK_EQ_INT(m.att[1].too_large, 0);
	CHECK_EQ_INT(email_mime_attachment(&m, 0, buf, sizeof(buf), &len, why), -1);
	CHECK_EQ_STR(why, "attachment 0 has 23 bytes, over the limit of 10");
	CHECK_EQ_INT(email_mime_attachment(&m, 1, buf, sizeof(buf), &len, why), 0);
	CHECK_EQ_INT(len, 10);
	email_mime_free(&m);
}

/* Outlook's screenshot: multipart/related around the alternative, the image named by
 * Content-ID from the HTML; a second one with a Content-ID and no disposition or name. */
static const char inline_image[] =
		"From: Chen <chen@example.com.tw>\r\n"
		"To: support@omniq.example\r\n"
		"Subject: screenshot\r\n"
		"Date: Fri, 10 May 2024 08:00:00 +0800\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: multipart/related; boundary=\"rel\"; type=\"multipart/alternative\"\r\n"
		"\r\n"
		"--rel\r\n"
		"Content-Type: multipart/alternative; boundary=\"alt\"\r\n"
		"\r\n"
		"--alt\r\n"
		"Content-Type: text/plain; charset=\"us-ascii\"\r\n"
		"\r\n"
		"See the error below.\r\n"
		"\r\n"
		"[cid:image001.png@01DAA2B3.C4D5E6F0]\r\n"
		"\r\n"
		"--alt\r\n"
		"Content-Type: text/html; charset=\"us-ascii\"\r\n"
		"\r\n"
		"<p>See the error below.</p><p><img src=\"cid:image001.png@01DAA2B3.C4D5E6F0\"></p>\r\n"
		"--alt--\r\n"
		"\r\n"
		"--rel\r\n"
		"Content-Type: image/png; name=\"image001.png\"\r\n"
		"Content-Description: image001.png\r\n"
		"Content-Disposition: inline; filename=\"image001.png\"; size=70\r\n"
		"Content-ID: <image001.png@01DAA2B3.C4D5E6F0>\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJ\r\n"
		"RU5ErkJggg==\r\n"
		"\r\n"
		"--rel\r\n"
		"Content-Type: image/png\r\n"
		"Content-ID: <logo@example.com.tw>\r\n"
		"Content-Transfer-Encoding: base64\r\n"
		"\r\n"
		"iVBORw0KGgo=\r\n"
		"--rel--\r\n";

TEST(inline_image_with_content_id)
{
	email_msg_t m;
	unsigned char buf[128];
	char why[EMAIL_WHY_MAX] = "";
	size_t len;

	CHECK_EQ_INT(parse(inline_image, &m, why), 0);
	CHECK_EQ_STR(m.text, "See the error below.\n\n[cid:image001.png@01DAA2B3.C4D5E6F0]");
	CHECK_CONTAINS(m.html, "src=\"cid:image001.png@01DAA2B3.C4D5E6F0\"");
	CHECK_EQ_INT(m.n_att, 2);
	CHECK_EQ_STR(m.att[0].filename, "image001.png");
	CHECK_EQ_STR(m.att[0].media_type, "image/png");
	CHECK_EQ_STR(m.att[0].content_id, "image001.png@01DAA2B3.C4D5E6F0");
	CHECK_EQ_INT(m.att[0].is_inline, 1);
	CHECK_EQ_INT(m.att[0].size, 70);
	CHECK_EQ_INT(email_mime_attachment(&m, 0, buf, sizeof(buf), &len, why), 0);
	CHECK(len == 70 && memcmp(buf, "\x89PNG\r\n\x1a\n", 8) == 0);
	CHECK_EQ_STR(m.att[1].filename, "attachment-2.png");
	CHECK_EQ_STR(m.att[1].content_id, "logo@example.com.tw");
	CHECK_EQ_INT(m.att[1].is_inline, 1);
	CHECK_EQ_INT(m.att[1].size, 8);
	email_mime_free(&m);
}

/* ---- machines writing ----------------------------------------------------------- */

TEST(auto_reply_is_flagged)
{
	static const char in[] = "From: Zhao Min <zhaomin@example.com>\r\n"
							 "To: support@omniq.example\r\n"
							 "Subject: =?UTF-8?B?6Ieq5Yqo5Zue5aSNOiDmgqjnmoTpgq7ku7Y=?=\r\n"
							 "Auto-Submitted: auto-replied (vacation)\r\n"
							 "X-Auto-Response-Suppress: All\r\n"
							 "Date: Sun, 12 May 2024 09:00:00 +0800\r\n"
							 "Content-Type: text/plain; charset=UTF-8\r\n"
							 "\r\n"
							 "我正在休假，5月13日返回。\r\n";
	static const char human[] = "From: a@example.com\r\nAuto-Submitted: no\r\n\r\nhello\r\n";
	static const char old[] = "From: a@example.com\r\nX-Autoreply: yes\r\n\r\naway\r\n";
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";

	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_STR(m.subject, "自动回复: 您的邮件");
	/* an out-of-office reply asks for no answer to itself too (Exchange writes both) */
	CHECK_EQ_INT(m.flags, EMAIL_F_AUTO | EMAIL_F_SUPPRESS);
	CHECK(m.flags & EMAIL_F_NO_AUTOREPLY);
	CHECK_EQ_STR(m.text, "我正在休假，5月13日返回。");
	email_mime_free(&m);
	CHECK_EQ_INT(parse(human, &m, why), 0);
	CHECK_EQ_INT(m.flags, 0);
	email_mime_free(&m);
	CHECK_EQ_INT(parse(old, &m, why), 0);
	CHECK_EQ_INT(m.flags, EMAIL_F_AUTO);
	email_mime_free(&m);
}

TEST(mailing_list_is_flagged)
{
	static const char in[] = "From: \"Announce\" <announce@lists.example.org>\r\n"
							 "To: announce@lists.example.org\r\n"
							 "Subject: [Announce] Maintenance window\r\n"
							 "List-Id: Announcements <announce.lists.example.org>\r\n"
							 "List-Unsubscribe: <mailto:announce-leave@lists.example.org>\r\n"
							 "Precedence: list\r\n"
							 "\r\n"
							 "The service will be down on Sunday.\r\n";
	static const char bulk[] = "From: news@shop.example\r\nPrecedence: bulk\r\n\r\nSale!\r\n";
	static const char list_id[] = "From: dev@lists.example.org\r\n"
								  "List-Id: <dev.lists.example.org>\r\n\r\npatch\r\n";
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";

	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_INT(m.flags, EMAIL_F_LIST | EMAIL_F_BULK);
	email_mime_free(&m);
	CHECK_EQ_INT(parse(bulk, &m, why), 0);
	CHECK_EQ_INT(m.flags, EMAIL_F_BULK);
	email_mime_free(&m);
	CHECK_EQ_INT(parse(list_id, &m, why), 0);
	CHECK_EQ_INT(m.flags, EMAIL_F_LIST);
	email_mime_free(&m);
	/* Outlook's "answer me with no automatic mail", and its "None" */
	CHECK_EQ_INT(parse("From: p@example.org\r\nX-Auto-Response-Suppress: DR, OOF, AutoReply\r\n"
					   "\r\nhi\r\n",
						 &m, why),
			0);
	CHECK_EQ_INT(m.flags, EMAIL_F_SUPPRESS);
	CHECK((m.flags & EMAIL_F_NO_AUTOREPLY) != 0);
	email_mime_free(&m);
	CHECK_EQ_INT(parse("From: p@example.org\r\nX-Auto-Response-Suppress: None\r\n\r\nhi\r\n",
						 &m, why),
			0);
	CHECK_EQ_INT(m.flags, 0);
	email_mime_free(&m);
}

/* A bounce of our own mail: a delivery report, the returned mail as message/rfc822. */
TEST(bounce_is_flagged_and_returned_mail_kept_as_eml)
{
	static const char in[] =
			"Return-Path: <>\r\n"
			"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
			"To: support@omniq.example\r\n"
			"Subject: Undelivered Mail Returned to Sender\r\n"
			"Auto-Submitted: auto-replied\r\n"
			"Content-Type: multipart/report; report-type=delivery-status;\r\n"
			"\tboundary=\"4VZ0bN1x2Yz.1715500000/mx.example.net\"\r\n"
			"\r\n"
			"--4VZ0bN1x2Yz.1715500000/mx.example.net\r\n"
			"Content-Description: Notification\r\n"
			"Content-Type: text/plain; charset=us-ascii\r\n"
			"\r\n"
			"I'm sorry to have to inform you that your message could not\r\n"
			"be delivered to one or more recipients.\r\n"
			"\r\n"
			"--4VZ0bN1x2Yz.1715500000/mx.example.net\r\n"
			"Content-Description: Delivery report\r\n"
			"Content-Type: message/delivery-status\r\n"
			"\r\n"
			"Reporting-MTA: dns; mx.example.net\r\n"
			"\r\n"
			"Final-Recipient: rfc822; nobody@example.net\r\n"
			"Action: failed\r\n"
			"Status: 5.1.1\r\n"
			"\r\n"
			"--4VZ0bN1x2Yz.1715500000/mx.example.net\r\n"
			"Content-Description: Undelivered Message\r\n"
			"Content-Type: message/rfc822\r\n"
			"\r\n"
			"From: support@omniq.example\r\n"
			"To: nobody@example.net\r\n"
			"Subject: Your ticket [#omniq-9-00112233aabbccdd]\r\n"
			"\r\n"
			"We answered your question.\r\n"
			"\r\n"
			"--4VZ0bN1x2Yz.1715500000/mx.example.net--\r\n";
	email_msg_t m;
	unsigned char buf[512];
	char why[EMAIL_WHY_MAX] = "";
	email_token_t t;
	size_t len;

	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_INT(m.flags, EMAIL_F_BOUNCE | EMAIL_F_AUTO);
	CHECK_EQ_STR(m.text, "I'm sorry to have to inform you that your message could not\n"
						 "be delivered to one or more recipients.");
	CHECK_EQ_INT(m.n_att, 2);
	CHECK_EQ_STR(m.att[0].media_type, "message/delivery-status");
	CHECK_EQ_STR(m.att[0].filename, "attachment-1.txt");
	CHECK_EQ_STR(m.att[1].media_type, "message/rfc822");
	CHECK_EQ_STR(m.att[1].filename, "attachment-2.eml");
	CHECK(m.att[1].size > 0 && m.att[1].size < sizeof(buf));
	CHECK_EQ_INT(email_mime_attachment(&m, 1, buf, sizeof(buf), &len, why), 0);
	CHECK_EQ_INT(len, m.att[1].size);
	/* the bounced mail's token tells which session could not be reached */
	CHECK_EQ_INT(email_token_find((const char *)buf, len, &t), 1);
	CHECK_EQ_STR(t.sid, "9");
	email_mime_free(&m);
}

/* ---- malformed and hostile ------------------------------------------------------ */

TEST(refused_with_a_reason)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
			{"just some text, no headers at all\r\n", "not a mail: GMime found no header block"},
			{"\r\n\r\nbody after an empty header block\r\n", "no From header"},
			{"To: support@omniq.example\r\nSubject: hi\r\n\r\nno From\r\n", "no From header"},
			{"From: undisclosed-recipients:;\r\n\r\nx\r\n", "no address in From"},
			{"From: Zhang San\r\n\r\nx\r\n", "no address in From"},
			{"From: <>\r\n\r\nx\r\n", "no address in From"},
			{"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a mail: GMime found no header block"},
	};
	email_msg_t m;
	char why[EMAIL_WHY_MAX];
	size_t i;
	char *big;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		why[0] = '\0';
		CHECK_MSG(parse(cases[i].in, &m, why) == -1, "case %zu was taken", i);
		CHECK_MSG(strcmp(why, cases[i].why) == 0, "case %zu: why is \"%s\", expected \"%s\"",
				i, why, cases[i].why);
		CHECK(m.gm_ == NULL && m.text == NULL);
		email_mime_free(&m); /* harmless after a refusal */
	}
	CHECK_EQ_INT(email_mime_parse("", 0, NULL, &m, why), -1);
	CHECK_EQ_STR(why, "an empty message");
	CHECK_EQ_INT(email_mime_parse(NULL, 10, NULL, &m, why), -1);
	CHECK_EQ_STR(why, "an empty message");
	big = calloc(1, EMAIL_MSG_MAX + 1);
	CHECK(big != NULL);
	if(big) {
		CHECK_EQ_INT(email_mime_parse(big, EMAIL_MSG_MAX + 1, NULL, &m, why), -1);
		CHECK_EQ_STR(why, "a message of 26214401 bytes, over the limit of 26214400");
		free(big);
	}
}

TEST(truncated_multipart_is_taken_best_effort)
{
	static const char in[] = "From: a@example.com\r\n"
							 "Subject: cut\r\n"
							 "Content-Type: multipart/mixed; boundary=\"zzz\"\r\n"
							 "\r\n"
							 "--zzz\r\n"
							 "Content-Type: text/plain; charset=utf-8\r\n"
							 "\r\n"
							 "first part text\r\n"
							 "--zzz\r\n"
							 "Content-Type: application/pdf; name=\"x.pdf\"\r\n"
							 "Content-Transfer-Encoding: base64\r\n"
							 "\r\n"
							 "JVBERi0xLjQK\r\n"
							 "JVBER";
	static const char no_boundary[] = "From: a@example.com\r\n"
									  "Content-Type: multipart/mixed\r\n"
									  "\r\n"
									  "--x\r\nContent-Type: text/plain\r\n\r\nstill here\r\n";
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";

	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_STR(m.text, "first part text");
	CHECK_EQ_INT(m.n_att, 1);
	CHECK_EQ_STR(m.att[0].filename, "x.pdf");
	CHECK(m.att[0].size >= 9);
	CHECK(m.notes & EMAIL_N_MALFORMED);
	email_mime_free(&m);
	CHECK_EQ_INT(parse(no_boundary, &m, why), 0);
	CHECK_CONTAINS(m.text, "still here");
	CHECK(m.notes & EMAIL_N_MALFORMED);
	email_mime_free(&m);
}

TEST(invalid_base64_and_bad_bytes_still_give_clean_text)
{
	static const char b64[] = "From: a@example.com\r\n"
							  "Content-Type: text/plain; charset=utf-8\r\n"
							  "Content-Transfer-Encoding: base64\r\n"
							  "\r\n"
							  "5L2g5aW9!!!##\xff\xfe***\r\n"
							  "=====AAA\r\n";
	static const char ctl[] = "From: a@example.com\r\n"
							  "Content-Type: text/plain; charset=utf-8\r\n"
							  "Content-Transfer-Encoding: 8bit\r\n"
							  "\r\n"
							  "a\x01" "b\x1b[31mc\x7f" "d\r\n"
							  "e\rf\tg\xc3\x28h\xed\xa0\x80i\xc2\x85j\r\n";
	static const char nul[] = "From: a@example.com\r\nContent-Type: text/plain\r\n\r\nx\0y\r\n";
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";

	CHECK_EQ_INT(parse(b64, &m, why), 0);
	CHECK(strncmp(m.text, "你好", 6) == 0);
	CHECK(unit_valid_utf8(m.text, m.text_len));
	CHECK_EQ_INT(strlen(m.text), m.text_len);
	email_mime_free(&m);
	/* controls dropped (an ANSI escape leaves its harmless tail), CR as LF, ill-formed
	 * UTF-8 as U+FFFD (one per maximal subpart: a surrogate's three bytes are three) */
	CHECK_EQ_INT(parse(ctl, &m, why), 0);
	CHECK_EQ_STR(m.text, "ab[31mcd\ne\nf\tg\xef\xbf\xbd(h\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdij");
	CHECK(m.notes & EMAIL_N_INVALID);
	email_mime_free(&m);
	CHECK_EQ_INT(email_mime_parse(nul, sizeof(nul) - 1, NULL, &m, why), 0);
	CHECK_EQ_STR(m.text, "xy");
	email_mime_free(&m);
}

TEST(long_header_lines_are_bounded)
{
	static char in[40000];
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";
	size_t n;

	n = (size_t)snprintf(in, sizeof(in), "From: a@example.com\r\nSubject: ");
	memset(in + n, 'A', 1500);
	n += 1500;
	n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\nX-Junk: ");
	memset(in + n, 'j', 30000);
	n += 30000;
	snprintf(in + n, sizeof(in) - n, "\r\n\r\nbody\r\n");
	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_INT(strlen(m.subject), EMAIL_LINE_MAX);
	CHECK(strcmp(m.subject + EMAIL_LINE_MAX - 3, "…") == 0);
	CHECK(m.notes & EMAIL_N_HEADER_CUT);
	CHECK_EQ_STR(m.text, "body");
	email_mime_free(&m);
}

/* Deterministic noise, alone and behind a valid From: never a crash; what is taken is
 * clean. */
TEST(garbage_bytes_never_crash)
{
	static char in[70000];
	email_msg_t m;
	char why[EMAIL_WHY_MAX];
	uint32_t x = 2463534242u;
	size_t i, n, taken = 0, runs = 0;
	int seed, rc, head;

	for(seed = 0; seed < 24; seed++) {
		for(head = 0; head < 2; head++) {
			n = head ? (size_t)snprintf(in, sizeof(in), "From: a@example.com\r\n"
												 "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n")
					 : 0;
			for(i = n; i < (seed == 23 ? sizeof(in) : 4096u + (size_t)seed * 97); i++) {
				x ^= x << 13;
				x ^= x >> 17;
				x ^= x << 5;
				/* mostly bytes that mean something to a MIME parser */
				in[i] = (x & 3) ? "\r\n-:=?;\"<>@ Bb0\t"[x >> 28] : (char)(x >> 8);
			}
			rc = email_mime_parse(in, i, NULL, &m, why);
			runs++;
			CHECK(rc == 0 || rc == -1);
			if(head)
				CHECK_MSG(rc == 0, "seed %d: %s", seed, why);
			if(rc == 0) {
				taken++;
				CHECK(m.from.addr != NULL && m.text != NULL);
				CHECK(unit_valid_utf8(m.text, m.text_len));
				CHECK(unit_valid_utf8(m.subject, strlen(m.subject)));
				CHECK(m.text_len <= EMAIL_TEXT_MAX && m.quote_at <= m.text_len);
			}
			email_mime_free(&m);
		}
	}
	CHECK(taken >= runs / 2);
}

/* Nesting deeper than the walk goes: taken, the depth noted, no stack spent on it. */
TEST(deep_nesting_is_bounded)
{
	static char in[16000];
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";
	size_t n;
	int i;

	n = (size_t)snprintf(in, sizeof(in), "From: a@example.com\r\n");
	for(i = 0; i < 100; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n,
				"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i);
	snprintf(in + n, sizeof(in) - n, "Content-Type: text/plain\r\n\r\ndeep\r\n");
	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK(m.notes & EMAIL_N_MALFORMED);
	CHECK_EQ_STR(m.text, "");
	CHECK_EQ_INT(m.quote_at, 0);
	email_mime_free(&m);
}

/* Input shaped to make a careless scanner quadratic: many heads that each end only at a
 * later body, and a file name of 200 000 bytes. Linear here, so it finishes at once (the
 * valgrind run would time out otherwise). */
TEST(hostile_html_and_names_stay_linear)
{
	static char html[300001], in[260000];
	char out[EMAIL_FILENAME_MAX + 1];
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "", *s;
	size_t i, len, n;

	for(i = 0; i + 12 <= sizeof(html) - 1; i += 12)
		memcpy(html + i, "<head><body>", 12);
	memcpy(html + i - 12, "x<head>tail!", 12);
	html[i] = '\0';
	s = email_html_to_text(html, i, EMAIL_TEXT_MAX, &len, NULL);
	CHECK_EQ_STR(s, "x");
	free(s);
	memset(in, 'n', 200000);
	strcpy(in + 200000, ".pdf");
	n = email_safe_filename(in, out, sizeof(out));
	CHECK_EQ_INT(n, EMAIL_FILENAME_MAX);
	CHECK(strcmp(out + n - 4, ".pdf") == 0);
	n = (size_t)snprintf(in, sizeof(in), "From: a@example.com\r\nContent-Type: "
										 "multipart/mixed; boundary=b\r\n\r\n--b\r\n"
										 "Content-Type: application/pdf; name=\"");
	memset(in + n, 'n', 200000);
	snprintf(in + n + 200000, sizeof(in) - n - 200000, ".pdf\"\r\n\r\n%%PDF\r\n--b--\r\n");
	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_INT(m.n_att, 1);
	CHECK_EQ_INT(strlen(m.att[0].filename), EMAIL_FILENAME_MAX);
	email_mime_free(&m);
}

/* A text longer than the core takes: cut on a character boundary, "…" last. */
TEST(long_text_is_cut_on_a_character)
{
	static char in[EMAIL_TEXT_MAX * 3];
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";
	size_t n, i;

	n = (size_t)snprintf(in, sizeof(in), "From: a@example.com\r\n"
										 "Content-Type: text/plain; charset=utf-8\r\n\r\nx");
	for(i = 0; n + 3 < sizeof(in) - 1; i++) {
		memcpy(in + n, "汉", 3);
		n += 3;
	}
	in[n] = '\0';
	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK(m.text_len <= EMAIL_TEXT_MAX && m.text_len > EMAIL_TEXT_MAX - 6);
	CHECK(strcmp(m.text + m.text_len - 3, "…") == 0);
	CHECK(unit_valid_utf8(m.text, m.text_len));
	CHECK(m.notes & EMAIL_N_TEXT_CUT);
	email_mime_free(&m);
}

TEST(too_many_attachments_and_recipients_are_bounded)
{
	static char in[20000];
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";
	size_t n;
	int i;

	n = (size_t)snprintf(in, sizeof(in), "From: a@example.com\r\nTo: ");
	for(i = 0; i < 40; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "%su%d@example.com", i ? ", " : "", i);
	n += (size_t)snprintf(in + n, sizeof(in) - n,
			"\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhi\r\n");
	for(i = 0; i < 40; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n,
				"--b\r\nContent-Type: image/gif\r\nContent-Disposition: attachment; "
				"filename=\"f%d.gif\"\r\n\r\nGIF89a\r\n",
				i);
	snprintf(in + n, sizeof(in) - n, "--b--\r\n");
	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_INT(m.n_to, EMAIL_RCPT_MAX);
	CHECK_EQ_STR(m.to[31].addr, "u31@example.com");
	CHECK_EQ_INT(m.n_att, EMAIL_ATTACH_MAX);
	CHECK_EQ_STR(m.att[31].filename, "f31.gif");
	CHECK(m.notes & EMAIL_N_RCPT_CUT);
	CHECK(m.notes & EMAIL_N_ATTACH_CUT);
	CHECK_EQ_STR(m.text, "hi");
	email_mime_free(&m);
}

/* References past the limit: the thread's root and the latest kept. */
TEST(references_keep_root_and_latest)
{
	static char in[8000];
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";
	size_t n;
	int i;

	n = (size_t)snprintf(in, sizeof(in), "From: a@example.com\r\nReferences:");
	for(i = 0; i < 50; i++)
		n += (size_t)snprintf(in + n, sizeof(in) - n, "\r\n <r%d@x>", i);
	snprintf(in + n, sizeof(in) - n, "\r\n\r\nx\r\n");
	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_INT(m.n_refs, EMAIL_REFS_MAX);
	CHECK_EQ_STR(m.refs[0], "r0@x");
	CHECK_EQ_STR(m.refs[1], "r19@x");
	CHECK_EQ_STR(m.refs[EMAIL_REFS_MAX - 1], "r49@x");
	CHECK(m.notes & EMAIL_N_REFS_CUT);
	email_mime_free(&m);
}

/* Raw 8-bit GBK where a label should be: in a header (GMime tries our fallbacks) and in a
 * body without a charset (we do). */
TEST(unlabelled_gbk_is_read_with_the_fallbacks)
{
	static const char in[] = "From: a@example.com\r\n"
							 "Subject: \xb6\xa9\xb5\xa5\xce\xca\xcc\xe2\r\n"
							 "Content-Type: text/plain\r\n"
							 "\r\n"
							 "\xc7\xeb\xbe\xa1\xbf\xec\xbb\xd8\xb8\xb4\xa3\xac\xd0\xbb\xd0\xbb\xa1\xa3\r\n";
	email_opts_t latin = {"WINDOWS-1252", 0};
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";

	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_STR(m.subject, "订单问题");
	CHECK_EQ_STR(m.text, "请尽快回复，谢谢。");
	CHECK(m.notes & EMAIL_N_CHARSET);
	email_mime_free(&m);
	/* a deployment that says its mail is European reads the same bytes as Latin */
	CHECK_EQ_INT(email_mime_parse(in, strlen(in), &latin, &m, why), 0);
	CHECK_EQ_STR(m.text, "Çë¾¡¿ì»Ø¸´£¬Ð»Ð»¡£");
	email_mime_free(&m);
}

/* format=flowed (Thunderbird): soft line breaks joined, DelSp honoured. */
TEST(flowed_text_is_joined)
{
	static const char in[] = "From: a@example.com\r\n"
							 "Content-Type: text/plain; charset=UTF-8; format=flowed; delsp=no\r\n"
							 "\r\n"
							 "This is a long line that Thunderbird \r\n"
							 "wrapped for us.\r\n"
							 " From the start of a line.\r\n"
							 "-- \r\n"
							 "Sig\r\n";
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";

	CHECK_EQ_INT(parse(in, &m, why), 0);
	CHECK_EQ_STR(m.text, "This is a long line that Thunderbird wrapped for us.\n"
						 "From the start of a line.\n-- \nSig");
	email_mime_free(&m);
}

/* ---- the pieces ----------------------------------------------------------------- */

TEST(charsets_are_widened_and_guessed)
{
	static const struct {
		const char *label, *in, *out;
		int notes;
	} cases[] = {
			/* labels read as their supersets */
			{"gb2312", "\xd6\xec\xe9\x46\xbb\xf9", "朱镕基", 0},
			{"GBK", "\x81\x30\x89\x38", "ß", 0}, /* a four-byte GB18030 sequence */
			{"iso-8859-1", "\x93quoted\x94 \x80", "“quoted” €", 0},
			{"big5", "\xa3\xe1", "€", 0},
			{"windows-1251", "\xcf\xf0\xe8\xe2\xe5\xf2", "Привет", 0},
			{"koi8-r", "\xf0\xd2\xc9\xd7\xc5\xd4", "Привет", 0},
			{"ISO-2022-JP", "\x1b$B$3$s$K$A$O\x1b(B", "こんにちは", 0},
			/* a label the bytes contradict, an unknown one, a hostile one, none */
			{"iso-8859-1", "caf\xc3\xa9 \xe2\x82\xac", "café €", EMAIL_TX_GUESSED},
			{"gb2312", "\xe4\xbd\xa0\xe5\xa5\xbd", "你好", EMAIL_TX_GUESSED},
			{"x-unknown-charset", "caf\xe9", "café", EMAIL_TX_GUESSED},
			{"UTF-8//TRANSLIT", "caf\xe9", "café", EMAIL_TX_GUESSED},
			{NULL, "plain ascii", "plain ascii", 0},
			{"us-ascii", "\xe4\xbd\xa0\xe5\xa5\xbd", "你好", EMAIL_TX_GUESSED},
			/* UTF-8 believed: its bad bytes become U+FFFD, not another charset */
			{"utf-8", "ok\xff", "ok\xef\xbf\xbd", EMAIL_TX_INVALID},
			/* CRLF, BOM, controls */
			{"utf-8", "\xef\xbb\xbfline\r\nnext\r", "line\nnext\n", 0},
	};
	char *s;
	size_t i, len;
	int notes, over;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = email_to_utf8(cases[i].label, cases[i].in, strlen(cases[i].in), NULL, SIZE_MAX,
				&len, &over, &notes);
		CHECK_MSG(s && strcmp(s, cases[i].out) == 0, "case %zu: \"%s\"", i, s ? s : "(null)");
		CHECK_MSG(notes == cases[i].notes, "case %zu: notes %d", i, notes);
		CHECK(s == NULL || (len == strlen(s) && !over));
		free(s);
	}
	/* UTF-16 with half a unit at the end */
	s = email_to_utf8("UTF-16LE", "h\0i\0!", 5, NULL, SIZE_MAX, &len, &over, &notes);
	CHECK_EQ_STR(s, "hi\xef\xbf\xbd");
	CHECK_EQ_INT(notes, EMAIL_TX_INVALID);
	free(s);
	/* the limit stops on a character */
	s = email_to_utf8("gbk", "\xc4\xe3\xba\xc3\xc4\xe3\xba\xc3", 8, NULL, 7, &len, &over, &notes);
	CHECK_EQ_STR(s, "你好");
	CHECK_EQ_INT(over, 1);
	free(s);
	CHECK_EQ_STR(email_charset_widen("GB2312"), "GB18030");
	CHECK_EQ_STR(email_charset_widen("Big5"), "CP950");
	CHECK_EQ_STR(email_charset_widen("koi8-r"), "koi8-r");
}

TEST(html_is_reduced_to_safe_text)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
			{"<p>One</p><p>Two</p>", "One\nTwo"},
			{"a<br>b<br/><br />c<br><br><br><br>d", "a\nb\n\nc\n\nd"},
			{"<div>Hello</div><div><br></div><div>Thanks</div>", "Hello\n\nThanks"},
			{"<ul><li>x</li><li>y</li></ul>after", "- x\n- y\nafter"},
			{"<table><tr><td>Name</td><td>Qty</td></tr><tr><td>Bolt</td><td>4</td></tr></table>",
					"Name Qty\nBolt 4"},
			{"  lots   of\n\n white\tspace  ", "lots of white space"},
			{"<pre>  keep\n    this</pre>", "  keep\n    this"},
			{"&lt;b&gt; &amp; &quot;q&quot; &#39;s&#39; &#x4F60;&#22909; &euro;&copy; &nbsp;x",
					"<b> & \"q\" 's' 你好 €©  x"},
			{"&bogus; &amp &#0; &#x110000; &#150; &", "&bogus; & \xef\xbf\xbd \xef\xbf\xbd – &"},
			{"<script>var a = '<p>';</script><style>p{}</style>shown", "shown"},
			{"<SCRIPT>x</Script>A<!-- <p>hidden</p> -->B<!DOCTYPE html><?xml x?>C", "ABC"},
			{"<head><title>T</title></head><body>in body</body>", "in body"},
			{"<head><meta charset=utf-8><body>no closing head", "no closing head"},
			{"<a href=\"x>y\" title='>'>link</a>", "link"},
			{"a < b and c<3 but <b>bold</b>", "a < b and c<3 but bold"},
			{"cut <a href=\"never closed", "cut"},
			{"<script>never closed", ""},
			{"<p>&nbsp;</p><p>x</p><p>&nbsp;</p><p>&nbsp;</p><p>y</p>", "x\n\ny"},
			{"soft&shy;hyphen", "softhyphen"},
			{"ctl\x01\x7f&#1;&#x7f;", "ctl"},
	};
	char *s;
	size_t i, len;
	int over;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		s = email_html_to_text(cases[i].in, strlen(cases[i].in), SIZE_MAX, &len, &over);
		CHECK_MSG(s && strcmp(s, cases[i].out) == 0, "case %zu: \"%s\"", i, s ? s : "(null)");
		CHECK(s == NULL || len == strlen(s));
		free(s);
	}
	s = email_html_to_text("<p>abcdef</p>", 13, 4, &len, &over);
	CHECK_EQ_STR(s, "abcd");
	CHECK_EQ_INT(over, 1);
	free(s);
}

TEST(quoted_history_is_found)
{
	static const struct {
		const char *text, *fresh; /* fresh: the new text, or NULL when none is quoted */
	} cases[] = {
			{"Thanks!\n\nOn Tue, 7 May 2024, Omniq <s@o.example> wrote:\n> hi", "Thanks!"},
			{"Thanks!\nOn 5/7/24, 10:00 AM, \"Omniq\" <s@o.example>\nwrote:\n\n> hi", "Thanks!"},
			{"好的\n\n在 2024年5月6日周一 10:00，客服 <s@o.example> 写道：\n> 您好", "好的"},
			{"好的\n於 2024年5月6日 上午10:00，客服 寫道:\n> 您好", "好的"},
			/* indented with ideographic and non-breaking spaces, as rich editors do */
			{"好的\n\n\u3000\u3000在 2024年5月6日 10:00，客服 写道：\u3000\n> 您好", "好的"},
			{"ok\n\u00a0-----Original Message-----\u00a0\nFrom: x", "ok"},
			{"ok\n\n-----Original Message-----\nFrom: x", "ok"},
			{"ok\n\n------------------ 原始邮件 ------------------\n发件人: x", "ok"},
			{"ok\n-----原始郵件-----\nx", "ok"},
			{"ok\n\n-----邮件原件-----\n发件人: x", "ok"},
			{"ok\n\n________________________________\nFrom: Omniq <s@o.example>\n"
			 "Sent: Tuesday, May 7, 2024 4:12 PM\nTo: me\n",
					"ok"},
			{"ok\n*From:* Omniq\n*Date:* Tue\n", "ok"},
			{"好\n\n发件人：客服中心\n发送时间：2024年5月5日 15:00\n收件人：张三\n", "好"},
			{"answer\n\n> question\n> more\n\n>\n", "answer"},
			{"On Tue, 7 May 2024 x wrote:\n> only quote", ""},
			/* not history */
			{"On Monday I wrote: see above", NULL},
			{"> a\nmy answer inline\n> b\nanother answer", NULL},
			{"From: the shop\nno date in the lines after it\nx\ny\nz\nSent: late", NULL},
			{"--- Original ---", NULL},
			{"", NULL},
	};
	size_t i, q, n;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = strlen(cases[i].text);
		q = email_quote_start(cases[i].text, n);
		if(cases[i].fresh == NULL)
			CHECK_MSG(q == n, "case %zu: quote at %zu", i, q);
		else
			CHECK_MSG(q == strlen(cases[i].fresh)
							&& strncmp(cases[i].text, cases[i].fresh, q) == 0,
					"case %zu: quote at %zu", i, q);
	}
}

TEST(flowed_lines_unflow)
{
	char a[] = "one \ntwo \nthree\n>q1 \n>q2\n>> deep \n> other\n-- \nsig";
	char b[] = "del \nsp\n";
	size_t n;

	n = email_unflow(a, strlen(a), 0);
	CHECK_EQ_INT(n, strlen(a));
	CHECK_EQ_STR(a, "one two three\n>q1 q2\n>> deep \n> other\n-- \nsig");
	n = email_unflow(b, strlen(b), 1);
	CHECK_EQ_STR(b, "delsp\n");
	CHECK_EQ_INT(n, 6);
}

TEST(text_cut_keeps_whole_characters)
{
	char s[32];
	size_t n;

	strcpy(s, "你好世界");
	n = email_text_cut(s, strlen(s), 10, 0); /* 12 bytes: 你好 and … fit in 10 */
	CHECK_EQ_STR(s, "你好…");
	CHECK_EQ_INT(n, 9);
	strcpy(s, "你好世界");
	CHECK_EQ_INT(email_text_cut(s, strlen(s), 8, 0), 6);
	CHECK_EQ_STR(s, "你…");
	strcpy(s, "short");
	CHECK_EQ_INT(email_text_cut(s, 5, 10, 0), 5);
	CHECK_EQ_STR(s, "short");
	CHECK_EQ_INT(email_text_cut(s, 5, 10, 1), 8); /* cut before: it says so */
	CHECK_EQ_STR(s, "short…");
}

TEST(file_names_are_made_safe)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
			{"发票.pdf", "发票.pdf"},
			{"../../etc/passwd", "passwd"},
			{"C:\\Users\\li\\Desktop\\报价单.xls", "报价单.xls"},
			{"a:b*c?d\"e<f>g|h.txt", "a_b_c_d_e_f_g_h.txt"},
			{".htaccess", "htaccess"},
			{"..", ""},
			{"trailing dots...", "trailing dots"},
			{"new\nline\t\x01.doc", "newline.doc"},
			{"bad\xff.txt", "bad\xef\xbf\xbd.txt"},
			{"dir/", ""},
			{"", ""},
	};
	char out[EMAIL_FILENAME_MAX + 1], in[600];
	size_t i, n;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = email_safe_filename(cases[i].in, out, sizeof(out));
		CHECK_MSG(strcmp(out, cases[i].out) == 0 && n == strlen(out), "case %zu: \"%s\"", i, out);
	}
	CHECK_EQ_INT(email_safe_filename(NULL, out, sizeof(out)), 0);
	/* too long: cut on a character, the extension kept */
	for(i = 0; i < 200; i++)
		memcpy(in + 3 * i, "长", 3);
	strcpy(in + 600 - 5, ".pdf");
	n = email_safe_filename(in, out, sizeof(out));
	CHECK(n <= EMAIL_FILENAME_MAX && n > EMAIL_FILENAME_MAX - 3);
	CHECK(strcmp(out + n - 4, ".pdf") == 0);
	CHECK(unit_valid_utf8(out, n));
}

TEST(header_lines_are_cleaned)
{
	char *s;
	int cut;

	s = email_clean_line("  a\tb\r\n  c\x01 d  ", 100, &cut);
	CHECK_EQ_STR(s, "a b c d");
	CHECK_EQ_INT(cut, 0);
	free(s);
	s = email_clean_line("你好世界", 10, &cut);
	CHECK_EQ_STR(s, "你好…");
	CHECK_EQ_INT(cut, 1);
	free(s);
	s = email_clean_line(NULL, 10, NULL);
	CHECK_EQ_STR(s, "");
	free(s);
}

/* ---- the session token ---------------------------------------------------------- */

TEST(token_is_found_where_it_is_well_formed)
{
	static const struct {
		const char *in;
		const char *sid, *sig; /* NULL: none found */
	} cases[] = {
			{"Re: order [#omniq-1024-9f86d081884c7d65]", "1024", "9f86d081884c7d65"},
			{"[#OMNIQ-7-ABCDEF0123] first", "7", "abcdef0123"},
			{"[#omniq-1-abc] [#omniq-2-0011223344556677]", "2", "0011223344556677"},
			{"[#omniq--abcdef01]", NULL, NULL},
			{"[#omniq-12a-abcdef01]", NULL, NULL},
			{"[#omniq-123456789012345678901-abcdef01]", NULL, NULL},
			{"[#omniq-1-abcdef0]", NULL, NULL},
			{"[#omniq-1-abcdefgh]", NULL, NULL},
			{"[#omniq-1-abcdef01", NULL, NULL},
			{"[#omniq-1-abcdef01 ]", NULL, NULL},
			{"[omniq-1-abcdef01]", NULL, NULL},
			{"", NULL, NULL},
	};
	char sig65[80];
	email_token_t t;
	size_t i;
	int found;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		found = email_token_find(cases[i].in, strlen(cases[i].in), &t);
		if(cases[i].sid == NULL) {
			CHECK_MSG(found == 0, "case %zu found %s", i, t.sid);
		} else {
			CHECK_MSG(found == 1 && strcmp(t.sid, cases[i].sid) == 0
							&& strcmp(t.sig, cases[i].sig) == 0,
					"case %zu: %d %s %s", i, found, t.sid, t.sig);
			CHECK(found == 0 || cases[i].in[t.at] == '[');
			CHECK(found == 0 || cases[i].in[t.at + t.len - 1] == ']');
		}
	}
	/* 20 digits and 64 hex digits are the most; not NUL-terminated input is fine */
	CHECK_EQ_INT(email_token_find("[#omniq-12345678901234567890-"
								  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef]",
						 94, &t),
			1);
	snprintf(sig65, sizeof(sig65), "[#omniq-1-%065d]", 0);
	CHECK_EQ_INT(email_token_find(sig65, strlen(sig65), &t), 0);
	CHECK_EQ_INT(email_token_find("[#omniq-1-abcdef01]xyz", 18, &t), 0);
	CHECK_EQ_INT(email_token_find(NULL, 0, &t), 0);
}

TEST(token_is_formatted_or_refused)
{
	char out[EMAIL_TOKEN_MAX], why[EMAIL_TOKEN_WHY_MAX] = "", small[16];

	CHECK_EQ_INT(email_token_format("1024", "9F86D081884C7D65", out, sizeof(out), why), 30);
	CHECK_EQ_STR(out, "[#omniq-1024-9f86d081884c7d65]");
	CHECK_EQ_INT(email_token_format("", "abcdef01", out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "a sid is 1 to 20 digits");
	CHECK_EQ_INT(email_token_format("1x", "abcdef01", out, sizeof(out), why), -1);
	CHECK_EQ_INT(email_token_format("123456789012345678901", "abcdef01", out, sizeof(out), why), -1);
	CHECK_EQ_INT(email_token_format("1", "abc", out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "a signature is 8 to 64 hex digits");
	CHECK_EQ_INT(email_token_format("1", "abcdefgh", out, sizeof(out), why), -1);
	CHECK_EQ_INT(email_token_format("1", NULL, out, sizeof(out), why), -1);
	CHECK_EQ_INT(email_token_format("1024", "abcdef0123", small, sizeof(small), why), -1);
	CHECK_EQ_STR(why, "no room for the token");
	CHECK_EQ_STR(small, "");
}

TEST(reply_subject_has_one_re_and_one_token)
{
	static const char tok[] = "[#omniq-1024-9f86d081884c7d65]";
	static const struct {
		const char *in, *out;
	} cases[] = {
			{"Order 4471", "Re: Order 4471 [#omniq-1024-9f86d081884c7d65]"},
			{"Re: Order 4471", "Re: Order 4471 [#omniq-1024-9f86d081884c7d65]"},
			{"RE: Re: AW: re[2]: Re(3)： 回复：答复: Order",
					"Re: Order [#omniq-1024-9f86d081884c7d65]"},
			{"Re: Order [#omniq-1024-9f86d081884c7d65]",
					"Re: Order [#omniq-1024-9f86d081884c7d65]"},
			{"Re: [#omniq-5-00000000aaaaaaaa] Order [#omniq-6-11111111bbbbbbbb] now",
					"Re: Order now [#omniq-1024-9f86d081884c7d65]"},
			{"Order\r\n\tfolded\x01", "Re: Order folded [#omniq-1024-9f86d081884c7d65]"},
			{"Fwd: Order", "Re: Fwd: Order [#omniq-1024-9f86d081884c7d65]"},
			{"Regarding order", "Re: Regarding order [#omniq-1024-9f86d081884c7d65]"},
			{"", "Re: [#omniq-1024-9f86d081884c7d65]"},
			{NULL, "Re: [#omniq-1024-9f86d081884c7d65]"},
	};
	char out[256], why[EMAIL_TOKEN_WHY_MAX] = "";
	size_t i;
	int n;

	for(i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = email_reply_subject(cases[i].in, tok, out, sizeof(out), why);
		CHECK_MSG(n >= 0 && strcmp(out, cases[i].out) == 0, "case %zu: \"%s\" (%s)", i, out, why);
		CHECK(n < 0 || (size_t)n == strlen(out));
	}
	/* too long: the subject cut on a character with "…", the token whole */
	n = email_reply_subject("订单问题订单问题", tok, out, 4 + 10 + 1 + strlen(tok) + 1, why);
	CHECK_EQ_STR(out, "Re: 订单… [#omniq-1024-9f86d081884c7d65]");
	CHECK_EQ_INT(n, (int)strlen(out));
	n = email_reply_subject("Order", tok, out, 4 + strlen(tok) + 1, why);
	CHECK_EQ_STR(out, "Re: [#omniq-1024-9f86d081884c7d65]");
	CHECK_EQ_INT(email_reply_subject("Order", tok, out, 4 + strlen(tok), why), -1);
	CHECK_EQ_STR(why, "no room for \"Re: \" and the token");
	CHECK_EQ_INT(email_reply_subject("Order", "[#omniq-x]", out, sizeof(out), why), -1);
	CHECK_EQ_STR(why, "not a token: \"[#omniq-x]\"");
	CHECK_EQ_INT(email_reply_subject("Order", NULL, out, sizeof(out), why), -1);
}

/* GLib and GMime keep one-time tables until shutdown; freeing them here lets valgrind
 * tell our leaks from theirs. GMime cannot start again after it: a parse then is refused
 * (not a crash, not GLib's criticals). Last in the file, so it runs last. */
TEST(gmime_shuts_down_for_good)
{
	email_msg_t m;
	char why[EMAIL_WHY_MAX] = "";

	email_mime_shutdown();
	email_mime_shutdown(); /* twice is harmless */
	CHECK_EQ_INT(parse(big5, &m, why), -1);
	CHECK_EQ_STR(why, "GMime was shut down");
	CHECK(m.gm_ == NULL && m.text == NULL);
	email_mime_free(&m);
	email_mime_init(); /* does not start it again either */
	CHECK_EQ_INT(parse(big5, &m, why), -1);
}

UNIT_MAIN()
