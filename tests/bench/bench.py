"""make bench: numbers, not pass/fail. Prints one Markdown table, measured
side by side in one run, under a header naming the machine.

1. /metrics under wrk (2 threads, 64 connections, loopback, --latency)
   (and SyncBit's status page / and /api/status the same way):
   SyncBit serving a full cache (a running service after a sync against the
   legacy fake), nginx serving the same bytes as a static file (its own
   unprivileged process and temp prefix on 127.0.0.1, not the system
   service) and python3-prometheus-client serving the same series
   (tests/bench/prom_server.py): req/s, p50/p99, server CPU per request,
   and the ratios SyncBit/nginx and SyncBit/python.
2. The same service over a few sync cycles (SYNC_INTERVAL_MINUTES=1, the
   minimum config.c accepts): RSS, CPU per cycle, average CPU, and idle CPU
   between cycles (utime+stime: the process CPU-time clock, ns, or
   /proc/PID/stat's ticks where that clock is not readable).
3. Remote-write encode+compress next to plain snappy on the same bytes
   (build/bench_rw).
4. Requests and wall time of backfills (`--once` into a real
   VictoriaMetrics) for both sources: BACKFILLS below, the hook for more rows.
5. A household at scale (tests/bench/bench_fleet.py): 1,000 Google accounts
   in one process, their first backfill, one steady interval (cycles on
   time, RSS, CPU, requests per account-cycle), /metrics for the fleet next
   to nginx, and one account alone.

Missing tools (tests/bench/deps.sh installs them) and failures become
"n/a (reason)" rows; the run still prints the table and exits 0.

Knobs (environment): BENCH_WRK_SECONDS (10), BENCH_CYCLES (3),
BENCH_NGINX_WORKERS (1), BENCH_BACKFILL_TIMEOUT (600 s),
BENCH_ONLY (comma list of: http, service, rw, backfill, fleet; default
all; "http" needs "service", which it implies), BENCH_FLEET_ACCOUNTS (1000),
BENCH_FLEET_DAYS (30), BENCH_FLEET_INTERVAL (15 minutes), BENCH_FLEET_INTRADAY (on).
"""

import ctypes
import ctypes.util
import os
import platform
import pwd
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
import harness  # noqa: E402

HERE = Path(__file__).resolve().parent
BUILD = os.environ.get("BUILD", "build")
WRK_SECONDS = int(os.environ.get("BENCH_WRK_SECONDS", "10"))
CYCLES = max(1, int(os.environ.get("BENCH_CYCLES", "3")))
NGINX_WORKERS = os.environ.get("BENCH_NGINX_WORKERS", "1")
BACKFILL_TIMEOUT = int(os.environ.get("BENCH_BACKFILL_TIMEOUT", "600"))
ONLY = {s.strip() for s in os.environ.get("BENCH_ONLY", "").split(",") if s.strip()}
SERVICE_DAYS = 30        # the service's account: history backfilled before it starts
INTERVAL_S = 60          # SYNC_INTERVAL_MINUTES=1: config.c's minimum
WRK_THREADS, WRK_CONNS = 2, 64
DEPS_HINT = "run tests/bench/deps.sh as root"
UNLIMITED = 1_000_000_000  # the fakes' rate limits, off: requests are counted, not waited for
CLK_TCK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------------
# HOOK: backfill rows. One dict per row; adding a data kind's row is one line.
#   label   what the table says
#   source  "fitbit" (legacy fake) or "google" (Google Health fake)
#   days    history length: the fake's account starts `days` days before today
#   env     SyncBit variables for the run (COLLECT, INTRADAY, BACKFILL_START...)
# Each row runs `syncbit --once` against a fresh fake and VictoriaMetrics and
# reports API requests, wall time, samples written and 429s.
# "Backfill 1 year of everything" = COLLECT=all with INTRADAY=on: new kinds
# are in it as soon as COLLECT=all reads them. For a row per kind, add e.g.
#   dict(label="fitbit 1-year sleep", source="fitbit", days=365,
#        env={"COLLECT": "sleep"}),
#   window  (fitbit) the fake's rate window in seconds with Fitbit's 150
#           requests: the run then waits for resets like the real API, and
#           the row gives the hours it takes and the share of each full
#           window used (wall time / window = hours)
BACKFILLS = [
    dict(label="fitbit 3-year daily activity", source="fitbit", days=3 * 365,
         env={"COLLECT": "activity,heart"}),
    dict(label="google 3-year daily activity", source="google", days=3 * 365,
         env={"COLLECT": "activity,heart"}),
    dict(label="fitbit 3-year every daily kind", source="fitbit", days=3 * 365,
         env={"COLLECT": "all", "INTRADAY": "off"}),
    # ---- backfill 1 year of everything ----
    dict(label="fitbit 1-year everything", source="fitbit", days=365,
         env={"COLLECT": "all", "INTRADAY": "on"}),
    dict(label="google 1-year everything", source="google", days=365,
         env={"COLLECT": "all", "INTRADAY": "on"}),
    dict(label="fitbit 1-year everything, 150 per 10-s 'hour'", source="fitbit",
         days=365, env={"COLLECT": "all", "INTRADAY": "on"}, window=10),
]
# The APIs' published limits, to turn a request count into waiting time.
FITBIT_LIMIT_PER_HOUR = 150
# --------------------------------------------------------------------------


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def wanted(section):
    return not ONLY or section in ONLY or (section == "service" and "http" in ONLY)


