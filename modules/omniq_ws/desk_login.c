/*
 * desk_login.c - see desk_login.h. The loop queues a check and goes on; the checker thread
 * takes checks in order, makes them with the core on its own Redis connection (the count of
 * attempts across processes and nodes, login_try, then the password, agent_verify) and
 * hands them back; the loop then tells its own login guard and answers. At most
 * login_rate checks wait at a time (each admitted by the guard, login_rate a second), so
 * the queue is bounded however slow Redis is. Plain malloc (the lws loop's memory).
 *
 * Who touches what: the loop keeps every check it queued and has not answered in its own
 * list (`waiting`), so that a connection that closes finds its check
 * wherever it is, even the one the checker is making; a check's conn and its place in that
 * list belong to the loop only. The checker reads tenant, peer, agent and password and
 * writes rc, wait and why, which the loop does not touch until the check is handed back.
 * The two queues (todo, done) are under mu.
 */
#define _GNU_SOURCE 1 /* gettid */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <errno.h>
#include <pthread.h>
#include <unistd.h>
#include <sys/resource.h>
#include <openssl/crypto.h>

#include "core/dprint.h"

#include "desk_login.h"
#include "login_guard.h"
#include "token.h"
#include "ratelog.h"

#define CHECKER_NICE 10

typedef struct check {
	struct check *next;    /* in todo or done */
	struct check *wprev, *wnext; /* in waiting */
	void *conn;            /* the request's connection; NULL once it closed */
	int tenant;            /* index (api.tenant_at) */
	str tname, agent, pw;  /* in buf */
	char peer[64];
	char *buf;             /* one allocation: tenant\0agent\0password\0 */
	int rc;                /* agent_verify's, or login_try's failure */
	int wait;              /* > 0: refused unchecked, the count is full for this long */
	long long epoch;       /* the agent's token epoch, for the token (api.agent_token) */
	char why[128];         /* last_error() when rc is not OMNIQ_OK or OMNIQ_EAGENT */
} check_t;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static check_t *todo, **todo_end = &todo, *done, **done_end = &done;
static check_t *waiting; /* the loop's: queued and not yet answered */
static struct lws_context *lws_ctx;

/* The checker's part: the attempt is counted across processes (or refused, the count being
 * full), then the password checked, then the count told how it went. */
static void check(check_t *c)
{
	char k[WS_LOGIN_KEY_MAX];
	str key;
	int rc;

	ws_login_key(c->peer, c->agent.s, c->agent.len, k);
	key.s = k;
	key.len = (int)strlen(k);
	c->wait = 0;
	rc = ws_oq.login_try(&key, ws_cfg.login_fails, ws_cfg.login_window, &c->wait);
	if(rc < 0) { /* Redis down: not checked */
		c->rc = rc;
		snprintf(c->why, sizeof(c->why), "%s", ws_oq.last_error());
		return;
	}
	if(rc == 0) { /* refused: c->wait > 0 */
		c->rc = OMNIQ_OK;
		return;
	}
	c->rc = ws_oq.agent_verify(&c->agent, &c->pw);
	if(c->rc == OMNIQ_OK) /* the token is good while this epoch is the agent's */
		c->rc = ws_oq.agent_token(&c->agent, &c->epoch);
	if(c->rc != OMNIQ_OK && c->rc != OMNIQ_EAGENT)
		snprintf(c->why, sizeof(c->why), "%s", ws_oq.last_error());
	rc = c->rc == OMNIQ_OK ? 1 : c->rc == OMNIQ_EAGENT ? 0 : -1;
	if(ws_oq.login_done(&key, rc) < 0)
		LM_WARN("desk login of agent '%.*s' from %s: its count not updated: %s\n",
				c->agent.len > 64 ? 64 : c->agent.len, c->agent.s, c->peer,
				ws_oq.last_error());
}

static void *checker(void *arg)
{
	check_t *c;

	(void)arg;
	/* A check is tens of milliseconds of CPU: on a busy machine the loops' sockets come
	 * first, a login may take a little longer (Linux: a thread's own nice value). */
	if(setpriority(PRIO_PROCESS, (id_t)gettid(), CHECKER_NICE) != 0)
		LM_DBG("login checker keeps its priority: %s\n", strerror(errno));
	for(;;) {
		pthread_mutex_lock(&mu);
		while(todo == NULL)
			pthread_cond_wait(&cv, &mu);
		c = todo;
		if((todo = c->next) == NULL)
			todo_end = &todo;
		pthread_mutex_unlock(&mu);
		ws_oq.tenant_use_index(c->tenant);
		check(c);
		c->next = NULL;
		pthread_mutex_lock(&mu);
		*done_end = c;
		done_end = &c->next;
		pthread_mutex_unlock(&mu);
		lws_cancel_service(lws_ctx); /* the loop answers in ws_desk_login_pump() */
	}
	return NULL;
}

