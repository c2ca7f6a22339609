/*
 * state: sync_state.json (see state.h).
 *
 * Collector thread only (and single-threaded commands). Parsing is strict:
 * a file that is not exactly the shape state_save() writes is refused with
 * one line naming the file and the first thing wrong, because guessing
 * would resend or skip history without anyone noticing. Saving goes
 * through file_write_atomic(), mode 0600; loading first finishes (or
 * drops) a save a crash interrupted before its rename.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "civil.h"
#include "file.h"
#include "state.h"

#define STATE_VERSION 1
#define STATE_MAX_BYTES (1024 * 1024)
#define FP_HEX 16
#define KIND_NAME_MAX (sizeof(((struct state_kind *)0)->name))

void
state_init(struct state *st)
{
	memset(st, 0, sizeof(*st));
}

/* Describe what is wrong in why; always -1. */
static int
bad(char *why, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	return -1;
}

/* s for a message: at most 40 characters, the unprintable ones as '?'. */
static const char *
shown(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < size && i < 40; i++)
		buf[i] = s[i] >= ' ' && s[i] <= '~' ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* A kind name: 1..47 printable characters, no quote or backslash. */
static int
kind_name_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n >= KIND_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' || s[i] == '\\')
			return 0;
	return 1;
}

static int
fp_parse(const char *s, uint64_t *fp)
{
	uint64_t v = 0;
	int i, d;

	if (strlen(s) != FP_HEX)
		return -1;
	for (i = 0; i < FP_HEX; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*fp = v;
	return 0;
}

static int
parse_kinds(const cJSON *kinds, struct state *st, char *why, size_t size)
{
	const cJSON *k, *f, *lo;
	struct state_kind *sk;
	char name[48];
	size_t i;

	if (!cJSON_IsObject(kinds))
		return bad(why, size, "'kinds' is not an object");
	cJSON_ArrayForEach(k, kinds) {
		if (!kind_name_ok(k->string))
			return bad(why, size, "kind name '%s' is invalid",
			    shown(k->string, name, sizeof(name)));
		for (i = 0; i < st->nkinds; i++)
			if (strcmp(st->kinds[i].name, k->string) == 0)
				return bad(why, size, "kind '%s' appears twice",
				    k->string);
		if (st->nkinds == STATE_KINDS_MAX)
			return bad(why, size, "more than %d kinds",
			    STATE_KINDS_MAX);
		if (!cJSON_IsObject(k))
			return bad(why, size, "kind '%s' is not an object",
			    k->string);
		sk = &st->kinds[st->nkinds];
		snprintf(sk->name, sizeof(sk->name), "%s", k->string);
		sk->lo = INT32_MIN;
		lo = cJSON_GetObjectItemCaseSensitive(k, "lo");
		if (cJSON_GetArraySize(k) != (lo != NULL ? 2 : 1) ||
		    (f = cJSON_GetObjectItemCaseSensitive(k, "next")) == NULL)
			return bad(why, size, "kind '%s' must hold only 'next' "
			    "(and 'lo')", k->string);
		if (!cJSON_IsString(f) || civil_parse(f->valuestring,
		    &sk->next) == -1)
			return bad(why, size, "'next' of kind '%s' is not a "
			    "YYYY-MM-DD date", k->string);
		if (lo != NULL && (!cJSON_IsString(lo) ||
		    civil_parse(lo->valuestring, &sk->lo) == -1))
			return bad(why, size, "'lo' of kind '%s' is not a "
			    "YYYY-MM-DD date", k->string);
		st->nkinds++;
	}
	return 0;
}

/* "YYYY-MM-DD" or "YYYY-MM-DD/kind" -> day and kind. */
static int
recent_key(const char *key, struct state_recent *sr)
{
	char date[CIVIL_DATE_LEN];
	size_t n = strcspn(key, "/");

	if (n != CIVIL_DATE_LEN - 1)
		return -1;
	memcpy(date, key, n);
	date[n] = '\0';
	if (civil_parse(date, &sr->day) == -1)
		return -1;
	sr->kind[0] = '\0';
	if (key[n] == '\0')
		return 0;
	if (!kind_name_ok(key + n + 1))
		return -1;
	snprintf(sr->kind, sizeof(sr->kind), "%s", key + n + 1);
	return 0;
}

static int
parse_recent(const cJSON *recent, struct state *st, char *why, size_t size)
{
	const cJSON *r;
	struct state_recent *sr, one;
	char name[48];
	size_t i, at;

	if (!cJSON_IsObject(recent))
		return bad(why, size, "'recent' is not an object");
	cJSON_ArrayForEach(r, recent) {
		if (st->nrecent == STATE_RECENT_MAX)
			return bad(why, size, "more than %d recent days",
			    STATE_RECENT_MAX);
		sr = &st->recent[st->nrecent];
		if (recent_key(r->string, sr) == -1)
			return bad(why, size, "recent key '%s' is not "
			    "YYYY-MM-DD[/kind]", shown(r->string, name,
			    sizeof(name)));
		for (i = 0; i < st->nrecent; i++)
			if (st->recent[i].day == sr->day &&
			    strcmp(st->recent[i].kind, sr->kind) == 0)
				return bad(why, size, "recent key '%s' "
				    "appears twice", r->string);
		if (!cJSON_IsString(r) || fp_parse(r->valuestring,
		    &sr->fingerprint) == -1)
			return bad(why, size, "fingerprint of recent key '%s' "
			    "is not 16 lowercase hex digits", r->string);
		st->nrecent++;
	}
	/* state_recent_set() relies on ascending days */
	for (i = 1; i < st->nrecent; i++) {
		one = st->recent[i];
		for (at = i; at > 0 && st->recent[at - 1].day > one.day; at--)
			st->recent[at] = st->recent[at - 1];
		st->recent[at] = one;
	}
	return 0;
}

static int
parse_root(const cJSON *root, struct state *st, char *why, size_t size)
{
	const cJSON *item;
	char name[48];

	if (!cJSON_IsObject(root))
		return bad(why, size, "the top level is not an object");
	cJSON_ArrayForEach(item, root) {
		if (strcmp(item->string, "version") == 0) {
			if (!cJSON_IsNumber(item))
				return bad(why, size,
				    "'version' is not a number");
			if (item->valuedouble != STATE_VERSION)
				return bad(why, size,
				    "'version' is not %d", STATE_VERSION);
		} else if (strcmp(item->string, "kinds") == 0) {
			if (parse_kinds(item, st, why, size) == -1)
				return -1;
		} else if (strcmp(item->string, "recent") == 0) {
			if (parse_recent(item, st, why, size) == -1)
				return -1;
		} else
			return bad(why, size, "unknown key '%s'",
			    shown(item->string, name, sizeof(name)));
	}
	if (cJSON_GetObjectItemCaseSensitive(root, "version") == NULL)
		return bad(why, size, "'version' is missing");
	return 0;
}

/* Strict parse; name says what it is in the message ("'PATH'"). */
static int
parse_named(const char *name, const char *json, size_t len, struct state *st,
    struct err *err)
{
	struct state tmp;
	cJSON *root;
	const char *end = NULL;
	char why[200];
	int rc;

	state_init(&tmp);
	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (root != NULL)
		while (end < json + len && (*end == ' ' || *end == '\n' ||
		    *end == '\r' || *end == '\t'))
			end++;
	if (root == NULL || end != json + len) {
		rc = bad(why, sizeof(why), "not valid JSON (at byte %zu)",
		    end != NULL && end >= json ? (size_t)(end - json) : 0);
	} else
		rc = parse_root(root, &tmp, why, sizeof(why));
	cJSON_Delete(root);
	if (rc == -1)
		return err_set(err, "corrupt sync state %s: %s", name, why);
	*st = tmp;
	return 0;
}

int
state_parse(const char *json, size_t len, struct state *st, struct err *err)
{
	return parse_named("(text)", json, len, st, err);
}

/* file_recover_atomic(): a complete sync_state.json? */
static int
state_complete(const char *buf, size_t len)
{
	struct state *st = malloc(sizeof(*st));
	struct err e = { 0 };
	int ok;

	if (st == NULL)
		return 0;
	ok = state_parse(buf, len, st, &e) == 0;
	free(st);
	return ok;
}

int
state_load(const char *path, struct state *st, struct err *err)
{
	struct err e = { 0 };
	char *buf = NULL, name[1100];
	size_t len;
	int rc;

	/* a save a crash interrupted before its rename: finish or drop it
	 * (a failure here shows again in the read below) */
	file_recover_atomic(path, STATE_MAX_BYTES, state_complete, NULL, &e);
	err_clear(&e);
	if (file_read(path, STATE_MAX_BYTES, &buf, &len, &e) == -1) {
		if (e.sys == ENOENT) {
			state_init(st);
			return 0;
		}
		return err_copy(err, &e);
	}
	snprintf(name, sizeof(name), "'%s'", path);
	rc = parse_named(name, buf, len, st, err);
	free(buf);
	return rc;
}

int
state_save(const char *path, const struct state *st, struct err *err)
{
	cJSON *root, *kinds, *recent, *k;
	char date[CIVIL_DATE_LEN], hex[FP_HEX + 1], *text = NULL;
	char key[CIVIL_DATE_LEN + STATE_NAME_MAX];
	size_t i;
	int rc = -1;

	root = cJSON_CreateObject();
	if (root == NULL ||
	    cJSON_AddNumberToObject(root, "version", STATE_VERSION) == NULL ||
	    (kinds = cJSON_AddObjectToObject(root, "kinds")) == NULL ||
	    (recent = cJSON_AddObjectToObject(root, "recent")) == NULL)
		goto oom;
	for (i = 0; i < st->nkinds; i++) {
		civil_format(st->kinds[i].next, date);
		if ((k = cJSON_AddObjectToObject(kinds,
		    st->kinds[i].name)) == NULL ||
		    cJSON_AddStringToObject(k, "next", date) == NULL)
			goto oom;
		if (st->kinds[i].lo == INT32_MIN)
			continue;
		civil_format(st->kinds[i].lo, date);
		if (cJSON_AddStringToObject(k, "lo", date) == NULL)
			goto oom;
	}
	for (i = 0; i < st->nrecent; i++) {
		civil_format(st->recent[i].day, date);
		snprintf(key, sizeof(key), "%s%s%s", date,
		    st->recent[i].kind[0] != '\0' ? "/" : "",
		    st->recent[i].kind);
		snprintf(hex, sizeof(hex), "%016" PRIx64,
		    st->recent[i].fingerprint);
		if (cJSON_AddStringToObject(recent, key, hex) == NULL)
			goto oom;
	}
	if ((text = cJSON_Print(root)) == NULL)
		goto oom;
	rc = file_write_atomic(path, text, strlen(text), 0600, err);
	goto out;
oom:
	err_set(err, "out of memory saving '%s'", path);
out:
	cJSON_free(text);
	cJSON_Delete(root);
	return rc;
}

int32_t
state_next(const struct state *st, const char *kind, int32_t dflt)
{
	size_t i;

	for (i = 0; i < st->nkinds; i++)
		if (strcmp(st->kinds[i].name, kind) == 0)
			return st->kinds[i].next;
	return dflt;
}

int
state_set_next(struct state *st, const char *kind, int32_t next)
{
	size_t i;

	for (i = 0; i < st->nkinds; i++) {
		if (strcmp(st->kinds[i].name, kind) == 0) {
			st->kinds[i].next = next;
			return 0;
		}
	}
	if (st->nkinds == STATE_KINDS_MAX || !kind_name_ok(kind))
		return -1;
	snprintf(st->kinds[i].name, sizeof(st->kinds[i].name), "%s", kind);
	st->kinds[i].next = next;
	st->kinds[i].lo = INT32_MIN;
	st->nkinds++;
	return 0;
}

int32_t
state_lo(const struct state *st, const char *kind, int32_t dflt)
{
	size_t i;

	for (i = 0; i < st->nkinds; i++)
		if (strcmp(st->kinds[i].name, kind) == 0)
			return st->kinds[i].lo != INT32_MIN ?
			    st->kinds[i].lo : dflt;
	return dflt;
}

/* The kind must exist (state_set_next first). */
int
state_set_lo(struct state *st, const char *kind, int32_t lo)
{
	size_t i;

	for (i = 0; i < st->nkinds; i++) {
		if (strcmp(st->kinds[i].name, kind) == 0) {
			st->kinds[i].lo = lo;
			return 0;
		}
	}
	return -1;
}

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n-- > 0) {
		h ^= *c++;
		h *= FNV_PRIME;
	}
	return h;
}

