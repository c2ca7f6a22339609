"""Helpers for SyncBit's integration tests (Python 3 standard library only).

    class T(harness.IntegrationTest):
        def test_x(self):
            fake = self.h.fake_fitbit(now=time.time())      # fake Fitbit API
            vm = self.h.victoria()                          # victoria-metrics
            sb = self.h.syncbit(fake.env(), VICTORIA_ENDPOINT=vm.write_url)
            sb.authorize()                                  # --authorize via the fake
            r = sb.run("--once")                            # bounded, captured
            p = sb.start(); sb.wait_http("/readyz"); sb.stop()

Every process is started in its own session, tracked, and killed at teardown
(and at exit); nothing else is ever signalled. Every wait is bounded.
SyncBit runs with a minimal environment (no inherited FITBIT_*, TZ set to
HARNESS_TZ, default Asia/Kolkata, so a use of the machine's zone shows), with
cwd = a temp dir (no stray .env) and DATA_DIR inside it.
"""

import atexit
import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FAKES = REPO / "tests" / "fakes"
PYTHON = sys.executable
MACHINE_TZ = os.environ.get("HARNESS_TZ", "Asia/Kolkata")
_LIVE = []  # every Proc not yet reaped, for the atexit sweep
_SANITIZER = re.compile(r"WARNING: ThreadSanitizer:|ERROR: (Address|Leak)Sanitizer:|: runtime error: ")


def free_port():
    """A port free on 127.0.0.1 right now (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, what="condition", interval=0.05):
    """Poll pred() until it returns a true value (returned) or timeout (error)."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except (OSError, ValueError) as e:
            last_exc = e
        if time.monotonic() >= deadline:
            extra = f" (last error: {last_exc})" if last_exc else ""
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}{extra}")
        time.sleep(interval)


