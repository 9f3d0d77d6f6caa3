/*
 * agent.h - an agent as the engine's commands change it: the row `r` of P:a:<aid>
 * (docs/redis-model.md and lua/20_agent.lua say what each part means)
 *     presence|cap:voice|cap:chat|cap:email|cap:total|load:voice|load:chat|load:email|
 *     load:total|idle_since|avx|held
 * read once, changed in memory, written back with the indexes that follow from it
 * (P:fr:<class>, P:fair). The library (lua/20_agent.lua) keeps the same row and indexes.
 */
#ifndef OQE_AGENT_H
#define OQE_AGENT_H

#include "call.h"
#include "cfg.h"

enum oqe_class { OQE_VOICE, OQE_CHAT, OQE_EMAIL, OQE_CLASSES };

/* The longest idle_since and held list a row may carry (held: the sessions the agent
 * holds, at most its total capacity of decimal ids). */
#define OQE_IDLE_MAX 24
#define OQE_HELD_MAX (1001 * 21)
#define OQE_AVX_MAX 20

typedef struct oqe_agent {
	RedisModuleString *id;
	RedisModuleString *key;              /* P:a:<aid> */
	RedisModuleKey *k;
	char presence[16];
	int nophone;                         /* the hash's phone is "0" (lua/45_agent_ops.lua) */
	long cap[OQE_CLASSES], cap_total;
	long load[OQE_CLASSES], load_total;
	char idle[OQE_IDLE_MAX];
	char avx[OQE_AVX_MAX];
	char held[OQE_HELD_MAX];
	/* what the indexes hold: the row as it was read */
	long o_load_total;
	char o_idle[OQE_IDLE_MAX];
	char o_avx[OQE_AVX_MAX];
} oqe_agent;

/* "voice", "chat", "email" -> class; -1 for anything else */
int oqe_class_of(const char *s, size_t len);
const char *oqe_class_name(int cls);

/* Reads the agent's row. 1: loaded; 0: no such agent; -1: replied OQ_INTERNAL (a key
 * that is no hash, a row that does not parse). */
int oqe_agent_load(oqe_call *c, RedisModuleString *aid, oqe_agent *a);

/* The classes the agent has room in now, as the row spells them ("voice,chat,email"). */
void oqe_agent_avx(const oqe_cfg *cfg, const oqe_agent *a, char out[OQE_AVX_MAX]);

/* Room left in total. */
long oqe_agent_room(const oqe_agent *a);

/* The session sid of class cls no longer holds the agent's capacity (its load and held
 * list), from now. */
void oqe_agent_release(oqe_call *c, oqe_agent *a, RedisModuleString *sid, int cls);

/* Room for one more session of cls now (lua/20_agent.lua A.free). */
int oqe_agent_free(const oqe_cfg *cfg, const oqe_agent *a, int cls);

/* The session sid of class cls holds the agent's capacity from its offer on. */
void oqe_agent_take(oqe_call *c, oqe_agent *a, RedisModuleString *sid, int cls);

/* How much room the release of one session of cls opened (lua/40_session.lua freed_room). */
long oqe_agent_freed_room(const oqe_cfg *cfg, const oqe_agent *a, int cls);

/* Writes the row and brings P:fr:<class> and P:fair in line with it. The agent's presence
 * and skills are never changed by the engine's commands, so P:skl and P:avail are left
 * as they are. */
void oqe_agent_save(oqe_call *c, const oqe_cfg *cfg, oqe_agent *a);

/* Whether anything waits that an agent with room in the classes of avx might take: the
 * classes' P:wk hashes, and its parked sessions when affinity_wait is on (lua/30_wait.lua
 * W.any). */
int oqe_agent_work_waits(oqe_call *c, const oqe_cfg *cfg, const oqe_agent *a,
		const char *avx);

#endif
