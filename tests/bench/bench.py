"""make bench: numbers, not pass/fail. Prints one table.

- Fitbit requests and wall time of a 3-year daily backfill against the fake
  Fitbit API into a real VictoriaMetrics (goal: at most 15 requests);
- remote-write encode+compress throughput and plain snappy on the same bytes
  (build/bench_rw).
"""

import os
import re
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness  # noqa: E402

BUILD = os.environ.get("BUILD", "build")


def backfill_3y():
    h = harness.Harness()
    try:
        since = date.today() - timedelta(days=3 * 365)
        fake = h.fake_fitbit(now=time.time(), member_since=since.isoformat())
        vm = h.victoria()
        sb = h.syncbit(fake.env(), VICTORIA_ENDPOINT=vm.write_url)
        assert sb.authorize().rc == 0
        before = fake.stats()["api_requests"]
        t0 = time.monotonic()
        r = sb.run("--once", timeout=600)
        wall = time.monotonic() - t0
        assert r.rc == 0, r
        used = fake.stats()["api_requests"] - before
        ranges = sum(1 for q in fake.requests()
                     if q["path"].startswith("/1/") and
                     len(re.findall(r"\d{4}-\d{2}-\d{2}", q["path"])) == 2)
        days = len(vm.samples('fitbit_steps_total'))
        return used, ranges, wall, days
    finally:
        h.close()


def main():
    rows = []
    used, ranges, wall, days = backfill_3y()
    rows.append(("fitbit 3-year daily backfill: history range requests (goal <= 15)", f"{ranges}"))
    rows.append(("fitbit 3-year --once: all API requests (+profile, today, 3 recent days)", f"{used}"))
    rows.append(("fitbit 3-year daily backfill: wall time", f"{wall:.2f} s"))
    rows.append(("fitbit 3-year daily backfill: days in VictoriaMetrics", f"{days}"))
    out = subprocess.run([f"{BUILD}/bench_rw"], capture_output=True, text=True, timeout=120)
    for line in out.stdout.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            rows.append((k.strip(), v.strip()))
    width = max(len(k) for k, _ in rows)
    print(f"{'measure':<{width}}  value")
    for k, v in rows:
        print(f"{k:<{width}}  {v}")


if __name__ == "__main__":
    main()