static void check_free(check_t *c)
{
	OPENSSL_cleanse(c->pw.s, (size_t)c->pw.len);
	free(c->buf);
	free(c);
}

static void too_many(ws_resp_t *rs, int wait)
{
	ws_error(rs, 429, "too_many_attempts", "too many failed logins: try again in %d seconds",
			wait);
	rs->retry_after = wait;
}

/* The answer to a check: a token "<tenant>|<agent>#<epoch>/<expiry>" signed with
 * desk_secret (desk.c checks it). */
static void answer(check_t *c, ws_resp_t *rs)
{
	char id[2 * OMNIQ_ID_MAX + 64], tok[WS_TOKEN_MAX];
	long long exp;
	int n = c->agent.len > OMNIQ_ID_MAX ? OMNIQ_ID_MAX : c->agent.len;

	/* Redis down, a PBKDF2 failure or the count full elsewhere: not checked, neither a
	 * failure nor a success for this process's guard */
	ws_login_result(c->peer, c->agent.s, c->agent.len, time(NULL),
			c->wait > 0 ? -1 : c->rc == OMNIQ_OK ? 1 : c->rc == OMNIQ_EAGENT ? 0 : -1);
	if(c->wait > 0) {
		LM_NOTICE("desk login of agent '%.*s' from %s not checked: too_many_attempts (on "
				  "any process)\n", n, c->agent.s, c->peer);
		too_many(rs, c->wait);
		return;
	}
	if(c->rc == OMNIQ_EAGENT) {
		LM_NOTICE("desk login refused for agent '%.*s' from %s\n", n, c->agent.s, c->peer);
		ws_error(rs, 401, "unauthorized", "wrong agent or password");
		return;
	}
	if(ws_omniq_fail(rs, c->rc, c->why) < 0) {
		LM_WARN("desk login of agent '%.*s' from %s not checked: %s\n", n, c->agent.s, c->peer,
				c->why);
		return;
	}
	exp = (long long)time(NULL) + ws_cfg.desk_token_ttl;
	snprintf(id, sizeof(id), "%.*s|%.*s#%lld/%lld", c->tname.len, c->tname.s, c->agent.len,
			c->agent.s, c->epoch, exp);
	if(ws_token_make(ws_cfg.desk_secret, "agent", id, tok, sizeof(tok)) < 0) {
		ws_error(rs, 500, "internal", "cannot sign the token");
		return;
	}
	rs->status = 200;
	rs->json = json_pack("{s:s,s:s%,s:s%,s:I}", "token", tok, "agent", c->agent.s,
			(size_t)c->agent.len, "tenant", c->tname.s, (size_t)c->tname.len, "expires",
			(json_int_t)exp);
}

void ws_desk_login_pump(void)
{
	ws_resp_t rs;
	check_t *c, *next;

	pthread_mutex_lock(&mu);
	c = done;
	done = NULL;
	done_end = &done;
	pthread_mutex_unlock(&mu);
	for(; c; c = next) {
		next = c->next;
		if(c->wprev)
			c->wprev->wnext = c->wnext;
		else
			waiting = c->wnext;
		if(c->wnext)
			c->wnext->wprev = c->wprev;
		memset(&rs, 0, sizeof(rs));
		answer(c, &rs); /* also for a closed connection: the guard counts its result */
		if(c->conn)
			ws_http_answer(c->conn, &rs);
		else if(rs.json)
			json_decref(rs.json);
		check_free(c);
	}
}

void ws_desk_login_forget(void *conn)
{
	check_t *c;

	for(c = waiting; c; c = c->wnext)
		if(c->conn == conn)
			c->conn = NULL;
}

