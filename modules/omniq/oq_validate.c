/*
 * oq_validate.c - the one gate between outside input and what omniq stores.
 *
 * Skills, channels, identities and ids end up inside Redis key names, set members and
 * comma-joined hash fields, where one stray ':', ',' or byte would silently corrupt the
 * model for every node. So every value from a cfg script, KEMI, RPC or channel driver is
 * checked and brought to one canonical spelling here, before anything is written.
 *
 * The file deliberately knows nothing of Kamailio and never allocates: that lets the unit
 * tests and the fuzzer drive it directly, and means a hostile value can only be rejected,
 * never overrun a buffer. Inputs are (pointer, length) and are never read past length.
 */
#include "oq_validate.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* E.164 counts digits after the '+', country code included. */
#define E164_MIN_DIGITS 8
#define E164_MAX_DIGITS 15
#define CC_MAX_DIGITS 3

#define WECHAT_APPID_MAX 64
#define WECHAT_OPENID_MAX 128
#define EMAIL_LOCAL_MAX 64
#define EMAIL_DOMAIN_MAX 253
#define APP_NAME_MAX 64
#define APP_USER_MAX 128
#define WEB_VISITOR_MAX 128
#define SIP_USER_MAX 64
#define SIP_HOST_MAX 253

/* Enough of an offending value to recognise it in a log line without flooding the
 * OQ_WHY_MAX reason; the rest is elided. */
#define QUOTE_BYTES 24

/* ---- reasons ---------------------------------------------------------------------- */

#if defined(__GNUC__)
#define OQ_PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))
#else
#define OQ_PRINTF_LIKE(f, a)
#endif

static int fail_with(char *why, int code, const char *fmt, ...) OQ_PRINTF_LIKE(3, 4);

/* Reasons go into a fixed OQ_WHY_MAX buffer; truncating a long reason beats refusing it. */
static int fail_with(char *why, int code, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(why, OQ_WHY_MAX, fmt, ap);
	va_end(ap);
	return code;
}

static int succeed(char *why)
{
	if (why != NULL)
		why[0] = '\0';
	return OQ_V_OK;
}

typedef struct {
	char s[QUOTE_BYTES * 4 + 4];
} quoted_t;

/* Values are hostile and may hold control bytes or NULs, which must not reach a log line
 * raw; they are shown escaped and shortened. */
static const char *quoted(quoted_t *q, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t shown = len < QUOTE_BYTES ? len : QUOTE_BYTES;
	size_t i, o = 0;

	for (i = 0; i < shown; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			q->s[o++] = (char)c;
		} else {
			q->s[o++] = '\\';
			q->s[o++] = 'x';
			q->s[o++] = hex[c >> 4];
			q->s[o++] = hex[c & 15];
		}
	}
	if (shown < len) {
		memcpy(q->s + o, "...", 3);
		o += 3;
	}
	q->s[o] = '\0';
	return q->s;
}

typedef struct {
	char s[8];
} byte_text_t;

/* Names the single offending byte so the reason says exactly what to remove. */
static const char *byte_text(byte_text_t *b, unsigned char c)
{
	if (c > 0x20 && c < 0x7f && c != '\'' && c != '\\')
		snprintf(b->s, sizeof b->s, "'%c'", c);
	else if (c == ' ')
		snprintf(b->s, sizeof b->s, "a space");
	else
		snprintf(b->s, sizeof b->s, "0x%02x", c);
	return b->s;
}

/* ---- character classes -------------------------------------------------------------- */

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_lower(unsigned char c) { return c >= 'a' && c <= 'z'; }
static int is_upper(unsigned char c) { return c >= 'A' && c <= 'Z'; }
static int is_alnum(unsigned char c) { return is_digit(c) || is_lower(c) || is_upper(c); }
static int is_space(unsigned char c) { return c == ' ' || c == '\t'; }
static int is_visible_ascii(unsigned char c) { return c > 0x20 && c < 0x7f; }

static unsigned char lowered(unsigned char c)
{
	return is_upper(c) ? (unsigned char)(c - 'A' + 'a') : c;
}

/* c is one of the characters of a limits.def `chars` line (never NUL, which strchr finds). */
static int is_one_of(unsigned char c, const char *chars)
{
	return c != '\0' && strchr(chars, c) != NULL;
}

static int is_channel_char(unsigned char c)
{
	return is_lower(c) || is_digit(c) || c == '_' || c == '-';
}

static int is_skill_start(unsigned char c)
{
	return is_lower(c) || is_digit(c);
}

static int is_skill_char(unsigned char c)
{
	return is_skill_start(c) || is_one_of(c, OQ_SKILL_CHARS);
}

static int is_id_char(unsigned char c)
{
	return is_alnum(c) || is_one_of(c, OQ_ID_CHARS);
}

static int is_text_char(unsigned char c)
{
	return c >= 0x20 && c != 0x7f;
}

static int is_token_char(unsigned char c)
{
	return is_alnum(c) || c == '_' || c == '-';
}

static int is_dotted_token_char(unsigned char c)
{
	return is_token_char(c) || c == '.';
}

/* An app's user: no ',' since the library keeps a customer's identities in a comma list. */
static int is_app_user_char(unsigned char c)
{
	return is_visible_ascii(c) && c != ',';
}

static int is_email_local_char(unsigned char c)
{
	return is_visible_ascii(c) && strchr("<>()[],;:\"@", c) == NULL;
}

static int is_domain_char(unsigned char c)
{
	return is_alnum(c) || c == '.' || c == '-';
}

/* A SIP URI's user part (RFC 3261 user: unreserved, escaped and user-unreserved), without
 * ',' and ';' (a comma list keeps a customer's identities; ';' starts URI parameters). */
static int is_sip_user_char(unsigned char c)
{
	return is_alnum(c) || (c != 0 && strchr("-_.!~*'()%&=+$?/", c) != NULL);
}

/* A SIP URI's host: a name or IPv4 address, or an IPv6 reference in brackets. */
static int is_sip_host_char(unsigned char c)
{
	return is_domain_char(c) || c == '[' || c == ']' || c == ':';
}

static int is_phone_separator(unsigned char c)
{
	return c == ' ' || c == '-' || c == '.' || c == '(' || c == ')';
}

