"""docker-compose.yml run as shipped under podman's Docker-compatible service
(`podman system service` on a unix socket in the test's temp dir,
DOCKER_HOST pointing at it), driven by Debian's docker-compose (v1, the
Docker API through DOCKER_HOST).

The shipped file is used unchanged; an override in the temp dir only swaps
images and adds the fake:
- victoria-metrics and vmagent: VM_IMAGE (tests/image/victoria-metrics/, on
  Debian's victoria-metrics package; no registry is reachable), with the
  shipped flags; vmagent's entrypoint names its binary;
- syncbit: IMAGE (`make image`), not built by compose (`up --no-build`);
- fake-fitbit: tests/fakes/fake_fitbit.py in FAKES_IMAGE (tests/image/fakes/),
  on the stack's own network as `fake-fitbit:8000` (SyncBit's container cannot
  reach the host's 127.0.0.1), published on the host's 127.0.0.1 for the
  test's control calls and the browser's part of --authorize.
Grafana is left out by naming the services (`up syncbit victoria-metrics
vmagent`). The project directory is the temp dir: .env (the fake's client
and URLs, nothing else), ./data (uid 10001) and ./deploy/vmagent-scrape.yaml,
a copy of the shipped one with a 5 s scrape interval instead of 60 s (vmagent
delays a target's first scrape by up to one interval). The published ports
are the shipped ones: 127.0.0.1:9877 and 127.0.0.1:8428 must be free.

The token comes the README's way, `docker-compose run -p ... syncbit
--authorize --listen-all` (detached: see authorize()); VICTORIA_ENDPOINT is
the compose file's default (remote write to victoria-metrics:8428). Checks: vmagent scrapes SyncBit (`up{job="syncbit"}
== 1` from VictoriaMetrics' /api/v1/query), VictoriaMetrics holds SyncBit's
remote-written history (the fake's steps of the past days) and vmagent's
scraped fitbit_* samples (job="syncbit"). At the end `docker-compose down
--volumes`, then the podman service is stopped by PID. Each step's time is
printed ("# stack: ...")."""

import json
import os
import re
import secrets
import shutil
import socket
import time
import urllib.parse
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from harness import FakeFitbit, free_port, http, wait_until
from test_backfill_vm import day_end_ms
from test_image import IMAGE, PODMAN, REPO, UID, ImageTest, podman

VM_IMAGE = os.environ.get("VM_IMAGE", "localhost/syncbit-test-vm:bookworm")
FAKES_IMAGE = os.environ.get("FAKES_IMAGE", "localhost/syncbit-test-fakes:bookworm")
COMPOSE_FILE = REPO / "docker-compose.yml"
SCRAPE_FILE = REPO / "deploy" / "vmagent-scrape.yaml"
ZONE = "America/New_York"
DAYS = 5
USER = "alice"
FAKE = "http://fake-fitbit:8000"    # the fake, seen from the stack's network
VM_URL = "http://127.0.0.1:8428"    # the shipped published ports
SYNCBIT_URL = "http://127.0.0.1:9877"


class ComposeFake(FakeFitbit):
    """A fake_fitbit.py running as the stack's fake-fitbit service: the
    control API (truth, config) through its published port; its client
    chosen here (.env must exist before compose reads the project)."""

    def __init__(self, port):    # no process of ours: compose runs it
        self.port, self.url = port, f"http://127.0.0.1:{port}"
        self.client_id, self.client_secret = "23SBST", secrets.token_hex(16)

    def wait(self):
        cfg = wait_until(lambda: self.get("/_test/config"), 60, "fake-fitbit's port", interval=0.5)
        assert (cfg["client_id"], cfg["client_secret"]) == (self.client_id, self.client_secret), cfg


def port_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


