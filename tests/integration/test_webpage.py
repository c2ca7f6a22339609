"""The status page (issue 15) against tests/fakes/fake_google.py's household
and a real VictoriaMetrics, in Debian's chromium (headless, driven by
chromium-driver through python3-selenium):

- the page at / shows both accounts of a household while their history is
  backfilled, and the progress bars move as the page reloads itself;
- "Re-authorize" for bob goes through the fake's consent and back to
  SyncBit's /callback; the page then shows bob's new token expiry; alice
  syncs throughout, never failing;
- security over plain HTTP: a POST without (or with a wrong) CSRF token is
  refused, a forged or replayed state is refused, markup in a device name
  is escaped, no token or client secret is in the page or /api/status, a
  forwarded (proxied) client gets 403 without ADMIN_PASSWORD and gets in
  with it, failed logins are limited;
- a client on a real non-loopback address (a network namespace and a veth
  pair; root only, else skipped with the reason): 403, then in with
  ADMIN_PASSWORD;
- the legacy source: Authorize from no token at all, with the exact
  redirect URI registered at fake_fitbit.py; the account syncs without a
  restart.

Screenshots: build/webpage-*.png (README shows build/webpage-backfill.png's
copy, docs/status-page.png)."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import unittest
import urllib.parse
from datetime import date, timedelta

from harness import REPO, IntegrationTest, free_port, http, wait_until

try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
except ImportError:  # a pyenv python: Debian's python3-selenium is elsewhere
    sys.path.append("/usr/lib/python3/dist-packages")
    try:
        from selenium import webdriver
        from selenium.webdriver.common.by import By
    except ImportError:
        webdriver = None

USERS = ("alice", "bob")
SHOTS = REPO / "build"
HOSTILE = '<img src=x onerror="alert(1)">'


def chromium():
    """Headless chromium through chromium-driver."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--window-size=1100,1400", "--no-first-run", "--disable-extensions"):
        opts.add_argument(a)
    from selenium.webdriver.chrome.service import Service
    service = Service(executable_path=shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=opts, service=service)


class Base(IntegrationTest):
    days = 90
    latency_ms = 0

    def setUp(self):
        super().setUp()
        self.fake = self.h.fake("fake_google.py", "--timezone", "Europe/Berlin")
        cfg = self.fake.get("/_test/config")
        self.secret = cfg["client_secret"]
        start = (date.today() - timedelta(days=self.days)).isoformat()
        self.fake.config(membership_start=start, latency_ms=self.latency_ms,
                         accounts={"alice": {"seed": 1}, "bob": {"seed": 2}})
        u = self.fake.url
        self.env = {"SOURCE": "google", "GOOGLE_CLIENT_ID": cfg["client_id"],
                    "GOOGLE_CLIENT_SECRET": cfg["client_secret"], "GOOGLE_HEALTH_API_URL": u,
                    "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
                    "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{free_port()}/callback",
                    "USERS": ",".join(USERS), "SYNC_INTERVAL_MINUTES": "1",
                    "COLLECT": "activity,heart,devices", "INTRADAY": "off"}

    def start(self, vm=None, **env):
        sb = self.h.syncbit(dict(self.env, **env, **({"VICTORIA_ENDPOINT": vm.write_url}
                                                      if vm else {})))
        for user in USERS:
            r = sb.authorize(user=user)
            self.assertEqual(r.rc, 0, f"{user}: {r}")
        sb.start()
        sb.wait_http("/healthz")
        return sb

    def status(self, sb):
        r = sb.get("/api/status")
        self.assertEqual(r.status, 200, r.text)
        self.assertEqual(r.header("Content-Type"), "application/json")
        return {a["user"]: a for a in r.json()["accounts"]}

    def secrets(self, sb):
        out = [self.secret]
        for user in USERS:
            t = json.loads((sb.data_dir / "users" / user / "google_tokens.json").read_text())
            out += [t["access_token"], t["refresh_token"]]
        return out


