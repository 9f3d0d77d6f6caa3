/*
 * sms_inbound.h - a customer's SMS stored, whichever gateway brought it: the sender's
 * number made E.164 (the same customer as their calls), the message joined to their live
 * SMS session or a new one opened (api.ingest, one Redis round trip), a provider's
 * redelivery of one message id stored once, an opt-out keyword remembered, and the parts
 * of a long SMS that come one by one joined first (api.chan_part).
 */
#ifndef OMNIQ_SMS_INBOUND_H
#define OMNIQ_SMS_INBOUND_H

#include <stddef.h>

#include "omniq/omniq_api.h"

#include "sms_gateway.h"

extern const str sms_channel;

typedef struct sms_in {
	const sms_gw_t *gw;
	const char *from;  /* the sender's number as the gateway wrote it */
	size_t from_len;
	const char *text;  /* UTF-8 (checked here: ill-formed bytes become U+FFFD) */
	size_t len;
	const char *id;    /* the provider's id of this message, NUL-terminated, or NULL */
} sms_in_t;

void sms_inbound_init(omniq_api_t *api);

/* Stores in on its gateway's tenant. 0 stored (sid, when not NULL, gets the session), 1
 * stored before (a redelivery: nothing written), or an OMNIQ_* code with why: OMNIQ_EARG
 * for the customer's mistake (no number), OMNIQ_EREDIS when it could not be stored now (the
 * gateway should try again). */
int sms_inbound_store(const sms_in_t *in, char *sid, int sid_size, char *why, int wsize);

/* One part of a concatenated SMS (UDH ref/total/seq): kept until its message is whole, then
 * stored as above. 0 stored, 1 kept (or a redelivery), <0 as above. */
int sms_inbound_part(const sms_in_t *in, unsigned ref, unsigned total, unsigned seq,
		char *why, int wsize);

/* From a timer: stores every message whose parts did not all come in time, with a mark
 * where each missing part belongs, for every tenant. */
void sms_inbound_parts_due(void);

/* How long the parts of one message are waited for (modparam parts_timeout, seconds). */
extern int sms_parts_timeout;

#endif
