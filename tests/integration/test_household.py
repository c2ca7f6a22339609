"""A household of three in one SyncBit (issue 13) against
tests/fakes/fake_google.py's accounts and a real VictoriaMetrics:
USERS=alice,bob,carol, each authorized with --authorize --user NAME under the
one OAuth client. alice is healthy, bob's account is not linked
(ACCOUNT_NOT_LINKED), carol's grant is revoked after her first sync (her
access token expired, the refresh answered invalid_grant). Every sample in
VictoriaMetrics is checked against the fake's truth of its own account, for
every day; /metrics, /readyz, the token files and the log say who syncs.
And --authorize --user for a name not in USERS stops with one line."""

import json
import re
import time
import unittest
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from harness import IntegrationTest, free_port, parse_metrics, wait_until

ZONE = "Europe/Berlin"
DAYS = 30
USERS = ("alice", "bob", "carol")
SEEDS = {"alice": 11, "bob": 12, "carol": 13}
# the daily kinds: every value of them has a truth per day
COLLECT = "activity,heart"
LABELLED = {"fitbit_active_minutes": "type", "fitbit_heart_rate_zone_minutes": "zone",
            "fitbit_heart_rate_zone_calories": "zone"}
PLAIN = ("fitbit_steps_total", "fitbit_distance_km", "fitbit_floors_total",
         "fitbit_elevation_meters", "fitbit_calories_total", "fitbit_resting_heart_rate_bpm")


def day_end_ms(d):
    return int(datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=ZoneInfo(ZONE)).timestamp() * 1000)


class HouseholdFixture(IntegrationTest):
    """The fake's three accounts, the environment and the checks against the
    truth (no test of its own: test_household_crash.py uses it too)."""

    def setUp(self):
        super().setUp()
        # the data clock frozen at the real now: today's values are exact too
        self.fake = self.h.fake("fake_google.py", "--timezone", ZONE, "--now", str(time.time()))
        cfg = self.fake.get("/_test/config")
        self.today = datetime.now(ZoneInfo(ZONE)).date()
        self.since = self.today - timedelta(days=DAYS)
        self.fake.config(membership_start=self.since.isoformat(),
                         accounts={"alice": {"seed": SEEDS["alice"]},
                                   "bob": {"seed": SEEDS["bob"], "not_linked": True},
                                   "carol": {"seed": SEEDS["carol"]}})
        u = self.fake.url
        self.env = {"SOURCE": "google", "GOOGLE_CLIENT_ID": cfg["client_id"],
                    "GOOGLE_CLIENT_SECRET": cfg["client_secret"], "GOOGLE_HEALTH_API_URL": u,
                    "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
                    "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{free_port()}/callback",
                    "USERS": ",".join(USERS), "SYNC_INTERVAL_MINUTES": "1", "COLLECT": COLLECT}

    def truth(self, user, d):
        return self.fake.get("/_test/truth", date=d.isoformat(), account=user)

    def vm_by_user(self, vm):
        """{user: {(name, labels without user): {ts: value}}} of the fitbit_ series."""
        out = {}
        for name, labels, ts, v in vm.samples('{__name__=~"fitbit_.+"}', end=int(time.time()) + 3 * 86400):
            user = labels.get("user")
            key = (name, tuple(sorted((k, x) for k, x in labels.items() if k != "user")))
            series = out.setdefault(user, {}).setdefault(key, {})
            self.assertNotIn(ts, series, f"two samples of {user} {key} at {ts}")
            series[ts] = v
        return out

    def check_against_truth(self, user, got):
        """Every sample of user equals the truth of user's account for its day,
        and every value of that truth for the days before today is there."""
        days = {day_end_ms(self.since + timedelta(days=i)): self.since + timedelta(days=i)
                for i in range(DAYS + 1)}
        truths = {d: self.truth(user, d) for d in days.values()}
        checked = 0
        for (name, labels), series in got.items():
            for ts, v in series.items():
                self.assertIn(ts, days, f"{user} {name}{labels}: a sample off 23:59:59 {ZONE}")
                want = truths[days[ts]].get(name)
                if labels:
                    self.assertEqual(len(labels), 1, (name, labels))
                    want = (want or {}).get(labels[0][1])
                self.assertIsNotNone(want, f"{user} {name}{labels} on {days[ts]}: not in the truth")
                self.assertAlmostEqual(v, want, places=6, msg=f"{user} {name}{labels} {days[ts]}")
                checked += 1
        for ts, d in days.items():
            if d >= self.today:       # today is on /metrics; VictoriaMetrics gets finished days
                continue
            t = truths[d]
            for name in PLAIN:
                if name in t:
                    self.assertIn(ts, got.get((name, ()), {}), f"{user} {name} {d} missing")
            for name, lname in LABELLED.items():
                for lab in t.get(name, {}):
                    self.assertIn(ts, got.get((name, ((lname, lab),)), {}),
                                  f"{user} {name} {lab} {d} missing")
        return checked

    def wait_history(self, vm, users, timeout):
        """Until every day of each of users is in VictoriaMetrics with its
        own truth; then VictoriaMetrics' series by user. On timeout, the
        first difference, named."""
        def complete():
            got = self.vm_by_user(vm)
            try:
                for user in users:
                    self.check_against_truth(user, got.get(user, {}))
            except AssertionError:
                return None
            return got
        try:
            return wait_until(complete, timeout, f"the history of {', '.join(users)}", interval=2)
        except TimeoutError:
            got = self.vm_by_user(vm)
            for user in users:
                self.check_against_truth(user, got.get(user, {}))
            raise

    def authorize_all(self, sb):
        for user in USERS:
            r = sb.authorize(user=user)
            self.assertEqual(r.rc, 0, f"{user}: {r}\n{self.h.dump()}")
        owners = set(self.fake.get("/_test/tokens")["account"].values())
        self.assertEqual(owners, set(USERS), "each consent belongs to its own account")


