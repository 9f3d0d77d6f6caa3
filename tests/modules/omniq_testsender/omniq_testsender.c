/*
 * omniq_testsender - a test fixture: the sender of channel "sms" (api.register_sender),
 * whose "provider" answers as the first word of each message asks, so that
 * tests/integration/test_outbound.py can drive every outcome through a real kamailio and
 * Redis. Not for use. Each attempt is written as a line to the file of modparam `log`:
 *   <did> <attempt> <sid> <ext> <from> <body>, tab-separated
 * First words:
 *   ok         sent, provider id "fx-<did>"
 *   delivered  delivered, provider id "fx-<did>"
 *   retry      not now: "HTTP 503" and a second line (made one line by omniq)
 *   later      not now, the provider says wait 1.5 s
 *   fail       refused for good
 *   flaky      not now at the first attempt, sent at the second
 *   noreason   refused, no reason given
 *   bogus      an outcome that does not exist
 *   slow N     sent, after N milliseconds (a provider that takes its time; a node that dies
 *              meanwhile)
 */
#include <string.h>
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <time.h>

#include "core/sr_module.h"
#include "core/dprint.h"

#include "omniq/omniq_api.h"

MODULE_VERSION

static omniq_api_t oq;
static char *log_path = "";
static int log_fd = -1;
static int attempts, backoff_ms, backoff_max_ms, lease_ms, poll_ms;

static int first_word(const str *body, const char *w)
{
	size_t n = strlen(w);
	return (size_t)body->len >= n && !memcmp(body->s, w, n)
		   && ((size_t)body->len == n || body->s[n] == ' ');
}

static int open_log(void *param)
{
	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
	if(log_fd < 0)
		LM_ERR("cannot open %s\n", log_path);
	return log_fd < 0 ? -1 : 0;
}

static void send_one(const omniq_outbound_t *m, omniq_send_result_t *res, void *param)
{
	char line[512];
	int n;

	n = snprintf(line, sizeof(line), "%.*s\t%d\t%.*s\t%.*s\t%.*s\t%.*s\n", m->did.len, m->did.s,
			m->attempt, m->sid.len, m->sid.s, m->ext.len, m->ext.s, m->from.len, m->from.s,
			m->body.len, m->body.s);
	if(n > 0 && write(log_fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1) < 0)
		LM_ERR("cannot write %s\n", log_path);
	if(first_word(&m->body, "slow")) {
		long ms = m->body.len > 5 ? strtol(m->body.s + 5, NULL, 10) : 0;
		struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};

		if(ms > 0 && ms <= 60000)
			while(nanosleep(&ts, &ts) != 0)
				;
	}
	if(first_word(&m->body, "ok") || first_word(&m->body, "slow")
			|| (first_word(&m->body, "flaky") && m->attempt > 1)) {
		res->outcome = OMNIQ_SENT;
		snprintf(res->provider_id, sizeof(res->provider_id), "fx-%.*s", m->did.len, m->did.s);
	} else if(first_word(&m->body, "delivered")) {
		res->outcome = OMNIQ_DELIVERED;
		snprintf(res->provider_id, sizeof(res->provider_id), "fx-%.*s", m->did.len, m->did.s);
	} else if(first_word(&m->body, "retry") || first_word(&m->body, "flaky")) {
		res->outcome = OMNIQ_RETRY;
		snprintf(res->reason, sizeof(res->reason), "fixture: HTTP 503\r\nService Unavailable");
	} else if(first_word(&m->body, "later")) {
		res->outcome = OMNIQ_RETRY;
		res->retry_after_ms = 1500;
		snprintf(res->reason, sizeof(res->reason), "fixture: 429 Too Many Requests");
	} else if(first_word(&m->body, "noreason")) {
		res->outcome = OMNIQ_FAILED;
	} else if(first_word(&m->body, "bogus")) {
		res->outcome = (omniq_send_outcome_t)42;
	} else {
		res->outcome = OMNIQ_FAILED;
		snprintf(res->reason, sizeof(res->reason), "fixture: the number does not exist");
	}
}

static int mod_init(void)
{
	omniq_sender_t s;

	if(omniq_load_api(&oq) < 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.channel = omniq_str("sms");
	s.init = open_log;
	s.send = send_one;
	s.attempts = attempts;
	s.backoff_ms = backoff_ms;
	s.backoff_max_ms = backoff_max_ms;
	s.lease_ms = lease_ms;
	s.poll_ms = poll_ms;
	return oq.register_sender(&s) < 0 ? -1 : 0;
}

static param_export_t params[] = {
	{"log", PARAM_STRING, &log_path},
	{"attempts", PARAM_INT, &attempts},
	{"backoff_ms", PARAM_INT, &backoff_ms},
	{"backoff_max_ms", PARAM_INT, &backoff_max_ms},
	{"lease_ms", PARAM_INT, &lease_ms},
	{"poll_ms", PARAM_INT, &poll_ms},
	{0, 0, 0}
};

struct module_exports exports = {
	"omniq_testsender", DEFAULT_DLFLAGS, 0, params, 0, 0, 0, mod_init, 0, 0
};
