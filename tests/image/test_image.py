"""The built image (`make image`) run with podman: as uid 10001, with
--read-only --cap-drop ALL --security-opt no-new-privileges (and no tmpfs),
`--authorize --listen-all` and the service against the fake Fitbit API and a
real VictoriaMetrics (--network host: both listen on 127.0.0.1), history
read back from VictoriaMetrics; a bridge run with -p 127.0.0.1:PORT:9877 for
the probes: /healthz 200, /readyz 503 without a token, the image's
HEALTHCHECK healthy through `podman healthcheck run` (no systemd here, so no
timers: --health-interval=disable). Every container is named
syncbit-it-PID-N and removed by name at the end of its test."""

import json
import os
import subprocess
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from harness import IntegrationTest, SyncBit, free_port, http, wait_until
from test_backfill_vm import day_end_ms

REPO = Path(__file__).resolve().parents[2]
PODMAN = str(REPO / "tests" / "image" / "podman")
IMAGE = os.environ.get("IMAGE", "localhost/syncbit:0.1.0")
UID = 10001
HARDENED = ["--read-only", "--read-only-tmpfs=false", "--cap-drop", "ALL",
            "--security-opt", "no-new-privileges", "--health-interval=disable"]
ZONE = "America/New_York"
DAYS = 10


def podman(*args, timeout=60):
    return subprocess.run([PODMAN, *args], capture_output=True, text=True, timeout=timeout)


class Containers:
    """Names of the containers one test starts; all removed at cleanup."""

    def __init__(self, test):
        self.names = []
        test.addCleanup(self.remove_all)

    def new(self):
        name = f"syncbit-it-{os.getpid()}-{len(self.names) + 1}"
        self.names.append(name)
        return name

    def remove_all(self):
        for name in reversed(self.names):
            podman("rm", "--force", "--time", "2", name)


class ImageSyncBit(SyncBit):
    """harness.SyncBit with each run in a container of IMAGE: the same
    environment (through --env-file) with DATA_DIR=/app/data, the data
    directory bind-mounted there and owned by uid 10001."""

    def __init__(self, h, env, name, containers, network):
        super().__init__(h, env, name)
        os.chown(self.data_dir, UID, UID)
        self.data_dir.chmod(0o700)
        self.containers, self.network = containers, network
        self.container = None

    @staticmethod
    def binary():
        return IMAGE

    def command(self, args, env=None, stdin=False):
        cenv = {k: v for k, v in {**self.env, **(env or {})}.items()
                if k not in ("PATH", "HOME", "TMPDIR")}
        cenv["DATA_DIR"] = "/app/data"
        self.container = self.containers.new()
        env_file = self.dir / f"{self.container}.env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in cenv.items()))
        env_file.chmod(0o600)
        argv = [PODMAN, "run", "--rm", "--name", self.container, *(["-i"] if stdin else []),
                *HARDENED, *self.network, "--env-file", str(env_file),
                "-v", f"{self.data_dir}:/app/data", self.bin, *args]
        return argv, {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                      "IMAGE_BUILD": os.environ.get("IMAGE_BUILD", str(REPO / "build" / "image"))}


class ImageTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        r = podman("image", "exists", IMAGE)
        self.assertEqual(r.returncode, 0, f"{IMAGE} not built (make image): {r.stderr}")
        self.containers = Containers(self)

    def inspect(self, name, fmt):
        r = podman("inspect", "--format", fmt, name)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.strip()

    def assert_hardened(self, name):
        """uid 10001, no capability, no_new_privs, nothing writable but /app/data."""
        r = podman("exec", name, "cat", "/proc/1/status")
        self.assertEqual(r.returncode, 0, r.stderr)
        status = dict(line.split(":", 1) for line in r.stdout.splitlines() if ":" in line)
        self.assertEqual(status["Uid"].split(), [str(UID)] * 4)
        self.assertEqual(status["Gid"].split(), [str(UID)] * 4)
        for cap in ("CapEff", "CapPrm", "CapBnd"):
            self.assertEqual(int(status[cap], 16), 0, cap)
        self.assertEqual(status["NoNewPrivs"].strip(), "1")
        for path in ("/app/x", "/tmp/x", "/usr/local/bin/x"):
            r = podman("exec", name, "sh", "-c", f": > {path}")
            self.assertNotEqual(r.returncode, 0, f"{path} writable")
            self.assertIn("Read-only file system", r.stderr, path)
        r = podman("exec", name, "sh", "-c", ": > /app/data/probe && rm /app/data/probe")
        self.assertEqual(r.returncode, 0, f"/app/data not writable: {r.stderr}")

    def assert_healthy(self, name):
        r = podman("healthcheck", "run", name)
        self.assertEqual(r.returncode, 0, f"healthcheck: {r.stdout} {r.stderr}")
        self.assertEqual(self.inspect(name, "{{.State.Health.Status}}"), "healthy")