class Household(HouseholdFixture):
    def test_household_of_three_against_truth(self):
        vm = self.h.victoria()
        sb = self.h.syncbit(dict(self.env, VICTORIA_ENDPOINT=vm.write_url))
        self.authorize_all(sb)
        for user in USERS:
            path = sb.data_dir / "users" / user / "google_tokens.json"
            self.assertTrue(path.exists(), f"{path} after --authorize --user {user}")
            json.loads(path.read_text())
        # carol syncs once while her grant is good
        r = sb.run("--once", "--user", "carol", timeout=180)
        self.assertEqual(r.rc, 0, r)
        carol_before = self.vm_by_user(vm).get("carol", {})
        self.assertTrue(carol_before, "carol's first sync wrote nothing")
        # then her grant is revoked: her access token expires, the refresh is refused
        self.fake.config(expire_access_token="carol", revoke_account="carol")
        r = sb.run("--once", timeout=240)
        self.assertNotEqual(r.rc, 0, f"two of three accounts fail, yet --once says 0: {r}")
        got = self.vm_by_user(vm)
        self.assertEqual(set(got) - {"alice", "carol"}, set(),
                         f"series of other users: {sorted(map(str, set(got) - {'alice', 'carol'}))}")
        self.assertGreater(self.check_against_truth("alice", got["alice"]), DAYS * 5)
        self.assertEqual(got.get("carol", {}), carol_before, "carol's series changed after revocation")
        self.check_against_truth("carol", got.get("carol", {}))
        # alice's and carol's values differ (their own seeds), so neither was written as the other
        a = got["alice"].get(("fitbit_steps_total", ()), {})
        c = got["carol"].get(("fitbit_steps_total", ()), {})
        self.assertNotEqual(a, c)
        stats = self.fake.get("/_test/stats")
        self.assertLess(stats["by_account"].get("bob", 0), 30, stats["by_account"])

        # the service: alice syncs, the others say why not
        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)

        def states():
            m = parse_metrics(sb.get("/metrics").text)
            want = {'syncbit_account_ready{reason="ok",user="alice"}': 1,
                    'syncbit_account_ready{reason="account",user="bob"}': 0,
                    'syncbit_account_ready{reason="invalid_grant",user="carol"}': 0}
            return m if all(m.get(k) == v for k, v in want.items()) else None
        try:
            m = wait_until(states, 60, "the three accounts' readiness")
        except TimeoutError:
            text = sb.get("/metrics").text
            self.fail("syncbit_account_ready: " + "; ".join(
                ln for ln in text.splitlines() if ln.startswith("syncbit_account_ready")))
        self.assertEqual(sb.get("/readyz").status, 200)
        today = self.truth("alice", self.today)
        if today["has_data"]:
            self.assertAlmostEqual(m['fitbit_steps_total{user="alice"}'], today["fitbit_steps_total"],
                                   places=6)
        for key in m:
            if key.startswith("fitbit_"):
                self.assertNotIn('user="bob"', key, "bob has no data")
        carol_today = self.truth("carol", self.today)
        for key, v in m.items():
            if key.startswith("fitbit_steps_total{") and 'user="carol"' in key:
                self.assertAlmostEqual(v, carol_today["fitbit_steps_total"], places=6)
        self.assertEqual(sb.stop(), 0)
        got = self.vm_by_user(vm)
        self.assertEqual(set(got) - {"alice", "carol"}, set())
        self.check_against_truth("alice", got["alice"])
        self.assertEqual(got.get("carol", {}), carol_before)
        # every account's token file is still whole; the log names each failing account
        for user in USERS:
            json.loads((sb.data_dir / "users" / user / "google_tokens.json").read_text())
        log = sb.log().splitlines()
        for user, why in (("bob", r"not linked|ACCOUNT_NOT_LINKED"),
                          ("carol", r"invalid_grant|--authorize")):
            lines = [ln for ln in log if re.search(rf"\b{user}\b", ln) and re.search(why, ln, re.I)]
            self.assertTrue(lines, f"no log line names {user} ({why}):\n" + "\n".join(log[-30:]))
        self.assertFalse([ln for ln in log if re.search(r"\balice\b", ln)
                          and re.search(r"not linked|invalid_grant", ln, re.I)],
                         "alice is blamed for another account's fault")

    def test_once_names_each_failing_account(self):
        """--once runs every account; each failing one gets a line naming it
        (msg="sync failed" user=..., as the service says it)."""
        sb = self.h.syncbit(self.env)
        self.authorize_all(sb)
        self.fake.config(expire_access_token="carol", revoke_account="carol")
        r = sb.run("--once", timeout=180)
        self.assertNotEqual(r.rc, 0, r)
        out = (r.stdout + r.stderr + sb.log()).splitlines()
        for user, why in (("bob", r"not linked|ACCOUNT_NOT_LINKED"),
                          ("carol", r"invalid_grant|--authorize")):
            lines = [ln for ln in out if re.search(rf"\b{user}\b", ln) and re.search(why, ln, re.I)]
            self.assertTrue(lines, f"--once: no line names {user} ({why}):\n" + "\n".join(out[-20:]))

    def test_authorize_user_not_in_users(self):
        sb = self.h.syncbit(self.env)
        r = sb.run("--authorize", "--user", "dave", timeout=20)
        self.assertEqual(r.rc, 2, r)
        lines = [ln for ln in (r.stdout + r.stderr).splitlines() if ln.strip()]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn("dave", lines[0])
        self.assertEqual(self.fake.get("/_test/stats")["authorizations"], 0)
        self.assertFalse((sb.data_dir / "users" / "dave").exists())