/* ---- spans: (pointer, length) views into the caller's bytes ------------------------ */

typedef struct {
	const char *p;
	size_t n;
} span_t;

static span_t span_of(const char *p, size_t n)
{
	span_t s = { p, n };
	return s;
}

static span_t without_surrounding_spaces(span_t s)
{
	while (s.n > 0 && is_space((unsigned char)s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && is_space((unsigned char)s.p[s.n - 1]))
		s.n--;
	return s;
}

/* Index of the first byte that fails `ok`, or s.n when all pass. */
static size_t first_byte_failing(span_t s, int (*ok)(unsigned char))
{
	size_t i;

	for (i = 0; i < s.n; i++)
		if (!ok((unsigned char)s.p[i]))
			return i;
	return s.n;
}

static int all_bytes_pass(span_t s, int (*ok)(unsigned char))
{
	return first_byte_failing(s, ok) == s.n;
}

static int find_byte(span_t s, char c, size_t *at)
{
	size_t i;

	for (i = 0; i < s.n; i++) {
		if (s.p[i] == c) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

static void split_at(span_t s, size_t at, span_t *left, span_t *right)
{
	*left = span_of(s.p, at);
	*right = span_of(s.p + at + 1, s.n - at - 1);
}

/* Byte order of the lowercased spellings, so "Sales" and "sales" sort and dedupe as one. */
static int compare_ignoring_case(span_t a, span_t b)
{
	size_t i, n = a.n < b.n ? a.n : b.n;

	for (i = 0; i < n; i++) {
		unsigned char x = lowered((unsigned char)a.p[i]);
		unsigned char y = lowered((unsigned char)b.p[i]);
		if (x != y)
			return x < y ? -1 : 1;
	}
	return a.n == b.n ? 0 : (a.n < b.n ? -1 : 1);
}

static int equals_word_ignoring_case(span_t s, const char *word)
{
	return compare_ignoring_case(s, span_of(word, strlen(word))) == 0;
}

/* Walks a ','-separated list; "a," yields "a" then "" so a stray comma is noticed. */
typedef struct {
	span_t rest;
	int done;
} list_walk_t;

static list_walk_t walk_list(span_t list)
{
	list_walk_t w = { list, 0 };
	return w;
}

static int next_list_item(list_walk_t *w, span_t *item)
{
	size_t at;

	if (w->done)
		return 0;
	if (find_byte(w->rest, ',', &at)) {
		split_at(w->rest, at, item, &w->rest);
	} else {
		*item = w->rest;
		w->done = 1;
	}
	*item = without_surrounding_spaces(*item);
	return 1;
}

/* ---- output: writes while it fits, remembers how much was needed ------------------ */

typedef struct {
	char *buf;
	size_t size;
	size_t used;
} out_t;

static out_t out_to(char *buf, size_t size)
{
	out_t o = { buf, buf != NULL ? size : 0, 0 };

	if (o.size > 0)
		o.buf[0] = '\0';
	return o;
}

static void put_bytes(out_t *o, const char *s, size_t n)
{
	if (o->used + n < o->size)
		memcpy(o->buf + o->used, s, n);
	o->used += n;
}

static void put_lowered(out_t *o, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (o->used + 1 < o->size)
			o->buf[o->used] = (char)lowered((unsigned char)s[i]);
		o->used++;
	}
}

static void put_text(out_t *o, const char *s)
{
	put_bytes(o, s, strlen(s));
}

static void put_number(out_t *o, long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof tmp, "%ld", v);

	put_bytes(o, tmp, (size_t)n);
}

/* Either the whole canonical value is delivered or none of it: a truncated skill list or
 * identity would be a different, valid-looking value. */
static int finish_output(out_t *o, const char *what, char *why)
{
	if (o->used >= o->size) {
		if (o->size > 0)
			o->buf[0] = '\0';
		return fail_with(why, OQ_V_NOSPACE,
				"output buffer of %zu bytes is too small for the %s (needs %zu)",
				o->size, what, o->used + 1);
	}
	o->buf[o->used] = '\0';
	return succeed(why);
}

/* On failure the caller still gets a NUL-terminated (empty) output. */
static int fail_output(out_t *o, int code)
{
	if (o->size > 0)
		o->buf[0] = '\0';
	return code;
}

/* ---- numbers ------------------------------------------------------------------------ */

/* Decimal with optional '-', no spaces, no overflow: returns OK, EMPTY, SYNTAX or RANGE
 * without touching a reason, so each caller can word its own. */
static int read_decimal(span_t s, long *val)
{
	unsigned long magnitude = 0, limit;
	int negative = 0;
	size_t i = 0;

	if (s.n == 0)
		return OQ_V_EMPTY;
	if (s.p[0] == '-') {
		negative = 1;
		i = 1;
	}
	if (i == s.n)
		return OQ_V_SYNTAX;
	limit = negative ? (unsigned long)LONG_MAX + 1 : (unsigned long)LONG_MAX;
	for (; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (!is_digit(c))
			return OQ_V_SYNTAX;
		if (magnitude > (limit - (unsigned long)(c - '0')) / 10)
			magnitude = limit + 1; /* saturate; keep scanning for bad characters */
		else
			magnitude = magnitude * 10 + (unsigned long)(c - '0');
	}
	if (magnitude > limit)
		return OQ_V_RANGE;
	if (negative)
		*val = magnitude == 0 ? 0 : -(long)(magnitude - 1) - 1;
	else
		*val = (long)magnitude;
	return OQ_V_OK;
}

int oq_parse_int(const char *s, size_t len, long min, long max, long *val, char *why)
{
	quoted_t q;
	long v = 0;
	int rc = read_decimal(span_of(s, len), &v);

	switch (rc) {
	case OQ_V_EMPTY:
		return fail_with(why, rc, "number is empty");
	case OQ_V_SYNTAX:
		return fail_with(why, rc, "'%s' is not a decimal integer", quoted(&q, s, len));
	case OQ_V_RANGE:
		return fail_with(why, rc, "'%s' is outside %ld..%ld", quoted(&q, s, len), min, max);
	default:
		break;
	}
	if (v < min || v > max)
		return fail_with(why, OQ_V_RANGE, "%ld is outside %ld..%ld", v, min, max);
	if (val != NULL)
		*val = v;
	return succeed(why);
}

/* ---- channels, classes, ids, presence ---------------------------------------------- */

static const struct {
	const char *name;
	oq_class_t cls;
} builtin_channels[] = {
	{ "phone", OQ_CLASS_VOICE }, { "web", OQ_CLASS_CHAT }, { "wechat", OQ_CLASS_CHAT },
	{ "app", OQ_CLASS_CHAT },    { "sms", OQ_CLASS_CHAT }, { "email", OQ_CLASS_EMAIL },
};

static const char *const class_names[] = { "voice", "chat", "email" };

int oq_check_channel(const char *s, size_t len, oq_class_t *cls, char *why)
{
	span_t name = span_of(s, len);
	quoted_t q;
	byte_text_t b;
	size_t bad, i;

	if (len == 0)
		return fail_with(why, OQ_V_EMPTY, "channel name is empty");
	if (len > OQ_CHANNEL_MAX)
		return fail_with(why, OQ_V_TOOLONG, "channel '%s' has %zu characters, the limit is %d",
				quoted(&q, s, len), len, OQ_CHANNEL_MAX);
	if (!is_lower((unsigned char)s[0]))
		return fail_with(why, OQ_V_SYNTAX, "channel '%s' must start with a letter a-z",
				quoted(&q, s, len));
	bad = first_byte_failing(name, is_channel_char);
	if (bad < len)
		return fail_with(why, OQ_V_SYNTAX, "channel '%s' has %s, outside [a-z0-9_-]",
				quoted(&q, s, len), byte_text(&b, (unsigned char)s[bad]));
	for (i = 0; i < sizeof builtin_channels / sizeof builtin_channels[0]; i++) {
		if (strlen(builtin_channels[i].name) == len
				&& memcmp(builtin_channels[i].name, s, len) == 0) {
			if (cls != NULL)
				*cls = builtin_channels[i].cls;
			return succeed(why);
		}
	}
	succeed(why);
	return 1; /* well-formed, but its class comes from the driver that registers it */
}

const char *oq_class_name(oq_class_t cls)
{
	if ((int)cls < 0 || (size_t)cls >= sizeof class_names / sizeof class_names[0])
		return "unknown";
	return class_names[cls];
}

int oq_class_parse(const char *s, size_t len, oq_class_t *cls, char *why)
{
	quoted_t q;
	size_t i;

	if (len == 0)
		return fail_with(why, OQ_V_EMPTY, "capacity class is empty");
	for (i = 0; i < sizeof class_names / sizeof class_names[0]; i++) {
		if (equals_word_ignoring_case(span_of(s, len), class_names[i])) {
			if (cls != NULL)
				*cls = (oq_class_t)i;
			return succeed(why);
		}
	}
	return fail_with(why, OQ_V_UNKNOWN, "capacity class '%s' is not voice, chat or email",
			quoted(&q, s, len));
}

int oq_check_id(const char *s, size_t len, char *why)
{
	quoted_t q;
	byte_text_t b;
	size_t bad;

	if (len == 0)
		return fail_with(why, OQ_V_EMPTY, "id is empty");
	if (len > OQ_ID_MAX)
		return fail_with(why, OQ_V_TOOLONG, "id '%s' has %zu characters, the limit is %d",
				quoted(&q, s, len), len, OQ_ID_MAX);
	bad = first_byte_failing(span_of(s, len), is_id_char);
	if (bad < len)
		return fail_with(why, OQ_V_SYNTAX, "id '%s' has %s, outside [A-Za-z0-9%s]",
				quoted(&q, s, len), byte_text(&b, (unsigned char)s[bad]), OQ_ID_CHARS);
	return succeed(why);
}

int oq_check_sid(const char *s, size_t len, char *why)
{
	quoted_t q;

	if (len == 0)
		return fail_with(why, OQ_V_EMPTY, "id is empty");
	if (!all_bytes_pass(span_of(s, len), is_digit))
		return fail_with(why, OQ_V_SYNTAX, "id '%s' is not decimal digits", quoted(&q, s, len));
	if (len > OQ_SID_DIGITS_MAX)
		return fail_with(why, OQ_V_TOOLONG, "id has %zu digits, the limit is %d", len,
				OQ_SID_DIGITS_MAX);
	return succeed(why);
}

static const struct {
	const char *what;
	size_t min, max;
} text_kinds[] = {
	[OQ_TEXT_AGENT_NAME] = { "name", 0, OQ_TEXT_MAX },
	[OQ_TEXT_CONTACT] = { "contact", 0, OQ_CONTACT_MAX },
	[OQ_TEXT_EXT] = { "ext", 0, OQ_TEXT_MAX },
	[OQ_TEXT_FROM] = { "from", 0, OQ_TEXT_MAX },
	[OQ_TEXT_CID] = { "client id", 1, OQ_CID_MAX },
	[OQ_TEXT_PROFILE] = { "value", 0, OQ_TEXT_MAX },
	[OQ_TEXT_TAGS] = { "tags", 0, OQ_TAGS_MAX },
	[OQ_TEXT_LEASE] = { "identity", 1, OQ_TEXT_MAX },
	[OQ_TEXT_UNLESS] = { "unless_online", 0, OQ_TEXT_MAX },
};

int oq_check_text(oq_text_t kind, const char *s, size_t len, char *why)
{
	byte_text_t b;
	size_t bad;

	if ((size_t)kind >= sizeof text_kinds / sizeof text_kinds[0])
		return fail_with(why, OQ_V_UNKNOWN, "no such kind of text: %d", (int)kind);
	if (len < text_kinds[kind].min)
		return fail_with(why, OQ_V_EMPTY, "%s is empty", text_kinds[kind].what);
	if (len > text_kinds[kind].max)
		return fail_with(why, OQ_V_TOOLONG, "%s has %zu bytes, the limit is %zu",
				text_kinds[kind].what, len, text_kinds[kind].max);
	bad = first_byte_failing(span_of(s, len), is_text_char);
	if (bad < len)
		return fail_with(why, OQ_V_SYNTAX, "%s has a control character (%s at offset %zu)",
				text_kinds[kind].what, byte_text(&b, (unsigned char)s[bad]), bad);
	return succeed(why);
}

int oq_check_presence(const char *s, size_t len, char *out, size_t outsz, char *why)
{
	static const char *const presences[] = { "offline", "available", "away" };
	out_t o = out_to(out, outsz);
	quoted_t q;
	size_t i;

	if (len == 0)
		return fail_output(&o, fail_with(why, OQ_V_EMPTY, "presence is empty"));
	for (i = 0; i < sizeof presences / sizeof presences[0]; i++) {
		if (equals_word_ignoring_case(span_of(s, len), presences[i])) {
			put_text(&o, presences[i]);
			return finish_output(&o, "presence", why);
		}
	}
	return fail_output(&o, fail_with(why, OQ_V_UNKNOWN,
			"presence '%s' is not offline, available or away", quoted(&q, s, len)));
}

/* ---- identities --------------------------------------------------------------------- */

/* Country code from configuration: a C string, read at most one byte past the longest
 * valid code so a missing terminator cannot run away. */
static int default_cc_is_usable(const char *cc, size_t *cclen)
{
	size_t n;

	if (cc == NULL)
		return 0;
	for (n = 0; n <= CC_MAX_DIGITS && cc[n] != '\0'; n++)
		;
	*cclen = n;
	return n >= 1 && n <= CC_MAX_DIGITS && cc[0] != '0'
			&& all_bytes_pass(span_of(cc, n), is_digit);
}

static int canonical_phone(span_t value, const char *default_cc, out_t *o, char *why)
{
	/* Room for "00" plus more digits than E.164 allows; beyond that only the count matters. */
	char digits[E164_MAX_DIGITS + 4];
	size_t ndigits = 0, kept = 0, cclen = 0, skip, total;
	int has_plus = 0, seen_any = 0;
	const char *cc = "";
	quoted_t q;
	byte_text_t b;
	size_t i;

	for (i = 0; i < value.n; i++) {
		unsigned char c = (unsigned char)value.p[i];
		if (is_phone_separator(c))
			continue;
		if (c == '+' && !seen_any) {
			has_plus = 1;
			seen_any = 1;
			continue;
		}
		if (c == '+')
			return fail_with(why, OQ_V_SYNTAX, "phone number '%s' has '+' after its start",
					quoted(&q, value.p, value.n));
		if (!is_digit(c))
			return fail_with(why, OQ_V_SYNTAX,
					"phone number '%s' has %s, not a digit, '+' or separator",
					quoted(&q, value.p, value.n), byte_text(&b, c));
		seen_any = 1;
		if (kept < sizeof digits)
			digits[kept++] = (char)c;
		ndigits++;
	}
	if (!seen_any)
		return fail_with(why, OQ_V_EMPTY, "phone number is empty");

	if (has_plus) {
		skip = 0;
	} else if (ndigits >= 2 && digits[0] == '0' && digits[1] == '0') {
		skip = 2; /* 00 is the international call prefix, the same as '+' */
	} else {
		if (default_cc == NULL || default_cc[0] == '\0')
			return fail_with(why, OQ_V_SYNTAX,
					"phone number '%s' has no '+' or 00 and no default country code is set",
					quoted(&q, value.p, value.n));
		if (!default_cc_is_usable(default_cc, &cclen))
			return fail_with(why, OQ_V_SYNTAX,
					"default country code '%s' is not 1-3 digits starting 1-9",
					quoted(&q, default_cc, cclen));
		cc = default_cc;
		skip = (ndigits >= 1 && digits[0] == '0') ? 1 : 0; /* trunk prefix */
	}
	total = cclen + ndigits - skip;
	if (total > E164_MAX_DIGITS)
		return fail_with(why, OQ_V_TOOLONG, "phone number has %zu digits, E.164 allows %d",
				total, E164_MAX_DIGITS);
	if (total < E164_MIN_DIGITS)
		return fail_with(why, OQ_V_SYNTAX,
				"phone number '%s' has %zu digits, E.164 needs at least %d",
				quoted(&q, value.p, value.n), total, E164_MIN_DIGITS);
	if (cclen == 0 && digits[skip] == '0')
		return fail_with(why, OQ_V_SYNTAX,
				"phone number '%s' has a country code starting with 0",
				quoted(&q, value.p, value.n));
	put_bytes(o, "+", 1);
	put_bytes(o, cc, cclen);
	put_bytes(o, digits + skip, ndigits - skip);
	return OQ_V_OK;
}

/* One part of an identity: non-empty, bounded, every byte in its class. */
static int check_identity_part(span_t part, const char *what, size_t max,
		int (*ok)(unsigned char), const char *allowed, char *why)
{
	quoted_t q;
	byte_text_t b;
	size_t bad;

	if (part.n == 0)
		return fail_with(why, OQ_V_EMPTY, "%s is empty", what);
	if (part.n > max)
		return fail_with(why, OQ_V_TOOLONG, "%s '%s' has %zu characters, the limit is %zu",
				what, quoted(&q, part.p, part.n), part.n, max);
	bad = first_byte_failing(part, ok);
	if (bad < part.n)
		return fail_with(why, OQ_V_SYNTAX, "%s '%s' has %s, outside %s", what,
				quoted(&q, part.p, part.n), byte_text(&b, (unsigned char)part.p[bad]),
				allowed);
	return OQ_V_OK;
}

/* Both halves of "<a>:<b>" kinds (wechat, app) split at the first ':'. */
static int split_pair(span_t value, const char *kind, span_t *a, span_t *b, char *why)
{
	quoted_t q;
	size_t at;

	if (!find_byte(value, ':', &at))
		return fail_with(why, OQ_V_SYNTAX, "%s identity '%s' needs two parts separated by ':'",
				kind, quoted(&q, value.p, value.n));
	split_at(value, at, a, b);
	return OQ_V_OK;
}

static int canonical_wechat(span_t value, out_t *o, char *why)
{
	span_t appid, openid;
	int rc;

	if ((rc = split_pair(value, "wechat", &appid, &openid, why)) != OQ_V_OK
			|| (rc = check_identity_part(appid, "wechat appid", WECHAT_APPID_MAX,
					is_token_char, "[A-Za-z0-9_-]", why)) != OQ_V_OK
			|| (rc = check_identity_part(openid, "wechat openid", WECHAT_OPENID_MAX,
					is_token_char, "[A-Za-z0-9_-]", why)) != OQ_V_OK)
		return rc;
	put_bytes(o, value.p, value.n);
	return OQ_V_OK;
}

static int canonical_app(span_t value, out_t *o, char *why)
{
	span_t app, user;
	int rc;

	if ((rc = split_pair(value, "app", &app, &user, why)) != OQ_V_OK
			|| (rc = check_identity_part(app, "app name", APP_NAME_MAX,
					is_dotted_token_char, "[A-Za-z0-9_.-]", why)) != OQ_V_OK
			|| (rc = check_identity_part(user, "app user", APP_USER_MAX, is_app_user_char,
					"printable non-space ASCII other than ','", why)) != OQ_V_OK)
		return rc;
	put_bytes(o, value.p, value.n);
	return OQ_V_OK;
}

/* chan:<channel>:<user>, a user of an integrator's channel (LINE, Telegram...): a namespace
 * of its own, never an app's (app:<app_id>:<user>) whatever an admin names the app. */
static int canonical_chan(span_t value, out_t *o, char *why)
{
	span_t channel, user;
	quoted_t q;
	int rc;

	if ((rc = split_pair(value, "chan", &channel, &user, why)) != OQ_V_OK
			|| (rc = check_identity_part(channel, "channel name", OQ_CHANNEL_MAX,
					is_channel_char, "[a-z0-9_-]", why)) != OQ_V_OK)
		return rc;
	if (channel.p[0] < 'a' || channel.p[0] > 'z')
		return fail_with(why, OQ_V_SYNTAX, "channel name '%s' must start with [a-z]",
				quoted(&q, channel.p, channel.n));
	if ((rc = check_identity_part(user, "channel user", APP_USER_MAX, is_app_user_char,
					"printable non-space ASCII other than ','", why)) != OQ_V_OK)
		return rc;
	put_bytes(o, value.p, value.n);
	return OQ_V_OK;
}

static int canonical_web(span_t value, out_t *o, char *why)
{
	int rc = check_identity_part(value, "web visitor", WEB_VISITOR_MAX, is_dotted_token_char,
			"[A-Za-z0-9_.-]", why);

	if (rc == OQ_V_OK)
		put_bytes(o, value.p, value.n);
	return rc;
}

/* Labels are what DNS resolves; "a..b", ".a" and "a." cannot be delivered to. */
static int check_domain_labels(span_t domain, char *why)
{
	quoted_t q;
	size_t i, label_start = 0;
	int dots = 0;

	for (i = 0; i <= domain.n; i++) {
		if (i < domain.n && domain.p[i] != '.')
			continue;
		if (i == label_start)
			return fail_with(why, OQ_V_SYNTAX, "email domain '%s' has an empty label",
					quoted(&q, domain.p, domain.n));
		if (i < domain.n)
			dots++;
		label_start = i + 1;
	}
	if (dots == 0)
		return fail_with(why, OQ_V_SYNTAX, "email domain '%s' has no dot",
				quoted(&q, domain.p, domain.n));
	return OQ_V_OK;
}

static int canonical_email(span_t value, out_t *o, char *why)
{
	span_t local, domain;
	quoted_t q;
	size_t at, again;
	int rc;

	if (!find_byte(value, '@', &at))
		return fail_with(why, OQ_V_SYNTAX, "email address '%s' has no '@'",
				quoted(&q, value.p, value.n));
	split_at(value, at, &local, &domain);
	if (find_byte(domain, '@', &again))
		return fail_with(why, OQ_V_SYNTAX, "email address '%s' has more than one '@'",
				quoted(&q, value.p, value.n));
	if ((rc = check_identity_part(local, "email local part", EMAIL_LOCAL_MAX,
			     is_email_local_char, "printable ASCII other than <>()[],;:\"@", why)) != OQ_V_OK
			|| (rc = check_identity_part(domain, "email domain", EMAIL_DOMAIN_MAX,
					is_domain_char, "[A-Za-z0-9.-]", why)) != OQ_V_OK
			|| (rc = check_domain_labels(domain, why)) != OQ_V_OK)
		return rc;
	/* The whole address is lowercased: RFC 5321 lets a local part be case-sensitive, but no
	 * real mailbox is, and Jane@ and jane@ must be one customer. */
	put_lowered(o, local.p, local.n);
	put_bytes(o, "@", 1);
	put_lowered(o, domain.p, domain.n);
	return OQ_V_OK;
}

/* A caller known by a SIP URI, not a number (sip:alice@example.com, a PBX's sip:1001@pbx):
 * user@host; the host is lowercased (DNS names are not case-sensitive), the user is kept as
 * it is (RFC 3261 compares it case-sensitively). */
static int canonical_sip(span_t value, out_t *o, char *why)
{
	span_t user, host;
	quoted_t q;
	size_t at, again;
	int rc;

	if (!find_byte(value, '@', &at))
		return fail_with(why, OQ_V_SYNTAX, "sip identity '%s' has no '@' between user and host",
				quoted(&q, value.p, value.n));
	split_at(value, at, &user, &host);
	if (find_byte(host, '@', &again))
		return fail_with(why, OQ_V_SYNTAX, "sip identity '%s' has more than one '@'",
				quoted(&q, value.p, value.n));
	if ((rc = check_identity_part(user, "sip user", SIP_USER_MAX, is_sip_user_char,
			     "[A-Za-z0-9] and -_.!~*'()%&=+$?/", why)) != OQ_V_OK
			|| (rc = check_identity_part(host, "sip host", SIP_HOST_MAX, is_sip_host_char,
					"[A-Za-z0-9.-] or an [IPv6] reference", why)) != OQ_V_OK)
		return rc;
	if ((host.p[0] == '[') != (host.p[host.n - 1] == ']'))
		return fail_with(why, OQ_V_SYNTAX, "sip host '%s' has an unclosed '['",
				quoted(&q, host.p, host.n));
	put_bytes(o, user.p, user.n);
	put_bytes(o, "@", 1);
	put_lowered(o, host.p, host.n);
	return OQ_V_OK;
}

int oq_identity_canon(const char *s, size_t len, const char *default_cc, char *out,
		size_t outsz, char *why)
{
	static const char *const kinds[] = { "phone", "sms", "wechat", "email", "app", "web", "sip",
		"chan" };
	out_t o = out_to(out, outsz);
	span_t whole = span_of(s, len), kind, value;
	quoted_t q;
	size_t colon, k;
	int rc;

	if (len == 0)
		return fail_output(&o, fail_with(why, OQ_V_EMPTY, "identity is empty"));
	if (len > OQ_IDENTITY_MAX)
		return fail_output(&o, fail_with(why, OQ_V_TOOLONG,
				"identity has %zu bytes, the limit is %d", len, OQ_IDENTITY_MAX));
	if (!find_byte(whole, ':', &colon))
		return fail_output(&o, fail_with(why, OQ_V_SYNTAX,
				"identity '%s' has no ':' between kind and value", quoted(&q, s, len)));
	split_at(whole, colon, &kind, &value);
	if (kind.n == 0)
		return fail_output(&o, fail_with(why, OQ_V_SYNTAX,
				"identity '%s' has no kind before ':'", quoted(&q, s, len)));
	for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
		if (equals_word_ignoring_case(kind, kinds[k]))
			break;
	if (k == sizeof kinds / sizeof kinds[0])
		return fail_output(&o, fail_with(why, OQ_V_UNKNOWN,
				"identity kind '%s' is not phone, sms, wechat, email, app, web, sip or chan",
				quoted(&q, kind.p, kind.n)));

	put_text(&o, kinds[k]);
	put_bytes(&o, ":", 1);
	switch (k) {
	case 0:
	case 1:
		rc = canonical_phone(value, default_cc, &o, why);
		break;
	case 2:
		rc = canonical_wechat(value, &o, why);
		break;
	case 3:
		rc = canonical_email(value, &o, why);
		break;
	case 4:
		rc = canonical_app(value, &o, why);
		break;
	case 5:
		rc = canonical_web(value, &o, why);
		break;
	case 6:
		rc = canonical_sip(value, &o, why);
		break;
	default:
		rc = canonical_chan(value, &o, why);
		break;
	}
	if (rc != OQ_V_OK)
		return fail_output(&o, rc);
	return finish_output(&o, "identity", why);
}

/* ---- skills ------------------------------------------------------------------------- */

static int check_skill_name(span_t name, size_t position, char *why)
{
	quoted_t q;
	size_t i;

	if (name.n == 0)
		return fail_with(why, OQ_V_EMPTY, "skill at position %zu has no name", position);
	if (name.n > OQ_SKILL_NAME_MAX)
		return fail_with(why, OQ_V_TOOLONG, "skill '%s' has %zu characters, the limit is %d",
				quoted(&q, name.p, name.n), name.n, OQ_SKILL_NAME_MAX);
	if (!is_skill_start(lowered((unsigned char)name.p[0])))
		return fail_with(why, OQ_V_SYNTAX, "skill '%s' must start with [a-z0-9]",
				quoted(&q, name.p, name.n));
	for (i = 1; i < name.n; i++)
		if (!is_skill_char(lowered((unsigned char)name.p[i])))
			return fail_with(why, OQ_V_SYNTAX,
					"skill '%s' has a character outside [a-z0-9%s]",
					quoted(&q, name.p, name.n), OQ_SKILL_CHARS);
	return OQ_V_OK;
}

static int reject_empty_item(size_t position, char *why)
{
	return fail_with(why, OQ_V_SYNTAX, "skill list has an empty item at position %zu (stray ',')",
			position);
}

/* Sorted insert by lowercased name; *found tells a duplicate apart from a new name. */
static size_t sorted_position(const span_t *names, size_t count, span_t name, int *found)
{
	size_t i;

	*found = 0;
	for (i = 0; i < count; i++) {
		int c = compare_ignoring_case(name, names[i]);
		if (c == 0)
			*found = 1;
		if (c <= 0)
			break;
	}
	return i;
}

static void insert_at(span_t *names, int *levels, size_t *count, size_t at, span_t name,
		int level)
{
	memmove(names + at + 1, names + at, (*count - at) * sizeof names[0]);
	memmove(levels + at + 1, levels + at, (*count - at) * sizeof levels[0]);
	names[at] = name;
	levels[at] = level;
	(*count)++;
}

int oq_skills_canon(const char *s, size_t len, char *out, size_t outsz, char *why)
{
	span_t names[OQ_SESSION_SKILLS_MAX], item;
	int levels[OQ_SESSION_SKILLS_MAX];
	size_t count = 0, position = 0, at, i;
	out_t o = out_to(out, outsz);
	list_walk_t w;
	int found, rc;

	if (without_surrounding_spaces(span_of(s, len)).n == 0)
		return finish_output(&o, "skill list", why); /* "any agent" */
	w = walk_list(span_of(s, len));
	while (next_list_item(&w, &item)) {
		position++;
		if (item.n == 0)
			return fail_output(&o, reject_empty_item(position, why));
		if ((rc = check_skill_name(item, position, why)) != OQ_V_OK)
			return fail_output(&o, rc);
		at = sorted_position(names, count, item, &found);
		if (found)
			continue; /* the same skill twice asks for nothing more */
		if (count == OQ_SESSION_SKILLS_MAX)
			return fail_output(&o, fail_with(why, OQ_V_TOOLONG,
					"skill list has more than %d distinct skills", OQ_SESSION_SKILLS_MAX));
		insert_at(names, levels, &count, at, item, 0);
	}
	for (i = 0; i < count; i++) {
		if (i > 0)
			put_bytes(&o, ",", 1);
		put_lowered(&o, names[i].p, names[i].n);
	}
	return finish_output(&o, "skill list", why);
}

static int read_skill_level(span_t name, span_t level_text, int *level, char *why)
{
	quoted_t q, ql;
	long v = 0;
	int rc;

	if (level_text.n == 0)
		return fail_with(why, OQ_V_EMPTY, "skill '%s' has no level (name:%d..%d)",
				quoted(&q, name.p, name.n), OQ_LEVEL_MIN, OQ_LEVEL_MAX);
	rc = read_decimal(level_text, &v);
	if (rc == OQ_V_SYNTAX)
		return fail_with(why, OQ_V_SYNTAX, "skill '%s' has level '%s', not a number",
				quoted(&q, name.p, name.n), quoted(&ql, level_text.p, level_text.n));
	if (rc != OQ_V_OK || v < OQ_LEVEL_MIN || v > OQ_LEVEL_MAX)
		return fail_with(why, OQ_V_RANGE, "skill '%s' has level '%s', outside %d..%d",
				quoted(&q, name.p, name.n), quoted(&ql, level_text.p, level_text.n),
				OQ_LEVEL_MIN, OQ_LEVEL_MAX);
	*level = (int)v;
	return OQ_V_OK;
}

int oq_agent_skills_canon(const char *s, size_t len, char *out, size_t outsz, char *why)
{
	span_t names[OQ_AGENT_SKILLS_MAX], item, name, level_text;
	int levels[OQ_AGENT_SKILLS_MAX], level = 0;
	size_t count = 0, position = 0, at, colon, i;
	out_t o = out_to(out, outsz);
	list_walk_t w;
	quoted_t q;
	int found, rc;

	if (without_surrounding_spaces(span_of(s, len)).n == 0)
		return finish_output(&o, "agent skill list", why);
	w = walk_list(span_of(s, len));
	while (next_list_item(&w, &item)) {
		position++;
		if (item.n == 0)
			return fail_output(&o, reject_empty_item(position, why));
		if (find_byte(item, ':', &colon)) {
			split_at(item, colon, &name, &level_text);
		} else {
			name = item;
			level_text = span_of(item.p + item.n, 0);
		}
		name = without_surrounding_spaces(name);
		level_text = without_surrounding_spaces(level_text);
		if ((rc = check_skill_name(name, position, why)) != OQ_V_OK
				|| (rc = read_skill_level(name, level_text, &level, why)) != OQ_V_OK)
			return fail_output(&o, rc);
		at = sorted_position(names, count, name, &found);
		if (found)
			return fail_output(&o, fail_with(why, OQ_V_SYNTAX,
					"skill '%s' is listed twice", quoted(&q, name.p, name.n)));
		if (count == OQ_AGENT_SKILLS_MAX)
			return fail_output(&o, fail_with(why, OQ_V_TOOLONG,
					"agent skill list has more than %d skills", OQ_AGENT_SKILLS_MAX));
		insert_at(names, levels, &count, at, name, level);
	}
	for (i = 0; i < count; i++) {
		if (i > 0)
			put_bytes(&o, ",", 1);
		put_lowered(&o, names[i].p, names[i].n);
		put_bytes(&o, ":", 1);
		put_number(&o, levels[i]);
	}
	return finish_output(&o, "agent skill list", why);
}

/* ---- capacities --------------------------------------------------------------------- */

static const char *const cap_names[4] = { "voice", "chat", "email", "total" };

static int check_caps_if_empty(const int if_empty[4], char *why)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (if_empty[i] < 0 || if_empty[i] > OQ_CAP_MAX)
			return fail_with(why, OQ_V_RANGE, "default %s capacity %d is outside 0..%d",
					cap_names[i], if_empty[i], OQ_CAP_MAX);
	return OQ_V_OK;
}