@unittest.skipIf(webdriver is None, "python3-selenium is not installed (tests/deps.sh)")
class Browser(Base):
    latency_ms = 90     # a backfill that lasts long enough to watch (~20 s)

    def shot(self, driver, name):
        SHOTS.mkdir(exist_ok=True)
        path = SHOTS / f"webpage-{name}.png"
        self.assertTrue(driver.save_screenshot(str(path)), path)
        self.assertGreater(path.stat().st_size, 5000, path)

    def progress(self, driver):
        """Days done on every bar of the page, and how many bars."""
        bars = driver.find_elements(By.CSS_SELECTOR, "section.account progress")
        return sum(float(b.get_attribute("value")) for b in bars), len(bars)

    def test_household_backfill_and_reauthorize(self):
        vm = self.h.victoria()
        sb = self.start(vm)
        seen = []   # every /api/status sample of alice

        def pending():
            st = self.status(sb)
            seen.append(st["alice"])
            return st if all(st[u].get("history", {}).get("pending") for u in USERS) else None
        wait_until(pending, 30, "both accounts' history pending")
        driver = chromium()
        try:
            driver.set_page_load_timeout(20)
            driver.get(sb.url("/"))
            self.assertEqual(driver.title, "SyncBit")
            for user in USERS:
                self.assertTrue(driver.find_elements(By.ID, f"account-{user}"), user)
            before, nbars = self.progress(driver)
            self.assertGreater(nbars, 0, driver.page_source[:2000])
            self.shot(driver, "backfill")
            # the page reloads itself while history is pending: the bars move
            t0 = time.time()

            def moved():
                seen.append(self.status(sb)["alice"])
                try:
                    return self.progress(driver)[0] > before
                except Exception:   # the page is reloading
                    return False
            wait_until(moved, 30, "the progress bars to move on the reloading page",
                       interval=0.5)
            self.assertGreater(time.time() - t0, 0.5)
            self.shot(driver, "progress")

            # bob re-authorizes from the page; the fake consents as bob
            st = self.status(sb)
            old = st["bob"]["token"]["expires_at"]
            alice_busy = st["alice"]["history"]["pending"]
            alice_calls = self.fake.get("/_test/stats")["by_account"].get("alice", 0)
            self.fake.config(consent_account="bob", token_lifetime=7200)
            driver.find_element(By.CSS_SELECTOR, "#account-bob form button").click()
            wait_until(lambda: driver.current_url.rstrip("/") == sb.url("").rstrip("/"), 20,
                       "the browser back on the status page")

            def new_expiry():
                st = self.status(sb)
                seen.append(st["alice"])
                exp = st["bob"]["token"]["expires_at"]
                return exp if exp and exp > old + 3000 else None
            exp = wait_until(new_expiry, 20, "bob's new token expiry on /api/status")
            when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(exp))
            driver.get(sb.url("/"))
            bob = driver.find_element(By.ID, "account-bob").text
            self.assertIn(when, bob, "the page shows bob's new expiry")
            self.assertIn("valid", bob)
            self.shot(driver, "reauthorized")
        finally:
            driver.quit()
        # the consent was bob's, and his new pair is on disk
        owners = self.fake.get("/_test/tokens")["account"]
        t = json.loads((sb.data_dir / "users" / "bob" / "google_tokens.json").read_text())
        self.assertEqual(owners.get(t["refresh_token"], "bob"), "bob")
        # alice never paused: her backfill went on to the end (her calls
        # went on when she had work at the click), she never failed, her
        # progress never went back
        if alice_busy:
            self.assertGreater(self.fake.get("/_test/stats")["by_account"].get("alice", 0),
                               alice_calls, "alice's requests went on meanwhile")

        def alice_done():
            a = self.status(sb)["alice"]
            seen.append(a)
            return not a["history"]["pending"]
        wait_until(alice_done, 60, "alice's backfill to finish")
        self.assertTrue(seen)
        done = {}
        for a in seen:
            self.assertIn(a["ready"], ("ok", "starting"), a)
            self.assertIsNone(a.get("error"), a)
            for k in (a.get("history") or {}).get("kinds", []):
                if k["days_total"] == done.get(k["kind"], (0, k["days_total"]))[1]:
                    self.assertGreaterEqual(k["days_done"], done.get(k["kind"], (0, 0))[0], k)
                done[k["kind"]] = (k["days_done"], k["days_total"])
        log = sb.log()
        self.assertIn('msg="authorized on the status page" user=bob', log)
        for s in self.secrets(sb):
            self.assertNotIn(s, log)
        self.assertEqual(sb.stop(), 0)


