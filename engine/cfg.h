/*
 * cfg.h - a tenant's settings as the engine reads them: P:cfg as oq_config wrote it, each
 * value within its limits from limits.def (else the default), parsed once per version.
 */
#ifndef OQE_CFG_H
#define OQE_CFG_H

#include "call.h"
#include "oq_limits.h"

typedef struct oqe_cfg {
#define OQE_CFG_FIELD(name, def, min, max) long long name;
	OQ_CFG_EACH(OQE_CFG_FIELD)
#undef OQE_CFG_FIELD
	int voice_exclusive;        /* policy: while on a call, no chats or emails are added */
} oqe_cfg;

/* The settings of the call's tenant: P:cfg's `version` is read on every call (oq_config
 * bumps it; a restore or a hand edit changes it too), the hash parsed again when it moved. */
const oqe_cfg *oqe_cfg_get(oqe_call *c);

#endif