static int read_cap_item(span_t item, size_t position, int caps[4], int seen[4], char *why)
{
	span_t name, value;
	quoted_t q, qv;
	size_t eq, k;
	long v = 0;
	int rc;

	if (item.n == 0)
		return fail_with(why, OQ_V_SYNTAX,
				"capacity list has an empty item at position %zu (stray ',')", position);
	if (!find_byte(item, '=', &eq))
		return fail_with(why, OQ_V_SYNTAX, "capacity '%s' is not name=number",
				quoted(&q, item.p, item.n));
	split_at(item, eq, &name, &value);
	name = without_surrounding_spaces(name);
	value = without_surrounding_spaces(value);
	for (k = 0; k < 4; k++)
		if (equals_word_ignoring_case(name, cap_names[k]))
			break;
	if (k == 4)
		return fail_with(why, OQ_V_UNKNOWN,
				"capacity '%s' is not voice, chat, email or total",
				quoted(&q, name.p, name.n));
	if (seen[k])
		return fail_with(why, OQ_V_SYNTAX, "capacity %s is given twice", cap_names[k]);
	rc = read_decimal(value, &v);
	if (rc == OQ_V_EMPTY)
		return fail_with(why, rc, "capacity %s has no value", cap_names[k]);
	if (rc == OQ_V_SYNTAX)
		return fail_with(why, rc, "capacity %s value '%s' is not a number", cap_names[k],
				quoted(&qv, value.p, value.n));
	if (rc != OQ_V_OK || v < 0 || v > OQ_CAP_MAX)
		return fail_with(why, OQ_V_RANGE, "capacity %s value '%s' is outside 0..%d",
				cap_names[k], quoted(&qv, value.p, value.n), OQ_CAP_MAX);
	caps[k] = (int)v;
	seen[k] = 1;
	return OQ_V_OK;
}

