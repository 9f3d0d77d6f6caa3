/*
 * oq_hooks.c - the HTTP route table (oq_hooks.h). Fixed size: modules are few, and a
 * fixed table cannot fail at run time.
 */
#include <string.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/ut.h"

#include "oq_hooks.h"
#include "oq_validate.h"

static omniq_http_route_t routes[OMNIQ_HTTP_ROUTES_MAX];
static int n_routes = 0;

/* path is r's path or below it: "/hooks/a" serves "/hooks/a" and "/hooks/a/b", never
 * "/hooks/ab". */
static int serves(const omniq_http_route_t *r, const str *path)
{
	return path->len >= r->path.len && !memcmp(path->s, r->path.s, r->path.len)
		   && (path->len == r->path.len || path->s[r->path.len] == '/');
}

const omniq_http_route_t *oq_hook_find(const str *path)
{
	const omniq_http_route_t *best = NULL;
	int i;

	if(path == NULL || path->s == NULL)
		return NULL;
	for(i = 0; i < n_routes; i++)
		if(serves(&routes[i], path) && (best == NULL || routes[i].path.len > best->path.len))
			best = &routes[i];
	return best;
}

int oq_hook_register(const omniq_http_route_t *r)
{
	char why[OQ_WHY_MAX];
	str path;
	int i;

	if(r == NULL || r->path.s == NULL || r->handle == NULL) {
		LM_ERR("HTTP route without a path or a handler\n");
		return OMNIQ_EARG;
	}
	if(oq_check_hook_path(r->path.s, (size_t)r->path.len, why) < 0) {
		LM_ERR("HTTP route: %s\n", why);
		return OMNIQ_EARG;
	}
	if(r->max_body < 0 || r->max_body > OMNIQ_HTTP_BODY_MAX) {
		LM_ERR("HTTP route %.*s: max_body %d is outside 0..%d\n", r->path.len, r->path.s,
				r->max_body, OMNIQ_HTTP_BODY_MAX);
		return OMNIQ_EARG;
	}
	for(i = 0; i < n_routes; i++)
		if(routes[i].path.len == r->path.len
				&& !memcmp(routes[i].path.s, r->path.s, r->path.len)) {
			LM_ERR("HTTP route %.*s is already registered\n", r->path.len, r->path.s);
			return OMNIQ_EARG;
		}
	if(n_routes == OMNIQ_HTTP_ROUTES_MAX) {
		LM_ERR("HTTP route %.*s: more than %d routes\n", r->path.len, r->path.s,
				OMNIQ_HTTP_ROUTES_MAX);
		return OMNIQ_EARG;
	}
	if(pkg_str_dup(&path, &r->path) < 0)
		return OMNIQ_EINTERNAL;
	routes[n_routes] = *r;
	routes[n_routes].path = path;
	n_routes++;
	LM_INFO("HTTP route %s registered (served by omniq_ws)\n", path.s);
	return OMNIQ_OK;
}
