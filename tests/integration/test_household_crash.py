"""Crash consistency of a household (issue 13): USERS=alice,bob,carol (all
three healthy here) backfilling into a real VictoriaMetrics is killed with
SIGKILL at random moments and restarted, KILLS times, with the fake's
latency widening the windows and the access tokens expired now and then so
that refreshes fall among the kills. After every kill each account's token
file is whole JSON (0600) holding a refresh token the fake still accepts and
its sync_state.json (when present) is JSON; at the end every day of every
account is in VictoriaMetrics with its own account's values.

CRASH_SEED=N repeats the random choices; HOUSEHOLD_KILLS (default 12) sets
the number of kills."""

import json
import os
import random
import signal
import stat
import time

from test_household import USERS, HouseholdFixture

KILLS = int(os.environ.get("HOUSEHOLD_KILLS", "12"))
SEED = int(os.environ.get("CRASH_SEED", str(int(time.time()))))


class HouseholdCrash(HouseholdFixture):
    def setUp(self):
        super().setUp()
        self.fake.config(accounts={u: {"seed": 11 + i, "not_linked": False} for i, u in enumerate(USERS)},
                         latency_ms=40)

    def check_files(self, sb, after):
        refresh = set(self.fake.get("/_test/tokens")["refresh_tokens"])
        for user in USERS:
            d = sb.data_dir / "users" / user
            path = d / "google_tokens.json"
            try:
                tok = json.loads(path.read_text())
            except ValueError as e:
                self.fail(f"{after}: {user}'s token file is not JSON: {e}")
            self.assertEqual(stat.S_IMODE(path.stat().st_mode), 0o600, f"{after}: {path}")
            self.assertIn(tok.get("refresh_token"), refresh,
                          f"{after}: {user}'s refresh token is not one the fake accepts")
            state = d / "sync_state.json"
            if state.exists():
                try:
                    json.loads(state.read_text())
                except ValueError as e:
                    self.fail(f"{after}: {user}'s sync_state.json is not JSON: {e}")

    def test_sigkill_during_a_household_backfill(self):
        rnd = random.Random(SEED)
        vm = self.h.victoria()
        sb = self.h.syncbit(dict(self.env, VICTORIA_ENDPOINT=vm.write_url))
        self.authorize_all(sb)
        for k in range(KILLS):
            if k % 3 == 2:
                self.fake.config(expire_access_token=True)  # a refresh on the next request
            proc = sb.start()
            time.sleep(rnd.uniform(0.1, 2.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            self.check_files(sb, f"kill {k + 1} (CRASH_SEED={SEED})")
        # after the last kill, the service finishes every account's history
        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)
        got = self.wait_history(vm, USERS, 120)
        self.assertEqual(sb.stop(), 0)
        self.check_files(sb, "the end")
        self.assertEqual(set(got), set(USERS))
        for user in USERS:
            self.assertGreater(self.check_against_truth(user, got[user]), 5 * 30, user)
