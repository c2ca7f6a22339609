"""Offline checks of the deployment files: yamllint on k8s/, grafana/provisioning/,
deploy/ and docker-compose.yml, then the structure of every manifest (names,
selectors, named ports, probes, security context, references between objects),
the Compose stack, the vmagent scrape config and the Grafana provisioning.
No cluster and no Docker engine needed. Needs the Debian yamllint package (its
python3-yaml dependency gives `import yaml`); kubectl, promtool, vmagent and
shellcheck are used when installed."""

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

try:
    import yaml
except ImportError:  # yamllint depends on python3-yaml: both or neither
    yaml = None

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
sys.path.insert(0, str(REPO / "tests" / "k8s"))
from seed import seed_sandbox  # noqa: E402  (tests/k8s/seed.py)
LINTED = ["k8s", "grafana/provisioning", "deploy", "docker-compose.yml",
          "k8s/secret.yaml.example"]
APP_LABELS = {"app.kubernetes.io/name": "syncbit"}
# SPEC.md "Configuration"
SPEC_VARS = {
    "SOURCE", "GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "GOOGLE_REDIRECT_URI",
    "GOOGLE_HEALTH_API_URL", "GOOGLE_AUTH_URL", "GOOGLE_TOKEN_URL",
    "FITBIT_CLIENT_ID", "FITBIT_CLIENT_SECRET", "FITBIT_REDIRECT_URI",
    "FITBIT_API_URL", "FITBIT_AUTH_URL", "FITBIT_TOKEN_URL", "FITBIT_USER_ID",
    "VICTORIA_ENDPOINT", "VICTORIA_USER", "VICTORIA_PASSWORD",
    "SYNC_INTERVAL_MINUTES", "BACKFILL_START", "LISTEN_ADDRESS", "DATA_DIR",
    "LOG_LEVEL",
}
SECRET_VARS = {"GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET", "FITBIT_CLIENT_ID",
               "FITBIT_CLIENT_SECRET", "VICTORIA_USER", "VICTORIA_PASSWORD"}


def need_yaml(test):
    if yaml is None:
        raise unittest.SkipTest("python3-yaml missing: install the Debian yamllint package")