int oq_caps_parse(const char *s, size_t len, const int if_empty[4], int caps[4], char *why)
{
	int seen[4] = { 0, 0, 0, 0 }, got[4] = { 0, 0, 0, 0 };
	size_t position = 0, k;
	list_walk_t w;
	span_t item;
	int rc;

	if (without_surrounding_spaces(span_of(s, len)).n == 0) {
		if (if_empty == NULL)
			return fail_with(why, OQ_V_EMPTY, "capacity list is empty");
		if ((rc = check_caps_if_empty(if_empty, why)) != OQ_V_OK)
			return rc;
		memcpy(got, if_empty, sizeof got);
	} else {
		w = walk_list(span_of(s, len));
		while (next_list_item(&w, &item)) {
			position++;
			if ((rc = read_cap_item(item, position, got, seen, why)) != OQ_V_OK)
				return rc;
		}
		/* a class not given is 0 (got[] starts so); a total not given is their sum */
		if (!seen[3]) {
			for (k = 0; k < 3; k++)
				got[3] += got[k];
			if (got[3] > OQ_CAP_MAX)
				got[3] = OQ_CAP_MAX;
		}
	}
	if (caps != NULL)
		memcpy(caps, got, sizeof got);
	return succeed(why);
}

int oq_caps_canon(const char *s, size_t len, const int if_empty[4], char *out, size_t outsz,
		char *why)
{
	out_t o = out_to(out, outsz);
	int caps[4], rc;
	size_t k;

	if ((rc = oq_caps_parse(s, len, if_empty, caps, why)) != OQ_V_OK)
		return fail_output(&o, rc);
	for (k = 0; k < 4; k++) {
		if (k > 0)
			put_bytes(&o, ",", 1);
		put_text(&o, cap_names[k]);
		put_bytes(&o, "=", 1);
		put_number(&o, caps[k]);
	}
	return finish_output(&o, "capacity list", why);
}

