/*
 * tcx: TCX document -> trackpoints -> samples (see tcx.h).
 *
 * Runs on whichever thread calls it; keeps no state between calls except
 * libxml2's one-time set-up (pthread_once): the parser's globals and an
 * external entity loader that refuses every load, so nothing in SyncBit
 * can make libxml2 open a file or a URL; each call silences libxml2's
 * generic error output on its thread (nothing reaches stderr).
 *
 * The walk follows libxml2's xmlTextReader: each element's depth and
 * local name place it on the one path read here
 * (TrainingCenterDatabase/Activities/Activity/Lap/Track/Trackpoint/...);
 * an element off that path, and all below it, is skipped. The text of a
 * field is gathered into a small buffer and parsed when its element ends.
 */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlreader.h>

#include "civil.h"
#include "tcx.h"

#define TCX_NS "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
#define TEXT_MAX 64		/* a field's text; longer is a bad value */
#define DEPTH_MAX 8		/* the path read is at most 8 elements deep */

/* Element kinds on the path read; E_OTHER is everything else. */
enum el {
	E_OTHER, E_ROOT, E_ACTIVITIES, E_ACTIVITY, E_LAP, E_TRACK, E_POINT,
	E_TIME, E_POSITION, E_LAT, E_LON, E_ALT, E_HR, E_HR_VALUE
};

/* Each kind: its local name and the kind of its parent. */
static const struct {
	const char *name;
	enum el parent;
} kinds[] = {
	[E_ROOT] = { "TrainingCenterDatabase", E_OTHER },
	[E_ACTIVITIES] = { "Activities", E_ROOT },
	[E_ACTIVITY] = { "Activity", E_ACTIVITIES },
	[E_LAP] = { "Lap", E_ACTIVITY },
	[E_TRACK] = { "Track", E_LAP },
	[E_POINT] = { "Trackpoint", E_TRACK },
	[E_TIME] = { "Time", E_POINT },
	[E_POSITION] = { "Position", E_POINT },
	[E_LAT] = { "LatitudeDegrees", E_POSITION },
	[E_LON] = { "LongitudeDegrees", E_POSITION },
	[E_ALT] = { "AltitudeMeters", E_POINT },
	[E_HR] = { "HeartRateBpm", E_POINT },
	[E_HR_VALUE] = { "Value", E_HR },
};

/* A field of the point being read: absent, valid, or present but bad. */
enum field { F_ABSENT, F_OK, F_BAD };

struct point {
	enum field time, lat, lon, alt, hr;
	int position;		/* a Position element was seen */
	struct tcx_point p;
};

struct walk {
	xmlTextReaderPtr r;
	struct tcx_route *route;
	struct err *err;
	enum el at[DEPTH_MAX];	/* the kind of the open element per depth */
	struct point cur;
	char text[TEXT_MAX];
	size_t tlen;		/* TEXT_MAX: too long */
	char xerr[160];		/* libxml2's first error, cleaned */
	int xline;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Loads nothing: no DTD, no external entity, from anywhere. */
static xmlParserInputPtr
no_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt)
{
	(void)url;
	(void)id;
	(void)ctxt;
	return NULL;
}

static void
setup(void)
{
	xmlInitParser();
	xmlSetExternalEntityLoader(no_loader);
}

/* libxml2's generic messages (encoding errors...) would go to stderr:
 * the structured handler below reports what matters. */
static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* The first error libxml2 reports, as printable ASCII on one line. */
static void
on_xml_error(void *arg, xmlErrorPtr e)
{
	struct walk *w = arg;
	size_t i, n = 0;
	const char *m;

	if (w->xerr[0] != '\0' || e == NULL || e->level < XML_ERR_ERROR)
		return;
	m = e->message != NULL ? e->message : "error";
	for (i = 0; m[i] != '\0' && n < sizeof(w->xerr) - 1; i++) {
		if (m[i] == '\n' || m[i] == '\r')
			continue;
		w->xerr[n++] = m[i] >= 0x20 && m[i] < 0x7f ? m[i] : '?';
	}
	while (n > 0 && w->xerr[n - 1] == ' ')
		n--;
	w->xerr[n] = '\0';
	if (n == 0)
		strcpy(w->xerr, "error");
	w->xline = e->line;
}

