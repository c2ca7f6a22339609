"""Remote write against a real victoria-metrics (Debian 1.79.5).

SyncBit backfills from the fake Fitbit API through a small relay that plays a
flaky or strict receiver first and then forwards to VictoriaMetrics. The relay
records every request, so the tests assert what SyncBit sent (method, path,
the four remote-write headers, basic auth, no Expect) as well as what
VictoriaMetrics stored (exact values at the exact 23:59:59-local timestamps).

VictoriaMetricsRefuses runs the real victoria-metrics with the flags a user
gets wrong. What it answers (measured with curl against the Debian binary on
127.0.0.1, 2026-12):
- -httpAuth.username/-httpAuth.password and a wrong or no password: 401, body
  "\n", "Www-Authenticate: Basic realm=VictoriaMetrics" (any path);
- an unknown path (/api/v1/wirte, /): 400, body 'remoteAddr: "..."; requestURI:
  /api/v1/wirte; unsupported path requested: "/api/v1/wirte"';
- a body over -maxInsertRequestSize: 400 (not 413), body '...; too big packed
  request; mustn't exceed `-maxInsertRequestSize=200` bytes';
- a body that is no snappy: 400 '...; cannot decompress request with length 2:
  snappy: corrupt input' (a refusal of the samples themselves);
- /health answers 200 without credentials.
None of these is a delivery: the history must arrive once the config is fixed.
"""

import base64
import hashlib
import json
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import IntegrationTest, http, parse_metrics, wait_until

SECRET = "vm-pw-0123456789-secret"


class Relay:
    """POST /api/v1/write on 127.0.0.1: answers the scripted (status, body,
    headers) steps in order, then forwards to target and relays its answer."""

    def __init__(self, target, script=()):
        self.target, self.script = target, list(script)
        self.requests, self.lock = [], threading.Lock()
        relay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                rec = {"path": self.path, "len": len(body),
                       "sha": hashlib.sha256(body).hexdigest(),
                       "headers": {k.lower(): v for k, v in self.headers.items()}}
                with relay.lock:
                    i = len(relay.requests)
                    relay.requests.append(rec)
                    step = relay.script[i] if i < len(relay.script) else None
                if step is None:
                    fwd = {k: self.headers[k] for k in ("Content-Encoding", "Content-Type",
                                                        "X-Prometheus-Remote-Write-Version")}
                    r = http("POST", relay.target, body, fwd, timeout=30)
                    step = (r.status, r.body, {})
                status, payload, extra = step
                rec["status"] = status
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.srv.daemon_threads = True
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}/api/v1/write"

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class RemoteWriteVMTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(seed=11)
        self.vm = self.h.victoria()
        self.last = date.fromisoformat(self.fake.truth(date.today())["date"]) - timedelta(days=1)
        self.first = self.last - timedelta(days=9)

    def relay(self, script=()):
        r = Relay(self.vm.write_url, script)
        self.addCleanup(r.close)
        return r

    def backfill(self, relay, **env):
        sb = self.h.syncbit(self.fake.env(), VICTORIA_ENDPOINT=relay.url, FITBIT_USER_ID="alice",
                            **env)
        self.assertEqual(sb.authorize().rc, 0)
        r = sb.run("--backfill", "--from", self.first.isoformat(), "--to", self.last.isoformat(),
                   timeout=120)
        return sb, r

    def assert_protocol(self, req, auth=None):
        h = req["headers"]
        self.assertEqual(req["path"], "/api/v1/write")
        self.assertEqual(h.get("content-encoding"), "snappy")
        self.assertEqual(h.get("content-type"), "application/x-protobuf")
        self.assertEqual(h.get("x-prometheus-remote-write-version"), "0.1.0")
        self.assertTrue(h.get("user-agent", "").startswith("syncbit/"), h.get("user-agent"))
        self.assertNotIn("expect", h)
        self.assertEqual(h.get("authorization"), auth)
        self.assertGreater(req["len"], 0)

    def test_retries_then_exact_samples_in_vm(self):
        relay = self.relay([(503, b"overloaded", {}),
                            (429, b"slow down", {"Retry-After": "0"})])
        auth = "Basic " + base64.b64encode(f"writer:{SECRET}".encode()).decode()
        sb, r = self.backfill(relay, VICTORIA_USER="writer", VICTORIA_PASSWORD=SECRET)
        self.assertEqual(r.rc, 0, r)

        with relay.lock:
            reqs = list(relay.requests)
        self.assertGreaterEqual(len(reqs), 3)
        self.assertEqual([q["status"] for q in reqs[:2]], [503, 429])
        self.assertTrue(all(200 <= q["status"] < 300 for q in reqs[2:]), [q["status"] for q in reqs])
        for q in reqs:
            self.assert_protocol(q, auth)
        # a retry resends the very same batch
        self.assertEqual(reqs[0]["sha"], reqs[1]["sha"])
        self.assertEqual(reqs[1]["sha"], reqs[2]["sha"])

        steps = {t: v for _, labels, t, v in self.vm.samples('fitbit_steps_total{user="alice"}')}
        active = self.vm.samples('fitbit_active_minutes{user="alice"}')
        d = self.first
        while d <= self.last:
            truth = self.fake.truth(d)
            ts = truth["timestamp_ms"]
            self.assertEqual(steps.get(ts), truth["fitbit_steps_total"], d)
            for kind, v in truth["fitbit_active_minutes"].items():
                self.assertIn(("fitbit_active_minutes", {"type": kind, "user": "alice"}, ts, v),
                              active, (d, kind))
            d += timedelta(days=1)
        self.assertEqual(len(steps), (self.last - self.first).days + 1)
        # every remote-written series carries user and nothing of a scrape
        for s in self.vm.export('{__name__=~"fitbit_.+"}'):
            self.assertEqual(s["metric"].get("user"), "alice", s["metric"])
            self.assertNotIn("job", s["metric"])

        log = sb.log() + r.stderr
        self.assertIn("remote write failed, will retry", log)
        self.assertIn("status=503", log)
        self.assertNotIn(SECRET, log)

    def test_rejected_batch_is_not_retried_and_body_is_capped(self):
        body = ("bad sample: " + "x" * 400 + " SECRET-IN-BODY-42\r\n").encode()
        relay = self.relay([(400, body, {})])
        sb, r = self.backfill(relay)
        with relay.lock:
            reqs = list(relay.requests)
        self.assertGreaterEqual(len(reqs), 1)
        self.assert_protocol(reqs[0])
        self.assertEqual(reqs[0]["status"], 400)
        # the refused batch is not sent again; the others still go through
        self.assertNotIn(reqs[0]["sha"], [q["sha"] for q in reqs[1:]], "a 400 was retried")
        self.assertTrue(all(200 <= q["status"] < 300 for q in reqs[1:]))
        log = sb.log() + r.stderr
        self.assertIn('msg="remote write rejected" status=400 body="bad sample: xxx', log)
        self.assertNotIn("SECRET-IN-BODY-42", log)


