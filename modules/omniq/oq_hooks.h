/*
 * oq_hooks.h - the HTTP routes other modules register for omniq_ws to serve
 * (include/omniq/omniq_api.h, "HTTP routes").
 *
 * Like the driver table: registered in mod_init into pkg memory before Kamailio forks, so
 * every child has the same table and a lookup takes no lock.
 */
#ifndef OQ_HOOKS_H
#define OQ_HOOKS_H

#include "omniq/omniq_api.h"

int oq_hook_register(const omniq_http_route_t *r);
const omniq_http_route_t *oq_hook_find(const str *path);

#endif
