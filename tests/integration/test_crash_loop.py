"""Crash consistency (issue 7 part 2): SyncBit is killed with SIGKILL at
random moments, over a hundred times, across token refreshes and the
backfill, and restarted each time. After every kill the token file is JSON
holding a refresh token the API still accepts, and sync_state.json (when
present) is JSON; at the end every day of the history is in
VictoriaMetrics with the fake's values.

The token-loss window. The legacy fake's refresh tokens are strictly
single use: a refresh the fake answered but whose answer SyncBit never
saved (killed while the answer travelled) would leave a dead token on
disk. Fitbit documented the answer to that: "If a client makes identical
refresh token requests within a two-minute period, the Fitbit Web API will
return the same response. This is to assist applications unable to
coordinate the refresh token flow between processes."
(dev.fitbit.com/build/reference/web-api/oauth2/#refreshing-tokens, quoted
by Fitbit client libraries; the current pages only say "can only be used
once"). The fake does not model that replay, so the token endpoint is
reached here through ReplayProxy, which adds exactly that in front of the
fake: the fake stays the judge of which refresh token is alive, the proxy
answers a repeated request for a token it saw refreshed less than 120 s
ago with the same answer (and only while that answer's pair is still the
fake's active one). Every token request that reaches the proxy is carried
out by the fake even when SyncBit is gone meanwhile (a real server does
not notice the client died), which makes every kill during a refresh the
bad case. TokenLossWindow pins the window down in both worlds;
GracefulStop shows SyncBit opening it itself on SIGTERM (a known bug, see
there).

CRASH_SEED=N makes the same random choices again (the timing still varies);
CRASH_KILLS (default 110) sets the number of kills.
"""

import http.client
import json
import os
import random
import re
import signal
import subprocess
import threading
import time
import urllib.parse
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

from harness import IntegrationTest, wait_until

ZONE = "Europe/Berlin"
# three years of history: 2 chunks per daily kind (1095 days), 4 of heart
# (366), so that the backfill lasts through most of the kills
DAYS = 1100
REPLAY_WINDOW = 120       # s, Fitbit's documented two minutes
TOKEN_FILE = "fitbit_tokens.json"
STATE_FILE = "sync_state.json"
# a history (range) request of the legacy API: two dates in the path
RANGE_RE = re.compile(r"/date/(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})\.json$")