class Security(Base):
    def csrf(self, sb):
        m = re.search(r'name="csrf" value="([^"]+)"', sb.get("/").text)
        self.assertIsNotNone(m, "the page has a CSRF token")
        return m.group(1)

    def outcome(self, sb, user, state):
        """The page's last authorization of user, once it is in state."""
        return wait_until(lambda: (lambda a: a if a and a["state"] == state else None)(
            self.status(sb)[user].get("authorization")), 20, f"{user}'s authorization {state}")

    def post(self, sb, form, headers=None):
        return http("POST", sb.url("/authorize"), data=urllib.parse.urlencode(form),
                    headers={"Content-Type": "application/x-www-form-urlencoded",
                             **(headers or {})}, follow=False)

    def test_csrf_state_escaping_secrets(self):
        self.fake.config(tracker_version=HOSTILE)
        sb = self.start()
        wait_until(lambda: self.status(sb)["alice"]["devices"], 30, "alice's devices")
        page = sb.get("/")
        self.assertEqual(page.status, 200)
        self.assertIn("default-src 'none'", page.header("Content-Security-Policy"))
        self.assertNotIn(HOSTILE, page.text)
        self.assertIn("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;", page.text)
        self.assertNotIn("<script", page.text)
        api = sb.get("/api/status")
        self.assertIn(HOSTILE, [d["device"] for d in self.status(sb)["alice"]["devices"]])
        for s in self.secrets(sb):
            self.assertNotIn(s, page.text)
            self.assertNotIn(s, api.text)
        token = self.csrf(sb)
        self.assertNotIn(token, api.text)

        # no CSRF token, a wrong one, GET: refused, nothing started
        for form in ({"account": "bob"}, {"account": "bob", "csrf": "x" * 32},
                     {"account": "bob", "csrf": token[:-1]}):
            r = self.post(sb, form)
            self.assertEqual(r.status, 403, (form, r.text))
            self.assertIn("CSRF", r.text)
        self.assertEqual(http("GET", sb.url("/authorize")).status, 404)  # POST only
        self.assertEqual(self.post(sb, {"account": "dave", "csrf": token}).status, 404)

        # forged state
        r = sb.get("/callback?state=forgedforgedforgedforgedforged12&code=abc")
        self.assertEqual(r.status, 400, r.text)

        # a code the provider refuses: the old tokens stay, the state is spent
        bob_file = sb.data_dir / "users" / "bob" / "google_tokens.json"
        old_pair = bob_file.read_bytes()
        r = self.post(sb, {"account": "bob", "csrf": token})
        self.assertEqual(r.status, 303, r.text)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.header("Location")).query)
        bad = sb.url("/callback?" + urllib.parse.urlencode({"state": q["state"][0],
                                                             "code": "not-a-code"}))
        r = http("GET", bad, follow=False)
        self.assertEqual(r.status, 303, r.text)
        a = self.outcome(sb, "bob", "failed")
        self.assertIn("refused the authorization code", a["text"])
        self.assertIn("failed: ", sb.get("/").text)
        self.assertEqual(http("GET", bad, follow=False).status, 400, "a spent state")
        self.assertEqual(bob_file.read_bytes(), old_pair, "the old tokens stay")
        self.assertEqual(self.status(sb)["bob"]["token"]["state"], "valid")

        # the real flow, by hand: 303 to the fake with S256, the fake's 302 back
        r = self.post(sb, {"account": "bob", "csrf": token})
        self.assertEqual(r.status, 303, r.text)
        loc = r.header("Location")
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
        self.assertEqual(q["code_challenge_method"], ["S256"])
        self.assertEqual(q["redirect_uri"], [sb.url("/callback")])
        self.fake.config(consent_account="bob")
        r = http("GET", loc, follow=False)
        self.assertEqual(r.status, 302, r.text)
        back = r.header("Location")
        self.assertTrue(back.startswith(sb.url("/callback?")), back)
        r = http("GET", back, follow=False)
        self.assertEqual(r.status, 303, r.text)
        self.assertEqual(r.header("Location"), "/")
        self.outcome(sb, "bob", "done")
        # replayed: the state is gone
        r = http("GET", back, follow=False)
        self.assertEqual(r.status, 400, r.text)
        self.assertIn("unknown, used", r.text)
        self.assertNotEqual(bob_file.read_bytes(), old_pair, "bob's new pair is saved")
        for s in self.secrets(sb):   # bob's new pair too
            self.assertNotIn(s, sb.get("/").text)
            self.assertNotIn(s, sb.get("/api/status").text)
            self.assertNotIn(s, sb.log())
        # /metrics, /healthz, /readyz stay open to anyone, proxied or not
        for path in ("/metrics", "/healthz", "/readyz"):
            self.assertIn(sb.get(path, headers={"X-Forwarded-For": "203.0.113.9"}).status,
                          (200, 503), path)

    def test_proxied_client_and_admin_password(self):
        sb = self.start(ADMIN_PASSWORD="correct horse battery")
        token = re.search(r'name="csrf" value="([^"]+)"', sb.get("/").text).group(1)
        fwd = {"X-Forwarded-For": "203.0.113.9"}
        r = self.post(sb, {"account": "alice", "csrf": token}, headers=fwd)
        self.assertEqual(r.status, 401, r.text)
        self.assertIn("Basic", r.header("WWW-Authenticate"))

        def basic(pw):
            import base64
            return {"Authorization": "Basic " + base64.b64encode(f"admin:{pw}".encode()).decode()}
        r = self.post(sb, {"account": "alice", "csrf": token}, headers={**fwd, **basic("correct horse battery")})
        self.assertEqual(r.status, 303, r.text)
        for i in range(5):
            r = self.post(sb, {"account": "alice", "csrf": token}, headers={**fwd, **basic(f"wrong{i}")})
            self.assertEqual(r.status, 401, (i, r.text))
        r = self.post(sb, {"account": "alice", "csrf": token}, headers={**fwd, **basic("correct horse battery")})
        self.assertEqual(r.status, 429, "locked after 5 failures in a minute")
        self.assertNotIn("correct horse battery", sb.log())
        self.assertNotIn("wrong1", sb.log())

    def test_proxied_client_without_password(self):
        sb = self.start()
        token = re.search(r'name="csrf" value="([^"]+)"', sb.get("/").text).group(1)
        # a proxy's header, or another host name from loopback (DNS rebinding)
        for h in ({"X-Forwarded-For": "203.0.113.9"}, {"Forwarded": "for=203.0.113.9"},
                  {"Host": "rebound.example:9877"}):
            r = self.post(sb, {"account": "alice", "csrf": token}, headers=h)
            self.assertEqual(r.status, 403, r.text)
            self.assertEqual(len(r.text.strip().splitlines()), 1, r.text)
            self.assertIn("kubectl port-forward deploy/syncbit 9877", r.text)
            r = sb.get("/callback?state=x&code=y", headers=h)
            self.assertEqual(r.status, 403)
        self.assertEqual(sb.get("/", headers={"X-Forwarded-For": "203.0.113.9"}).status, 200)


