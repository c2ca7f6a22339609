/*
 * tzif: the UTC offset of an IANA zone at an instant, read from the
 * zone's TZif file (RFC 8536) without TZ, tzset() or localtime().
 *
 * The version 2+ block (64-bit transition times) is used when present,
 * else the version 1 block. Instants after the last transition follow the
 * POSIX TZ string of the footer: Debian may ship "slim" files whose table
 * stops early and rely on it. Leap-second ("right/") files are refused.
 *
 * Threads: tzif_get() may be called from any thread. A loaded zone is
 * immutable and cached for the life of the process (one mutex guards the
 * list, never held during a read); callers keep the pointer.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "file.h"
#include "tzif.h"

#define TZIF_MAX_FILE (1024 * 1024)
#define TZIF_MAX_TIMES 65536
#define TZIF_MAX_TYPES 256

/* A rule date of the footer: Jn, n or Mm.w.d, and a time of day. */
struct rule {
	char kind;		/* 'J', 'D' (zero-based n) or 'M' */
	int n, m, w, d;
	long secs;		/* local time of the change, -167..167 h */
};

struct tzif {
	char name[CIVIL_ZONE_MAX];
	struct tzif *next;	/* the cache */
	size_t ntimes, ntypes;
	int64_t *times;		/* ascending */
	uint8_t *idx;		/* type of each transition */
	int32_t *utoff;		/* per type, seconds east */
	int has_footer, has_dst;
	long std_off, dst_off;	/* footer, seconds east */
	struct rule start, end;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tzif *cache;

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const uint8_t *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct hdr {
	char version;
	uint32_t isut, isstd, leap, times, types, chars;
};

static int
header(const uint8_t *p, size_t len, struct hdr *h, struct err *err)
{
	if (len < 44 || memcmp(p, "TZif", 4) != 0)
		return err_set(err, "not a TZif file");
	h->version = (char)p[4];
	h->isut = be32(p + 20);
	h->isstd = be32(p + 24);
	h->leap = be32(p + 28);
	h->times = be32(p + 32);
	h->types = be32(p + 36);
	h->chars = be32(p + 40);
	if (h->types == 0 || h->types > TZIF_MAX_TYPES ||
	    h->times > TZIF_MAX_TIMES || h->chars > 65536 ||
	    h->leap > 65536 || (h->isut != 0 && h->isut != h->types) ||
	    (h->isstd != 0 && h->isstd != h->types))
		return err_set(err, "TZif header counts out of range");
	return 0;
}

/* Bytes of a data block with time size tsz (4 or 8). */
static size_t
block_len(const struct hdr *h, size_t tsz)
{
	return h->times * (tsz + 1) + h->types * 6 + h->chars +
	    h->leap * (tsz + 4) + h->isstd + h->isut;
}

static int
read_block(struct tzif *z, const struct hdr *h, const uint8_t *p, size_t tsz,
    struct err *err)
{
	size_t i;

