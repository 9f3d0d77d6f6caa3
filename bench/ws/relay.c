/*
 * relay - the baseline of bench/ws: the least a WebSocket server must do for the same
 * traffic, on the same libwebsockets, with no omniq and no Redis.
 *
 *   relay <port>
 *
 * It speaks just enough of omniq's chat and desk protocols for ws_load: a customer's hello
 * gets a welcome; each customer is tied to an agent (round robin, at its first message);
 * a customer's message is parsed as JSON, acknowledged, and forwarded to its agent as a
 * desk "message" frame built as JSON. One process, one thread: what one lws loop carries,
 * on libuv (epoll) as omniq_ws.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libwebsockets.h>
#include <jansson.h>

#define AGENTS_MAX 4096

typedef struct frame {
	struct frame *next;
	size_t len;
	unsigned char data[]; /* LWS_PRE + len */
} frame_t;

typedef struct rconn {
	struct lws *wsi;
	int kind; /* 0 customer, 1 agent */
	int idx;
	struct rconn *agent; /* a customer's agent */
	frame_t *head, *tail;
} rconn_t;

static rconn_t *agents[AGENTS_MAX];
static int n_agents, n_customers, next_agent;

static void push(rconn_t *c, json_t *v)
{
	char *txt = json_dumps(v, JSON_COMPACT);
	size_t n;
	frame_t *f;

	json_decref(v);
	if(txt == NULL)
		return;
	n = strlen(txt);
	f = malloc(sizeof(*f) + LWS_PRE + n);
	if(f == NULL) {
		free(txt);
		return;
	}
	f->next = NULL;
	f->len = n;
	memcpy(f->data + LWS_PRE, txt, n);
	free(txt);
	if(c->tail)
		c->tail->next = f;
	else
		c->head = f;
	c->tail = f;
	lws_callback_on_writable(c->wsi);
}

static void on_customer(rconn_t *c, json_t *m)
{
	const char *type = json_string_value(json_object_get(m, "type"));
	json_t *cid;

	if(type == NULL)
		return;
	if(!strcmp(type, "hello")) {
		push(c, json_pack("{s:s,s:s,s:s,s:n}", "type", "welcome", "visitor", "v",
						"identity", "web:relay", "session"));
		return;
	}
	if(strcmp(type, "message") || !json_is_string(json_object_get(m, "text")))
		return;
	if(c->agent == NULL && n_agents > 0)
		c->agent = agents[next_agent++ % n_agents];
	cid = json_object_get(m, "cid");
	if(json_is_string(cid))
		push(c, json_pack("{s:s,s:O}", "type", "ack", "cid", cid));
	else
		push(c, json_pack("{s:s}", "type", "ack"));
	if(c->agent && c->agent->wsi)
		push(c->agent, json_pack("{s:s,s:i,s:s,s:s,s:O}", "type", "message", "sid", c->idx,
							   "dir", "in", "from", "web:relay", "text",
							   json_object_get(m, "text")));
}

static int cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		size_t len)
{
	rconn_t *c = (rconn_t *)user;
	const struct lws_protocols *p;
	json_t *m;
	frame_t *f;

	switch(reason) {
		case LWS_CALLBACK_ESTABLISHED:
			memset(c, 0, sizeof(*c));
			c->wsi = wsi;
			p = lws_get_protocol(wsi);
			c->kind = !strcmp(p->name, "omniq-agent");
			if(c->kind == 1) {
				if(n_agents == AGENTS_MAX)
					return -1;
				c->idx = n_agents;
				agents[n_agents++] = c;
			} else {
				c->idx = ++n_customers;
			}
			return 0;
		case LWS_CALLBACK_RECEIVE:
			m = json_loadb(in, len, 0, NULL);
			if(m == NULL)
				return -1;
			if(c->kind == 0)
				on_customer(c, m);
			else if(!strcmp(json_string_value(json_object_get(m, "type")) ?: "", "hello"))
				push(c, json_pack("{s:s,s:s,s:[]}", "type", "welcome", "agent", "a", "inbox"));
			json_decref(m);
			return 0;
		case LWS_CALLBACK_SERVER_WRITEABLE:
			f = c->head;
			if(f == NULL)
				return 0;
			if(lws_write(wsi, f->data + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
				return -1;
			c->head = f->next;
			if(c->head == NULL)
				c->tail = NULL;
			free(f);
			if(c->head)
				lws_callback_on_writable(wsi);
			return 0;
		case LWS_CALLBACK_CLOSED:
			while((f = c->head)) {
				c->head = f->next;
				free(f);
			}
			c->wsi = NULL;
			return 0;
		default:
			return 0;
	}
}

static struct lws_protocols protocols[] = {
	{"http", lws_callback_http_dummy, 0, 0, 0, NULL, 0},
	{"omniq-chat", cb, sizeof(rconn_t), 4096, 0, NULL, 0},
	{"omniq-agent", cb, sizeof(rconn_t), 4096, 0, NULL, 0},
	{NULL, NULL, 0, 0, 0, NULL, 0}
};

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct lws_context *ctx;

	if(argc != 2)
		return 2;
	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = atoi(argv[1]);
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_LIBUV;
	ctx = lws_create_context(&info);
	if(ctx == NULL)
		return 1;
	printf("relay listening on 127.0.0.1:%d\n", info.port);
	fflush(stdout);
	lws_service(ctx, 0); /* with libuv: runs the loop until the process is killed */
	return 0;
}
