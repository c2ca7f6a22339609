"""Workout routes (issue 14, EXERCISE_ROUTES=on) from both fakes into a
real VictoriaMetrics: every trackpoint of every session of the routes'
window equals the fake's TCX truth (latitude, longitude, altitude, heart
rate at its own instant, labelled session = the session's stamp, twins 1 ms
apart), older sessions have no route, one TCX request per session with the
partial points asked for, the location scope asked for at --authorize; a
grant without it (Google: a route-less file or a 403, legacy: a 403) is one
log line and no error; hostile TCX documents (huge, deep, entities, bad
coordinates, not XML, cut short, empty) are refused or filtered per
session while the other sessions' routes arrive whole."""

import re
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from harness import IntegrationTest, google_env

ZONE = "Europe/Berlin"
DAYS = 40           # history
ROUTE_DAYS = 21     # EXERCISE_ROUTES_DAYS
USER = "rita"
ROUTE = '{__name__=~"fitbit_exercise_(position_.+|heart_rate_bpm)",user="%s"}' % USER
LAT, LON = "fitbit_exercise_position_latitude_degrees", "fitbit_exercise_position_longitude_degrees"
ALT, HR = "fitbit_exercise_position_altitude_meters", "fitbit_exercise_heart_rate_bpm"


def label(ts_ms):
    """README's session label: the stamp as RFC 3339 UTC, ms when not 0."""
    t = datetime.fromtimestamp(ts_ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return t + (f".{ts_ms % 1000:03d}Z" if ts_ms % 1000 else "Z")


class Routes:
    """Shared checks; subclasses give start_fake(), env() and tcx_requests()."""

    def setUp(self):
        super().setUp()
        self.now = int(time.time())
        self.today = datetime.fromtimestamp(self.now, ZoneInfo(ZONE)).date()
        self.since = self.today - timedelta(days=DAYS)
        self.first = self.today - timedelta(days=ROUTE_DAYS - 1)

    def run_once(self, authorize_routes="on", **more):
        self.vm = self.h.victoria()
        env = self.env(VICTORIA_ENDPOINT=self.vm.write_url, COLLECT="exercise",
                       EXERCISE_ROUTES="on", EXERCISE_ROUTES_DAYS=str(ROUTE_DAYS), **more)
        sb = self.h.syncbit(dict(env, EXERCISE_ROUTES=authorize_routes))
        self.assertEqual(sb.authorize().rc, 0, self.h.dump())
        sb.env["EXERCISE_ROUTES"] = "on"
        r = sb.run("--once", timeout=150)
        self.assertEqual(r.rc, 0, f"{r}\n{self.h.dump()}")
        return r

    def sessions(self, start, end):
        return self.fake.get("/_test/exercise", start=str(start), end=str(end))["sessions"]

    def want(self, sessions, faults=None):
        """{(session label, metric, ts_ms): value} of the sessions' TCX truth;
        faults: {id: expect} (None: the whole document refused)."""
        out = {}
        for s in sessions:
            tr = self.fake.get("/_test/route", id=str(s["id"]))
            points = tr["points"]
            if faults is not None and str(s["id"]) in faults:
                points = faults[str(s["id"])] or []
            self.assertEqual(tr["start_ms"], s["start"] * 1000)
            for p in points:
                k = label(s["ts_ms"])
                if p["lat"] is not None:
                    out[(k, LAT, p["t"])] = p["lat"]
                    out[(k, LON, p["t"])] = p["lon"]
                if p["alt"] is not None:
                    out[(k, ALT, p["t"])] = p["alt"]
                if p["hr"] is not None:
                    out[(k, HR, p["t"])] = p["hr"]
        return out

    def got(self):
        out = {}
        for name, labels, ts, v in self.vm.samples(ROUTE):
            self.assertEqual(set(labels), {"user", "session"}, labels)
            k = (labels["session"], name, ts)
            self.assertNotIn(k, out, f"two samples at one instant: {k}")
            out[k] = v
        return out

    def assert_same(self, want, got):
        self.assertEqual(sorted(set(want) - set(got))[:5], [], "in the TCX, not in VictoriaMetrics")
        self.assertEqual(sorted(set(got) - set(want))[:5], [], "in VictoriaMetrics, not in the TCX")
        for k, v in want.items():
            self.assertAlmostEqual(got[k], v, places=9, msg=str(k))

    def check_round_trip(self):
        self.start_fake()
        r = self.run_once()
        self.assertNotIn("level=warn", r.stderr, r.stderr)
        inside = self.sessions(self.first, self.today)
        older = self.sessions(self.since, self.first - timedelta(days=1))
        self.assertGreater(len(inside), ROUTE_DAYS // 2, "the fake serves too few sessions")
        want = self.want(inside)
        got = self.got()
        self.assert_same(want, got)
        # every kind of session: GPS ones with positions, others heart rate only
        with_gps = {k[0] for k in want if k[1] == LAT}
        hr_only = {k[0] for k in want} - with_gps
        self.assertTrue(with_gps and hr_only, (with_gps, hr_only))
        # twins (the same second): two labels 1 ms apart, both whole
        twins = [s for s in inside if s["ts_ms"] % 1000]
        self.assertTrue(twins, "no two sessions in the same second in the window")
        for t in twins:
            self.assertIn(label(t["ts_ms"]), {k[0] for k in got})
            self.assertIn(label(t["ts_ms"] - 1), {k[0] for k in got})
        # older sessions: their values, no route
        self.assertTrue(older)
        self.assertFalse({label(s["ts_ms"]) for s in older} & {k[0] for k in got})
        self.assertTrue(self.vm.samples('fitbit_exercise_duration_seconds{user="%s"}' % USER))
        # one request per session of the window, partial points asked for
        reqs = self.tcx_requests()
        self.assertEqual(sorted(self.request_id(q) for q in reqs),
                         sorted(str(s["id"]) for s in inside))
        print(f"\n# {self.__class__.__name__}: {len(inside)} routes of {ROUTE_DAYS} days, "
              f"{len(reqs)} TCX requests, {len(got)} samples")
        return reqs

    def check_hostile(self):
        self.start_fake()
        inside = self.sessions(self.first, self.today)
        kinds = ["huge", "deep", "entities", "notxml", "truncated", "empty"]
        gps = [s for s in inside if self.fake.get("/_test/route", id=str(s["id"]))["has_gps"]]
        self.assertGreaterEqual(len(gps), 2)
        rest = [s for s in inside if s is not gps[0]]
        chosen = dict(zip(kinds, rest), badcoords=gps[0])
        self.fake.config(tcx_faults=[{"kind": k, "id": str(s["id"])} for k, s in chosen.items()])
        faults = {str(s["id"]): self.fake.get("/_test/route", id=str(s["id"]))["fault"]["expect"]
                  for s in chosen.values()}
        r = self.run_once()
        self.assert_same(self.want(inside, faults), self.got())
        # one warning per refused document, naming no body
        lines = [ln for ln in r.stderr.splitlines() if "exercise route not read" in ln]
        self.assertEqual(len(lines), 5, r.stderr)
        for ln in lines:
            self.assertNotIn("lol", ln)
            self.assertNotIn("passwd", ln)
        self.assertTrue(any("depth" in ln.lower() for ln in lines), lines)
        self.assertTrue(any("DOCTYPE" in ln for ln in lines), lines)
        self.assertTrue(any("bytes" in ln or "large" in ln.lower() for ln in lines), lines)


class RoutesGoogle(Routes, IntegrationTest):
    def start_fake(self):
        self.fake = self.h.fake("fake_google.py", "--timezone", ZONE, "--membership-start",
                                self.since.isoformat(), "--now", str(self.now))

    def env(self, **more):
        return google_env(self.fake, FITBIT_USER_ID=USER, **more)

    def tcx_requests(self):
        return [r for r in self.fake.requests() if "exportExerciseTcx" in r["path"]]

    @staticmethod
    def request_id(r):
        return re.search(r"/dataPoints/(\d+):exportExerciseTcx$", r["path"]).group(1)

    def authorize_scopes(self):
        (a,) = [r for r in self.fake.requests() if r["path"].endswith("/o/oauth2/v2/auth")]
        return a.get("query", "")

    def test_route_round_trip(self):
        reqs = self.check_round_trip()
        for r in reqs:
            self.assertIn("alt=media", r.get("query", ""), r)
            self.assertIn("partialData=true", r.get("query", ""), r)
        self.assertIn("googlehealth.location.readonly", self.authorize_scopes())

    def test_without_location_scope_routeless(self):
        """Authorized before routes were on: Google (as issue 14 has it)
        answers a TCX without positions; one info line, heart rate arrives."""
        self.start_fake()
        self.fake.config(tcx_without_location="routeless")
        r = self.run_once(authorize_routes="off")
        self.assertNotIn("location.readonly", self.authorize_scopes())
        self.assertEqual(r.stderr.count("exercise route without positions though the session has GPS"), 1, r.stderr)
        self.assertNotIn("level=warn", r.stderr, r.stderr)
        got = self.got()
        self.assertFalse([k for k in got if k[1] in (LAT, LON)])
        self.assertTrue([k for k in got if k[1] == HR])

    def test_without_location_scope_forbidden(self):
        """As the reference has it: 403. One warning, no second request."""
        self.start_fake()
        r = self.run_once(authorize_routes="off")
        self.assertEqual(r.stderr.count("the API refused a route (403)"), 1, r.stderr)
        self.assertEqual(len(self.tcx_requests()), 1)
        self.assertFalse(self.got())
        self.assertTrue(self.vm.samples('fitbit_exercise_duration_seconds{user="%s"}' % USER))

    def test_hostile_documents(self):
        self.check_hostile()


class RoutesFitbit(Routes, IntegrationTest):
    def start_fake(self):
        self.fake = self.h.fake_fitbit(timezone=ZONE, member_since=self.since.isoformat(),
                                       now=self.now)

    def env(self, **more):
        return dict(self.fake.env(), FITBIT_USER_ID=USER, **more)

    def tcx_requests(self):
        return [r for r in self.fake.requests() if r["path"].endswith(".tcx")]

    @staticmethod
    def request_id(r):
        return re.search(r"/activities/(\d+)\.tcx$", r["path"]).group(1)

    def test_route_round_trip(self):
        reqs = self.check_round_trip()
        for r in reqs:
            self.assertEqual(r.get("query", ""), "includePartialTCX=true", r)

    def test_without_location_scope(self):
        self.start_fake()
        r = self.run_once(authorize_routes="off")
        self.assertEqual(r.stderr.count("the API refused a route (403)"), 1, r.stderr)
        self.assertEqual(len(self.tcx_requests()), 1)
        self.assertFalse(self.got())

    def test_hostile_documents(self):
        self.check_hostile()
