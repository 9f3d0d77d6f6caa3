/*
 * ws_load - the load client of bench/ws: web chat customers (/ws/chat, "omniq-chat") and
 * agent desks (/ws/agent, "omniq-agent") on one libwebsockets client context.
 *
 *   ws_load <host> <port> <omniq|relay> <customers> <agents> <rates> <seconds> <desk_secret>
 *           [server pid...]
 *
 * 1. Agents connect, say hello with a desk token (minted here with desk_secret, as the
 *    login would) and go available.
 * 2. Customers connect and say hello; once all are welcomed and idle, the private memory of
 *    the server pids grows by what the idle connections cost: reported per connection.
 * 3. Every customer writes once, which opens its session; agents accept what they are
 *    offered (omniq) until every customer is served.
 * 4. For each rate: customers write "b <step> <seq> <scheduled ns>" round robin, message seq
 *    of the step due at seq / rate after its start, for <seconds>; each agent desk that
 *    receives one counts it once against its own step by its seq, with its latency from when
 *    it was due (delivery.h). A message not at its desk 3 s after the step's window is not
 *    delivered: lost, or late if it comes after. The step's line is printed then; after the
 *    last step and 3 s more, a final line per step gives its late, duplicated, bogus and
 *    lost messages as they ended.
 * Every figure is printed as "RESULT <key> <value>" for ws_bench.py (figures.py reads them).
 *
 * The same client runs against the plain relay (relay.c): its welcome, ack and message frames
 * have omniq's shape, so the client cannot tell them apart except by the accept step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stdarg.h>
#include <time.h>
#include <errno.h>
#include <sys/resource.h>
#include <uv.h>
#include <libwebsockets.h>
#include <jansson.h>
#include <openssl/hmac.h>
#include <openssl/evp.h>
#include "delivery.h"

enum { CUST = 0, AGENT = 1 };
enum { C_NONE = 0, C_CONNECTING, C_OPEN, C_WELCOMED, C_FAILED };

#define QMAX 32
#define FRAME_MAX 512
#define SIDS_MAX 64

typedef struct conn {
	int kind, idx, state;
	struct lws *wsi;
	char q[QMAX][FRAME_MAX];
	int qlen[QMAX], qh, qn;
	char *rx;
	size_t rxn, rxcap;
	int ready;                /* customer: "hi" acknowledged; agent: available */
	int active;               /* agent: sessions it holds active (last inbox) */
	char asked[SIDS_MAX][24]; /* agent: sessions it asked to accept */
	int n_asked;
} conn_t;

static struct lws_context *ctx;
static uv_loop_t loop; /* epoll: a poll() over 10,500 sockets per wakeup would be the bench */
static const char *host, *mode, *desk_secret;
static int port, n_cust, n_agent, relay;
static conn_t *conns; /* agents first, then customers */
static int connecting, welcomed_c, welcomed_a, failed, hi_acked, closed;
static long long active_total;

