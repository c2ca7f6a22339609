"""The real binary against the fake Fitbit API: --authorize end to end,
service mode with /metrics equal to the fake's truth, promtool on the
exposition, readiness, clean SIGTERM, and no secret in any output."""

import shutil
import subprocess
import time

from harness import IntegrationTest, parse_metrics, self_metric

# Names promtool flags for non-base units; SPEC fixes them (README lists them).
PROMTOOL_ALLOWED = {"fitbit_active_minutes", "fitbit_calories_total",
                    "fitbit_heart_rate_zone_calories", "fitbit_heart_rate_zone_minutes",
                    "fitbit_active_zone_minutes", "fitbit_hrv_rmssd_ms",
                    "fitbit_exercise_calories", "fitbit_exercise_active_zone_minutes",
                    "syncbit_backfill_days_pending"}
# SPEC's label of each labelled metric
LABEL = {"fitbit_active_minutes": "type", "fitbit_sleep_stage_seconds": "stage",
         "fitbit_spo2_percent": "stat", "fitbit_hrv_rmssd_ms": "period"}


def expected_series(truth, user):
    """The /metrics samples SPEC asks for, from the fake's truth of a day."""
    out = {}
    for name, v in truth.items():
        if not name.startswith("fitbit_"):
            continue
        if isinstance(v, dict):
            lname = LABEL.get(name, "zone")
            for lab, x in v.items():
                out[f'{name}{{{lname}="{lab}",user="{user}"}}'] = float(x)
        else:
            out[f'{name}{{user="{user}"}}'] = float(v)
    return out


