/*
 * oq_validate.h - checking and canonicalising everything that enters omniq from outside
 * (cfg scripts, KEMI, RPC, channel modules) before a byte is written to Redis.
 *
 * Pure C, no Kamailio and no allocation: every function works on caller-supplied buffers
 * with explicit lengths, so it is unit-tested (and fuzzed) without a running server, and a
 * hostile value can never overrun anything. Inputs are (pointer, length) pairs and need not
 * be NUL-terminated; outputs are always NUL-terminated.
 *
 * Every function returns 0 on success or a negative OQ_V_* code; when `why` is non-NULL it
 * is filled with a short human reason ("skill 'a b' has a space", ...) for the log line and
 * the error reply, and emptied on success. Offending values appear in it escaped (\xNN) and
 * shortened. On any error an output buffer (if outsz > 0) holds "": a canonical value is
 * delivered whole or not at all. Validation errors take precedence over OQ_V_NOSPACE.
 */
#ifndef OQ_VALIDATE_H
#define OQ_VALIDATE_H

#include <stddef.h>

#include "oq_limits.h" /* generated from limits.def: every limit below is one of its OQ_* */

#define OQ_V_OK 0
#define OQ_V_EMPTY -1    /* required value missing */
#define OQ_V_TOOLONG -2  /* over its limit */
#define OQ_V_SYNTAX -3   /* bad character or shape */
#define OQ_V_RANGE -4    /* number out of range */
#define OQ_V_UNKNOWN -5  /* not one of the allowed names */
#define OQ_V_NOSPACE -6  /* output buffer too small */

#define OQ_WHY_MAX 128

/* The canonical values' sizes, NUL included, from the limits: a session's skill list (names
 * and commas), an agent's ("name:level" and commas; levels have at most two digits), a
 * capacity list (four "name=N", N at most four digits), an identity. */
#define OQ_SKILLS_BUF (OQ_SESSION_SKILLS_MAX * (OQ_SKILL_NAME_MAX + 1))
#define OQ_AGENT_SKILLS_BUF (OQ_AGENT_SKILLS_MAX * (OQ_SKILL_NAME_MAX + 4))
#define OQ_CAPS_BUF 48
#define OQ_IDENTITY_BUF (OQ_IDENTITY_MAX + 1)
_Static_assert(OQ_LEVEL_MAX <= 99, "OQ_AGENT_SKILLS_BUF counts two digits per level");
_Static_assert(OQ_CAP_MAX <= 9999, "OQ_CAPS_BUF counts four digits per capacity");

/* Capacity classes: what an agent's capacity is counted in. */
typedef enum { OQ_CLASS_VOICE = 0, OQ_CLASS_CHAT = 1, OQ_CLASS_EMAIL = 2 } oq_class_t;

/* Channel name: `[a-z][a-z0-9_-]*`, 1..OQ_CHANNEL_MAX bytes. The built-in channels phone,
 * web, wechat, app, sms and email have a fixed class (phone→voice, email→email,
 * others→chat); for any other name *cls is left untouched and the function returns 1 (a
 * channel a driver must register).
 * Built-ins return 0. No case folding: "Phone" is a syntax error. cls may be NULL. */
int oq_check_channel(const char *s, size_t len, oq_class_t *cls, char *why);
/* "voice", "chat", "email"; "unknown" for a value outside the enum (never NULL). */
const char *oq_class_name(oq_class_t cls);
/* The inverse, case-insensitive; OQ_V_UNKNOWN for anything else. cls may be NULL. */
int oq_class_parse(const char *s, size_t len, oq_class_t *cls, char *why);

/* Identifier for agents, queues, tenants, dispositions: 1..OQ_ID_MAX chars of
 * `[A-Za-z0-9]` and OQ_ID_CHARS. */
int oq_check_id(const char *s, size_t len, char *why);

/* Session or customer id: 1..OQ_SID_DIGITS_MAX decimal digits. */
int oq_check_sid(const char *s, size_t len, char *why);

/* Free text that names or refers to something, each kind with its own limit (limits.def):
 * at most that many bytes, no control characters (0x00-0x1f, 0x7f), empty allowed unless
 * said otherwise. The reason names the field. */
typedef enum {
	OQ_TEXT_AGENT_NAME,  /* an agent's display name, OQ_TEXT_MAX */
	OQ_TEXT_CONTACT,     /* an agent's contact (SIP URI...), OQ_CONTACT_MAX */
	OQ_TEXT_EXT,         /* a session's channel reference, OQ_TEXT_MAX */
	OQ_TEXT_FROM,        /* who wrote a message, OQ_TEXT_MAX */
	OQ_TEXT_CID,         /* a client's or channel's message id, 1..OQ_CID_MAX */
	OQ_TEXT_PROFILE,     /* a customer's profile field, OQ_TEXT_MAX */
	OQ_TEXT_TAGS,        /* a session's tags, OQ_TAGS_MAX */
	OQ_TEXT_LEASE,       /* an identity leased as online, 1..OQ_TEXT_MAX */
	OQ_TEXT_UNLESS,      /* a notification's unless_online identity, OQ_TEXT_MAX */
} oq_text_t;
int oq_check_text(oq_text_t kind, const char *s, size_t len, char *why);

