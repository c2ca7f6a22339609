"""Hostile clients against SyncBit's two HTTP servers, on loopback only and
bounded in time.

/metrics server: oversized request lines and headers (414/431), unknown
methods (405 without reading an announced body), path tricks (404, and a
%00 never cuts a path short), HTTP/1.0, pipelining, slowloris (one address:
the per-address limit; several addresses filling every slot: the deadline
for a complete request frees them), and a flood of a few hundred
concurrent connections. After each: the process is up, /metrics answers
200 with every series, its RSS stays bounded, its descriptors come back,
and the log does not grow with the attack.

OAuth callback (syncbit --authorize): exactly one request with our state
and a code completes the authorization; everything else (wrong, partial,
repeated or NUL-extended state, missing or repeated code, a forged
error=access_denied, other paths and methods, replays after success, a
slowloris) is refused with a clear page and changes nothing.

Slow clients come from 127.0.0.2-127.0.0.5 (Linux routes all of 127/8 to
lo), scrapes from 127.0.0.1, as an attacker and a scraper would be
distinct hosts."""

import os
import re
import socket
import threading
import time
import urllib.parse

from harness import IntegrationTest, http, syncbit_binary, wait_until

def sanitized():
    """A build under AddressSanitizer or ThreadSanitizer (make asan/tsan):
    their allocators keep freed memory, so RSS says nothing there."""
    try:
        data = syncbit_binary().read_bytes()
    except Exception:   # noqa: BLE001 - a missing binary skips later anyway
        return False
    return b"__asan_init" in data or b"__tsan_init" in data


# generous: the servers hold 32 KiB per connection at most
RSS_GROWTH_MAX_KB = (512 if sanitized() else 32) * 1024


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def nfds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def raw(port, data, src="127.0.0.1", timeout=5, host="127.0.0.1"):
    """Send data on a new connection, read until the server closes it or
    timeout; the bytes received (b"" when closed without an answer)."""
    s = socket.socket()
    try:
        s.bind((src, 0))
        s.settimeout(timeout)
        s.connect((host, port))
        try:
            s.sendall(data)
        except OSError:
            pass    # the server may answer and close before reading it all
        out = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                break
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


def statuses(data):
    """The status codes of the HTTP/1.x responses in data, in order."""
    return [int(m) for m in re.findall(rb"(?m)^HTTP/1\.[01] (\d{3}) ", data)]