class ServiceFitbit(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(now=time.time())
        self.sb = self.h.syncbit(self.fake.env(), FITBIT_USER_ID="alice",
                                 SYNC_INTERVAL_MINUTES="1")

    def test_authorize_then_metrics_equal_truth(self):
        r = self.sb.authorize()
        self.assertEqual(r.rc, 0, r)
        tok = self.sb.data_dir / "fitbit_tokens.json"
        self.assertTrue(tok.exists())
        self.assertEqual(tok.stat().st_mode & 0o777, 0o600)

        self.sb.start()
        self.sb.wait_http("/readyz", 200, timeout=30)
        m = parse_metrics(self.sb.get("/metrics").text)
        truth = self.fake.truth("today")    # the fake's clock is frozen: exact
        want = expected_series(truth, "alice")
        self.assertGreaterEqual(len(want), 10, truth)   # steps, distance, 4 types, zones...
        self.assertEqual({k: m.get(k) for k in want}, want)
        self.assertEqual(self_metric(m, "syncbit_last_sync_success", "alice"), 1)
        self.assertGreater(self_metric(m, "syncbit_last_sync_timestamp_seconds", "alice"), 0)
        self.assertGreater(self_metric(m, "syncbit_token_expiry_timestamp_seconds", "alice"),
                           time.time())
        self.assertGreaterEqual(self_metric(m, "syncbit_rate_limit_remaining", "alice"), 0)
        self.assertEqual(self_metric(m, "syncbit_account_ready", "alice", reason="ok"), 1)

        # the requests: Bearer, no Accept-Language (metric units)
        reqs = [q for q in self.fake.requests() if q["path"].startswith("/1/")]
        self.assertTrue(reqs)
        self.assertTrue(all(q["authorization"] == "Bearer" for q in reqs))
        self.assertTrue(all(not q["accept_language"] for q in reqs))

        rc = self.sb.stop(timeout=10)
        self.assertEqual(rc, 0)
        self.assert_no_secrets()

    def test_promtool_check_metrics(self):
        if shutil.which("promtool") is None:
            self.skipTest("promtool not installed")
        self.assertEqual(self.sb.authorize().rc, 0)
        self.sb.start()
        self.sb.wait_http("/readyz", 200, timeout=30)
        text = self.sb.get("/metrics").text
        p = subprocess.run(["promtool", "check", "metrics"], input=text.encode(),
                           capture_output=True, timeout=30)
        self.assertIn(p.returncode, (0, 3), p.stderr)
        flagged = {line.split()[0] for line in (p.stdout + p.stderr).decode().splitlines() if line.strip()}
        self.assertLessEqual(flagged, PROMTOOL_ALLOWED, flagged)

    def test_invalid_grant_makes_readyz_503(self):
        self.assertEqual(self.sb.authorize().rc, 0)
        self.fake.config(revoke_all=True)
        self.sb.start()
        r = self.sb.wait_http("/readyz", 503, timeout=30)
        time.sleep(0.5)
        r = self.sb.get("/readyz")
        self.assertEqual(r.status, 503)
        self.assertIn("authorize", r.text)
        self.assertEqual(self.sb.get("/healthz").status, 200)
        self.assertEqual(self.sb.stop(timeout=10), 0)
        self.assertIn("--authorize", self.sb.log())
        self.assert_no_secrets()

    def test_no_token_and_bad_config(self):
        r = self.sb.run("--once", timeout=30)
        self.assertNotEqual(r.rc, 0)
        self.assertIn("--authorize", r.stderr)
        r = self.sb.run("--once", env={"SYNC_INTERVAL_MINUTES": "abc"}, timeout=10)
        self.assertEqual(r.rc, 2)
        self.assertIn("SYNC_INTERVAL_MINUTES", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1)

    def assert_no_secrets(self):
        toks = self.fake.tokens()
        secrets = [self.fake.env()["FITBIT_CLIENT_SECRET"]] + [
            t for t in toks.get("issued", []) if isinstance(t, str) and len(t) >= 8]
        outputs = [self.sb.log()]
        for p in self.h.procs:
            outputs += [p.stdout(), p.stderr()]
        outputs.append(self.sb.get("/metrics").text if self.sb.proc and self.sb.proc.alive() else "")
        blob = "\n".join(outputs)
        for s in secrets:
            self.assertNotIn(s, blob)


class RecoveryFitbit(IntegrationTest):
    """--once cycles through the failures the real API produces."""

    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(now=time.time(), rate_window=6)
        self.sb = self.h.syncbit(self.fake.env())
        self.assertEqual(self.sb.authorize().rc, 0)
        self.tokfile = self.sb.data_dir / "fitbit_tokens.json"

    def test_expired_token_refresh_is_persisted(self):
        import json
        old = json.loads(self.tokfile.read_text())
        self.fake.config(expire_access_token=True)
        r = self.sb.run("--once", timeout=60)
        self.assertEqual(r.rc, 0, r)
        new = json.loads(self.tokfile.read_text())
        self.assertNotEqual(new["refresh_token"], old["refresh_token"])
        # the pair on disk is the one the fake holds valid (single-use rotation)
        self.assertEqual(new["refresh_token"], self.fake.tokens()["refresh_token"])
        self.assertEqual(self.tokfile.stat().st_mode & 0o777, 0o600)
        self.assertEqual(self.fake.stats()["refreshes"], 1)

    def test_429_waits_for_the_reset(self):
        self.fake.config(rate_used=150)
        t0 = time.time()
        r = self.sb.run("--once", timeout=60)
        self.assertEqual(r.rc, 0, r)
        self.assertLess(time.time() - t0, 30)
        self.assertLessEqual(self.fake.stats()["rate_limited"], 1)
        self.assertIn("rate limit reached, waiting for the reset", r.stderr)

    def test_500s_then_recovery(self):
        self.fake.config(fault={"path": "activities/date", "status": 500, "count": 2})
        r = self.sb.run("--once", timeout=60)
        self.assertEqual(r.rc, 0, r)
        codes = [q["status"] for q in self.fake.requests() if "activities/date" in q["path"]]
        self.assertEqual(codes[:3], [500, 500, 200])


class ShutdownFitbit(IntegrationTest):
    def test_sigterm_while_waiting_for_the_rate_limit_reset(self):
        fake = self.h.fake_fitbit(now=time.time())   # an hour-long window
        sb = self.h.syncbit(fake.env())
        self.assertEqual(sb.authorize().rc, 0)
        fake.config(rate_used=150)
        sb.start()
        from harness import wait_until
        wait_until(lambda: "waiting for the reset" in sb.log(), 30, "the rate-limit wait")
        t0 = time.time()
        self.assertEqual(sb.stop(timeout=5), 0)
        self.assertLess(time.time() - t0, 5)


class AuthorizeFitbit(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(now=time.time())
        self.sb = self.h.syncbit(self.fake.env())

    def test_paste_the_redirected_url(self):
        r = self.sb.authorize(paste=True)
        self.assertEqual(r.rc, 0, r)
        self.assertTrue((self.sb.data_dir / "fitbit_tokens.json").exists())

    def test_denied(self):
        self.fake.config(deny=True)
        r = self.sb.authorize()
        self.assertNotEqual(r.rc, 0)
        self.assertIn("denied", r.stderr)
        self.assertFalse((self.sb.data_dir / "fitbit_tokens.json").exists())

    def test_shut_down_legacy_api_points_to_google(self):
        self.assertEqual(self.sb.authorize().rc, 0)
        self.fake.config(shutdown=True)
        r = self.sb.run("--once", timeout=60)
        self.assertNotEqual(r.rc, 0)
        self.assertIn("SOURCE=google", r.stderr)
        self.assertEqual(r.stderr.count("SOURCE=google"), 1)
