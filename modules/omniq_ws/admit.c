/*
 * admit.c - see admit.h.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "core/dprint.h"
#include "omniq/omniq_clock.h"

#include "ws.h"
#include "admit.h"

#define RESERVED_FDS 64   /* Redis connections, threads' sockets, files: not for clients */
#define REPORT_MS 10000   /* what was refused or closed is said at most this often */
#define SWEEP_MS 250      /* pending connections' deadlines are checked this often */
#define PAUSE_MS 100      /* the listener rests when no descriptor is left even to refuse */
#define ADDR_BUCKETS 1024
#define ACCEPT_TURN 1024  /* connections taken in one turn of the loop at most */

typedef struct conn {
	struct conn *prev, *next; /* the pending list, oldest first (while pending) */
	struct lws *wsi;
	struct addr *addr;        /* its address's count (while pending) */
	long long since;          /* ms it was accepted (monotonic) */
	int pending, ws;
	const char *doomed;       /* a WebSocket to close with 1008 and this reason */
} conn_t;

/* pending connections of one client address */
typedef struct addr {
	struct addr *next;
	unsigned char ip[16];     /* IPv4 as ::ffff:a.b.c.d */
	int n;
} addr_t;

static struct {
	uv_loop_t *loop;
	uv_timer_t sweep, report, pause;
	struct lws_vhost *vh;
	struct lws *listener;     /* the adopted listening descriptor, for flow control */
	int fd, spare, rank, max, total, npending, paused;
	conn_t *head, *tail;      /* pending, oldest first */
	addr_t *addrs[ADDR_BUCKETS];
	unsigned long over_addr, over_total, made_way, late, no_fd, failed;
	unsigned long said[6];    /* the counts at the last report */
	int last_errno;
} ad = {.fd = -1, .spare = -1};

