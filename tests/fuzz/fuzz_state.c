/*
 * fuzz_state: sync_state.json (state_parse), then what the collector does
 * with a parsed state: look-ups, updates, and a save that must load back
 * equal (state_save, state_load: a file in a private directory under
 * /dev/shm, or TMPDIR).
 *
 * Input: the file's bytes. Beyond memory safety: a failed parse leaves the
 * caller's state untouched; a parsed one holds what state.h promises
 * (valid names, days from 1970, recent days ascending); updates keep it so.
 */
#include <unistd.h>

#include "fuzz.h"
#include "sync/state.h"

static char dir[64];
static char path[96];

static void
cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

static const char *
state_path(void)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
	    getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp";

	if (path[0] != '\0')
		return path;
	snprintf(dir, sizeof(dir), "%.40s/syncbit-fuzz.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/sync_state.json", dir);
	atexit(cleanup);
	return path;
}

static void
check(const struct state *st)
{
	const struct state_kind *k;
	const struct state_recent *r;
	size_t i, j;

	FUZZ_CHECK(st->nkinds <= STATE_KINDS_MAX);
	FUZZ_CHECK(st->nrecent <= STATE_RECENT_MAX);
	for (i = 0; i < st->nkinds; i++) {
		k = &st->kinds[i];
		FUZZ_CHECK(fuzz_terminated(k->name, sizeof(k->name)));
		FUZZ_CHECK(k->name[0] != '\0');
		FUZZ_CHECK(k->next >= 0);
		FUZZ_CHECK(k->lo == INT32_MIN || k->lo >= 0);
		FUZZ_CHECK(state_next(st, k->name, -7) == k->next);
		FUZZ_CHECK(state_lo(st, k->name, -7) ==
		    (k->lo == INT32_MIN ? -7 : k->lo));
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(st->kinds[j].name, k->name) != 0);
	}
	for (i = 0; i < st->nrecent; i++) {
		r = &st->recent[i];
		FUZZ_CHECK(fuzz_terminated(r->kind, sizeof(r->kind)));
		FUZZ_CHECK(r->day >= 0);
		FUZZ_CHECK(i == 0 || st->recent[i - 1].day <= r->day);
		FUZZ_CHECK(state_recent_same(st, r->kind, r->day,
		    r->fingerprint));
	}
}

static int
same(const struct state *a, const struct state *b)
{
	size_t i;

	if (a->nkinds != b->nkinds || a->nrecent != b->nrecent)
		return 0;
	for (i = 0; i < a->nkinds; i++)
		if (strcmp(a->kinds[i].name, b->kinds[i].name) != 0 ||
		    a->kinds[i].next != b->kinds[i].next ||
		    a->kinds[i].lo != b->kinds[i].lo)
			return 0;
	for (i = 0; i < a->nrecent; i++)
		if (strcmp(a->recent[i].kind, b->recent[i].kind) != 0 ||
		    a->recent[i].day != b->recent[i].day ||
		    a->recent[i].fingerprint != b->recent[i].fingerprint)
			return 0;
	return 1;
}

/* What the collector does next: record a day, move a cursor. */
static void
update(struct state *st)
{
	int32_t last = 20000;	/* 2024-10-04, or the newest recent day */

	if (st->nrecent > 0 && st->recent[st->nrecent - 1].day > last)
		last = st->recent[st->nrecent - 1].day;

	state_recent_set(st, "sleep", last + 1, 0x0123456789abcdefULL,
	    last - 30);
	check(st);
	FUZZ_CHECK(state_recent_same(st, "sleep", last + 1,
	    0x0123456789abcdefULL));
	if (state_set_next(st, "steps", last) == 0)
		FUZZ_CHECK(state_next(st, "steps", -7) == last);
	if (state_set_lo(st, "heart_intraday", last - 3) == 0)
		FUZZ_CHECK(state_lo(st, "heart_intraday", -7) == last - 3);
	check(st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct state st, before, back;
	struct err err = { 0 };
	char *json = fuzz_dup(data, size);
	int rc;

	memset(&st, 0x5a, sizeof(st));
	before = st;
	rc = state_parse(json, size, &st, &err);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == -1) {
		fuzz_check_err(&err);
		FUZZ_CHECK(memcmp(&st, &before, sizeof(st)) == 0);
		free(json);
		return 0;
	}
	check(&st);
	err_clear(&err);
	if (state_save(state_path(), &st, &err) == 0) {
		memset(&back, 0, sizeof(back));
		FUZZ_CHECK(state_load(path, &back, &err) == 0);
		FUZZ_CHECK(same(&st, &back));
	}
	update(&st);
	free(json);
	return 0;
}