/* splitmix64's finaliser: spreads FNV's weak high bits before summing. */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/*
 * Each sample hashes its metric, its labels (in any slot order), the bits
 * of its value and its timestamp (0 for daily values before stamping;
 * intraday samples carry their own). Summing the mixed hashes makes the
 * result independent of sample order.
 */
uint64_t
state_fingerprint(const struct samples *s)
{
	uint64_t acc = 0, h, labels, bits;
	const struct sample *x;
	size_t i;
	int j;

	for (i = 0; i < s->len; i++) {
		x = &s->v[i];
		h = fnv(FNV_OFFSET, x->metric, strlen(x->metric) + 1);
		labels = 0;
		for (j = 0; j < SAMPLE_LABELS; j++) {
			uint64_t lh;

			if (x->lname[j] == NULL || x->lvalue[j][0] == '\0')
				continue;
			lh = fnv(FNV_OFFSET, x->lname[j],
			    strlen(x->lname[j]) + 1);
			lh = fnv(lh, x->lvalue[j], strlen(x->lvalue[j]));
			labels += mix(lh);
		}
		h = fnv(h, &labels, sizeof(labels));
		bits = 0;
		if (x->value != 0)	/* -0.0 and 0.0 are the same value */
			memcpy(&bits, &x->value, sizeof(bits));
		h = fnv(h, &bits, sizeof(bits));
		h = fnv(h, &x->ts_ms, sizeof(x->ts_ms));
		acc += mix(h);
	}
	return mix(acc ^ mix((uint64_t)s->len));
}

