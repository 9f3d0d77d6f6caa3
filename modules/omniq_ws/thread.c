/*
 * thread.c - the threads of an omniq_ws process (event reader, login checker,
 * outbox sender): detached, for the life of the process, named for what they do.
 */
#define _GNU_SOURCE 1 /* pthread_setname_np */
#include <stdio.h>
#include <pthread.h>

#include "core/dprint.h"

#include "ws.h"

int ws_thread_start(void *(*run)(void *), const char *what)
{
	pthread_attr_t at;
	pthread_t th;
	char name[16];
	int rc;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	rc = pthread_create(&th, &at, run, NULL);
	pthread_attr_destroy(&at);
	if(rc != 0) {
		LM_ERR("cannot start the %s thread (error %d)\n", what, rc);
		return -1;
	}
	snprintf(name, sizeof(name), "ws %s", what);
	pthread_setname_np(th, name); /* a name only: nothing depends on it */
	return 0;
}
