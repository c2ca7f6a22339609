"""make demo's script: it starts, SyncBit serves data from the fake, and
SIGINT (Ctrl-C) stops everything it started; a second run works too."""

import os
import signal
import subprocess
import time

from harness import REPO, IntegrationTest, free_port, http, wait_until, syncbit_binary


class Demo(IntegrationTest):
    def run_demo(self):
        sb_port, vm_port = free_port(), free_port()
        env = {**os.environ, "SYNCBIT_BIN": str(syncbit_binary()),
               "DEMO_DIR": str(self.h.tmp / "demo"),
               "DEMO_SYNCBIT_PORT": str(sb_port), "DEMO_VM_PORT": str(vm_port)}
        p = self.h.spawn(["bash", str(REPO / "deploy" / "demo.sh")], cwd=REPO, env=env,
                         name="demo")
        wait_until(lambda: "demo is running" in p.stdout() or not p.alive(), 120, "the demo")
        self.assertTrue(p.alive(), p.tail())
        wait_until(lambda: "fitbit_steps_total{" in http(
            "GET", f"http://127.0.0.1:{sb_port}/metrics").text, 60, "steps in /metrics")
        self.assertEqual(http("GET", f"http://127.0.0.1:{vm_port}/health").status, 200)
        p.send_signal(signal.SIGINT)
        self.assertIsNotNone(p.wait(30), p.tail())
        time.sleep(0.5)
        for port in (sb_port, vm_port):
            with self.assertRaises(OSError):
                http("GET", f"http://127.0.0.1:{port}/", timeout=2)

    def test_demo_runs_twice_and_stops_cleanly(self):
        self.run_demo()
        self.run_demo()
