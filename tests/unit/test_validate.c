/*
 * test_validate.c - unit and fuzz tests for modules/omniq/oq_validate.c.
 *
 * Every input is handed to the validator in a heap block of exactly its length, and every
 * output buffer is a heap block of exactly the size passed, so a single byte read or
 * written past a bound is caught by the ASan and valgrind runs of this binary, not only
 * by an assertion.
 */
#define _GNU_SOURCE 1 /* memmem */
#include "unit.h"

#include "oq_validate.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>

/* ---- helpers ------------------------------------------------------------------------ */

/* Size of the "large" output buffer: more than any canonical value can need (an agent's
 * skill list is the longest). */
#define BIG (OQ_AGENT_SKILLS_BUF > OQ_IDENTITY_BUF ? OQ_AGENT_SKILLS_BUF : OQ_IDENTITY_BUF)

static char out[BIG];
static char why[OQ_WHY_MAX];

/* malloc(0) on purpose for empty input: ASan then flags even a one-byte read. A libc
 * that answers malloc(0) with NULL gets a shared empty string instead. */
static char no_bytes[1];

/* noinline: seen through, a 0-byte block "may be used uninitialized" to gcc. */
__attribute__((noinline)) static char *heap_copy(const void *s, size_t len)
{
	char *p = malloc(len);

	if (p == NULL && len > 0)
		abort();
	if (p == NULL)
		return no_bytes;
	memcpy(p, s, len);
	return p;
}

static void heap_free(char *p)
{
	if (p != no_bytes)
		free(p);
}

/* A value of `len` copies of `c`, NUL-terminated for convenience (the NUL is never
 * passed: lengths are explicit). */
static const char *run_of(char *buf, char c, size_t len)
{
	memset(buf, c, len);
	buf[len] = '\0';
	return buf;
}

/* Result of one call in the form the checks compare: code, output, reason. The output
 * buffer has exactly `outsz` bytes on the heap and is pre-filled with garbage. */
typedef enum { F_IDENTITY, F_SKILLS, F_AGENT_SKILLS, F_CAPS, F_PRESENCE } out_fn_t;

static const int default_caps[4] = { 1, 4, 8, 10 };

static int call_with_output(out_fn_t f, const char *s, size_t len, const char *cc,
		const int *defaults, size_t outsz, char *why_out)
{
	char *in = heap_copy(s, len);
	char *o = outsz ? malloc(outsz) : NULL;
	int rc;

	if (outsz && o == NULL)
		abort();
	if (o)
		memset(o, '#', outsz);
	switch (f) {
	case F_IDENTITY:
		rc = oq_identity_canon(in, len, cc, o, outsz, why_out);
		break;
	case F_SKILLS:
		rc = oq_skills_canon(in, len, o, outsz, why_out);
		break;
	case F_AGENT_SKILLS:
		rc = oq_agent_skills_canon(in, len, o, outsz, why_out);
		break;
	case F_CAPS:
		rc = oq_caps_canon(in, len, defaults, o, outsz, why_out);
		break;
	default:
		rc = oq_check_presence(in, len, o, outsz, why_out);
		break;
	}
	/* The contract: whatever happened, the output is a C string within outsz. */
	if (o) {
		CHECK_MSG(memchr(o, '\0', outsz) != NULL, "output not NUL-terminated within %zu",
				outsz);
		if (memchr(o, '\0', outsz) != NULL && strlen(o) < sizeof out)
			memcpy(out, o, strlen(o) + 1);
		else
			out[0] = '\0';
		if (rc != OQ_V_OK)
			CHECK_MSG(o[0] == '\0', "failed call left output \"%.40s\"", o);
	} else {
		out[0] = '\0';
	}
	free(o);
	heap_free(in);
	return rc;
}

static int ident_n(const char *s, size_t len, const char *cc)
{
	return call_with_output(F_IDENTITY, s, len, cc, NULL, BIG, why);
}
static int skills_n(const char *s, size_t len)
{
	return call_with_output(F_SKILLS, s, len, NULL, NULL, BIG, why);
}
static int agent_n(const char *s, size_t len)
{
	return call_with_output(F_AGENT_SKILLS, s, len, NULL, NULL, BIG, why);
}
static int caps_n(const char *s, size_t len, const int *defaults)
{
	return call_with_output(F_CAPS, s, len, NULL, defaults, BIG, why);
}
static int presence_n(const char *s, size_t len)
{
	return call_with_output(F_PRESENCE, s, len, NULL, NULL, BIG, why);
}

static int channel_n(const char *s, size_t len, oq_class_t *cls)
{
	char *in = heap_copy(s, len);
	int rc = oq_check_channel(in, len, cls, why);

	heap_free(in);
	return rc;
}
static int class_n(const char *s, size_t len, oq_class_t *cls)
{
	char *in = heap_copy(s, len);
	int rc = oq_class_parse(in, len, cls, why);

	heap_free(in);
	return rc;
}
static int id_n(const char *s, size_t len)
{
	char *in = heap_copy(s, len);
	int rc = oq_check_id(in, len, why);

	heap_free(in);
	return rc;
}
static int int_n(const char *s, size_t len, long min, long max, long *val)
{
	char *in = heap_copy(s, len);
	int rc = oq_parse_int(in, len, min, max, val, why);

	heap_free(in);
	return rc;
}
static int body_n(const char *s, size_t len)
{
	char *in = heap_copy(s, len);
	int rc = oq_check_body(in, len, why);

	heap_free(in);
	return rc;
}

/* String literals, which may hold embedded NULs: the length is the literal's, not strlen. */
#define LIT(lit) (lit), (sizeof(lit) - 1)
/* Runtime C strings. */
#define STR(s) (s), strlen(s)

#define EXPECT_OK_OUT(call, want)                                                      \
	do {                                                                           \
		CHECK_EQ_INT(call, OQ_V_OK);                                           \
		CHECK_EQ_STR(out, want);                                               \
		CHECK_EQ_STR(why, "");                                                 \
	} while (0)

/* An error must come with the right code, an empty output and a reason naming the part. */
#define EXPECT_ERR(call, code, why_part)                                               \
	do {                                                                           \
		CHECK_EQ_INT(call, code);                                              \
		CHECK_EQ_STR(out, "");                                                 \
		CHECK_CONTAINS(why, why_part);                                         \
	} while (0)

/* ---- channels and classes ----------------------------------------------------------- */

TEST(channel_builtins_have_fixed_classes)
{
	static const struct {
		const char *name;
		oq_class_t cls;
	} cases[] = {
		{ "phone", OQ_CLASS_VOICE }, { "email", OQ_CLASS_EMAIL }, { "web", OQ_CLASS_CHAT },
		{ "wechat", OQ_CLASS_CHAT }, { "app", OQ_CLASS_CHAT },    { "sms", OQ_CLASS_CHAT },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		oq_class_t cls = (oq_class_t)42;
		CHECK_EQ_INT(channel_n(STR(cases[i].name), &cls), 0);
		CHECK_EQ_INT(cls, cases[i].cls);
		CHECK_EQ_STR(why, "");
	}
	CHECK_EQ_INT(channel_n(LIT("phone"), NULL), 0); /* cls is optional */
}

TEST(channel_custom_names_return_1_and_leave_class)
{
	char buf[64];
	oq_class_t cls = (oq_class_t)42;

	CHECK_EQ_INT(channel_n(LIT("line"), &cls), 1);
	CHECK_EQ_INT(cls, 42);
	CHECK_EQ_INT(channel_n(LIT("x"), &cls), 1);
	CHECK_EQ_INT(channel_n(LIT("my_chan-2"), &cls), 1);
	CHECK_EQ_INT(channel_n(LIT("phones"), &cls), 1);
	CHECK_EQ_INT(channel_n(LIT("phon"), &cls), 1);
	CHECK_EQ_INT(cls, 42);
	run_of(buf, 'c', OQ_CHANNEL_MAX);
	CHECK_EQ_INT(channel_n(buf, OQ_CHANNEL_MAX, &cls), 1);
}

TEST(channel_errors)
{
	char buf[64];
	oq_class_t cls = (oq_class_t)42;

	CHECK_EQ_INT(channel_n("", 0, &cls), OQ_V_EMPTY);
	CHECK_CONTAINS(why, "empty");
	run_of(buf, 'c', OQ_CHANNEL_MAX + 1);
	CHECK_EQ_INT(channel_n(buf, OQ_CHANNEL_MAX + 1, &cls), OQ_V_TOOLONG);
	CHECK_CONTAINS(why, "33 characters");
	CHECK_EQ_INT(channel_n(LIT("Phone"), &cls), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "must start with a letter");
	CHECK_EQ_INT(channel_n(LIT("1sms"), &cls), OQ_V_SYNTAX);
	CHECK_EQ_INT(channel_n(LIT("_sms"), &cls), OQ_V_SYNTAX);
	CHECK_EQ_INT(channel_n(LIT("pHone"), &cls), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "'H'");
	CHECK_EQ_INT(channel_n(LIT("we b"), &cls), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "a space");
	CHECK_EQ_INT(channel_n(LIT("web.x"), &cls), OQ_V_SYNTAX);
	CHECK_EQ_INT(channel_n(LIT("phone\0"), &cls), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "0x00");
	CHECK_EQ_INT(cls, 42);
}

TEST(channel_reads_only_len_bytes)
{
	oq_class_t cls = (oq_class_t)42;

	CHECK_EQ_INT(channel_n("phonebook", 5, &cls), 0);
	CHECK_EQ_INT(cls, OQ_CLASS_VOICE);
	CHECK_EQ_INT(channel_n("sms!!", 3, &cls), 0);
	CHECK_EQ_INT(cls, OQ_CLASS_CHAT);
}

TEST(class_names_and_parsing)
{
	oq_class_t cls = (oq_class_t)42;

	CHECK_EQ_STR(oq_class_name(OQ_CLASS_VOICE), "voice");
	CHECK_EQ_STR(oq_class_name(OQ_CLASS_CHAT), "chat");
	CHECK_EQ_STR(oq_class_name(OQ_CLASS_EMAIL), "email");
	CHECK_EQ_STR(oq_class_name((oq_class_t)3), "unknown");
	CHECK_EQ_STR(oq_class_name((oq_class_t)-1), "unknown");

	CHECK_EQ_INT(class_n(LIT("voice"), &cls), OQ_V_OK);
	CHECK_EQ_INT(cls, OQ_CLASS_VOICE);
	CHECK_EQ_INT(class_n(LIT("CHAT"), &cls), OQ_V_OK);
	CHECK_EQ_INT(cls, OQ_CLASS_CHAT);
	CHECK_EQ_INT(class_n(LIT("Email"), &cls), OQ_V_OK);
	CHECK_EQ_INT(cls, OQ_CLASS_EMAIL);
	CHECK_EQ_INT(class_n("chatty", 4, &cls), OQ_V_OK);
	CHECK_EQ_INT(cls, OQ_CLASS_CHAT);
	CHECK_EQ_INT(class_n(LIT("voice"), NULL), OQ_V_OK);

	cls = (oq_class_t)42;
	CHECK_EQ_INT(class_n("", 0, &cls), OQ_V_EMPTY);
	CHECK_EQ_INT(class_n(LIT("sms"), &cls), OQ_V_UNKNOWN);
	CHECK_CONTAINS(why, "'sms'");
	CHECK_EQ_INT(class_n(LIT("voice "), &cls), OQ_V_UNKNOWN);
	CHECK_EQ_INT(class_n(LIT("voic"), &cls), OQ_V_UNKNOWN);
	CHECK_EQ_INT(class_n(LIT("chat\0"), &cls), OQ_V_UNKNOWN);
	CHECK_EQ_INT(cls, 42);
}

