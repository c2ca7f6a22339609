/*
 * groups: COLLECT's groups (see groups.h).
 */
#include <stdio.h>
#include <string.h>

#include "groups.h"
#include "source/source.h"

/* The index of group name[0..len) in SOURCE_GROUPS, or -1. */
static int
group_index(const char *name, size_t len)
{
	const char *g = SOURCE_GROUPS;
	size_t n;
	int i;

	for (i = 0; *g != '\0'; i++) {
		n = strcspn(g, ",");
		if (n == len && strncmp(g, name, len) == 0)
			return i;
		g += n + (g[n] == ',');
	}
	return -1;
}

/* A name safe to echo in a message. */
static int
plain(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' &&
		    p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9') ||
		    p[i] == '_' || p[i] == '-'))
			return 0;
	return n <= 40;
}

unsigned
groups_all(void)
{
	const char *g;
	unsigned mask = 1;

	for (g = SOURCE_GROUPS; *g != '\0'; g++)
		if (*g == ',')
			mask = mask << 1 | 1;
	return mask;
}

int
groups_parse(const char *list, unsigned *mask, struct err *err)
{
	const char *p = list;
	size_t n;
	int i;

	*mask = 0;
	while (*p != '\0') {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 0)
			break;
		if (n == 3 && strncmp(p, "all", 3) == 0)
			*mask = groups_all();
		else if ((i = group_index(p, n)) >= 0)
			*mask |= 1u << i;
		else if (plain(p, n))
			return err_set(err, "COLLECT: unknown data kind '%.*s' "
			    "(known: all," SOURCE_GROUPS ")", (int)n, p);
		else
			return err_set(err, "COLLECT: an unknown data kind "
			    "(known: all," SOURCE_GROUPS ")");
		p += n;
	}
	if (*mask == 0)
		*mask = groups_all();
	return 0;
}

unsigned
groups_mask(const char *group)
{
	int i = group != NULL ? group_index(group, strlen(group)) : -1;

	return i >= 0 ? 1u << i : 0;
}

int
groups_on(unsigned mask, const char *group)
{
	return (mask & groups_mask(group)) != 0;
}
