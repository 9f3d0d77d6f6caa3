/*
 * omniq-deliver - a mail from Postfix's pipe(8) transport handed to omniq_email's LMTP
 * listener (RFC 2033), and the listener's answer turned into the exit status pipe(8)
 * understands (<sysexits.h>), so that a mail omniq could not store now stays in Postfix's
 * queue and is tried again: nothing lost.
 *
 *   omniq-deliver -a 127.0.0.1:2424 -f ${sender} [-t seconds] -- ${recipient}...
 *
 * The message comes on stdin as pipe(8) writes it (lines ending LF, or CR LF with
 * eol=\r\n) and goes out as it came, byte for byte, 8-bit bytes included, with two changes
 * SMTP's DATA needs: a bare LF becomes CR LF, and a line that starts with "." gets a second
 * one (dot-stuffing, RFC 5321 4.5.2). It is streamed (64 KiB at a time), never held whole:
 * a mail over omniq_email's max_message is sent to its end and refused there, per recipient,
 * with the server's own 552 5.3.4 and words.
 *
 * What pipe(8) is told. The exit status, and a first line of output that starts with an
 * RFC 3463 status code: pipe(8) takes that code before the exit status (Postfix 2.3 and
 * later) and puts the whole line in the bounce or the queue's defer reason; 4.x.x defers,
 * 5.x.x bounces. The two agree but for 64, on purpose:
 *   0  EX_OK           every recipient answered 2xx after the data (its answer on stdout:
 *                      Postfix logs it, "250 2.0.0 stored in session 12")
 *   75 EX_TEMPFAIL     any 4xx (Redis down: 451 4.3.0), no connection, a connection lost,
 *                      no answer within the time (-t), an answer that is not LMTP, stdin
 *                      unreadable: Postfix keeps the mail and tries again
 *   65 EX_DATAERR      the message or its sender refused for good (5xx after the data, or
 *                      to MAIL FROM): bounced with the server's words
 *   67 EX_NOUSER       a recipient refused at RCPT (550 5.1.1, no such mailbox)
 *   69 EX_UNAVAILABLE  the server refused the session for good (5xx to the greeting, LHLO
 *                      or DATA)
 *   64 EX_USAGE        wrong arguments; the line starts with 4.3.5, so Postfix defers the
 *                      mail until master.cf is mended rather than bouncing it
 * With several recipients, any temporary failure makes it 75 (Postfix retries them all:
 * omniq_email knows a redelivery of a mail it stored and stores nothing twice); else the
 * first permanent one decides. Give the transport one recipient a delivery
 * (<transport>_destination_recipient_limit = 1) and each has its own status.
 *
 * Every read and write is bounded: one deadline (-t, 300 s by default) for the whole
 * delivery - connecting, the server's answers, stdin, the writes - checked with poll();
 * a reply line of at most REPLY_LINE_MAX bytes, a reply of at most REPLY_LINES_MAX lines.
 * Keep -t below pipe(8)'s time limit (command_time_limit, 1000 s): a command that
 * outlives it is killed and the mail bounced.
 *
 * Plain C and libc: no Kamailio, no other library.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TIMEOUT 300     /* seconds for the whole delivery */
#define TIMEOUT_MAX 3600
#define ADDR_MAX 320            /* an address, as omniq_email takes it (EMAIL_ADDR_MAX) */
#define RCPT_MAX 32             /* recipients of one transaction, as omniq_email serves */
#define REPLY_LINE_MAX 1024     /* one reply line with its CRLF (RFC 5321: 512) */
#define REPLY_LINES_MAX 64      /* lines of one multi-line reply */
#define TEXT_MAX 512            /* the text of a reply kept for the report */
#define CHUNK (64 * 1024)       /* stdin read at a time */
#define QUIT_WAIT_MS 2000       /* at most this long for the answer to QUIT */

static const char usage_text[] =
	"omniq-deliver -a host:port -f sender [-t seconds] -- recipient...";

/* how one step ended; the higher the worse, when recipients compare (a retry covers all) */
enum outcome { OK = 0, PERM, TEMP };

typedef struct reply {
	int code;                 /* 200..599; 0 when there was none (see why) */
	char text[TEXT_MAX];      /* the lines' text after the code, joined by a blank */
} reply_t;

typedef struct conn {
	int fd;
	const char *addr;         /* as given with -a, for the reports */
	char buf[REPLY_LINE_MAX + 1];
	size_t len;               /* bytes in buf not yet taken */
	char why[256];            /* what went wrong on the connection */
} conn_t;