/* the measured steps */
#define DRAIN_S 3
static ws_run_t run;
static int sending; /* the last step's messages are being handed over */
static int rr;

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int queue(conn_t *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int queue(conn_t *c, const char *fmt, ...)
{
	va_list ap;
	int at, n;

	if(c->qn == QMAX || c->wsi == NULL)
		return -1;
	at = (c->qh + c->qn) % QMAX;
	va_start(ap, fmt);
	n = vsnprintf(c->q[at], FRAME_MAX, fmt, ap);
	va_end(ap);
	if(n <= 0 || n >= FRAME_MAX)
		return -1;
	c->qlen[at] = n;
	c->qn++;
	lws_callback_on_writable(c->wsi);
	return 0;
}

static void desk_token(int idx, char *out, size_t size)
{
	unsigned char mac[32];
	unsigned int ml = sizeof(mac);
	char id[128], data[160];
	int i, n;

	snprintf(id, sizeof(id), "default|a%d/%lld", idx, (long long)time(NULL) + 86400);
	n = snprintf(data, sizeof(data), "agent|%s", id);
	HMAC(EVP_sha256(), desk_secret, (int)strlen(desk_secret), (unsigned char *)data,
			(size_t)n, mac, &ml);
	n = snprintf(out, size, "%s.", id);
	for(i = 0; i < 32 && (size_t)n + 2 < size; i++)
		n += snprintf(out + n, size - (size_t)n, "%02x", mac[i]);
}

static void on_agent_inbox(conn_t *c, json_t *inbox)
{
	size_t i, j;
	json_t *s;
	int active = 0;

	json_array_foreach(inbox, i, s)
	{
		const char *sid = json_string_value(json_object_get(s, "sid"));
		const char *st = json_string_value(json_object_get(s, "state"));
		int seen = 0;
		if(sid == NULL || st == NULL)
			continue;
		if(!strcmp(st, "active"))
			active++;
		if(strcmp(st, "offered"))
			continue;
		for(j = 0; j < (size_t)c->n_asked; j++)
			if(!strcmp(c->asked[j], sid))
				seen = 1;
		if(seen || c->n_asked == SIDS_MAX)
			continue;
		snprintf(c->asked[c->n_asked++], sizeof(c->asked[0]), "%s", sid);
		queue(c, "{\"type\":\"accept\",\"sid\":\"%s\",\"rid\":\"a%s\"}", sid, sid);
	}
	active_total += active - c->active;
	c->active = active;
}

static void on_frame(conn_t *c, const char *buf, size_t len)
{
	json_error_t err;
	json_t *m = json_loadb(buf, len, 0, &err);
	const char *type = m ? json_string_value(json_object_get(m, "type")) : NULL;

	if(type == NULL) {
		fprintf(stderr, "ws_load: frame without a type: %.*s\n", (int)(len > 200 ? 200 : len),
				buf);
		json_decref(m);
		return;
	}
	if(!strcmp(type, "welcome")) {
		if(c->state != C_WELCOMED) {
			c->state = C_WELCOMED;
			if(c->kind == CUST)
				welcomed_c++;
			else
				welcomed_a++;
		}
		if(c->kind == AGENT && json_is_array(json_object_get(m, "inbox")))
			on_agent_inbox(c, json_object_get(m, "inbox"));
	} else if(!strcmp(type, "inbox") && c->kind == AGENT) {
		on_agent_inbox(c, json_object_get(m, "inbox"));
	} else if(!strcmp(type, "ack") && c->kind == CUST) {
		const char *cid = json_string_value(json_object_get(m, "cid"));
		if(cid && !strcmp(cid, "hi") && !c->ready) {
			c->ready = 1;
			hi_acked++;
		}
	} else if(!strcmp(type, "message") && c->kind == AGENT) {
		const char *text = json_string_value(json_object_get(m, "text"));
		int step;
		long long seq, sched;
		if(text && sscanf(text, "b %d %lld %lld", &step, &seq, &sched) == 3)
			ws_run_arrival(&run, step, seq, sched, now_ns());
	} else if(!strcmp(type, "error")) {
		fprintf(stderr, "ws_load: %s %d got %.*s\n", c->kind == CUST ? "customer" : "agent",
				c->idx, (int)(len > 200 ? 200 : len), buf);
	}
	json_decref(m);
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	conn_t *c = (conn_t *)user;
	unsigned char buf[LWS_PRE + FRAME_MAX];

	switch(reason) {
		case LWS_CALLBACK_CLIENT_ESTABLISHED:
			connecting--;
			c->state = C_OPEN;
			if(c->kind == CUST) {
				queue(c, "{\"type\":\"hello\"}");
			} else {
				char tok[256];
				desk_token(c->idx, tok, sizeof(tok));
				queue(c, "{\"type\":\"hello\",\"token\":\"%s\"}", tok);
				queue(c, "{\"type\":\"state\",\"state\":\"available\",\"rid\":\"s\"}");
			}
			return 0;
		case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
			if(c) {
				if(c->state == C_CONNECTING)
					connecting--;
				c->state = C_FAILED;
				c->wsi = NULL;
				failed++;
				fprintf(stderr, "ws_load: %s %d: %s\n", c->kind == CUST ? "customer" : "agent",
						c->idx, in ? (char *)in : "connection error");
			}
			return 0;
		case LWS_CALLBACK_CLIENT_RECEIVE:
			if(c->rxn + len > c->rxcap) {
				size_t cap = (c->rxn + len) * 2;
				char *nb = realloc(c->rx, cap);
				if(nb == NULL)
					return -1;
				c->rx = nb;
				c->rxcap = cap;
			}
			memcpy(c->rx + c->rxn, in, len);
			c->rxn += len;
			if(lws_is_final_fragment(wsi)) {
				on_frame(c, c->rx, c->rxn);
				c->rxn = 0;
			}
			return 0;
		case LWS_CALLBACK_CLIENT_WRITEABLE:
			if(c->qn == 0)
				return 0;
			memcpy(buf + LWS_PRE, c->q[c->qh], (size_t)c->qlen[c->qh]);
			if(lws_write(wsi, buf + LWS_PRE, (size_t)c->qlen[c->qh], LWS_WRITE_TEXT)
					< c->qlen[c->qh])
				return -1;
			c->qh = (c->qh + 1) % QMAX;
			c->qn--;
			if(c->qn)
				lws_callback_on_writable(wsi);
			return 0;
		case LWS_CALLBACK_CLIENT_CLOSED:
			if(c) {
				c->wsi = NULL;
				closed++;
				fprintf(stderr, "ws_load: %s %d closed by the server\n",
						c->kind == CUST ? "customer" : "agent", c->idx);
			}
			return 0;
		default:
			break;
	}
	return 0;
}

static struct lws_protocols protocols[] = {
	{"bench", cb, 0, FRAME_MAX * 4, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

static void connect_one(conn_t *c)
{
	struct lws_client_connect_info ci;

	memset(&ci, 0, sizeof(ci));
	ci.context = ctx;
	ci.address = host;
	ci.port = port;
	ci.path = c->kind == CUST ? "/ws/chat" : "/ws/agent";
	ci.host = host;
	ci.origin = host;
	ci.protocol = c->kind == CUST ? "omniq-chat" : "omniq-agent";
	ci.local_protocol_name = "bench";
	ci.userdata = c;
	ci.pwsi = &c->wsi;
	c->state = C_CONNECTING;
	connecting++;
	if(lws_client_connect_via_info(&ci) == NULL && c->state == C_CONNECTING) {
		connecting--;
		c->state = C_FAILED;
		failed++;
	}
}

/* Serve until done() or the timeout; connects conns[from..to) at most `window` at a time. */
static int serve_until(int (*done)(void), double timeout_s, int from, int to, int window)
{
	int64_t end = now_ns() + (int64_t)(timeout_s * 1e9);
	int next = from;

	while(!done()) {
		while(next < to && connecting < window)
			connect_one(&conns[next++]);
		if(now_ns() > end)
			return -1;
		uv_run(&loop, UV_RUN_ONCE);
	}
	return 0;
}

static int agents_up(void) { return welcomed_a + failed >= n_agent; }
static int custs_up(void) { return welcomed_c + failed >= n_cust; } /* agents: all up */
static int all_served(void)
{
	return relay ? hi_acked >= welcomed_c : (hi_acked >= welcomed_c && active_total >= hi_acked);
}

static long private_kb(int argc, char **argv, int first)
{
	long total = 0;
	int i;

	for(i = first; i < argc; i++) {
		char path[64], line[256];
		FILE *f;
		snprintf(path, sizeof(path), "/proc/%s/smaps_rollup", argv[i]);
		f = fopen(path, "r");
		if(f == NULL)
			continue;
		while(fgets(line, sizeof(line), f)) {
			long kb;
			if(sscanf(line, "Private_Dirty: %ld kB", &kb) == 1
					|| sscanf(line, "Private_Clean: %ld kB", &kb) == 1)
				total += kb;
		}
		fclose(f);
	}
	return total;
}

/* One due message to the next ready customer, round robin, stamped with its step, seq and
 * the time it was due. */
static int send_one(void *arg __attribute__((unused)), int step, long long seq, int64_t sched)
{
	int tries;

	for(tries = 0; tries < n_cust; tries++) {
		conn_t *c = &conns[n_agent + rr];
		rr = (rr + 1) % n_cust;
		if(c->ready && c->wsi)
			return queue(c, "{\"type\":\"message\",\"text\":\"b %d %lld %lld\"}", step, seq,
						   (long long)sched) == 0 ? WS_SEND_OK : WS_SEND_SKIP;
	}
	return WS_SEND_LATER;
}

/* The pacing tick: every ms, every message of the step due by now (delivery.c). */
static lws_sorted_usec_list_t tick;
static void on_tick(lws_sorted_usec_list_t *s __attribute__((unused)))
{
	ws_step_t *st = &run.steps[run.n - 1];

	ws_run_tick(&run, now_ns(), send_one, NULL);
	if(sending && st->next < st->n)
		lws_sul_schedule(ctx, 0, &tick, on_tick, 1000);
}

/* lws_service() sleeps until the next event: this one comes every 10 ms, so that the
 * phase deadlines are checked on time even when no traffic flows. */
static lws_sorted_usec_list_t beat;
static void on_beat(lws_sorted_usec_list_t *s __attribute__((unused)))
{
	lws_sul_schedule(ctx, 0, &beat, on_beat, 10000);
}

static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec
		   + ru.ru_stime.tv_usec / 1e6;
}

static int64_t serve_for_end;
static int serve_for_done(void) { return now_ns() >= serve_for_end; }
static void serve_to(int64_t end)
{
	serve_for_end = end;
	serve_until(serve_for_done, (double)(end - now_ns()) / 1e9 + 1, 0, 0, 0);
}
static void serve_for(double s) { serve_to(now_ns() + (int64_t)(s * 1e9)); }

/* connections of a kind welcomed and still open */
static int open_now(int kind)
{
	int i, n = 0;

	for(i = 0; i < n_agent + n_cust; i++)
		n += conns[i].kind == kind && conns[i].state == C_WELCOMED && conns[i].wsi != NULL;
	return n;
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct rlimit rl;
	char *rates, *tok;
	int seconds, i;
	void *foreign[] = {&loop};
	long mem0, mem1;
	double cpu0;
	int64_t t0;

	if(argc < 9) {
		fprintf(stderr, "usage: %s host port omniq|relay customers agents rates seconds "
						"desk_secret [server pid...]\n", argv[0]);
		return 2;
	}
	host = argv[1];
	port = atoi(argv[2]);
	mode = argv[3];
	relay = !strcmp(mode, "relay");
	n_cust = atoi(argv[4]);
	n_agent = atoi(argv[5]);
	rates = argv[6];
	seconds = atoi(argv[7]);
	desk_secret = argv[8];
	if(n_cust < 1 || n_agent < 1 || seconds < 1)
		return 2;
	if(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)(n_cust + n_agent + 64)) {
		fprintf(stderr, "ws_load: %ld open files allowed, %d connections wanted (ulimit -n)\n",
				(long)rl.rlim_cur, n_cust + n_agent);
		return 2;
	}
	conns = calloc((size_t)(n_cust + n_agent), sizeof(conn_t));
	if(conns == NULL)
		return 1;
	for(i = 0; i < n_agent + n_cust; i++) {
		conns[i].kind = i < n_agent ? AGENT : CUST;
		conns[i].idx = i < n_agent ? i : i - n_agent;
	}
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	/* no fd_limit_per_thread: lws then finds a socket's wsi by a linear search of its
	 * table (11 % of this client's CPU at 8,000 msg/s) instead of indexing it by fd; the
	 * table is sized by the descriptor limit, raised by run.sh */
	info.timeout_secs = 30;
	info.options = LWS_SERVER_OPTION_LIBUV;
	info.foreign_loops = foreign;
	if(uv_loop_init(&loop) != 0)
		return 1;
	ctx = lws_create_context(&info);
	if(ctx == NULL)
		return 1;

	lws_sul_schedule(ctx, 0, &beat, on_beat, 10000);
	/* 1. agents */
	t0 = now_ns();
	if(serve_until(agents_up, 60, 0, n_agent, 64) < 0 || welcomed_a < n_agent) {
		fprintf(stderr, "ws_load: %d of %d agents welcomed\n", welcomed_a, n_agent);
		return 1;
	}
	serve_for(1.0); /* their state requests */
	mem0 = private_kb(argc, argv, 9);
	/* 2. customers, idle */
	t0 = now_ns();
	serve_until(custs_up, 120, n_agent, n_agent + n_cust, 256);
	printf("RESULT connect_s %.2f\n", (double)(now_ns() - t0) / 1e9);
	serve_for(2.0);
	mem1 = private_kb(argc, argv, 9);
	/* held: open when the memory was measured; what a closed one cost is freed */
	printf("RESULT customers_held %d\nRESULT agents_held %d\nRESULT failed %d\n"
		   "RESULT closed %d\n", open_now(CUST), open_now(AGENT), failed, closed);
	if(argc > 9)
		printf("RESULT server_private_kb_before %ld\nRESULT server_private_kb_after %ld\n",
				mem0, mem1);
	fflush(stdout);
	if(welcomed_c == 0)
		return 1;

	/* 3. every customer opens its session; agents accept */
	t0 = now_ns();
	for(i = n_agent; i < n_agent + n_cust; i++)
		if(conns[i].state == C_WELCOMED && conns[i].wsi)
			queue(&conns[i], "{\"type\":\"message\",\"text\":\"hi\",\"cid\":\"hi\"}");
	if(serve_until(all_served, 300, 0, 0, 0) < 0)
		fprintf(stderr, "ws_load: served %lld of %d (acked %d) after 300 s\n", active_total,
				welcomed_c, hi_acked);
	printf("RESULT sessions_served %lld\nRESULT open_s %.2f\n", relay ? hi_acked : active_total,
			(double)(now_ns() - t0) / 1e9);
	fflush(stdout);

	/* 4. the rate steps */
	for(tok = strtok(rates, ","); tok; tok = strtok(NULL, ",")) {
		ws_step_t *st = ws_run_step(&run, atoll(tok), seconds, now_ns(),
				(int64_t)DRAIN_S * 1000000000);
		if(st == NULL) {
			fprintf(stderr, "ws_load: no memory for a step of %s msg/s\n", tok);
			return 1;
		}
		cpu0 = cpu_s();
		sending = 1;
		on_tick(NULL);
		serve_to(st->deadline);
		sending = 0;
		lws_sul_cancel(&tick);
		ws_run_stop_sending(&run);
		printf("RESULT step rate=%lld sent=%lld skipped=%lld delivered=%lld in_window=%lld "
			   "dup=%lld bogus=%lld lost=%lld msg_per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
			   "max_ms=%.2f p50_send_ms=%.2f p99_send_ms=%.2f client_cpu=%.0f%%\n",
				st->rate, st->sent, st->skipped, st->delivered, st->in_window, st->dup,
				st->bogus, ws_step_lost(st), (double)st->in_window / seconds,
				ws_latency_ms(&st->from_due, 0.5), ws_latency_ms(&st->from_due, 0.99),
				ws_latency_ms(&st->from_due, 1.0), ws_latency_ms(&st->from_send, 0.5),
				ws_latency_ms(&st->from_send, 0.99),
				100.0 * (cpu_s() - cpu0) / (seconds + DRAIN_S));
		fflush(stdout);
	}
	/* what came after its step's line: late, duplicated or bogus */
	serve_for(DRAIN_S);
	for(i = 0; i < run.n; i++)
		printf("RESULT final step=%d delivered=%lld late=%lld dup=%lld bogus=%lld lost=%lld\n",
				i, run.steps[i].delivered, run.steps[i].late, run.steps[i].dup,
				run.steps[i].bogus, ws_step_lost(&run.steps[i]));
	printf("RESULT bogus %lld\n", run.bogus);
	fflush(stdout);
	/* no lws_context_destroy(): it closes 10,000 sockets politely, one handshake each; the
	 * process exit closes them at once */
	return 0;
}