/* The kind of an element at depth d whose parent is at depth d - 1. */
static enum el
classify(const struct walk *w, int d)
{
	const char *name, *ns;
	enum el parent;
	size_t k;

	if (d >= DEPTH_MAX)
		return E_OTHER;
	parent = d > 0 ? w->at[d - 1] : E_OTHER;
	if (d > 0 && parent == E_OTHER)
		return E_OTHER;
	name = (const char *)xmlTextReaderConstLocalName(w->r);
	ns = (const char *)xmlTextReaderConstNamespaceUri(w->r);
	if (name == NULL || (ns != NULL && strcmp(ns, TCX_NS) != 0))
		return E_OTHER;
	for (k = E_ROOT; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		if (kinds[k].parent == parent && strcmp(kinds[k].name, name) == 0)
			return (enum el)k;
	return E_OTHER;
}

static int
is_leaf(enum el k)
{
	return k == E_TIME || k == E_LAT || k == E_LON || k == E_ALT ||
	    k == E_HR_VALUE;
}

/* The gathered text without XML's surrounding whitespace; NULL when it
 * was too long. */
static const char *
trimmed(struct walk *w)
{
	char *s = w->text, *e;

	if (w->tlen >= TEXT_MAX)
		return NULL;
	w->text[w->tlen] = '\0';
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' ||
	    e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* An XML Schema decimal or double in plain notation; finite. */
static enum field
number(const char *s, double *v)
{
	const char *p;
	char *end;
	int digits = 0;

	if (s == NULL || *s == '\0')
		return F_BAD;
	for (p = s; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p))
			digits++;
		else if (strchr("+-.eE", *p) == NULL)
			return F_BAD;
	}
	if (digits == 0)
		return F_BAD;
	*v = strtod(s, &end);
	return *end == '\0' && isfinite(*v) ? F_OK : F_BAD;
}

/* s as a number of [lo, hi] into *v (number() first: the order of a
 * call's arguments is unspecified). */
static enum field
in_range(const char *s, double *v, double lo, double hi)
{
	if (number(s, v) != F_OK)
		return F_BAD;
	return *v >= lo && *v <= hi ? F_OK : F_BAD;
}

/* A field's element ended: parse its text into the current point. */
static void
end_leaf(struct walk *w, enum el k)
{
	struct point *c = &w->cur;
	const char *s = trimmed(w);
	int64_t ms;

	switch (k) {
	case E_TIME:
		c->time = s != NULL && civil_parse_rfc3339(s, &ms) == 0 &&
		    ms >= 0 ? F_OK : F_BAD;
		if (c->time == F_OK)
			c->p.ts_ms = ms;
		break;
	case E_LAT:
		c->lat = in_range(s, &c->p.lat, -90, 90);
		break;
	case E_LON:
		c->lon = in_range(s, &c->p.lon, -180, 180);
		break;
	case E_ALT:
		c->alt = in_range(s, &c->p.alt_m, TCX_ALT_MIN, TCX_ALT_MAX);
		break;
	case E_HR_VALUE:
		c->hr = in_range(s, &c->p.hr_bpm, 1, 255);
		break;
	default:
		break;
	}
}

static int
append(struct tcx_route *rt, const struct tcx_point *p, struct err *err)
{
	struct tcx_point *v;
	size_t cap;

	if (rt->len == TCX_MAX_POINTS)
		return err_set(err, "TCX has more than %d trackpoints",
		    TCX_MAX_POINTS);
	if (rt->len == rt->cap) {
		cap = rt->cap == 0 ? 256 : rt->cap * 2;
		if (cap > TCX_MAX_POINTS)
			cap = TCX_MAX_POINTS;
		if ((v = realloc(rt->v, cap * sizeof(*v))) == NULL)
			return err_set(err, "out of memory");
		rt->v = v;
		rt->cap = cap;
	}
	rt->v[rt->len++] = *p;
	return 0;
}

/* A Trackpoint ended: keep it, drop it with a reason, or fail (cap). */
static int
end_point(struct walk *w)
{
	struct point *c = &w->cur;
	struct tcx_route *rt = w->route;

	if (c->time != F_OK) {
		rt->bad[TCX_BAD_TIME]++;
		return 0;
	}
	if (c->position || c->lat != F_ABSENT || c->lon != F_ABSENT) {
		if (c->lat != F_OK || c->lon != F_OK) {
			rt->bad[TCX_BAD_POSITION]++;
			return 0;
		}
		c->p.has |= TCX_HAS_POSITION;
	}
	if (c->alt == F_OK)
		c->p.has |= TCX_HAS_ALTITUDE;
	else if (c->alt == F_BAD)
		rt->bad[TCX_BAD_ALTITUDE]++;
	if (c->hr == F_OK)
		c->p.has |= TCX_HAS_HEART_RATE;
	else if (c->hr == F_BAD)
		rt->bad[TCX_BAD_HEART_RATE]++;
	return append(rt, &c->p, w->err);
}