def load_all(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def subset(small, big):
    return all(big.get(k) == v for k, v in small.items())


class YamlLint(unittest.TestCase):
    def test_yamllint(self):
        exe = shutil.which("yamllint")
        if exe is None:
            self.skipTest("yamllint not installed (Debian package yamllint)")
        r = subprocess.run([exe, "--strict", "-f", "parsable", "-c",
                            str(REPO / ".yamllint")] + LINTED, cwd=REPO,
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Manifests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        need_yaml(cls)
        cls.objs = {}   # kind -> list of (file, obj)
        cls.files = sorted(K8S.glob("*.yaml")) + [K8S / "secret.yaml.example"]
        for f in cls.files:
            if f.name == "kustomization.yaml" or f.name == "secret.yaml":
                continue
            for d in load_all(f):
                cls.objs.setdefault(d.get("kind"), []).append((f.name, d))

    def one(self, kind):
        objs = self.objs.get(kind, [])
        self.assertEqual(len(objs), 1, f"expected one {kind}")
        return objs[0][1]

    @property
    def deployment(self):
        return self.one("Deployment")

    @property
    def pod(self):
        return self.deployment["spec"]["template"]

    def container(self):
        cs = self.pod["spec"]["containers"]
        self.assertEqual(len(cs), 1)
        return cs[0]

    def test_every_object_has_api_version_kind_name(self):
        self.assertTrue(self.files)
        for kind, objs in self.objs.items():
            for fname, d in objs:
                with self.subTest(file=fname):
                    self.assertTrue(d.get("apiVersion"))
                    self.assertTrue(kind)
                    self.assertTrue(d.get("metadata", {}).get("name"))
                    self.assertTrue(subset(APP_LABELS, d["metadata"].get("labels", {})))

    def test_expected_objects(self):
        for kind, api in [("Deployment", "apps/v1"), ("Service", "v1"),
                          ("ConfigMap", "v1"), ("Secret", "v1"),
                          ("PersistentVolumeClaim", "v1"),
                          ("ServiceMonitor", "monitoring.coreos.com/v1"),
                          ("VMServiceScrape", "operator.victoriametrics.com/v1beta1")]:
            self.assertEqual(self.one(kind)["apiVersion"], api, kind)

    def test_deployment_single_replica_recreate(self):
        spec = self.deployment["spec"]
        self.assertEqual(spec["replicas"], 1)
        self.assertEqual(spec["strategy"], {"type": "Recreate"})

    def test_selector_matches_template_labels(self):
        sel = self.deployment["spec"]["selector"]["matchLabels"]
        self.assertTrue(sel)
        self.assertTrue(subset(sel, self.pod["metadata"]["labels"]))
        self.assertTrue(subset(APP_LABELS, sel))

    def test_ports_and_probes(self):
        c = self.container()
        ports = {p["name"]: p["containerPort"] for p in c["ports"]}
        self.assertEqual(ports.get("http-metrics"), 9877)
        self.assertEqual(ports.get("callback"), 8080)
        paths = {}
        for probe in ("livenessProbe", "readinessProbe"):
            get = c[probe]["httpGet"]
            self.assertIn(get["port"], ports, f"{probe} port is not a container port name")
            paths[probe] = get["path"]
        self.assertEqual(paths, {"livenessProbe": "/healthz", "readinessProbe": "/readyz"})

    def test_security_context(self):
        psc = self.pod["spec"]["securityContext"]
        self.assertIs(psc["runAsNonRoot"], True)
        self.assertEqual(psc["runAsUser"], 10001)
        self.assertEqual(psc["fsGroup"], 10001)
        self.assertEqual(psc["seccompProfile"], {"type": "RuntimeDefault"})
        for c in self.pod["spec"]["containers"] + self.pod["spec"].get("initContainers", []):
            with self.subTest(container=c["name"]):
                sc = c["securityContext"]
                self.assertIs(sc["allowPrivilegeEscalation"], False)
                self.assertIs(sc["readOnlyRootFilesystem"], True)
                self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
                self.assertNotEqual(sc.get("runAsUser", 10001), 0)
                self.assertNotIn("privileged", sc)

    def test_resources(self):
        for c in self.pod["spec"]["containers"] + self.pod["spec"].get("initContainers", []):
            with self.subTest(container=c["name"]):
                self.assertEqual(c["resources"]["requests"], {"cpu": "10m", "memory": "16Mi"})
                self.assertEqual(c["resources"]["limits"], {"cpu": "200m", "memory": "64Mi"})

    def test_env_from_existing_configmap_and_secret(self):
        refs = self.container()["envFrom"]
        cm = [r["configMapRef"]["name"] for r in refs if "configMapRef" in r]
        sec = [r["secretRef"]["name"] for r in refs if "secretRef" in r]
        self.assertEqual(cm, [self.one("ConfigMap")["metadata"]["name"]])
        self.assertEqual(cm, ["syncbit-config"])
        self.assertEqual(sec, [self.one("Secret")["metadata"]["name"]])
        self.assertEqual(sec, ["syncbit-secrets"])

    def test_configmap(self):
        data = self.one("ConfigMap")["data"]
        for k in ("SOURCE", "SYNC_INTERVAL_MINUTES", "LISTEN_ADDRESS", "DATA_DIR",
                  "VICTORIA_ENDPOINT", "FITBIT_USER_ID", "LOG_LEVEL"):
            self.assertIn(k, data)
        for k, v in data.items():
            self.assertIn(k, SPEC_VARS - SECRET_VARS, f"{k}: unknown or secret")
            self.assertIsInstance(v, str, f"{k}: ConfigMap values must be strings")
        self.assertIn(data["SOURCE"], ("google", "fitbit"))
        self.assertRegex(data["SYNC_INTERVAL_MINUTES"], r"^[1-9]\d*$")
        self.assertEqual(data["LISTEN_ADDRESS"], "0.0.0.0:9877")
        self.assertRegex(data["VICTORIA_ENDPOINT"], r"^https?://[^/]+/.*api/v1/write$")
        self.assertIn(data["LOG_LEVEL"], ("DEBUG", "INFO", "WARN", "ERROR"))
        mounts = {m["mountPath"]: m["name"] for m in self.container()["volumeMounts"]}
        self.assertIn(data["DATA_DIR"], mounts, "DATA_DIR is not a mounted volume")

    def test_secret_example(self):
        s = self.one("Secret")
        self.assertEqual(s["metadata"]["name"], "syncbit-secrets")
        self.assertTrue(s.get("stringData"))
        for k in s["stringData"]:
            self.assertIn(k, SECRET_VARS)
        text = (K8S / "secret.yaml.example").read_text(encoding="utf-8")
        for k in SECRET_VARS:
            self.assertIn(k, text, "the example should name every secret variable")

    def test_pvc_matches_the_volume_claim(self):
        pvc = self.one("PersistentVolumeClaim")
        self.assertEqual(pvc["metadata"]["name"], "syncbit-data")
        self.assertEqual(pvc["spec"]["accessModes"], ["ReadWriteOnce"])
        self.assertEqual(pvc["spec"]["resources"]["requests"]["storage"], "1Gi")
        vols = {v["name"]: v for v in self.pod["spec"]["volumes"]}
        claims = [v["persistentVolumeClaim"]["claimName"] for v in vols.values()
                  if "persistentVolumeClaim" in v]
        self.assertEqual(claims, ["syncbit-data"])
        data_vol = [n for n, v in vols.items() if "persistentVolumeClaim" in v][0]
        mounts = {m["mountPath"]: m["name"] for m in self.container()["volumeMounts"]}
        self.assertEqual(mounts.get("/app/data"), data_vol)
        for c in self.pod["spec"]["containers"] + self.pod["spec"].get("initContainers", []):
            for m in c.get("volumeMounts", []):
                self.assertIn(m["name"], vols, f"{c['name']}: unknown volume {m['name']}")

    def test_init_container_seeds_tokens_only_once(self):
        inits = self.pod["spec"]["initContainers"]
        self.assertEqual(len(inits), 1)
        init = inits[0]
        self.assertEqual(init["image"], self.container()["image"])
        self.assertEqual(init["command"][:2], ["/bin/sh", "-c"])
        vols = {v["name"]: v for v in self.pod["spec"]["volumes"]}
        mounts = {m["mountPath"]: m for m in init["volumeMounts"]}
        seed = vols[mounts["/seed"]["name"]]["secret"]
        self.assertEqual(seed["secretName"], "syncbit-tokens")
        self.assertIs(seed["optional"], True)
        self.assertIs(mounts["/seed"].get("readOnly"), True)
        self.assertEqual(mounts["/app/data"]["name"],
                         [n for n, v in vols.items() if "persistentVolumeClaim" in v][0])
        self.run_seed_script(init["command"][2])

    def run_seed_script(self, script):
        """Run the init container's script on temporary directories."""
        sh = shutil.which("sh")
        if sh is None:
            self.skipTest("no sh")
        with tempfile.TemporaryDirectory() as tmp:
            seed, data, run = seed_sandbox(script, tmp)
            run()                                   # no Secret: nothing to do
            self.assertEqual(list(data.iterdir()), [])
            (seed / "google_tokens.json").write_text('{"refresh_token":"seed"}')
            self.assertIn("seeded google_tokens.json", run())
            tok = data / "google_tokens.json"
            self.assertEqual(tok.read_text(), '{"refresh_token":"seed"}')
            self.assertEqual(stat.S_IMODE(tok.stat().st_mode), 0o600)
            tok.write_text('{"refresh_token":"rotated"}')   # SyncBit rotated it
            self.assertEqual(run(), "")                      # restart: kept
            self.assertEqual(tok.read_text(), '{"refresh_token":"rotated"}')
            self.assertEqual(sorted(p.name for p in data.iterdir()), ["google_tokens.json"])

    def test_seed_script_shellcheck(self):
        exe = shutil.which("shellcheck")
        if exe is None:
            self.skipTest("shellcheck not installed")
        script = self.pod["spec"]["initContainers"][0]["command"][2]
        r = subprocess.run([exe, "-s", "sh", "-"], input=script, capture_output=True,
                           text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout)

    def test_service(self):
        svc = self.one("Service")
        self.assertTrue(subset(svc["spec"]["selector"], self.pod["metadata"]["labels"]))
        ports = {p["name"]: p for p in svc["spec"]["ports"]}
        self.assertEqual(ports["http-metrics"]["port"], 9877)
        cports = {p["name"] for p in self.container()["ports"]}
        tp = ports["http-metrics"]["targetPort"]
        self.assertTrue(tp in cports or tp == 9877)

    def test_scrape_objects_select_the_service(self):
        svc = self.one("Service")
        svc_ports = {p["name"] for p in svc["spec"]["ports"]}
        for kind in ("ServiceMonitor", "VMServiceScrape"):
            with self.subTest(kind=kind):
                spec = self.one(kind)["spec"]
                self.assertTrue(subset(spec["selector"]["matchLabels"], svc["metadata"]["labels"]))
                self.assertTrue(spec["endpoints"])
                for ep in spec["endpoints"]:
                    self.assertIn(ep["port"], svc_ports)
                    self.assertEqual(ep["path"], "/metrics")
                    self.assertEqual(ep["interval"], "60s")

    def test_kustomization(self):
        k = load_all(K8S / "kustomization.yaml")[0]
        self.assertEqual(k["kind"], "Kustomization")
        res = k["resources"]
        for r in res:
            self.assertTrue((K8S / r).is_file(), f"{r} does not exist")
        for r in ("configmap.yaml", "pvc.yaml", "deployment.yaml", "service.yaml"):
            self.assertIn(r, res)
        self.assertNotIn("secret.yaml.example", res)
        self.assertNotIn("secret.yaml", res)
        self.assertFalse({"servicemonitor.yaml", "vmservicescrape.yaml"} <= set(res),
                         "both scrape objects: SyncBit would be scraped twice")

    def test_kubectl_kustomize(self):
        exe = shutil.which("kubectl")
        if exe is None:
            self.skipTest("kubectl not installed")
        r = subprocess.run([exe, "kustomize", str(K8S)], capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        kinds = sorted(d["kind"] for d in yaml.safe_load_all(r.stdout) if d)
        self.assertIn("Deployment", kinds)
        self.assertNotIn("Secret", kinds)


class ComposeAndScrape(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        need_yaml(cls)
        cls.compose = load_all(REPO / "docker-compose.yml")[0]
        cls.services = cls.compose["services"]
        cls.scrape = load_all(REPO / "deploy" / "vmagent-scrape.yaml")[0]

    def test_services(self):
        self.assertEqual(set(self.services),
                         {"syncbit", "victoria-metrics", "vmagent", "grafana"})
        for name, s in self.services.items():
            self.assertTrue("image" in s or "build" in s, name)
            for m in s.get("volumes", []):
                src = m.split(":")[0]
                if src.startswith("./"):
                    if src == "./data":
                        continue
                    self.assertTrue((REPO / src).exists(), f"{name}: {src} missing")
                else:
                    self.assertIn(src, self.compose.get("volumes", {}), f"{name}: {src}")

    def test_syncbit(self):
        s = self.services["syncbit"]
        self.assertEqual(s["build"], ".")
        self.assertEqual(s["env_file"], ".env")
        self.assertIn("./data:/app/data", s["volumes"])
        self.assertTrue(any(str(p).endswith("9877:9877") for p in s["ports"]))
        self.assertEqual(s["environment"]["DATA_DIR"], "/app/data")
        self.assertIn("http://victoria-metrics:8428/api/v1/write",
                      s["environment"]["VICTORIA_ENDPOINT"])

    def test_victoria_metrics_flags(self):
        s = self.services["victoria-metrics"]
        self.assertTrue(s["image"].startswith("victoriametrics/victoria-metrics:"))
        self.assertIn("-retentionPeriod=100y", s["command"])
        self.assertIn("-dedup.minScrapeInterval=1ms", s["command"])

    def test_vmagent(self):
        s = self.services["vmagent"]
        self.assertIn("./deploy/vmagent-scrape.yaml:/etc/vmagent/scrape.yaml:ro", s["volumes"])
        self.assertIn("-promscrape.config=/etc/vmagent/scrape.yaml", s["command"])
        self.assertIn("-remoteWrite.url=http://victoria-metrics:8428/api/v1/write", s["command"])
        self.assertTrue(any(c.startswith("-remoteWrite.tmpDataPath=") for c in s["command"]))

    def test_scrape_config(self):
        self.assertEqual(self.scrape["global"]["scrape_interval"], "60s")
        jobs = {j["job_name"]: j for j in self.scrape["scrape_configs"]}
        job = jobs["syncbit"]
        targets = [t for sc in job["static_configs"] for t in sc["targets"]]
        self.assertEqual(targets, ["syncbit:9877"])
        self.assertIn(targets[0].split(":")[0], self.services)

    def test_scrape_config_promtool(self):
        exe = shutil.which("promtool")
        if exe is None:
            self.skipTest("promtool not installed (Debian package prometheus)")
        r = subprocess.run([exe, "check", "config", str(REPO / "deploy" / "vmagent-scrape.yaml")],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_scrape_config_vmagent_dry_run(self):
        exe = shutil.which("vmagent")
        if exe is None:
            self.skipTest("vmagent not installed")
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run([exe, "-promscrape.config=" + str(REPO / "deploy" / "vmagent-scrape.yaml"),
                                "-promscrape.config.dryRun", "-remoteWrite.tmpDataPath=" + tmp],
                               capture_output=True, text=True, timeout=30, cwd=tmp)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_grafana_provisioning(self):
        g = self.services["grafana"]
        mounts = dict(m.split(":")[:2] for m in g["volumes"])
        self.assertEqual(mounts.get("./grafana/provisioning"), "/etc/grafana/provisioning")
        dash_target = mounts["./grafana/syncbit-dashboard.json"]
        ds = load_all(REPO / "grafana/provisioning/datasources/victoriametrics.yaml")[0]
        (src,) = ds["datasources"]
        self.assertEqual(src["type"], "prometheus")
        self.assertEqual(src["url"], "http://victoria-metrics:8428")
        prov = load_all(REPO / "grafana/provisioning/dashboards/syncbit.yaml")[0]
        (p,) = prov["providers"]
        self.assertEqual(p["type"], "file")
        self.assertEqual(os.path.dirname(dash_target), p["options"]["path"])


if __name__ == "__main__":
    unittest.main()