class Stack(ImageTest):
    def setUp(self):
        super().setUp()
        self.exe = shutil.which("docker-compose")
        self.assertIsNotNone(self.exe, "docker-compose not installed (make image-deps)")
        for image in (VM_IMAGE, FAKES_IMAGE):
            r = podman("image", "exists", image)
            self.assertEqual(r.returncode, 0, f"{image} not built (make image-test builds it)")
        for port in (8428, 9877):
            self.assertTrue(port_free(port), f"127.0.0.1:{port} is in use: the compose test "
                                             "publishes the shipped ports")
        self.dir = self.h.tmp / "project"
        self.dir.mkdir()
        self.mark = time.monotonic()

    def step(self, what):
        """Print the time since the last step."""
        now = time.monotonic()
        print(f"# stack: {what}: {now - self.mark:.1f} s")
        self.mark = now

    def start_service(self):
        """podman system service on a socket in the temp dir, stopped by PID
        (after `docker-compose down`: cleanups run last first)."""
        sock = self.h.tmp / "podman.sock"
        conf_dir = Path(os.environ.get("IMAGE_BUILD", REPO / "build" / "image")).resolve()
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "IMAGE_BUILD": str(conf_dir)}
        svc = self.h.spawn([PODMAN, "system", "service", "--time=0", f"unix://{sock}"],
                           "podman-service", env=env)
        self.addCleanup(lambda: svc.stop(30))

        def listening():
            if not svc.alive():
                raise AssertionError(f"podman system service exited:\n{svc.tail()}")
            return sock.exists()
        wait_until(listening, 20, "the podman service's socket", interval=0.1)
        self.cenv = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.h.tmp),
                     "DOCKER_HOST": f"unix://{sock}"}

    def compose(self, *args, timeout=120):
        """docker-compose ARGS on the shipped file + the override, bounded."""
        p = self.h.spawn(self.argv(*args), "docker-compose", cwd=self.dir, env=self.cenv)
        rc = p.wait(timeout)
        if rc is None:
            p.kill()
            raise AssertionError(f"docker-compose {' '.join(args)} still running after "
                                 f"{timeout}s:\n{p.tail()}")
        return rc, p.stdout() + p.stderr()

    def argv(self, *args):
        return [self.exe, "--ansi", "never", "-p", f"syncbit-stack-{os.getpid()}",
                "--project-directory", str(self.dir), "-f", str(COMPOSE_FILE),
                "-f", str(self.dir / "override.json"), *args]

    def write_project(self, fake, callback_port, today):
        scrape = SCRAPE_FILE.read_text()
        self.assertIn("scrape_interval: 60s", scrape)
        (self.dir / "deploy").mkdir()
        (self.dir / "deploy" / "vmagent-scrape.yaml").write_text(
            scrape.replace("scrape_interval: 60s", "scrape_interval: 5s"))
        data = self.dir / "data"
        data.mkdir()
        os.chown(data, UID, UID)
        data.chmod(0o700)
        # a rate limit that leaves the backfill room within the hour
        command = ["/fakes/fake_fitbit.py", "--bind", "0.0.0.0", "--port", "8000",
                   "--client-id", fake.client_id, "--client-secret", fake.client_secret,
                   "--timezone", ZONE, "--rate-limit", "5000", "--now", str(int(time.time())),
                   "--member-since", (today - timedelta(days=DAYS)).isoformat()]
        override = {"services": {
            "syncbit": {"image": IMAGE},
            "victoria-metrics": {"image": VM_IMAGE},
            "vmagent": {"image": VM_IMAGE, "entrypoint": ["/usr/bin/vmagent"]},
            "fake-fitbit": {"image": FAKES_IMAGE, "command": command,
                            "volumes": [f"{REPO / 'tests' / 'fakes'}:/fakes:ro"],
                            "ports": [f"127.0.0.1:{fake.port}:8000"]}}}
        (self.dir / "override.json").write_text(json.dumps(override, indent=1))
        self.callback_port = callback_port
        self.write_env(fake)

    def write_env(self, fake):
        env = {"SOURCE": "fitbit", "FITBIT_CLIENT_ID": fake.client_id,
               "FITBIT_CLIENT_SECRET": fake.client_secret, "FITBIT_API_URL": FAKE,
               "FITBIT_AUTH_URL": FAKE + "/oauth2/authorize",
               "FITBIT_TOKEN_URL": FAKE + "/oauth2/token",
               "FITBIT_REDIRECT_URI": f"http://localhost:{self.callback_port}/callback",
               "FITBIT_USER_ID": USER, "SYNC_INTERVAL_MINUTES": "1",
               "COLLECT": "activity,heart"}
        p = self.dir / ".env"
        p.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        p.chmod(0o600)

    def authorize(self, fake):
        """README: `docker compose run --rm -p 8080:8080 syncbit --authorize
        --listen-all`, with the callback port of FITBIT_REDIRECT_URI; the
        test plays the browser (the fake auto-approves). Detached (`run -d`,
        read through `podman logs` and `podman wait`): an attached `run`
        never returns under podman 4.3's compat API, not even for echo."""
        cb = self.callback_port
        rc, out = self.compose("run", "-d", "--no-deps", "-p", f"127.0.0.1:{cb}:{cb}",
                               "syncbit", "--authorize", "--listen-all")
        self.assertEqual(rc, 0, out)
        name = out.split()[0]   # stdout first: the container's name
        self.assertIn("_syncbit_run_", name, out)
        pat = re.compile(r"^(https?://\S*client_id=\S+)\s*$", re.M)

        def auth_url():
            r = podman("logs", name)
            if self.inspect(name, "{{.State.Running}}") != "true":
                raise AssertionError(f"--authorize exited early:\n{r.stdout}{r.stderr}")
            m = pat.search(r.stdout)
            return m.group(1) if m else None
        url = wait_until(auth_url, 60, "the authorization URL in the container's output",
                         interval=0.3)
        self.assertTrue(url.startswith(FAKE + "/oauth2/authorize?"), url)
        r = http("GET", fake.url + url[len(FAKE):], follow=False)
        self.assertEqual(r.status, 302, r.text)
        location = r.header("Location")
        prefix = f"http://localhost:{cb}/callback?"
        self.assertTrue(location.startswith(prefix), location)
        wait_until(lambda: http("GET", f"http://127.0.0.1:{cb}/callback?" + location[len(prefix):],
                                timeout=5), 30, "the callback listener", interval=0.3)
        r = podman("wait", name, timeout=60)
        logs = podman("logs", name)
        self.assertEqual((r.returncode, r.stdout.strip()), (0, "0"), logs.stdout + logs.stderr)
        self.assertIn("all interfaces", logs.stdout + logs.stderr)   # --listen-all's warning
        tok = self.dir / "data" / "fitbit_tokens.json"
        st = tok.stat()
        self.assertEqual((st.st_uid, st.st_mode & 0o777), (UID, 0o600))
        self.assertIsInstance(json.loads(tok.read_text()), dict)

    def query(self, q):
        r = http("GET", VM_URL + "/api/v1/query?" + urllib.parse.urlencode({"query": q, "nocache": "1"}))
        self.assertEqual(r.status, 200, r.text)
        return r.json()["data"]["result"]

    def test_compose_stack(self):
        today = datetime.now(ZoneInfo(ZONE)).date()
        fake = ComposeFake(free_port())
        self.write_project(fake, free_port(), today)
        self.start_service()
        self.addCleanup(self.down)
        self.step("podman system service")
        rc, out = self.compose("up", "-d", "--no-build", "fake-fitbit")
        self.assertEqual(rc, 0, out)
        fake.wait()
        self.step("fake-fitbit up")
        self.authorize(fake)
        self.step("docker-compose run syncbit --authorize --listen-all")
        rc, out = self.compose("up", "-d", "--no-build", "syncbit", "victoria-metrics", "vmagent")
        self.assertEqual(rc, 0, out)
        rc, out = self.compose("ps")
        self.assertEqual(rc, 0, out)
        self.assertNotIn("grafana", out)
        wait_until(lambda: http("GET", VM_URL + "/health", timeout=2).status == 200, 60,
                   "VictoriaMetrics /health through 127.0.0.1:8428", interval=0.5)
        wait_until(lambda: http("GET", SYNCBIT_URL + "/readyz", timeout=2).status == 200, 90,
                   "SyncBit /readyz 200 through 127.0.0.1:9877", interval=0.5)
        self.step("up syncbit victoria-metrics vmagent (until /readyz 200)")

        def scraped():
            res = self.query('up{job="syncbit"} == 1')
            return res if res else None
        up = wait_until(scraped, 60, 'up{job="syncbit"} == 1 in VictoriaMetrics', interval=1)
        self.assertEqual(up[0]["metric"].get("instance"), "syncbit:9877", up)

        def history():
            http("GET", VM_URL + "/internal/force_flush")
            got = {}
            for s in self.export(f'fitbit_steps_total{{user="{USER}",job=""}}'):
                got.update(zip(s["timestamps"], s["values"]))
            days = [today - timedelta(days=n) for n in range(1, DAYS)]
            return got if all(day_end_ms(d, ZONE) in got for d in days) else None
        got = wait_until(history, 90, "the past days' steps remote-written to VictoriaMetrics",
                         interval=1)
        for n in range(1, DAYS):
            d = today - timedelta(days=n)
            self.assertEqual(got[day_end_ms(d, ZONE)], fake.truth(d)["fitbit_steps_total"], str(d))
        res = wait_until(lambda: self.query('count({__name__=~"fitbit_.+", job="syncbit"})'),
                         30, "scraped fitbit_* series in VictoriaMetrics", interval=1)
        self.assertGreater(float(res[0]["value"][1]), 0, res)
        self.step("checks (up{job=\"syncbit\"}, history, scraped series)")

    def export(self, match):
        r = http("POST", VM_URL + "/api/v1/export", urllib.parse.urlencode({"match[]": match}),
                 {"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
        self.assertEqual(r.status, 200, r.text)
        return [json.loads(line) for line in r.text.splitlines() if line.strip()]

    def down(self):
        # the services' last lines, for the failure report's process tails
        self.compose("logs", "--no-color", "--tail", "10")
        self.mark = time.monotonic()
        rc, out = self.compose("down", "--volumes", "--remove-orphans", timeout=120)
        self.step("down --volumes")
        self.assertEqual(rc, 0, out)