/* ---- message bodies ----------------------------------------------------------------- */

/* Allowed range of the second byte for each lead byte (Unicode Table 3-7); this is where
 * overlongs, surrogates and code points above U+10FFFF are told apart. */
static void second_byte_range(unsigned char lead, unsigned char *lo, unsigned char *hi,
		const char **problem)
{
	*lo = 0x80;
	*hi = 0xbf;
	*problem = "a missing continuation byte";
	if (lead == 0xe0) {
		*lo = 0xa0;
		*problem = "an overlong encoding";
	} else if (lead == 0xed) {
		*hi = 0x9f;
		*problem = "a UTF-16 surrogate";
	} else if (lead == 0xf0) {
		*lo = 0x90;
		*problem = "an overlong encoding";
	} else if (lead == 0xf4) {
		*hi = 0x8f;
		*problem = "a code point above U+10FFFF";
	}
}

static int is_continuation(unsigned char c)
{
	return c >= 0x80 && c <= 0xbf;
}

static size_t sequence_length(unsigned char lead)
{
	if (lead < 0x80)
		return 1;
	if (lead >= 0xc2 && lead <= 0xdf)
		return 2;
	if (lead >= 0xe0 && lead <= 0xef)
		return 3;
	if (lead >= 0xf0 && lead <= 0xf4)
		return 4;
	return 0;
}

