/*
 * args.c - the library's argument rules for a contact (see args.h).
 */
#include "args.h"

#include <string.h>

#include "agent.h"
#include "oq_limits.h"

/* the built-in channels and their fixed classes (lua/02_util.lua U.CHANNEL_CLASS) */
static const struct {
	const char *name;
	int cls;
} builtin[] = {
	{ "phone", OQE_VOICE }, { "web", OQE_CHAT }, { "wechat", OQE_CHAT }, { "app", OQE_CHAT },
	{ "sms", OQE_CHAT }, { "email", OQE_EMAIL },
};

static int lower(int ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static int is_alpha(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

static int control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 32 || (unsigned char)s[i] == 127)
			return 1;
	return 0;
}

int oqe_arg_channel(oqe_call *c, RedisModuleString *channel, RedisModuleString *class, int *cls)
{
	size_t len, cl, i;
	const char *s = RedisModule_StringPtrLen(channel, &len);
	const char *k = RedisModule_StringPtrLen(class, &cl);
	int fixed = -1, given;

	if (len == 0 || len > OQ_CHANNEL_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
		goto bad;
	for (i = 1; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || is_digit(s[i]) || s[i] == '_' || s[i] == '-'))
			goto bad;
	for (i = 0; i < sizeof builtin / sizeof builtin[0]; i++)
		if (strlen(builtin[i].name) == len && memcmp(builtin[i].name, s, len) == 0)
			fixed = builtin[i].cls;
	if (cl == 0) {
		if (fixed < 0)
			return oqe_fail(c, "ARG", "class required for channel %.*s", (int)len, s), -1;
		*cls = fixed;
		return 0;
	}
	if ((given = oqe_class_of(k, cl)) < 0)
		return oqe_fail(c, "ARG", "class must be voice, chat or email"), -1;
	if (fixed >= 0 && fixed != given)
		return oqe_fail(c, "ARG", "channel %.*s is class %s", (int)len, s,
				oqe_class_name(fixed)), -1;
	*cls = given;
	return 0;
bad:
	return oqe_fail(c, "ARG", "channel must match [a-z][a-z0-9_-]{0,%d}", OQ_CHANNEL_MAX - 1), -1;
}

int oqe_arg_identity(oqe_call *c, RedisModuleString *v, char canon[OQE_CANON_MAX + 1],
		size_t *canon_len)
{
	size_t len, i, sl, o = 0;
	const char *s = RedisModule_StringPtrLen(v, &len), *colon, *rest;
	size_t rl;
	char scheme[OQ_IDENTITY_MAX + 1];

	if (len == 0)
		return oqe_fail(c, "ARG", "identity must not be empty"), -1;
	if (len > OQ_IDENTITY_MAX)
		return oqe_fail(c, "ARG", "identity longer than %d bytes", OQ_IDENTITY_MAX), -1;
	if (control(s, len))
		return oqe_fail(c, "ARG", "identity contains control characters"), -1;
	/* ^([%a][%w_%-]*):(.+)$ and no comma */
	colon = memchr(s, ':', len);
	if (!colon || colon == s || !is_alpha(s[0]) || colon + 1 == s + len || memchr(s, ',', len))
		goto bad;
	sl = colon - s;
	for (i = 1; i < sl; i++)
		if (!(is_alpha(s[i]) || is_digit(s[i]) || s[i] == '_' || s[i] == '-'))
			goto bad;
	for (i = 0; i < sl; i++)
		scheme[i] = (char)lower((unsigned char)s[i]);
	scheme[sl] = '\0';
	rest = colon + 1;
	rl = s + len - rest;
	if (!strcmp(scheme, "phone") || !strcmp(scheme, "sms") || !strcmp(scheme, "tel")) {
		memcpy(canon, "tel:", 4);
		o = 4;
		for (i = 0; i < rl; i++)
			if (!strchr(" -.()", rest[i]) || rest[i] == '\0')
				canon[o++] = rest[i];
		if (o == 4)
			return oqe_fail(c, "ARG", "empty phone number"), -1;
	} else if (!strcmp(scheme, "email") || !strcmp(scheme, "mailto")) {
		memcpy(canon, "email:", 6);
		o = 6;
		for (i = 0; i < rl; i++)
			canon[o++] = (char)lower((unsigned char)rest[i]);
	} else {
		memcpy(canon, scheme, sl);
		canon[sl] = ':';
		o = sl + 1;
		memcpy(canon + o, rest, rl);
		o += rl;
	}
	canon[o] = '\0';
	*canon_len = o;
	return 0;
bad:
	return oqe_fail(c, "ARG", "identity must be scheme:value (no commas)"), -1;
}

