/*
 * answer: the ends of the sources' answer parsers and the time zone of a
 * profile, shared by source/fitbit and source/google (see answer.h).
 */
#include <string.h>

#include "civil.h"
#include "source/answer.h"

int
answer_done(int rc, cJSON *root, struct samples *out, size_t base)
{
	if (rc == -1)
		out->len = base;
	cJSON_Delete(root);
	return rc;
}

int
answer_zone(struct profile *p, const char *zone, const char *missing,
    const char *unknown, struct err *err)
{
	if (zone == NULL || *zone == '\0')
		return err_set(err, "%s", missing);
	if (strlen(zone) >= sizeof(p->zone) || !civil_zone_valid(zone))
		return err_set(err, "%s", unknown);
	memcpy(p->zone, zone, strlen(zone) + 1);
	return 0;
}
