"""The whole body (issue 6) from both fakes into a real VictoriaMetrics:
every series of SPEC's "Beyond the original README" table equals the fake's
truth at the right instants -- wake-day metrics at 23:59:59 local of the
wake day, intraday minutes and hypnogram points at their own instants --
over 40 days that include the 2026-10-25 DST fall-back in Europe/Berlin;
/metrics shows the latest of each with HELP text; an app without intraday
access loses only intraday, with one line saying so; COLLECT and INTRADAY
narrow what is read."""

import re
import time
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from harness import IntegrationTest, free_port, parse_metrics

ZONE = "Europe/Berlin"
DAYS = 40
USER = "dana"
LABEL = {"fitbit_sleep_stage_seconds": "stage", "fitbit_spo2_percent": "stat",
         "fitbit_hrv_rmssd_ms": "period", "fitbit_active_zone_minutes": "zone"}
DAILY = ("fitbit_sleep_duration_seconds", "fitbit_sleep_stage_seconds",
         "fitbit_sleep_efficiency_ratio", "fitbit_spo2_percent", "fitbit_hrv_rmssd_ms",
         "fitbit_breathing_rate_per_minute", "fitbit_skin_temperature_deviation_celsius",
         "fitbit_vo2max", "fitbit_active_zone_minutes", "fitbit_weight_kg",
         "fitbit_body_fat_percent")
INSTANTS = ("fitbit_heart_rate_bpm", "fitbit_intraday_steps", "fitbit_sleep_stage_level")


def day_end_ms(d):
    return int(datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=ZoneInfo(ZONE)).timestamp() * 1000)


def utc_ms(d):
    return int(datetime(d.year, d.month, d.day, tzinfo=timezone.utc).timestamp() * 1000)


def expected_daily(truth):
    """{(metric, label value or None): value} of one day's truth."""
    out = {}
    for m in DAILY:
        v = truth.get(m)
        if isinstance(v, dict):
            out.update({(m, k): x for k, x in v.items()})
        elif v is not None:
            out[(m, None)] = v
    return out


class Body:
    """Shared checks; subclasses start their fake and give env()."""

    def setUp(self):
        super().setUp()
        self.today = datetime.now(ZoneInfo(ZONE)).date()
        self.since = self.today - timedelta(days=DAYS)

    def backfill(self, **more):
        self.start_fake()
        vm = self.h.victoria()
        sb = self.h.syncbit(self.env(VICTORIA_ENDPOINT=vm.write_url, **more))
        r = sb.authorize()
        self.assertEqual(r.rc, 0, f"{r}\n{self.h.dump()}")
        r = sb.run("--once", timeout=300)
        self.assertEqual(r.rc, 0, f"{r}\n{self.h.dump()}")
        return vm, sb

    def vm_daily(self, vm):
        got = {}
        for name, labels, ts, v in vm.samples('{__name__=~"%s",user="%s"}' % ("|".join(DAILY), USER)):
            lv = labels.get(LABEL.get(name, ""), None)
            key = (ts, name, lv)
            self.assertNotIn(key, got, f"two samples at one instant: {key}")
            got[key] = v
        return got

    def check_daily(self, vm):
        got = self.vm_daily(vm)
        want = {}
        d = self.since
        while d < self.today:
            for (m, lv), v in expected_daily(self.fake.truth(d)).items():
                want[(day_end_ms(d), m, lv)] = v
            d += timedelta(days=1)
        self.assertGreater(len(want), DAYS * 10, "the fake serves too little to test")
        for m in DAILY:     # each metric has data on some day
            self.assertTrue(any(k[1] == m for k in want), m)
        missing = sorted(set(want) - set(got))[:5]
        extra = sorted(set(got) - set(want))[:5]
        self.assertEqual(missing, [], "in the truth, not in VictoriaMetrics")
        self.assertEqual(extra, [], "in VictoriaMetrics, not in the truth")
        for k, v in want.items():
            self.assertAlmostEqual(got[k], v, places=6, msg=str(k))

    def check_instants(self, vm, metric, first, last):
        """VictoriaMetrics' points of metric in UTC days [first, last] equal
        the fake's served points, instant for instant."""
        a, b = utc_ms(first), utc_ms(last + timedelta(days=1))
        want = {int(t): v for t, v in self.fake.get("/_test/series", metric=metric,
                                                    start_ms=a, end_ms=b)["points"]}
        got = {}
        for name, labels, ts, v in vm.samples('%s{user="%s"}' % (metric, USER),
                                              start=a // 1000, end=b // 1000 - 1):
            if a <= ts < b:
                self.assertNotIn(ts, got)
                got[ts] = v
        self.assertGreater(len(want), 0, metric)
        self.assertEqual(sorted(set(want) - set(got))[:5], [], f"{metric}: missing instants")
        self.assertEqual(sorted(set(got) - set(want))[:5], [], f"{metric}: instants not served")
        for t, v in want.items():
            self.assertAlmostEqual(got[t], v, places=6, msg=f"{metric} at {t}")

    def check_all(self):
        vm, sb = self.backfill()
        self.check_daily(vm)
        fall_back = date(2026, 10, 25)
        first = max(self.since + timedelta(days=1), fall_back - timedelta(days=2))
        last = self.today - timedelta(days=2)
        self.assertLessEqual(first, fall_back, "the window must hold the DST change")
        for m in INSTANTS:
            self.check_instants(vm, m, first, last)
        self.assertEqual(self.fake.stats().get("rate_limited", 0), 0)
        return sb

    def check_metrics_page(self, **more):
        """The service's /metrics: the latest of each series, with HELP."""
        self.start_fake()
        port = free_port()
        sb = self.h.syncbit(self.env(LISTEN_ADDRESS=f"127.0.0.1:{port}", **more))
        self.assertEqual(sb.authorize().rc, 0)
        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)
        text = sb.get("/metrics").text
        m = by_labels(text)
        for name in DAILY + INSTANTS + ("fitbit_device_battery_percent",
                                        "fitbit_device_last_sync_timestamp_seconds"):
            self.assertIn(f"# HELP {name} ", text)
        devices = self.fake.get("/_test/devices")
        self.assertGreaterEqual(len(devices), 2)
        for dev in devices:
            k = key("fitbit_device_battery_percent", device=dev["device"], type=dev["type"])
            if dev.get("battery") is not None:
                self.assertEqual(m.get(k), dev["battery"], f"{dev} in\n{text}")
            k = key("fitbit_device_last_sync_timestamp_seconds", device=dev["device"],
                    type=dev["type"])
            # the tracker keeps syncing (the fake's clock runs): read a moment ago
            self.assertLessEqual(m.get(k), dev["last_sync_s"], f"{dev} in\n{text}")
            self.assertGreater(m.get(k), dev["last_sync_s"] - 60, f"{dev} in\n{text}")
        # the current heart-rate minute is the newest the fake served
        pts = self.fake.get("/_test/series", metric="fitbit_heart_rate_bpm",
                            start_ms=int(time.time() * 1000) - 2 * 86400000,
                            end_ms=int(time.time() * 1000) + 60000)["points"]
        hr = m.get(key("fitbit_heart_rate_bpm"))
        self.assertEqual(hr, pts[-1][1], "latest minute")
        return sb, m


