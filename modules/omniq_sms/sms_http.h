/*
 * sms_http.h - the gateways that call us over HTTP, on omniq_ws' port:
 *
 *   /hooks/sms/<gateway>          Kannel's sms-service get-url / post-url; a Twilio-style
 *                                 provider's incoming-message webhook
 *   /hooks/sms/<gateway>/dlr      Kannel's delivery reports (the dlr-url our sender gives)
 *   /hooks/sms/<gateway>/status   a Twilio-style provider's status callbacks
 *
 * Every answer but a 200 is JSON {"error": {"code", "message"}}; nothing is stored for a
 * request that is refused (a wrong secret or signature: 403).
 */
#ifndef OMNIQ_SMS_HTTP_H
#define OMNIQ_SMS_HTTP_H

#include "omniq/omniq_api.h"

#include "sms_gateway.h"

/* From mod_init: the route of each Kannel and Twilio gateway. 0 or -1. */
int sms_http_routes(omniq_api_t *api);

#endif
