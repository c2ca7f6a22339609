"""TLS verification is on: SyncBit refuses an HTTPS endpoint whose
certificate it cannot verify (self-signed; trusted but issued for another
name), with one clear line naming the certificate problem and no secret;
CA_FILE pointing at the certificate makes the same endpoint work, for the
token endpoint (--authorize) and the API (--once).

The HTTPS endpoint is a small TLS-terminating proxy, in this process, in
front of the fake Fitbit API; everything listens on 127.0.0.1 only."""

import shutil
import socket
import ssl
import subprocess
import threading
import time

from harness import IntegrationTest


def make_cert(directory, name, san):
    """A self-signed certificate (P-256) and key in directory; (cert, key)."""
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    if shutil.which("openssl") is None:
        raise AssertionError("openssl is not installed (tests/deps.sh installs it)")
    p = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}"],
        capture_output=True, timeout=30)
    if p.returncode != 0:
        raise AssertionError(f"openssl req failed: {p.stderr.decode(errors='replace')}")
    return cert, key


class TlsProxy:
    """Accepts TLS on 127.0.0.1:<port>, forwards the plain bytes to upstream
    (host, port). Threads end when either side closes; close() stops it."""

    def __init__(self, cert, key, upstream):
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.upstream = upstream
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self.handshakes = 0       # completed TLS handshakes
        self.failed = 0           # handshakes the client aborted
        self.stopping = False
        self.threads = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stopping:
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            t = threading.Thread(target=self._serve, args=(c,), daemon=True)
            self.threads.append(t)
            t.start()

    def _serve(self, c):
        c.settimeout(10)
        try:
            tc = self.ctx.wrap_socket(c, server_side=True)
        except (ssl.SSLError, OSError):
            self.failed += 1
            c.close()
            return
        self.handshakes += 1
        try:
            up = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            tc.close()
            return

        def pump(src, dst):
            try:
                while True:
                    data = src.recv(65536)
                    if not data:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        t = threading.Thread(target=pump, args=(up, tc), daemon=True)
        t.start()
        pump(tc, up)
        t.join(10)
        tc.close()
        up.close()

    def close(self):
        self.stopping = True
        self.thread.join(5)
        self.sock.close()
        for t in self.threads:
            t.join(5)


class Tls(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(now=time.time())
        port = int(self.fake.url.rsplit(":", 1)[1])
        self.cert, key = make_cert(self.h.tmp, "127.0.0.1", "IP:127.0.0.1,DNS:localhost")
        self.proxy = TlsProxy(self.cert, key, ("127.0.0.1", port))
        self.addCleanup(self.proxy.close)
        # trusted (when given as CA_FILE) but issued for another name
        self.other_cert, other_key = make_cert(self.h.tmp, "other", "DNS:other.invalid")
        self.other = TlsProxy(self.other_cert, other_key, ("127.0.0.1", port))
        self.addCleanup(self.other.close)

    def secrets(self):
        return [self.fake.client_secret] + [t for t in self.fake.tokens()["issued"] if len(t) >= 8]

    def assert_refused(self, r, what):
        """r failed with one line naming the certificate problem, no secret."""
        self.assertNotEqual(r.rc, 0, r)
        out = r.stdout + r.stderr
        lines = [ln for ln in out.splitlines() if "certificate" in ln.lower()]
        self.assertTrue(lines, f"no line names the certificate problem ({what}):\n{out}")
        self.assertTrue(any(what in ln for ln in lines), f"expected '{what}' in:\n{out}")
        for s in self.secrets():
            self.assertNotIn(s, out)
        return lines

    def test_token_endpoint_self_signed_refused_then_ca_file_works(self):
        env = {"FITBIT_TOKEN_URL": self.proxy.url + "/oauth2/token"}
        sb = self.h.syncbit(self.fake.env(), **env)
        r = sb.authorize()
        lines = self.assert_refused(r, "self-signed certificate")
        self.assertIn(f"https://127.0.0.1:{self.proxy.port}", lines[-1])   # names the endpoint
        self.assertFalse((sb.data_dir / "fitbit_tokens.json").exists())
        self.assertEqual(self.fake.stats()["code_exchanges"], 0)
        self.assertGreaterEqual(self.proxy.failed, 1)        # the handshake was aborted by SyncBit

        sb.env["CA_FILE"] = str(self.cert)
        r = sb.authorize()
        self.assertEqual(r.rc, 0, r)
        self.assertTrue((sb.data_dir / "fitbit_tokens.json").exists())
        self.assertEqual(self.fake.stats()["code_exchanges"], 1)
        self.assertGreaterEqual(self.proxy.handshakes, 1)

    def test_api_self_signed_refused_then_ca_file_works(self):
        sb = self.h.syncbit(self.fake.env())
        self.assertEqual(sb.authorize().rc, 0)
        sb.env["FITBIT_API_URL"] = self.proxy.url
        before = self.fake.stats()["api_requests"]
        t0 = time.monotonic()
        r = sb.run("--once", timeout=60)
        self.assert_refused(r, "self-signed certificate")
        self.assertLess(time.monotonic() - t0, 45)
        self.assertEqual(self.fake.stats()["api_requests"], before)   # nothing got through
        # said, not repeated for every request of the cycle
        self.assertLessEqual(sum("certificate" in ln for ln in r.stderr.splitlines()), 3, r.stderr)

        r = sb.run("--once", timeout=60, env={"CA_FILE": str(self.cert)})
        self.assertEqual(r.rc, 0, r)
        self.assertGreater(self.fake.stats()["api_requests"], before)
        self.assertGreaterEqual(self.proxy.handshakes, 1)

    def test_trusted_certificate_for_another_name_refused(self):
        sb = self.h.syncbit(self.fake.env())
        self.assertEqual(sb.authorize().rc, 0)
        before = self.fake.stats()["api_requests"]
        r = sb.run("--once", timeout=60, env={"FITBIT_API_URL": self.other.url,
                                              "CA_FILE": str(self.other_cert)})
        self.assertNotEqual(r.rc, 0, r)
        out = r.stdout + r.stderr
        # curl: "SSL: no alternative certificate subject name matches target host name"
        self.assertRegex(out, r"(?i)certificate subject name|does not match|no alternative")
        self.assertEqual(self.fake.stats()["api_requests"], before)
        for s in self.secrets():
            self.assertNotIn(s, out)

    def test_unreadable_ca_file_is_a_config_error(self):
        sb = self.h.syncbit(self.fake.env(), CA_FILE=str(self.h.tmp / "no-such-ca.pem"))
        r = sb.run("--once", timeout=20)
        self.assertEqual(r.rc, 2, r)
        self.assertIn("CA_FILE", r.stderr)
        self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
