/*
 * api_face.c - RPC commands for the members of omniq's C API that no shipped face reaches
 * (only a third party's channel module would call them), so that test_faults.py can call
 * them the way such a module does and see their answers:
 *   faults.append_once sid dir from body cid   {rc, id}
 *   faults.online identity                      {rc}
 *   faults.transcript sid                       {rc}: the number of entries
 * An error answers the fault omniq_http_status(rc) with the member's last_error().
 * Bound to omniq in mod_init when omniq is loaded (else the commands say so).
 */
#include <stdio.h>

#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/dprint.h"

#include "omniq/omniq_api.h"
#include "api_face.h"

static omniq_api_t oq;
static int bound;

static int answer(rpc_t *rpc, void *c, int rc, const char *id)
{
	void *st;

	if(rc < 0) {
		rpc->fault(c, omniq_http_status(rc), "%s", oq.last_error());
		return -1;
	}
	if(rpc->add(c, "{", &st) < 0)
		return -1;
	return id ? rpc->struct_add(st, "ds", "rc", rc, "id", id) : rpc->struct_add(st, "d", "rc", rc);
}

static int ready(rpc_t *rpc, void *c)
{
	if(!bound)
		rpc->fault(c, 501, "omniq is not loaded");
	return bound;
}

static const char *append_once_doc[] = {"api.append_once: sid dir from body cid", 0};
static void rpc_append_once(rpc_t *rpc, void *c)
{
	str a[5];
	char id[48] = "";

	if(ready(rpc, c) && rpc->scan(c, ".S.S.S.S.S", &a[0], &a[1], &a[2], &a[3], &a[4]) == 5)
		answer(rpc, c, oq.append_once(&a[0], &a[1], &a[2], &a[3], &a[4], id, sizeof(id)), id);
}

static const char *online_doc[] = {"api.online: identity", 0};
static void rpc_online(rpc_t *rpc, void *c)
{
	str a;

	if(ready(rpc, c) && rpc->scan(c, ".S", &a) == 1)
		answer(rpc, c, oq.online(&a), NULL);
}

static void count_entry(void *arg, const str *id, const str *dir, const str *from,
		const str *body)
{
	(void)arg;
	(void)id;
	(void)dir;
	(void)from;
	(void)body;
}

static const char *transcript_doc[] = {"api.transcript: sid", 0};
static void rpc_transcript(rpc_t *rpc, void *c)
{
	str a;

	if(ready(rpc, c) && rpc->scan(c, ".S", &a) == 1)
		answer(rpc, c, oq.transcript(&a, NULL, 1000, count_entry, NULL), NULL);
}

static rpc_export_t cmds[] = {
	{"faults.append_once", rpc_append_once, append_once_doc, 0},
	{"faults.online", rpc_online, online_doc, 0},
	{"faults.transcript", rpc_transcript, transcript_doc, 0},
	{0, 0, 0, 0}
};

int oqf_api_face_init(void)
{
	if(find_export("bind_omniq", 0, 0) != NULL && omniq_load_api(&oq) == 0)
		bound = 1;
	if(rpc_register_array(cmds) != 0) {
		LM_ERR("cannot register the faults.* API commands\n");
		return -1;
	}
	return 0;
}
