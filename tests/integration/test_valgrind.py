"""A full --once cycle (profile, today, recent days, a 2-year backfill into
VictoriaMetrics) under valgrind: no error, no leak."""

import os
import shutil
import subprocess
import time

from harness import IntegrationTest


class Valgrind(IntegrationTest):
    def test_once_is_valgrind_clean(self):
        vg = shutil.which("valgrind")
        if vg is None:
            self.skipTest("valgrind not installed (tests/deps.sh)")
        fake = self.h.fake_fitbit(now=time.time())
        vm = self.h.victoria()
        sb = self.h.syncbit(fake.env(), VICTORIA_ENDPOINT=vm.write_url)
        self.assertEqual(sb.authorize().rc, 0)
        if "asan" in os.path.realpath(sb.bin) or "tsan" in os.path.realpath(sb.bin):
            self.skipTest("sanitizer build: valgrind runs on the plain build")
        p = subprocess.run([vg, "--error-exitcode=9", "--leak-check=full",
                            "--errors-for-leak-kinds=definite,indirect",
                            os.path.realpath(sb.bin), "--once"],
                           cwd=sb.dir, env=sb.env, capture_output=True, text=True, timeout=600)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        self.assertIn("ERROR SUMMARY: 0 errors", p.stderr)
        self.assertGreater(len(vm.samples('fitbit_steps_total')), 300)
