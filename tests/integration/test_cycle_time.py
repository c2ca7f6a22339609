"""Cycles keep time during a long backfill (issue 11, item 9).

The real binary against tests/fakes/fake_google.py with 400 days of
history of every kind, minute data included, and a 1-minute interval. The
fake answers slowly (latency), so the history takes minutes. A cycle's
history work must stop when the next cycle is due: today's values and
syncbit_last_sync_timestamp_seconds then move at least every interval
(+30 s of slack for one request in flight) while history is still pending,
and the history goes on between the cycles.
"""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from harness import IntegrationTest, free_port, parse_metrics, self_metric

ZONE = "Europe/Berlin"
USER = "dana"
INTERVAL_S = 60
SLACK_S = 30


class CyclesKeepTime(IntegrationTest):
    def test_sync_every_interval_while_history_is_pending(self):
        since = datetime.now(ZoneInfo(ZONE)).date() - timedelta(days=400)
        fake = self.h.fake("fake_google.py", "--timezone", ZONE, "--membership-start",
                           since.isoformat(), "--latency-ms", "400")
        cfg = fake.get("/_test/config")
        vm = self.h.victoria()
        u = fake.url
        sb = self.h.syncbit({
            "SOURCE": "google", "GOOGLE_CLIENT_ID": cfg["client_id"],
            "GOOGLE_CLIENT_SECRET": cfg["client_secret"], "GOOGLE_HEALTH_API_URL": u,
            "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
            "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{free_port()}/callback",
            "FITBIT_USER_ID": USER, "SYNC_INTERVAL_MINUTES": str(INTERVAL_S // 60),
            "VICTORIA_ENDPOINT": vm.write_url})
        r = sb.authorize()
        self.assertEqual(r.rc, 0, r)
        sb.start()
        sb.wait_http("/readyz", 200, timeout=90)

        def read():
            m = parse_metrics(sb.get("/metrics").text)
            return (self_metric(m, "syncbit_last_sync_timestamp_seconds", USER, 0),
                    self_metric(m, "syncbit_backfill_days_pending", USER, 0))

        syncs = []          # (seen at, last sync) each time the latter moved
        pending = []
        t0 = time.time()
        while len(syncs) < 3 and time.time() - t0 < 2 * INTERVAL_S + 2 * SLACK_S + 10:
            last, left = read()
            pending.append(left)
            if last and (not syncs or last != syncs[-1][1]):
                syncs.append((time.time(), last))
            time.sleep(1)
        gaps = [b[1] - a[1] for a, b in zip(syncs, syncs[1:])]
        self.assertGreaterEqual(len(syncs), 3, f"last sync moved {len(syncs)} times in "
                                f"{time.time() - t0:.0f} s: {syncs}\n{sb.log()[-3000:]}")
        for g in gaps:
            self.assertLessEqual(g, INTERVAL_S + SLACK_S, f"cycles {gaps} s apart")
        _, left = read()
        self.assertGreater(left, 0, "the history finished before the check: slow the fake")
        # history goes on between cycles: fewer days pending now than at the first look
        self.assertLess(left, max(pending), pending)
        # today's values are in /metrics, with the fake's resting heart rate when it has one
        truth = fake.get("/_test/truth", date="today")
        m = parse_metrics(sb.get("/metrics").text)
        self.assertIn(f'fitbit_steps_total{{user="{USER}"}}', m)
        if "fitbit_resting_heart_rate_bpm" in truth:
            self.assertEqual(m[f'fitbit_resting_heart_rate_bpm{{user="{USER}"}}'],
                             truth["fitbit_resting_heart_rate_bpm"])
        # progress lines give an estimate or none, never -1 (item 10)
        log = sb.log()
        self.assertIn("eta_seconds=", log)
        self.assertNotIn("eta_seconds=-", log)
        self.assertEqual(sb.stop(), 0)