/* ---- ids ---------------------------------------------------------------------------- */

TEST(id_accepts_its_alphabet_up_to_64)
{
	char buf[128];

	CHECK_EQ_INT(id_n(LIT("agent-1.x@corp+2_Z")), OQ_V_OK);
	CHECK_EQ_STR(why, "");
	CHECK_EQ_INT(id_n(LIT("a")), OQ_V_OK);
	run_of(buf, 'a', OQ_ID_MAX);
	CHECK_EQ_INT(id_n(buf, OQ_ID_MAX), OQ_V_OK);
	run_of(buf, 'a', OQ_ID_MAX + 1);
	CHECK_EQ_INT(id_n(buf, OQ_ID_MAX + 1), OQ_V_TOOLONG);
	CHECK_CONTAINS(why, "65 characters");
	/* a 64-byte prefix of the 65-byte buffer is fine: only len bytes count */
	CHECK_EQ_INT(id_n(buf, OQ_ID_MAX), OQ_V_OK);
	CHECK_EQ_INT(id_n("q1 with space", 2), OQ_V_OK);
}

TEST(id_errors)
{
	CHECK_EQ_INT(id_n("", 0), OQ_V_EMPTY);
	CHECK_CONTAINS(why, "empty");
	CHECK_EQ_INT(id_n(LIT("a b")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "'a b'");
	CHECK_CONTAINS(why, "a space");
	CHECK_EQ_INT(id_n(LIT("a:b")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "':'");
	CHECK_EQ_INT(id_n(LIT("ab\0")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "0x00");
	CHECK_CONTAINS(why, "'ab\\x00'");
	CHECK_EQ_INT(id_n(LIT("caf\xc3\xa9")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "0xc3");
	CHECK_EQ_INT(id_n(LIT("{tenant}")), OQ_V_SYNTAX);
	CHECK_EQ_INT(id_n(LIT("a,b")), OQ_V_SYNTAX);
}

/* ---- session ids and free text ------------------------------------------------------ */

static int sid_n(const char *s, size_t len)
{
	char *in = heap_copy(s, len);
	int rc = oq_check_sid(in, len, why);

	heap_free(in);
	return rc;
}

static int text_n(oq_text_t kind, const char *s, size_t len)
{
	char *in = heap_copy(s, len);
	int rc = oq_check_text(kind, in, len, why);

	heap_free(in);
	return rc;
}

TEST(sid_is_decimal_up_to_its_limit)
{
	char buf[64];

	CHECK_EQ_INT(sid_n(LIT("0")), OQ_V_OK);
	CHECK_EQ_STR(why, "");
	CHECK_EQ_INT(sid_n(LIT("0042")), OQ_V_OK);
	run_of(buf, '9', OQ_SID_DIGITS_MAX);
	CHECK_EQ_INT(sid_n(buf, OQ_SID_DIGITS_MAX), OQ_V_OK);
	run_of(buf, '9', OQ_SID_DIGITS_MAX + 1);
	CHECK_EQ_INT(sid_n(buf, OQ_SID_DIGITS_MAX + 1), OQ_V_TOOLONG);
	CHECK_CONTAINS(why, "21 digits, the limit is 20");
	CHECK_EQ_INT(sid_n("", 0), OQ_V_EMPTY);
	CHECK_EQ_INT(sid_n(LIT("-1")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "'-1' is not decimal digits");
	CHECK_EQ_INT(sid_n(LIT("1 ")), OQ_V_SYNTAX);
	CHECK_EQ_INT(sid_n(LIT("1\0")), OQ_V_SYNTAX);
	CHECK_EQ_INT(sid_n("12x", 2), OQ_V_OK); /* only len bytes */
}

TEST(text_kinds_have_their_limits)
{
	static const struct {
		oq_text_t kind;
		size_t min, max;
		const char *what;
	} kinds[] = {
		{ OQ_TEXT_AGENT_NAME, 0, OQ_TEXT_MAX, "name" },
		{ OQ_TEXT_CONTACT, 0, OQ_CONTACT_MAX, "contact" },
		{ OQ_TEXT_EXT, 0, OQ_TEXT_MAX, "ext" },
		{ OQ_TEXT_FROM, 0, OQ_TEXT_MAX, "from" },
		{ OQ_TEXT_CID, 1, OQ_CID_MAX, "client id" },
		{ OQ_TEXT_PROFILE, 0, OQ_TEXT_MAX, "value" },
		{ OQ_TEXT_TAGS, 0, OQ_TAGS_MAX, "tags" },
		{ OQ_TEXT_LEASE, 1, OQ_TEXT_MAX, "identity" },
		{ OQ_TEXT_UNLESS, 0, OQ_TEXT_MAX, "unless_online" },
	};
	static char buf[OQ_CONTACT_MAX + OQ_TAGS_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		run_of(buf, 'x', kinds[i].max);
		CHECK_EQ_INT(text_n(kinds[i].kind, buf, kinds[i].max), OQ_V_OK);
		run_of(buf, 'x', kinds[i].max + 1);
		CHECK_EQ_INT(text_n(kinds[i].kind, buf, kinds[i].max + 1), OQ_V_TOOLONG);
		CHECK_CONTAINS(why, kinds[i].what);
		CHECK_EQ_INT(text_n(kinds[i].kind, "", 0), kinds[i].min ? OQ_V_EMPTY : OQ_V_OK);
	}
}

TEST(text_refuses_control_characters_only)
{
	char buf[4];
	int c;

	for (c = 0; c < 256; c++) {
		buf[0] = 'a';
		buf[1] = (char)c;
		buf[2] = 'b';
		CHECK_EQ_INT(text_n(OQ_TEXT_FROM, buf, 3), c < 0x20 || c == 0x7f ? OQ_V_SYNTAX : OQ_V_OK);
	}
	CHECK_EQ_INT(text_n(OQ_TEXT_FROM, LIT("a\tb")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "from has a control character (0x09 at offset 1)");
	CHECK_EQ_INT(text_n(OQ_TEXT_FROM, LIT("caf\xc3\xa9 \xff")), OQ_V_OK); /* any other byte */
	CHECK_EQ_INT(text_n((oq_text_t)99, LIT("x")), OQ_V_UNKNOWN);
}

/* ---- integers ----------------------------------------------------------------------- */

static int hook_n(const char *s, size_t len)
{
	char *in = heap_copy(s, len);
	int rc = oq_check_hook_path(in, len, why);

	heap_free(in);
	return rc;
}

TEST(hook_path_accepts_segments_below_hooks)
{
	char buf[OQ_HOOK_PATH_MAX + 2];

	CHECK_EQ_INT(hook_n(LIT("/hooks/wechat")), OQ_V_OK);
	CHECK_EQ_STR(why, "");
	CHECK_EQ_INT(hook_n(LIT("/hooks/sms/kannel.dlr")), OQ_V_OK);
	CHECK_EQ_INT(hook_n(LIT("/hooks/A-z_0.9/..x/.y")), OQ_V_OK);
	memcpy(buf, "/hooks/", 7);
	run_of(buf + 7, 'a', OQ_HOOK_PATH_MAX - 7);
	CHECK_EQ_INT(hook_n(buf, OQ_HOOK_PATH_MAX), OQ_V_OK);
	run_of(buf + 7, 'a', OQ_HOOK_PATH_MAX + 1 - 7);
	CHECK_EQ_INT(hook_n(buf, OQ_HOOK_PATH_MAX + 1), OQ_V_TOOLONG);
	CHECK_CONTAINS(why, "129 characters");
	/* only len bytes count */
	CHECK_EQ_INT(hook_n("/hooks/echo/ x", 11), OQ_V_OK);
}

TEST(hook_path_errors)
{
	CHECK_EQ_INT(hook_n("", 0), OQ_V_EMPTY);
	CHECK_CONTAINS(why, "empty");
	CHECK_EQ_INT(hook_n(LIT("/hooks/")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "must start with /hooks/<name>");
	CHECK_EQ_INT(hook_n(LIT("/hooks")), OQ_V_SYNTAX);
	CHECK_EQ_INT(hook_n(LIT("/api/v1/x")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "'/api/v1/x'");
	CHECK_EQ_INT(hook_n(LIT("hooks/x")), OQ_V_SYNTAX);
	CHECK_EQ_INT(hook_n(LIT("/Hooks/x")), OQ_V_SYNTAX);
	CHECK_EQ_INT(hook_n(LIT("/hooks/x/")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "empty segment");
	CHECK_EQ_INT(hook_n(LIT("/hooks//x")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "empty segment");
	CHECK_EQ_INT(hook_n(LIT("/hooks/..")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "'..'");
	CHECK_EQ_INT(hook_n(LIT("/hooks/x/./y")), OQ_V_SYNTAX);
	CHECK_EQ_INT(hook_n(LIT("/hooks/x?y=1")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "'?'");
	CHECK_EQ_INT(hook_n(LIT("/hooks/a b")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "a space");
	CHECK_EQ_INT(hook_n(LIT("/hooks/x\0")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "0x00");
	CHECK_EQ_INT(hook_n(LIT("/hooks/caf\xc3\xa9")), OQ_V_SYNTAX);
}

TEST(parse_int_values_and_bounds)
{
	long v = 0;

	CHECK_EQ_INT(int_n(LIT("42"), 0, 100, &v), OQ_V_OK);
	CHECK_EQ_INT(v, 42);
	CHECK_EQ_STR(why, "");
	CHECK_EQ_INT(int_n(LIT("-5"), -10, 10, &v), OQ_V_OK);
	CHECK_EQ_INT(v, -5);
	CHECK_EQ_INT(int_n(LIT("-0"), 0, 0, &v), OQ_V_OK);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(int_n(LIT("007"), 0, 10, &v), OQ_V_OK);
	CHECK_EQ_INT(v, 7);
	CHECK_EQ_INT(int_n(LIT("100"), 0, 100, &v), OQ_V_OK);
	CHECK_EQ_INT(int_n(LIT("-10"), -10, 10, &v), OQ_V_OK);
	v = 99;
	CHECK_EQ_INT(int_n(LIT("101"), 0, 100, &v), OQ_V_RANGE);
	CHECK_CONTAINS(why, "101 is outside 0..100");
	CHECK_EQ_INT(int_n(LIT("-11"), -10, 10, &v), OQ_V_RANGE);
	CHECK_EQ_INT(v, 99); /* untouched on failure */
	CHECK_EQ_INT(int_n(LIT("5"), 0, 10, NULL), OQ_V_OK);
}

TEST(parse_int_extremes_and_overflow)
{
	char buf[64];
	long v = 0;

	snprintf(buf, sizeof buf, "%ld", LONG_MAX);
	CHECK_EQ_INT(int_n(STR(buf), LONG_MIN, LONG_MAX, &v), OQ_V_OK);
	CHECK(v == LONG_MAX);
	snprintf(buf, sizeof buf, "%ld", LONG_MIN);
	CHECK_EQ_INT(int_n(STR(buf), LONG_MIN, LONG_MAX, &v), OQ_V_OK);
	CHECK(v == LONG_MIN);
	snprintf(buf, sizeof buf, "%lu", (unsigned long)LONG_MAX + 1);
	CHECK_EQ_INT(int_n(STR(buf), LONG_MIN, LONG_MAX, &v), OQ_V_RANGE);
	snprintf(buf, sizeof buf, "-%lu", (unsigned long)LONG_MAX + 2);
	CHECK_EQ_INT(int_n(STR(buf), LONG_MIN, LONG_MAX, &v), OQ_V_RANGE);
	CHECK_EQ_INT(int_n(LIT("99999999999999999999999999"), 0, 10, &v), OQ_V_RANGE);
	CHECK_CONTAINS(why, "outside 0..10");
	/* a bad character after an overflow is still a syntax error */
	CHECK_EQ_INT(int_n(LIT("99999999999999999999999999x"), 0, 10, &v), OQ_V_SYNTAX);
}

TEST(parse_int_syntax)
{
	long v = 0;

	CHECK_EQ_INT(int_n("", 0, 0, 10, &v), OQ_V_EMPTY);
	CHECK_EQ_INT(int_n(LIT("-"), 0, 10, &v), OQ_V_SYNTAX);
	CHECK_EQ_INT(int_n(LIT("+5"), 0, 10, &v), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "'+5'");
	CHECK_EQ_INT(int_n(LIT(" 5"), 0, 10, &v), OQ_V_SYNTAX);
	CHECK_EQ_INT(int_n(LIT("5 "), 0, 10, &v), OQ_V_SYNTAX);
	CHECK_EQ_INT(int_n(LIT("1e3"), 0, 10000, &v), OQ_V_SYNTAX);
	CHECK_EQ_INT(int_n(LIT("0x10"), 0, 100, &v), OQ_V_SYNTAX);
	CHECK_EQ_INT(int_n(LIT("--1"), -10, 10, &v), OQ_V_SYNTAX);
	CHECK_EQ_INT(int_n(LIT("1\0"), 0, 10, &v), OQ_V_SYNTAX);
	CHECK_EQ_INT(int_n(LIT("\xd9\xa3"), 0, 10, &v), OQ_V_SYNTAX); /* Arabic-Indic three */
	CHECK_EQ_INT(int_n("123456", 3, 0, 1000, &v), OQ_V_OK);
	CHECK_EQ_INT(v, 123);
}

/* ---- presence ----------------------------------------------------------------------- */

TEST(presence_lowercases_known_values)
{
	EXPECT_OK_OUT(presence_n(LIT("available")), "available");
	EXPECT_OK_OUT(presence_n(LIT("Available")), "available");
	EXPECT_OK_OUT(presence_n(LIT("AWAY")), "away");
	EXPECT_OK_OUT(presence_n(LIT("offline")), "offline");
	EXPECT_OK_OUT(presence_n("awayzzz", 4), "away");
}

TEST(presence_errors_and_buffers)
{
	EXPECT_ERR(presence_n("", 0), OQ_V_EMPTY, "empty");
	EXPECT_ERR(presence_n(LIT("busy")), OQ_V_UNKNOWN, "'busy'");
	EXPECT_ERR(presence_n(LIT("away ")), OQ_V_UNKNOWN, "'away '");
	EXPECT_ERR(presence_n(LIT("aw")), OQ_V_UNKNOWN, "'aw'");
	EXPECT_ERR(presence_n(LIT("away\0")), OQ_V_UNKNOWN, "'away\\x00'");
	CHECK_EQ_INT(call_with_output(F_PRESENCE, LIT("away"), NULL, NULL, 5, why), OQ_V_OK);
	CHECK_EQ_STR(out, "away");
	CHECK_EQ_INT(call_with_output(F_PRESENCE, LIT("away"), NULL, NULL, 4, why),
			OQ_V_NOSPACE);
	CHECK_CONTAINS(why, "needs 5");
	CHECK_EQ_INT(call_with_output(F_PRESENCE, LIT("away"), NULL, NULL, 0, why),
			OQ_V_NOSPACE);
}

/* ---- identities: phone / sms -------------------------------------------------------- */

TEST(identity_phone_canonical_forms)
{
	EXPECT_OK_OUT(ident_n(LIT("phone:+8613800138000"), NULL), "phone:+8613800138000");
	EXPECT_OK_OUT(ident_n(LIT("phone:00861380000"), NULL), "phone:+861380000");
	EXPECT_OK_OUT(ident_n(LIT("phone:013800138000"), "86"), "phone:+8613800138000");
	EXPECT_OK_OUT(ident_n(LIT("phone:13800138000"), "86"), "phone:+8613800138000");
	EXPECT_OK_OUT(ident_n(LIT("phone:+1 (415) 555-0100"), NULL), "phone:+14155550100");
	EXPECT_OK_OUT(ident_n(LIT("phone:+44.20.7946.0958"), NULL), "phone:+442079460958");
	EXPECT_OK_OUT(ident_n(LIT("phone: +49 30 1234567 "), NULL), "phone:+49301234567");
	EXPECT_OK_OUT(ident_n(LIT("phone:(0)20 7946 0958"), "44"), "phone:+442079460958");
	/* 00 wins over the default country code */
	EXPECT_OK_OUT(ident_n(LIT("phone:0014155550100"), "86"), "phone:+14155550100");
	EXPECT_OK_OUT(ident_n(LIT("phone:+14155550100"), "86"), "phone:+14155550100");
	EXPECT_OK_OUT(ident_n(LIT("PHONE:+14155550100"), NULL), "phone:+14155550100");
	EXPECT_OK_OUT(ident_n(LIT("sms:+14155550100"), NULL), "sms:+14155550100");
	EXPECT_OK_OUT(ident_n(LIT("SmS:004915112345678"), NULL), "sms:+4915112345678");
	EXPECT_OK_OUT(ident_n(LIT("sms:015112345678"), "49"), "sms:+4915112345678");
	EXPECT_OK_OUT(ident_n(LIT("phone:5550100"), "1"), "phone:+15550100");
}

TEST(identity_phone_digit_count_limits)
{
	EXPECT_OK_OUT(ident_n(LIT("phone:+12345678"), NULL), "phone:+12345678");
	EXPECT_ERR(ident_n(LIT("phone:+1234567"), NULL), OQ_V_SYNTAX,
			"has 7 digits, E.164 needs at least 8");
	EXPECT_OK_OUT(ident_n(LIT("phone:+123456789012345"), NULL), "phone:+123456789012345");
	EXPECT_ERR(ident_n(LIT("phone:+1234567890123456"), NULL), OQ_V_TOOLONG,
			"phone number has 16 digits, E.164 allows 15");
	EXPECT_ERR(ident_n(LIT("phone:+12345678901234567"), NULL), OQ_V_TOOLONG,
			"phone number has 17 digits, E.164 allows 15");
	/* the count is after normalisation: cc added, 00 and trunk 0 dropped */
	EXPECT_OK_OUT(ident_n(LIT("phone:00123456789012345"), NULL), "phone:+123456789012345");
	EXPECT_ERR(ident_n(LIT("phone:001234567890123456"), NULL), OQ_V_TOOLONG, "16 digits");
	EXPECT_OK_OUT(ident_n(LIT("phone:01234567890123"), "86"), "phone:+861234567890123");
	EXPECT_ERR(ident_n(LIT("phone:012345678901234"), "86"), OQ_V_TOOLONG, "16 digits");
	EXPECT_OK_OUT(ident_n(LIT("phone:0123456"), "86"), "phone:+86123456");
	EXPECT_ERR(ident_n(LIT("phone:012345"), "86"), OQ_V_SYNTAX, "has 7 digits");
	EXPECT_ERR(ident_n(LIT("phone:+"), NULL), OQ_V_SYNTAX, "has 0 digits");
	/* many digits are counted, not stored */
	EXPECT_ERR(ident_n(LIT("phone:+1234567890123456789012345678901234567890"), NULL),
			OQ_V_TOOLONG, "40 digits");
}

TEST(identity_phone_errors)
{
	EXPECT_ERR(ident_n(LIT("phone:0123456789"), NULL), OQ_V_SYNTAX,
			"no default country code");
	EXPECT_ERR(ident_n(LIT("phone:0123456789"), ""), OQ_V_SYNTAX,
			"no default country code");
	EXPECT_ERR(ident_n(LIT("phone:0123456789"), "086"), OQ_V_SYNTAX,
			"default country code '086'");
	EXPECT_ERR(ident_n(LIT("phone:0123456789"), "1234"), OQ_V_SYNTAX,
			"default country code");
	EXPECT_ERR(ident_n(LIT("phone:0123456789"), "+86"), OQ_V_SYNTAX,
			"default country code");
	EXPECT_ERR(ident_n(LIT("phone:+86abc1380000"), NULL), OQ_V_SYNTAX, "'a'");
	EXPECT_ERR(ident_n(LIT("phone:+86 138 0013 800O"), NULL), OQ_V_SYNTAX, "'O'");
	EXPECT_ERR(ident_n(LIT("phone:86+13800138000"), NULL), OQ_V_SYNTAX, "'+' after");
	EXPECT_ERR(ident_n(LIT("phone:++8613800138000"), NULL), OQ_V_SYNTAX, "'+' after");
	EXPECT_ERR(ident_n(LIT("phone:+08613800138"), NULL), OQ_V_SYNTAX,
			"country code starting with 0");
	EXPECT_ERR(ident_n(LIT("phone:0008613800138"), NULL), OQ_V_SYNTAX,
			"country code starting with 0");
	EXPECT_ERR(ident_n(LIT("phone:"), NULL), OQ_V_EMPTY, "phone number is empty");
	EXPECT_ERR(ident_n(LIT("phone: -() "), NULL), OQ_V_EMPTY, "phone number is empty");
	EXPECT_ERR(ident_n(LIT("phone:tel:+14155550100"), NULL), OQ_V_SYNTAX, "'t'");
	EXPECT_ERR(ident_n(LIT("phone:+1415555\0" "0100"), NULL), OQ_V_SYNTAX, "0x00");
	EXPECT_ERR(ident_n(LIT("phone:+1415555/0100"), NULL), OQ_V_SYNTAX, "'/'");
	EXPECT_ERR(ident_n(LIT("phone:+1415555\t0100"), NULL), OQ_V_SYNTAX, "0x09");
}

/* ---- identities: other kinds -------------------------------------------------------- */

TEST(identity_email)
{
	char buf[512], dom[300];

	EXPECT_OK_OUT(ident_n(LIT("email:John.Doe@Example.COM"), NULL),
			"email:john.doe@example.com");
	EXPECT_OK_OUT(ident_n(LIT("EMAIL:a+tag@b-c.co.uk"), NULL), "email:a+tag@b-c.co.uk");
	EXPECT_OK_OUT(ident_n(LIT("email:o'neil!#$%&*/=?^_`{|}~@x.io"), NULL),
			"email:o'neil!#$%&*/=?^_`{|}~@x.io");
	EXPECT_ERR(ident_n(LIT("email:a@localhost"), NULL), OQ_V_SYNTAX, "'localhost' has no dot");
	EXPECT_ERR(ident_n(LIT("email:a@b..com"), NULL), OQ_V_SYNTAX, "empty label");
	EXPECT_ERR(ident_n(LIT("email:a@.b.com"), NULL), OQ_V_SYNTAX, "empty label");
	EXPECT_ERR(ident_n(LIT("email:a@b.com."), NULL), OQ_V_SYNTAX, "empty label");
	EXPECT_ERR(ident_n(LIT("email:a@."), NULL), OQ_V_SYNTAX, "empty label");
	EXPECT_ERR(ident_n(LIT("email:@b.com"), NULL), OQ_V_EMPTY, "email local part is empty");
	EXPECT_ERR(ident_n(LIT("email:a@"), NULL), OQ_V_EMPTY, "email domain is empty");
	EXPECT_ERR(ident_n(LIT("email:"), NULL), OQ_V_SYNTAX, "no '@'");
	EXPECT_ERR(ident_n(LIT("email:ab.com"), NULL), OQ_V_SYNTAX, "'ab.com' has no '@'");
	EXPECT_ERR(ident_n(LIT("email:a@b@c.com"), NULL), OQ_V_SYNTAX, "more than one '@'");
	EXPECT_ERR(ident_n(LIT("email:a b@c.com"), NULL), OQ_V_SYNTAX, "a space");
	EXPECT_ERR(ident_n(LIT("email:<a>@c.com"), NULL), OQ_V_SYNTAX, "'<'");
	EXPECT_ERR(ident_n(LIT("email:\"a\"@c.com"), NULL), OQ_V_SYNTAX, "'\"'");
	EXPECT_ERR(ident_n(LIT("email:a,b@c.com"), NULL), OQ_V_SYNTAX, "','");
	EXPECT_ERR(ident_n(LIT("email:a@c_d.com"), NULL), OQ_V_SYNTAX, "'_'");
	EXPECT_ERR(ident_n(LIT("email:a@c.com\0"), NULL), OQ_V_SYNTAX, "0x00");
	EXPECT_ERR(ident_n(LIT("email:caf\xc3\xa9@c.com"), NULL), OQ_V_SYNTAX, "0xc3");

	/* local part: 64 fine, 65 too long */
	snprintf(buf, sizeof buf, "email:%s@x.com", run_of(dom, 'l', 64));
	CHECK_EQ_INT(ident_n(STR(buf), NULL), OQ_V_OK);
	snprintf(buf, sizeof buf, "email:%s@x.com", run_of(dom, 'l', 65));
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "65 characters, the limit is 64");

	/* The 253-byte domain limit is shadowed by the 256-byte identity limit: the longest
	 * domain that fits is 256 - strlen("email:a@") = 248, and one more is refused. */
	run_of(dom, 'd', 248);
	dom[100] = '.';
	snprintf(buf, sizeof buf, "email:a@%s", dom);
	CHECK_EQ_INT(strlen(buf), OQ_IDENTITY_MAX);
	CHECK_EQ_INT(ident_n(STR(buf), NULL), OQ_V_OK);
	run_of(dom, 'D', 249);
	dom[100] = '.';
	snprintf(buf, sizeof buf, "email:a@%s", dom);
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "identity has 257 bytes");
	run_of(dom, 'd', 254);
	dom[100] = '.';
	snprintf(buf, sizeof buf, "email:a@%s", dom);
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "the limit is 256");
}

TEST(identity_wechat)
{
	char buf[512], part[200];

	EXPECT_OK_OUT(ident_n(LIT("wechat:wx1234_ab-C:oABC-123_x"), NULL),
			"wechat:wx1234_ab-C:oABC-123_x");
	EXPECT_OK_OUT(ident_n(LIT("WeChat:a:b"), NULL), "wechat:a:b");
	EXPECT_ERR(ident_n(LIT("wechat:wx1234"), NULL), OQ_V_SYNTAX, "two parts");
	EXPECT_ERR(ident_n(LIT("wechat::o1"), NULL), OQ_V_EMPTY, "wechat appid is empty");
	EXPECT_ERR(ident_n(LIT("wechat:wx:"), NULL), OQ_V_EMPTY, "wechat openid is empty");
	EXPECT_ERR(ident_n(LIT("wechat:wx:o:1"), NULL), OQ_V_SYNTAX, "wechat openid 'o:1'");
	EXPECT_ERR(ident_n(LIT("wechat:w.x:o1"), NULL), OQ_V_SYNTAX, "wechat appid 'w.x' has '.'");
	EXPECT_ERR(ident_n(LIT("wechat:wx:o 1"), NULL), OQ_V_SYNTAX, "a space");

	snprintf(buf, sizeof buf, "wechat:%s:o", run_of(part, 'a', 64));
	CHECK_EQ_INT(ident_n(STR(buf), NULL), OQ_V_OK);
	snprintf(buf, sizeof buf, "wechat:%s:o", run_of(part, 'a', 65));
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "wechat appid");
	snprintf(buf, sizeof buf, "wechat:a:%s", run_of(part, 'o', 128));
	CHECK_EQ_INT(ident_n(STR(buf), NULL), OQ_V_OK);
	snprintf(buf, sizeof buf, "wechat:a:%s", run_of(part, 'o', 129));
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "129 characters, the limit is 128");
}

TEST(identity_chan)
{
	EXPECT_OK_OUT(ident_n(LIT("chan:line:U4af4980629"), NULL), "chan:line:U4af4980629");
	EXPECT_OK_OUT(ident_n(LIT("CHAN:tg-bot_2:@user;x"), NULL), "chan:tg-bot_2:@user;x");
	/* never an app's identity, whatever the app is called */
	EXPECT_OK_OUT(ident_n(LIT("app:line:U4af4980629"), NULL), "app:line:U4af4980629");
	EXPECT_ERR(ident_n(LIT("chan:line"), NULL), OQ_V_SYNTAX, "two parts");
	EXPECT_ERR(ident_n(LIT("chan::u"), NULL), OQ_V_EMPTY, "channel name is empty");
	EXPECT_ERR(ident_n(LIT("chan:line:"), NULL), OQ_V_EMPTY, "channel user is empty");
	EXPECT_ERR(ident_n(LIT("chan:Line:u"), NULL), OQ_V_SYNTAX, "channel name 'Line'");
	EXPECT_ERR(ident_n(LIT("chan:2line:u"), NULL), OQ_V_SYNTAX, "must start with [a-z]");
	EXPECT_ERR(ident_n(LIT("chan:line:a,b"), NULL), OQ_V_SYNTAX, "channel user 'a,b' has ','");
	EXPECT_ERR(ident_n(LIT("chan:line:a b"), NULL), OQ_V_SYNTAX, "channel user 'a b'");
	EXPECT_ERR(ident_n(LIT("chan:abcdefghijklmnopqrstuvwxyz0123456:u"), NULL), OQ_V_TOOLONG,
			"33 characters, the limit is 32");
	EXPECT_ERR(ident_n(LIT("telegram:u"), NULL), OQ_V_UNKNOWN, "web, sip or chan");
}

TEST(identity_app)
{
	char buf[512], part[200];

	EXPECT_OK_OUT(ident_n(LIT("app:com.example.shop:user@42"), NULL),
			"app:com.example.shop:user@42");
	EXPECT_OK_OUT(ident_n(LIT("APP:shop:u:1"), NULL), "app:shop:u:1");
	EXPECT_OK_OUT(ident_n(LIT("app:shop:<u>;\"x\""), NULL), "app:shop:<u>;\"x\"");
	/* the library keeps a customer's identities in a comma list */
	EXPECT_ERR(ident_n(LIT("app:shop:<u>,\"x\""), NULL), OQ_V_SYNTAX, "app user '<u>,\"x\"' has ','");
	EXPECT_ERR(ident_n(LIT("app:shop"), NULL), OQ_V_SYNTAX, "two parts");
	EXPECT_ERR(ident_n(LIT("app::u"), NULL), OQ_V_EMPTY, "app name is empty");
	EXPECT_ERR(ident_n(LIT("app:shop:"), NULL), OQ_V_EMPTY, "app user is empty");
	EXPECT_ERR(ident_n(LIT("app:sh op:u"), NULL), OQ_V_SYNTAX, "app name 'sh op'");
	EXPECT_ERR(ident_n(LIT("app:shop:u 1"), NULL), OQ_V_SYNTAX, "app user 'u 1'");
	EXPECT_ERR(ident_n(LIT("app:shop:u\x7f"), NULL), OQ_V_SYNTAX, "0x7f");

	snprintf(buf, sizeof buf, "app:%s:u", run_of(part, 'a', 64));
	CHECK_EQ_INT(ident_n(STR(buf), NULL), OQ_V_OK);
	snprintf(buf, sizeof buf, "app:%s:u", run_of(part, 'a', 65));
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "app name");
	snprintf(buf, sizeof buf, "app:a:%s", run_of(part, 'u', 128));
	CHECK_EQ_INT(ident_n(STR(buf), NULL), OQ_V_OK);
	snprintf(buf, sizeof buf, "app:a:%s", run_of(part, 'u', 129));
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "app user");
}

TEST(identity_web)
{
	char buf[512], part[200];

	EXPECT_OK_OUT(ident_n(LIT("web:visitor-1.a_B"), NULL), "web:visitor-1.a_B");
	EXPECT_OK_OUT(ident_n(LIT("Web:v"), NULL), "web:v");
	EXPECT_ERR(ident_n(LIT("web:"), NULL), OQ_V_EMPTY, "web visitor is empty");
	EXPECT_ERR(ident_n(LIT("web:a b"), NULL), OQ_V_SYNTAX, "a space");
	EXPECT_ERR(ident_n(LIT("web:a:b"), NULL), OQ_V_SYNTAX, "':'");
	EXPECT_ERR(ident_n(LIT("web:a@b"), NULL), OQ_V_SYNTAX, "'@'");
	snprintf(buf, sizeof buf, "web:%s", run_of(part, 'v', 128));
	CHECK_EQ_INT(ident_n(STR(buf), NULL), OQ_V_OK);
	snprintf(buf, sizeof buf, "web:%s", run_of(part, 'v', 129));
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "web visitor");
}

TEST(identity_sip)
{
	char buf[512], part[300];

	/* a caller known by a URI, not a number: the host lowercased, the user as it is */
	EXPECT_OK_OUT(ident_n(LIT("sip:Alice@Example.COM"), NULL), "sip:Alice@example.com");
	EXPECT_OK_OUT(ident_n(LIT("SIP:1001@10.0.0.5"), NULL), "sip:1001@10.0.0.5");
	EXPECT_OK_OUT(ident_n(LIT("sip:a.b-c_d!~*'()%20&=+$?/@[2001:DB8::1]"), NULL),
			"sip:a.b-c_d!~*'()%20&=+$?/@[2001:db8::1]");
	EXPECT_ERR(ident_n(LIT("sip:alice"), NULL), OQ_V_SYNTAX, "has no '@'");
	EXPECT_ERR(ident_n(LIT("sip:@example.com"), NULL), OQ_V_EMPTY, "sip user is empty");
	EXPECT_ERR(ident_n(LIT("sip:alice@"), NULL), OQ_V_EMPTY, "sip host is empty");
	EXPECT_ERR(ident_n(LIT("sip:a@b@c"), NULL), OQ_V_SYNTAX, "more than one '@'");
	EXPECT_ERR(ident_n(LIT("sip:a,b@c"), NULL), OQ_V_SYNTAX, "','");
	EXPECT_ERR(ident_n(LIT("sip:a;x=1@c"), NULL), OQ_V_SYNTAX, "';'");
	EXPECT_ERR(ident_n(LIT("sip:a b@c"), NULL), OQ_V_SYNTAX, "a space");
	EXPECT_ERR(ident_n(LIT("sip:a@c_d.com"), NULL), OQ_V_SYNTAX, "'_'");
	EXPECT_ERR(ident_n(LIT("sip:a@c.com;transport=tcp"), NULL), OQ_V_SYNTAX, "';'");
	EXPECT_ERR(ident_n(LIT("sip:a@[::1"), NULL), OQ_V_SYNTAX, "unclosed '['");
	snprintf(buf, sizeof buf, "sip:%s@x.com", run_of(part, 'u', 64));
	CHECK_EQ_INT(ident_n(STR(buf), NULL), OQ_V_OK);
	snprintf(buf, sizeof buf, "sip:%s@x.com", run_of(part, 'u', 65));
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "sip user");
}

TEST(identity_shape_errors)
{
	char buf[512], part[300];

	EXPECT_ERR(ident_n("", 0, NULL), OQ_V_EMPTY, "identity is empty");
	EXPECT_ERR(ident_n(LIT("phone"), NULL), OQ_V_SYNTAX, "'phone' has no ':'");
	EXPECT_ERR(ident_n(LIT(":+14155550100"), NULL), OQ_V_SYNTAX, "no kind");
	EXPECT_ERR(ident_n(LIT("fax:+14155550100"), NULL), OQ_V_UNKNOWN, "kind 'fax'");
	EXPECT_ERR(ident_n(LIT("tel:+14155550100"), NULL), OQ_V_UNKNOWN, "kind 'tel'");
	EXPECT_ERR(ident_n(LIT("phone :+14155550100"), NULL), OQ_V_UNKNOWN, "kind 'phone '");
	EXPECT_ERR(ident_n(LIT("web\0:abc"), NULL), OQ_V_UNKNOWN, "'web\\x00'");
	EXPECT_ERR(ident_n(LIT("web:ab\0c"), NULL), OQ_V_SYNTAX, "0x00");

	/* exactly 256 bytes is accepted (by the whole-identity limit), 257 is not */
	snprintf(buf, sizeof buf, "app:a:%s", run_of(part, 'u', 250));
	CHECK_EQ_INT(strlen(buf), 256);
	EXPECT_ERR(ident_n(STR(buf), NULL), OQ_V_TOOLONG, "app user"); /* part limit, not total */
	snprintf(buf, sizeof buf, "email:%s@%s", run_of(part, 'l', 64), "x.");
	memset(buf + strlen(buf), 'd', 256 - strlen(buf));
	buf[256] = '\0';
	CHECK_EQ_INT(ident_n(buf, 256, NULL), OQ_V_OK);
	CHECK_EQ_INT(strlen(out), 256);
	buf[256] = 'd';
	buf[257] = '\0';
	EXPECT_ERR(ident_n(buf, 257, NULL), OQ_V_TOOLONG, "identity has 257 bytes");
}

TEST(identity_reads_only_len_bytes)
{
	EXPECT_OK_OUT(ident_n("web:abc!!! junk", 7, NULL), "web:abc");
	EXPECT_OK_OUT(ident_n("phone:+14155550100xyz", 18, NULL), "phone:+14155550100");
	EXPECT_OK_OUT(ident_n("email:a@b.COM@@@", 13, NULL), "email:a@b.com");
	EXPECT_ERR(ident_n("web:abc", 4, NULL), OQ_V_EMPTY, "web visitor is empty");
	EXPECT_ERR(ident_n("web:abc", 3, NULL), OQ_V_SYNTAX, "no ':'");
}

TEST(identity_output_buffer_sizes)
{
	/* "web:abc" needs 8 bytes */
	CHECK_EQ_INT(call_with_output(F_IDENTITY, LIT("web:abc"), NULL, NULL, 8, why), OQ_V_OK);
	CHECK_EQ_STR(out, "web:abc");
	CHECK_EQ_INT(call_with_output(F_IDENTITY, LIT("web:abc"), NULL, NULL, 7, why),
			OQ_V_NOSPACE);
	CHECK_CONTAINS(why, "7 bytes");
	CHECK_CONTAINS(why, "needs 8");
	CHECK_EQ_INT(call_with_output(F_IDENTITY, LIT("web:abc"), NULL, NULL, 1, why),
			OQ_V_NOSPACE);
	CHECK_EQ_INT(call_with_output(F_IDENTITY, LIT("web:abc"), NULL, NULL, 0, why),
			OQ_V_NOSPACE);
	CHECK_EQ_INT(oq_identity_canon("web:abc", 7, NULL, NULL, 0, why), OQ_V_NOSPACE);
	/* normalisation can grow the value: 16 bytes in, 19 out ("phone:+8612345678" + NUL) */
	CHECK_EQ_INT(call_with_output(F_IDENTITY, LIT("phone:012345678"), "86", NULL, 18, why),
			OQ_V_OK);
	CHECK_EQ_STR(out, "phone:+8612345678");
	CHECK_EQ_INT(call_with_output(F_IDENTITY, LIT("phone:012345678"), "86", NULL, 17, why),
			OQ_V_NOSPACE);
	/* a validation error wins over a small buffer */
	CHECK_EQ_INT(call_with_output(F_IDENTITY, LIT("web:a b"), NULL, NULL, 2, why),
			OQ_V_SYNTAX);
}

/* ---- skills --------------------------------------------------------------------------- */

/* "s00,s01,..." with `n` distinct names, optionally each twice. */
static void numbered_skills(char *buf, size_t size, int n, const char *suffix, int twice)
{
	size_t used = 0;
	int i, r;

	buf[0] = '\0';
	for (r = 0; r < (twice ? 2 : 1); r++)
		for (i = 0; i < n; i++)
			used += (size_t)snprintf(buf + used, size - used, "%ss%03d%s",
					used ? "," : "", i, suffix);
}

TEST(skills_canonical_forms)
{
	EXPECT_OK_OUT(skills_n(LIT("Sales, EN ,sales")), "en,sales");
	EXPECT_OK_OUT(skills_n(LIT("b,a,c")), "a,b,c");
	EXPECT_OK_OUT(skills_n(LIT("a,A,a")), "a");
	EXPECT_OK_OUT(skills_n(LIT("ab,a")), "a,ab");
	EXPECT_OK_OUT(skills_n(LIT("x_1,x1,x-1")), "x-1,x1,x_1");
	/* bytes, not a locale: '-' < '.' < digits < '_' < letters */
	EXPECT_OK_OUT(skills_n(LIT("ab,a_b,a0,a.b,a-b")), "a-b,a.b,a0,a_b,ab");
	EXPECT_OK_OUT(skills_n(LIT("v2.1,en-gb,9lives")), "9lives,en-gb,v2.1");
	EXPECT_OK_OUT(skills_n(LIT("x.")), "x.");
	EXPECT_OK_OUT(skills_n(LIT("\tvip \t, 9lives")), "9lives,vip");
	EXPECT_OK_OUT(skills_n(LIT("  Billing  ")), "billing");
	EXPECT_OK_OUT(skills_n(LIT("en,sales")), "en,sales");
}

TEST(skills_empty_means_any)
{
	EXPECT_OK_OUT(skills_n("", 0), "");
	EXPECT_OK_OUT(skills_n(LIT("   ")), "");
	EXPECT_OK_OUT(skills_n(LIT(" \t ")), "");
	CHECK_EQ_INT(call_with_output(F_SKILLS, "", 0, NULL, NULL, 1, why), OQ_V_OK);
	CHECK_EQ_INT(call_with_output(F_SKILLS, "", 0, NULL, NULL, 0, why), OQ_V_NOSPACE);
}

TEST(skills_errors)
{
	EXPECT_ERR(skills_n(LIT("sa les")), OQ_V_SYNTAX,
			"skill 'sa les' has a character outside [a-z0-9_.-]");
	/* a name starts with a letter or a digit */
	EXPECT_ERR(skills_n(LIT("_x")), OQ_V_SYNTAX, "skill '_x' must start with [a-z0-9]");
	EXPECT_ERR(skills_n(LIT("a,-x")), OQ_V_SYNTAX, "'-x' must start");
	EXPECT_ERR(skills_n(LIT(".x")), OQ_V_SYNTAX, "'.x' must start");
	EXPECT_ERR(skills_n(LIT("a/b")), OQ_V_SYNTAX, "'a/b'");
	EXPECT_ERR(skills_n(LIT("sales:5")), OQ_V_SYNTAX, "'sales:5'");
	EXPECT_ERR(skills_n(LIT("a,,b")), OQ_V_SYNTAX, "empty item at position 2");
	EXPECT_ERR(skills_n(LIT("a,")), OQ_V_SYNTAX, "empty item at position 2");
	EXPECT_ERR(skills_n(LIT(",a")), OQ_V_SYNTAX, "empty item at position 1");
	EXPECT_ERR(skills_n(LIT(" , ")), OQ_V_SYNTAX, "empty item");
	EXPECT_ERR(skills_n(LIT("a;b")), OQ_V_SYNTAX, "'a;b'");
	EXPECT_ERR(skills_n(LIT("a\0b")), OQ_V_SYNTAX, "'a\\x00b'");
	EXPECT_ERR(skills_n(LIT("caf\xc3\xa9")), OQ_V_SYNTAX, "'caf\\xc3\\xa9'");
	EXPECT_ERR(skills_n(LIT("*")), OQ_V_SYNTAX, "'*'");
}

TEST(skills_limits)
{
	char buf[1024], name[64];

	run_of(name, 'k', OQ_SKILL_NAME_MAX);
	EXPECT_OK_OUT(skills_n(STR(name)), name);
	run_of(name, 'k', OQ_SKILL_NAME_MAX + 1);
	EXPECT_ERR(skills_n(STR(name)), OQ_V_TOOLONG, "33 characters, the limit is 32");
	/* only the trimmed name counts */
	snprintf(buf, sizeof buf, "   %s   ", run_of(name, 'K', OQ_SKILL_NAME_MAX));
	EXPECT_OK_OUT(skills_n(STR(buf)), run_of(name, 'k', OQ_SKILL_NAME_MAX));

	numbered_skills(buf, sizeof buf, OQ_SESSION_SKILLS_MAX, "", 0);
	EXPECT_OK_OUT(skills_n(STR(buf)), buf);
	numbered_skills(buf, sizeof buf, OQ_SESSION_SKILLS_MAX + 1, "", 0);
	EXPECT_ERR(skills_n(STR(buf)), OQ_V_TOOLONG, "more than 16 distinct skills");
	/* 32 items but 16 distinct: duplicates do not count */
	numbered_skills(buf, sizeof buf, OQ_SESSION_SKILLS_MAX, "", 1);
	CHECK_EQ_INT(skills_n(STR(buf)), OQ_V_OK);
	numbered_skills(buf, sizeof buf, OQ_SESSION_SKILLS_MAX, "", 0);
	CHECK_EQ_STR(out, buf);
}

TEST(skills_longest_list_fits_its_buffer)
{
	char buf[OQ_SKILLS_BUF + 64], name[OQ_SKILL_NAME_MAX + 1];
	size_t used = 0;
	int i;

	/* 16 names of 32 bytes, sorted: exactly OQ_SKILLS_BUF with the NUL */
	for (i = 0; i < OQ_SESSION_SKILLS_MAX; i++) {
		run_of(name, 'a', OQ_SKILL_NAME_MAX);
		name[OQ_SKILL_NAME_MAX - 2] = (char)('a' + i / 10);
		name[OQ_SKILL_NAME_MAX - 1] = (char)('0' + i % 10);
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? "," : "", name);
	}
	CHECK_EQ_INT((int)used + 1, OQ_SKILLS_BUF);
	CHECK_EQ_INT(call_with_output(F_SKILLS, buf, used, NULL, NULL, OQ_SKILLS_BUF, why), OQ_V_OK);
	CHECK_EQ_STR(out, buf);
}

TEST(skills_reads_only_len_bytes_and_buffer_sizes)
{
	EXPECT_OK_OUT(skills_n("sales,en", 5), "sales");
	EXPECT_OK_OUT(skills_n("b,a,!", 3), "a,b");
	/* "en,sales" needs 9 */
	CHECK_EQ_INT(call_with_output(F_SKILLS, LIT("sales,en"), NULL, NULL, 9, why), OQ_V_OK);
	CHECK_EQ_STR(out, "en,sales");
	CHECK_EQ_INT(call_with_output(F_SKILLS, LIT("sales,en"), NULL, NULL, 8, why),
			OQ_V_NOSPACE);
	CHECK_CONTAINS(why, "needs 9");
}

TEST(agent_skills_canonical_forms)
{
	EXPECT_OK_OUT(agent_n(LIT("sales:5, en:3")), "en:3,sales:5");
	EXPECT_OK_OUT(agent_n(LIT(" Sales : 10 ")), "sales:10");
	EXPECT_OK_OUT(agent_n(LIT("x:01")), "x:1");
	EXPECT_OK_OUT(agent_n(LIT("b:1,a:10,c:2")), "a:10,b:1,c:2");
	EXPECT_OK_OUT(agent_n(LIT("en:3,sales:5")), "en:3,sales:5");
	EXPECT_OK_OUT(agent_n("", 0), "");
	EXPECT_OK_OUT(agent_n(LIT("  ")), "");
	EXPECT_OK_OUT(agent_n("a:1,b:22", 7), "a:1,b:2");
	EXPECT_OK_OUT(agent_n(LIT("ab:1,a-c:2,a.d:3")), "a-c:2,a.d:3,ab:1");
	EXPECT_ERR(agent_n(LIT("_x:1")), OQ_V_SYNTAX, "skill '_x' must start with [a-z0-9]");
}

TEST(agent_skills_levels)
{
	EXPECT_OK_OUT(agent_n(LIT("x:1")), "x:1");
	EXPECT_OK_OUT(agent_n(LIT("x:10")), "x:10");
	EXPECT_ERR(agent_n(LIT("x:0")), OQ_V_RANGE, "skill 'x' has level '0', outside 1..10");
	EXPECT_ERR(agent_n(LIT("x:11")), OQ_V_RANGE, "level '11'");
	EXPECT_ERR(agent_n(LIT("x:-1")), OQ_V_RANGE, "level '-1'");
	EXPECT_ERR(agent_n(LIT("x:99999999999999999999999")), OQ_V_RANGE, "outside 1..10");
	EXPECT_ERR(agent_n(LIT("sales")), OQ_V_EMPTY, "skill 'sales' has no level");
	EXPECT_ERR(agent_n(LIT("sales:")), OQ_V_EMPTY, "skill 'sales' has no level");
	EXPECT_ERR(agent_n(LIT("sales: ")), OQ_V_EMPTY, "no level");
	EXPECT_ERR(agent_n(LIT("x:abc")), OQ_V_SYNTAX, "level 'abc', not a number");
	EXPECT_ERR(agent_n(LIT("x:5 5")), OQ_V_SYNTAX, "not a number");
	EXPECT_ERR(agent_n(LIT("x:5:5")), OQ_V_SYNTAX, "not a number");
	EXPECT_ERR(agent_n(LIT("x:+5")), OQ_V_SYNTAX, "not a number");
}

TEST(agent_skills_errors_and_limits)
{
	char buf[4096];

	EXPECT_ERR(agent_n(LIT("sales:5,SALES:3")), OQ_V_SYNTAX, "skill 'SALES' is listed twice");
	EXPECT_ERR(agent_n(LIT("a:1,a:1")), OQ_V_SYNTAX, "listed twice");
	EXPECT_ERR(agent_n(LIT(":5")), OQ_V_EMPTY, "position 1 has no name");
	EXPECT_ERR(agent_n(LIT("a:1,,b:2")), OQ_V_SYNTAX, "empty item at position 2");
	EXPECT_ERR(agent_n(LIT("a:1,")), OQ_V_SYNTAX, "empty item");
	EXPECT_ERR(agent_n(LIT("sa les:3")), OQ_V_SYNTAX, "'sa les'");
	EXPECT_ERR(agent_n(LIT("a:1\0")), OQ_V_SYNTAX, "not a number");

	/* an agent has more skills than a session asks for */
	numbered_skills(buf, sizeof buf, OQ_AGENT_SKILLS_MAX, ":7", 0);
	EXPECT_OK_OUT(agent_n(STR(buf)), buf);
	numbered_skills(buf, sizeof buf, OQ_AGENT_SKILLS_MAX + 1, ":7", 0);
	EXPECT_ERR(agent_n(STR(buf)), OQ_V_TOOLONG, "more than 64 skills");

	/* "en:3,sales:5" needs 13 */
	CHECK_EQ_INT(call_with_output(F_AGENT_SKILLS, LIT("sales:5,en:3"), NULL, NULL, 13, why),
			OQ_V_OK);
	CHECK_EQ_STR(out, "en:3,sales:5");
	CHECK_EQ_INT(call_with_output(F_AGENT_SKILLS, LIT("sales:5,en:3"), NULL, NULL, 12, why),
			OQ_V_NOSPACE);
}

/* ---- capacities --------------------------------------------------------------------- */

TEST(caps_missing_class_is_zero_and_total_the_sum)
{
	static const int d[4] = { 1, 4, 8, 10 };

	/* issue 18: "voice=1,chat=4" was email 8 and total 10 (the defaults) */
	EXPECT_OK_OUT(caps_n(LIT("voice=1,chat=4"), d), "voice=1,chat=4,email=0,total=5");
	EXPECT_OK_OUT(caps_n(LIT("chat=6"), d), "voice=0,chat=6,email=0,total=6");
	EXPECT_OK_OUT(caps_n(LIT("total=20,email=2,chat=3,voice=0"), d),
			"voice=0,chat=3,email=2,total=20");
	EXPECT_OK_OUT(caps_n(LIT(" Voice = 2 , CHAT=3"), d), "voice=2,chat=3,email=0,total=5");
	EXPECT_OK_OUT(caps_n(LIT("voice=007"), d), "voice=7,chat=0,email=0,total=7");
	/* a total given is kept, 0 included (the agent takes nothing), above or below the sum */
	EXPECT_OK_OUT(caps_n(LIT("total=0"), d), "voice=0,chat=0,email=0,total=0");
	EXPECT_OK_OUT(caps_n(LIT("chat=5,total=2"), d), "voice=0,chat=5,email=0,total=2");
	EXPECT_OK_OUT(caps_n(LIT("chat=5,total=9"), d), "voice=0,chat=5,email=0,total=9");
	EXPECT_OK_OUT(caps_n("chat=2,total=99", 6, d), "voice=0,chat=2,email=0,total=2");
	/* a sum over the limit is the limit */
	EXPECT_OK_OUT(caps_n(LIT("voice=1000,chat=1000,email=1000"), d),
			"voice=1000,chat=1000,email=1000,total=1000");
	EXPECT_OK_OUT(caps_n(LIT("voice=500,chat=501"), d), "voice=500,chat=501,email=0,total=1000");
	EXPECT_OK_OUT(caps_n(LIT("voice=500,chat=500"), d), "voice=500,chat=500,email=0,total=1000");
}

TEST(caps_empty_list_is_the_defaults)
{
	static const int d[4] = { 1, 4, 8, 10 };
	static const int bad[4] = { 1001, 1, 1, 1 };
	static const int negative[4] = { 1, 1, 1, -1 };
	int got[4] = { -9, -9, -9, -9 };

	EXPECT_OK_OUT(caps_n("", 0, d), "voice=1,chat=4,email=8,total=10");
	EXPECT_OK_OUT(caps_n(LIT("  "), d), "voice=1,chat=4,email=8,total=10");
	EXPECT_ERR(caps_n("", 0, NULL), OQ_V_EMPTY, "capacity list is empty");
	EXPECT_ERR(caps_n(LIT(" \t"), NULL), OQ_V_EMPTY, "empty");
	EXPECT_OK_OUT(caps_n(LIT("total=3"), NULL), "voice=0,chat=0,email=0,total=3");
	EXPECT_ERR(caps_n("", 0, bad), OQ_V_RANGE, "default voice capacity 1001");
	EXPECT_ERR(caps_n("", 0, negative), OQ_V_RANGE, "default total capacity -1");
	/* the defaults are only for an empty list */
	EXPECT_OK_OUT(caps_n(LIT("chat=1"), bad), "voice=0,chat=1,email=0,total=1");

	/* oq_caps_parse: the numbers, as the capacity modparam is read */
	CHECK_EQ_INT(oq_caps_parse(LIT("voice=1,chat=4"), NULL, got, why), OQ_V_OK);
	CHECK(got[0] == 1 && got[1] == 4 && got[2] == 0 && got[3] == 5);
	CHECK_EQ_INT(oq_caps_parse("", 0, d, got, why), OQ_V_OK);
	CHECK(got[0] == 1 && got[1] == 4 && got[2] == 8 && got[3] == 10);
	CHECK_EQ_INT(oq_caps_parse(LIT("voice=x"), NULL, NULL, why), OQ_V_SYNTAX);
	CHECK_EQ_INT(oq_caps_parse(LIT("chat=2"), NULL, NULL, why), OQ_V_OK);
}

TEST(caps_errors)
{
	static const int d[4] = { 1, 4, 8, 10 };

	EXPECT_ERR(caps_n(LIT("fax=1"), d), OQ_V_UNKNOWN, "capacity 'fax'");
	EXPECT_ERR(caps_n(LIT("sms=1"), d), OQ_V_UNKNOWN, "'sms'");
	EXPECT_OK_OUT(caps_n(LIT("voice=1000"), d), "voice=1000,chat=0,email=0,total=1000");
	EXPECT_ERR(caps_n(LIT("voice=1001"), d), OQ_V_RANGE, "voice value '1001' is outside 0..1000");
	EXPECT_OK_OUT(caps_n(LIT("total=1000"), d), "voice=0,chat=0,email=0,total=1000");
	EXPECT_ERR(caps_n(LIT("total=1001"), d), OQ_V_RANGE, "total");
	EXPECT_ERR(caps_n(LIT("voice=-1"), d), OQ_V_RANGE, "'-1'");
	EXPECT_ERR(caps_n(LIT("voice=99999999999999999999999"), d), OQ_V_RANGE, "outside");
	EXPECT_ERR(caps_n(LIT("voice=x"), d), OQ_V_SYNTAX, "'x' is not a number");
	EXPECT_ERR(caps_n(LIT("voice=1 2"), d), OQ_V_SYNTAX, "not a number");
	EXPECT_ERR(caps_n(LIT("voice="), d), OQ_V_EMPTY, "voice has no value");
	EXPECT_ERR(caps_n(LIT("voice"), d), OQ_V_SYNTAX, "'voice' is not name=number");
	EXPECT_ERR(caps_n(LIT("voice=1,voice=2"), d), OQ_V_SYNTAX, "voice is given twice");
	EXPECT_ERR(caps_n(LIT("voice=1,,chat=2"), d), OQ_V_SYNTAX, "empty item at position 2");
	EXPECT_ERR(caps_n(LIT("voice=1,"), d), OQ_V_SYNTAX, "empty item");
	EXPECT_ERR(caps_n(LIT("=1"), d), OQ_V_UNKNOWN, "capacity ''");
	EXPECT_ERR(caps_n(LIT("voice=1\0"), d), OQ_V_SYNTAX, "not a number");
}

TEST(caps_buffer_sizes)
{
	/* "voice=1,chat=4,email=8,total=10" is 31 characters */
	CHECK_EQ_INT(call_with_output(F_CAPS, "", 0, NULL, default_caps, 32, why), OQ_V_OK);
	CHECK_EQ_STR(out, "voice=1,chat=4,email=8,total=10");
	CHECK_EQ_INT(call_with_output(F_CAPS, "", 0, NULL, default_caps, 31, why), OQ_V_NOSPACE);
	CHECK_CONTAINS(why, "needs 32");
	CHECK_EQ_INT(call_with_output(F_CAPS, "", 0, NULL, default_caps, 0, why), OQ_V_NOSPACE);
	/* the longest list fits OQ_CAPS_BUF */
	CHECK_EQ_INT(call_with_output(F_CAPS, LIT("voice=1000,chat=1000,email=1000,total=1000"),
			NULL, default_caps, OQ_CAPS_BUF, why), OQ_V_OK);
	CHECK_EQ_STR(out, "voice=1000,chat=1000,email=1000,total=1000");
}

/* ---- bodies --------------------------------------------------------------------------- */

TEST(body_accepts_utf8)
{
	CHECK_EQ_INT(body_n(LIT("hello")), OQ_V_OK);
	CHECK_EQ_STR(why, "");
	CHECK_EQ_INT(body_n(LIT("h\xc3\xa9llo \xe4\xbd\xa0\xe5\xa5\xbd \xf0\x9f\x98\x80")), OQ_V_OK);
	CHECK_EQ_INT(body_n(LIT("\xc2\x80")), OQ_V_OK);             /* U+0080 */
	CHECK_EQ_INT(body_n(LIT("\xdf\xbf")), OQ_V_OK);             /* U+07FF */
	CHECK_EQ_INT(body_n(LIT("\xe0\xa0\x80")), OQ_V_OK);         /* U+0800 */
	CHECK_EQ_INT(body_n(LIT("\xed\x9f\xbf")), OQ_V_OK);         /* U+D7FF */
	CHECK_EQ_INT(body_n(LIT("\xee\x80\x80")), OQ_V_OK);         /* U+E000 */
	CHECK_EQ_INT(body_n(LIT("\xef\xbf\xbf")), OQ_V_OK);         /* U+FFFF */
	CHECK_EQ_INT(body_n(LIT("\xf0\x90\x80\x80")), OQ_V_OK);     /* U+10000 */
	CHECK_EQ_INT(body_n(LIT("\xf4\x8f\xbf\xbf")), OQ_V_OK);     /* U+10FFFF */
	CHECK_EQ_INT(body_n(LIT("\x01\x7f\t\r\n")), OQ_V_OK);       /* controls are text */
}

TEST(body_rejects_invalid_utf8)
{
	CHECK_EQ_INT(body_n(LIT("\xc0\xaf")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "overlong");
	CHECK_EQ_INT(body_n(LIT("\xc1\xbf")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "overlong");
	CHECK_EQ_INT(body_n(LIT("ab\xe0\x80\xaf")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "offset 2: an overlong encoding");
	CHECK_EQ_INT(body_n(LIT("\xe0\x9f\xbf")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "overlong");
	CHECK_EQ_INT(body_n(LIT("\xf0\x8f\xbf\xbf")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "overlong");
	CHECK_EQ_INT(body_n(LIT("\xed\xa0\x80")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "surrogate");
	CHECK_EQ_INT(body_n(LIT("x\xed\xbf\xbf")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "offset 1: a UTF-16 surrogate");
	CHECK_EQ_INT(body_n(LIT("\xf4\x90\x80\x80")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "above U+10FFFF");
	CHECK_EQ_INT(body_n(LIT("\xf5\x80\x80\x80")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "0xf5 is a byte never used");
	CHECK_EQ_INT(body_n(LIT("\xff")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "0xff");
	CHECK_EQ_INT(body_n(LIT("abc\x80")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "offset 3: 0x80 is a stray continuation byte");
	CHECK_EQ_INT(body_n(LIT("\xc3" "A")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "offset 1: a missing continuation byte");
	CHECK_EQ_INT(body_n(LIT("\xe4\xbd" "A")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "offset 2: a missing continuation");
	/* a bad second byte is "missing continuation" even after a lead with a narrow range */
	CHECK_EQ_INT(body_n(LIT("\xed" "A" "A")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "missing continuation");
}

TEST(body_rejects_truncated_sequences)
{
	CHECK_EQ_INT(body_n(LIT("ab\xe4\xbd")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "offset 2: a 3-byte sequence is cut short");
	CHECK_EQ_INT(body_n(LIT("\xf0\x9f\x98")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "4-byte sequence is cut short");
	CHECK_EQ_INT(body_n(LIT("\xc3")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "2-byte sequence is cut short");
	/* cut short by len, not by the buffer: the third byte exists but is not ours */
	CHECK_EQ_INT(body_n("\xe4\xbd\xa0", 2), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "cut short");
}

TEST(body_nul_empty_and_limits)
{
	char *big = malloc(OQ_BODY_MAX + 1);

	CHECK_EQ_INT(body_n("", 0), OQ_V_EMPTY);
	CHECK_CONTAINS(why, "body is empty");
	CHECK_EQ_INT(body_n(LIT("abc\0def")), OQ_V_SYNTAX);
	CHECK_CONTAINS(why, "NUL byte at offset 3");
	CHECK_EQ_INT(body_n(LIT("\0")), OQ_V_SYNTAX);
	CHECK_EQ_INT(body_n("ok\xff", 2), OQ_V_OK); /* the bad byte is past len */
	CHECK_EQ_INT(body_n("ok\0", 2), OQ_V_OK);

	if (big == NULL)
		abort();
	memset(big, 'b', OQ_BODY_MAX + 1);
	CHECK_EQ_INT(body_n(big, OQ_BODY_MAX), OQ_V_OK);
	CHECK_EQ_INT(body_n(big, OQ_BODY_MAX + 1), OQ_V_TOOLONG);
	CHECK_CONTAINS(why, "65537 bytes, the limit is 65536");
	/* a multi-byte character ending exactly at the limit */
	memcpy(big + OQ_BODY_MAX - 4, "\xf0\x9f\x98\x80", 4);
	CHECK_EQ_INT(body_n(big, OQ_BODY_MAX), OQ_V_OK);
	CHECK_EQ_INT(body_n(big, OQ_BODY_MAX - 1), OQ_V_SYNTAX);
	free(big);
}

/* ---- cross-cutting ------------------------------------------------------------------ */

TEST(null_why_is_allowed_everywhere)
{
	char o[64];
	oq_class_t cls;
	long v;

	CHECK_EQ_INT(oq_check_channel("phone", 5, &cls, NULL), 0);
	CHECK_EQ_INT(oq_check_channel("", 0, &cls, NULL), OQ_V_EMPTY);
	CHECK_EQ_INT(oq_class_parse("chat", 4, &cls, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_class_parse("x", 1, &cls, NULL), OQ_V_UNKNOWN);
	CHECK_EQ_INT(oq_check_id("a", 1, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_check_id("a b", 3, NULL), OQ_V_SYNTAX);
	CHECK_EQ_INT(oq_identity_canon("web:a", 5, NULL, o, sizeof o, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_identity_canon("web:", 4, NULL, o, sizeof o, NULL), OQ_V_EMPTY);
	CHECK_EQ_INT(oq_identity_canon("web:a", 5, NULL, o, 2, NULL), OQ_V_NOSPACE);
	CHECK_EQ_INT(oq_skills_canon("a", 1, o, sizeof o, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_skills_canon("a b", 3, o, sizeof o, NULL), OQ_V_SYNTAX);
	CHECK_EQ_INT(oq_agent_skills_canon("a:1", 3, o, sizeof o, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_agent_skills_canon("a:0", 3, o, sizeof o, NULL), OQ_V_RANGE);
	CHECK_EQ_INT(oq_caps_canon("", 0, default_caps, o, sizeof o, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_caps_canon("x=1", 3, default_caps, o, sizeof o, NULL), OQ_V_UNKNOWN);
	CHECK_EQ_INT(oq_parse_int("1", 1, 0, 1, &v, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_parse_int("2", 1, 0, 1, &v, NULL), OQ_V_RANGE);
	CHECK_EQ_INT(oq_check_presence("away", 4, o, sizeof o, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_check_presence("gone", 4, o, sizeof o, NULL), OQ_V_UNKNOWN);
	CHECK_EQ_INT(oq_check_body("x", 1, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_check_body("", 0, NULL), OQ_V_EMPTY);
	CHECK_EQ_INT(oq_check_sid("1", 1, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_check_sid("x", 1, NULL), OQ_V_SYNTAX);
	CHECK_EQ_INT(oq_check_text(OQ_TEXT_FROM, "x", 1, NULL), OQ_V_OK);
	CHECK_EQ_INT(oq_check_text(OQ_TEXT_FROM, "\n", 1, NULL), OQ_V_SYNTAX);
	CHECK_EQ_INT(oq_caps_parse("", 0, NULL, NULL, NULL), OQ_V_EMPTY);
}

TEST(reasons_stay_short_and_printable)
{
	char hostile[300];
	size_t i;

	/* 300 bytes that each escape to four characters still give a bounded, clean reason */
	memset(hostile, 0xff, sizeof hostile);
	CHECK_EQ_INT(id_n(hostile, 60), OQ_V_SYNTAX);
	CHECK(strlen(why) < OQ_WHY_MAX);
	CHECK_CONTAINS(why, "...");
	for (i = 0; why[i]; i++)
		CHECK_MSG((unsigned char)why[i] >= 0x20 && (unsigned char)why[i] < 0x7f,
				"reason byte %zu is 0x%02x", i, (unsigned char)why[i]);
	for (i = 0; i < sizeof hostile; i++)
		hostile[i] = (char)(i % 32); /* control bytes and NULs */
	CHECK_EQ_INT(skills_n(hostile, 20), OQ_V_SYNTAX);
	for (i = 0; why[i]; i++)
		CHECK_MSG((unsigned char)why[i] >= 0x20 && (unsigned char)why[i] < 0x7f,
				"reason byte %zu is 0x%02x", i, (unsigned char)why[i]);
	CHECK_EQ_INT(ident_n(hostile, 200, NULL), OQ_V_SYNTAX);
	CHECK(strlen(why) < OQ_WHY_MAX);
}

/* ---- fuzz --------------------------------------------------------------------------- */

/* xorshift64*: fixed seed, so a failure reproduces run after run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

static uint32_t rnd_below(uint32_t n)
{
	return n ? rnd() % n : 0;
}

/* Pieces that reach the interesting branches far more often than uniform bytes would. */
static const char *const fuzz_tokens[] = {
	"phone:", "sms:", "email:", "wechat:", "app:", "web:", "PHONE:", "Email:", "fax:",
	"+", "00", "0", "86", "1", "415", "5550100", "13800138000", " ", "-", ".", "(", ")",
	"@", "example.com", "EXAMPLE.COM", "..", "a", "Z", "_", ":", ",", ", ", "=", "sales",
	"EN", "sales:5", "en:3", ":10", ":0", ":11", "voice=", "chat=", "email=", "total=",
	"100", "101", "-1", "available", "away", "offline", "AWAY", "\t", "\0", "\xc3\xa9",
	"\xe4\xbd\xa0", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80",
	"\x80", "\xff", "9223372036854775807", "-9223372036854775808", "99999999999999999999",
	"wx1234", "o_ABC-9", "com.shop", "user@1", "visitor.1", "voice=1,chat=4",
};

static const char *const fuzz_seeds[] = {
	"phone:+8613800138000", "sms:00447911123456", "phone:013800138000",
	"phone:+1 (415) 555-0100", "email:John.Doe@Example.COM", "wechat:wx1234:o_ABC-9",
	"app:com.shop:user@1", "web:visitor.1", "Sales, EN ,sales", "sales:5, en:3",
	"voice=1,chat=4,email=8,total=10", "total=0", "available", "42", "-17",
	"h\xc3\xa9llo \xf0\x9f\x98\x80", "agent-1@corp", "phone", "line",
};

static size_t fuzz_input(unsigned char *buf, size_t max)
{
	size_t len = 0, target = rnd_below((uint32_t)max + 1), i;
	uint32_t how = rnd_below(4);

	if (how == 0) { /* uniform bytes */
		for (i = 0; i < target; i++)
			buf[i] = (unsigned char)rnd();
		return target;
	}
	if (how == 1) { /* small alphabet, short */
		static const char alpha[] = "aZ09+-_.@:,= \t()\x00\xc3\xa9\x80\xff";
		target = rnd_below(40);
		for (i = 0; i < target; i++)
			buf[i] = (unsigned char)alpha[rnd_below(sizeof alpha - 1)];
		return target;
	}
	if (how == 2) { /* a seed, then a few mutations */
		const char *seed = fuzz_seeds[rnd_below(sizeof fuzz_seeds / sizeof fuzz_seeds[0])];
		uint32_t m, mutations = rnd_below(4);
		len = strlen(seed) < max ? strlen(seed) : max;
		memcpy(buf, seed, len);
		for (m = 0; m < mutations && len > 0; m++) {
			size_t at = rnd_below((uint32_t)len);
			switch (rnd_below(4)) {
			case 0:
				buf[at] = (unsigned char)rnd();
				break;
			case 1:
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
				break;
			case 2:
				if (len < max) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = (unsigned char)fuzz_tokens[0][rnd_below(6)];
					len++;
				}
				break;
			default:
				len = at;
				break;
			}
		}
		return len;
	}
	/* tokens glued together, up to the target length */
	target = rnd_below(80);
	while (len < target) {
		const char *t = fuzz_tokens[rnd_below(sizeof fuzz_tokens / sizeof fuzz_tokens[0])];
		size_t n = t[0] ? strlen(t) : 1; /* "\0" is one NUL byte */
		if (len + n > max)
			break;
		memcpy(buf + len, t, n);
		len += n;
	}
	return len;
}

/* Independent UTF-8 check by decoding, to compare with the table-driven one. */
static int reference_utf8_ok(const unsigned char *s, size_t n)
{
	static const unsigned long shortest[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t i = 0, k, len;
	unsigned long cp;

	while (i < n) {
		unsigned c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < shortest[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

static int why_is_well_formed(const char *w, int rc)
{
	const char *end = memchr(w, '\0', OQ_WHY_MAX);

	if (end == NULL)
		return 0;
	return rc == OQ_V_OK || rc == 1 ? end == w : end != w;
}

/* Successes per output function: a fuzzer that never produces a valid value tests only
 * the error paths, so the case insists on a share of each. */
static long fuzz_accepted[F_PRESENCE + 1];

static const char *const fuzz_fn_names[] = { "identity", "skills", "agent_skills", "caps",
	"presence" };

/* One output function on one input, small and large buffer, plus idempotence. */
static void fuzz_output_function(out_fn_t f, const unsigned char *in, size_t len, const char *cc,
		char *w)
{
	char canon[BIG], again[BIG];
	size_t small = rnd_below(12);
	int rc_big, rc_small, rc_again;

	rc_big = call_with_output(f, (const char *)in, len, cc, default_caps, BIG, w);
	CHECK_MSG(rc_big <= 0 && rc_big >= OQ_V_NOSPACE, "%s returned %d", fuzz_fn_names[f], rc_big);
	CHECK_MSG(why_is_well_formed(w, rc_big), "%s: bad reason for rc %d", fuzz_fn_names[f],
			rc_big);
	CHECK_MSG(rc_big != OQ_V_NOSPACE, "%s: %zu-byte buffer was too small", fuzz_fn_names[f],
			(size_t)BIG);
	memcpy(canon, out, strlen(out) + 1);

	rc_small = call_with_output(f, (const char *)in, len, cc, default_caps, small, w);
	CHECK_MSG(why_is_well_formed(w, rc_small), "%s: bad reason for rc %d", fuzz_fn_names[f],
			rc_small);
	if (rc_big == OQ_V_OK && strlen(canon) < small)
		CHECK_MSG(rc_small == OQ_V_OK && strcmp(out, canon) == 0,
				"%s: %zu-byte buffer gave %d for \"%s\"", fuzz_fn_names[f], small,
				rc_small, canon);
	else if (rc_big == OQ_V_OK)
		CHECK_MSG(rc_small == OQ_V_NOSPACE, "%s: %zu-byte buffer gave %d, not NOSPACE",
				fuzz_fn_names[f], small, rc_small);
	else
		CHECK_MSG(rc_small == rc_big, "%s: small buffer gave %d, large %d",
				fuzz_fn_names[f], rc_small, rc_big);

	if (rc_big != OQ_V_OK)
		return;
	fuzz_accepted[f]++;
	rc_again = call_with_output(f, canon, strlen(canon), cc, default_caps, BIG, w);
	CHECK_MSG(rc_again == OQ_V_OK && strcmp(out, canon) == 0,
			"%s: canonical \"%s\" re-canonicalised to %d \"%s\"", fuzz_fn_names[f], canon,
			rc_again, out);
	memcpy(again, out, strlen(out) + 1);
	if (f == F_SKILLS || f == F_AGENT_SKILLS) {
		size_t i;
		for (i = 0; again[i]; i++) {
			int alnum = (again[i] >= 'a' && again[i] <= 'z') || (again[i] >= '0' && again[i] <= '9');
			CHECK_MSG(alnum || again[i] == ',' || again[i] == ':'
							|| (again[i] && strchr(OQ_SKILL_CHARS, again[i])),
					"%s: canonical \"%s\" has byte 0x%02x", fuzz_fn_names[f], again,
					(unsigned char)again[i]);
			CHECK_MSG(alnum || (i > 0 && again[i - 1] != ','),
					"%s: canonical \"%s\" has a name starting with 0x%02x", fuzz_fn_names[f],
					again, (unsigned char)again[i]);
		}
	}
}

static void fuzz_parse_int_against_strtol(const unsigned char *in, size_t len, char *w)
{
	char copy[400];
	long v = 12345, min = -1000, max = 1000;
	int rc, shaped = len > 0 && len < sizeof copy;
	size_t i;

	if (rnd_below(2)) {
		min = LONG_MIN;
		max = LONG_MAX;
	}
	for (i = 0; shaped && i < len; i++)
		shaped = (in[i] >= '0' && in[i] <= '9') || (i == 0 && in[i] == '-' && len > 1);
	{
		char *p = heap_copy(in, len);
		rc = oq_parse_int(p, len, min, max, &v, w);
		heap_free(p);
	}
	CHECK_MSG(why_is_well_formed(w, rc), "parse_int: bad reason for rc %d", rc);
	if (!shaped) {
		CHECK_MSG(rc == (len == 0 ? OQ_V_EMPTY : OQ_V_SYNTAX), "parse_int: rc %d for junk",
				rc);
		return;
	}
	memcpy(copy, in, len);
	copy[len] = '\0';
	errno = 0;
	{
		long ref = strtol(copy, NULL, 10);
		if (errno == ERANGE || ref < min || ref > max)
			CHECK_MSG(rc == OQ_V_RANGE, "parse_int(\"%s\") gave %d, expected RANGE", copy, rc);
		else
			CHECK_MSG(rc == OQ_V_OK && v == ref, "parse_int(\"%s\") gave %d/%ld, expected %ld",
					copy, rc, v, ref);
	}
}

static void fuzz_checks(const unsigned char *in, size_t len, char *w)
{
	oq_class_t cls = (oq_class_t)42;
	char *p = heap_copy(in, len);
	int rc;

	rc = oq_check_channel(p, len, &cls, w);
	CHECK_MSG(rc >= OQ_V_NOSPACE && rc <= 1, "channel returned %d", rc);
	CHECK_MSG(why_is_well_formed(w, rc), "channel: bad reason for rc %d", rc);
	CHECK_MSG(rc == 0 ? (cls >= OQ_CLASS_VOICE && cls <= OQ_CLASS_EMAIL) : cls == 42,
			"channel: rc %d class %d", rc, (int)cls);
	CHECK_MSG(rc < 0 || (len >= 1 && len <= OQ_CHANNEL_MAX), "channel accepted %zu bytes", len);

	cls = (oq_class_t)42;
	rc = oq_class_parse(p, len, &cls, w);
	CHECK_MSG(rc == OQ_V_OK || rc == OQ_V_EMPTY || rc == OQ_V_UNKNOWN, "class returned %d", rc);
	CHECK_MSG(why_is_well_formed(w, rc), "class: bad reason for rc %d", rc);
	CHECK_MSG(rc == OQ_V_OK ? strlen(oq_class_name(cls)) == len : cls == 42,
			"class: rc %d class %d", rc, (int)cls);

	rc = oq_check_hook_path(p, len, w);
	CHECK_MSG(rc >= OQ_V_NOSPACE && rc <= 0, "hook path returned %d", rc);
	CHECK_MSG(why_is_well_formed(w, rc), "hook path: bad reason for rc %d", rc);
	CHECK_MSG(rc < 0 || (len > 7 && len <= OQ_HOOK_PATH_MAX && !memcmp(p, "/hooks/", 7)
				     && p[len - 1] != '/' && memmem(p, len, "//", 2) == NULL
				     && memmem(p, len, "/../", 4) == NULL && memchr(p, '?', len) == NULL),
			"hook path accepted a bad value of %zu bytes", len);

	rc = oq_check_id(p, len, w);
	CHECK_MSG(rc >= OQ_V_NOSPACE && rc <= 0, "id returned %d", rc);
	CHECK_MSG(why_is_well_formed(w, rc), "id: bad reason for rc %d", rc);
	CHECK_MSG(rc < 0 || (len >= 1 && len <= OQ_ID_MAX && memchr(p, ',', len) == NULL
				     && memchr(p, ':', len) == NULL && memchr(p, '\0', len) == NULL),
			"id accepted a bad value of %zu bytes", len);

	rc = oq_check_body(p, len, w);
	CHECK_MSG(why_is_well_formed(w, rc), "body: bad reason for rc %d", rc);
	CHECK_MSG(rc == (len == 0 ? OQ_V_EMPTY
				  : reference_utf8_ok(in, len) ? OQ_V_OK : OQ_V_SYNTAX),
			"body: rc %d disagrees with the reference decoder (len %zu)", rc, len);
	heap_free(p);
}

static long fuzz_iterations(void)
{
	const char *env = getenv("OQ_FUZZ_ITERS");
	long n = env ? strtol(env, NULL, 10) : 0;

	return n > 0 ? n : 200000;
}

TEST(fuzz_every_function)
{
	static const char *const ccs[] = { NULL, "86", "1", "", "0", "1234", "44" };
	unsigned char in[300];
	char *w = malloc(OQ_WHY_MAX); /* exact size, so a long reason would overflow visibly */
	long i, n = fuzz_iterations();
	int f;

	if (w == NULL)
		abort();
	for (i = 0; i < n; i++) {
		size_t len = fuzz_input(in, sizeof in);
		const char *cc = ccs[rnd_below(sizeof ccs / sizeof ccs[0])];
		for (f = F_IDENTITY; f <= F_PRESENCE; f++)
			fuzz_output_function((out_fn_t)f, in, len, cc, w);
		fuzz_parse_int_against_strtol(in, len, w);
		fuzz_checks(in, len, w);
	}
	free(w);
	for (f = F_IDENTITY; f <= F_PRESENCE; f++) {
		if (getenv("OQ_FUZZ_VERBOSE"))
			fprintf(stderr, "fuzz: %s accepted %ld of %ld\n", fuzz_fn_names[f],
					fuzz_accepted[f], n);
		CHECK_MSG(n < 10000 || fuzz_accepted[f] * 1000 >= n,
				"fuzz: %s accepted only %ld of %ld inputs", fuzz_fn_names[f],
				fuzz_accepted[f], n);
	}
}

UNIT_MAIN()
