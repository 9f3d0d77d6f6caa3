/*
 * oq_driver.c - channel driver table. A fixed array: channels are few, registration happens
 * once at start, and a fixed table cannot fail at run time.
 */
#include <string.h>

#include "core/dprint.h"
#include "core/mem/pkg.h"
#include "core/ut.h"

#include "oq_driver.h"
#include "oq_validate.h"

static omniq_driver_t drivers[OQ_DRIVERS_MAX];
static int n_drivers = 0;

const omniq_driver_t *oq_driver_find(const str *channel)
{
	int i;
	for(i = 0; i < n_drivers; i++)
		if(drivers[i].channel.len == channel->len
				&& !memcmp(drivers[i].channel.s, channel->s, channel->len))
			return &drivers[i];
	return NULL;
}

int oq_driver_register(const omniq_driver_t *drv)
{
	char why[OQ_WHY_MAX];
	const omniq_driver_t *had;
	oq_class_t cls;
	str name;

	if(drv == NULL || drv->channel.s == NULL) {
		LM_ERR("channel driver without a channel name\n");
		return OMNIQ_EARG;
	}
	if(oq_check_channel(drv->channel.s, drv->channel.len, &cls, why) < 0) {
		LM_ERR("channel driver '%.*s': %s\n", drv->channel.len, drv->channel.s, why);
		return OMNIQ_EARG;
	}
	if(drv->cls < OMNIQ_CLASS_VOICE || drv->cls > OMNIQ_CLASS_EMAIL) {
		LM_ERR("channel driver '%.*s': capacity class %d unknown\n", drv->channel.len,
				drv->channel.s, drv->cls);
		return OMNIQ_EARG;
	}
	if((had = oq_driver_find(&drv->channel)) != NULL) {
		LM_ERR("channel '%.*s' is registered twice: by %s, then by %s (give the channel "
			   "another name in one of them)\n", drv->channel.len, drv->channel.s,
				had->owner ? had->owner : "a module", drv->owner ? drv->owner : "a module");
		return OMNIQ_EARG;
	}
	if(n_drivers == OQ_DRIVERS_MAX) {
		LM_ERR("more than %d channel drivers\n", OQ_DRIVERS_MAX);
		return OMNIQ_EINTERNAL;
	}
	if(pkg_str_dup(&name, &drv->channel) < 0)
		return OMNIQ_EINTERNAL;
	drivers[n_drivers] = *drv;
	drivers[n_drivers].channel = name;
	n_drivers++;
	LM_INFO("channel driver '%s' registered (class %s)\n", name.s,
			oq_class_name((oq_class_t)drv->cls));
	return OMNIQ_OK;
}

void oq_driver_event(const omniq_event_t *ev)
{
	const omniq_driver_t *d = oq_driver_find(&ev->channel);
	if(d && d->event)
		d->event(ev, d->param);
}

int oq_driver_count(void)
{
	return n_drivers;
}

const omniq_driver_t *oq_driver_at(int i)
{
	return (i >= 0 && i < n_drivers) ? &drivers[i] : NULL;
}

int oq_driver_refer_channels(char *out, int size)
{
	int i, n = 0;

	for(i = 0; i < n_drivers; i++) {
		if(!(drivers[i].caps & OMNIQ_CAP_REFER))
			continue;
		if(n + drivers[i].channel.len + 2 > size)
			return -1;
		if(n)
			out[n++] = ',';
		memcpy(out + n, drivers[i].channel.s, drivers[i].channel.len);
		n += drivers[i].channel.len;
	}
	out[n] = '\0';
	return n;
}
