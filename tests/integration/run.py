#!/usr/bin/env python3
"""Run the integration tests: tests/integration/test_*.py (unittest).

    python3 tests/integration/run.py [NAME_FILTER]

Prints "ok - ID" or "not ok - ID" per test (details as "# " lines),
"skip - ID # reason" for skips (not counted as passed), and ends with
"N passed, M failed"; exit 1 if any failed. NAME_FILTER keeps the tests whose
id (module.Class.test_name) contains it. Each test gets at most
INTEGRATION_TEST_TIMEOUT seconds (default 300) before it fails.
"""

import os
import signal
import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT = int(os.environ.get("INTEGRATION_TEST_TIMEOUT", "300"))


class TestTimeout(Exception):
    pass


def _alarm(signum, frame):
    raise TestTimeout(f"test took longer than {TIMEOUT}s (INTEGRATION_TEST_TIMEOUT)")


class LineResult(unittest.TestResult):
    """One line per test, decided when the test stops (subtests, cleanups)."""

    def __init__(self):
        super().__init__()
        self.passed = self.failed = self.skipped_n = 0
        self.cur = None

    def startTest(self, test):
        super().startTest(test)
        self.cur = {"state": "ok", "notes": [], "reason": ""}
        signal.alarm(TIMEOUT)

    def stopTest(self, test):
        signal.alarm(0)
        cur, self.cur = self.cur, None
        if cur["state"] == "skip":
            self.skipped_n += 1
            print(f"skip - {test.id()} # {cur['reason']}")
        elif cur["state"] == "ok":
            self.passed += 1
            print(f"ok - {test.id()}")
        else:
            self.failed += 1
            print(f"not ok - {test.id()}")
            for note in cur["notes"]:
                for line in note.rstrip().splitlines():
                    print("#   " + line)
        super().stopTest(test)

    def _fail(self, test, err, what):
        text = self._exc_info_to_string(err, test)
        h = getattr(test, "h", None)  # harness.IntegrationTest: show the processes
        if h is not None and hasattr(h, "dump"):
            try:
                text += "\nprocess output (tails):\n" + h.dump()
            except OSError:
                pass
        if self.cur is None:  # setUpClass/module fixture: no startTest
            self.failed += 1
            print(f"not ok - {test.id()}")
            for line in text.rstrip().splitlines():
                print("#   " + line)
            return
        self.cur["state"] = "fail"
        self.cur["notes"].append(f"{what}: {text}")

    def addError(self, test, err):
        super().addError(test, err)
        self._fail(test, err, "error")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._fail(test, err, "failure")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            self._fail(test, err, f"subtest {subtest._subDescription()}")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        if self.cur is None:
            self.skipped_n += 1
            print(f"skip - {test.id()} # {reason}")
        elif self.cur["state"] == "ok":
            self.cur.update(state="skip", reason=reason)

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.cur["state"] = "fail"
        self.cur["notes"].append("unexpected success")


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def main(argv):
    sys.stdout.reconfigure(line_buffering=True)
    sys.path.insert(0, str(HERE))
    name_filter = argv[1] if len(argv) > 1 else ""
    loader = unittest.TestLoader()
    found = loader.discover(str(HERE), pattern="test_*.py", top_level_dir=str(HERE))
    tests = [t for t in flatten(found) if name_filter in t.id()]
    signal.signal(signal.SIGALRM, _alarm)
    result = LineResult()
    try:
        unittest.TestSuite(tests).run(result)
    finally:
        signal.alarm(0)
    if result.skipped_n:
        print(f"# {result.skipped_n} skipped")
    print(f"{result.passed} passed, {result.failed} failed")
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