def parse_metrics(text):
    """Prometheus text -> {'name{labels}': value} (samples only)."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        name_labels, value = line.rsplit(" ", 1)
        out[name_labels] = float(value)
    return out


_ABSENT = object()


def self_metric(m, name, user="default", default=_ABSENT, **labels):
    """The value of the account-owned self-metric name{...,user="..."} in
    parse_metrics' dict m (labels in /metrics' order: sorted, user last);
    default when given and the series is absent, else a clear failure."""
    pairs = [f'{k}="{v}"' for k, v in sorted(labels.items())] + [f'user="{user}"']
    key = f"{name}{{{','.join(pairs)}}}"
    if key in m:
        return m[key]
    if default is not _ABSENT:
        return default
    near = sorted(k for k in m if k.split("{", 1)[0] == name)
    raise AssertionError(f"{key} not in /metrics; {name} series: {near or 'none'}")


class Response:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        """Header value, name matched case-insensitively."""
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def http(method, url, data=None, headers=None, timeout=10, follow=True):
    """One HTTP request; any HTTP status is a Response, network errors raise."""
    if isinstance(data, (dict, list)):
        data = json.dumps(data).encode()
        headers = {"Content-Type": "application/json", **(headers or {})}
    elif isinstance(data, str):
        data = data.encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as r:
            return Response(r.status, dict(r.headers.items()), r.read())
    except urllib.error.HTTPError as e:
        with e:
            return Response(e.code, dict(e.headers.items()), e.read())


class Proc:
    """A child process in its own session; stdout/stderr go to files."""

    def __init__(self, argv, cwd, env, logdir, name, stdin=False):
        self.name, self.argv = name, [str(a) for a in argv]
        self.out_path = Path(logdir) / f"{name}.stdout"
        self.err_path = Path(logdir) / f"{name}.stderr"
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.p = subprocess.Popen(
                self.argv, cwd=cwd, env=env, stdout=out, stderr=err,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                start_new_session=True)
        _LIVE.append(self)

    @property
    def pid(self):
        return self.p.pid

    def stdout(self):
        return self.out_path.read_text(errors="replace")

    def stderr(self):
        return self.err_path.read_text(errors="replace")

    def alive(self):
        return self.p.poll() is None

    def write(self, text):
        self.p.stdin.write(text.encode())
        self.p.stdin.flush()

    def send_signal(self, sig):
        if self.p.returncode is None:  # not reaped: the pid is still ours
            os.kill(self.p.pid, sig)

    def wait(self, timeout):
        """Exit code, or None if still running after timeout seconds."""
        try:
            return self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout=10, sig=signal.SIGTERM):
        """Send sig and wait; AssertionError (after a SIGKILL) if it does not exit."""
        if self.p.returncode is None:
            self.send_signal(sig)
        rc = self.wait(timeout)
        if rc is None:
            self.kill()
            raise AssertionError(f"{self.name} did not exit within {timeout}s of signal {sig}")
        return rc

    def kill(self):
        """SIGKILL our process group, only while our child is not yet reaped."""
        if self.p.returncode is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.wait(5)
        if self.p.stdin:
            try:
                self.p.stdin.close()
            except OSError:
                pass
        if self in _LIVE:
            _LIVE.remove(self)

    def tail(self, n=40):
        lines = (self.stdout() + self.stderr()).splitlines()
        return "\n".join(lines[-n:])


@atexit.register
def _sweep():
    for p in list(_LIVE):
        p.kill()


class Fake:
    """A fake API process (tests/fakes/*.py) and its /_test/ control API."""

    def __init__(self, h, script, args, name):
        port_file = h.tmp / f"{name}.port"
        port_file.unlink(missing_ok=True)  # a previous fake's
        self.proc = h.spawn([PYTHON, script, "--port", "0", "--port-file", port_file, *args],
                            name=name)

        def port():
            if port_file.exists():
                return int(port_file.read_text())
            if not self.proc.alive():
                raise AssertionError(f"{name} exited:\n{self.proc.tail()}")
            return None
        self.url = f"http://127.0.0.1:{wait_until(port, 10, name + ' port file')}"

    def get(self, path, **query):
        q = ("?" + urllib.parse.urlencode(query)) if query else ""
        return self._check(http("GET", self.url + path + q))

    def post(self, path, obj=None):
        return self._check(http("POST", self.url + path, obj if obj is not None else {}))

    @staticmethod
    def _check(r):
        if r.status != 200:
            raise AssertionError(f"control call failed: {r.status} {r.text}")
        return r.json()

    def config(self, **kw):
        return self.post("/_test/config", kw)

    def reset(self):
        return self.post("/_test/reset")

    def requests(self, since=0):
        return self.get("/_test/requests", since=since)["requests"]

    def stats(self):
        return self.get("/_test/stats")

    def tokens(self):
        return self.get("/_test/tokens")

    def stop(self):
        return self.proc.stop(5)


def google_env(fake, **more):
    """SyncBit's variables pointing at a fake_google.py (its client from
    /_test/config, a free callback port), plus more."""
    cfg, u = fake.get("/_test/config"), fake.url
    return {"SOURCE": "google", "GOOGLE_CLIENT_ID": cfg["client_id"],
            "GOOGLE_CLIENT_SECRET": cfg["client_secret"], "GOOGLE_HEALTH_API_URL": u,
            "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
            "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{free_port()}/callback", **more}


class FakeFitbit(Fake):
    """tests/fakes/fake_fitbit.py; options as its command line (snake_case)."""

    def __init__(self, h, **opts):
        args = []
        for k, v in opts.items():
            if v is True:
                args.append("--" + k.replace("_", "-"))
            elif v is not None and v is not False:
                args += ["--" + k.replace("_", "-"), str(v)]
        super().__init__(h, FAKES / "fake_fitbit.py", args, "fake_fitbit")
        cfg = self.get("/_test/config")
        self.client_id, self.client_secret = cfg["client_id"], cfg["client_secret"]

    def env(self):
        """SyncBit's variables pointing at this fake."""
        # A free callback port per fake: tests never fight over 8080.
        if not hasattr(self, "callback_port"):
            self.callback_port = free_port()
        return {"SOURCE": "fitbit", "FITBIT_CLIENT_ID": self.client_id,
                "FITBIT_CLIENT_SECRET": self.client_secret, "FITBIT_API_URL": self.url,
                "FITBIT_REDIRECT_URI": f"http://localhost:{self.callback_port}/callback",
                "FITBIT_AUTH_URL": self.url + "/oauth2/authorize",
                "FITBIT_TOKEN_URL": self.url + "/oauth2/token"}

    def truth(self, day):
        return self.get("/_test/truth", date=str(day))

    def mint_tokens(self, scope=None):
        return self.post("/_test/tokens", {"scope": scope} if scope else {})


class VictoriaMetrics:
    """victoria-metrics on 127.0.0.1 with a temp -storageDataPath."""

    def __init__(self, h, *extra, auth=None):
        """auth=(user, password): started with -httpAuth.username/-password;
        every query of this object then sends them."""
        self.headers = {}
        if auth is not None:
            extra += (f"-httpAuth.username={auth[0]}", f"-httpAuth.password={auth[1]}")
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self.headers = {"Authorization": "Basic " + token}
        binary = shutil.which("victoria-metrics") or "/usr/bin/victoria-metrics"
        if not os.access(binary, os.X_OK):
            raise unittest.SkipTest("victoria-metrics not installed (tests/deps.sh)")
        for attempt in range(3):  # a free port can be taken before VM binds it
            port = free_port()
            self.proc = h.spawn([binary, f"-storageDataPath={h.tmp / f'vm{attempt}'}",
                                 f"-httpListenAddr=127.0.0.1:{port}", "-retentionPeriod=100y",
                                 "-dedup.minScrapeInterval=1ms", "-loggerLevel=WARN", *extra],
                                name=f"victoria{attempt}")
            self.url = f"http://127.0.0.1:{port}"
            try:
                wait_until(lambda: self._health() or not self.proc.alive(), 30, "victoria-metrics /health")
            except TimeoutError:
                self.proc.kill()
                raise
            if self.proc.alive() and self._health():
                break
            self.proc.kill()
        else:
            raise AssertionError("victoria-metrics did not start:\n" + self.proc.tail())
        self.write_url = self.url + "/api/v1/write"

    def _health(self):
        try:
            return http("GET", self.url + "/health", timeout=2).status == 200
        except OSError:
            return False

    def force_flush(self):
        r = http("GET", self.url + "/internal/force_flush", headers=self.headers)
        assert r.status == 200, r.text

    def export(self, match='{__name__=~".+"}', start=None, end=None, flush=True):
        """JSON lines of /api/v1/export: [{"metric":{...},"values":[...],"timestamps":[...]}]."""
        if flush:
            self.force_flush()
        form = [("match[]", match)] + [(k, str(v)) for k, v in (("start", start), ("end", end)) if v is not None]
        r = http("POST", self.url + "/api/v1/export", urllib.parse.urlencode(form),
                 {"Content-Type": "application/x-www-form-urlencoded", **self.headers}, timeout=30)
        assert r.status == 200, f"export: {r.status} {r.text}"
        return [json.loads(line) for line in r.text.splitlines() if line.strip()]

    def samples(self, match='{__name__=~".+"}', **kw):
        """Flattened export: [(name, {labels without __name__}, ts_ms, value)], sorted."""
        out = []
        for s in self.export(match, **kw):
            labels = dict(s["metric"])
            name = labels.pop("__name__", "")
            out += [(name, labels, t, v) for t, v in zip(s["timestamps"], s["values"])]
        return sorted(out, key=lambda x: (x[0], sorted(x[1].items()), x[2]))

    def query(self, q, at=None):
        params = {"query": q, "nocache": "1", **({"time": at} if at is not None else {})}
        r = http("GET", self.url + "/api/v1/query?" + urllib.parse.urlencode(params),
                 headers=self.headers)
        assert r.status == 200, f"query: {r.status} {r.text}"
        return r.json()["data"]["result"]

    def stop(self):
        return self.proc.stop(10)


class Result:
    def __init__(self, rc, stdout, stderr):
        self.rc, self.stdout, self.stderr = rc, stdout, stderr

    def __repr__(self):
        return f"Result(rc={self.rc}, stdout={self.stdout[-2000:]!r}, stderr={self.stderr[-2000:]!r})"


def syncbit_binary():
    b = Path(os.environ.get("SYNCBIT_BIN", "build/syncbit"))
    for cand in (b, REPO / b):
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand.resolve()
    raise unittest.SkipTest(f"SyncBit binary '{b}' not built (set SYNCBIT_BIN)")


class SyncBit:
    """One SyncBit installation: a work dir (cwd) with DATA_DIR inside."""

    def __init__(self, h, env, name):
        self.h, self.name = h, name
        self.bin = self.binary()
        self.dir = h.tmp / name
        self.data_dir = self.dir / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(self.dir),
                    "LANG": "C.UTF-8", "TZ": MACHINE_TZ, "TMPDIR": str(h.tmp),
                    "DATA_DIR": str(self.data_dir),
                    "LISTEN_ADDRESS": f"127.0.0.1:{free_port()}"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):
            if k in os.environ:
                self.env[k] = os.environ[k]
        self.env.update({k: str(v) for k, v in env.items() if v is not None})
        self.runs = 0
        self.proc = None

    @staticmethod
    def binary():
        return syncbit_binary()

    def _name(self):
        self.runs += 1
        return f"{self.name}.{self.runs}"

    def url(self, path="/"):
        return f"http://{self.env['LISTEN_ADDRESS']}{path}"

    def command(self, args, env=None, stdin=False):
        """The argv and environment of a process running SyncBit with args
        (tests/image/ runs it in a container instead)."""
        return [self.bin, *args], {**self.env, **(env or {})}

    def run(self, *args, timeout=60, input=None, env=None):
        """Run to completion (bounded); a Result. Killed + AssertionError on timeout."""
        argv, penv = self.command(args, env, stdin=input is not None)
        proc = self.h.spawn(argv, cwd=self.dir, env=penv, name=self._name(),
                            stdin=input is not None)
        if input is not None:
            proc.write(input)
            proc.p.stdin.close()
        rc = proc.wait(timeout)
        if rc is None:
            proc.kill()
            raise AssertionError(f"syncbit {' '.join(args)} still running after {timeout}s:\n{proc.tail()}")
        proc.kill()  # reaped already: only forgets it
        return Result(rc, proc.stdout(), proc.stderr())

    def start(self, *args, stdin=False, env=None):
        """Start in the background; the Proc is stopped at teardown if still alive."""
        argv, penv = self.command(args, env, stdin=stdin)
        self.proc = self.h.spawn(argv, cwd=self.dir, env=penv, name=self._name(), stdin=stdin)
        return self.proc

    def wait_http(self, path="/healthz", status=200, timeout=20, text=None):
        """Wait until GET path answers status (and a body containing text,
        case-insensitive: /readyz says "first sync not finished" with 503
        too, before the reason a test waits for); the Response."""
        def probe():
            if self.proc is not None and not self.proc.alive():
                raise AssertionError(f"syncbit exited ({self.proc.p.returncode}):\n{self.proc.tail()}")
            r = http("GET", self.url(path), timeout=2)
            ok = r.status == status and (text is None or text.lower() in r.text.lower())
            return r if ok else None
        return wait_until(probe, timeout, f"GET {path} -> {status}" + (f" '{text}'" if text else ""))

    def get(self, path, **kw):
        return http("GET", self.url(path), **kw)

    def stop(self, timeout=10):
        """SIGTERM and assert exit within timeout seconds; the exit code."""
        return self.proc.stop(timeout)

    def log(self):
        p = self.data_dir / "syncbit.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def authorize(self, timeout=30, paste=False, expect_redirect=True, user=None, extra=()):
        """Run --authorize against the fake: read the URL it prints, load it
        (the fake auto-approves), then deliver the redirect to SyncBit's
        callback, or paste it on stdin. Returns the Result. user=NAME runs
        `--authorize --user NAME` and consents as the fake's account NAME
        (login_hint=NAME appended to the URL: fake_google's household); extra:
        more arguments (--listen-all)."""
        proc = self.start("--authorize", *(("--user", user) if user else ()), *extra, stdin=True)
        pat = re.compile(r"^(https?://\S*client_id=\S+)\s*$", re.M)

        def auth_url():
            if not proc.alive():
                raise AssertionError(f"--authorize exited early:\n{proc.tail()}")
            m = pat.search(proc.stdout())
            return m.group(1) if m else None
        url = wait_until(auth_url, timeout, "the authorization URL on stdout")
        if user and "login_hint=" not in url:
            url += "&login_hint=" + urllib.parse.quote(user)
        r = http("GET", url, follow=False)
        if not expect_redirect:
            rc = proc.wait(timeout)
            return Result(rc, proc.stdout(), proc.stderr())
        assert r.status == 302, f"authorize page answered {r.status}: {r.text}"
        location = r.header("Location")
        if paste:
            proc.write(location + "\n")
        else:
            wait_until(lambda: http("GET", location, timeout=5), timeout, "the callback listener")
        rc = proc.wait(timeout)
        if rc is None:
            proc.kill()
            raise AssertionError(f"--authorize did not exit within {timeout}s:\n{proc.tail()}")
        return Result(rc, proc.stdout(), proc.stderr())


class Harness:
    """Owns a temp dir and every process started through it."""

    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="syncbit-it-"))
        self.procs = []
        self.n = 0

    def spawn(self, argv, name, cwd=None, env=None, stdin=False):
        self.n += 1
        p = Proc(argv, cwd or self.tmp, env if env is not None else dict(os.environ),
                 self.tmp, f"{self.n:02d}-{name}", stdin)
        self.procs.append(p)
        return p

    def fake_fitbit(self, **opts):
        return FakeFitbit(self, **opts)

    def fake(self, script, *args, name=None):
        """Any other fake in tests/fakes/ that takes --port 0 --port-file."""
        return Fake(self, FAKES / script, args, name or Path(script).stem)

    def victoria(self, *extra, auth=None):
        return VictoriaMetrics(self, *extra, auth=auth)

    def syncbit(self, env=None, name="syncbit", **more):
        return SyncBit(self, {**(env or {}), **more}, name)

    def dump(self, n=40):
        """The last lines of every process's output, for a failure report."""
        return "\n".join(f"--- {p.name} (pid {p.pid}, rc {p.p.returncode})\n{p.tail(n)}"
                         for p in self.procs)

    def sanitizer_reports(self):
        """The first line of every ThreadSanitizer, AddressSanitizer,
        LeakSanitizer or UBSan report on a SyncBit process's stderr (a
        sanitizer build: `make tsan`, `make asan`), whatever the test
        checked of that process."""
        out = []
        for f in sorted(self.tmp.glob("*syncbit*.stderr")):
            for line in f.read_text(errors="replace").splitlines():
                if _SANITIZER.search(line):
                    out.append(f"{f.name}: {line.strip()}")
        return out

    def close(self):
        """Kill what is left, remove the temp dir; AssertionError when a
        SyncBit process reported a sanitizer finding."""
        for p in reversed(self.procs):
            p.kill()
        reports = self.sanitizer_reports()
        if not os.environ.get("KEEP_TMP"):
            shutil.rmtree(self.tmp, ignore_errors=True)
        if reports:
            raise AssertionError("sanitizer reports:\n" + "\n".join(reports[:20]))


class IntegrationTest(unittest.TestCase):
    """Base class: self.h is a fresh Harness, closed after the test."""

    def setUp(self):
        self.h = Harness()
        self.addCleanup(self.h.close)
