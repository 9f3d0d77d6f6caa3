/*
 * queue.h - phone queues as the admin defines them with modparam("omniq_sip", "queue", ...).
 *
 *   "sales; skills=sales,en; priority=10; max_wait=120; overflow=queue:support;
 *    closed=uri:sip:voicemail@10.0.0.5"
 *
 * overflow (what happens when max_wait passes) and closed (what happens to a call that comes
 * while the queue is outside its business hours, omniq.hours_set): queue:<name> (the call
 * moves to that queue with a new session), uri:<sip uri> (relayed there, e.g. voicemail or a
 * night service, leaving omniq), or reply:<code> <reason> (a final response; the defaults
 * are "480 No Agent Available" and "480 Closed", the latter with a Retry-After of the
 * seconds until the queue opens).
 * Parsed once in mod_init, read-only afterwards (every child inherits the table at fork).
 * Plain C on purpose (no Kamailio headers): tests/unit checks the parser directly.
 */
#ifndef OS_QUEUE_H
#define OS_QUEUE_H

#include "omniq/omniq_limits.h"

#define OS_QUEUES_MAX 64
#define OS_QUEUE_NAME_MAX OMNIQ_ID_MAX /* a queue name is an omniq id */

typedef enum { OS_OVF_REPLY, OS_OVF_QUEUE, OS_OVF_URI } os_ovf_t;

/* where a call goes when it leaves its queue (overflow, closed) */
typedef struct os_action {
	os_ovf_t kind;
	int code;          /* OS_OVF_REPLY */
	char text[64];     /* OS_OVF_REPLY reason phrase */
	char target[256];  /* queue name or SIP URI */
} os_action_t;

typedef struct os_queue {
	char name[OS_QUEUE_NAME_MAX + 1];
	char skills[OMNIQ_SKILLS_BUF]; /* the longest list a session may have */
	int priority;      /* 0..OMNIQ_PRIORITY_MAX */
	int max_wait_s;    /* 0: as long as tm lets the INVITE live */
	os_action_t ovf;    /* max_wait passed */
	os_action_t closed; /* outside the queue's business hours */
} os_queue_t;

/* Parse one modparam value and add it; <0 with the reason in why (mod_init fails). */
int os_queue_add(const char *def, char *why, int why_len);
/* After all modparams: overflow and closed targets must name defined queues. */
int os_queue_check(char *why, int why_len);
const os_queue_t *os_queue_find(const char *name, int len);
int os_queue_index(const os_queue_t *q);
const os_queue_t *os_queue_at(int i);

#endif