/* A check for the loop to queue: copies of what it needs; NULL when out of memory. */
static check_t *check_new(const ws_req_t *rq, const str *tenant, const str *aid, const str *pw)
{
	check_t *c = calloc(1, sizeof(*c));
	char *b;

	if(c == NULL || (b = malloc((size_t)(tenant->len + aid->len + pw->len) + 3)) == NULL) {
		free(c);
		return NULL;
	}
	c->buf = b;
	c->conn = rq->conn;
	c->tenant = ws_oq.tenant_index(); /* the login's, made current by the caller */
	snprintf(c->peer, sizeof(c->peer), "%s", rq->peer);
	c->tname.s = b;
	c->tname.len = tenant->len;
	memcpy(b, tenant->s, (size_t)tenant->len);
	b[tenant->len] = '\0';
	c->agent.s = b += tenant->len + 1;
	c->agent.len = aid->len;
	memcpy(b, aid->s, (size_t)aid->len);
	b[aid->len] = '\0';
	c->pw.s = b += aid->len + 1;
	c->pw.len = pw->len;
	memcpy(b, pw->s, (size_t)pw->len);
	b[pw->len] = '\0';
	return c;
}

/* Logins refused without a check come by the thousand in an attack: one line per 10 s
 * (ratelog.h). */
static void refused_unchecked(const str *aid, const char *peer, const char *code)
{
	static ws_ratelog_t rl = WS_RATELOG(10000);
	int n = aid->len > OMNIQ_ID_MAX ? OMNIQ_ID_MAX : aid->len;
	unsigned long held;

	if(!ws_ratelog_due(&rl, &held))
		return;
	if(held)
		LM_NOTICE("desk login of agent '%.*s' from %s not checked: %s (%lu more logins "
				  "refused unchecked since the last such line)\n", n, aid->s, peer, code, held);
	else
		LM_NOTICE("desk login of agent '%.*s' from %s not checked: %s\n", n, aid->s, peer,
				code);
}

void ws_desk_login(const ws_req_t *rq, ws_resp_t *rs)
{
	const char *code;
	str aid, pw, tenant;
	int wait, queued = 0;
	check_t *c;

	if(strcmp(rq->method, "POST")) {
		ws_error(rs, 405, "method_not_allowed", "%s /api/v1/desk/login", rq->method);
		return;
	}
	if(ws_body_str(rq, rs, "agent", 1, &aid) < 0 || ws_body_str(rq, rs, "password", 1, &pw) < 0
			|| ws_body_str(rq, rs, "tenant", 0, &tenant) < 0)
		return;
	for(c = waiting; c && queued < ws_cfg.login_rate; c = c->wnext)
		queued++;
	if(queued >= ws_cfg.login_rate) {
		code = "busy";
		wait = 1;
	} else {
		wait = ws_login_admit(rq->peer, aid.s, aid.len, time(NULL), &code);
	}
	if(wait > 0) {
		refused_unchecked(&aid, rq->peer, code);
		if(!strcmp(code, "rate_limited")) {
			ws_error(rs, 429, code, "too many logins from this address at once: try again "
									"in a second");
			rs->retry_after = wait;
			return;
		}
		if(strcmp(code, "busy")) {
			too_many(rs, wait);
			return;
		}
		ws_error(rs, 503, code, "too many logins at once: try again in a second");
		rs->retry_after = wait;
		return;
	}
	if(tenant.s == NULL)
		ws_oq.tenant_at(0, &tenant, NULL);
	else if(ws_oq.tenant_use(&tenant) < 0) {
		/* as for a wrong password: a login does not tell which tenants exist */
		LM_NOTICE("desk login refused: no tenant '%.*s'\n",
				tenant.len > OMNIQ_ID_MAX ? OMNIQ_ID_MAX : tenant.len,
				tenant.s);
		ws_login_result(rq->peer, aid.s, aid.len, time(NULL), 0);
		ws_error(rs, 401, "unauthorized", "wrong agent or password");
		return;
	}
	if((c = check_new(rq, &tenant, &aid, &pw)) == NULL) {
		ws_login_result(rq->peer, aid.s, aid.len, time(NULL), -1);
		ws_error(rs, 503, "busy", "out of memory: try again in a second");
		rs->retry_after = 1;
		return;
	}
	c->wnext = waiting;
	if(waiting)
		waiting->wprev = c;
	waiting = c;
	pthread_mutex_lock(&mu);
	*todo_end = c;
	todo_end = &c->next;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	rs->later = 1;
}

int ws_desk_login_start(struct lws_context *ctx)
{
	lws_ctx = ctx;
	return ws_thread_start(checker, "logins");
}
