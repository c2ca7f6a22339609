"""Workouts (issue 14) from both fakes into a real VictoriaMetrics: every
exercise value equals the fake's truth at the session's start instant,
over 40 days that hold the 2026-10-25 DST fall-back in Europe/Berlin
(a session at 02:30 CET, the repeated hour's second pass), with two
sessions in the same second 1 ms apart (README's collision rule), the
session still running left out, the edited session's current values; the
requests are the documented list calls; and the request cost of a year
of workouts, measured."""

import re
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from harness import IntegrationTest, free_port, google_env, parse_metrics

ZONE = "Europe/Berlin"
DAYS = 40
USER = "erin"
METRICS = ("fitbit_exercise_duration_seconds", "fitbit_exercise_calories",
           "fitbit_exercise_distance_km", "fitbit_exercise_steps",
           "fitbit_exercise_heart_rate_avg_bpm", "fitbit_exercise_active_zone_minutes",
           "fitbit_exercise_elevation_gain_meters", "fitbit_exercise_heart_rate_zone_seconds")


class Workouts:
    """Shared checks; subclasses start their fake (start_fake) and give env()."""

    def setUp(self):
        super().setUp()
        self.now = int(time.time())
        self.today = datetime.fromtimestamp(self.now, ZoneInfo(ZONE)).date()

    def backfill(self, days, **more):
        self.since = self.today - timedelta(days=days)
        self.start_fake()
        vm = self.h.victoria()
        sb = self.h.syncbit(self.env(VICTORIA_ENDPOINT=vm.write_url, COLLECT="exercise", **more))
        self.assertEqual(sb.authorize().rc, 0, self.h.dump())
        r = sb.run("--once", timeout=120)
        self.assertEqual(r.rc, 0, f"{r}\n{self.h.dump()}")
        self.assertNotIn("level=warn", r.stderr, r.stderr)
        return vm, sb

    def want(self):
        """{(ts_ms, metric, activity, zone): value} of the fake's truth."""
        out, sessions = {}, self.fake.get("/_test/exercise", start=str(self.since),
                                          end=str(self.today))["sessions"]
        for s in sessions:
            for m, v in s["values"].items():
                out[(s["ts_ms"], m, s["activity"], None)] = v
            for z, v in s["zones"].items():
                out[(s["ts_ms"], "fitbit_exercise_heart_rate_zone_seconds", s["activity"], z)] = v
        return out, sessions

    def got(self, vm):
        out = {}
        for name, labels, ts, v in vm.samples('{__name__=~"fitbit_exercise_.*",user="%s"}' % USER):
            k = (ts, name, labels.get("activity"), labels.get("zone"))
            self.assertNotIn(k, out, f"two samples at one instant: {k}")
            self.assertLessEqual(set(labels), {"user", "activity", "zone"}, labels)
            out[k] = v
        return out

    def check_truth(self):
        vm, sb = self.backfill(DAYS)
        want, sessions = self.want()
        got = self.got(vm)
        self.assertGreater(len(sessions), DAYS // 2, "the fake serves too few sessions")
        self.assertEqual(sorted(set(want) - set(got))[:5], [], "in the truth, not in VictoriaMetrics")
        self.assertEqual(sorted(set(got) - set(want))[:5], [], "in VictoriaMetrics, not in the truth")
        for k, v in want.items():
            self.assertAlmostEqual(got[k], v, places=6, msg=str(k))
        for m in METRICS:
            self.assertTrue(any(k[1] == m for k in want), m)
        # the fall-back day's 02:30 CET session (the repeated hour's second pass)
        cet = int(datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo(ZONE)).timestamp())
        self.assertIn(cet * 1000, {s["ts_ms"] for s in sessions}, "the DST session")
        # same second: the second session 1 ms after the first
        twins = [s for s in sessions if s["ts_ms"] % 1000 == 1]
        self.assertGreater(len(twins), 3)
        for t in twins:
            self.assertTrue(any(s["ts_ms"] == t["ts_ms"] - 1 for s in sessions))
        # the running session (10 minutes before the fake's now) is not there
        self.assertFalse([k for k in got if k[0] >= (self.now - 600) * 1000])
        return vm, sb

    def check_metrics_page(self):
        """/metrics: per activity, the latest session's values (no timestamps)."""
        self.since = self.today - timedelta(days=DAYS)
        self.start_fake()
        port = free_port()
        sb = self.h.syncbit(self.env(LISTEN_ADDRESS=f"127.0.0.1:{port}", COLLECT="exercise"))
        self.assertEqual(sb.authorize().rc, 0)
        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)
        m = parse_metrics(sb.get("/metrics").text)
        sessions = self.want()[1]
        seen = {k for k in m if k.startswith("fitbit_exercise_")}
        self.assertTrue(seen, m)
        latest = {}
        for s in sessions:          # ascending: the last of an activity wins
            latest[s["activity"]] = s
        newest = max(sessions, key=lambda s: s["ts_ms"])
        self.assertIn(f'fitbit_exercise_duration_seconds{{activity="{newest["activity"]}",'
                      f'user="{USER}"}}', seen)
        for k in seen:
            act = k.split('activity="')[1].split('"')[0]
            name = k.split("{")[0]
            zone = k.split('zone="')[1].split('"')[0] if 'zone="' in k else None
            s = latest[act]
            want = s["zones"][zone] if zone else s["values"][name]
            self.assertAlmostEqual(m[k], want, places=6, msg=k)
        self.assertEqual(sb.stop(timeout=10), 0)

    def check_year_cost(self, most):
        """A year of workouts: the exercise requests of a backfill."""
        vm, sb = self.backfill(365)
        reqs = self.exercise_requests()
        sessions = len(self.want()[1])
        print(f"\n# {self.__class__.__name__}: a year of workouts ({sessions} sessions) "
              f"took {len(reqs)} requests")
        self.assertGreater(sessions, 200)
        self.assertLessEqual(len(reqs), most, reqs)


