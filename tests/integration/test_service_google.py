"""The real binary against tests/fakes/fake_google.py (SOURCE=google):
--authorize end to end (loopback redirect, PKCE, client secret in the body),
/metrics equal to the fake's truth for today, a 400-day --once backfill into
VictoriaMetrics (one sample per day per series at 23:59:59 Europe/Berlin
while the process TZ differs, few requests), ACCOUNT_NOT_LINKED -> /readyz
503 naming the cause, and no token or secret in any output."""

import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from harness import IntegrationTest, free_port, parse_metrics

ZONE = "Europe/Berlin"
DAYS = 400
USER = "carol"
LABELLED = {"fitbit_active_minutes": "type", "fitbit_heart_rate_zone_minutes": "zone",
            "fitbit_heart_rate_zone_calories": "zone"}
PLAIN = ("fitbit_steps_total", "fitbit_distance_km", "fitbit_floors_total",
         "fitbit_elevation_meters", "fitbit_calories_total")


def day_end_ms(d):
    return int(datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=ZoneInfo(ZONE)).timestamp() * 1000)


class ServiceGoogle(IntegrationTest):
    def start_fake(self, *args):
        self.fake = self.h.fake("fake_google.py", "--timezone", ZONE, *args)
        cfg = self.fake.get("/_test/config")
        self.client_id, self.client_secret = cfg["client_id"], cfg["client_secret"]
        self.today = date.fromisoformat(cfg["today"])
        # a seed whose today is worn, with a resting heart rate (~13% of days lack one)
        seed = 1
        while "fitbit_resting_heart_rate_bpm" not in self.fake.get("/_test/truth", date="today"):
            seed += 1
            cfg = self.fake.config(seed=seed)
        return cfg

    def env(self, **more):
        u = self.fake.url
        return {"SOURCE": "google", "GOOGLE_CLIENT_ID": self.client_id,
                "GOOGLE_CLIENT_SECRET": self.client_secret, "GOOGLE_HEALTH_API_URL": u,
                "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
                "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{free_port()}/callback",
                "FITBIT_USER_ID": USER, "SYNC_INTERVAL_MINUTES": "1", **more}

    def authorized(self, **more):
        sb = self.h.syncbit(self.env(**more))
        r = sb.authorize()
        self.assertEqual(r.rc, 0, f"{r}\n{self.h.dump()}")
        return sb

    def assert_no_secrets(self, sb, *texts):
        toks = self.fake.get("/_test/tokens")
        secrets_ = [t for t in toks["issued"]] + [self.client_secret]
        blobs = list(texts) + [sb.log()] + [p.stdout() + p.stderr() for p in self.h.procs
                                             if "syncbit" in p.name]
        for s in secrets_:
            for b in blobs:
                self.assertNotIn(s, b, "a token, code or secret leaked into an output")

    @staticmethod
    def series_keys(truth, metric, lname):
        return [f'{metric}{{{lname}="{lab}",user="{USER}"}}' for lab in truth.get(metric, {})]

    def assert_between(self, got, lo, hi, what):
        """lo <= got <= hi, up to the rounding of the fake's and SyncBit's output."""
        eps = 1e-6 + 1e-9 * abs(hi)
        self.assertTrue(lo - eps <= got <= hi + eps, f"{what}: {got} not within [{lo}, {hi}]")

    def assert_same_series(self, m, truth, metric, lname):
        """/metrics has a series of a labelled metric exactly where the truth
        has a value: before the day's first activity interval has synced
        (early in the morning) neither has one."""
        got = sorted(k for k in m if k.startswith(metric + "{"))
        want = sorted(f'{metric}{{{lname}="{lab}",user="{USER}"}}' for lab in truth.get(metric, {}))
        self.assertEqual(got, want, metric)

    def test_metrics_equal_truth_today(self):
        self.start_fake("--membership-start", (date.today() - timedelta(days=30)).isoformat())
        sb = self.authorized()
        # the authorization: PKCE S256, offline access, secret in the body
        auth = [q for q in self.fake.requests() if q["path"] == "/o/oauth2/v2/auth"]
        self.assertEqual(len(auth), 1)
        self.assertIn("code_challenge_method=S256", auth[0]["query"])
        self.assertIn("access_type=offline", auth[0]["query"])
        tokreq = [q for q in self.fake.requests() if q["path"] == "/token"]
        self.assertEqual([q["status"] for q in tokreq], [200])
        self.assertEqual(tokreq[0]["form"]["client_secret"], "***")
        self.assertEqual(tokreq[0]["form"]["code_verifier"], "***")

        # today's values only grow with the clock: each lies between the truth
        # before SyncBit starts and the truth after the scrape
        lo = self.fake.get("/_test/truth", date="today")
        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)
        text = sb.get("/metrics").text
        m = parse_metrics(text)
        truth = self.fake.get("/_test/truth", date="today")
        self.assertTrue(truth["has_data"])
        if self.fake.get("/_test/config")["today"] == self.today.isoformat():
            for metric in PLAIN:
                self.assert_between(m[f'{metric}{{user="{USER}"}}'], lo.get(metric, 0), truth[metric], metric)
            for metric, lname in LABELLED.items():
                keys = sorted(k for k in m if k.startswith(metric + "{"))
                self.assertLessEqual(set(self.series_keys(lo, metric, lname)), set(keys), metric)
                self.assertLessEqual(set(keys), set(self.series_keys(truth, metric, lname)), metric)
                for lab, v in truth.get(metric, {}).items():
                    key = f'{metric}{{{lname}="{lab}",user="{USER}"}}'
                    if key in m:
                        self.assert_between(m[key], lo.get(metric, {}).get(lab, 0), v, key)
        if "fitbit_resting_heart_rate_bpm" in truth:
            self.assertEqual(m[f'fitbit_resting_heart_rate_bpm{{user="{USER}"}}'],
                             truth["fitbit_resting_heart_rate_bpm"])
        reqs = [q for q in self.fake.requests() if q["path"].startswith("/v4/")]
        self.assertTrue(reqs)
        self.assertTrue(all(q["authorization"] == "Bearer" for q in reqs))
        self.assertTrue(all(q["status"] == 200 for q in reqs),
                        [(q["path"], q["status"], q["reason"]) for q in reqs if q["status"] != 200])
        for q in reqs:
            if q["path"].endswith(":dailyRollUp"):
                self.assertEqual(q["json"]["windowSizeDays"], 1)
        self.assertEqual(sb.stop(), 0)
        self.assert_no_secrets(sb, text)

    def test_frozen_clock_metrics_exact(self):
        """With the data clock frozen (at SyncBit's real now), /metrics equals the truth exactly."""
        self.start_fake("--now", str(time.time()), "--membership-start",
                        (date.today() - timedelta(days=20)).isoformat())
        sb = self.authorized()
        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)
        m = parse_metrics(sb.get("/metrics").text)
        truth = self.fake.get("/_test/truth", date="today")
        for metric in PLAIN:
            self.assertAlmostEqual(m[f'{metric}{{user="{USER}"}}'], truth[metric], places=6, msg=metric)
        for metric, lname in LABELLED.items():
            self.assert_same_series(m, truth, metric, lname)
            for lab, v in truth.get(metric, {}).items():
                self.assertAlmostEqual(m[f'{metric}{{{lname}="{lab}",user="{USER}"}}'], v, places=6,
                                       msg=f"{metric} {lab}")
        if "fitbit_resting_heart_rate_bpm" in truth:
            self.assertEqual(m[f'fitbit_resting_heart_rate_bpm{{user="{USER}"}}'],
                             truth["fitbit_resting_heart_rate_bpm"])

    def test_backfill_400_days_into_victoria(self):
        since = datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=DAYS)
        self.start_fake("--membership-start", since.isoformat())
        vm = self.h.victoria()
        # daily activity and heart rate: test_body_vm has the other kinds
        sb = self.authorized(VICTORIA_ENDPOINT=vm.write_url, COLLECT="activity,heart")
        before = self.fake.get("/_test/stats")["api_requests"]
        r = sb.run("--once", timeout=240)
        self.assertEqual(r.rc, 0, r)
        stats = self.fake.get("/_test/stats")
        used = stats["api_requests"] - before
        self.assertEqual(stats["rate_limited"], 0)
        today = self.today
        got = {}
        for name, labels, ts, v in vm.samples('{user="%s"}' % USER):
            if not name.startswith("fitbit_"):
                continue
            key = (name, tuple(sorted((k, x) for k, x in labels.items() if k != "user")))
            got.setdefault(key, {})
            self.assertNotIn(ts, got[key], f"two samples of {key} at {ts}")
            got[key][ts] = v
        steps = got[("fitbit_steps_total", ())]
        checked = 0
        d = since
        while d < today:
            t = self.fake.get("/_test/truth", date=d.isoformat())
            ts = day_end_ms(d)
            self.assertEqual(t["timestamp_ms"], ts)
            if not t["has_data"]:
                self.assertNotIn(ts, steps, f"{d} has no data but a sample")
            else:
                self.assertEqual(steps.get(ts), t["fitbit_steps_total"], str(d))
                if checked % 37 == 0:       # a sample of days for every series
                    for metric in PLAIN:
                        self.assertAlmostEqual(got[(metric, ())][ts], t[metric], places=6,
                                               msg=f"{metric} {d}")
                    for metric, lname in LABELLED.items():
                        for lab, v in t[metric].items():
                            self.assertAlmostEqual(got[(metric, ((lname, lab),))][ts], v, places=6,
                                                   msg=f"{metric} {lab} {d}")
                    if "fitbit_resting_heart_rate_bpm" in t:
                        self.assertEqual(got[("fitbit_resting_heart_rate_bpm", ())][ts],
                                         t["fitbit_resting_heart_rate_bpm"], str(d))
                checked += 1
            d += timedelta(days=1)
        self.assertGreater(checked, DAYS * 0.9)
        # every timestamp of every series is a day's 23:59:59 Berlin
        ends = {day_end_ms(since + timedelta(days=i)) for i in range(DAYS + 2)}
        for key, series in got.items():
            stray = set(series) - ends
            self.assertFalse(stray, f"{key}: samples off 23:59:59 {ZONE}: {sorted(stray)[:3]}")
        self.assert_no_secrets(sb, r.stdout, r.stderr)
        # 90-day chunks (14 for total-calories, calories-in-heart-rate-zone) make
        # 85 roll-up and list history requests for 400 days; activity-level is
        # list-only (google-live.md): 7 lists of 60 days, two pages each (the
        # fake's first page is empty); the cycle's own window (today and the
        # recent days, one request per type, two pages per list) adds 11.
        # Profile and settings are not data requests.
        data = sum(n for ep, n in stats["by_endpoint"].items() if "dataPoints" in ep)
        self.assertNotIn("POST activity-level/dataPoints:dailyRollUp", stats["by_endpoint"])
        self.assertEqual(stats["by_endpoint"]["GET activity-level/dataPoints"], 16)
        self.assertLessEqual(data, 110, f"{data} data requests for {DAYS} days: {stats['by_endpoint']}")
        self.assertLessEqual(used - data, 2, stats["by_endpoint"])

    def test_not_linked_readyz_503(self):
        self.start_fake("--membership-start", (date.today() - timedelta(days=10)).isoformat())
        sb = self.authorized()
        self.fake.config(not_linked=True)
        sb.start()
        r = sb.wait_http("/readyz", 503, timeout=60, text="not linked")
        self.assertIn("not linked", r.text.lower())
        # no retry storm on a user-action error
        time.sleep(1)
        n = self.fake.get("/_test/stats")["api_requests"]
        self.assertLess(n, 30, self.fake.get("/_test/stats")["by_endpoint"])
        self.assertEqual(sb.stop(), 0)
        self.assert_no_secrets(sb, r.text)

    def test_refresh_rotation_faults_and_revocation(self):
        self.start_fake("--membership-start", (date.today() - timedelta(days=10)).isoformat())
        sb = self.authorized()
        self.assertEqual(sb.run("--once").rc, 0)
        # no rotation: the refresh answer carries no refresh_token; the stored one keeps working
        for n in (1, 2):
            self.fake.config(expire_access_token=True)
            r = sb.run("--once")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(self.fake.get("/_test/stats")["refreshes"], n)
        # rotation on: the new refresh token must be stored (the old one is dead)
        self.fake.config(rotate_refresh=True)
        for n in (3, 4):
            self.fake.config(expire_access_token=True)
            r = sb.run("--once")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(self.fake.get("/_test/stats")["refreshes"], n)
        # transient 503s (with Retry-After) and a 429 are retried
        seq = self.fake.get("/_test/stats")["requests"]
        self.fake.config(faults=[{"path": "steps/dataPoints:dailyRollUp", "status": 503, "count": 2,
                                  "retry_after": 1},
                                 {"path": "distance/dataPoints:dailyRollUp", "status": 429, "count": 1}])
        r = sb.run("--once")
        self.assertEqual(r.rc, 0, r)
        steps = [q["status"] for q in self.fake.requests(since=seq)
                 if q["path"].endswith("/steps/dataPoints:dailyRollUp")]
        self.assertEqual(steps, [503, 503, 200])
        # revoked: the run fails and says to authorize again, without a retry storm
        self.fake.config(revoke_all=True)
        seq = self.fake.get("/_test/stats")["requests"]
        r = sb.run("--once")
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("--authorize", r.stdout + r.stderr + sb.log())
        self.assertLessEqual(len(self.fake.requests(since=seq)), 3)
        self.assert_no_secrets(sb, r.stdout, r.stderr)

    def test_partial_consent_skips_only_those_metrics(self):
        self.start_fake("--membership-start", (date.today() - timedelta(days=10)).isoformat())
        pfx = "https://www.googleapis.com/auth/googlehealth."
        self.fake.config(scopes=[pfx + s for s in ("activity_and_fitness.readonly",
                                                    "profile.readonly", "settings.readonly")])
        sb = self.authorized()
        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)
        m = parse_metrics(sb.get("/metrics").text)
        self.assertIn(f'fitbit_steps_total{{user="{USER}"}}', m)
        self.assertFalse([k for k in m if k.startswith("fitbit_heart_rate_zone")], m)
        self.assertIn("scope", sb.log())
        self.assertEqual(sb.stop(), 0)

    def test_resting_hr_paging_with_empty_pages(self):
        since = datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=60)
        self.start_fake("--membership-start", since.isoformat())
        self.fake.config(max_page_size=7, empty_page="after_first")
        vm = self.h.victoria()
        # 7-point pages: minutes would need ~1200 pages per chunk
        sb = self.authorized(VICTORIA_ENDPOINT=vm.write_url, COLLECT="heart")
        r = sb.run("--once", timeout=120)
        self.assertEqual(r.rc, 0, r)
        got = {ts: v for _, _, ts, v in vm.samples(f'fitbit_resting_heart_rate_bpm{{user="{USER}"}}')}
        want = {}
        d = since
        while d < self.today:
            t = self.fake.get("/_test/truth", date=d.isoformat())
            if "fitbit_resting_heart_rate_bpm" in t:
                want[t["timestamp_ms"]] = t["fitbit_resting_heart_rate_bpm"]
            d += timedelta(days=1)
        self.assertEqual(got, want)
        pages = [q for q in self.fake.requests() if "daily-resting-heart-rate" in q["path"]]
        self.assertGreater(len(pages), 9)


    def test_refusal_not_repeated_and_finality_without_device_sync(self):
        """A refused (type, operation) is asked once and explained in one
        line; devices without lastSyncTime keep their battery, and finality
        falls back to the last RECENT_DAYS (3) days re-read every cycle."""
        self.start_fake("--membership-start", (date.today() - timedelta(days=20)).isoformat())
        self.fake.config(no_last_sync=True,
                         faults=[{"path": "floors/dataPoints:dailyRollUp", "status": 400, "count": -1}])
        port = free_port()
        sb = self.authorized(LISTEN_ADDRESS=f"127.0.0.1:{port}")
        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)

        def steps():
            return [q for q in self.fake.requests() if q["path"].endswith("/steps/dataPoints:dailyRollUp")]
        # history first, then a second cycle: two requests for today's window
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            ends = [q["json"]["range"]["end"]["date"] for q in steps()]
            if len([e for e in ends if e == gd_next(self.today)]) >= 2:
                break
            time.sleep(1)
        cycles = [q for q in steps() if q["json"]["range"]["end"]["date"] == gd_next(self.today)]
        self.assertGreaterEqual(len(cycles), 2, [q["json"] for q in steps()])
        # no device sync known: every cycle re-reads the last 3 days and today
        want = self.today - timedelta(days=3)
        for q in cycles:
            self.assertEqual(q["json"]["range"]["start"]["date"],
                             {"year": want.year, "month": want.month, "day": want.day})
        floors = [q for q in self.fake.requests() if q["path"].endswith("/floors/dataPoints:dailyRollUp")]
        self.assertEqual(len(floors), 1, "a refused request is not repeated")
        lines = [ln for ln in sb.log().splitlines() if "data_type=floors" in ln]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("operation=dailyRollUp", lines[0])
        m = parse_metrics(sb.get("/metrics").text)
        self.assertTrue([k for k in m if k.startswith("fitbit_device_battery_percent{")], m)
        self.assertFalse([k for k in m if k.startswith("fitbit_device_last_sync_timestamp_seconds")])
        self.assertIn(f'fitbit_steps_total{{user="{USER}"}}', m)
        self.assertEqual(sb.stop(), 0)

    def test_wide_sleep_range_5xx_read_narrower(self):
        since = datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=40)
        self.start_fake("--membership-start", since.isoformat())
        self.fake.config(sleep_5xx_days=10)
        vm = self.h.victoria()
        sb = self.authorized(VICTORIA_ENDPOINT=vm.write_url, COLLECT="sleep")
        r = sb.run("--once", timeout=180)
        self.assertEqual(r.rc, 0, r)
        sleep = [q for q in self.fake.requests() if q["path"].endswith("/sleep/dataPoints")]
        failed = [q["query"] for q in sleep if q["status"] == 500]
        self.assertTrue(failed, "the history range is wider than 10 days")
        self.assertEqual(len(failed), len(set(failed)), "a failing range is not asked again")
        got = {ts: v for _, _, ts, v in vm.samples(f'fitbit_sleep_duration_seconds{{user="{USER}"}}')}
        want = {}
        d = since
        while d < self.today:
            t = self.fake.get("/_test/truth", date=d.isoformat())
            if "fitbit_sleep_duration_seconds" in t:
                want[t["timestamp_ms"]] = t["fitbit_sleep_duration_seconds"]
            d += timedelta(days=1)
        self.assertGreater(len(want), 25)
        self.assertEqual(got, want)


def gd_next(d):
    n = d + timedelta(days=1)
    return {"year": n.year, "month": n.month, "day": n.day}