def _sh(*argv):
    return subprocess.run(argv, capture_output=True, text=True, timeout=20)


class NonLoopback(Base):
    """A client on a real non-loopback address: a network namespace joined
    to ours by a veth pair with private addresses (every 127.x address is
    loopback, so that is the only honest way). Needs root and `ip netns`;
    skipped with the reason otherwise. The namespace and the pair are
    removed afterwards."""

    def setUp(self):
        if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("curl"):
            self.skipTest("needs root, ip (iproute2) and curl for a network namespace")
        n = os.getpid() % 200 + 20
        self.ns, self.veth = f"sbwp{os.getpid()}", f"sbwp{os.getpid()}"[:11] + "h"
        self.host_ip, self.ns_ip = f"10.213.{n}.1", f"10.213.{n}.2"
        r = _sh("ip", "netns", "add", self.ns)
        if r.returncode != 0:
            self.skipTest(f"ip netns add failed: {r.stderr.strip()}")
        self.addCleanup(self.remove)
        for argv in (["ip", "link", "add", self.veth, "type", "veth", "peer", "name", "sbwpn",
                      "netns", self.ns],
                     ["ip", "addr", "add", f"{self.host_ip}/30", "dev", self.veth],
                     ["ip", "link", "set", self.veth, "up"],
                     ["ip", "netns", "exec", self.ns, "ip", "addr", "add", f"{self.ns_ip}/30",
                      "dev", "sbwpn"],
                     ["ip", "netns", "exec", self.ns, "ip", "link", "set", "sbwpn", "up"]):
            r = _sh(*argv)
            if r.returncode != 0:
                self.skipTest(f"{' '.join(argv)}: {r.stderr.strip()}")
        super().setUp()

    def remove(self):
        _sh("ip", "link", "del", self.veth)
        _sh("ip", "netns", "del", self.ns)
        self.assertNotIn(self.ns, _sh("ip", "netns", "list").stdout)

    def curl(self, url, *args):
        """From inside the namespace: (status, body)."""
        r = _sh("ip", "netns", "exec", self.ns, "curl", "-s", "-m", "5", "-o", "-",
                "-w", "\n%{http_code}", *args, url)
        body, _, code = r.stdout.rpartition("\n")
        return int(code or 0), body

    def test_remote_client_403_then_admin_password(self):
        port = free_port()
        base = f"http://{self.host_ip}:{port}"
        for password in (None, "correct horse battery"):
            sb = self.start(LISTEN_ADDRESS=f"0.0.0.0:{port}", ADMIN_PASSWORD=password)
            token = re.search(r'name="csrf" value="([^"]+)"', sb.get("/").text).group(1)
            form = ["-X", "POST", "--data", f"account=alice&csrf={token}"]
            code, body = self.curl(base + "/metrics")
            self.assertEqual(code, 200, "/metrics stays open")
            code, body = self.curl(base + "/")
            self.assertEqual(code, 200, "the status stays open")
            code, body = self.curl(base + "/authorize", *form)
            if password is None:
                self.assertEqual(code, 403, body)
                self.assertEqual(len(body.strip().splitlines()), 1, body)
                self.assertIn("127.0.0.1:9877", body)
                self.assertEqual(self.curl(base + "/callback?state=x&code=y")[0], 403)
            else:
                self.assertEqual(code, 401, body)
                code, body = self.curl(base + "/authorize", *form, "-u", "admin:" + password)
                self.assertEqual(code, 303, body)
                self.assertNotIn(password, sb.log())
            self.assertEqual(sb.stop(), 0)