static int
recent_is(const struct state_recent *r, const char *kind, int32_t day)
{
	return r->day == day && strcmp(r->kind, kind) == 0;
}

int
state_recent_same(const struct state *st, const char *kind, int32_t day,
    uint64_t fp)
{
	size_t i;

	for (i = 0; i < st->nrecent; i++)
		if (recent_is(&st->recent[i], kind, day))
			return st->recent[i].fingerprint == fp;
	return 0;
}

void
state_recent_set(struct state *st, const char *kind, int32_t day,
    uint64_t fp, int32_t oldest)
{
	size_t i, o = 0, at;

	for (i = 0; i < st->nrecent; i++)
		if (st->recent[i].day >= oldest &&
		    !recent_is(&st->recent[i], kind, day))
			st->recent[o++] = st->recent[i];
	st->nrecent = o;
	if (day < oldest || strlen(kind) >= STATE_NAME_MAX)
		return;
	if (st->nrecent == STATE_RECENT_MAX) {
		/* full: forget the oldest day (kept sorted, so the first) */
		if (day < st->recent[0].day)
			return;
		memmove(st->recent, st->recent + 1,
		    (st->nrecent - 1) * sizeof(*st->recent));
		st->nrecent--;
	}
	for (at = st->nrecent; at > 0 && st->recent[at - 1].day > day; at--)
		st->recent[at] = st->recent[at - 1];
	snprintf(st->recent[at].kind, sizeof(st->recent[at].kind), "%s", kind);
	st->recent[at].day = day;
	st->recent[at].fingerprint = fp;
	st->nrecent++;
}