def can_bind(addr):
    s = socket.socket()
    try:
        s.bind((addr, 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Slowloris:
    """n connections per source address, each sending an incomplete request
    and then one header byte every `every` seconds, until stop()."""

    def __init__(self, port, sources, n, every=1.0, host="127.0.0.1", prefix=b"GET /metrics HTTP/1.1\r\n"):
        self.socks = []
        self.refused = 0
        for src in sources:
            for _ in range(n):
                s = socket.socket()
                s.bind((src, 0))
                s.settimeout(5)
                try:
                    s.connect((host, port))
                    s.sendall(prefix)
                    self.socks.append(s)
                except OSError:
                    self.refused += 1
                    s.close()
        self.every, self.stopping = every, threading.Event()
        self.thread = threading.Thread(target=self._drip, daemon=True)
        self.thread.start()

    def _drip(self):
        while not self.stopping.wait(self.every):
            for s in self.socks:
                try:
                    s.send(b"X")
                except OSError:
                    pass

    def held(self):
        """Connections the server has not closed (peek without blocking)."""
        n = 0
        for s in self.socks:
            try:
                s.setblocking(False)
                if s.recv(1, socket.MSG_PEEK) != b"":
                    n += 1
            except BlockingIOError:
                n += 1
            except OSError:
                pass
            finally:
                s.settimeout(5)
        return n

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        for s in self.socks:
            s.close()


class HostileMetrics(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(now=time.time())
        self.sb = self.h.syncbit(self.fake.env(), SYNC_INTERVAL_MINUTES="60")
        self.assertEqual(self.sb.authorize().rc, 0)
        self.proc = self.sb.start()
        self.sb.wait_http("/readyz", 200, timeout=30)
        self.port = int(self.sb.env["LISTEN_ADDRESS"].rsplit(":", 1)[1])
        self.baseline = self.series()
        self.assertIn('fitbit_steps_total{user="default"}', self.baseline)
        time.sleep(0.2)
        self.rss0, self.fds0 = rss_kb(self.proc.pid), nfds(self.proc.pid)
        self.log0 = len(self.sb.log().splitlines())

    def series(self, timeout=5):
        r = http("GET", self.sb.url("/metrics"), timeout=timeout)
        self.assertEqual(r.status, 200, r.text)
        self.assertTrue(r.header("Content-Type").startswith("text/plain; version=0.0.4"))
        return {ln.rsplit(" ", 1)[0] for ln in r.text.splitlines() if ln and not ln.startswith("#")}

    def assert_healthy(self, what):
        """Up, /metrics complete, memory bounded, descriptors back."""
        self.assertTrue(self.proc.alive(), f"syncbit died after {what}:\n{self.proc.tail()}")
        self.assertEqual(self.series(), self.baseline, f"/metrics changed after {what}")
        self.assertEqual(http("GET", self.sb.url("/healthz")).status, 200)
        grew = rss_kb(self.proc.pid) - self.rss0
        self.assertLess(grew, RSS_GROWTH_MAX_KB, f"RSS grew by {grew} kB after {what}")
        wait_until(lambda: nfds(self.proc.pid) <= self.fds0 + 2, 15,
                   f"descriptors back to {self.fds0} after {what} (now {nfds(self.proc.pid)})")
        return grew

    def server_log_lines(self):
        return [ln for ln in self.sb.log().splitlines()[self.log0:] if 'msg="http server"' in ln]

    def req(self, target, method="GET", extra=b"", version=b"HTTP/1.1"):
        if isinstance(target, str):
            target = target.encode()
        return (method.encode() + b" " + target + b" " + version + b"\r\nHost: 127.0.0.1\r\n"
                + extra + b"Connection: close\r\n\r\n")

    def test_oversized_unknown_methods_and_path_tricks(self):
        big = b"a" * 100_000
        cases = [
            # (name, request, expected status(es))
            ("100 KB URL", self.req(b"/metrics?" + big), {414}),
            ("40 KB path", self.req(b"/" + big[:40_000]), {414}),
            ("100 KB header", self.req("/metrics", extra=b"X-Big: " + big + b"\r\n"), {431}),
            ("5000 headers", self.req("/metrics", extra=b"".join(b"X-%d: v\r\n" % i
                                                                for i in range(5000))), {431}),
            ("long cookie", self.req("/metrics", extra=b"Cookie: " + b"c=1; " * 10_000 + b"\r\n"), {431}),
            ("BREW", self.req("/metrics", "BREW"), {405}),
            ("DELETE", self.req("/metrics", "DELETE"), {405}),
            ("PUT", self.req("/metrics", "PUT"), {405}),
            ("OPTIONS *", self.req("*", "OPTIONS"), {405}),
            ("TRACE", self.req("/metrics", "TRACE"), {405}),
            ("CONNECT", self.req("127.0.0.1:22", "CONNECT"), {405}),
            ("lower-case get", self.req("/metrics", "get"), {405}),
            ("/metrics/../", self.req("/metrics/../"), {404}),
            ("/metrics/..%2fmetrics", self.req("/metrics/..%2fmetrics"), {404}),
            ("//metrics", self.req("//metrics"), {404}),
            ("/%2e%2e/metrics", self.req("/%2e%2e/metrics"), {404}),
            ("/./metrics", self.req("/./metrics"), {404}),
            ("/metrics/", self.req("/metrics/"), {404}),
            ("/METRICS", self.req("/METRICS"), {404}),
            ("/metrics%00.txt", self.req("/metrics%00.txt"), {404}),
            ("/healthz%00", self.req("/healthz%00"), {404}),
            ("/metrics%20", self.req("/metrics%20"), {404}),
            ("/%6detrics (encoded m)", self.req("/%6detrics"), {200}),
            ("/metrics?x=1&x=2", self.req("/metrics?x=1&x=2"), {200}),
            ("/metrics?8 KB query", self.req(b"/metrics?q=" + big[:8000]), {200}),
            ("/metrics?%00", self.req("/metrics?%00=%00"), {200}),
            # absolute-form is not mapped onto a route; never a crash
            ("absolute-form", self.req(f"http://127.0.0.1:{self.port}/metrics"), {200, 404}),
            # libmicrohttpd ends the target at a raw NUL byte: "/metrics"
            ("raw NUL in target", self.req(b"/metrics\x00/../x"), {200, 400, 404}),
            ("HTTP/2.0", self.req("/metrics", version=b"HTTP/2.0"), {505}),
            ("HTTP/1.1 without Host", b"GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", {200, 400}),
            ("no version", b"GET /metrics\r\n\r\n", {None, 400, 505}),
            ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + os.urandom(200) + b"\r\n\r\n",
             {None, 400, 505}),
            ("header without colon", self.req("/metrics", extra=b"NoColonHere\r\n"), {200, 400}),
            ("GET with a chunked body", self.req("/healthz", extra=b"Transfer-Encoding: chunked\r\n")
             + b"5\r\nhello\r\n0\r\n\r\n", {200}),
        ]
        for name, data, want in cases:
            with self.subTest(name):
                t0 = time.monotonic()
                out = raw(self.port, data)
                got = statuses(out)
                self.assertIn(got[0] if got else None, want, f"{name}: {out[:300]!r}")
                self.assertLess(time.monotonic() - t0, 4, f"{name}: the answer took too long")
                if got and got[0] == 405:
                    self.assertRegex(out, rb"(?i)\r\nAllow: GET, HEAD\r\n")
                if got and got[0] == 200 and (b"/metrics" in data[:20] or b"%6detrics" in data[:20]):
                    self.assertIn(b"fitbit_steps_total", out)
        # a POST announcing 100 MB is refused at once, its body never read
        t0 = time.monotonic()
        out = raw(self.port, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\nabc")
        self.assertEqual(statuses(out), [405], out[:200])
        self.assertLess(time.monotonic() - t0, 2)
        self.assert_healthy("malformed requests")
        # libmicrohttpd's complaints are rate-limited: no log line per request
        self.assertLessEqual(len(self.server_log_lines()), 12, "\n".join(self.server_log_lines()))

    def test_http10_keepalive_and_pipelining(self):
        # HTTP/1.0, no Host: answered, then closed by the server
        out = raw(self.port, b"GET /metrics HTTP/1.0\r\n\r\n", timeout=3)
        self.assertEqual(statuses(out), [200])
        self.assertIn(b"fitbit_steps_total", out)
        # HEAD: the headers of GET, no body
        out = raw(self.port, self.req("/metrics", "HEAD"))
        self.assertEqual(statuses(out), [200])
        self.assertTrue(out.endswith(b"\r\n\r\n"), out[-100:])
        # five pipelined requests on one connection: five answers in order
        pipe = b"".join(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % p for p in
                        (b"/healthz", b"/readyz", b"/nope", b"/", b"/metrics")) + \
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        out = raw(self.port, pipe)
        self.assertEqual(statuses(out), [200, 200, 404, 200, 200, 200], out[:500])
        # keep-alive: 50 requests on one connection
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            f = s.makefile("rb")
            for _ in range(50):
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                status = f.readline()
                self.assertTrue(status.startswith(b"HTTP/1.1 200"), status)
                length = None
                while True:
                    line = f.readline()
                    if line in (b"\r\n", b""):
                        break
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v)
                self.assertIsNotNone(length)
                self.assertIn(b"fitbit_steps_total", f.read(length))
        finally:
            s.close()
        self.assert_healthy("HTTP/1.0 and pipelining")

    def test_slowloris(self):
        if not can_bind("127.0.0.5"):
            self.skipTest("cannot bind 127.0.0.2-5 (loopback aliases)")
        # one address, 200 half-open connections: it gets its 64, the rest
        # are closed; a scraper elsewhere is answered at once
        slow = Slowloris(self.port, ["127.0.0.2"], 200)
        try:
            time.sleep(0.5)
            self.assertLessEqual(slow.held(), 64)
            t0 = time.monotonic()
            self.assertEqual(self.series(timeout=3), self.baseline)
            self.assertLess(time.monotonic() - t0, 1)
        finally:
            slow.stop()
        # three addresses x 64 fill every slot (128) and queue the rest: the
        # deadline for a complete request (10 s) frees them although they
        # never go idle, and the scraper gets through
        slow = Slowloris(self.port, ["127.0.0.3", "127.0.0.4", "127.0.0.5"], 64)
        peak = 0
        try:
            t0 = time.monotonic()
            first_ok = None
            answered = 0
            while time.monotonic() - t0 < 30:
                peak = max(peak, rss_kb(self.proc.pid))
                t = time.monotonic()
                try:
                    ok = http("GET", self.sb.url("/metrics"), timeout=2).status == 200
                except OSError:
                    ok = False
                if ok:
                    first_ok = first_ok or time.monotonic() - t0
                    answered += 1
                    if answered >= 5:
                        break
                time.sleep(max(0, 0.5 - (time.monotonic() - t)))
            self.assertIsNotNone(first_ok, "no scrape answered within 30 s of slowloris")
            self.assertLess(first_ok, 16, "the slow connections held their slots past the deadline")
            self.assertGreaterEqual(answered, 5)
        finally:
            slow.stop()
        grew = self.assert_healthy("slowloris")
        self.assertIn("closed connections that sent no complete request in time", self.sb.log())
        self.assertLessEqual(len(self.server_log_lines()), 12, "\n".join(self.server_log_lines()))
        print(f"# slowloris: 192 half-open connections from 3 addresses; first scrape answered "
              f"after {first_ok:.1f} s; RSS {self.rss0} kB -> peak {peak} kB, +{grew} kB after")

    def test_flood(self):
        if not can_bind("127.0.0.5"):
            self.skipTest("cannot bind 127.0.0.2-5 (loopback aliases)")
        # 400 concurrent connections from 4 addresses, each a complete GET:
        # every one is answered at once, nothing leaks
        sources = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
        socks = []
        for i in range(400):
            s = socket.socket()
            s.bind((sources[i % 4], 0))
            s.settimeout(10)
            s.connect(("127.0.0.1", self.port))
            socks.append(s)
        for s in socks:
            try:
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            except OSError:
                pass
        peak = rss_kb(self.proc.pid)
        ok = closed = 0
        t0 = time.monotonic()
        for s in socks:
            out = b""
            try:
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    out += b
            except OSError:
                pass
            s.close()
            if statuses(out) == [200] and b"fitbit_steps_total" in out:
                ok += 1
            else:
                closed += 1
            peak = max(peak, rss_kb(self.proc.pid))
        took = time.monotonic() - t0
        # 32 per address at a time fit in the 128 slots: every one is
        # answered, none waits for a timeout (libmicrohttpd's epoll mode
        # left some unanswered for 10-15 s here: the servers use poll)
        self.assertEqual(ok, 400, f"{ok} answered, {closed} closed, {took:.1f} s")
        self.assertLess(took, 8)
        # and 2000 connect-and-close in a row
        for _ in range(2000):
            s = socket.socket()
            s.connect(("127.0.0.1", self.port))
            s.close()
        grew = self.assert_healthy("a flood of connections")
        self.assertLessEqual(len(self.server_log_lines()), 12, "\n".join(self.server_log_lines()))
        print(f"# flood: 400 concurrent GET /metrics from 4 addresses: {ok} answered, {closed} "
              f"closed, {took:.1f} s; then 2000 connect+close; RSS {self.rss0} kB -> peak {peak} kB, "
              f"+{grew} kB after; fds {self.fds0} -> {nfds(self.proc.pid)}")


class HostileCallback(IntegrationTest):
    """The callback listener of `syncbit --authorize`, driven by hand: the
    fake's authorize page gives the genuine redirect (state + code), which
    is delivered only at the end."""

    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(now=time.time())
        self.sb = self.h.syncbit(self.fake.env())
        self.proc, self.location = self.start_authorize()
        u = urllib.parse.urlsplit(self.location)
        q = urllib.parse.parse_qs(u.query)
        self.state, self.code = q["state"][0], q["code"][0]
        self.port = u.port
        self.base = f"http://127.0.0.1:{u.port}"

    def start_authorize(self):
        proc = self.sb.start("--authorize", stdin=True)
        pat = re.compile(r"^(https?://\S*client_id=\S+)\s*$", re.M)

        def auth_url():
            if not proc.alive():
                raise AssertionError(f"--authorize exited early:\n{proc.tail()}")
            m = pat.search(proc.stdout())
            return m.group(1) if m else None
        url = wait_until(auth_url, 20, "the authorization URL")
        r = http("GET", url, follow=False)
        self.assertEqual(r.status, 302, r.text)
        location = r.header("Location")
        port = urllib.parse.urlsplit(location).port
        wait_until(lambda: http("GET", f"http://127.0.0.1:{port}/", timeout=2), 10, "the callback listener")
        return proc, location

    def cb(self, query, path="/callback", method="GET"):
        url = self.base + path + (f"?{query}" if query is not None else "")
        return http(method, url, timeout=5)

    def assert_nothing_happened(self, what):
        self.assertTrue(self.proc.alive(), f"--authorize ended after {what}:\n{self.proc.tail()}")
        self.assertFalse((self.sb.data_dir / "fitbit_tokens.json").exists(), what)
        self.assertEqual(self.fake.stats()["code_exchanges"], 0, what)

    def deliver(self):
        """The genuine redirect: completes the authorization."""
        r = http("GET", self.location.replace("localhost", "127.0.0.1"), timeout=30)
        self.assertEqual(r.status, 200, r.text)
        self.assertIn("received the authorization", r.text)
        self.assertEqual(self.proc.wait(15), 0, self.proc.tail())
        self.assertTrue((self.sb.data_dir / "fitbit_tokens.json").exists())
        self.assertEqual(self.fake.stats()["code_exchanges"], 1)

    def test_only_our_state_once(self):
        S, C = self.state, self.code
        bad = [
            # (name, query, path, method, status, words on the page)
            ("wrong state", f"state=x{S[1:]}&code={C}", "/callback", "GET", 400, "state mismatch"),
            ("no state", f"code={C}", "/callback", "GET", 400, "state mismatch"),
            ("empty state", f"state=&code={C}", "/callback", "GET", 400, "state mismatch"),
            ("state prefix", f"state={S[:-1]}&code={C}", "/callback", "GET", 400, "state mismatch"),
            ("state + suffix", f"state={S}x&code={C}", "/callback", "GET", 400, "state mismatch"),
            ("state %00 suffix", f"state={S}%00x&code={C}", "/callback", "GET", 400, "state mismatch"),
            ("state, case changed", f"state={S.swapcase()}&code={C}", "/callback", "GET", 400,
             "state mismatch"),
            ("state 10x", f"state={S * 10}&code={C}", "/callback", "GET", 400, "state mismatch"),
            ("two states", f"state={S}&state={S}&code={C}", "/callback", "GET", 400, "state mismatch"),
            ("missing code", f"state={S}", "/callback", "GET", 400, "missing 'code'"),
            ("empty code", f"state={S}&code=", "/callback", "GET", 400, "missing 'code'"),
            ("two codes", f"state={S}&code={C}&code={C}", "/callback", "GET", 400, "more than one 'code'"),
            ("code too long", f"state={S}&code={'c' * 3000}", "/callback", "GET", 400, "too long"),
            ("forged denial", "error=access_denied&state=nope", "/callback", "GET", 400, "state mismatch"),
            ("denial, no state", "error=access_denied", "/callback", "GET", 400, "state mismatch"),
            ("no query", None, "/callback", "GET", 400, "state mismatch"),
            ("bad escapes", "state=%zz&code=%", "/callback", "GET", 400, None),
            ("other path", f"state={S}&code={C}", "/callback/", "GET", 404, "another path"),
            ("path %00", f"state={S}&code={C}", "/callback%00", "GET", 404, "another path"),
            ("path dot-dot", f"state={S}&code={C}", "/x/../callback", "GET", 404, "another path"),
            ("path case", f"state={S}&code={C}", "/Callback", "GET", 404, "another path"),
            ("POST", f"state={S}&code={C}", "/callback", "POST", 405, "Only GET"),
            ("HEAD", f"state={S}&code={C}", "/callback", "HEAD", 405, None),
            ("PUT", f"state={S}&code={C}", "/callback", "PUT", 405, "Only GET"),
        ]
        for name, query, path, method, status, words in bad:
            with self.subTest(name):
                r = self.cb(query, path, method)
                self.assertEqual(r.status, status, f"{name}: {r.text}")
                if words:
                    self.assertIn(words, r.text, name)
                if method != "HEAD":
                    self.assertEqual(r.header("Content-Type"), "text/html; charset=utf-8")
                    self.assertIn("default-src 'none'", r.header("Content-Security-Policy") or "")
                self.assert_nothing_happened(name)
        # raw requests: huge line and headers, NUL bytes, absolute-form, garbage
        rawcases = [
            ("100 KB URL", b"GET /callback?state=" + b"s" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", {414}),
            ("100 KB header", b"GET /callback HTTP/1.1\r\nHost: x\r\nX: " + b"h" * 100_000
             + b"\r\n\r\n", {431}),
            ("raw NUL in a wrong state", f"GET /callback?code={C}&state=x{S[1:]}\x00{S} HTTP/1.1\r\n"
             "Host: x\r\nConnection: close\r\n\r\n".encode(), {400}),
            ("absolute-form", f"GET http://127.0.0.1:{self.port}/callback?state=x&code={C} HTTP/1.1\r\n"
             "Host: x\r\nConnection: close\r\n\r\n".encode(), {400, 404}),
            ("POST with a 100 MB body", f"POST /callback?state={S}&code={C} HTTP/1.1\r\nHost: x\r\n"
             "Content-Length: 100000000\r\n\r\nabc".encode(), {405}),
            ("garbage", os.urandom(64) + b"\r\n\r\n", {None, 400, 505}),
        ]
        for name, data, want in rawcases:
            with self.subTest(name):
                t0 = time.monotonic()
                out = raw(self.port, data)
                got = statuses(out)
                self.assertIn(got[0] if got else None, want, f"{name}: {out[:300]!r}")
                self.assertLess(time.monotonic() - t0, 4, name)
                self.assert_nothing_happened(name)
        # a pasted line with a NUL-extended state is refused as well
        self.proc.write(f"http://localhost:{self.port}/callback?code={C}&state={S}%00x\n")
        wait_until(lambda: "not the redirect of this authorization" in self.proc.stderr(), 10,
                   "the refusal of the pasted line")
        self.assert_nothing_happened("a pasted NUL-extended state")
        # each refusal said why, once; no code in any output
        err = self.proc.stderr() + self.sb.log()
        self.assertIn('msg="ignored a callback" reason="state mismatch"', err)
        self.assertNotIn(C, self.proc.stdout() + err)
        rss = rss_kb(self.proc.pid)
        # the genuine redirect ("st%61te" decodes to "state"): completes
        r = self.cb(f"code={C}&st%61te={S}")
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(self.proc.wait(15), 0, self.proc.tail())
        self.assertEqual(self.fake.stats()["code_exchanges"], 1)
        # replays after success: the listener is gone, nothing is exchanged again
        for _ in range(3):
            try:
                r = http("GET", self.location.replace("localhost", "127.0.0.1"), timeout=3)
                self.assertEqual(r.status, 200)     # "complete already", while it closes
                self.assertIn("complete already", r.text)
            except OSError:
                pass
        self.assertEqual(self.fake.stats()["code_exchanges"], 1)
        self.assertLess(rss, 64 * 1024)
        # the next --authorize has a new state: the old redirect is refused there
        old = self.location
        proc2, loc2 = self.start_authorize()
        port2 = urllib.parse.urlsplit(loc2).port
        old_q = urllib.parse.urlsplit(old).query
        r = http("GET", f"http://127.0.0.1:{port2}/callback?{old_q}", timeout=5)
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("state mismatch", r.text)
        self.assertTrue(proc2.alive())
        self.assertEqual(self.fake.stats()["code_exchanges"], 1)
        r = http("GET", loc2.replace("localhost", "127.0.0.1"), timeout=10)
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(proc2.wait(15), 0, proc2.tail())
        self.assertEqual(self.fake.stats()["code_exchanges"], 2)

    def test_denial_with_our_state_ends_without_tokens(self):
        r = self.cb(f"error=access_denied&state={self.state}")
        self.assertEqual(r.status, 403, r.text)
        self.assertIn("access_denied", r.text)
        self.assertIn("syncbit --authorize", r.text)
        rc = self.proc.wait(15)
        self.assertIsNotNone(rc)
        self.assertNotEqual(rc, 0)
        self.assertIn("denied", self.proc.stderr())
        self.assertFalse((self.sb.data_dir / "fitbit_tokens.json").exists())
        # the genuine code arrives too late: nobody listens, nothing is exchanged
        try:
            http("GET", self.location.replace("localhost", "127.0.0.1"), timeout=3)
        except OSError:
            pass
        self.assertEqual(self.fake.stats()["code_exchanges"], 0)

    def test_error_page_does_not_reflect_input(self):
        # error names are reduced to [a-z_]; nothing else of the request reaches the page
        r = self.cb(f"error=%3Cscript%3Ealert(1)%3C/script%3E&state={self.state}")
        self.assertEqual(r.status, 403, r.text)
        self.assertNotIn("<script>", r.text)
        self.assertNotIn("alert(1)", r.text)
        self.assertNotEqual(self.proc.wait(15), 0)
        self.assertNotIn("<script>", self.proc.stderr())

    def test_slowloris_and_flood_do_not_block_the_redirect(self):
        pid = self.proc.pid
        rss0 = rss_kb(pid)
        # more half-open connections than the listener's 16 slots, all
        # dribbling: the deadline for a complete request frees the slots
        slow = Slowloris(self.port, ["127.0.0.1"], 24, prefix=b"GET /callback?state=")
        try:
            # and a burst of 200 complete wrong requests
            done = []

            def burst():
                for _ in range(200):
                    try:
                        done.append(http("GET", f"{self.base}/callback?state=x&code=y", timeout=20).status)
                    except OSError:
                        done.append(None)
            t = threading.Thread(target=burst, daemon=True)
            t.start()
            t0 = time.monotonic()
            result = {}

            def genuine():
                try:
                    result["r"] = http("GET", self.location.replace("localhost", "127.0.0.1"), timeout=40)
                except OSError as e:
                    result["e"] = e
            g = threading.Thread(target=genuine, daemon=True)
            g.start()
            g.join(40)
            took = time.monotonic() - t0
            self.assertIn("r", result, f"the genuine redirect failed: {result.get('e')}")
            self.assertEqual(result["r"].status, 200, result["r"].text)
            self.assertLess(took, 30)
            peak = rss_kb(pid) if self.proc.alive() else 0
            t.join(30)
        finally:
            slow.stop()
        self.assertEqual(self.proc.wait(20), 0, self.proc.tail())
        self.assertEqual(self.fake.stats()["code_exchanges"], 1)
        self.assertTrue((self.sb.data_dir / "fitbit_tokens.json").exists())
        self.assertLess(peak - rss0, RSS_GROWTH_MAX_KB)
        # refusals are logged, but not one line per request
        self.assertLessEqual(self.proc.stderr().count("ignored a callback"), 12)
        print(f"# callback slowloris (24) + 200 wrong requests: genuine redirect answered after "
              f"{took:.1f} s; RSS {rss0} kB -> {peak} kB")
