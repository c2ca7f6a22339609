/*
 * synthetic: a health API that lives only in the tests, to prove the
 * source seam (issue 12). It is built outside exporter/source/ and joins
 * the driver table from a constructor (source_driver_add), so that adding
 * it touches no core file: build/syncbit-synthetic is main.o + the
 * library + this file (Makefile, tests section).
 *
 * Its data is computed, not fetched: per civil day d (days since
 * 1970-01-01), steps = 1000 + 10 * (d % 97) and weight = 70 + (d % 7) / 10
 * kg; tests/integration/test_synthetic_source.py computes the same. The
 * account starts SYNTHETIC_DAYS days before today (UTC). It reads the
 * OAuth token as a real source would (oauth_access_token), so the token
 * file, --authorize and the refresh are the core's, against whatever
 * SYNTHETIC_TOKEN_URL names (the tests point it at the legacy fake).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/oauth.h"
#include "civil.h"
#include "source/driver.h"
#include "source/source.h"

#define SYNTHETIC_DAYS 40

enum { K_STEPS, K_WEIGHT, NKINDS };

static const struct source_kind kinds[NKINDS] = {
	[K_STEPS] = { "steps", "activity", 30, KIND_IN_DAYS },
	[K_WEIGHT] = { "weight", "weight", 7, KIND_SLOW },
};

struct synthetic {
	struct source src;		/* first: a struct source * is ours */
};

static double
steps_of(int32_t day)
{
	return 1000.0 + 10.0 * (day % 97);
}

static double
weight_of(int32_t day)
{
	return 70.0 + (day % 7) / 10.0;
}

/* What a real request would need first: a usable access token. */
static int
request(struct synthetic *sy, struct err *err)
{
	char token[4096];
	int rc;

	sy->src.requests++;
	rc = oauth_access_token(sy->src.oauth, token, sizeof(token), err);
	memset(token, 0, sizeof(token));
	return rc;
}

static int
s_profile(struct source *s, struct profile *p, struct err *err)
{
	struct synthetic *sy = (struct synthetic *)s;

	if (request(sy, err) == -1)
		return -1;
	strcpy(p->zone, "UTC");
	p->member_since = (int32_t)(time(NULL) / 86400) - SYNTHETIC_DAYS;
	return 0;
}

static int
s_days(struct source *s, const struct profile *p, int32_t from, int32_t to,
    struct samples *out, struct err *err)
{
	size_t base = out->len;
	int32_t d;

	(void)p;
	if (request((struct synthetic *)s, err) == -1)
		return -1;
	for (d = from; d <= to; d++)
		if (samples_add(out, "fitbit_steps_total", d, steps_of(d),
		    NULL) == -1)
			return err_set(err, "out of memory");
	samples_tag(out, base, kinds[K_STEPS].group);
	return 0;
}

static int
s_range(struct source *s, const struct profile *p, size_t k, int32_t from,
    int32_t to, struct samples *out, struct err *err)
{
	size_t base = out->len;
	int32_t d;
	int rc;

	if (k >= NKINDS || to - from + 1 > kinds[k].max_days)
		return err_set(err, "synthetic: kind %zu over [%d, %d]", k,
		    (int)from, (int)to);
	if (request((struct synthetic *)s, err) == -1)
		return -1;
	for (d = from; d <= to; d++) {
		rc = k == K_STEPS ? samples_add(out, "fitbit_steps_total", d,
		    steps_of(d), NULL) : samples_add(out, "fitbit_weight_kg", d,
		    weight_of(d), NULL);
		if (rc == -1)
			return err_set(err, "out of memory");
	}
	(void)p;
	samples_tag(out, base, kinds[k].group);
	return 0;
}

static void
s_budget(struct source *s, struct source_budget *b)
{
	(void)s;
	memset(b, 0, sizeof(*b));
}

static void
s_free(struct source *s)
{
	source_release(s);
	free(s);
}

static const struct source_ops synthetic_ops = {
	.name = "synthetic",
	.profile = s_profile,
	.days = s_days,
	.kinds = source_kinds,
	.range = s_range,
	.budget = s_budget,
	.requests = source_requests,
	.free = s_free,
};

static struct source *
create(const struct source_settings *set)
{
	struct synthetic *sy = calloc(1, sizeof(*sy));

	if (sy == NULL || source_init(&sy->src, &synthetic_ops, kinds, NKINDS,
	    set) == -1) {
		free(sy);
		return NULL;
	}
	return &sy->src;
}

static const struct source_driver synthetic_driver = {
	.name = "synthetic",
	.prefix = "SYNTHETIC_",
	.brand = "Synthetic",
	.title = "the tests' synthetic API",
	.client_note = NULL,
	.api_var = "API_URL",
	.api_url = "http://127.0.0.1:9",
	.api_help = "unused: the data is computed",
	.auth_url = "http://127.0.0.1:9/oauth2/authorize",
	.token_url = "http://127.0.0.1:9/oauth2/token",
	.redirect_uri = "http://localhost:8080/callback",
	.scopes = "activity weight",
	.basic_auth = 1,
	.auth_params = NULL,
	.invalid_grant_hint = "the synthetic API refused the refresh token: "
	    "run 'syncbit --authorize' again",
	.account_hint = "the synthetic API has no data of this account",
	.create = create,
};

__attribute__((constructor)) static void
synthetic_register(void)
{
	if (source_driver_add(&synthetic_driver) == -1)
		abort();
}
