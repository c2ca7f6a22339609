"""deploy/alerts/syncbit.rules.yml: `promtool check rules`, `vmalert -dryRun`,
`promtool test rules tests/alerts/syncbit.test.yml` (every rule firing and not
firing, and a mutated rule making that test fail), k8s/prometheusrule.yaml and
k8s/vmrule.yaml byte-for-byte as deploy/alerts/k8s_rules.py renders them, and
a Troubleshooting row in README.md for every alert.

End to end: the real vmalert against the real VictoriaMetrics scraping a real
SyncBit (remote write on) with tests/fakes/fake_google.py's household alice and
carol; carol's grant is revoked. SyncBitAuthorizationNeeded must fire for carol
(reason invalid_grant) within its `for` window and never for alice, and
alice's second tracker (fake_google's dup_devices: 8 %, three days without a
sync) fires the two device alerts. The rules are the deploy file itself with
only every `for:` shortened (for_windows()): vmalert has no flag for that.
Needs the Debian packages prometheus (promtool) and victoria-metrics
(victoria-metrics, vmalert)."""

import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from harness import IntegrationTest, free_port, http, wait_until

try:
    import yaml
except ImportError:  # python3-yaml comes with yamllint (tests/deps.sh)
    yaml = None

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "alerts" / "syncbit.rules.yml"
UNIT = REPO / "tests" / "alerts" / "syncbit.test.yml"
sys.path.insert(0, str(RULES.parent))
import k8s_rules  # noqa: E402  (deploy/alerts/k8s_rules.py)

FOR_S = 5
FOR = f"{FOR_S}s"  # every rule's `for` in the end-to-end run
SCRAPE = "1s"     # VictoriaMetrics scrapes SyncBit this often; vmalert evaluates this often


def tool(name):
    exe = shutil.which(name) or f"/usr/bin/{name}"
    if not Path(exe).is_file():
        raise unittest.SkipTest(f"{name} not installed (tests/deps.sh)")
    return exe


def run(argv, cwd=None):
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=60)


def for_windows(rules_text, window):
    """The rules of rules_text with every `for` set to window; nothing else changes."""
    doc = yaml.safe_load(rules_text)
    for g in doc["groups"]:
        for r in g["rules"]:
            if "for" in r:
                r["for"] = window
    return yaml.safe_dump(doc, sort_keys=False)


def alert_names():
    return [r["alert"] for g in yaml.safe_load(RULES.read_text())["groups"] for r in g["rules"]]


