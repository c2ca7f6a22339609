"""The Makefile's dependency tracking, on a copy of the tree (the checkout's
own build/ is never touched): a header in any folder rebuilds exactly the
objects that include it (-MMD), other compiler flags rebuild everything,
and the protoc-c rule is one grouped target. Each check runs make for real
and reads back which objects it wrote (`make -n` cannot tell: the flags
stamp is a FORCE target, which a dry run takes as changed). Python 3
standard library."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COPY = ("Makefile", "exporter", "proto", "tests/unit", "tests/t.h")


def compiled(output):
    """The .c files a make run compiled, from its command lines."""
    return sorted(set(re.findall(r"-c -o \S+ (\S+\.c)", output)))


OUTER_MAKE = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "BUILD", "SAN", "CFLAGS")


class Build(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="syncbit-build-")
        for name in COPY:
            src, dst = REPO / name, Path(cls.tmp) / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                shutil.copy2(src, dst)
        cls.make("-j2", "build/syncbit", "build/unit_tests")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def make(cls, *args):
        # the copy's own build: not the configuration of a make that runs
        # the tests (`make asan` passes BUILD=build/asan SAN=... down)
        env = {k: v for k, v in os.environ.items() if k not in OUTER_MAKE}
        r = subprocess.run(["make", "-C", cls.tmp, *args], capture_output=True,
                           text=True, timeout=600, env=env)
        if r.returncode != 0:
            raise AssertionError(f"make {' '.join(args)}: {r.stderr[-2000:]}")
        return r.stdout

    def touch(self, rel):
        """Newer than every object built so far (and not in the future)."""
        time.sleep(0.05)
        os.utime(Path(self.tmp) / rel)

    def includes(self, path):
        """The files path #includes, resolved as the compiler does: its
        own folder first, then exporter/ (-Iexporter)."""
        out = set()
        for name in re.findall(r'#include "([^"]+)"', path.read_text()):
            for base in (path.parent, Path(self.tmp) / "exporter"):
                if (base / name).is_file():
                    out.add((base / name).resolve())
                    break
        return out

    def users_of(self, header):
        """Every .c that includes header, directly or through headers."""
        target = (Path(self.tmp) / "exporter" / header).resolve()
        memo = {}

        def reaches(path):
            if path not in memo:
                memo[path] = False
                memo[path] = any(h == target or reaches(h)
                                 for h in self.includes(path))
            return memo[path]
        return [str(c.relative_to(self.tmp))
                for c in Path(self.tmp).glob("**/*.c")
                if "build" not in c.parts and reaches(c.resolve())]

    def test_header_in_a_folder_rebuilds_its_users(self):
        self.touch("exporter/sync/schedule.h")
        got = compiled(self.make("build/syncbit", "build/unit_tests"))
        want = self.users_of("sync/schedule.h")
        self.assertIn("exporter/sync/schedule.c", got)
        self.assertIn("exporter/sync/collector.c", got)
        self.assertEqual(got, sorted(want))
        self.assertEqual(compiled(self.make("build/syncbit")), [])

    def test_other_flags_rebuild_everything(self):
        got = compiled(self.make("-j2", "CFLAGS=-O1 -g", "build/syncbit"))
        every = sorted(str(p.relative_to(self.tmp))
                       for p in Path(self.tmp).glob("exporter/**/*.c"))
        self.assertEqual(got, sorted(every + ["build/gen/remote.pb-c.c"]))
        self.assertEqual(compiled(self.make("CFLAGS=-O1 -g", "build/syncbit")),
                         [])
        self.make("-j2", "build/syncbit")       # back to the default flags

    def test_protoc_is_one_grouped_target(self):
        rules = (Path(self.tmp) / "Makefile").read_text()
        self.assertRegex(rules, r"remote\.pb-c\.c \$\(BUILD\)/gen/remote\.pb-c\.h &:")
        shutil.rmtree(Path(self.tmp) / "build" / "gen")
        out = self.make("-j2", "build/syncbit")
        self.assertEqual(out.count("protoc-c "), 1)


if __name__ == "__main__":
    unittest.main()