class ReplayProxy:
    """The fake's /oauth2/token behind Fitbit's documented replay of a
    repeated refresh request (module docstring); everything else is passed
    through. Runs in the test process; every counter is under self.lock."""

    def __init__(self, fake, window=REPLAY_WINDOW, replay=True):
        self.fake, self.window, self.replay = fake, window, replay
        up = urllib.parse.urlsplit(fake.url)
        self.up_host, self.up_port = up.hostname, up.port
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.answers = {}       # refresh token -> (time, body bytes, new refresh token)
        self.inflight = set()   # refresh tokens being refreshed upstream now
        self.active = 0         # requests being handled
        self.refresh_requests = 0
        self.replays = 0
        self.drop_answers = 0   # refresh answers to lose on the wire

        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with proxy.lock:
                    proxy.active += 1
                try:
                    status, out, ctype = proxy.handle(self.path, body, self.headers)
                finally:
                    with proxy.cond:
                        proxy.active -= 1
                        proxy.cond.notify_all()
                if status is None:      # the connection dies, no answer
                    self.close_connection = True
                    return
                try:  # SyncBit may be dead by now: its answer is lost
                    self.send_response(status)
                    self.send_header("Content-Type", ctype)
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except OSError:
                    self.close_connection = True

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass    # a client killed mid-request: expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def forward(self, path, body, headers):
        c = http.client.HTTPConnection(self.up_host, self.up_port, timeout=60)
        try:
            hdrs = {k: v for k, v in headers.items()
                    if k.lower() in ("authorization", "content-type", "accept")}
            c.request("POST", path, body, hdrs)
            r = c.getresponse()
            return r.status, r.read(), r.getheader("Content-Type") or "application/json"
        finally:
            c.close()

    def fresh_answer(self, tok):
        """The remembered answer to a refresh of tok, if within the window."""
        a = self.answers.get(tok)
        return a if a and time.time() - a[0] < self.window else None

    def handle(self, path, body, headers):
        form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        tok = form.get("refresh_token", [""])[0]
        if not (path.startswith("/oauth2/token") and
                form.get("grant_type", [""])[0] == "refresh_token" and tok):
            return self.forward(path, body, headers)
        with self.cond:
            self.refresh_requests += 1
            # one refresh of a token at a time: a repeat waits for the first
            while tok in self.inflight:
                self.cond.wait(60)
            a = self.fresh_answer(tok) if self.replay else None
            if a is None:
                self.inflight.add(tok)
        if a is not None:
            # only while the pair it names is the one the fake holds alive
            if a[2] == self.fake.stats()["refresh_token"]:
                with self.lock:
                    self.replays += 1
                return 200, a[1], "application/json"
            return self.forward(path, body, headers)
        try:
            status, out, ctype = self.forward(path, body, headers)
            if status == 200:
                new = json.loads(out).get("refresh_token")
                with self.lock:
                    self.answers[tok] = (time.time(), out, new)
                    if self.drop_answers > 0:
                        self.drop_answers -= 1
                        return None, None, None
            return status, out, ctype
        finally:
            with self.cond:
                self.inflight.discard(tok)
                self.cond.notify_all()

    def settle(self, timeout=30):
        """Wait until no token request is being handled (the fake has
        decided every refresh SyncBit started)."""
        with self.cond:
            end = time.monotonic() + timeout
            while self.active:
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError("token requests still in flight")
                self.cond.wait(left)

    def acceptance(self, tok):
        """'current': the fake's live refresh token; 'replay': spent, but a
        repeat of its refresh gets the live pair (the documented replay);
        None: dead, the user's authorization is lost."""
        cur = self.fake.stats()["refresh_token"]
        if tok == cur:
            return "current"
        with self.lock:
            a = self.fresh_answer(tok) if self.replay else None
        return "replay" if a is not None and a[2] == cur else None


def day_end_ms(d):
    return int(datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=ZoneInfo(ZONE)).timestamp() * 1000)


# the daily series SyncBit sends for COLLECT=activity,heart
CORE = {"fitbit_steps_total", "fitbit_distance_km", "fitbit_calories_total",
        "fitbit_floors_total", "fitbit_elevation_meters", "fitbit_active_minutes",
        "fitbit_resting_heart_rate_bpm", "fitbit_heart_rate_zone_minutes"}


def truth_series(truth):
    """{(metric, label pair or None): value} of a day's truth, CORE only."""
    out = {}
    for name, v in truth.items():
        if name not in CORE:
            continue
        if isinstance(v, dict):
            lname = "zone" if "zone" in name else "type"
            for lab, x in v.items():
                out[(name, (lname, lab))] = float(x)
        else:
            out[(name, None)] = float(v)
    return out


def dead_pid():
    """A pid no process has now: a child that has exited."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def is_history(path, today):
    """A backfill request: a range starting well before the recent days."""
    m = RANGE_RE.search(path)
    return m is not None and date.fromisoformat(m.group(1)) < today - timedelta(days=10)


def refresh_due(tok, slack=2):
    """SyncBit's refresh-ahead rule (oauth.c refresh_due): due min(300 s,
    half the lifetime) before expiry, not within 60 s of the token's
    issue; an expired token at once. Within `slack` s counts as due."""
    now, life = time.time(), tok.get("expires_in", 0)
    ahead = min(300, life / 2) if life > 0 else 300
    left = tok["expires_at"] - now
    if left <= slack:
        return True
    issued = tok["expires_at"] - life if life > 0 else 0
    return left <= ahead + slack and now + slack >= issued + 60


def history_pending(state_path, today):
    """Some history kind's cursor is not yet at the recent days."""
    try:
        kinds = json.loads(state_path.read_text()).get("kinds", {})
    except FileNotFoundError:
        return True
    return len(kinds) < 10 or any(date.fromisoformat(k["next"]) < today - timedelta(days=10)
                                  for k in kinds.values())


