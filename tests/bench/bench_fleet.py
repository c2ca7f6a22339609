"""make bench, section "fleet": a household at scale against the Google fake.

N accounts (BENCH_FLEET_ACCOUNTS, 1,000) in one process, each with
BENCH_FLEET_DAYS (30) of history, at SYNC_INTERVAL_MINUTES=
BENCH_FLEET_INTERVAL (15), INTRADAY=BENCH_FLEET_INTRADAY (on), remote
writing to a real VictoriaMetrics:

1. the first backfill of every account (wall time, requests);
2. one whole interval of steady state: did every account's cycle come round
   within the interval (syncbit_last_sync_timestamp_seconds{user} moved by
   at most interval + the time a cycle takes), RSS, the CPU of the fleet's
   cycles, the /v4 requests per account-cycle;
3. /metrics for the fleet under wrk next to nginx serving the same bytes;
4. one account alone in its own SyncBit (single-account mode), run beside
   the fleet over the same interval: its requests per cycle and RSS.

The accounts' tokens come from the fake's POST /_test/tokens and are written
as the token files --authorize --user writes (users/NAME/google_tokens.json,
0600), so 1,000 consents need no 1,000 browser round trips.
"""

import json
import os
import shutil
import time
from datetime import date, timedelta

import harness
import bench as b

ACCOUNTS = int(os.environ.get("BENCH_FLEET_ACCOUNTS", "1000"))
DAYS = int(os.environ.get("BENCH_FLEET_DAYS", "30"))
INTERVAL_MIN = int(os.environ.get("BENCH_FLEET_INTERVAL", "15"))
BACKFILL_TIMEOUT = int(os.environ.get("BENCH_FLEET_BACKFILL_TIMEOUT", "5400"))
INTRADAY = os.environ.get("BENCH_FLEET_INTRADAY", "on")   # off: daily kinds only
SOLO = "solo"   # the same kind of account, alone in its own SyncBit


def names(n):
    return [f"u{i:04d}" for i in range(n)]


def write_tokens(fake, path, account):
    """An account's tokens from the fake, as SyncBit's token file (0600)."""
    tok = fake.post("/_test/tokens", {"account": account})
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"access_token": tok["access_token"], "refresh_token": tok["refresh_token"],
                   "expires_at": int(time.time()) + int(tok["expires_in"]),
                   "expires_in": int(tok["expires_in"]), "scope": tok["scope"],
                   "user_id": ""}, f)


def household(h, users, interval_min):
    """The fake with every account plus SOLO, a VictoriaMetrics, the
    fleet's SyncBit (USERS) and SOLO's own SyncBit in single-account mode."""
    since = date.today() - timedelta(days=DAYS)
    fake = h.fake("fake_google.py", "--membership-start", since.isoformat(),
                  "--rate-limit-per-minute", str(b.UNLIMITED))
    accounts = {u: {"seed": 100 + i} for i, u in enumerate(users)}
    accounts[SOLO] = {"seed": 100}
    fake.config(accounts=accounts, project_rate_limit_per_minute=b.UNLIMITED)
    cfg = fake.get("/_test/config")
    u = fake.url
    vm = h.victoria()
    env = {"SOURCE": "google", "GOOGLE_CLIENT_ID": cfg["client_id"],
           "GOOGLE_CLIENT_SECRET": cfg["client_secret"], "GOOGLE_HEALTH_API_URL": u,
           "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
           "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{harness.free_port()}/callback",
           "SYNC_INTERVAL_MINUTES": str(interval_min), "VICTORIA_ENDPOINT": vm.write_url,
           "INTRADAY": INTRADAY, "LOG_LEVEL": "warn"}
    sb = h.syncbit(env, USERS=",".join(users))
    for name in users:
        write_tokens(fake, sb.data_dir / "users" / name / "google_tokens.json", name)
    solo = h.syncbit(env, name="solo", FITBIT_USER_ID=SOLO)
    write_tokens(fake, solo.data_dir / "google_tokens.json", SOLO)
    return fake, vm, sb, solo


def per_user(m, name):
    """{user: value} of a self-metric's series."""
    out = {}
    for k, v in m.items():
        if k.startswith(name + "{") and 'user="' in k:
            out[k.split('user="', 1)[1].split('"', 1)[0]] = v
    return out


def snapshot(sb):
    m = harness.parse_metrics(sb.get("/metrics", timeout=60).text)
    return (per_user(m, "syncbit_last_sync_timestamp_seconds"),
            per_user(m, "syncbit_backfill_days_pending"), m)


def wait_backfilled(sb, users, timeout):
    """Until every account has synced and been seen with no history pending
    (later cycles may owe a day again for a moment: it is not undone)."""
    deadline = time.monotonic() + timeout
    done = set()
    while time.monotonic() < deadline:
        last, pending, _ = snapshot(sb)
        done |= {u for u in users if last.get(u, 0) > 0 and pending.get(u, 1) == 0}
        if len(done) == len(users):
            return
        b.log(f"fleet: {len(done)}/{len(users)} accounts backfilled")
        time.sleep(10)
    raise TimeoutError(f"{len(users)} accounts not backfilled in {timeout} s")


def v4_by_account(fake):
    return dict(fake.stats().get("by_account", {}))


