/*
 * driver: the table of health APIs (see driver.h).
 */
#include <strings.h>

#include "driver.h"

extern const struct source_driver google_driver;
extern const struct source_driver fitbit_driver;

/* Written only before main runs (built-ins and constructors), read-only
 * after: no lock. */
static const struct source_driver *drivers[SOURCE_DRIVERS_MAX] = {
	&google_driver,
	&fitbit_driver,
};
static size_t ndrivers = 2;

const struct source_driver *const *
source_drivers(size_t *n)
{
	*n = ndrivers;
	return drivers;
}

const struct source_driver *
source_driver_find(const char *name)
{
	size_t i;

	for (i = 0; i < ndrivers; i++)
		if (strcasecmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

int
source_driver_add(const struct source_driver *d)
{
	if (ndrivers == SOURCE_DRIVERS_MAX || source_driver_find(d->name))
		return -1;
	drivers[ndrivers++] = d;
	return 0;
}