/* An element ended (or was empty): finish what it held. */
static int
end_element(struct walk *w, int d)
{
	enum el k;

	if (d >= DEPTH_MAX)
		return 0;
	k = w->at[d];
	w->at[d] = E_OTHER;
	if (is_leaf(k))
		end_leaf(w, k);
	else if (k == E_HR && w->cur.hr == F_ABSENT)
		w->cur.hr = F_BAD;	/* a heart rate without its Value */
	else if (k == E_POINT)
		return end_point(w);
	return 0;
}

/* s (a name from the document) as at most size - 1 bytes of printable
 * ASCII, others as '?'. */
static void
printable(const char *s, char *out, size_t size)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < size; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

static int
start_element(struct walk *w, int d)
{
	enum el k = classify(w, d);
	char name[41];

	if (d == 0 && k != E_ROOT) {
		printable((const char *)xmlTextReaderConstLocalName(w->r), name,
		    sizeof(name));
		return err_set(w->err, "not a TCX document (root '%s')", name);
	}
	if (d >= DEPTH_MAX)
		return 0;
	w->at[d] = k;
	w->tlen = 0;
	switch (k) {
	case E_ACTIVITY:
		w->route->activities++;
		break;
	case E_LAP:
		w->route->laps++;
		break;
	case E_TRACK:
		w->route->tracks++;
		break;
	case E_POINT:
		memset(&w->cur, 0, sizeof(w->cur));
		break;
	case E_POSITION:
		w->cur.position = 1;
		break;
	default:
		break;
	}
	if (xmlTextReaderIsEmptyElement(w->r) == 1)
		return end_element(w, d);
	return 0;
}

/* Text inside a field: gathered until the field ends. */
static void
text(struct walk *w, int d)
{
	const char *s;
	size_t n;

	if (d < 1 || d > DEPTH_MAX || !is_leaf(w->at[d - 1]) ||
	    w->tlen >= TEXT_MAX)
		return;
	s = (const char *)xmlTextReaderConstValue(w->r);
	n = s != NULL ? strlen(s) : 0;
	if (n >= TEXT_MAX - w->tlen) {
		w->tlen = TEXT_MAX;
		return;
	}
	memcpy(w->text + w->tlen, s, n);
	w->tlen += n;
}

static int
step(struct walk *w)
{
	int d = xmlTextReaderDepth(w->r);

	if (d < 0)
		return err_set(w->err, "TCX reader lost its depth");
	switch (xmlTextReaderNodeType(w->r)) {
	case XML_READER_TYPE_DOCUMENT_TYPE:
	case XML_READER_TYPE_ENTITY_REFERENCE:
	case XML_READER_TYPE_ENTITY:
		return err_set(w->err, "TCX has a DOCTYPE or an entity "
		    "(refused: no DTD is read)");
	case XML_READER_TYPE_ELEMENT:
		return start_element(w, d);
	case XML_READER_TYPE_END_ELEMENT:
		return end_element(w, d);
	case XML_READER_TYPE_TEXT:
	case XML_READER_TYPE_CDATA:
	case XML_READER_TYPE_WHITESPACE:
	case XML_READER_TYPE_SIGNIFICANT_WHITESPACE:
		text(w, d);
		return 0;
	default:
		return 0;
	}
}

/* ---- sorting: a stable merge sort, so the first of equal times wins ---- */

static void
merge_sort(struct tcx_point *v, struct tcx_point *tmp, size_t n)
{
	size_t width, lo, mid, hi, i, j, k;

	for (width = 1; width < n; width *= 2) {
		for (lo = 0; lo < n; lo += 2 * width) {
			mid = lo + width < n ? lo + width : n;
			hi = lo + 2 * width < n ? lo + 2 * width : n;
			for (i = lo, j = mid, k = lo; k < hi; k++)
				tmp[k] = i < mid && (j >= hi ||
				    v[i].ts_ms <= v[j].ts_ms) ? v[i++] : v[j++];
		}
		memcpy(v, tmp, n * sizeof(*v));
	}
}

static int
sort_route(struct tcx_route *rt, struct err *err)
{
	struct tcx_point *tmp;
	size_t i, n = 0;
	int sorted = 1;

	for (i = 1; i < rt->len && sorted; i++)
		sorted = rt->v[i - 1].ts_ms < rt->v[i].ts_ms;
	if (!sorted) {
		if ((tmp = malloc(rt->len * sizeof(*tmp))) == NULL)
			return err_set(err, "out of memory");
		merge_sort(rt->v, tmp, rt->len);
		free(tmp);
		for (i = 0; i < rt->len; i++) {
			if (n > 0 && rt->v[n - 1].ts_ms == rt->v[i].ts_ms) {
				rt->bad[TCX_DUP_TIME]++;
				continue;
			}
			rt->v[n++] = rt->v[i];
		}
		rt->len = n;
	}
	for (i = 0, rt->positions = 0; i < rt->len; i++)
		rt->positions += (rt->v[i].has & TCX_HAS_POSITION) != 0;
	return 0;
}

