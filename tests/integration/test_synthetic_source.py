"""The source seam (issue 12): build/syncbit-synthetic is SyncBit plus a
source that lives only in the tests (tests/source/synthetic.c), joined
through the driver table from outside exporter/source/. It authorizes with
the core's OAuth (against the legacy fake's endpoints), runs a full cycle
and the backfill with --once into a real VictoriaMetrics, and serves
/metrics as the service. The expected values are computed here by the
same rule as the source's (its header). Python 3 standard library."""

import time
import unittest

import harness

DAYS = 40                    # SYNTHETIC_DAYS: the account's age in days


def steps_of(day):
    return 1000.0 + 10.0 * (day % 97)


def weight_of(day):
    return 70.0 + (day % 7) / 10.0


def day_end_ms(day):
    """23:59:59 of the civil day in UTC (the source's zone)."""
    return ((day + 1) * 86400 - 1) * 1000


class SyntheticSource(harness.IntegrationTest):
    def setUp(self):
        super().setUp()
        binary = harness.syncbit_binary().parent / "syncbit-synthetic"
        if not binary.is_file():
            raise unittest.SkipTest(f"{binary} not built (make build/syncbit-synthetic)")
        self.fake = self.h.fake_fitbit()
        self.vm = self.h.victoria()
        env = self.fake.env()
        self.sb = self.h.syncbit({
            "SOURCE": "synthetic",
            "SYNTHETIC_CLIENT_ID": env["FITBIT_CLIENT_ID"],
            "SYNTHETIC_CLIENT_SECRET": env["FITBIT_CLIENT_SECRET"],
            "SYNTHETIC_REDIRECT_URI": env["FITBIT_REDIRECT_URI"],
            "SYNTHETIC_AUTH_URL": env["FITBIT_AUTH_URL"],
            "SYNTHETIC_TOKEN_URL": env["FITBIT_TOKEN_URL"],
            "VICTORIA_ENDPOINT": self.vm.write_url,
            "FITBIT_USER_ID": "syn"}, name="synthetic")
        self.sb.bin = binary

    def series(self, name):
        """{ts_ms: value} of one series, with its labels."""
        got = self.vm.samples(name)
        labels = {tuple(sorted(s[1].items())) for s in got}
        self.assertEqual(labels, {(("user", "syn"),)}, got[:3])
        return {s[2]: s[3] for s in got}

    def test_cycle_and_backfill_into_victoria(self):
        r = self.sb.authorize()
        self.assertEqual(r.rc, 0, r)
        self.assertTrue((self.sb.data_dir / "synthetic_tokens.json").is_file())
        today = int(time.time()) // 86400
        r = self.sb.run("--once", timeout=120)
        self.assertEqual(r.rc, 0, r)

        steps = self.series("fitbit_steps_total")
        weight = self.series("fitbit_weight_kg")
        start = today - DAYS
        for day in range(start, today):      # history: every day, exact
            self.assertEqual(steps.get(day_end_ms(day)), steps_of(day), day)
            self.assertEqual(weight.get(day_end_ms(day)), weight_of(day), day)
        past = {t for t in steps if t <= day_end_ms(today - 1)}
        self.assertEqual(len(past), DAYS)    # nothing before the account
        # the only requests the fake saw are the OAuth ones
        paths = {q["path"] for q in self.fake.requests()}
        self.assertTrue(paths <= {"/oauth2/authorize", "/oauth2/token"}, paths)

        # the service: today's value at /metrics, ready
        self.sb.start()
        self.sb.wait_http("/readyz", 200, timeout=60)
        m = harness.parse_metrics(self.sb.get("/metrics").text)
        self.assertEqual(m.get('fitbit_steps_total{user="syn"}'),
                         steps_of(int(time.time()) // 86400), list(m)[:5])
        info = [k for k in m if k.startswith('syncbit_build_info{source="synthetic",')]
        self.assertEqual(len(info), 1, list(m))
        self.assertEqual(self.sb.stop(), 0)


if __name__ == "__main__":
    unittest.main()