/* byte order: the order C sorts skills in (oq_validate.c) */
static int bytes_lt(const char *a, size_t al, const char *b, size_t bl)
{
	int r = memcmp(a, b, al < bl ? al : bl);

	return r < 0 || (r == 0 && al < bl);
}

int oqe_arg_session_skills(oqe_call *c, RedisModuleString *v)
{
	size_t len, n = 0, i;
	const char *s = RedisModule_StringPtrLen(v, &len), *p = s, *end = s + len;
	const char *prev = NULL;
	size_t prevl = 0;

	if (len > (size_t)OQ_SESSION_SKILLS_MAX * (OQ_SKILL_NAME_MAX + 1))
		return oqe_fail(c, "ARG", "skills missing or too long"), -1;
	if (len == 0)
		return 0;
	while (p <= end) {
		const char *comma = memchr(p, ',', end - p);
		size_t l = comma ? (size_t)(comma - p) : (size_t)(end - p);

		if (++n > OQ_SESSION_SKILLS_MAX)
			return oqe_fail(c, "ARG", "at most %d skills per session",
					OQ_SESSION_SKILLS_MAX), -1;
		if (l == 0 || l > OQ_SKILL_NAME_MAX
				|| !((p[0] >= 'a' && p[0] <= 'z') || is_digit(p[0])))
			goto bad;
		for (i = 1; i < l; i++)
			if (!((p[i] >= 'a' && p[i] <= 'z') || is_digit(p[i])
						|| (p[i] != '\0' && strchr(OQ_SKILL_CHARS, p[i]))))
				goto bad;
		if (prev && !bytes_lt(prev, prevl, p, l))
			return oqe_fail(c, "ARG", "skills must be sorted and without duplicates"), -1;
		prev = p;
		prevl = l;
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
bad:
	return oqe_fail(c, "ARG", "bad skill name \"%.*s\" (lowercase [a-z0-9] then [a-z0-9%s], "
			"max %d)", (int)(len < 64 ? len : 64), s, OQ_SKILL_CHARS, OQ_SKILL_NAME_MAX), -1;
}

int oqe_arg_int(oqe_call *c, const char *what, RedisModuleString *v, long long lo, long long hi,
		long long *out)
{
	size_t len, i;
	const char *s = RedisModule_StringPtrLen(v, &len);
	long long n = 0;
	int neg = len > 0 && s[0] == '-';

	if (len == 0 || len > 15 || (size_t)neg == len)
		goto bad;
	for (i = (size_t)neg; i < len; i++) {
		if (!is_digit(s[i]))
			goto bad;
		n = n * 10 + (s[i] - '0');
	}
	if (neg)
		n = -n;
	if (n < lo || n > hi)
		return oqe_fail(c, "ARG", "%s must be in %lld..%lld", what, lo, hi), -1;
	*out = n;
	return 0;
bad:
	return oqe_fail(c, "ARG", "%s must be an integer", what), -1;
}

int oqe_arg_text(oqe_call *c, const char *what, RedisModuleString *v, size_t max)
{
	size_t len;
	const char *s = RedisModule_StringPtrLen(v, &len);

	if (len > max)
		return oqe_fail(c, "ARG", "%s longer than %zu bytes", what, max), -1;
	if (control(s, len))
		return oqe_fail(c, "ARG", "%s contains control characters", what), -1;
	return 0;
}
