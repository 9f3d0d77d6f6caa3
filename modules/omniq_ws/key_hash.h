/*
 * key_hash.h - FNV-1a of a NUL-terminated key, for omniq_ws's fixed hash tables (followed
 * sessions and agents, watched keys, the login guard). Header-only, so that the unit tests
 * of a table need nothing else.
 */
#ifndef OMNIQ_WS_KEY_HASH_H
#define OMNIQ_WS_KEY_HASH_H

static inline unsigned ws_key_hash(const char *k)
{
	unsigned h = 2166136261u;
	for(; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

#endif