/* Identity `kind:value`, kinds:
 *   phone:+E164 / sms:+E164  E.164: '+' then 8..15 digits, first digit 1-9. The value may also
 *                             be given as a local or 00-prefixed number, normalised with
 *                             default_cc (digits only, e.g. "86"; NULL = no default, then a
 *                             number without '+' or 00 is an error): "00861380000" → "+861380000",
 *                             "013800138000" with cc 86 → "+8613800138000" (one leading 0 is a
 *                             trunk prefix and dropped), visual separators ' ', '-', '.', '(' ,')'
 *                             are removed; a "tel:" or "sip:" URI user part is NOT handled here.
 *                             The digit count is taken after normalisation: under 8 is
 *                             OQ_V_SYNTAX, over 15 OQ_V_TOOLONG. default_cc "" = NULL; an
 *                             unusable default_cc (not 1-3 digits, or leading 0) is
 *                             OQ_V_SYNTAX, but only when a number needs it.
 *   wechat:<appid>:<openid>   appid `[A-Za-z0-9_-]{1,64}`, openid `[A-Za-z0-9_-]{1,128}`
 *   email:<addr>              local@domain with exactly one '@', local 1..64 printable
 *                             non-space non-<>()[],;:"@ chars, domain 1..253 chars of
 *                             [A-Za-z0-9.-] with at least one dot and no empty label; the
 *                             whole address is lowercased in the output
 *   app:<app>:<user>          app `[A-Za-z0-9_.-]{1,64}`, user printable non-space 1..128
 *                             other than ',' (the library keeps identities in comma lists)
 *   web:<visitor>             `[A-Za-z0-9_.-]{1,128}`
 *   chan:<channel>:<user>     a user of an integrator's channel: channel `[a-z][a-z0-9_-]`
 *                             of 1..OQ_CHANNEL_MAX, user as an app's (its own namespace:
 *                             never an app's, whatever an admin names the app)
 * "Printable" means ASCII 0x21..0x7e. Kind is case-insensitive and lowercased. The
 * canonical form is written to out (size outsz, at most OQ_IDENTITY_BUF needed). Total
 * input length ≤ OQ_IDENTITY_MAX, checked first (so in practice it caps an email domain at
 * 248). An empty part is OQ_V_EMPTY, an unknown kind OQ_V_UNKNOWN. Stricter than the
 * library on purpose, which takes any `scheme:value` of OQ_IDENTITY_MAX bytes without ','
 * or control characters: these kinds and their shapes are what the channels deliver to. */
int oq_identity_canon(const char *s, size_t len, const char *default_cc, char *out,
		size_t outsz, char *why);

/* Session skill list: "Sales, EN ,sales" → "en,sales". Comma-separated names, after
 * trimming spaces/tabs and lowercasing: `[a-z0-9]` then `[a-z0-9]` or OQ_SKILL_CHARS, 1..
 * OQ_SKILL_NAME_MAX bytes; sorted (bytewise), de-duplicated, at most OQ_SESSION_SKILLS_MAX
 * distinct names (duplicates do not count); empty string (or only spaces) is valid and
 * means "any agent". An empty item ("a,,b", "a,") is OQ_V_SYNTAX. out needs OQ_SKILLS_BUF. */
int oq_skills_canon(const char *s, size_t len, char *out, size_t outsz, char *why);

/* Agent skill list with levels: "sales:5, en:3" → "en:3,sales:5" (sorted by name, names as
 * for oq_skills_canon, spaces around name and level trimmed). Level OQ_LEVEL_MIN..
 * OQ_LEVEL_MAX decimal (OQ_V_RANGE outside); a missing level is an error (OQ_V_EMPTY).
 * Duplicate names (case-insensitive) are an error (OQ_V_SYNTAX). At most
 * OQ_AGENT_SKILLS_MAX (OQ_V_TOOLONG). Empty is valid (an agent with no skills serves only
 * sessions that require none). out needs OQ_AGENT_SKILLS_BUF. */
int oq_agent_skills_canon(const char *s, size_t len, char *out, size_t outsz, char *why);

/* Capacities "voice=1,chat=4,email=8,total=10" in any order, each 0..OQ_CAP_MAX: a class
 * not given is 0 (the agent does not take it), a total not given is the sum of the classes
 * (at most OQ_CAP_MAX). Unknown names are an error (OQ_V_UNKNOWN), so is a name given twice
 * (OQ_V_SYNTAX). Names are case-insensitive, spaces around names and values are trimmed.
 * An empty list (or only spaces) is if_empty (voice, chat, email, total: the capacity
 * modparam), or OQ_V_EMPTY when if_empty is NULL; an if_empty outside 0..OQ_CAP_MAX is
 * OQ_V_RANGE. oq_caps_parse gives the four numbers (caps may be NULL), oq_caps_canon the
 * list with all four in that order, "voice=1,chat=4,email=8,total=10" (out needs
 * OQ_CAPS_BUF). */
int oq_caps_parse(const char *s, size_t len, const int if_empty[4], int caps[4], char *why);
int oq_caps_canon(const char *s, size_t len, const int if_empty[4], char *out, size_t outsz,
		char *why);

/* Integer in [min, max], decimal, optional leading '-', no spaces. */
int oq_parse_int(const char *s, size_t len, long min, long max, long *val, char *why);

/* Presence an agent may set: offline, available, away (case-insensitive, lowercased out;
 * outsz 10 always suffices). */
int oq_check_presence(const char *s, size_t len, char *out, size_t outsz, char *why);

/* Message body: 1..OQ_BODY_MAX bytes of valid UTF-8 with no NUL. (The library takes any
 * bytes but NUL; the valid UTF-8 is for the channels: JSON, WebSocket text frames.) */
int oq_check_body(const char *s, size_t len, char *why);

/* The path of an HTTP route another module serves through omniq_ws: "/hooks/<segment>"
 * then more "/<segment>" at will, segments of `[A-Za-z0-9._-]`, never "." or "..", no empty
 * segment (so no trailing '/'), at most OQ_HOOK_PATH_MAX bytes. Only below /hooks/, so a
 * module cannot shadow the REST API, the sockets or the pages. */
#define OQ_HOOK_PATH_MAX 128
int oq_check_hook_path(const char *s, size_t len, char *why);

#endif
