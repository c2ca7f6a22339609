#!/usr/bin/env python3
"""Run the container image's tests: tests/image/test_*.py (unittest), with the
line format of tests/integration/run.py ("ok - ID", "not ok - ID", ending
with "N passed, M failed"; exit 1 if any failed), their time in a comment
line ("# time: image tests: N s") just before the summary.

    IMAGE=localhost/syncbit:0.1.0 python3 tests/image/run.py [NAME_FILTER]

`make image-test` builds the images first and runs this. The tests use
tests/image/podman (runc, ulimits, netavark) and remove every container
they started (test_stack: `docker-compose down --volumes` for its project,
then its podman service stopped by PID); nothing else is touched.
"""

import signal
import sys
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "integration"))
import run as integration  # noqa: E402  tests/integration/run.py


def main(argv):
    sys.stdout.reconfigure(line_buffering=True)
    sys.path.insert(0, str(HERE))
    name_filter = argv[1] if len(argv) > 1 else ""
    found = unittest.TestLoader().discover(str(HERE), pattern="test_*.py",
                                           top_level_dir=str(HERE))
    tests = [t for t in integration.flatten(found) if name_filter in t.id()]
    start = time.monotonic()
    signal.signal(signal.SIGALRM, integration._alarm)
    result = integration.LineResult()
    try:
        unittest.TestSuite(tests).run(result)
    finally:
        signal.alarm(0)
    if result.skipped_n:
        print(f"# {result.skipped_n} skipped")
    print(f"# time: image tests: {time.monotonic() - start:.1f} s")
    print(f"{result.passed} passed, {result.failed} failed")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