static struct timespec deadline;
static int timeout_s = DEFAULT_TIMEOUT;

/* ---- time ---- */

static void set_deadline(int seconds)
{
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
}

/* milliseconds left before the deadline, 0 when it has passed */
static int ms_left(void)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (long long)(deadline.tv_sec - now.tv_sec) * 1000
		 + (deadline.tv_nsec - now.tv_nsec) / 1000000;
	if(ms <= 0)
		return 0;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* poll one fd for events until the deadline (or max_ms, when >= 0 and sooner): 1 ready,
 * 0 timed out, -1 an error (errno) */
static int wait_fd(int fd, short events, int max_ms)
{
	struct pollfd p;
	int ms, rc;

	for(;;) {
		ms = ms_left();
		if(max_ms >= 0 && max_ms < ms)
			ms = max_ms;
		if(ms == 0)
			return 0;
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		rc = poll(&p, 1, ms);
		if(rc > 0)
			return 1;
		if(rc == 0)
			return 0;
		if(errno != EINTR)
			return -1;
	}
}

/* ---- what pipe(8) is told ---- */

/* One line on out (stdout or stderr: pipe(8) reads them as one), control bytes made
 * visible: the first line of a failure starts with its status code. */
static void say(FILE *out, const char *fmt, ...)
{
	char line[2048], *p;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for(p = line; *p; p++)
		if((unsigned char)*p < ' ' || *p == 0x7f)
			*p = '?';
	fprintf(out, "%s\n", line);
	fflush(out);
}

static void usage_error(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	/* 4.3.5 "system incorrectly configured": Postfix keeps the mail (its code takes
	 * precedence over the exit status) until master.cf is mended */
	say(stderr, "4.3.5 omniq-deliver: %s; usage: %s", why, usage_text);
	exit(EX_USAGE);
}

/* digits at s, 1..3 of them: how many, 0 for none or too many */
static int digits(const char *s)
{
	int n = 0;

	while(s[n] >= '0' && s[n] <= '9')
		n++;
	return n <= 3 ? n : 0;
}

/* The RFC 3463 code a reply gives ("451 4.3.0 ..." -> "4.3.0"), or class.0.0 when it gives
 * none or one of another class. */
static void status_of(const reply_t *r, char *dsn, size_t size)
{
	const char *t = r->text;
	int a, b;

	if(t[0] == r->code / 100 + '0' && t[1] == '.' && (a = digits(t + 2)) && t[2 + a] == '.'
			&& (b = digits(t + 3 + a)) && (t[3 + a + b] == ' ' || t[3 + a + b] == '\0')
			&& 3 + a + b < (int)size) {
		memcpy(dsn, t, 3 + a + b);
		dsn[3 + a + b] = '\0';
		return;
	}
	snprintf(dsn, size, "%d.0.0", r->code / 100);
}

/* ---- arguments ---- */

/* An address as the pipe gave it into out, without <> (the null sender: "" as pipe(8)'s
 * null_sender= gives it, or "<>"); no control characters, ADDR_MAX bytes at most. Quoted
 * local parts (pipe(8)'s q flag) go as they are: the server reads them. */
static char *address(const char *what, const char *a, char *out)
{
	size_t n = strlen(a);
	const char *p;

	if(n >= 2 && a[0] == '<' && a[n - 1] == '>') {
		a++;
		n -= 2;
	}
	if(n > ADDR_MAX)
		usage_error("%s over %d bytes", what, ADDR_MAX);
	for(p = a; p < a + n; p++)
		if((unsigned char)*p < ' ' || *p == 0x7f)
			usage_error("a control character in %s", what);
	memcpy(out, a, n);
	out[n] = '\0';
	return out;
}