def steady(sb, solo, fake, users, interval_s):
    """One whole interval after the backfill, for the fleet and, at the same
    time, the single account: on time, CPU, RSS, requests per account."""
    sampler = b.Sampler(sb.proc.pid)
    sampler.start()
    try:
        t0 = time.time()
        last0, _, _ = snapshot(sb)
        req0 = v4_by_account(fake)
        time.sleep(interval_s)
        t1 = time.time()
        last1, _, m = snapshot(sb)
        req1 = v4_by_account(fake)
        cpu = sampler.cpu_between(t0, t1)
        rss = sorted(s[2]["VmRSS"] for s in sampler.samples if t0 <= s[0] <= t1)
        threads = sampler.samples[-1][2]["Threads"]
    finally:
        sampler.stop()
    gaps = sorted(last1.get(u, 0) - last0.get(u, 0) for u in users)
    moved = sum(1 for g in gaps if g > 0)
    on_time = sum(1 for g in gaps if 0 < g <= interval_s + 60)
    reqs = sorted(req1.get(u, 0) - req0.get(u, 0) for u in users)
    twin = req1.get(users[0], 0) - req0.get(users[0], 0)   # the same seed as SOLO
    return dict(twin=twin, wall=t1 - t0, cpu=cpu, rss=rss, threads=threads, moved=moved, on_time=on_time,
                max_gap=gaps[-1] if gaps else 0, reqs=reqs, series=len(m),
                solo=req1.get(SOLO, 0) - req0.get(SOLO, 0), solo_rss=b.proc_status(solo.proc.pid))


def bench_fleet(t, tools):
    users = names(ACCOUNTS)
    interval_s = INTERVAL_MIN * 60
    label = (f"{ACCOUNTS} accounts x {DAYS} days, SYNC_INTERVAL_MINUTES={INTERVAL_MIN}, "
             f"INTRADAY={INTRADAY}")
    h = harness.Harness()
    try:
        b.log(f"fleet: {label}: seeding tokens, starting ...")
        fake, vm, sb, solo = household(h, users, INTERVAL_MIN)
        start = time.time()
        sb.start()
        solo.start()
        sb.wait_http("/healthz", 200, timeout=60)
        wait_backfilled(sb, users, BACKFILL_TIMEOUT)
        wall = time.time() - start
        by = v4_by_account(fake)
        total = sum(v for k, v in by.items() if k != SOLO)
        t.add("fleet", "first backfill, every account", f"{wall / 60:.1f} min",
              f"{label}; {total:,} /v4 requests ({total / ACCOUNTS:.1f} an account; alone: "
              f"{by.get(SOLO, 0)}), {b.mib(b.proc_status(sb.proc.pid)['VmHWM'])} peak RSS")
        wait_backfilled(solo, [SOLO], 600)
        b.log(f"fleet: backfilled in {wall:.0f} s; watching one interval ({interval_s} s) ...")
        s = steady(sb, solo, fake, users, interval_s)
        rss = s["rss"][len(s["rss"]) // 2] if s["rss"] else 0
        goal = 64 * 1024 + 64 * ACCOUNTS
        t.add("fleet", "cycles on time", f"{s['on_time']} of {ACCOUNTS}",
              f"each account's last sync moved by at most interval + 60 s in one interval "
              f"({s['moved']} moved at all, the longest gap {s['max_gap']:.0f} s)")
        t.add("fleet", "RSS, steady state", b.mib(rss),
              (f"goal 64 MiB + 64 KiB an account = {b.mib(goal)}; min {b.mib(s['rss'][0])}, "
               f"max {b.mib(s['rss'][-1])}; {s['threads']} threads; one account alone: "
               f"{b.mib(s['solo_rss']['VmRSS'])}") if s["rss"] else "no samples")
        t.add("fleet", "CPU of the fleet's cycles", f"{100 * s['cpu'] / s['wall']:.2f} % of a core",
              f"{s['cpu']:.1f} s CPU in {s['wall']:.0f} s, {1000 * s['cpu'] / max(1, s['moved']):.1f} "
              "ms an account-cycle (goal: below 10 %)")
        r = s["reqs"]
        t.add("fleet", "/v4 requests per account-cycle", f"{r[len(r) // 2]} (median)",
              f"min {r[0]}, max {r[-1]} in one interval (the count follows each account's data: "
              f"pages); {users[0]}, whose data is that of the account alone in its own SyncBit: "
              f"{s['twin']}, the account alone: {s['solo']}")
        fleet_http(t, tools, h, sb, s["series"])
        sb.stop()
        solo.stop()
    except Exception as e:
        t.na("fleet", label, f"error: {str(e).splitlines()[0][:160]}")
        t.notes.append(f"fleet: {h.dump(15)}")
    finally:
        h.close()


def fleet_http(t, tools, h, sb, nseries):
    if not tools["wrk"]:
        t.na("fleet", "/metrics for the fleet", f"wrk not installed: {b.DEPS_HINT}")
        return
    body = sb.get("/metrics", timeout=60).body
    res = {"syncbit": b.wrk(sb.url("/metrics"), [sb.proc.pid])}
    b.wrk_row(t, "/metrics for the fleet: SyncBit", res["syncbit"],
              f"{len(body):,} B, {nseries:,} series (a cycle may overlap)")
    if tools["nginx"]:
        d = None
        try:
            proc, url, d = b.start_nginx(h, body)
            res["nginx"] = b.wrk(url, b.tree(proc.pid))
            b.wrk_row(t, "/metrics for the fleet: nginx static file", res["nginx"], "the same bytes")
            proc.kill()
        finally:
            if d:
                shutil.rmtree(d, ignore_errors=True)
        s, p = res["syncbit"], res["nginx"]
        t.add("fleet", "/metrics for the fleet: SyncBit / nginx", f"{s['rps'] / p['rps']:.2f}x req/s",
              f"goal >= 0.5x; p50 {s['p50'] / p['p50']:.2f}x, CPU/req "
              f"{s['cpu_us_req'] / p['cpu_us_req']:.2f}x")
