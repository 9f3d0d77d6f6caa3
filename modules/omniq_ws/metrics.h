/*
 * metrics.h - GET /metrics in Prometheus' text format (metrics.c).
 */
#ifndef WS_METRICS_H
#define WS_METRICS_H

#include <stddef.h>

/* The text of tenant (an index, api.tenant_at) in *text (malloc'd, the caller frees) and
 * *len; OMNIQ_OK, or an OMNIQ_* error (Redis: OMNIQ_EREDIS). */
int ws_metrics(int tenant, char **text, size_t *len);

#endif
