"""Signals sent from outside to a running SyncBit (issue 11 item 7).

SIGTERM, SIGINT and SIGQUIT: a clean shutdown (exit 0, a "shutting down"
line naming the signal, "syncbit stopped"), also after any other signal.
SIGUSR1 and SIGUSR2: a log line, the service keeps serving and SIGTERM
still works. SIGHUP: DATA_DIR/syncbit.log is reopened (logrotate), no line
lost or torn. SIGPIPE: ignored. --once and --authorize end on SIGTERM."""

import re
import signal
import time

from harness import IntegrationTest, http, wait_until

LINE = re.compile(r'^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(debug|info|warn|error) msg=')


class Signals(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(now=time.time())
        self.sb = self.h.syncbit(self.fake.env(), FITBIT_USER_ID="alice",
                                 SYNC_INTERVAL_MINUTES="1")

    def serving(self):
        self.assertEqual(self.sb.authorize().rc, 0)
        p = self.sb.start()
        self.sb.wait_http("/readyz", 200, timeout=30)
        return p

    def assert_clean_exit(self, p, sig):
        rc = p.stop(timeout=10, sig=sig)
        err = p.stderr()
        self.assertEqual(rc, 0, p.tail())
        self.assertIn(f"msg=\"shutting down\" signal={sig.name}", err)
        self.assertIn("msg=\"syncbit stopped\"", err)
        self.assertNotIn("level=error", err)

    def test_sigterm_clean_exit(self):
        self.assert_clean_exit(self.serving(), signal.SIGTERM)

    def test_sigint_clean_exit(self):
        self.assert_clean_exit(self.serving(), signal.SIGINT)

    def test_sigquit_clean_exit(self):
        self.assert_clean_exit(self.serving(), signal.SIGQUIT)

    def test_sigusr_ignored_then_sigterm_still_works(self):
        p = self.serving()
        seen = {}
        for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGUSR1, signal.SIGPIPE):
            p.send_signal(sig)
            if sig != signal.SIGPIPE:
                seen[sig] = seen.get(sig, 0) + 1
                want = f'msg="signal ignored" signal={sig.name}'
                wait_until(lambda: p.stderr().count(want) == seen[sig], 5,
                           f"the {sig.name} log line")
            self.assertTrue(p.alive(), p.tail())
            self.assertEqual(self.sb.get("/healthz").status, 200)
        self.assertEqual(p.stderr().count('msg="signal ignored"'), 3, p.tail())
        self.assert_clean_exit(p, signal.SIGTERM)

    def test_sighup_reopens_log(self):
        p = self.serving()
        log = self.sb.data_dir / "syncbit.log"
        for i in range(1, 4):   # logrotate's "create": move away, then HUP
            rotated = self.sb.data_dir / f"syncbit.log.{i}"
            log.rename(rotated)
            self.assertFalse(log.exists())
            p.send_signal(signal.SIGHUP)
            wait_until(lambda: log.exists() and 'msg="log file reopened"' in log.read_text(),
                       5, "the reopened log file")
            self.assertTrue(p.alive(), p.tail())
            self.assertEqual(self.sb.get("/healthz").status, 200)
            # the moved file ends with the last line written before the HUP
            self.assertTrue(rotated.read_text().endswith("\n"))
        self.assert_clean_exit(p, signal.SIGTERM)
        # --authorize's lines, then every line of the service, each whole
        files = "".join((self.sb.data_dir / f"syncbit.log.{i}").read_text()
                        for i in range(1, 4)) + log.read_text()
        err = p.stderr()
        self.assertGreater(err.count("\n"), 5)
        self.assertTrue(files.endswith(err), "lines lost or torn by the rotation")
        for ln in files.splitlines():
            self.assertRegex(ln, LINE)
        new = log.read_text().splitlines()
        self.assertIn('msg="log file reopened"', new[0])
        self.assertIn('msg="syncbit stopped"', new[-1])

    def test_sigterm_during_once(self):
        # --once against an API that answers slowly: SIGTERM ends it soon
        self.assertEqual(self.sb.authorize().rc, 0)
        self.fake.config(latency_ms=400)
        p = self.sb.start("--once")
        wait_until(lambda: len(self.fake.requests()) > 3 or not p.alive(), 20,
                   "--once at work")
        self.assertTrue(p.alive(), p.tail())
        p.send_signal(signal.SIGUSR1)
        p.send_signal(signal.SIGHUP)
        t0 = time.monotonic()
        rc = p.stop(timeout=10, sig=signal.SIGTERM)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertIn("msg=\"shutting down\" signal=SIGTERM", p.stderr())
        self.assertIsNotNone(rc)

    def test_sigterm_during_authorize(self):
        p = self.sb.start("--authorize", stdin=True)
        wait_until(lambda: "client_id=" in p.stdout() or not p.alive(), 20,
                   "the authorization URL")
        self.assertTrue(p.alive(), p.tail())
        p.send_signal(signal.SIGUSR2)
        t0 = time.monotonic()
        rc = p.stop(timeout=10, sig=signal.SIGTERM)
        self.assertLess(time.monotonic() - t0, 5)
        self.assertIn("msg=\"shutting down\" signal=SIGTERM", p.stderr())
        self.assertNotEqual(rc, 0)      # not authorized: not a success
        self.assertFalse((self.sb.data_dir / "fitbit_tokens.json").exists())


if __name__ == "__main__":
    import unittest
    unittest.main()
