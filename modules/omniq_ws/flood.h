/*
 * flood.h - how much one client may ask of an omniq_ws process: token buckets filling at a
 * rate per second up to twice that (the burst). WebSocket messages are counted per socket
 * (sock.c), HTTP requests per API key (api_rate) or, for the unauthenticated ones and the
 * /hooks/ routes, per client address (hook_rate). A client over its limit gets 429 (or the
 * socket closes with 1008) while the process goes on serving the others. Per process, like
 * the sockets themselves: the lws loop only. Plain C: tests/unit checks it.
 */
#ifndef OMNIQ_WS_FLOOD_H
#define OMNIQ_WS_FLOOD_H

#define WS_FLOOD_KEYS 32 /* API keys (ws.h's WS_KEYS_MAX) */

typedef struct ws_bucket {
	double tokens;
	long long at; /* ms of the last take */
} ws_bucket_t;

/* A full bucket at now_ms. */
void ws_bucket_init(ws_bucket_t *b, int rate, long long now_ms);
/* One token at now_ms: 0, or -1 when the bucket is empty (nothing taken). */
int ws_bucket_take(ws_bucket_t *b, int rate, long long now_ms);

/* The rates (mod_init; modparams api_rate and hook_rate); every key starts with a full
 * bucket. */
void ws_flood_limits(int api_rate, int hook_rate);
/* A request of API key i (0 ≤ i < WS_FLOOD_KEYS) at now_ms: 0 to serve it, -1 for 429. */
int ws_flood_key(int i, long long now_ms);
/* A request from address peer (unauthenticated, or for a /hooks/ route): likewise. The
 * addresses share a fixed table (no allocation, bounded memory however many there are);
 * when it is full the least recently seen one's bucket is given to the newcomer. */
int ws_flood_peer(const char *peer, long long now_ms);

#endif
