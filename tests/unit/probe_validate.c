/*
 * probe_validate.c - oq_validate.c's verdicts on values read from stdin, for
 * tests/redis/test_limits.py, which puts the same values to the Redis library and wants
 * both sides to accept and refuse alike (limits.def is where both take their limits from).
 *
 * One request a line: "<kind> <value in hex>"; one answer a line:
 *   "ok <canonical value in hex> <class>"  (class: the built-in channel's, else "-")
 *   "no <OQ_V_* code> <reason>"
 * Hex because the values under test hold NULs, newlines and any byte. The kinds are the
 * checks the core makes before it calls Redis, made the way it makes them (oq_core.c,
 * omniq_mod.c): id, sid, channel, skills, agent_skills, caps (an empty list is the
 * capacity modparam's, here its default), priority, presence, body, identity (default_cc
 * 86, as cfg/omniq.cfg), text:<kind> (oq_text_t: name contact ext from cid profile tags
 * lease target unless) and cfg:<setting> (a modparam against its range, OQ_CFG_EACH).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oq_validate.h"

#define VALUE_MAX (OQ_BODY_MAX + 16)

/* what omniq_mod.c's capacity modparam is when the cfg leaves it out */
static const char modparam_capacity[] = "voice=1,chat=4,email=8,total=10";

static const struct {
	const char *name;
	oq_text_t kind;
} text_kinds[] = {
	{ "name", OQ_TEXT_AGENT_NAME }, { "contact", OQ_TEXT_CONTACT }, { "ext", OQ_TEXT_EXT },
	{ "from", OQ_TEXT_FROM }, { "cid", OQ_TEXT_CID }, { "profile", OQ_TEXT_PROFILE },
	{ "tags", OQ_TEXT_TAGS }, { "lease", OQ_TEXT_LEASE },
	{ "unless", OQ_TEXT_UNLESS },
};

static const struct {
	const char *name;
	long min, max;
} settings[] = {
#define PROBE_CFG(name, def, min, max) { #name, min, max },
	OQ_CFG_EACH(PROBE_CFG)
#undef PROBE_CFG
};

static int unhex(const char *h, size_t n, char *out, size_t *len)
{
	size_t i;
	unsigned v;

	if (n % 2 != 0 || n / 2 > VALUE_MAX)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (char)v;
	}
	*len = n / 2;
	return 0;
}

static void put_hex(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		fputs("-", stdout); /* an empty field stays a field */
	for (i = 0; i < n; i++)
		printf("%02x", (unsigned char)s[i]);
}

/* One request: the verdict, the canonical value into out, the channel's class into cls. */
static int judge(const char *kind, const char *v, size_t n, char *out, size_t outsz,
		const char **cls, char *why)
{
	static int if_empty[4];
	oq_class_t c = OQ_CLASS_CHAT;
	long num;
	size_t i;
	int rc;

	*cls = "-";
	out[0] = '\0';
	if (!strcmp(kind, "id") || !strcmp(kind, "sid") || !strcmp(kind, "body")) {
		rc = !strcmp(kind, "id") ? oq_check_id(v, n, why)
				: !strcmp(kind, "sid") ? oq_check_sid(v, n, why) : oq_check_body(v, n, why);
		if (rc == OQ_V_OK) {
			memcpy(out, v, n);
			out[n] = '\0';
		}
		return rc;
	}
	if (!strcmp(kind, "channel")) {
		rc = oq_check_channel(v, n, &c, why);
		if (rc >= 0) {
			memcpy(out, v, n);
			out[n] = '\0';
			if (rc == 0)
				*cls = oq_class_name(c);
		}
		return rc < 0 ? rc : OQ_V_OK;
	}
	if (!strcmp(kind, "skills"))
		return oq_skills_canon(v, n, out, outsz, why);
	if (!strcmp(kind, "agent_skills"))
		return oq_agent_skills_canon(v, n, out, outsz, why);
	if (!strcmp(kind, "caps")) {
		if (oq_caps_parse(modparam_capacity, strlen(modparam_capacity), NULL, if_empty, why) < 0)
			return OQ_V_RANGE;
		return oq_caps_canon(v, n, if_empty, out, outsz, why);
	}
	if (!strcmp(kind, "presence"))
		return oq_check_presence(v, n, out, outsz, why);
	if (!strcmp(kind, "identity"))
		return oq_identity_canon(v, n, "86", out, outsz, why);
	if (!strcmp(kind, "priority")) {
		if ((rc = oq_parse_int(v, n, 0, OQ_PRIORITY_MAX, &num, why)) == OQ_V_OK)
			snprintf(out, outsz, "%ld", num);
		return rc;
	}
	if (!strncmp(kind, "text:", 5)) {
		for (i = 0; i < sizeof text_kinds / sizeof text_kinds[0]; i++)
			if (!strcmp(kind + 5, text_kinds[i].name))
				break;
		if (i == sizeof text_kinds / sizeof text_kinds[0])
			return -100;
		if ((rc = oq_check_text(text_kinds[i].kind, v, n, why)) == OQ_V_OK) {
			memcpy(out, v, n);
			out[n] = '\0';
		}
		return rc;
	}
	if (!strncmp(kind, "cfg:", 4)) {
		for (i = 0; i < sizeof settings / sizeof settings[0]; i++)
			if (!strcmp(kind + 4, settings[i].name))
				break;
		if (i == sizeof settings / sizeof settings[0])
			return -100;
		rc = oq_parse_int(v, n, settings[i].min, settings[i].max, &num, why);
		if (rc == OQ_V_OK)
			snprintf(out, outsz, "%ld", num);
		return rc;
	}
	return -100;
}

int main(void)
{
	static char line[2 * VALUE_MAX + 64], value[VALUE_MAX + 1], out[VALUE_MAX + 1];
	char why[OQ_WHY_MAX];
	const char *cls;
	size_t n;
	char *sp;
	int rc;

	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		sp = strchr(line, ' ');
		if (sp == NULL)
			sp = line + strlen(line);
		else
			*sp++ = '\0';
		if (!strcmp(sp, "-"))
			sp += 1; /* the empty value */
		if (unhex(sp, strlen(sp), value, &n) < 0) {
			fprintf(stderr, "probe_validate: bad request '%s'\n", line);
			return 2;
		}
		why[0] = '\0';
		rc = judge(line, value, n, out, sizeof out, &cls, why);
		if (rc == -100) {
			fprintf(stderr, "probe_validate: unknown kind '%s'\n", line);
			return 2;
		}
		if (rc == OQ_V_OK) {
			fputs("ok ", stdout);
			put_hex(out, strlen(out));
			printf(" %s\n", cls);
		} else {
			printf("no %d %s\n", rc, why);
		}
		fflush(stdout);
	}
	return 0;
}