class Rules(unittest.TestCase):
    def setUp(self):
        if yaml is None:
            self.skipTest("python3-yaml missing (tests/deps.sh: yamllint)")
        self.tmp = Path(tempfile.mkdtemp(prefix="syncbit-alerts-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def broken(self, old, new, name="syncbit.rules.yml"):
        text = RULES.read_text()
        self.assertIn(old, text)
        p = self.tmp / name
        p.write_text(text.replace(old, new, 1))
        return p

    def test_promtool_check_rules(self):
        exe = tool("promtool")
        r = run([exe, "check", "rules", str(RULES)])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"SUCCESS: {len(alert_names())} rules found", r.stdout)
        bad = self.broken('absent(up{job="syncbit"})', 'absent(up{job="syncbit"}')
        r = run([exe, "check", "rules", str(bad)])
        self.assertNotEqual(r.returncode, 0, "promtool accepts a broken expression")

    def test_vmalert_dry_run(self):
        exe = tool("vmalert")
        r = run([exe, "-dryRun", f"-rule={RULES}", "-loggerLevel=ERROR"])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        for old, new in (('absent(up{job="syncbit"})', 'absent(up{job="syncbit"}'),
                         ("{{ $labels.user }} needs", "{{ $labels.user needs")):
            with self.subTest(broken=new):
                r = run([exe, "-dryRun", f"-rule={self.broken(old, new)}", "-loggerLevel=ERROR"])
                self.assertNotEqual(r.returncode, 0, f"vmalert accepts {new}")

    def test_promtool_unit_tests(self):
        exe = tool("promtool")
        r = run([exe, "test", "rules", UNIT.name], cwd=UNIT.parent)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        tested = set(re.findall(r"alertname: (\w+)", UNIT.read_text()))
        self.assertEqual(tested, set(alert_names()), "every alert has a promtool test")
        text = UNIT.read_text()
        for name in alert_names():
            with self.subTest(alert=name):
                # a case where it must not fire: an eval of it with no exp_alerts
                self.assertRegex(text, rf"alertname: {name}\n(?!\s+exp_alerts)", name)
        # the same tests against rules with one mistake each must fail
        unit = self.tmp / "unit.test.yml"
        unit.write_text(UNIT.read_text().replace("../../deploy/alerts/syncbit.rules.yml",
                                                 "syncbit.rules.yml"))
        for old, new in (("fitbit_device_battery_percent) < 15", "fitbit_device_battery_percent) <= 15"),
                         ("unless on (job, instance, user)", "unless on (job, instance)"),
                         ('reason=~"no_token|invalid_grant|forbidden|account"} == 0',
                          'reason!="ok"} == 0'),
                         ("offset 6h", "offset 1h"),
                         (" and on (job, instance) max by (job, instance) (syncbit_last_sync_success) == 1",
                          "")):
            with self.subTest(mutation=new):
                self.broken(old, new)
                r = run([exe, "test", "rules", unit.name], cwd=self.tmp)
                self.assertNotEqual(r.returncode, 0, f"the tests pass with {new}")

    def test_k8s_objects_match_the_rules(self):
        r = run([sys.executable, str(RULES.parent / "k8s_rules.py"), "--check"])
        self.assertEqual(r.returncode, 0, r.stderr)
        rules = yaml.safe_load(RULES.read_text())
        for name, api, kind in (("prometheusrule.yaml", "monitoring.coreos.com/v1", "PrometheusRule"),
                                ("vmrule.yaml", "operator.victoriametrics.com/v1beta1", "VMRule")):
            with self.subTest(file=name):
                text = (REPO / "k8s" / name).read_text()
                self.assertEqual(text, k8s_rules.render(name, RULES.read_text()))
                obj = yaml.safe_load(text)
                self.assertEqual((obj["apiVersion"], obj["kind"]), (api, kind))
                self.assertEqual(obj["spec"], rules)
        # the check sees a difference
        changed = RULES.read_text().replace("for: 1h", "for: 2h")
        self.assertNotEqual(k8s_rules.render("vmrule.yaml", changed), (REPO / "k8s/vmrule.yaml").read_text())
        k = yaml.safe_load((REPO / "k8s" / "kustomization.yaml").read_text())
        self.assertIn("prometheusrule.yaml", k["resources"])
        self.assertNotIn("vmrule.yaml", k["resources"], "both rule objects: every alert twice")

    def test_every_alert_has_a_troubleshooting_row(self):
        readme = REPO.joinpath("README.md").read_text()
        table = readme.split("## Troubleshooting", 1)[1].split("\n## ", 1)[0]
        listed = readme.split("## Alerts", 1)[1].split("\n## ", 1)[0]
        for g in yaml.safe_load(RULES.read_text())["groups"]:
            for r in g["rules"]:
                with self.subTest(alert=r["alert"]):
                    self.assertIn(f"| alert `{r['alert']}`", table)
                    row = re.search(rf"^\| `{r['alert']}` \|.*\| (\w+) \|$", listed, re.M)
                    self.assertIsNotNone(row, f"{r['alert']} not in README's Alerts table")
                    self.assertEqual(row.group(1), r["for"], "README's `for` column")
                    a = r["annotations"]
                    self.assertTrue(a.get("summary"))
                    self.assertIn(f"row {r['alert']}.", a.get("description", ""))
                    self.assertIn(r["labels"].get("severity"), ("critical", "warning", "info"))

    def test_for_windows_changes_only_for(self):
        a = yaml.safe_load(RULES.read_text())
        b = yaml.safe_load(for_windows(RULES.read_text(), FOR))
        for ga, gb in zip(a["groups"], b["groups"]):
            for ra, rb in zip(ga["rules"], gb["rules"]):
                self.assertEqual(rb["for"], FOR)
                self.assertEqual({k: v for k, v in ra.items() if k != "for"},
                                 {k: v for k, v in rb.items() if k != "for"})
        self.assertEqual(len(a["groups"]), len(b["groups"]))


class Alertmanager:
    """A stand-in receiver for vmalert's notifications (POST /api/v2/alerts):
    vmalert needs a -notifier.url; the test also reads what it was sent."""

    def __init__(self):
        got = self.got = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path == "/api/v2/alerts":
                    got.extend(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass
        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.srv.server_address[1]}"
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


class EndToEnd(IntegrationTest):
    def setUp(self):
        super().setUp()
        if yaml is None:
            self.skipTest("python3-yaml missing")
        self.vmalert = tool("vmalert")

    def stack(self, accounts, membership_start, collect):
        """fake_google with accounts, VictoriaMetrics scraping SyncBit every second,
        vmalert on the rules; every account authorized. (fake, vm, sb); sb not started."""
        fake = self.h.fake("fake_google.py", "--timezone", "Europe/Berlin", "--now", str(time.time()))
        cfg = fake.get("/_test/config")
        fake.config(membership_start=membership_start, accounts=accounts)
        u = fake.url
        listen = f"127.0.0.1:{free_port()}"
        scrape = self.h.tmp / "scrape.yml"
        scrape.write_text(yaml.safe_dump({"scrape_configs": [{
            "job_name": "syncbit", "scrape_interval": SCRAPE,
            "static_configs": [{"targets": [listen]}]}]}))
        # -search.latencyOffset: VictoriaMetrics hides the last 30 s from queries by default
        vm = self.h.victoria(f"-promscrape.config={scrape}", "-search.latencyOffset=1s")
        env = {"SOURCE": "google", "GOOGLE_CLIENT_ID": cfg["client_id"],
               "GOOGLE_CLIENT_SECRET": cfg["client_secret"], "GOOGLE_HEALTH_API_URL": u,
               "GOOGLE_AUTH_URL": u + "/o/oauth2/v2/auth", "GOOGLE_TOKEN_URL": u + "/token",
               "GOOGLE_REDIRECT_URI": f"http://127.0.0.1:{free_port()}/callback",
               "USERS": ",".join(accounts), "SYNC_INTERVAL_MINUTES": "1", "COLLECT": collect,
               "VICTORIA_ENDPOINT": vm.write_url, "LISTEN_ADDRESS": listen}
        sb = self.h.syncbit(env)
        for user in accounts:
            r = sb.authorize(user=user)
            self.assertEqual(r.rc, 0, f"{user}: {r}")

        self.am = Alertmanager()
        self.addCleanup(self.am.close)
        rules = self.h.tmp / "syncbit.rules.yml"
        rules.write_text(for_windows(RULES.read_text(), FOR))
        port = free_port()
        self.va = self.h.spawn([self.vmalert, f"-rule={rules}", f"-datasource.url={vm.url}",
                                f"-notifier.url={self.am.url}", f"-evaluationInterval={SCRAPE}",
                                f"-httpListenAddr=127.0.0.1:{port}", "-loggerLevel=WARN"], name="vmalert")
        self.va_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: not self.va.alive() or _ok(self.va_url + "/api/v1/alerts"), 20, "vmalert up")
        self.assertTrue(self.va.alive(), self.va.tail())
        return fake, vm, sb

    def alerts(self):
        r = http("GET", self.va_url + "/api/v1/alerts")
        self.assertEqual(r.status, 200, r.text)
        return r.json()["data"]["alerts"] or []   # null when none

    def test_vmalert_fires_authorization_for_the_revoked_account_only(self):
        fake, vm, sb = self.stack({"alice": {"seed": 21, "dup_devices": True}, "carol": {"seed": 23}},
                                  time.strftime("%Y-%m-%d"), "devices")
        # carol's grant dies: her access token is expired, the refresh answers invalid_grant
        fake.config(expire_access_token="carol", revoke_account="carol")
        sb.start()
        # SyncBit says it (scraped into VictoriaMetrics); the `for` window starts then
        wait_until(lambda: vm.query('syncbit_account_ready{user="carol",reason="invalid_grant"} == 0'),
                   30, "carol's invalid_grant in VictoriaMetrics")
        seen = time.monotonic()
        wait_until(lambda: vm.query('syncbit_account_ready{user="alice",reason="ok"} == 1'),
                   30, "alice ready in VictoriaMetrics")
        alerts, va, am = self.alerts, self.va, self.am

        def carol_firing():
            return [a for a in alerts() if a["name"] == "SyncBitAuthorizationNeeded"
                    and a["labels"].get("user") == "carol" and a["state"] == "firing"]
        budget = FOR_S + 4 * 1 + 6   # for + a scrape, an evaluation, the latency offset, 1 s each + slack
        try:
            fired = wait_until(carol_firing, budget, "carol's SyncBitAuthorizationNeeded firing")
        except TimeoutError:
            self.fail(f"not firing {budget} s after the metric: {alerts()}\n{va.tail()}")
        took = time.monotonic() - seen
        now = time.time()
        a = fired[0]
        # active (pending) for the `for` window before firing
        active = datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", a["activeAt"]).replace("Z", "+00:00"))
        self.assertGreaterEqual(now - active.timestamp(), FOR_S - 1, a)
        self.assertEqual(a["labels"]["reason"], "invalid_grant")
        self.assertEqual(a["annotations"]["summary"],
                         "SyncBit account carol needs authorization (invalid_grant)")
        self.assertIn("syncbit --authorize --user carol", a["annotations"]["description"])
        # alice's device alerts, from SyncBit's real device series
        want = {("SyncBitDeviceBatteryLow", "alice"), ("SyncBitDeviceNotSynced", "alice")}
        try:
            wait_until(lambda: want <= {(x["name"], x["labels"].get("user")) for x in alerts()
                                        if x["state"] == "firing"}, 20, "alice's device alerts")
        except TimeoutError:
            series = vm.query('{__name__=~"fitbit_device.+"}')
            self.fail(f"{want} not firing: {alerts()}\n{series}")
        devices = {(x["name"], x["labels"]["device"]) for x in alerts() if x["name"].startswith("SyncBitDevice")}
        self.assertEqual(len(devices), 2, f"only the old second tracker: {devices}")
        # alice, healthy and evaluated all along, has no authorization alert in any state
        mine = [x for x in alerts() if x["name"] == "SyncBitAuthorizationNeeded"
                and x["labels"].get("user") != "carol"]
        self.assertEqual(mine, [])
        names = {x["name"] for x in alerts()}
        self.assertNotIn("SyncBitDown", names)
        self.assertNotIn("SyncBitRemoteWriteFailing", names)
        # and vmalert told the Alertmanager
        wait_until(lambda: any(x["labels"].get("alertname") == "SyncBitAuthorizationNeeded"
                               and x["labels"].get("user") == "carol" for x in am.got),
                   10, "the notification for carol")
        self.assertFalse(any(x["labels"].get("alertname") == "SyncBitAuthorizationNeeded"
                             and x["labels"].get("user") == "alice" for x in am.got))
        print(f"# firing {took:.1f} s after SyncBit's metric reached VictoriaMetrics (for: {FOR})",
              file=sys.stderr)


def _ok(url):
    try:
        return http("GET", url, timeout=2).status == 200
    except OSError:
        return False


if __name__ == "__main__":
    unittest.main()