def setup(test, replay=True, with_vm=True, **fake_opts):
    """A fake with DAYS of history, its token endpoint behind a
    ReplayProxy, maybe a VictoriaMetrics, and an authorized SyncBit."""
    today = datetime.now(ZoneInfo(ZONE)).date()
    since = today - timedelta(days=DAYS)
    fake = test.h.fake_fitbit(now=time.time(), timezone=ZONE, member_since=since.isoformat(),
                              **fake_opts)
    proxy = ReplayProxy(fake, replay=replay)
    test.addCleanup(proxy.close)
    vm = test.h.victoria() if with_vm else None
    env = dict(fake.env(), FITBIT_TOKEN_URL=proxy.url + "/oauth2/token")
    sb = test.h.syncbit(env, VICTORIA_ENDPOINT=vm.write_url if vm else None,
                        FITBIT_USER_ID="kim", COLLECT="activity,heart", INTRADAY="off",
                        SYNC_INTERVAL_MINUTES="1")
    r = sb.authorize()
    test.assertEqual(r.rc, 0, r)
    return fake, proxy, vm, sb, today, since


class CrashLoop(IntegrationTest):
    def test_sigkill_loop_keeps_token_and_history(self):
        seed = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(1 << 32))
        kills = int(os.environ.get("CRASH_KILLS", "110"))
        rng = random.Random(seed)
        print(f"# crash loop: seed={seed} (CRASH_SEED={seed} reproduces it), kills={kills}")
        t0 = time.monotonic()
        fake, proxy, vm, sb, today, since = setup(self, latency_ms=40, rate_limit=1000000)
        tok_path, state_path = sb.data_dir / TOKEN_FILE, sb.data_dir / STATE_FILE
        tally = dict.fromkeys(("random", "refresh", "history", "in_refresh", "in_history",
                               "history_done", "token_current", "token_replayable",
                               "state_checked", "cursor_moves", "tmp_left"), 0)
        kinds_before = None
        seq = fake.requests()[-1]["seq"]
        for i in range(kills):
            latency = rng.choice((20, 40, 80, 120))
            # which side of the fake's work the wait is on; how long the
            # tokens the fake issues next live (60 s: SyncBit refreshes
            # 30 s before expiry, half the lifetime, at most once a minute)
            fake.config(latency_ms=latency, latency_mode=rng.choice(("before", "after")),
                        token_lifetime=rng.choice((60, 303, 28800)))
            mode = rng.choice(("random", "refresh", "history"))
            if mode == "history" and not history_pending(state_path, today):
                mode = "random"
                tally["history_done"] += 1
            expire = rng.random() < 0.2
            if mode == "refresh" and not refresh_due(json.loads(tok_path.read_text())):
                expire = True   # no refresh due otherwise
            if expire:
                fake.config(expire_access_token=True)       # the 401 path
            tally[mode] += 1
            refreshes0 = proxy.refresh_requests
            p = sb.start()
            if mode == "random":
                time.sleep(rng.uniform(0, 0.4))
            else:
                def seen():
                    nonlocal seq
                    if mode == "refresh":
                        return proxy.refresh_requests > refreshes0
                    reqs = fake.requests(since=seq)
                    if reqs:
                        seq = reqs[-1]["seq"]
                    return any(is_history(q["path"], today) for q in reqs)
                try:
                    wait_until(seen, 5, f"a {mode} request", interval=0.005)
                    tally["in_" + mode] += 1
                except TimeoutError:
                    pass    # kill anyway
                time.sleep(rng.uniform(0, 1.5 * latency / 1000))
            self.assertTrue(p.alive(), f"kill {i}: SyncBit ended on its own:\n{p.tail()}")
            p.kill()
            self.assertEqual(p.p.returncode, -signal.SIGKILL)
            proxy.settle()      # every refresh SyncBit began is decided
            # the token file: JSON with a refresh token the API still takes
            self.assertEqual(tok_path.stat().st_mode & 0o777, 0o600)
            tok = json.loads(tok_path.read_text())
            self.assertIsInstance(tok.get("access_token"), str)
            self.assertIsInstance(tok.get("expires_at"), (int, float))
            how = proxy.acceptance(tok.get("refresh_token"))
            self.assertIsNotNone(how, f"kill {i} (seed {seed}): the refresh token on disk is dead")
            tally["token_" + ("current" if how == "current" else "replayable")] += 1
            if state_path.exists():
                st = json.loads(state_path.read_text())
                self.assertEqual(st.get("version"), 1)
                tally["state_checked"] += 1
                tally["cursor_moves"] += st.get("kinds") != kinds_before
                kinds_before = st.get("kinds")
            left = [f.name for f in sb.data_dir.iterdir() if ".tmp." in f.name]
            tally["tmp_left"] = max(tally["tmp_left"], len(left))
            if left and os.environ.get("CRASH_DEBUG"):
                for n in left:
                    t = (sb.data_dir / n).read_text()
                    live = fake.stats()["refresh_token"]
                    print(f"# kill {i}: left {n} {len(t)} bytes live={live in t} disk_live={tok['refresh_token'] == live}")
            self.h.procs.remove(p)  # checked: keep failure reports short
        loop_s = time.monotonic() - t0
        # the loop did its job: kills inside refreshes and inside the history
        self.assertGreater(tally["token_replayable"], 0, f"seed {seed}: no kill in a refresh")
        self.assertGreater(tally["in_history"], kills // 20, f"seed {seed}: {tally}")
        # let it finish: no latency, long-lived tokens
        fake.config(latency_ms=0, token_lifetime=28800)
        r = sb.run("--once", timeout=120)
        self.assertEqual(r.rc, 0, r)
        tok = json.loads(tok_path.read_text())
        self.assertEqual(proxy.acceptance(tok["refresh_token"]), "current")
        # what kills between a temporary file and its rename left is gone
        self.assertEqual([f.name for f in sb.data_dir.iterdir() if ".tmp." in f.name], [])
        self.check_history(fake, vm, today, since)
        print(f"# crash loop: {kills} kills in {loop_s:.1f} s (all: {time.monotonic() - t0:.1f} s); "
              f"{json.dumps(tally)}; the fake refreshed {fake.stats()['refreshes']} times, "
              f"{proxy.replays} answers replayed")

    def check_history(self, fake, vm, today, since):
        got = {}
        for name, labels, ts, v in vm.samples('{user="kim"}'):
            if not name.startswith("fitbit_"):
                continue
            labels = {k: x for k, x in labels.items() if k != "user"}
            key = (name, next(iter(labels.items())) if labels else None)
            if (key, ts) in got:
                self.fail(f"two samples of {key} at {ts}")
            got[(key, ts)] = v
        d, n = since, 0
        while d < today:
            ts = day_end_ms(d)
            for key, want in truth_series(fake.truth(d)).items():
                if (key, ts) not in got:
                    self.fail(f"{key} missing on {d}")
                self.assertEqual(got[(key, ts)], want, f"{key} on {d}")
                n += 1
            d += timedelta(days=1)
        self.assertGreater(n, DAYS * 10)


class TokenLossWindow(IntegrationTest):
    """SyncBit killed after the API rotated the refresh token and before
    the answer reached it: the window no client can close on its own."""

    def kill_while_the_answer_travels(self, replay):
        fake, proxy, _, sb, _, _ = setup(self, replay=replay, with_vm=False)
        tok_path = sb.data_dir / TOKEN_FILE
        before = json.loads(tok_path.read_text())
        # the API does its work at once and answers 2 s later
        fake.config(latency_ms=2000, latency_mode="after", expire_access_token=True)
        p = sb.start()
        wait_until(lambda: fake.stats()["refreshes"] == 1, 30, "the fake's rotation")
        self.assertTrue(p.alive())
        p.kill()
        proxy.settle()
        on_disk = json.loads(tok_path.read_text())
        # the file is intact but holds the spent token: the window is real
        self.assertEqual(on_disk, before)
        self.assertNotEqual(on_disk["refresh_token"], fake.stats()["refresh_token"])
        fake.config(latency_ms=0)
        return fake, proxy, sb, tok_path, on_disk

    def test_restart_within_two_minutes_gets_the_same_answer(self):
        fake, proxy, sb, tok_path, old = self.kill_while_the_answer_travels(replay=True)
        self.assertEqual(proxy.acceptance(old["refresh_token"]), "replay")
        r = sb.run("--once", timeout=60)
        self.assertEqual(r.rc, 0, r)
        now = json.loads(tok_path.read_text())
        self.assertEqual(now["refresh_token"], fake.stats()["refresh_token"])
        self.assertEqual(proxy.replays, 1)
        self.assertEqual(fake.stats()["refreshes"], 1, "the replay must not rotate again")

    def test_kill_between_the_temporary_file_and_the_rename(self):
        # the refreshed pair is in fitbit_tokens.json.tmp.PID.N, complete,
        # and the token file still holds the spent one: the next start
        # finishes that save (strict tokens: nothing else would save it)
        fake, proxy, _, sb, _, _ = setup(self, replay=False, with_vm=False)
        tok_path = sb.data_dir / TOKEN_FILE
        spent = json.loads(tok_path.read_text())
        live = fake.mint_tokens()           # the fake rotates: spent is dead
        dead = dead_pid()
        leftover = sb.data_dir / f"{TOKEN_FILE}.tmp.{dead}.0"
        leftover.write_text(json.dumps({
            "access_token": live["access_token"], "refresh_token": live["refresh_token"],
            "expires_at": int(time.time()) + live["expires_in"], "scope": live["scope"],
            "user_id": live["user_id"]}))
        leftover.chmod(0o600)
        self.assertIsNone(proxy.acceptance(spent["refresh_token"]))
        r = sb.run("--once", timeout=60)
        self.assertEqual(r.rc, 0, r)
        self.assertIn("finished a save a crash had interrupted", r.stderr)
        self.assertEqual(proxy.acceptance(json.loads(tok_path.read_text())["refresh_token"]),
                         "current")
        self.assertFalse(leftover.exists())
        self.assertEqual(tok_path.stat().st_mode & 0o777, 0o600)

    def test_answer_lost_on_the_wire_is_asked_again(self):
        # no kill: the connection breaks after the fake rotated; SyncBit's
        # retry repeats the request and gets the same answer
        fake, proxy, _, sb, _, _ = setup(self, with_vm=False)
        fake.config(expire_access_token=True)
        proxy.drop_answers = 1
        r = sb.run("--once", timeout=60)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(proxy.replays, 1)
        self.assertEqual(fake.stats()["refreshes"], 1)
        now = json.loads((sb.data_dir / TOKEN_FILE).read_text())
        self.assertEqual(now["refresh_token"], fake.stats()["refresh_token"])

    def test_without_the_replay_the_user_must_authorize_again(self):
        # strictly single-use tokens (the fake alone): the authorization is
        # lost; SyncBit must say so once, keep the file, not hammer the API
        fake, proxy, sb, tok_path, old = self.kill_while_the_answer_travels(replay=False)
        self.assertIsNone(proxy.acceptance(old["refresh_token"]))
        attempts = fake.stats()["refresh_attempts"]
        r = sb.run("--once", timeout=60)
        self.assertNotEqual(r.rc, 0)
        self.assertIn("--authorize", r.stderr)
        self.assertEqual(json.loads(tok_path.read_text()), old)
        self.assertEqual(fake.stats()["refresh_attempts"], attempts + 1)
        p = sb.start()
        r = sb.wait_http("/readyz", 503, timeout=30, text="authorize")
        self.assertIn("authorize", r.text)
        time.sleep(1)
        self.assertEqual(fake.stats()["refresh_attempts"], attempts + 2)
        self.assertEqual(sb.stop(), 0)


class GracefulStop(IntegrationTest):
    # A shutdown aborts every transfer in flight but the token POST
    # (httpc_req.finish_on_quit): the API has acted on it already.
    def test_sigterm_during_a_refresh_keeps_its_answer(self):
        # SIGTERM (docker stop, a rolling update) while the refresh answer
        # travels: the API has rotated already, so dropping the answer to
        # stop sooner loses the authorization (no replay here: the next
        # start may be hours later, past Fitbit's two minutes)
        fake, proxy, _, sb, _, _ = setup(self, replay=False, with_vm=False)
        fake.config(latency_ms=1500, latency_mode="after", expire_access_token=True)
        sb.start()
        wait_until(lambda: fake.stats()["refreshes"] == 1, 30, "the fake's rotation")
        self.assertEqual(sb.stop(timeout=20), 0)
        proxy.settle()
        on_disk = json.loads((sb.data_dir / TOKEN_FILE).read_text())
        self.assertEqual(proxy.acceptance(on_disk["refresh_token"]), "current")
