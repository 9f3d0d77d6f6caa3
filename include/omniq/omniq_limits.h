/*
 * omniq_limits.h - the limits every caller of omniq meets, for channel modules to check
 * their input against (and size their buffers by) before they call the API, so that a
 * customer or an admin hears the same bound from every surface.
 *
 * Plain C, no Kamailio headers: a module's pure-C parts (parsers tested on their own)
 * include it too. omniq_api.h includes it.
 *
 * The numbers are a promise of the API: omniq's own source of every limit is
 * modules/omniq/limits.def (generated into its C side and into the Redis library), and
 * omniq does not build when one of these disagrees with it (oq_api.c).
 */
#ifndef OMNIQ_LIMITS_H
#define OMNIQ_LIMITS_H

#define OMNIQ_SID_MAX 24         /* holds a session or customer id (20 digits) and its NUL */
#define OMNIQ_ID_MAX 64          /* agent id, queue name, tenant, disposition */
#define OMNIQ_CHANNEL_MAX 32     /* a channel's name */
#define OMNIQ_PRIORITY_MAX 1000  /* a session's priority is 0..OMNIQ_PRIORITY_MAX */
#define OMNIQ_TEXT_MAX 256       /* ext, from, a customer's profile field, bytes */
#define OMNIQ_IDENTITY_MAX 256   /* a customer identity ("phone:+8613800000001"), bytes */
#define OMNIQ_CID_MAX 64         /* a client's or channel's message id, bytes */
#define OMNIQ_BODY_MAX 65536     /* a message body, bytes */
#define OMNIQ_PROVIDER_ID_MAX 128 /* a provider's id of a message it took (its delivery
                                    reports name it), bytes */
#define OMNIQ_REASON_MAX 512     /* why a message was not sent, in the provider's words */
#define OMNIQ_MEDIA_MAX 10485760 /* a provider's media file kept for agents (10 MiB) */
#define OMNIQ_MEDIA_KEY 32       /* a media key: 32 lower-case hex digits */
#define OMNIQ_CHAN_NAMES_MAX 64  /* names of one chan_get_first() or chan_set_many() */
#define OMNIQ_SLA_FIELDS_MAX 16 /* the fields of a service-level policy (sla_set) */
#define OMNIQ_XFER_TOKEN_MIN 16  /* a transfer's token (api.xfer_note): letters and digits */
#define OMNIQ_XFER_TOKEN_MAX 64
#define OMNIQ_XFER_MOVED_MAX 256 /* tokens one api.xfer_moved() asks about */
#define OMNIQ_SKILLS_BUF 528     /* holds a session's skill list (16 names of up to 32 bytes,
                                    comma-separated) and its NUL */

#endif
