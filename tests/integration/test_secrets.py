"""No secret leaves SyncBit except into the token file, and the files it
writes are private.

SyncBit runs under umask 000 with a DATA_DIR that does not exist yet,
through --authorize (with refused callbacks, whose pages are kept), a
service run whose first API call finds the access token expired (a
refresh), a service run and a --once run after the fake revoked every
token (invalid_grant: the Fitbit fake's error body quotes the refresh
token back), with a remote write (basic auth) into VictoriaMetrics.

Then every output SyncBit produced (stdout and stderr of each run, the
log file, every DATA_DIR file but the token file, /metrics, /, /healthz,
/readyz, error pages of both servers, the callback's pages) is searched
for the client secret, the VictoriaMetrics password, their Basic-auth
forms, and every code and token the fake ever issued. DATA_DIR must be
0700, the token file and every other file 0600 (none world-writable), no
temporary file left. The Google source goes through the same, without
VictoriaMetrics."""

import base64
import json
import re
import secrets
import socket
import stat
import time
import urllib.parse
from datetime import date, timedelta

from harness import IntegrationTest, free_port, http, wait_until


def mode(p):
    return stat.S_IMODE(p.stat().st_mode)


def raw(port, data, timeout=5):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        try:
            s.sendall(data)
        except OSError:
            pass
        out = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except OSError:
            pass
        return out.decode("utf-8", "replace")