class FitbitPage(IntegrationTest):
    """The legacy source, one account without a token: the page's Authorize
    with the exact redirect URI registered at the fake, then the account
    syncs without a restart."""

    def test_authorize_from_nothing(self):
        fake = self.h.fake_fitbit()
        sb = self.h.syncbit(dict(fake.env(), SYNC_INTERVAL_MINUTES="1", COLLECT="activity"))
        registered = sb.url("/callback")
        fake.config(redirect_uri=registered)
        sb.start()
        sb.wait_http("/readyz", 503, text="no token")
        page = sb.get("/").text
        self.assertIn(">Authorize</button>", page)
        token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        r = http("POST", sb.url("/authorize"), data=urllib.parse.urlencode(
            {"account": "default", "csrf": token}),
            headers={"Content-Type": "application/x-www-form-urlencoded"}, follow=False)
        self.assertEqual(r.status, 303, r.text)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.header("Location")).query)
        self.assertEqual(q["redirect_uri"], [registered])
        self.assertEqual(q["code_challenge_method"], ["S256"])
        r = http("GET", r.header("Location"), follow=False)
        self.assertEqual(r.status, 302, r.text)
        r = http("GET", r.header("Location"), follow=False)
        self.assertEqual(r.status, 303, r.text)
        sb.wait_http("/readyz", 200, timeout=20)
        st = sb.get("/api/status").json()["accounts"][0]
        self.assertEqual(st["token"]["state"], "valid", st)
        self.assertIsNotNone(st["last_success"], st)
        t = json.loads((sb.data_dir / "fitbit_tokens.json").read_text())
        self.assertNotIn(t["access_token"], sb.get("/").text)
        self.assertNotIn(t["refresh_token"], sb.log())
        self.assertEqual(sb.stop(), 0)


if __name__ == "__main__":
    unittest.main()