static int reject_lead_byte(unsigned char c, size_t at, char *why)
{
	const char *what = "a stray continuation byte";

	if (c == 0xc0 || c == 0xc1)
		what = "an overlong encoding";
	else if (c >= 0xf5)
		what = "a byte never used in UTF-8";
	return fail_with(why, OQ_V_SYNTAX, "body has invalid UTF-8 at offset %zu: 0x%02x is %s",
			at, c, what);
}

int oq_check_body(const char *s, size_t len, char *why)
{
	const unsigned char *b = (const unsigned char *)s;
	size_t i = 0, n, k;

	if (len == 0)
		return fail_with(why, OQ_V_EMPTY, "body is empty");
	if (len > OQ_BODY_MAX)
		return fail_with(why, OQ_V_TOOLONG, "body has %zu bytes, the limit is %d", len,
				OQ_BODY_MAX);
	while (i < len) {
		if (b[i] == 0)
			return fail_with(why, OQ_V_SYNTAX, "body has a NUL byte at offset %zu", i);
		n = sequence_length(b[i]);
		if (n == 0)
			return reject_lead_byte(b[i], i, why);
		for (k = 1; k < n; k++) {
			unsigned char lo = 0x80, hi = 0xbf;
			const char *problem = "a missing continuation byte";
			if (i + k >= len)
				return fail_with(why, OQ_V_SYNTAX,
						"body has invalid UTF-8 at offset %zu: a %zu-byte sequence is cut short",
						i, n);
			if (!is_continuation(b[i + k]))
				return fail_with(why, OQ_V_SYNTAX,
						"body has invalid UTF-8 at offset %zu: %s", i + k, problem);
			if (k == 1)
				second_byte_range(b[i], &lo, &hi, &problem);
			if (b[i + k] < lo || b[i + k] > hi)
				return fail_with(why, OQ_V_SYNTAX,
						"body has invalid UTF-8 at offset %zu: %s", i, problem);
		}
		i += n;
	}
	return succeed(why);
}