class Secrets(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.pages = []     # (what, text) of every answer SyncBit gave

    def keep(self, what, r):
        self.pages.append((what, "\n".join(f"{k}: {v}" for k, v in r.headers.items()) + "\n" + r.text))
        return r

    def umask000(self, sb):
        """Run sb under umask 000, with a DATA_DIR that does not exist yet."""
        wrapper = self.h.tmp / f"umask000-{sb.name}"
        wrapper.write_text(f'#!/bin/sh\numask 000\nexec "{sb.bin}" "$@"\n')
        wrapper.chmod(0o755)
        sb.bin = wrapper
        sb.data_dir = sb.dir / "fresh" / "data"
        sb.env["DATA_DIR"] = str(sb.data_dir)
        self.assertFalse(sb.data_dir.exists())

    def assert_umask000(self, proc):
        with open(f"/proc/{proc.pid}/status") as f:
            umask = [ln.split()[1] for ln in f if ln.startswith("Umask:")]
        if umask:       # Linux >= 4.7
            self.assertEqual(umask[0], "0000")

    def authorize_with_refusals(self, sb):
        """--authorize; before the genuine redirect, refused callbacks."""
        proc = sb.start("--authorize", stdin=True)
        pat = re.compile(r"^(https?://\S*client_id=\S+)\s*$", re.M)

        def auth_url():
            if not proc.alive():
                raise AssertionError(f"--authorize exited early:\n{proc.tail()}")
            m = pat.search(proc.stdout())
            return m.group(1) if m else None
        url = wait_until(auth_url, 20, "the authorization URL")
        r = http("GET", url, follow=False)
        self.assertEqual(r.status, 302, r.text)
        loc = r.header("Location").replace("localhost", "127.0.0.1")
        u = urllib.parse.urlsplit(loc)
        q = urllib.parse.parse_qs(u.query)
        code, state = q["code"][0], q["state"][0]
        base = f"http://127.0.0.1:{u.port}"
        wait_until(lambda: http("GET", base + "/", timeout=2), 10, "the callback listener")
        self.keep("callback wrong state", http("GET", f"{base}/callback?state=nope&code={code}"))
        self.keep("callback missing code", http("GET", f"{base}/callback?state={state}"))
        self.keep("callback two codes", http("GET", f"{base}/callback?state={state}&code={code}&code={code}"))
        self.keep("callback 404", http("GET", f"{base}/elsewhere?state={state}&code={code}"))
        self.keep("callback 405", http("POST", f"{base}/callback?state={state}&code={code}", data="x"))
        self.pages.append(("callback 414", raw(u.port, f"GET /callback?code={code}&state={state}&x="
                                                       .encode() + b"x" * 100_000 + b" HTTP/1.1\r\n\r\n")))
        proc.write(f"{base}/callback?state=wrong&code={code}\n")    # a wrong paste
        wait_until(lambda: "not the redirect" in proc.stderr(), 10, "the refusal of the paste")
        self.assertEqual(self.keep("callback genuine", http("GET", loc)).status, 200)
        self.assertEqual(proc.wait(20), 0, proc.tail())

    def scrape_everything(self, sb, port, what):
        for path in ("/metrics", "/", "/healthz", "/readyz", "/nope", "/metrics%00x", "/%2e%2e/"):
            self.keep(f"{what} GET {path}", http("GET", sb.url(path)))
        self.keep(f"{what} HEAD /metrics", http("HEAD", sb.url("/metrics")))
        self.keep(f"{what} POST /metrics", http("POST", sb.url("/metrics"), data="x"))
        self.pages.append((f"{what} 414", raw(port, b"GET /?" + b"q" * 100_000 + b" HTTP/1.1\r\n\r\n")))
        self.pages.append((f"{what} 431", raw(port, b"GET / HTTP/1.1\r\nX: " + b"h" * 100_000 + b"\r\n\r\n")))
        self.pages.append((f"{what} 505", raw(port, b"GET / HTTP/3.0\r\n\r\n")))

    def outputs(self, sb, token_file):
        """(what, text) of everything SyncBit wrote but the token file."""
        out = list(self.pages)
        for p in self.h.procs:
            if "syncbit" in p.name:
                out += [(f"{p.name} stdout", p.stdout()), (f"{p.name} stderr", p.stderr())]
        files = [f for f in sb.dir.rglob("*") if f.is_file()]
        self.assertIn(sb.data_dir / "syncbit.log", files)
        for f in files:
            if f != token_file:
                out.append((str(f), f.read_bytes().decode("utf-8", "replace")))
        return out

    def secrets_of(self, fake, client_id, client_secret):
        issued = fake.tokens()["issued"]
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        return [client_secret, basic, urllib.parse.quote(client_secret, safe="")] + issued, issued

    def assert_clean(self, outputs, secret_list):
        self.assertGreater(len(outputs), 20)
        for what, text in outputs:
            for s in secret_list:
                self.assertNotIn(s, text, f"a secret ({s[:6]}...) leaked into {what}")

    def assert_private(self, sb, token_file):
        self.assertEqual(mode(sb.data_dir), 0o700, "DATA_DIR")
        self.assertEqual(mode(token_file), 0o600, token_file)
        for f in sb.data_dir.rglob("*"):
            self.assertFalse(mode(f) & 0o002, f"{f} is world-writable ({oct(mode(f))})")
            if f.is_file():
                self.assertEqual(mode(f), 0o600, f"{f} is {oct(mode(f))}, not 0600")
            self.assertNotRegex(f.name, r"\.tmp", f"a temporary file is left: {f}")

    def test_fitbit(self):
        client_secret = "cs-" + secrets.token_hex(16)
        vm_password = "vm-" + secrets.token_hex(16)
        fake = self.h.fake_fitbit(now=time.time(), client_secret=client_secret,
                                  member_since=(date.today() - timedelta(days=5)).isoformat())
        vm = self.h.victoria()
        port = free_port()
        sb = self.h.syncbit(fake.env(), SYNC_INTERVAL_MINUTES="60",
                            LISTEN_ADDRESS=f"127.0.0.1:{port}", LOG_LEVEL="DEBUG",
                            VICTORIA_ENDPOINT=vm.write_url, VICTORIA_USER="syncbit",
                            VICTORIA_PASSWORD=vm_password)
        self.umask000(sb)
        token_file = sb.data_dir / "fitbit_tokens.json"
        state_file = sb.data_dir / "sync_state.json"

        self.authorize_with_refusals(sb)
        self.assert_private(sb, token_file)

        # a service run whose token has expired at the fake: one refresh
        fake.config(expire_access_token=True)
        proc = sb.start()
        sb.wait_http("/readyz", 200, timeout=30)
        self.assertGreaterEqual(fake.stats()["refreshes"], 1)
        self.assert_umask000(proc)
        wait_until(state_file.exists, 30, "sync_state.json (the backfill into VictoriaMetrics)")
        self.scrape_everything(sb, port, "service")
        self.assertEqual(sb.stop(), 0)

        # everything revoked: invalid_grant (the fake's error quotes the token)
        fake.config(revoke_all=True)
        sb.start()
        wait_until(lambda: "authorize" in sb.get("/readyz").text, 30, "/readyz naming --authorize")
        self.assertEqual(sb.get("/readyz").status, 503)
        self.scrape_everything(sb, port, "revoked")
        self.assertEqual(sb.stop(), 0)
        r = sb.run("--once", timeout=60)
        self.assertNotEqual(r.rc, 0)
        self.assertIn("--authorize", r.stderr)
        grants = [q for q in fake.requests() if q["path"] == "/oauth2/token"]
        self.assertTrue(any(q["error_type"] == "invalid_grant" for q in grants), grants)

        self.assert_private(sb, token_file)
        secret_list, issued = self.secrets_of(fake, fake.client_id, client_secret)
        secret_list += [vm_password, base64.b64encode(f"syncbit:{vm_password}".encode()).decode()]
        self.assertGreaterEqual(len(issued), 5)      # a code and two token pairs at least
        json.loads(state_file.read_text())           # valid, and searched below
        # the search can find them: the token file holds one of them
        self.assertIn(json.loads(token_file.read_text())["refresh_token"], issued)
        self.assert_clean(self.outputs(sb, token_file), secret_list)

    def test_google(self):
        client_secret = "GOCSPX-" + secrets.token_urlsafe(20)
        fake = self.h.fake("fake_google.py", "--client-secret", client_secret)
        cfg = fake.get("/_test/config")
        u = fake.url
        port = free_port()
        sb = self.h.syncbit({"SOURCE": "google", "GOOGLE_CLIENT_ID": cfg["client_id"],
                             "GOOGLE_CLIENT_SECRET": client_secret, "GOOGLE_HEALTH_API_URL": u,
                             "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
                             "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{free_port()}/callback",
                             "SYNC_INTERVAL_MINUTES": "60", "LISTEN_ADDRESS": f"127.0.0.1:{port}",
                             "LOG_LEVEL": "DEBUG"})
        self.umask000(sb)
        token_file = sb.data_dir / "google_tokens.json"
        self.authorize_with_refusals(sb)
        fake.config(expire_access_token=True)
        proc = sb.start()
        sb.wait_http("/readyz", 200, timeout=60)
        self.assert_umask000(proc)      # once the wrapper has exec'd syncbit
        self.assertGreaterEqual(fake.get("/_test/stats")["refreshes"], 1)
        self.scrape_everything(sb, port, "service")
        self.assertEqual(sb.stop(), 0)
        fake.config(revoke_all=True)
        r = sb.run("--once", timeout=60)
        self.assertNotEqual(r.rc, 0)
        self.assertIn("--authorize", r.stderr)
        self.assert_private(sb, token_file)
        secret_list, issued = self.secrets_of(fake, cfg["client_id"], client_secret)
        self.assertGreaterEqual(len(issued), 3)
        self.assert_clean(self.outputs(sb, token_file), secret_list)
