"""SyncBit under valgrind (memcheck): no error, no definite or indirect
leak, in every mode that runs for real:

- --once: profile, today, the recent days and a backfill of every kind of
  the legacy API (intraday too) into VictoriaMetrics;
- --authorize: the callback listener, the code exchange, the token file;
- the service: two sync cycles (SYNC_INTERVAL_MINUTES=1, the least the
  configuration allows), the access token dying in between (a refresh
  after a 401, the token file replaced), scrapes of every endpoint while
  the collector replaces the snapshot, then SIGTERM.

The history is cut to BACKFILL_START (a few weeks) so that a run stays
within the fake's rate limit and a minute or so under valgrind.
"""

import os
import re
import shutil
import subprocess
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from harness import IntegrationTest, http, parse_metrics, self_metric, wait_until

VG_ARGS = ["--error-exitcode=9", "--leak-check=full",
           "--errors-for-leak-kinds=definite,indirect", "--num-callers=30"]


def valgrind_or_skip(test, sb):
    vg = shutil.which("valgrind")
    if vg is None:
        test.skipTest("valgrind not installed (tests/deps.sh)")
    real = os.path.realpath(sb.bin)
    with open(real, "rb") as f:
        image = f.read()
    if b"__asan_init" in image or b"__tsan_init" in image:
        test.skipTest("sanitizer build: valgrind runs on the plain build")
    return vg, real


def wrap(test, sb):
    """Make every later run of sb (start, run, authorize) go through
    valgrind, one log per process in sb.dir/vg/. The log directory."""
    vg, real = valgrind_or_skip(test, sb)
    logs = sb.dir / "vg"
    logs.mkdir(exist_ok=True)
    script = sb.dir / "syncbit-under-valgrind"
    args = " ".join(VG_ARGS)
    script.write_text(f'#!/bin/sh\nexec {vg} {args} --log-file={logs}/%p.log {real} "$@"\n')
    script.chmod(0o755)
    sb.bin = script
    return logs


def check_logs(test, logs, expect):
    """Every valgrind log in logs: 0 errors, nothing definitely or
    indirectly lost; expect logs in all. Prints the new ones' numbers."""
    files = sorted(Path(logs).glob("*.log"), key=lambda f: f.stat().st_mtime)
    test.assertEqual(len(files), expect, [f.name for f in files])
    for f in files[getattr(test, "vg_checked", 0):]:
        text = f.read_text(errors="replace")
        test.assertIn("ERROR SUMMARY: 0 errors", text, text[-4000:])
        for kind in ("definitely", "indirectly"):
            m = re.search(rf"{kind} lost: ([\d,]+) bytes", text)
            test.assertTrue(m is None or m.group(1) == "0", text[-4000:])
        test.assertTrue("All heap blocks were freed" in text or "LEAK SUMMARY" in text,
                        text[-4000:])
        cmd = re.search(r"Command: \S+ ?(.*)", text)
        usage = re.search(r"total heap usage: (.*)", text)
        print(f"# valgrind {cmd.group(1) or 'service' if cmd else '?'}: 0 errors; "
              f"{usage.group(1) if usage else '?'}")
    test.vg_checked = len(files)


def history_from(days):
    return (date.today() - timedelta(days=days)).isoformat()


class Valgrind(IntegrationTest):
    def test_once_is_valgrind_clean(self):
        fake = self.h.fake_fitbit(now=time.time(), rate_limit=1000)
        vm = self.h.victoria()
        sb = self.h.syncbit(fake.env(), VICTORIA_ENDPOINT=vm.write_url,
                            BACKFILL_START=history_from(45))
        vg, real = valgrind_or_skip(self, sb)
        self.assertEqual(sb.authorize().rc, 0)
        p = subprocess.run([vg, *VG_ARGS, real, "--once"],
                           cwd=sb.dir, env=sb.env, capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertIn("ERROR SUMMARY: 0 errors", p.stderr)
        usage = re.search(r"total heap usage: (.*)", p.stderr)
        print(f"# valgrind --once: 0 errors; {usage.group(1) if usage else '?'}")
        self.assertGreaterEqual(len(vm.samples('fitbit_steps_total')), 45)

    def test_authorize_and_service_are_valgrind_clean(self):
        fake = self.h.fake_fitbit(now=time.time(), rate_limit=1000)
        vm = self.h.victoria()
        sb = self.h.syncbit(fake.env(), VICTORIA_ENDPOINT=vm.write_url,
                            SYNC_INTERVAL_MINUTES="1", BACKFILL_START=history_from(10))
        logs = wrap(self, sb)
        r = sb.authorize(timeout=60)
        self.assertEqual(r.rc, 0, r)
        check_logs(self, logs, 1)

        p = sb.start()
        sb.wait_http("/readyz", 200, timeout=90)
        m = parse_metrics(sb.get("/metrics").text)
        first = self_metric(m, "syncbit_last_sync_timestamp_seconds")
        self.assertEqual(self_metric(m, "syncbit_account_ready", reason="ok"), 1)
        refreshes = fake.stats()["refreshes"]
        fake.config(expire_access_token=True)   # the next cycle refreshes after a 401
        # scrape all along, so that snapshots are held while replaced
        stop, seen, errors = threading.Event(), [], []

        def scrape():
            while not stop.is_set():
                for path in ("/metrics", "/healthz", "/readyz", "/nope", "/metrics?x=1"):
                    try:
                        seen.append(http("GET", sb.url(path), timeout=20).status)
                    except OSError as e:
                        errors.append(repr(e))
        threads = [threading.Thread(target=scrape, daemon=True) for _ in range(2)]
        for t in threads:
            t.start()
        try:
            def second_cycle():
                m = parse_metrics(sb.get("/metrics", timeout=20).text)
                return self_metric(m, "syncbit_last_sync_timestamp_seconds") > first
            wait_until(second_cycle, 120, "the second sync cycle", interval=0.5)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        self.assertEqual(errors, [])
        self.assertIn(404, seen)
        self.assertGreater(seen.count(200), 10)
        self.assertEqual(fake.stats()["refreshes"], refreshes + 1)
        self.assertEqual(sb.stop(timeout=60), 0, p.tail())
        check_logs(self, logs, 2)