class WorkoutsFitbit(Workouts, IntegrationTest):
    def start_fake(self):
        self.fake = self.h.fake_fitbit(timezone=ZONE, member_since=self.since.isoformat(),
                                       now=self.now)

    def env(self, **more):
        return dict(self.fake.env(), FITBIT_USER_ID=USER, **more)

    def exercise_requests(self):
        return [r for r in self.fake.requests() if "activities/list.json" in r["path"]]

    def test_every_session_equals_truth_across_dst(self):
        self.check_truth()
        self.check_legacy_requests()

    def check_legacy_requests(self):
        """SyncBit's own requests ask for offset 0 ("Supported: 0"); a
        later page is the query of the fake's pagination.next, as sent."""
        reqs = self.exercise_requests()
        self.assertTrue(reqs)
        for r in reqs:
            q = r.get("query", "")
            self.assertIn("sort=asc", q, r)
            self.assertIn("limit=100", q, r)
            self.assertIn("afterDate=", q, r)
            self.assertTrue(re.fullmatch(r"afterDate=[\d-]+&sort=asc&limit=100&offset=0", q) or
                            re.fullmatch(r"offset=\d+&limit=100&sort=asc&afterDate=[\d-]+", q), q)
        return reqs

    def test_a_year_of_workouts(self):
        self.check_year_cost(8)
        pages = [r for r in self.check_legacy_requests() if r["query"].startswith("offset=")]
        self.assertGreater(len(pages), 2, "a year takes pages after the first")

    def test_metrics_page_latest_session(self):
        self.check_metrics_page()


class WorkoutsGoogle(Workouts, IntegrationTest):
    def start_fake(self):
        self.fake = self.h.fake("fake_google.py", "--timezone", ZONE, "--membership-start",
                                self.since.isoformat(), "--now", str(self.now))

    def env(self, **more):
        return google_env(self.fake, FITBIT_USER_ID=USER, **more)

    def exercise_requests(self):
        return [r for r in self.fake.requests() if "/dataTypes/exercise/" in r["path"]]

    def test_every_session_equals_truth_across_dst(self):
        self.check_truth()
        reqs = self.exercise_requests()
        self.assertTrue(reqs)
        for r in reqs:
            self.assertEqual(r.get("method", "GET"), "GET", r)
            self.assertIn("exercise.interval.civil_start_time", r.get("query", ""), r)
            self.assertIn("pageSize=25", r.get("query", ""), r)

    def test_a_year_of_workouts(self):
        self.check_year_cost(40)

    def test_metrics_page_latest_session(self):
        self.check_metrics_page()