int oq_check_hook_path(const char *s, size_t len, char *why)
{
	static const char root[] = "/hooks/";
	span_t rest, seg;
	quoted_t q;
	byte_text_t b;
	size_t at, bad;

	if (len == 0)
		return fail_with(why, OQ_V_EMPTY, "hook path is empty");
	if (len > OQ_HOOK_PATH_MAX)
		return fail_with(why, OQ_V_TOOLONG, "hook path '%s' has %zu characters, the limit is %d",
				quoted(&q, s, len), len, OQ_HOOK_PATH_MAX);
	if (len < sizeof(root) || memcmp(s, root, sizeof(root) - 1) != 0)
		return fail_with(why, OQ_V_SYNTAX, "hook path '%s' must start with %s<name>",
				quoted(&q, s, len), root);
	rest = span_of(s + sizeof(root) - 1, len - (sizeof(root) - 1));
	for (;;) {
		int last = !find_byte(rest, '/', &at);
		seg = span_of(rest.p, last ? rest.n : at);
		if (seg.n == 0)
			return fail_with(why, OQ_V_SYNTAX, "hook path '%s' has an empty segment",
					quoted(&q, s, len));
		bad = first_byte_failing(seg, is_dotted_token_char);
		if (bad < seg.n)
			return fail_with(why, OQ_V_SYNTAX, "hook path '%s' has %s, outside [A-Za-z0-9._-/]",
					quoted(&q, s, len), byte_text(&b, (unsigned char)seg.p[bad]));
		if ((seg.n == 1 && seg.p[0] == '.') || (seg.n == 2 && !memcmp(seg.p, "..", 2)))
			return fail_with(why, OQ_V_SYNTAX, "hook path '%s' has a '.' or '..' segment",
					quoted(&q, s, len));
		if (last)
			return succeed(why);
		rest = span_of(rest.p + at + 1, rest.n - at - 1);
	}
}
