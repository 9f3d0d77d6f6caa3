/*
 * args.h - the library's rules for the arguments of a contact (lua/03_valid.lua V.channel,
 * V.class, V.identity, V.session_skills, V.int, V.queue, V.str), for the steps that run in
 * the engine whole. The same values are accepted and refused, and an identity gets the
 * same canonical form, as in the library (tests/redis/test_engine.py compares them on a
 * corpus), so a customer is one customer whichever side wrote its identity. Each returns
 * 0, or -1 after replying OQ_ARG.
 */
#ifndef OQE_ARGS_H
#define OQE_ARGS_H

#include "call.h"
#include "oq_limits.h"

/* the longest canonical identity: "email:" or "tel:" before what was given */
#define OQE_CANON_MAX (OQ_IDENTITY_MAX + 8)

/* channel [a-z][a-z0-9_-]*, and its class: a built-in channel's own ("" or the same), an
 * integrator's as given (voice, chat or email). *cls gets the class. */
int oqe_arg_channel(oqe_call *c, RedisModuleString *channel, RedisModuleString *class, int *cls);

/* scheme:value of at most IDENTITY_MAX bytes, no control character, no comma; canon gets
 * the canonical form (phone/sms/tel numbers without spaces, dashes, dots and brackets as
 * tel:..., email/mailto lowercased as email:..., other schemes lowercased). */
int oqe_arg_identity(oqe_call *c, RedisModuleString *v, char canon[OQE_CANON_MAX + 1],
		size_t *canon_len);

/* a session's skills: canonical already (names [a-z0-9][a-z0-9_.-]*, sorted bytewise, no
 * duplicate), at most SESSION_SKILLS_MAX */
int oqe_arg_session_skills(oqe_call *c, RedisModuleString *v);

/* an integer in lo..hi, decimal ("-?[0-9]+", at most 15 characters) */
int oqe_arg_int(oqe_call *c, const char *what, RedisModuleString *v, long long lo, long long hi,
		long long *out);

/* free text of at most max bytes with no control character (empty allowed) */
int oqe_arg_text(oqe_call *c, const char *what, RedisModuleString *v, size_t max);

#endif