/* ---- the module's functions ---- */

void
tcx_route_init(struct tcx_route *rt)
{
	memset(rt, 0, sizeof(*rt));
}

void
tcx_route_release(struct tcx_route *rt)
{
	free(rt->v);
	tcx_route_init(rt);
}

int
tcx_parse(const char *doc, size_t len, struct tcx_route *rt, struct err *err)
{
	struct walk w;
	int rc = -1, got;

	tcx_route_init(rt);
	if (len > TCX_MAX_BYTES)
		return err_set(err, "TCX of %zu bytes is over the cap of %zu",
		    len, TCX_MAX_BYTES);
	if (len == 0)
		return err_set(err, "empty TCX document");
	pthread_once(&once, setup);
	xmlSetGenericErrorFunc(NULL, quiet);	/* per thread in libxml2 */
	memset(&w, 0, sizeof(w));
	w.route = rt;
	w.err = err;
	/* No NOENT (entities stay references), no DTDLOAD/DTDATTR/DTDVALID,
	 * no XINCLUDE, no HUGE (libxml2's depth and size limits), no net. */
	w.r = xmlReaderForMemory(doc, (int)len, NULL, NULL, XML_PARSE_NONET |
	    XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (w.r == NULL)
		return err_set(err, "out of memory");
	xmlTextReaderSetStructuredErrorHandler(w.r, on_xml_error, &w);
	while ((got = xmlTextReaderRead(w.r)) == 1)
		if (step(&w) == -1)
			goto out;
	if (got == -1 || w.xerr[0] != '\0') {
		err_set(err, "TCX is not well-formed XML (line %d: %s)", w.xline,
		    w.xerr[0] != '\0' ? w.xerr : "unreadable");
		goto out;
	}
	rc = sort_route(rt, err);
out:
	xmlFreeTextReader(w.r);
	if (rc == -1)
		tcx_route_release(rt);
	return rc;
}

const char *
tcx_reason_name(enum tcx_reason r)
{
	static const char *names[TCX_REASONS] = {
		[TCX_BAD_TIME] = "bad_time",
		[TCX_BAD_POSITION] = "bad_position",
		[TCX_DUP_TIME] = "duplicate_time",
		[TCX_BAD_ALTITUDE] = "bad_altitude",
		[TCX_BAD_HEART_RATE] = "bad_heart_rate",
	};

	return (unsigned)r < TCX_REASONS ? names[r] : "?";
}

static int
add(struct samples *out, const char *metric, const struct tcx_point *p,
    double v, const char *session)
{
	if (samples_add(out, metric, (int32_t)(p->ts_ms / 86400000), v,
	    TCX_LABEL_SESSION, session, NULL) == -1)
		return -1;
	out->v[out->len - 1].ts_ms = p->ts_ms;
	return 0;
}

int
tcx_samples(const struct tcx_route *rt, const char *session,
    struct samples *out, struct err *err)
{
	size_t i, base = out->len, n;
	const struct tcx_point *p;
	int64_t ms;

	n = session != NULL ? strlen(session) : 0;
	if (n == 0 || n >= SAMPLE_LVALUE_MAX || session[n - 1] != 'Z' ||
	    civil_parse_rfc3339(session, &ms) == -1)
		return err_set(err, "session start '%.*s' is not RFC 3339 UTC",
		    SAMPLE_LVALUE_MAX, session != NULL ? session : "");
	for (i = 0; i < rt->len; i++) {
		p = &rt->v[i];
		if (((p->has & TCX_HAS_POSITION) &&
		    (add(out, TCX_METRIC_LAT, p, p->lat, session) == -1 ||
		    add(out, TCX_METRIC_LON, p, p->lon, session) == -1)) ||
		    ((p->has & TCX_HAS_ALTITUDE) &&
		    add(out, TCX_METRIC_ALT, p, p->alt_m, session) == -1) ||
		    ((p->has & TCX_HAS_HEART_RATE) &&
		    add(out, TCX_METRIC_HR, p, p->hr_bpm, session) == -1)) {
			out->len = base;
			return err_set(err, "out of memory");
		}
	}
	return 0;
}
