"""The legacy API's budget is used well (issue 6): with the fake's hour
shortened to WINDOW seconds, every full window while history is pending
carries at least 95 % of its 150 requests, and SyncBit causes no 429."""

import math
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from harness import IntegrationTest, free_port, parse_metrics, self_metric, wait_until

ZONE = "Europe/Berlin"
WINDOW = 20
LIMIT = 150
DAYS = 200


class BudgetFitbit(IntegrationTest):
    def test_windows_full_while_history_pending_no_429(self):
        today = datetime.now(ZoneInfo(ZONE)).date()
        fake = self.h.fake_fitbit(timezone=ZONE, rate_window=WINDOW, rate_limit=LIMIT,
                                  member_since=(today - timedelta(days=DAYS)).isoformat())
        vm = self.h.victoria()
        port = free_port()
        sb = self.h.syncbit(fake.env(), VICTORIA_ENDPOINT=vm.write_url, FITBIT_USER_ID="bob",
                            LISTEN_ADDRESS=f"127.0.0.1:{port}", SYNC_INTERVAL_MINUTES="1")
        self.assertEqual(sb.authorize().rc, 0)
        sb.start()
        sb.wait_http("/healthz")

        seen = {"pending": False}

        def history_sent():
            """days_pending went above 0 and back to 0 (it is 0 before the
            first backfill step)."""
            m = parse_metrics(sb.get("/metrics").text)
            v = self_metric(m, "syncbit_backfill_days_pending", "bob", None)
            seen["pending"] |= bool(v)
            return seen["pending"] and v == 0
        # 2 x 200 intraday days + daily kinds: about 3 windows of 150
        wait_until(history_sent, 200, "history sent", interval=0.5)
        done = time.time()
        api = [r["time"] for r in fake.requests() if r["path"].startswith(("/1/", "/1.2/"))]
        first = math.floor(min(api) / WINDOW)
        last = math.floor(done / WINDOW)
        counts = {}
        for t in api:
            counts[math.floor(t / WINDOW)] = counts.get(math.floor(t / WINDOW), 0) + 1
        full = [counts.get(w, 0) for w in range(first + 1, last)]
        self.assertGreaterEqual(len(full), 2, f"too few full windows: {counts}")
        print(f"# budget: requests per full {WINDOW}-s window of {LIMIT}: {full}")
        for n in full:
            self.assertGreaterEqual(n, 0.95 * LIMIT, f"a window used {n} of {LIMIT}: {full}")
            # (a request logged just after a boundary may fall in the next
            # bucket here; the fake's own count decides 429s, checked below)
        self.assertEqual(fake.stats()["rate_limited"], 0, "SyncBit caused a 429")
        self.assertGreater(len(vm.samples('fitbit_heart_rate_bpm{user="bob"}')), DAYS * 1000)