def by_labels(text):
    """/metrics -> {(name, frozenset of label pairs): value}."""
    out = {}
    for k, v in parse_metrics(text).items():
        name, _, rest = k.partition("{")
        pairs = re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', rest)
        out[(name, frozenset(pairs))] = v
    return out


def key(name, **labels):
    return (name, frozenset(dict(labels, user=USER).items()))


class BodyFitbit(Body, IntegrationTest):
    def start_fake(self, **opts):
        self.fake = self.h.fake_fitbit(timezone=ZONE, member_since=self.since.isoformat(), **opts)

    def env(self, **more):
        return dict(self.fake.env(), FITBIT_USER_ID=USER, SYNC_INTERVAL_MINUTES="1", **more)

    def test_every_series_equals_truth_across_dst(self):
        self.check_all()

    def test_metrics_page(self):
        self.check_metrics_page()

    def intraday_refused(self, mode):
        self.start_fake()
        self.fake.config(intraday=mode)
        vm = self.h.victoria()
        sb = self.h.syncbit(self.env(VICTORIA_ENDPOINT=vm.write_url))
        self.assertEqual(sb.authorize().rc, 0)
        r = sb.run("--once", timeout=300)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.stderr.count("intraday heart rate and steps are off"), 1, r.stderr)
        self.assertEqual(vm.samples('fitbit_heart_rate_bpm'), [])
        self.check_daily(vm)
        intraday = [x for x in self.fake.requests() if "/1min" in x["path"]]
        self.assertLessEqual(len(intraday), 1, "asked again after a refusal")

    def test_intraday_forbidden_rest_continues(self):
        self.intraday_refused("forbidden")

    def test_intraday_absent_rest_continues(self):
        self.intraday_refused("absent")

    def test_collect_and_intraday_off(self):
        vm, sb = self.backfill(COLLECT="sleep,devices", INTRADAY="off")
        names = {s[0] for s in vm.samples('{user="%s"}' % USER)}
        self.assertIn("fitbit_sleep_duration_seconds", names)
        for n in ("fitbit_steps_total", "fitbit_spo2_percent", "fitbit_heart_rate_bpm",
                  "fitbit_intraday_steps"):
            self.assertNotIn(n, names)
        paths = {x["path"] for x in self.fake.requests()}
        self.assertFalse([p for p in paths if "/1min" in p or "/spo2/" in p], paths)


class BodyGoogle(Body, IntegrationTest):
    def start_fake(self, *args):
        self.fake = self.h.fake("fake_google.py", "--timezone", ZONE,
                                "--membership-start", self.since.isoformat(), *args)
        cfg = self.fake.get("/_test/config")
        self.client_id, self.client_secret = cfg["client_id"], cfg["client_secret"]
        self.fake.truth = lambda d: self.fake.get("/_test/truth", date=str(d))

    def env(self, **more):
        u = self.fake.url
        return {"SOURCE": "google", "GOOGLE_CLIENT_ID": self.client_id,
                "GOOGLE_CLIENT_SECRET": self.client_secret, "GOOGLE_HEALTH_API_URL": u,
                "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
                "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{free_port()}/callback",
                "FITBIT_USER_ID": USER, "SYNC_INTERVAL_MINUTES": "1", **more}

    def test_every_series_equals_truth_across_dst(self):
        self.check_all()

    def test_metrics_page(self):
        self.check_metrics_page()