/* "host:port" or "[v6]:port" into host and port */
static void split_addr(const char *a, char *host, size_t hsize, char *port, size_t psize)
{
	const char *colon, *h = a;
	size_t hl;

	if(*a == '[') {
		const char *end = strchr(a, ']');
		if(!end || end[1] != ':')
			usage_error("-a '%s': host:port or [v6]:port", a);
		h = a + 1;
		hl = end - h;
		colon = end + 1;
	} else {
		colon = strrchr(a, ':');
		if(!colon || strchr(a, ':') != colon)
			usage_error("-a '%s': host:port or [v6]:port", a);
		hl = colon - a;
	}
	if(hl == 0 || hl >= hsize || strlen(colon + 1) >= psize || !colon[1]
			|| strspn(colon + 1, "0123456789") != strlen(colon + 1)
			|| atoi(colon + 1) < 1 || atoi(colon + 1) > 65535)
		usage_error("-a '%s': host:port or [v6]:port, port 1..65535", a);
	memcpy(host, h, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
}

/* ---- the connection ---- */

static int dial(conn_t *c, const char *addr)
{
	char host[256], port[8];
	struct addrinfo hints, *res = NULL, *ai;
	int fd, rc, err = 0;
	socklen_t len;

	c->fd = -1;
	c->len = 0;
	c->addr = addr;
	split_addr(addr, host, sizeof(host), port, sizeof(port));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if(rc != 0) {
		snprintf(c->why, sizeof(c->why), "cannot resolve %.100s: %s", host,
				gai_strerror(rc));
		return -1;
	}
	for(ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if(fd < 0) {
			err = errno;
			continue;
		}
		if(connect(fd, ai->ai_addr, ai->ai_addrlen) < 0 && errno != EINPROGRESS) {
			err = errno;
			close(fd);
			continue;
		}
		rc = wait_fd(fd, POLLOUT, -1);
		len = sizeof(err);
		if(rc == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0) {
			c->fd = fd;
			break;
		}
		if(rc == 0)
			err = ETIMEDOUT;
		else if(rc < 0)
			err = errno;
		close(fd);
		if(rc == 0)
			break; /* the time is up for the others too */
	}
	freeaddrinfo(res);
	if(c->fd < 0) {
		snprintf(c->why, sizeof(c->why), "cannot connect to omniq_email's LMTP at %s: %s",
				addr, err == ETIMEDOUT ? "no answer within the time" : strerror(err));
		return -1;
	}
	return 0;
}

/* all of buf out, or -1 with c->why */
static int send_all(conn_t *c, const char *buf, size_t len)
{
	ssize_t n;
	int rc;

	while(len) {
		n = send(c->fd, buf, len, MSG_NOSIGNAL);
		if(n > 0) {
			buf += n;
			len -= n;
			continue;
		}
		if(n < 0 && errno == EINTR)
			continue;
		if(n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			snprintf(c->why, sizeof(c->why), "the connection to omniq_email at %s was lost: %s",
					c->addr, strerror(errno));
			return -1;
		}
		rc = wait_fd(c->fd, POLLOUT, -1);
		if(rc <= 0) {
			snprintf(c->why, sizeof(c->why), "omniq_email at %s took nothing more within %d s",
					c->addr, timeout_s);
			return -1;
		}
	}
	return 0;
}

/* One reply line (without its CR LF) into line; 0, or -1 with c->why. max_ms >= 0 waits
 * at most that long (and the deadline). */
static int read_line(conn_t *c, char *line, int max_ms)
{
	char *nl;
	ssize_t n;
	size_t l;
	int rc;

	for(;;) {
		nl = memchr(c->buf, '\n', c->len);
		if(nl) {
			l = nl - c->buf;
			memcpy(line, c->buf, l);
			line[l] = '\0';
			if(l && line[l - 1] == '\r')
				line[l - 1] = '\0';
			c->len -= l + 1;
			memmove(c->buf, nl + 1, c->len);
			return 0;
		}
		if(c->len >= REPLY_LINE_MAX) {
			snprintf(c->why, sizeof(c->why),
					"omniq_email at %s sent a reply line over %d bytes: not LMTP?", c->addr,
					REPLY_LINE_MAX);
			return -1;
		}
		rc = wait_fd(c->fd, POLLIN, max_ms);
		if(rc == 0) {
			snprintf(c->why, sizeof(c->why), "omniq_email at %s did not answer within %d s",
					c->addr, timeout_s);
			return -1;
		}
		n = rc < 0 ? -1 : recv(c->fd, c->buf + c->len, REPLY_LINE_MAX - c->len, 0);
		if(n > 0) {
			c->len += n;
			continue;
		}
		if(n < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK))
			continue;
		snprintf(c->why, sizeof(c->why), "omniq_email at %s closed the connection%s%s", c->addr,
				n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
		return -1;
	}
}

/* the keywords an LHLO answer offers */
typedef struct exts {
	int eightbit, smtputf8;
} exts_t;

/* One reply (every line of a multi-line one) into r; 0, or -1 with c->why (r->code 0).
 * ext, when given, gets the keywords of the lines after the first (LHLO's answer). */
static int read_reply(conn_t *c, reply_t *r, exts_t *ext, int max_ms)
{
	char line[REPLY_LINE_MAX + 1];
	size_t used = 0, n;
	int i, code;

	r->code = 0;
	r->text[0] = '\0';
	for(i = 0; i < REPLY_LINES_MAX; i++) {
		if(read_line(c, line, max_ms) < 0)
			return -1;
		code = strspn(line, "0123456789") >= 3 ? (line[0] - '0') * 100 + (line[1] - '0') * 10
				+ (line[2] - '0') : 0;
		if(code < 200 || code > 599 || (line[3] && line[3] != ' ' && line[3] != '-')
				|| (i > 0 && code != r->code)) {
			snprintf(c->why, sizeof(c->why),
					"omniq_email at %s answered what is not LMTP: '%.80s'", c->addr, line);
			r->code = 0;
			return -1;
		}
		r->code = code;
		if(ext && i > 0 && line[3]) {
			if(!strcasecmp(line + 4, "8BITMIME"))
				ext->eightbit = 1;
			else if(!strcasecmp(line + 4, "SMTPUTF8"))
				ext->smtputf8 = 1;
		}
		n = line[3] ? strlen(line + 4) : 0;
		if(n && used + (used ? 1 : 0) + n < sizeof(r->text)) {
			if(used)
				r->text[used++] = ' ';
			memcpy(r->text + used, line + 4, n);
			used += n;
			r->text[used] = '\0';
		}
		if(line[3] != '-')
			return 0;
	}
	snprintf(c->why, sizeof(c->why), "omniq_email at %s sent a reply of over %d lines: not LMTP?",
			c->addr, REPLY_LINES_MAX);
	r->code = 0;
	return -1;
}

/* a command line out and its reply in; -1 with c->why when either failed */
static int command(conn_t *c, reply_t *r, exts_t *ext, const char *fmt, ...)
{
	char line[REPLY_LINE_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if(n < 0 || n >= (int)sizeof(line) - 2) {
		snprintf(c->why, sizeof(c->why), "a command over %d bytes", (int)sizeof(line));
		return -1;
	}
	memcpy(line + n, "\r\n", 3);
	if(send_all(c, line, n + 2) < 0)
		return -1;
	return read_reply(c, r, ext, -1);
}

/* ---- the message ---- */

/* stdin to the server as DATA's content: bare LF to CR LF, leading dots doubled, the final
 * dot line. 0, or -1 with c->why (stdin's failure said there too). */
static int send_message(conn_t *c)
{
	static char in[CHUNK], out[2 * CHUNK + 8];
	int bol = 1, cr = 0, rc;
	ssize_t n, i;
	size_t o;

	for(;;) {
		rc = wait_fd(STDIN_FILENO, POLLIN, -1);
		if(rc == 0) {
			snprintf(c->why, sizeof(c->why), "the message did not come on stdin within %d s",
					timeout_s);
			return -1;
		}
		n = rc < 0 ? -1 : read(STDIN_FILENO, in, sizeof(in));
		if(n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if(n < 0) {
			snprintf(c->why, sizeof(c->why), "cannot read the message on stdin: %s",
					strerror(errno));
			return -1;
		}
		if(n == 0)
			break;
		for(i = 0, o = 0; i < n; i++) {
			char ch = in[i];
			if(ch == '\n') {
				if(!cr)
					out[o++] = '\r';
				out[o++] = '\n';
				bol = 1;
				cr = 0;
				continue;
			}
			if(bol && ch == '.')
				out[o++] = '.';
			out[o++] = ch;
			bol = 0;
			cr = ch == '\r';
		}
		if(send_all(c, out, o) < 0)
			return -1;
	}
	/* the last line ended, then the final dot */
	o = 0;
	if(!bol) {
		if(!cr)
			out[o++] = '\r';
		out[o++] = '\n';
	}
	memcpy(out + o, ".\r\n", 3);
	return send_all(c, out, o + 3);
}

/* ---- the delivery ---- */

typedef struct result {
	enum outcome how;
	int exit_code;            /* EX_OK, EX_TEMPFAIL, or for PERM what kind of refusal */
	char line[1024];          /* the report, its status code first; "" not yet known */
	char reply[TEXT_MAX + 8]; /* the server's reply ("250 2.0.0 stored in session 12") */
	const char *to;           /* a recipient's result: its address */
} result_t;

/* What a reply means at this stage: a code in [lo, hi] goes on, 4xx is temporary, 5xx
 * permanent (perm_code says which refusal), anything else is not what LMTP answers there
 * (temporary: a server that misspeaks may be mended). */
static enum outcome judge(result_t *res, const conn_t *c, const reply_t *r, const char *what,
		int lo, int hi, int perm_code)
{
	char dsn[16];

	status_of(r, dsn, sizeof(dsn));
	if(r->code >= lo && r->code <= hi) {
		res->how = OK;
		res->exit_code = EX_OK;
	} else if(r->code >= 500) {
		res->how = PERM;
		res->exit_code = perm_code;
	} else {
		res->how = TEMP;
		res->exit_code = EX_TEMPFAIL;
		if(r->code < 400)
			strcpy(dsn, "4.5.0"); /* a reply out of place: protocol trouble */
	}
	snprintf(res->line, sizeof(res->line), "%s omniq_email at %s %s: %d %s", dsn, c->addr,
			what, r->code, r->text);
	snprintf(res->reply, sizeof(res->reply), "%d %s", r->code, r->text);
	return res->how;
}

/* the connection failed: a temporary failure with its words */
static void lost(result_t *res, const conn_t *c, const char *dsn)
{
	res->how = TEMP;
	res->exit_code = EX_TEMPFAIL;
	snprintf(res->line, sizeof(res->line), "%s %s", dsn, c->why);
}

/* QUIT, then the report and the exit status: whole's when given (the session failed as a
 * whole), else the worst of the recipients' */
static int finish(conn_t *c, const result_t *rcpt, int n, const result_t *whole)
{
	const result_t *worst = whole;
	reply_t r;
	int i;

	if(c->fd >= 0) {
		/* best effort: the mail's fate is decided */
		if(send_all(c, "QUIT\r\n", 6) == 0)
			read_reply(c, &r, NULL, QUIT_WAIT_MS);
		close(c->fd);
		c->fd = -1;
	}
	if(!worst)
		for(i = 0; i < n; i++)
			if(!worst || rcpt[i].how > worst->how)
				worst = &rcpt[i];
	if(worst->how == OK) {
		/* pipe(8) logs its first 100 bytes with the delivery (Postfix 3.0 and later): the
		 * server's words, "250 2.0.0 stored in session 12" */
		for(i = 0; i < n; i++)
			if(n == 1)
				say(stdout, "%s", rcpt[i].reply);
			else
				say(stdout, "<%s>: %s", rcpt[i].to, rcpt[i].reply);
		return EX_OK;
	}
	/* the deciding line first: pipe(8) takes its status code */
	say(stderr, "%s", worst->line);
	for(i = 0; i < n; i++)
		if(&rcpt[i] != worst && rcpt[i].line[0])
			say(stderr, "%s", rcpt[i].line);
	return worst->exit_code;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *from_arg = NULL;
	char from[ADDR_MAX + 1], to[RCPT_MAX][ADDR_MAX + 1], name[256], what[ADDR_MAX + 64];
	char *p;
	result_t rcpt[RCPT_MAX], whole;
	exts_t ext = {0, 0};
	conn_t c;
	reply_t r;
	int opt, n, i, accepted = 0, utf8 = 0;
	long t;

	memset(rcpt, 0, sizeof(rcpt));
	opterr = 0;
	while((opt = getopt(argc, argv, "+a:f:t:")) != -1) {
		switch(opt) {
			case 'a':
				addr = optarg;
				break;
			case 'f':
				from_arg = optarg;
				break;
			case 't':
				errno = 0;
				t = strtol(optarg, &p, 10);
				if(errno || p == optarg || *p || t < 1 || t > TIMEOUT_MAX)
					usage_error("-t '%s': seconds, 1..%d", optarg, TIMEOUT_MAX);
				timeout_s = (int)t;
				break;
			default:
				usage_error("unknown option or missing value: -%c", optopt);
		}
	}
	if(!addr)
		usage_error("-a host:port (omniq_email's lmtp_listen) is required");
	if(!from_arg)
		usage_error("-f sender is required (-f '' for the null sender)");
	n = argc - optind;
	if(n < 1)
		usage_error("no recipient");
	if(n > RCPT_MAX)
		usage_error("%d recipients, at most %d (give the transport "
				"<transport>_destination_recipient_limit = 1 in main.cf)", n, RCPT_MAX);
	address("the sender", from_arg, from);
	if(from[0] && !strchr(from, '@'))
		usage_error("the sender '%s' is no address (local@domain, or '' for none: pipe(8)'s "
				"null_sender= attribute)", from);
	for(i = 0; i < n; i++) {
		address("a recipient", argv[optind + i], to[i]);
		if(!to[i][0] || !strchr(to[i], '@'))
			usage_error("the recipient '%s' is no address (local@domain)", to[i]);
		for(p = to[i]; *p; p++)
			utf8 |= (unsigned char)*p > 127;
	}
	for(p = from; *p; p++)
		utf8 |= (unsigned char)*p > 127;

	signal(SIGPIPE, SIG_IGN);
	set_deadline(timeout_s);
	if(gethostname(name, sizeof(name) - 1) < 0 || !name[0] || strpbrk(name, " \t\r\n"))
		strcpy(name, "localhost");
	name[sizeof(name) - 1] = '\0';

	if(dial(&c, addr) < 0) {
		lost(&whole, &c, "4.4.1");
		return finish(&c, rcpt, n, &whole);
	}
	if(read_reply(&c, &r, NULL, -1) < 0) {
		lost(&whole, &c, "4.4.2");
		return finish(&c, rcpt, n, &whole);
	}
	if(judge(&whole, &c, &r, "greeted", 220, 220, EX_UNAVAILABLE) != OK)
		return finish(&c, rcpt, n, &whole);
	if(command(&c, &r, &ext, "LHLO %s", name) < 0) {
		lost(&whole, &c, "4.4.2");
		return finish(&c, rcpt, n, &whole);
	}
	if(judge(&whole, &c, &r, "answered LHLO", 250, 250, EX_UNAVAILABLE) != OK)
		return finish(&c, rcpt, n, &whole);
	/* declared 8BITMIME whenever the server takes it: the message goes as it came */
	if(command(&c, &r, NULL, "MAIL FROM:<%s>%s%s", from, ext.eightbit ? " BODY=8BITMIME" : "",
			   utf8 && ext.smtputf8 ? " SMTPUTF8" : "") < 0) {
		lost(&whole, &c, "4.4.2");
		return finish(&c, rcpt, n, &whole);
	}
	snprintf(what, sizeof(what), "answered MAIL FROM:<%.*s>", ADDR_MAX, from);
	if(judge(&whole, &c, &r, what, 250, 250, EX_DATAERR) != OK)
		return finish(&c, rcpt, n, &whole);
	for(i = 0; i < n; i++) {
		rcpt[i].to = to[i];
		if(command(&c, &r, NULL, "RCPT TO:<%s>", to[i]) < 0) {
			lost(&whole, &c, "4.4.2");
			return finish(&c, rcpt, n, &whole);
		}
		snprintf(what, sizeof(what), "answered RCPT TO:<%.*s>", ADDR_MAX, to[i]);
		if(judge(&rcpt[i], &c, &r, what, 250, 251, EX_NOUSER) == OK) {
			rcpt[i].line[0] = '\0'; /* its answer after the data says */
			accepted++;
		}
	}
	if(!accepted)
		return finish(&c, rcpt, n, NULL);
	if(command(&c, &r, NULL, "DATA") < 0) {
		lost(&whole, &c, "4.4.2");
		return finish(&c, rcpt, n, &whole);
	}
	if(judge(&whole, &c, &r, "answered DATA", 354, 354, EX_UNAVAILABLE) != OK)
		return finish(&c, rcpt, n, &whole);
	if(send_message(&c) < 0) {
		lost(&whole, &c, "4.4.2");
		return finish(&c, rcpt, n, &whole);
	}
	/* one reply per recipient accepted at RCPT, in their order (RFC 2033 4.2) */
	for(i = 0; i < n; i++) {
		if(rcpt[i].line[0])
			continue; /* refused at RCPT */
		if(read_reply(&c, &r, NULL, -1) < 0) {
			lost(&rcpt[i], &c, "4.4.2");
			continue;
		}
		snprintf(what, sizeof(what), "answered <%.*s> after the data", ADDR_MAX,
				to[i]);
		judge(&rcpt[i], &c, &r, what, 200, 299, EX_DATAERR);
	}
	return finish(&c, rcpt, n, NULL);
}
