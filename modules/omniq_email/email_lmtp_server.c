/*
 * email_lmtp_server.c - see email_lmtp_server.h.
 */
#define _GNU_SOURCE /* accept4 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "core/dprint.h"

#include "email_inbound.h"
#include "email_lmtp.h"
#include "email_lmtp_server.h"

typedef struct conn {
	int fd;
	time_t last;
	int closing; /* write what is out, then close */
	char peer[64]; /* "address:port" */
	email_lmtp_t l;
} conn_t;

static int lfd = -1;
static char listen_addr[300];
static conn_t conns[EMAIL_LMTP_CONNS];
static int n_conns;

static int rcpt_cb(void *arg, const char *addr, char *reply, size_t size)
{
	return email_inbound_rcpt(addr, reply, size);
}

static void deliver_cb(void *arg, const char *from, const char *rcpt, const char *msg,
		size_t len, char *reply, size_t size)
{
	email_inbound_deliver(from, rcpt, msg, len, reply, size);
}

static const email_lmtp_ops_t inbound_ops = {rcpt_cb, deliver_cb};

int email_lmtp_listen(const char *addr)
{
	char host[256], port[16];
	const char *colon;
	struct addrinfo hints, *ai = NULL, *a;
	int one = 1, rc;
	size_t hl;

	snprintf(listen_addr, sizeof(listen_addr), "%s", addr);
	if(addr[0] == '[') {
		const char *end = strchr(addr, ']');
		if(end == NULL || end[1] != ':')
			goto bad;
		hl = (size_t)(end - addr - 1);
		colon = end + 1;
		addr++;
	} else {
		if((colon = strrchr(addr, ':')) == NULL)
			goto bad;
		hl = (size_t)(colon - addr);
	}
	if(hl == 0 || hl >= sizeof(host) || strlen(colon + 1) == 0
			|| strlen(colon + 1) >= sizeof(port)
			|| strspn(colon + 1, "0123456789") != strlen(colon + 1))
		goto bad;
	memcpy(host, addr, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		LM_ERR("modparam lmtp_listen '%s': %s\n", listen_addr, gai_strerror(rc));
		return -1;
	}
	for(a = ai; a; a = a->ai_next) {
		if((lfd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0)) < 0)
			continue;
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if(bind(lfd, a->ai_addr, a->ai_addrlen) == 0 && listen(lfd, 64) == 0)
			break;
		rc = errno;
		close(lfd);
		lfd = -1;
		errno = rc;
	}
	freeaddrinfo(ai);
	if(lfd < 0) {
		LM_ERR("modparam lmtp_listen '%s': cannot listen there: %s\n", listen_addr,
				strerror(errno));
		return -1;
	}
	fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK);
	return 0;
bad:
	LM_ERR("modparam lmtp_listen '%s': must be host:port (or [v6]:port)\n", listen_addr);
	return -1;
}

static void drop(int i)
{
	close(conns[i].fd);
	email_lmtp_free(&conns[i].l);
	conns[i] = conns[--n_conns];
}

static void peer_name(int fd, char *out, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char h[NI_MAXHOST], p[NI_MAXSERV];

	if(getpeername(fd, (struct sockaddr *)&ss, &sl) == 0
			&& getnameinfo((struct sockaddr *)&ss, sl, h, sizeof(h), p, sizeof(p),
					   NI_NUMERICHOST | NI_NUMERICSERV)
					   == 0)
		snprintf(out, size, "%.46s:%.6s", h, p);
	else
		snprintf(out, size, "?");
}

static void take(const char *host, size_t max_msg)
{
	static const char busy[] = "421 4.3.2 too many connections, try again later\r\n";
	conn_t *c;
	int fd;

	while((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		if(n_conns == EMAIL_LMTP_CONNS) {
			if(write(fd, busy, sizeof(busy) - 1) < 0) {
				/* closed anyway */
			}
			close(fd);
			LM_WARN("lmtp %s: a connection over the %d served was told 421\n", listen_addr,
					EMAIL_LMTP_CONNS);
			continue;
		}
		c = &conns[n_conns];
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->last = time(NULL);
		peer_name(fd, c->peer, sizeof(c->peer));
		if(email_lmtp_init(&c->l, host, max_msg, &inbound_ops, c) < 0) {
			close(fd);
			continue;
		}
		n_conns++;
	}
}

/* write what is out; -1: the connection is gone */
static int flush(conn_t *c)
{
	ssize_t n;

	while(c->l.out_len) {
		n = write(c->fd, c->l.out, c->l.out_len);
		if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if(n < 0 && errno == EINTR)
			continue;
		if(n <= 0)
			return -1;
		email_lmtp_written(&c->l, (size_t)n);
	}
	return 0;
}

/* read what came; -1: the connection is done */
static int serve(conn_t *c)
{
	char buf[64 * 1024];
	ssize_t n;
	int rc;

	for(;;) {
		n = read(c->fd, buf, sizeof(buf));
		if(n < 0 && errno == EINTR)
			continue;
		if(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if(n <= 0) {
			if(c->l.state == EMAIL_LMTP_DATA || c->l.n_rcpt)
				LM_NOTICE("lmtp %s: the client closed in the middle of a mail: nothing of it "
						  "was stored (its MTA keeps it)\n",
						c->peer);
			return -1;
		}
		c->last = time(NULL);
		rc = email_lmtp_feed(&c->l, buf, (size_t)n);
		if(rc < 0) {
			LM_ERR("lmtp %s: out of memory, connection closed\n", c->peer);
			return -1;
		}
		if(flush(c) < 0)
			return -1;
		if(rc == 1) {
			c->closing = 1;
			return 0;
		}
	}
}

void email_lmtp_serve(const char *host, size_t max_msg, void (*turn)(void))
{
	struct pollfd pfd[EMAIL_LMTP_CONNS + 1];
	time_t now;
	int i, n;

	LM_INFO("lmtp: taking mail on %s\n", listen_addr);
	for(;;) {
		turn();
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for(i = 0; i < n_conns; i++) {
			pfd[i + 1].fd = conns[i].fd;
			pfd[i + 1].events = conns[i].l.out_len ? POLLOUT : POLLIN;
		}
		n = poll(pfd, (nfds_t)n_conns + 1, 1000);
		if(n < 0 && errno != EINTR) {
			LM_ERR("lmtp: poll: %s\n", strerror(errno));
			sleep(1);
			continue;
		}
		now = time(NULL);
		/* from the last, so that drop() moving the last into i keeps the walk right */
		for(i = n_conns - 1; i >= 0; i--) {
			conn_t *c = &conns[i];
			short re = n > 0 ? pfd[i + 1].revents : 0;
			int gone = 0;
			if(re & (POLLERR | POLLNVAL))
				gone = 1;
			else if(re & POLLOUT)
				gone = flush(c) < 0;
			else if(re & (POLLIN | POLLHUP))
				gone = serve(c) < 0;
			if(!gone && !c->closing && now - c->last > EMAIL_LMTP_IDLE_S) {
				LM_NOTICE("lmtp %s: idle for %d s, closed\n", c->peer, EMAIL_LMTP_IDLE_S);
				email_lmtp_timeout(&c->l);
				flush(c);
				gone = 1;
			}
			if(gone || (c->closing && c->l.out_len == 0))
				drop(i);
		}
		if(n > 0 && (pfd[0].revents & POLLIN))
			take(host, max_msg);
	}
}
