/*
 * omniq_badhook - a test fixture: HTTP routes that misbehave in each way omniq_ws must
 * survive, so that test_hooks.py can show the 500 answer and the log line. Not for use.
 *   /hooks/bad/fails    the handler returns an error
 *   /hooks/bad/status   status 99
 *   /hooks/bad/length   a body length past the buffer
 *   /hooks/bad/type     a Content-Type with CR LF (a header injection)
 *   /hooks/bad/notype   no Content-Type
 *   /hooks/bad/ok       a good answer, to show the server still serves
 *   /hooks/bad/slow     blocks the loop for ?ms=N milliseconds (at most 30,000) first, as a
 *                       handler that makes a blocking call would: what the loop had in
 *                       flight meanwhile must not be taken for lost (test_ws.py)
 */
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/sr_module.h"
#include "core/dprint.h"

#include "omniq/omniq_api.h"

MODULE_VERSION

static omniq_api_t oq;

static int bad_hook(const omniq_http_req_t *rq, omniq_http_resp_t *rs, void *param)
{
	const char *how = (const char *)param;

	rs->status = 200;
	snprintf(rs->type, sizeof(rs->type), "text/plain");
	rs->len = snprintf(rs->body, (size_t)rs->size, "fine");
	if(!strcmp(how, "slow")) {
		char ms[16];
		long n = rq->arg(rq, "ms", ms, sizeof(ms)) > 0 ? strtol(ms, NULL, 10) : 0;
		struct timespec ts;

		if(n < 0 || n > 30000)
			n = 0;
		ts.tv_sec = n / 1000;
		ts.tv_nsec = n % 1000 * 1000000L;
		while(nanosleep(&ts, &ts) != 0)
			;
	}
	if(!strcmp(how, "fails"))
		return -1;
	if(!strcmp(how, "status"))
		rs->status = 99;
	else if(!strcmp(how, "length"))
		rs->len = rs->size + 1;
	else if(!strcmp(how, "type"))
		snprintf(rs->type, sizeof(rs->type), "text/plain\r\nSet-Cookie: x=1");
	else if(!strcmp(how, "notype"))
		rs->type[0] = '\0';
	return 0;
}

static int mod_init(void)
{
	static char *hows[] = {"fails", "status", "length", "type", "notype", "ok", "slow"};
	static char paths[7][32];
	omniq_http_route_t route;
	unsigned i;

	if(omniq_load_api(&oq) < 0)
		return -1;
	for(i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		snprintf(paths[i], sizeof(paths[i]), "/hooks/bad/%s", hows[i]);
		memset(&route, 0, sizeof(route));
		route.path = omniq_str(paths[i]);
		route.max_body = 1024;
		route.handle = bad_hook;
		route.param = hows[i];
		if(oq.register_http_route(&route) < 0)
			return -1;
	}
	return 0;
}

struct module_exports exports = {
	"omniq_badhook", DEFAULT_DLFLAGS, 0, 0, 0, 0, 0, mod_init, 0, 0
};
