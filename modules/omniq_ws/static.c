/*
 * static.c - URL path → embedded web file (see static.h).
 */
#include <string.h>
#include "static.h"

const ws_static_t *ws_static_find(const char *path)
{
	const char *name = NULL;
	int i;

	if(!strcmp(path, "/demo.html") || !strcmp(path, "/"))
		name = "demo.html";
	else if(!strcmp(path, "/desk/") || !strcmp(path, "/desk"))
		name = "desk.html";
	else if(!strncmp(path, "/survey/", 8))
		name = "survey.html"; /* a mailed survey link: its page reads the link itself */
	else if(!strncmp(path, "/static/", 8))
		name = path + 8;
	if(name == NULL || strchr(name, '/'))
		return NULL;
	for(i = 0; ws_static_files[i].name; i++)
		if(!strcmp(ws_static_files[i].name, name))
			return &ws_static_files[i];
	return NULL;
}