static unsigned bucket(const unsigned char *ip)
{
	uint32_t h = 2166136261u;
	int i;

	for(i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 16777619u;
	return h & (ADDR_BUCKETS - 1);
}

static addr_t *addr_get(const unsigned char *ip, int create)
{
	addr_t **pp = &ad.addrs[bucket(ip)], *a;

	for(a = *pp; a; a = a->next)
		if(memcmp(a->ip, ip, 16) == 0)
			return a;
	if(!create || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	memcpy(a->ip, ip, 16);
	a->next = *pp;
	*pp = a;
	return a;
}

/* An address with no pending connection left is forgotten. */
static void addr_drop_unused(addr_t *a)
{
	addr_t **pp = &ad.addrs[bucket(a->ip)];

	if(a->n > 0)
		return;
	while(*pp != a)
		pp = &(*pp)->next;
	*pp = a->next;
	free(a);
}

static void addr_put(addr_t *a)
{
	a->n--;
	addr_drop_unused(a);
}

static void pending_off(conn_t *c)
{
	if(!c->pending)
		return;
	c->pending = 0;
	ad.npending--;
	if(c->prev)
		c->prev->next = c->next;
	else
		ad.head = c->next;
	if(c->next)
		c->next->prev = c->prev;
	else
		ad.tail = c->prev;
	c->prev = c->next = NULL;
	if(c->addr)
		addr_put(c->addr);
	c->addr = NULL;
}

/* Closed soon (counted in total until it is gone): a WebSocket from its own timer callback
 * (ws_sock_late), so that its close frame says why - lws sends none for a close asked from
 * the writable callback or by a timeout; an HTTP connection by lws. */
static void close_conn(conn_t *c, const char *why)
{
	pending_off(c);
	if(c->ws) {
		c->doomed = why;
		lws_set_timer_usecs(c->wsi, 1);
		/* and killed anyway if it does not get there */
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, 2);
	} else
		lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

static void to_ip(const struct sockaddr_storage *ss, unsigned char *ip)
{
	memset(ip, 0, 16);
	if(ss->ss_family == AF_INET6)
		memcpy(ip, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	else if(ss->ss_family == AF_INET) {
		ip[10] = ip[11] = 0xff;
		memcpy(ip + 12, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

/* One accepted descriptor: adopted, or closed with the reason counted. */
static void admit(int fd, const struct sockaddr_storage *ss)
{
	unsigned char ip[16];
	lws_sock_file_fd_type sock;
	addr_t *a;
	conn_t *c;

	to_ip(ss, ip);
	a = addr_get(ip, 0);
	if(a && a->n >= ws_cfg.max_pending_per_address) {
		ad.over_addr++;
		close(fd);
		return;
	}
	if(ad.total >= ad.max) {
		if(ad.head == NULL) {
			ad.over_total++;
			close(fd);
			return;
		}
		ad.made_way++;
		close_conn(ad.head, "server busy");
		a = addr_get(ip, 0); /* that may have been its address's last pending one */
	}
	if((a == NULL && (a = addr_get(ip, 1)) == NULL) || (c = calloc(1, sizeof(*c))) == NULL) {
		ad.failed++;
		close(fd);
		if(a)
			addr_drop_unused(a);
		return;
	}
	sock.sockfd = fd;
	c->wsi = lws_adopt_descriptor_vhost(ad.vh,
			LWS_ADOPT_SOCKET | LWS_ADOPT_HTTP | (ws_cfg.cert ? LWS_ADOPT_ALLOW_SSL : 0), sock,
			NULL, NULL);
	if(c->wsi == NULL) { /* lws closed fd */
		ad.failed++;
		free(c);
		addr_drop_unused(a);
		return;
	}
	ad.total++;
	lws_set_opaque_user_data(c->wsi, c);
	c->since = omniq_mono_ms();
	c->pending = 1;
	ad.npending++;
	c->addr = a;
	a->n++;
	c->prev = ad.tail;
	if(ad.tail)
		ad.tail->next = c;
	else
		ad.head = c;
	ad.tail = c;
}

static void resume(uv_timer_t *t)
{
	ad.paused = 0;
	if(ad.listener)
		lws_rx_flow_control(ad.listener, 1);
}

void ws_admit_accept(void)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int c, turn, empty;

	/* at most ACCEPT_TURN a turn: the loop serves its sockets between bursts */
	for(turn = 0; turn < ACCEPT_TURN; turn++) {
		sl = sizeof(ss);
		c = accept4(ad.fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if(c >= 0) {
			admit(c, &ss);
			continue;
		}
		if(errno == EAGAIN || errno == EWOULDBLOCK) /* another process may take some */
			return;
		if(errno == EINTR || errno == ECONNABORTED)
			continue;
		ad.last_errno = errno;
		if((errno == EMFILE || errno == ENFILE) && ad.spare >= 0) {
			/* no descriptor left: give up the spare to take the client and close it, so
			 * that it is told at once and the listener does not stay readable for it */
			/* (accept() says EMFILE before it looks at the queue: it may be empty) */
			close(ad.spare);
			ad.spare = -1;
			c = accept4(ad.fd, NULL, NULL, SOCK_CLOEXEC);
			empty = c < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
			if(c >= 0) {
				close(c);
				ad.no_fd++;
			}
			ad.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
			if(empty)
				return;
			if(ad.spare >= 0 && c >= 0)
				continue;
		} else
			ad.failed++;
		/* nothing to take the next one with: rest, and try again shortly */
		if(!ad.paused && ad.listener) {
			ad.paused = 1;
			lws_rx_flow_control(ad.listener, 0);
			uv_timer_start(&ad.pause, resume, PAUSE_MS, 0);
		}
		return;
	}
}

void ws_admit_listener(struct lws *wsi)
{
	ad.listener = wsi;
}

static conn_t *conn_of(struct lws *wsi)
{
	return wsi ? (conn_t *)lws_get_opaque_user_data(wsi) : NULL;
}

void ws_admit_known(struct lws *wsi)
{
	conn_t *c = conn_of(wsi);

	if(c)
		pending_off(c);
}

void ws_admit_websocket(struct lws *wsi)
{
	conn_t *c = conn_of(wsi);

	if(c)
		c->ws = 1;
}

const char *ws_admit_doomed(struct lws *wsi)
{
	conn_t *c = conn_of(wsi);

	return c ? c->doomed : NULL;
}

void ws_admit_gone(struct lws *wsi)
{
	conn_t *c = conn_of(wsi);

	if(c == NULL)
		return;
	lws_set_opaque_user_data(wsi, NULL);
	pending_off(c);
	ad.total--;
	free(c);
}

static void sweep(uv_timer_t *t)
{
	long long now = omniq_mono_ms(), limit = (long long)ws_cfg.hello_timeout * 1000;

	while(ad.head && now - ad.head->since >= limit) {
		ad.late++;
		close_conn(ad.head, "nothing said in time");
	}
}

static void report(uv_timer_t *t)
{
	unsigned long now[6] = {ad.over_addr, ad.over_total, ad.made_way, ad.late, ad.no_fd,
			ad.failed};
	unsigned long d[6];
	int i, any = 0;

	for(i = 0; i < 6; i++) {
		d[i] = now[i] - ad.said[i];
		any |= d[i] != 0;
		ad.said[i] = now[i];
	}
	if(!any)
		return;
	LM_WARN("omniq_ws process %d, last %d s: %lu connections refused (%lu over %d pending "
			"from one address, %lu over %d in all), %lu pending ones closed to make way, "
			"%lu closed for saying nothing within %d s, %lu taken and closed with no "
			"descriptor left, %lu could not be taken%s%s%s; now %d open, %d pending\n",
			ad.rank, REPORT_MS / 1000, d[0] + d[1], d[0], ws_cfg.max_pending_per_address, d[1],
			ad.max, d[2], d[3], ws_cfg.hello_timeout, d[4], d[5],
			ad.last_errno ? " (last accept error: " : "",
			ad.last_errno ? strerror(ad.last_errno) : "", ad.last_errno ? ")" : "", ad.total,
			ad.npending);
	ad.last_errno = 0;
}

int ws_admit_start(uv_loop_t *loop, int rank, struct lws_vhost *vh, int listen_fd)
{
	struct rlimit rl;
	long room = 1024;

	ad.loop = loop;
	ad.rank = rank;
	ad.vh = vh;
	ad.fd = listen_fd;
	if(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		room = (long)rl.rlim_cur - RESERVED_FDS;
	if(room < 16)
		room = 16;
	ad.max = ws_cfg.max_connections ? ws_cfg.max_connections : (int)(room > 1000000 ? 1000000 : room);
	if(ad.max > room) {
		LM_WARN("omniq_ws process %d: max_connections %d is more than its open-files limit "
				"leaves (%ld): the limit is what it takes (raise the limit, e.g. kamailio's "
				"open_files_limit, or lower max_connections)\n", rank, ad.max, room);
		ad.max = (int)room;
	}
	ad.spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if(ad.spare < 0 || uv_timer_init(loop, &ad.sweep) != 0 || uv_timer_init(loop, &ad.report) != 0
			|| uv_timer_init(loop, &ad.pause) != 0
			|| uv_timer_start(&ad.sweep, sweep, SWEEP_MS, SWEEP_MS) != 0
			|| uv_timer_start(&ad.report, report, REPORT_MS, REPORT_MS) != 0) {
		LM_CRIT("omniq_ws process %d cannot set up its connection limits\n", rank);
		return -1;
	}
	LM_INFO("omniq_ws process %d takes at most %d connections, %d pending per address, "
			"%d s to say what they want\n", rank, ad.max, ws_cfg.max_pending_per_address,
			ws_cfg.hello_timeout);
	return 0;
}