	if (h->leap != 0)
		return err_set(err, "leap-second TZif files are not supported");
	z->ntimes = h->times;
	z->ntypes = h->types;
	z->times = calloc(h->times + 1, sizeof(*z->times));
	z->idx = calloc(h->times + 1, 1);
	z->utoff = calloc(h->types, sizeof(*z->utoff));
	if (z->times == NULL || z->idx == NULL || z->utoff == NULL)
		return err_set(err, "out of memory");
	for (i = 0; i < h->times; i++) {
		z->times[i] = tsz == 8 ? be64(p + i * 8) :
		    (int64_t)(int32_t)be32(p + i * 4);
		if (i > 0 && z->times[i] <= z->times[i - 1])
			return err_set(err, "TZif transitions not ascending");
	}
	p += h->times * tsz;
	for (i = 0; i < h->times; i++) {
		z->idx[i] = p[i];
		if (p[i] >= h->types)
			return err_set(err, "TZif transition type out of range");
	}
	p += h->times;
	for (i = 0; i < h->types; i++) {
		z->utoff[i] = (int32_t)be32(p + i * 6);
		if (z->utoff[i] <= -25 * 3600 || z->utoff[i] >= 26 * 3600 ||
		    p[i * 6 + 4] > 1)
			return err_set(err, "TZif time type out of range");
	}
	return 0;
}

/* --- the POSIX TZ string of the footer --- */

static const char *
tz_name(const char *s)
{
	const char *p = s;

	if (*p == '<') {
		while (*++p != '>')
			if (*p == '\0')
				return NULL;
		return p - s >= 4 ? p + 1 : NULL;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

static const char *
tz_num(const char *s, int min, int max, int *out)
{
	int v = 0, n = 0;

	while (*s >= '0' && *s <= '9' && n < 3) {
		v = v * 10 + (*s++ - '0');
		n++;
	}
	if (n == 0 || v < min || v > max)
		return NULL;
	*out = v;
	return s;
}

/* [+-]hh[:mm[:ss]] with hh <= maxh; seconds in *out. */
static const char *
tz_time(const char *s, int maxh, long *out)
{
	int neg = 0, h, m = 0, sec = 0;

	if (*s == '+' || *s == '-')
		neg = *s++ == '-';
	if ((s = tz_num(s, 0, maxh, &h)) == NULL)
		return NULL;
	if (*s == ':' && (s = tz_num(s + 1, 0, 59, &m)) != NULL &&
	    *s == ':')
		s = tz_num(s + 1, 0, 59, &sec);
	if (s == NULL)
		return NULL;
	*out = (neg ? -1L : 1L) * (h * 3600L + m * 60L + sec);
	return s;
}

static const char *
tz_rule(const char *s, struct rule *r)
{
	r->secs = 7200;
	if (*s == 'J') {
		r->kind = 'J';
		s = tz_num(s + 1, 1, 365, &r->n);
	} else if (*s == 'M') {
		r->kind = 'M';
		if ((s = tz_num(s + 1, 1, 12, &r->m)) == NULL || *s != '.' ||
		    (s = tz_num(s + 1, 1, 5, &r->w)) == NULL || *s != '.')
			return NULL;
		s = tz_num(s + 1, 0, 6, &r->d);
	} else {
		r->kind = 'D';
		s = tz_num(s, 0, 365, &r->n);
	}
	if (s != NULL && *s == '/')
		s = tz_time(s + 1, 167, &r->secs);
	return s;
}

static int
parse_tz(struct tzif *z, const char *s)
{
	long off;

	if ((s = tz_name(s)) == NULL || (s = tz_time(s, 24, &off)) == NULL)
		return -1;
	z->std_off = -off;
	z->has_footer = 1;
	if (*s == '\0')
		return 0;
	if ((s = tz_name(s)) == NULL)
		return -1;
	z->has_dst = 1;
	z->dst_off = z->std_off + 3600;
	if (*s != ',' && *s != '\0') {
		if ((s = tz_time(s, 24, &off)) == NULL)
			return -1;
		z->dst_off = -off;
	}
	if (*s == '\0') {	/* glibc's default: the US rules */
		z->start = (struct rule){ 'M', 0, 3, 2, 0, 7200 };
		z->end = (struct rule){ 'M', 0, 11, 1, 0, 7200 };
		return 0;
	}
	if (*s != ',' || (s = tz_rule(s + 1, &z->start)) == NULL ||
	    *s != ',' || (s = tz_rule(s + 1, &z->end)) == NULL || *s != '\0')
		return -1;
	return 0;
}

static int
is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The civil day (days since 1970) of rule r in year y. */
static int32_t
rule_day(const struct rule *r, int y)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int32_t jan1 = civil_from_ymd(y, 1, 1), first;
	int wd, day, last;

	if (r->kind == 'J')
		return jan1 + r->n - 1 + (is_leap(y) && r->n >= 60);
	if (r->kind == 'D')
		return jan1 + r->n;
	first = civil_from_ymd(y, r->m, 1);
	wd = (int)(((first % 7) + 7 + 4) % 7);	/* 1970-01-01: Thursday */
	day = 1 + (r->d - wd + 7) % 7 + 7 * (r->w - 1);
	last = dim[r->m - 1] + (r->m == 2 && is_leap(y));
	while (day > last)
		day -= 7;
	return first + day - 1;
}

static long
footer_offset(const struct tzif *z, int64_t t)
{
	int64_t s, e;
	int y, m, d;

	if (!z->has_dst)
		return z->std_off;
	civil_to_ymd((int32_t)((t + z->std_off) / 86400 -
	    ((t + z->std_off) % 86400 < 0)), &y, &m, &d);
	/* DST starts at start.secs standard time, ends at end.secs DST */
	s = (int64_t)rule_day(&z->start, y) * 86400 + z->start.secs -
	    z->std_off;
	e = (int64_t)rule_day(&z->end, y) * 86400 + z->end.secs - z->dst_off;
	if (s < e)
		return t >= s && t < e ? z->dst_off : z->std_off;
	return t >= e && t < s ? z->std_off : z->dst_off;
}

long
tzif_offset(const struct tzif *z, int64_t t)
{
	size_t lo = 0, hi = z->ntimes;

	/* instants this far out cannot be converted to a year: clamp */
	if (t > (int64_t)1 << 40)
		t = (int64_t)1 << 40;
	else if (t < -((int64_t)1 << 40))
		t = -((int64_t)1 << 40);
	if (z->ntimes == 0 || t < z->times[0])
		return z->ntimes == 0 && z->has_footer ? footer_offset(z, t) :
		    z->utoff[0];
	if (t >= z->times[z->ntimes - 1] && z->has_footer)
		return footer_offset(z, t);
	while (hi - lo > 1) {	/* times[lo] <= t < times[hi] */
		size_t mid = lo + (hi - lo) / 2;

		if (z->times[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->utoff[z->idx[lo]];
}

void
tzif_free(struct tzif *z)
{
	if (z == NULL)
		return;
	free(z->times);
	free(z->idx);
	free(z->utoff);
	free(z);
}

/* The footer: "\nTZ\n" right after the v2+ block; empty means none. */
static int
footer(struct tzif *z, const uint8_t *p, size_t len, struct err *err)
{
	char tz[256];
	const uint8_t *nl;

	if (len < 2 || p[0] != '\n' ||
	    (nl = memchr(p + 1, '\n', len - 1)) == NULL)
		return err_set(err, "TZif footer missing or truncated");
	if (nl - p - 1 >= (long)sizeof(tz))
		return err_set(err, "TZif footer too long");
	memcpy(tz, p + 1, (size_t)(nl - p - 1));
	tz[nl - p - 1] = '\0';
	if (tz[0] == '\0')
		return 0;
	if (memchr(tz, '\0', (size_t)(nl - p - 1)) != NULL ||
	    parse_tz(z, tz) == -1)
		return err_set(err, "TZif footer: unsupported TZ string");
	return 0;
}

int
tzif_parse(const uint8_t *buf, size_t len, struct tzif **out,
    struct err *err)
{
	struct tzif *z;
	struct hdr h;
	size_t n;

	*out = NULL;
	if (header(buf, len, &h, err) == -1)
		return -1;
	n = 44 + block_len(&h, 4);
	if (n > len)
		return err_set(err, "TZif file truncated");
	if ((z = calloc(1, sizeof(*z))) == NULL)
		return err_set(err, "out of memory");
	if (h.version >= '2') {
		if (header(buf + n, len - n, &h, err) == -1)
			goto fail;
		buf += n;
		len -= n;
		n = 44 + block_len(&h, 8);
		if (n > len) {
			err_set(err, "TZif file truncated");
			goto fail;
		}
		if (read_block(z, &h, buf + 44, 8, err) == -1 ||
		    footer(z, buf + n, len - n, err) == -1)
			goto fail;
	} else if (read_block(z, &h, buf + 44, 4, err) == -1)
		goto fail;
	*out = z;
	return 0;
fail:
	tzif_free(z);
	return -1;
}

static struct tzif *
load(const char *zone, struct err *err)
{
	const char *dir = getenv("TZDIR");	/* read only, never set */
	char path[512];
	struct tzif *z;
	struct err e = { 0 };
	char *buf;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/%s",
	    dir != NULL ? dir : "/usr/share/zoneinfo", zone);
	if (file_read(path, TZIF_MAX_FILE, &buf, &len, &e) == -1) {
		err_set(err, "time zone '%s': %s", zone, e.msg);
		return NULL;
	}
	rc = tzif_parse((const uint8_t *)buf, len, &z, &e);
	free(buf);
	if (rc == -1) {
		err_set(err, "time zone '%s': %s in '%s'", zone, e.msg, path);
		return NULL;
	}
	snprintf(z->name, sizeof(z->name), "%s", zone);
	return z;
}

const struct tzif *
tzif_get(const char *zone, struct err *err)
{
	struct tzif *z, *n;

	if (!civil_zone_valid(zone)) {
		err_set(err, "unknown time zone '%s'", zone);
		return NULL;
	}
	pthread_mutex_lock(&cache_lock);
	for (z = cache; z != NULL; z = z->next)
		if (strcmp(z->name, zone) == 0)
			break;
	pthread_mutex_unlock(&cache_lock);
	if (z != NULL)
		return z;
	if ((n = load(zone, err)) == NULL)
		return NULL;
	pthread_mutex_lock(&cache_lock);
	for (z = cache; z != NULL; z = z->next)	/* another thread won */
		if (strcmp(z->name, zone) == 0)
			break;
	if (z == NULL) {
		n->next = cache;
		cache = z = n;
		n = NULL;
	}
	pthread_mutex_unlock(&cache_lock);
	tzif_free(n);
	return z;
}