ZONE = "Europe/Berlin"
HISTORY_DAYS = 40
VM_AUTH = ("writer", SECRET)
WRONG = "wrong-pw-9876543210"


def day_end_ms(d, zone):
    return int(datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=ZoneInfo(zone)).timestamp() * 1000)


class VictoriaMetricsRefuses(IntegrationTest):
    """A refusal of the endpoint (credentials, path, size) is not a delivery:
    /readyz says what to fix, nothing is recorded as sent, and once the
    config is right every day of history arrives."""

    def setup(self, *vm_flags, auth=None, **env):
        self.today = datetime.now(ZoneInfo(ZONE)).date()
        self.since = self.today - timedelta(days=HISTORY_DAYS)
        self.fake = self.h.fake_fitbit(now=time.time(), timezone=ZONE,
                                       member_since=self.since.isoformat())
        self.vm = self.h.victoria(*vm_flags, auth=auth)
        self.sb = self.h.syncbit(self.fake.env(), FITBIT_USER_ID="bob", COLLECT="activity,heart",
                                 **env)
        self.assertEqual(self.sb.authorize().rc, 0)

    def steps_in_vm(self):
        return {t: v for _, _, t, v in self.vm.samples('fitbit_steps_total{user="bob"}')}

    def assert_every_day(self):
        """Every day from the account's start to yesterday, equal to the truth."""
        got = self.steps_in_vm()
        cardio = {t: v for _, _, t, v in
                  self.vm.samples('fitbit_heart_rate_zone_minutes{user="bob",zone="cardio"}')}
        d, with_zones = self.since, 0
        while d < self.today:
            ts, truth = day_end_ms(d, ZONE), self.fake.truth(d)
            self.assertIn(ts, got, f"{d} never arrived")
            self.assertEqual(got[ts], truth["fitbit_steps_total"], str(d))
            if "fitbit_heart_rate_zone_minutes" in truth:   # heart: the last kind
                with_zones += 1
                self.assertEqual(cardio.get(ts), truth["fitbit_heart_rate_zone_minutes"]["cardio"],
                                 str(d))
            d += timedelta(days=1)
        self.assertEqual(len(got), (self.today - self.since).days)
        self.assertEqual(len(cardio), with_zones)
        self.assertGreater(with_zones, HISTORY_DAYS // 2)

    def assert_refused_service(self, reason, **env):
        """The service with a wrong config: /readyz 503 names the fix, /metrics
        serves today's values, nothing reached VictoriaMetrics or
        sync_state.json; one log line says it."""
        self.sb.start(env=env)
        r = self.sb.wait_http("/readyz", 503, timeout=60, text="VictoriaMetrics")
        self.assertEqual(r.text.strip(), reason)
        m = parse_metrics(self.sb.get("/metrics").text)
        self.assertEqual(m.get('fitbit_steps_total{user="bob"}'),
                         self.fake.truth("today")["fitbit_steps_total"])
        self.assertEqual(m.get("syncbit_remote_write_refused"), 1)
        self.assertEqual(self.sb.get("/healthz").status, 200)
        self.assertEqual(self.sb.stop(timeout=10), 0)
        self.assertEqual(self.steps_in_vm(), {})
        state = self.sb.data_dir / "sync_state.json"
        if state.exists():
            js = json.loads(state.read_text())
            self.assertEqual(js.get("kinds", {}), {}, "a cursor moved past a refusal")
            self.assertEqual(js.get("recent", {}), {}, "a refused day is recorded as sent")
        log = self.sb.log()
        self.assertEqual(log.count(f'msg="{reason}"'), 1, log[-3000:])
        self.assertNotIn('msg="remote write rejected"', log)
        self.assertNotIn(SECRET, log)
        self.assertNotIn(WRONG, log)

    def test_wrong_password_then_right_one_every_day_arrives(self):
        self.setup(auth=VM_AUTH, VICTORIA_USER="writer")
        self.sb.env["VICTORIA_ENDPOINT"] = self.vm.write_url
        self.assert_refused_service("VictoriaMetrics refuses our writes: 401, "
                                    "check VICTORIA_USER/VICTORIA_PASSWORD",
                                    VICTORIA_PASSWORD=WRONG)
        # restarted with the right password: the whole history arrives
        self.sb.start(env={"VICTORIA_PASSWORD": SECRET})
        wait_until(lambda: len(self.steps_in_vm()) == HISTORY_DAYS, 120, "the history in VM",
                   interval=1)
        self.sb.wait_http("/readyz", 200, timeout=30)
        self.assertEqual(parse_metrics(self.sb.get("/metrics").text).get("syncbit_remote_write_refused"), 0)
        self.assertEqual(self.sb.stop(timeout=10), 0)
        self.assert_every_day()
        self.assertNotIn(SECRET, self.sb.log())

    def test_wrong_path_then_right_one_every_day_arrives(self):
        self.setup()
        self.assert_refused_service("VictoriaMetrics refuses our writes: 400 unsupported path, "
                                    "check the VICTORIA_ENDPOINT path (/api/v1/write)",
                                    VICTORIA_ENDPOINT=self.vm.url + "/api/v1/wirte")
        r = self.sb.run("--once", env={"VICTORIA_ENDPOINT": self.vm.write_url}, timeout=120)
        self.assertEqual(r.rc, 0, r)
        self.assert_every_day()

    def test_basic_auth_against_real_vm(self):
        self.setup(auth=VM_AUTH, VICTORIA_USER="writer", VICTORIA_PASSWORD=SECRET)
        # the VM really checks: no credentials, no write
        self.assertEqual(http("POST", self.vm.write_url, b"x").status, 401)
        r = self.sb.run("--once", env={"VICTORIA_ENDPOINT": self.vm.write_url}, timeout=120)
        self.assertEqual(r.rc, 0, r)
        self.assert_every_day()
        self.assertNotIn(SECRET, self.sb.log() + r.stderr)

    def test_too_big_batches_are_split_until_they_fit(self):
        # VM answers 400 "too big packed request" (not 413) over the limit
        self.setup("-maxInsertRequestSize=300")
        r = self.sb.run("--once", env={"VICTORIA_ENDPOINT": self.vm.write_url}, timeout=120)
        self.assertEqual(r.rc, 0, r)
        self.assertIn('msg="remote write batch too big, splitting"', r.stderr)
        self.assert_every_day()

    def test_one_sample_too_big_is_a_config_error(self):
        self.setup("-maxInsertRequestSize=20")
        r = self.sb.run("--once", env={"VICTORIA_ENDPOINT": self.vm.write_url}, timeout=120)
        self.assertNotEqual(r.rc, 0, r)
        self.assertIn("VictoriaMetrics refuses our writes: one sample is too big for it, "
                      "raise its -maxInsertRequestSize", r.stderr)
        self.assertEqual(self.steps_in_vm(), {})
        self.assertNotIn('msg="remote write rejected"', r.stderr)
