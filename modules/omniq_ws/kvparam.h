/*
 * kvparam.h - the "key=value;key=value" modparams of omniq_ws (channel, tenant_chat,
 * tenant_app), parsed one way: Kamailio's parameter syntax, so a value holding ';', ',' or
 * blanks is quoted.
 */
#ifndef OMNIQ_WS_KVPARAM_H
#define OMNIQ_WS_KVPARAM_H

#include "core/str.h"

/* val into vals[0..n-1], the value of keys[i] in vals[i] (s NULL when absent; pointing
 * into val). A trailing ';' is tolerated. 0, or -1 logged as "modparam <what>: ..." for a
 * parse error, an unknown key or a repeated one. */
int ws_kv_parse(const char *what, const char *val, const char *const *keys, str *vals, int n);
/* An http:// or https:// URL of 1..max bytes without blanks or control bytes. */
int ws_valid_url(const str *s, int max);

#endif
