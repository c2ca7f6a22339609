"""Remote write against a real victoria-metrics (Debian 1.79.5).

SyncBit backfills from the fake Fitbit API through a small relay that plays a
flaky or strict receiver first and then forwards to VictoriaMetrics. The relay
records every request, so the tests assert what SyncBit sent (method, path,
the four remote-write headers, basic auth, no Expect) as well as what
VictoriaMetrics stored (exact values at the exact 23:59:59-local timestamps).
"""

import base64
import hashlib
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import IntegrationTest, http

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
