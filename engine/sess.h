/*
 * sess.h - a waiting session as the engine's pull reads it (the fields of P:s:<sid> that
 * routing needs, lua/35_route.lua R.FIELDS before it moved), and where it waits.
 */
#ifndef OQE_SESS_H
#define OQE_SESS_H

#include "call.h"

typedef struct oqe_sess {
	RedisModuleString *id, *key;
	RedisModuleKey *k;
	RedisModuleString *state, *skills, *queue, *affinity, *channel, *ext;
	int cls;
	long long priority, enq, offers, transfer_at;
} oqe_sess;

/* 1 loaded, 0 no such session, -1 after replying OQ_INTERNAL (a value that does not read) */
int oqe_sess_load(oqe_call *c, RedisModuleString *sid, oqe_sess *s);

/* its place in the wait indexes: (1000 - priority) * 2^42 + enq, lower is better */
long long oqe_sess_score(const oqe_sess *s);

/* the length of the wait index name of skills ("a,b" of "a,b,c"; 0 for none: "*") */
size_t oqe_idx_len(const char *skills, size_t len);

/* its member of P:w:<class>:<idx>: sid|<skills past the first two>|<x if it has decliners> */
RedisModuleString *oqe_sess_member(oqe_call *c, const oqe_sess *s);

/* its wait index P:w:<class>:<idx> */
RedisModuleString *oqe_sess_wkey(oqe_call *c, const oqe_sess *s);

/* did aid decline the session sid (P:s:<sid>:x)? */
int oqe_declined(oqe_call *c, RedisModuleString *sid, RedisModuleString *aid);

#endif
