/*
 * route: the GPS routes of workout sessions (EXERCISE_ROUTES=on), the
 * part both sources share. A source reads its session list (exercise.h),
 * then route_add() fetches each recent session's TCX through the
 * source's own GET (one request per session: Google's
 * exportExerciseTcx, the legacy /activities/{logId}.tcx), parses it
 * (tcx.h) and appends its trackpoint samples, labelled session = the
 * instant the session's own samples carry (exercise.h: its start, 1 ms
 * later for the second of two that start together; RFC 3339 UTC, with
 * milliseconds only when not 0), each at its own instant and on
 * the session's local day (the day the recent-day fingerprints and the
 * backfill cursor know it by).
 *
 * Which sessions: those with an id that started on a local day of the
 * last routes_days days (today included); older ones are history without
 * a route.
 *
 * What a route costs: one request, once. A parsed route is kept in
 * memory (at most ROUTE_MEMO_POINTS trackpoints in all) until the call
 * that read its session succeeds and the session is older than the days
 * a cycle re-reads (SOURCE_DAYS_MAX). So the cycles' re-reads of the
 * recent days send the same samples without asking again, and a range
 * that failed half-way (the legacy budget ran out, a transient error)
 * asks only for the routes it has not got yet when it is tried again.
 * Nothing is lost: a route is never left out of a day's samples because
 * it was fetched before.
 *
 * Answers that are not an error of the call (the session's samples go
 * out without a route, and the session is not asked for again until
 * restart): 404 (the session is gone), a TCX that does not parse (one
 * warning line naming the session and why). A 403 means the grant lacks
 * the location scope: one warning, and no route is asked for again until
 * restart. A TCX without a single position for a session the API says
 * has GPS (Google without googlehealth.location.readonly answers so) is
 * one info line, once. A document over TCX_MAX_BYTES (ERR_TOO_LARGE) is
 * one that does not parse. Anything else (auth, rate, transient, stop) fails the call:
 * -1 with err, nothing appended. Runs on the source's thread.
 */
#ifndef SYNCBIT_ROUTE_H
#define SYNCBIT_ROUTE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "exercise.h"
#include "httpc.h"
#include "sample.h"

/* The trackpoints kept in memory per source: 20 h at one a second. */
#define ROUTE_MEMO_POINTS 72000
#define ROUTE_DAYS_MAX 3650	/* EXERCISE_ROUTES_DAYS's largest */

struct routes;
struct profile;

/* The TCX of session e -> r (a 2xx), or -1 with err (err.status: the
 * HTTP status of an error answer). */
typedef int (*route_get_fn)(void *ctx, const struct exercise *e,
    struct httpc_resp *r, struct err *);

/* routes_days 0: routes are off (route_add does nothing). NULL: out of
 * memory. */
struct routes *routes_new(int routes_days);
void routes_free(struct routes *);
int routes_on(const struct routes *);

/*
 * The routes of l's sessions (after exercise_samples(): their stamps)
 * -> out (tagged "exercise"), all or nothing.
 * now: the time that decides today (in p's zone). Call it once the whole
 * list was read; when it succeeds, the memo forgets the routes of
 * sessions a cycle no longer re-reads.
 */
int route_add(struct routes *, const struct profile *p, int64_t now,
    const struct exercise_list *l, route_get_fn get, void *ctx,
    struct samples *out, struct err *);

/* Drop the route samples of s[from..] (history only: /metrics shows no
 * trackpoint). */
void route_drop(struct samples *s, size_t from);

/* A route's requests since start (tests, the closing numbers). */
uint64_t routes_fetched(const struct routes *);

#endif