class Table:
    """Rows grouped by section, printed in SECTIONS order."""
    SECTIONS = ["http", "service", "rw", "backfill", "fleet"]

    def __init__(self):
        self.rows = {s: [] for s in self.SECTIONS}
        self.notes = []

    def add(self, section, measure, value, detail=""):
        self.rows[section].append((measure, value, detail))

    def na(self, section, measure, reason):
        self.add(section, measure, f"n/a ({reason})")

    def render(self):
        head = ("measure", "value", "detail")
        rows = [r for s in self.SECTIONS for r in self.rows[s]]
        w = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
             for i, h in enumerate(head)]
        fmt = "| " + " | ".join(f"{{:<{x}}}" for x in w) + " |"
        out = [fmt.format(*head), "|" + "|".join("-" * (x + 2) for x in w) + "|"]
        out += [fmt.format(*(c.replace("|", "/") for c in r)) for r in rows]
        return "\n".join(out)


# ---- the machine and the tools ----------------------------------------------

def sh(argv, timeout=10):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        return (r.stdout + r.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine():
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f", {kib / 1048576:.1f} GiB RAM"
    except (OSError, AttributeError):
        pass
    distro = ""
    try:
        distro = re.search(r'PRETTY_NAME="?([^"\n]*)', Path("/etc/os-release").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    cores = os.cpu_count()
    usable = len(os.sched_getaffinity(0))
    cores_s = f"{cores} cores" + (f" ({usable} usable)" if usable != cores else "")
    return (f"{model}, {cores_s}{mem}, Linux {platform.release()}"
            + (f" ({distro})" if distro else ""))


def loadavg():
    """The 1-minute load average: other work on the machine skews every number."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def dpkg_version(pkg):
    v = sh(["dpkg-query", "-W", "-f=${Version}", pkg])
    return v if v and "no packages" not in v else None


def prom_python():
    """An interpreter that imports prometheus_client (Debian's is /usr/bin/python3)."""
    for py in dict.fromkeys([sys.executable, "/usr/bin/python3"]):
        try:
            if subprocess.run([py, "-c", "import prometheus_client"], capture_output=True,
                              timeout=30).returncode == 0:
                return py
        except (OSError, subprocess.SubprocessError):
            pass
    return None


# ---- /proc --------------------------------------------------------------------

class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


try:
    _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
except OSError:
    _LIBC = None


def proc_cpu(pid):
    """utime+stime of a process (all its threads, live and exited), in
    seconds: its CPU-time clock (clock_getcpuclockid, ns), else the ticks
    of /proc/PID/stat (1/CLK_TCK s)."""
    if _LIBC is not None:
        clk, ts = ctypes.c_int(), _Timespec()
        if (_LIBC.clock_getcpuclockid(pid, ctypes.byref(clk)) == 0 and
                _LIBC.clock_gettime(clk, ctypes.byref(ts)) == 0):
            return ts.tv_sec + ts.tv_nsec / 1e9
    s = Path(f"/proc/{pid}/stat").read_text()
    f = s[s.rindex(")") + 2:].split()
    return (int(f[11]) + int(f[12])) / CLK_TCK


def proc_status(pid):
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM", "Threads"):
            out[k] = int(v.split()[0])
    return out


def tree(pid):
    """pid and its descendants (nginx: the master and its workers)."""
    kids = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                s = (d / "stat").read_text()
                kids.setdefault(int(s[s.rindex(")") + 2:].split()[1]), []).append(int(d.name))
            except (OSError, ValueError):
                pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def tree_cpu(pids):
    n = 0.0
    for p in pids:
        try:
            n += proc_cpu(p)
        except OSError:
            pass
    return n


class Sampler(threading.Thread):
    """(time, cpu seconds, status) of one process every 0.2 s."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.samples, self.halt = pid, [], threading.Event()

    def run(self):
        while not self.halt.is_set():
            try:
                self.samples.append((time.time(), proc_cpu(self.pid), proc_status(self.pid)))
            except (OSError, ValueError):
                return
            self.halt.wait(0.2)

    def at(self, t):
        """The last sample taken at or before t (the first one if none)."""
        best = self.samples[0]
        for s in self.samples:
            if s[0] > t:
                break
            best = s
        return best

    def cpu_between(self, a, b):
        return self.at(b)[1] - self.at(a)[1]

    def stop(self):
        self.halt.set()
        self.join(5)


def mib(kib):
    return f"{kib / 1024:.1f} MiB"


# ---- wrk ------------------------------------------------------------------------

def _dur_ms(num, unit):
    return float(num) * {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[unit]


def wrk(url, pids, seconds=None):
    """Warm up 1 s, then measure; a dict (rps, p50, p99 in ms, errors, cpu_us/req...)."""
    seconds = seconds or WRK_SECONDS
    base = ["wrk", f"-t{WRK_THREADS}", f"-c{WRK_CONNS}"]
    subprocess.run(base + ["-d1s", url], capture_output=True, timeout=60)
    time.sleep(0.5)  # the warm-up's connections gone (SyncBit allows 64 per address)
    t0, c0 = time.monotonic(), tree_cpu(pids)
    r = subprocess.run(base + [f"-d{seconds}s", "--latency", url], capture_output=True,
                       text=True, timeout=seconds + 60)
    cpu_s = tree_cpu(pids) - c0
    wall = time.monotonic() - t0
    out = r.stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if r.returncode != 0 or not m:
        raise RuntimeError(f"wrk failed ({r.returncode}): {(out + r.stderr)[-300:]}")
    res = {"rps": float(m.group(1)), "cpu_pct": 100 * cpu_s / wall}
    for q in ("50", "99"):
        mq = re.search(rf"^\s+{q}(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\b", out, re.M)
        res["p" + q] = _dur_ms(*mq.groups()) if mq else float("nan")
    mr = re.search(r"(\d+) requests in", out)
    res["requests"] = int(mr.group(1)) if mr else 0
    res["cpu_us_req"] = cpu_s * 1e6 / res["requests"] if res["requests"] else float("nan")
    errs = 0
    me = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if me:
        errs += sum(int(x) for x in me.groups())
    mn = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["errors"] = errs + (int(mn.group(1)) if mn else 0)
    return res


def fmt_ms(ms):
    return f"{ms * 1000:.0f} us" if ms < 1 else f"{ms:.2f} ms"


def wrk_row(t, label, res, extra=""):
    t.add("http", label, f"{res['rps']:,.0f} req/s",
          f"p50 {fmt_ms(res['p50'])}, p99 {fmt_ms(res['p99'])}, {res['errors']} errors, "
          f"server CPU {res['cpu_us_req']:.1f} us/req ({res['cpu_pct']:.0f}% of a core)"
          + (f"; {extra}" if extra else ""))


# ---- peers ----------------------------------------------------------------------

def start_nginx(h, body):
    """nginx on 127.0.0.1 serving body at /metrics from a temp prefix, as an
    unprivileged user (nobody via setpriv when we are root). (proc, url, dir)."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    d = Path(tempfile.mkdtemp(prefix="syncbit-bench-nginx-"))
    (d / "www").mkdir()
    (d / "www" / "metrics").write_bytes(body)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (d / sub).mkdir()
    prefix = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if not setpriv:
            raise RuntimeError("running as root without setpriv to drop to nobody")
        pw = pwd.getpwnam("nobody")
        for p in [d, *d.rglob("*")]:
            os.chown(p, pw.pw_uid, pw.pw_gid)
        d.chmod(0o755)
        prefix = [setpriv, f"--reuid={pw.pw_uid}", f"--regid={pw.pw_gid}", "--clear-groups"]
    for attempt in range(3):
        port = harness.free_port()
        conf = d / "nginx.conf"
        conf.write_text(f"""\
worker_processes {NGINX_WORKERS};
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{port};
        root {d}/www;
        location = /metrics {{ default_type "text/plain; version=0.0.4; charset=utf-8"; }}
    }}
}}
""")
        if prefix:
            os.chown(conf, pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid)
        proc = h.spawn(prefix + [nginx, "-p", str(d), "-c", str(conf), "-e", str(d / "error.log")],
                       name=f"nginx{attempt}")
        url = f"http://127.0.0.1:{port}/metrics"

        def up():
            if not proc.alive():
                return "exited"
            try:
                return harness.http("GET", url, timeout=2).status == 200
            except OSError:
                return False
        if harness.wait_until(up, 15, "nginx") is True:
            return proc, url, d
        proc.kill()
    err = (d / "error.log").read_text(errors="replace")[-300:] if (d / "error.log").exists() else ""
    raise RuntimeError(f"nginx did not start: {err}")


def start_prom(h, py, body):
    f = h.tmp / "exposition.txt"
    f.write_bytes(body)
    for attempt in range(3):
        port = harness.free_port()
        pf = h.tmp / f"prom{attempt}.port"
        proc = h.spawn([py, HERE / "prom_server.py", "--metrics", f, "--port", port,
                        "--port-file", pf], name=f"prom{attempt}")

        def up():
            if not proc.alive():
                return "exited"
            return pf.exists()
        if harness.wait_until(up, 20, "prom_server") is True:
            return proc, f"http://127.0.0.1:{port}/metrics"
        proc.kill()
    raise RuntimeError("prom_server did not start: " + proc.tail(5))


# ---- fakes and installations --------------------------------------------------

def google_fake(h, days, *extra):
    since = date.today() - timedelta(days=days)
    fake = h.fake("fake_google.py", "--membership-start", since.isoformat(),
                  "--rate-limit-per-minute", str(UNLIMITED), *extra)
    cfg = fake.get("/_test/config")
    u = fake.url
    env = {"SOURCE": "google", "GOOGLE_CLIENT_ID": cfg["client_id"],
           "GOOGLE_CLIENT_SECRET": cfg["client_secret"], "GOOGLE_HEALTH_API_URL": u,
           "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
           "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{harness.free_port()}/callback"}
    return fake, env


def fitbit_fake(h, days, window=None):
    since = date.today() - timedelta(days=days)
    if window:
        fake = h.fake_fitbit(member_since=since.isoformat(), rate_window=window,
                             rate_limit=FITBIT_LIMIT_PER_HOUR)
    else:
        fake = h.fake_fitbit(member_since=since.isoformat(), rate_limit=UNLIMITED)
    return fake, fake.env()


def installation(h, source, days, window=None, **env):
    """A fake, a VictoriaMetrics and an authorized SyncBit writing to it."""
    fake, fenv = (fitbit_fake(h, days, window) if source == "fitbit"
                  else google_fake(h, days))
    vm = h.victoria()
    sb = h.syncbit(fenv, VICTORIA_ENDPOINT=vm.write_url, **env)
    r = sb.authorize()
    if r.rc != 0:
        raise RuntimeError(f"--authorize failed: {r}")
    return fake, vm, sb


def google_pacing():
    """(GOOGLE_RPM, GOOGLE_BURST) from exporter/source/google/google.h, or (None, 0)."""
    try:
        text = (harness.REPO / "exporter" / "source" / "google" / "google.h").read_text()
        rpm = int(re.search(r"#define\s+GOOGLE_RPM\s+(\d+)", text).group(1))
        m = re.search(r"#define\s+GOOGLE_BURST\s+(\d+)", text)
        return rpm, int(m.group(1)) if m else 0
    except (OSError, AttributeError, ValueError):
        return None, 0


def vm_count(vm, match, days):
    """Samples of match in VM over the last days (+2 for 23:59:59 of today)."""
    vm.force_flush()
    at = time.time() + 2 * 86400
    res = vm.query(f"sum(count_over_time({match}[{days + 4}d]))", at=at)
    return int(float(res[0]["value"][1])) if res else 0


# ---- 4. backfill ----------------------------------------------------------------

def budget_share(reqs, window, wall):
    """With the fake's window as the hour: hours taken, the floor (one
    intraday day a request, 150 an hour), the share of full windows used."""
    api = [q for q in reqs if q["path"].startswith(("/1/", "/1.2/"))]
    intraday = sum(1 for q in api if "/1min" in q["path"])
    per = {}
    for q in api:
        per[int(q["time"] // window)] = per.get(int(q["time"] // window), 0) + 1
    full = [per[w] for w in sorted(per)[1:-1]]
    share = (sum(full) / (len(full) * FITBIT_LIMIT_PER_HOUR)) if full else 0
    return (f"; {wall / window:.1f} 'hours' of {window} s (floor: {intraday} intraday "
            f"days / {FITBIT_LIMIT_PER_HOUR} = {intraday / FITBIT_LIMIT_PER_HOUR:.1f}); "
            f"{share:.1%} of the budget used in {len(full)} full windows")


def bench_backfill(t, spec):
    label = f"backfill {spec['label']} (`--once`)"
    log(f"{label} ...")
    h = harness.Harness()
    try:
        fake, vm, sb = installation(h, spec["source"], spec["days"], spec.get("window"),
                                    **spec.get("env", {}))
        before = fake.stats()
        seq0 = max((q["seq"] for q in fake.requests()), default=0)
        others = {"fake": fake.proc.pid, "VM": vm.proc.pid}
        o0 = {k: proc_cpu(p) for k, p in others.items()}
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        r = sb.run("--once", timeout=BACKFILL_TIMEOUT)
        wall = time.monotonic() - t0
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # syncbit: the only child reaped meanwhile
        cpu = {"SyncBit": ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime}
        cpu.update({k: proc_cpu(p) - o0[k] for k, p in others.items()})
        if r.rc != 0:
            raise RuntimeError(f"--once exited {r.rc}: {r.stderr.strip()[-200:]}")
        after = fake.stats()
        used = after["api_requests"] - before["api_requests"]
        limited = after.get("rate_limited", 0) - before.get("rate_limited", 0)
        if spec["source"] == "fitbit":
            reqs = fake.requests(since=seq0)
            data = sum(1 for q in reqs if q["path"].startswith("/1/")
                       and len(re.findall(r"\d{4}-\d{2}-\d{2}", q["path"])) == 2)
            data_s = f"{data} date-range requests"
            windows = -(-used // FITBIT_LIMIT_PER_HOUR)
            wait = f", {windows} rate-limit hour(s) at Fitbit's {FITBIT_LIMIT_PER_HOUR}/h"
            if spec.get("window"):
                wait = budget_share(reqs, spec["window"], wall)
        else:
            be0, be1 = before.get("by_endpoint", {}), after.get("by_endpoint", {})
            data = sum(n - be0.get(ep, 0) for ep, n in be1.items() if "dataPoints" in ep)
            data_s = f"{data} dataPoints requests"
            rpm, burst = google_pacing()
            wait = (f", SyncBit paces Google at {rpm}/min (google.h): "
                    f">= {max(0, used - burst) * 60 / rpm:.0f} s of the wall" if rpm else "")
        samples = vm_count(vm, '{__name__=~"fitbit_.+"}', spec["days"])
        steps = vm_count(vm, "fitbit_steps_total", spec["days"])
        t.add("backfill", label, f"{used} requests, {wall:.1f} s",
              f"{spec['days']} days, {' '.join(f'{k}={v}' for k, v in spec.get('env', {}).items())}: "
              f"{data_s}, {limited} answered 429, {samples:,} samples in VM "
              f"({steps} days of steps){wait}; CPU s: "
              + ", ".join(f"{k} {v:.1f}" for k, v in cpu.items()))
    except Exception as e:  # a row, never a crash
        t.na("backfill", label, f"error: {str(e).splitlines()[0][:160]}")
        t.notes.append(f"{label}: {traceback.format_exc()}\n{h.dump(15)}")
    finally:
        h.close()


# ---- 3. remote write ------------------------------------------------------------

def bench_rw(t):
    log("remote-write encode (build/bench_rw) ...")
    exe = Path(BUILD) / "bench_rw"
    if not os.access(exe, os.X_OK):
        t.na("rw", "remote write", f"{exe} not built (make bench builds it)")
        return
    out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        t.na("rw", "remote write", f"bench_rw exited {out.returncode}: {out.stderr.strip()[:120]}")
        return
    rate = {}
    for line in out.stdout.splitlines():
        if ":" not in line:
            continue
        k, v = (x.strip() for x in line.split(":", 1))
        m = re.match(r"([\d.]+) samples/s,\s*(.*)", v)
        if m:
            rate[k] = float(m.group(1))
            t.add("rw", k, f"{float(m.group(1)):,.0f} samples/s", m.group(2))
        else:
            t.add("rw", f"remote-write {k}", v)
    enc = next((v for k, v in rate.items() if k.startswith("rw_encode")), None)
    snap = next((v for k, v in rate.items() if k.startswith("snappy")), None)
    if enc and snap:
        t.add("rw", "snappy alone vs rw_encode", f"{snap / enc:.1f}x faster",
              f"compression is {100 * enc / snap:.0f}% of rw_encode's time; "
              "the rest is sorting and protobuf packing")


# ---- 2. + 1. the service, then /metrics under wrk -----------------------------

def api_requests(fake, since):
    return [q for q in fake.requests(since=since) if not q["path"].startswith("/_test")]


def watch_cycles(fake, seq, n, timeout):
    """Wait for n sync cycles after the current one; [(first_ts, last_ts)] of
    the cycles that started after seq (a gap over 10 s separates two)."""
    cycles, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = api_requests(fake, seq)
        if new:
            seq = max(q["seq"] for q in new)
            for q in sorted(new, key=lambda q: q["time"]):
                if cycles and q["time"] - cycles[-1][1] <= 10:
                    cycles[-1][1] = max(cycles[-1][1], q["time"])
                else:
                    cycles.append([q["time"], q["time"]])
        if len(cycles) >= n and time.time() - cycles[-1][1] > 3:
            return [tuple(c) for c in cycles], seq
        time.sleep(0.5)
    raise TimeoutError(f"saw {len(cycles)} of {n} sync cycles in {timeout} s")


def quiet(fake, seq, secs=3, timeout=120):
    """Wait until the fake has had no API request for secs; the last seq."""
    deadline = time.monotonic() + timeout
    last = time.time()
    while time.monotonic() < deadline:
        new = api_requests(fake, seq)
        if new:
            seq = max(q["seq"] for q in new)
            last = max(q["time"] for q in new)
        if time.time() - last > secs:
            return seq
        time.sleep(0.5)
    raise TimeoutError("the fake never went quiet")


def bench_service(t, tools):
    log(f"service: backfilling {SERVICE_DAYS} days of legacy data, then starting the service ...")
    h = harness.Harness()
    sampler = None
    try:
        fake, vm, sb = installation(h, "fitbit", SERVICE_DAYS, SYNC_INTERVAL_MINUTES="1")
        r = sb.run("--once", timeout=BACKFILL_TIMEOUT)  # history done: the service is in steady state
        if r.rc != 0:
            raise RuntimeError(f"--once exited {r.rc}: {r.stderr.strip()[-200:]}")
        seq = max((q["seq"] for q in fake.requests()), default=0)
        proc = sb.start()
        sampler = Sampler(proc.pid)
        sampler.start()
        sb.wait_http("/readyz", 200, timeout=120)
        seq = quiet(fake, seq)  # the first cycle done
        log(f"service: watching {CYCLES} sync cycles after the first ({CYCLES + 1} x {INTERVAL_S} s) ...")
        cycles, seq = watch_cycles(fake, seq, CYCLES + 1, (CYCLES + 2) * INTERVAL_S + 60)
        cycles = cycles[:CYCLES + 1]
        start, end = cycles[0][0], cycles[-1][0]  # CYCLES whole periods
        period_s = end - start
        total = sampler.cpu_between(start - 0.3, end - 0.3)
        busy, idle, idle_s, walls = 0.0, 0.0, 0.0, []
        for k in range(CYCLES):
            a, b, nxt = cycles[k][0] - 0.3, cycles[k][1] + 5, cycles[k + 1][0] - 0.3
            busy += sampler.cpu_between(a, b)
            idle += sampler.cpu_between(b, nxt)
            idle_s += nxt - b
            walls.append(cycles[k][1] - cycles[k][0])
        win = [s for s in sampler.samples if start <= s[0] <= end]
        rss = sorted(s[2]["VmRSS"] for s in win)
        last = sampler.samples[-1][2]
        label = (f"{CYCLES} cycle(s) at SYNC_INTERVAL_MINUTES=1, legacy fake, COLLECT=all, "
                 "INTRADAY=on, remote write to VM")
        t.add("service", "RSS (steady state)", f"{mib(rss[len(rss) // 2])}",
              f"min {mib(rss[0])}, max {mib(rss[-1])} over {period_s:.0f} s; "
              f"peak VmHWM {mib(last['VmHWM'])} (includes start-up); {last['Threads']} threads")
        t.add("service", "CPU per sync cycle", f"{busy / CYCLES * 1000:.1f} ms",
              f"utime+stime; cycle wall {sum(walls) / len(walls):.2f} s (first to last API "
              f"request); {label}")
        t.add("service", "CPU average over the cycles", f"{100 * total / period_s:.3f}% of a core",
              f"{total * 1000:.1f} ms CPU in {period_s:.0f} s")
        t.add("service", "CPU idle between cycles", f"{100 * idle / idle_s:.4f}% of a core",
              f"{idle * 1000:.2f} ms CPU in {idle_s:.0f} s = {idle * 60e3 / idle_s:.2f} ms per minute "
              "(from 5 s after a cycle's last API request to the next cycle)")
        sampler.stop()
        if wanted("http"):
            bench_http(t, tools, h, fake, sb, seq)
        rc = sb.stop()
        if rc != 0:
            t.notes.append(f"the service exited {rc} on SIGTERM")
    except Exception as e:
        t.na("service", "service steady state", f"error: {str(e).splitlines()[0][:160]}")
        t.notes.append(f"service: {traceback.format_exc()}\n{h.dump(15)}")
    finally:
        if sampler:
            sampler.stop()
        h.close()


def samples(body):
    """Exposition -> {(name, sorted labels): value}: prometheus_client sorts labels."""
    out = {}
    for k, v in harness.parse_metrics(body.decode()).items():
        name, _, rest = k.partition("{")
        out[(name, tuple(sorted(re.findall(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"', rest))))] = v
    return out


def bench_http(t, tools, h, fake, sb, seq):
    head = f"/metrics, wrk {WRK_THREADS} threads {WRK_CONNS} conns {WRK_SECONDS} s:"
    if not tools["wrk"]:
        for who in ("SyncBit", "nginx static file", "python3-prometheus-client",
                    "SyncBit / nginx", "SyncBit / python"):
            t.na("http", who if "/" in who else f"{head} {who}", f"wrk not installed: {DEPS_HINT}")
        return
    seq = quiet(fake, seq)
    body = sb.get("/metrics").body
    series = harness.parse_metrics(body.decode())
    log(f"/metrics: SyncBit ({len(body)} bytes, {len(series)} samples) ...")
    res = {}
    t0 = time.time()
    try:
        res["syncbit"] = wrk(sb.url("/metrics"), [sb.proc.pid])
        overlap = api_requests(fake, seq)
        extra = f"body {len(body):,} B, {len(series)} samples, libmicrohttpd {tools['mhd']}, 1 thread"
        if any(q["time"] >= t0 for q in overlap):
            extra += "; a sync cycle ran during the run"
        extra += f"; RSS after {mib(proc_status(sb.proc.pid)['VmRSS'])}"
        wrk_row(t, f"{head} SyncBit {tools['syncbit']}", res["syncbit"], extra)
    except Exception as e:
        t.na("http", f"{head} SyncBit", f"error: {e}")
    # the status page and its JSON, next to /metrics: the same snapshot
    # plus the status, rendered per request (cJSON, then HTML)
    for path in ("/", "/api/status"):
        label = head.replace("/metrics", path, 1) + " SyncBit"
        try:
            size = len(sb.get(path).body)
            wrk_row(t, label, wrk(sb.url(path), [sb.proc.pid]), f"body {size:,} B")
        except Exception as e:
            t.na("http", label, f"error: {e}")
    sb.stop()  # the peers run with SyncBit gone

    label = f"{head} nginx {tools['nginx'] or ''} static file".replace("  ", " ")
    if not tools["nginx"]:
        t.na("http", label, f"nginx not installed: {DEPS_HINT}")
    else:
        log("/metrics: nginx ...")
        d = None
        try:
            proc, url, d = start_nginx(h, body)
            same = harness.http("GET", url).body == body
            res["nginx"] = wrk(url, tree(proc.pid))
            wrk_row(t, label, res["nginx"],
                    f"{NGINX_WORKERS} worker, same bytes: {'yes' if same else 'NO'}")
            proc.kill()
        except Exception as e:
            t.na("http", label, f"error: {str(e)[:160]}")
        finally:
            if d:
                shutil.rmtree(d, ignore_errors=True)

    label = f"{head} python3-prometheus-client {tools['prom'] or ''}".rstrip()
    if not tools["prom_py"]:
        t.na("http", label, f"python3-prometheus-client not installed: {DEPS_HINT}")
    else:
        log("/metrics: python3-prometheus-client ...")
        try:
            proc, url = start_prom(h, tools["prom_py"], body)
            got = harness.http("GET", url).body
            theirs = samples(got)
            mine = samples(body)
            same = "yes" if theirs == mine else (
                f"NO ({len(set(theirs.items()) ^ set(mine.items()))} differ)")
            res["python"] = wrk(url, [proc.pid])
            wrk_row(t, label, res["python"],
                    f"start_http_server, Python {tools['prom_pyver']} (wsgiref: HTTP/1.0, a "
                    f"connection per request, listen backlog 5); body {len(got):,} B, "
                    f"same samples: {same}")
            proc.kill()
        except Exception as e:
            t.na("http", label, f"error: {str(e)[:160]}")

    for peer in ("nginx", "python"):
        name = f"SyncBit / {peer}"
        if "syncbit" in res and peer in res:
            s, p = res["syncbit"], res[peer]
            t.add("http", name, f"{s['rps'] / p['rps']:.2f}x req/s",
                  f"p50 {s['p50'] / p['p50']:.2f}x, p99 {s['p99'] / p['p99']:.2f}x "
                  f"(latency: below 1 is faster), CPU/req {s['cpu_us_req'] / p['cpu_us_req']:.2f}x")
        else:
            t.na("http", name, f"no {'SyncBit' if 'syncbit' not in res else peer} number")


# ---- main -----------------------------------------------------------------------

def main():
    started = time.monotonic()
    load0 = loadavg()
    t = Table()
    py = prom_python()
    tools = {
        "wrk": shutil.which("wrk"),
        "nginx": ((dpkg_version("nginx") or "?").split("-")[0]
                  if shutil.which("nginx") or os.access("/usr/sbin/nginx", os.X_OK) else None),
        "prom_py": py,
        "prom": (dpkg_version("python3-prometheus-client") or "").split("-")[0],
        "prom_pyver": sh([py, "-c", "import platform; print(platform.python_version())"]) if py else "",
        "mhd": sh(["pkg-config", "--modversion", "libmicrohttpd"]) or "?",
        "syncbit": "",
    }
    try:
        v = sh([str(harness.syncbit_binary()), "--version"])
        tools["syncbit"] = v.split()[-1] if v else ""
    except Exception:
        pass
    if not (tools["wrk"] and tools["nginx"] and py):
        log(f"some peers are missing; their rows say n/a ({DEPS_HINT})")

    if wanted("backfill"):
        for spec in BACKFILLS:
            bench_backfill(t, spec)
    if wanted("rw"):
        bench_rw(t)
    if wanted("service"):
        bench_service(t, tools)
    if wanted("fleet"):
        import bench_fleet  # tests/bench/bench_fleet.py: a household at scale
        bench_fleet.bench_fleet(t, tools)

    rev = sh(["git", "-C", str(harness.REPO), "describe", "--always", "--dirty"]) or "?"
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    peers = ", ".join(x for x in (
        f"wrk {dpkg_version('wrk').split('-')[0]}" if tools["wrk"] and dpkg_version("wrk") else "",
        f"nginx {tools['nginx']}" if tools["nginx"] else "",
        f"python3-prometheus-client {tools['prom']}" if py else "") if x)
    print(f"SyncBit {tools['syncbit']} bench, {now}, commit {rev}, {time.monotonic() - started:.0f} s")
    print(f"Machine: {machine()}; load average {load0} at the start, {loadavg()} at the end")
    print(f"Peers: {peers or 'none installed'}; libmicrohttpd {tools['mhd']}. "
          "Client, servers and fakes share the machine (loopback).")
    print()
    print(t.render())
    if t.notes:
        print("\nNotes (n/a rows):", file=sys.stderr)
        for n in t.notes:
            print(n, file=sys.stderr)


if __name__ == "__main__":
    main()