class Probes(ImageTest):
    """The bridge network, port 9877 published on 127.0.0.1, no token."""

    def test_probes_without_token(self):
        self.assertEqual(podman("image", "inspect", "--format", "{{.User}}", IMAGE).stdout.strip(),
                         f"{UID}:{UID}")
        data = self.h.tmp / "data"
        data.mkdir()
        os.chown(data, UID, UID)
        env_file = self.h.tmp / "probe.env"
        env_file.write_text("SOURCE=fitbit\nFITBIT_CLIENT_ID=23ABCD\n"
                            "FITBIT_CLIENT_SECRET=0123456789abcdef0123456789abcdef\n")
        port = free_port()
        name = self.containers.new()
        r = podman("run", "--detach", "--name", name, *HARDENED,
                   "-p", f"127.0.0.1:{port}:9877", "--env-file", str(env_file),
                   "-v", f"{data}:/app/data", IMAGE)
        self.assertEqual(r.returncode, 0, r.stderr)
        url = f"http://127.0.0.1:{port}"

        def healthz():
            if self.inspect(name, "{{.State.Running}}") != "true":
                raise AssertionError("container exited:\n" + podman("logs", name).stderr)
            return http("GET", url + "/healthz", timeout=2).status == 200
        wait_until(healthz, 30, "/healthz 200 through the published port", interval=0.3)
        r = http("GET", url + "/readyz")
        self.assertEqual(r.status, 503, r.text)
        self.assertIn("authoriz", r.text.lower())
        self.assert_healthy(name)
        self.assert_hardened(name)
        self.assertEqual(http("GET", url + "/metrics").status, 200)


class EndToEnd(ImageTest):
    """--network host: the fake and VictoriaMetrics on 127.0.0.1."""

    def test_authorize_service_history(self):
        today = datetime.now(ZoneInfo(ZONE)).date()
        # a rate limit that leaves the backfill room within the hour
        fake = self.h.fake_fitbit(now=time.time(), timezone=ZONE, rate_limit=5000,
                                  member_since=(today - timedelta(days=DAYS)).isoformat())
        vm = self.h.victoria()
        sb = ImageSyncBit(self.h, {**fake.env(), "VICTORIA_ENDPOINT": vm.write_url,
                                   "FITBIT_USER_ID": "alice", "SYNC_INTERVAL_MINUTES": "1",
                                   "COLLECT": "activity,heart"},
                          "syncbit", self.containers, ["--network", "host"])
        r = sb.authorize(timeout=60, extra=("--listen-all",))
        self.assertEqual(r.rc, 0, r)
        self.assertIn("all interfaces", r.stdout + r.stderr)   # --listen-all's warning
        tok = sb.data_dir / "fitbit_tokens.json"
        st = tok.stat()
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (UID, 0o600))
        self.assertIsInstance(json.loads(tok.read_text()), dict)

        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)
        self.assert_healthy(sb.container)
        self.assert_hardened(sb.container)

        def history():
            got = {ts: v for _, _, ts, v in vm.samples('fitbit_steps_total{user="alice"}')}
            days = [today - timedelta(days=n) for n in range(1, DAYS)]
            return got if all(day_end_ms(d, ZONE) in got for d in days) else None
        got = wait_until(history, 60, "the past days' steps in VictoriaMetrics", interval=1)
        for n in range(1, DAYS):
            d = today - timedelta(days=n)
            self.assertEqual(got[day_end_ms(d, ZONE)], fake.truth(d)["fitbit_steps_total"], str(d))
        q = vm.query('count_over_time(fitbit_steps_total{user="alice"}[30d])')
        self.assertGreaterEqual(float(q[0]["value"][1]), DAYS - 1, q)
        self.assertEqual(sb.stop(timeout=20), 0)   # SIGTERM through podman: a clean exit
