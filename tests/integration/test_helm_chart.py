"""deploy/helm/syncbit/ with helm 4.1 (tests/deps.sh): `helm lint --strict`;
`helm template` for the defaults, for a household (ci/household-values.yaml)
and for other values, every object validated strictly against the schemas of
tests/k8s/schemas/ (tests/k8s/schema_check.py); the default render and
`kubectl kustomize k8s/` describe the same objects, field for field, but for
the labels and the annotation only Helm adds and the white space in PromQL
(so the two cannot drift); the
rules are deploy/alerts/syncbit.rules.yml's groups; the household's
init-container script run on temporary directories; the values Helm must
refuse (values.schema.json, both scrape objects, a Secret without data); the
packaged .tgz renders the same."""

import copy
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "syncbit"
HOUSEHOLD = CHART / "ci" / "household-values.yaml"
RULES = REPO / "deploy" / "alerts" / "syncbit.rules.yml"
sys.path.insert(0, str(REPO / "tests" / "k8s"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import tools  # noqa: E402
from seed import seed_sandbox  # noqa: E402
from test_k8s_schemas import KUSTOMIZED, kustomize, need_schemas  # noqa: E402

# what Helm adds and kustomize does not: its labels, the pod's config checksum
HELM_LABELS = {"app.kubernetes.io/instance", "app.kubernetes.io/version",
               "app.kubernetes.io/managed-by", "helm.sh/chart"}
HELM_ANNOTATIONS = {"checksum/config"}


def without_helm(node):
    """node without Helm's labels and annotations (a copy), empty maps dropped,
    PromQL's white space collapsed."""
    if isinstance(node, list):
        return [without_helm(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k in ("labels", "matchLabels", "selector") and isinstance(v, dict):
            v = {lk: lv for lk, lv in v.items() if lk not in HELM_LABELS}
        elif k == "annotations" and isinstance(v, dict):
            v = {ak: av for ak, av in v.items() if ak not in HELM_ANNOTATIONS}
        elif k == "expr" and isinstance(v, str):
            # kustomize's YAML parser keeps an extra line break in a folded
            # (>-) expr before its more-indented lines, Helm's does not; the
            # same PromQL either way
            v = " ".join(v.split())
        v = without_helm(v)
        if v == {} and k in ("labels", "annotations"):
            continue
        out[k] = v
    return out


def index(objs):
    return {(o["kind"], o["metadata"]["name"]): o for o in objs}


class Chart(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.helm = tools.tool("helm")
        cls.schemas = need_schemas(cls)

    def template(self, *args, release="syncbit", ok=True):
        r = tools.run([self.helm, "template", release, str(CHART), *args])
        if not ok:
            self.assertNotEqual(r.returncode, 0, "helm template accepted " + " ".join(args))
            return r.stderr
        self.assertEqual(r.returncode, 0, r.stderr)
        import schema_check
        objs = schema_check.load_objects(r.stdout)
        for obj in objs:
            errs = self.schemas.errors(obj)
            self.assertEqual(errs, [], "helm template " + " ".join(args) + ":\n" + "\n".join(errs))
        return objs

    def test_lint_strict(self):
        for args in ([], ["-f", str(HOUSEHOLD)]):
            with self.subTest(values=args):
                r = tools.run([self.helm, "lint", "--strict", str(CHART), *args])
                self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
                self.assertIn("0 chart(s) failed", r.stdout)

    def test_default_render_is_kustomize(self):
        chart = index(self.template())
        kust = index(kustomize())
        self.assertEqual(set(chart), KUSTOMIZED)
        self.assertEqual(set(kust), KUSTOMIZED)
        for key in sorted(KUSTOMIZED):
            with self.subTest(object=key):
                self.assertEqual(without_helm(chart[key]), without_helm(kust[key]))
        labels = chart[("Deployment", "syncbit")]["spec"]["template"]["metadata"]["labels"]
        self.assertEqual(labels["app.kubernetes.io/instance"], "syncbit")

    def test_comparison_sees_a_difference(self):
        """without_helm keeps what matters: a changed field is a difference."""
        chart = index(self.template("--set", "resources.limits.memory=65Mi"))
        kust = index(kustomize())
        key = ("Deployment", "syncbit")
        self.assertNotEqual(without_helm(chart[key]), without_helm(kust[key]))

    def test_rules_are_the_rules_file(self):
        import yaml
        groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
        for kind in ("PrometheusRule", "VMRule"):
            with self.subTest(kind=kind):
                objs = index(self.template("--set", "rules.kind=" + kind))
                self.assertEqual(objs[(kind, "syncbit")]["spec"]["groups"], groups)
        objs = index(self.template("--set", "rules.enabled=false"))
        self.assertNotIn(("PrometheusRule", "syncbit"), objs)

    def test_install_dry_run_notes(self):
        """`helm install --dry-run=client` (no cluster): its notes name the
        Secret to create and one authorization command per account."""
        cmd = "kubectl -n home exec -it deploy/syncbit -- syncbit --authorize --listen-all"
        for args, want, absent in (
                ([], [cmd + "\n", "from the Secret syncbit-secrets: create it"], "--user"),
                (["-f", str(HOUSEHOLD)], [cmd + " --user alice\n", cmd + " --user bob\n"],
                 "create it")):
            with self.subTest(args=args):
                r = tools.run([self.helm, "install", "syncbit", str(CHART), "-n", "home",
                               "--dry-run=client", *args])
                self.assertEqual(r.returncode, 0, r.stderr)
                notes = r.stdout.split("NOTES:\n", 1)[1]
                for w in want:
                    self.assertIn(w, notes)
                self.assertNotIn(absent, notes)

    def test_household(self):
        objs = index(self.template("-f", str(HOUSEHOLD)))
        self.assertEqual(set(objs), {
            ("ConfigMap", "syncbit-config"), ("PersistentVolumeClaim", "syncbit-data"),
            ("Deployment", "syncbit"), ("Service", "syncbit"), ("Secret", "syncbit-secrets"),
            ("VMServiceScrape", "syncbit"), ("VMRule", "syncbit")})
        data = objs[("ConfigMap", "syncbit-config")]["data"]
        self.assertEqual(data["USERS"], "alice,bob")
        self.assertNotIn("FITBIT_USER_ID", data)
        self.assertEqual((data["SOURCE"], data["BACKFILL_START"], data["COLLECT"]),
                         ("fitbit", "2024-01-01", "activity,heart,sleep,devices"))
        secret = objs[("Secret", "syncbit-secrets")]
        self.assertEqual(secret["stringData"],
                         {"FITBIT_CLIENT_ID": "23ABCD", "FITBIT_CLIENT_SECRET": "change-me"})
        pvc = objs[("PersistentVolumeClaim", "syncbit-data")]["spec"]
        self.assertEqual((pvc["storageClassName"], pvc["resources"]["requests"]["storage"]),
                         ("standard", "2Gi"))
        pod = objs[("Deployment", "syncbit")]["spec"]["template"]["spec"]
        seed = {v["name"]: v for v in pod["volumes"]}["seed-tokens"]["secret"]
        self.assertEqual((seed["secretName"], seed["optional"]), ("household-tokens", True))
        env = pod["containers"][0]["envFrom"]
        self.assertEqual(env[1]["secretRef"]["name"], "syncbit-secrets")
        self.run_household_seed(pod["initContainers"][0]["command"][2])

    def run_household_seed(self, script):
        """The init container's household script on temporary directories:
        seeds <name>.google_tokens.json to users/<name>/ once, never over a
        token SyncBit has rotated, leaves an account without a key alone."""
        lint = shutil.which("shellcheck")
        if lint:
            r = subprocess.run([lint, "-s", "sh", "-"], input=script, capture_output=True,
                               text=True, timeout=30)
            self.assertEqual(r.returncode, 0, r.stdout)
        with tempfile.TemporaryDirectory() as tmp:
            seed, data, run = seed_sandbox(script, tmp)
            (seed / "alice.google_tokens.json").write_text('{"refresh_token":"a"}')
            self.assertEqual(run(), "seeded users/alice/google_tokens.json "
                                    "from Secret household-tokens\n")
            tok = data / "users" / "alice" / "google_tokens.json"
            self.assertEqual(tok.read_text(), '{"refresh_token":"a"}')
            self.assertEqual(tok.stat().st_mode & 0o777, 0o600)
            bob = data / "users" / "bob"
            self.assertEqual((list(bob.iterdir()), bob.stat().st_mode & 0o777), ([], 0o700))
            tok.write_text('{"refresh_token":"rotated"}')
            self.assertEqual(run(), "")
            self.assertEqual(tok.read_text(), '{"refresh_token":"rotated"}')

    def test_vmservicescrape_is_the_k8s_file(self):
        import schema_check
        objs = index(self.template("--set", "serviceMonitor.enabled=false",
                                   "--set", "vmServiceScrape.enabled=true"))
        (want,) = schema_check.load_objects((REPO / "k8s" / "vmservicescrape.yaml").read_text())
        got = without_helm(objs[("VMServiceScrape", "syncbit")])
        del got["metadata"]["labels"]["app.kubernetes.io/part-of"]   # kustomize's label
        self.assertEqual(got, want)

    def test_other_release_name_stays_consistent(self):
        objs = index(self.template("--set", "persistence.existingClaim=old-data",
                                   release="home"))
        self.assertIn(("Service", "home-syncbit"), objs)
        self.assertNotIn(("PersistentVolumeClaim", "home-syncbit-data"), objs)
        dep = objs[("Deployment", "home-syncbit")]
        pod = dep["spec"]["template"]
        plabels = pod["metadata"]["labels"]
        svc = objs[("Service", "home-syncbit")]
        mon = objs[("ServiceMonitor", "home-syncbit")]["spec"]
        for sel in (dep["spec"]["selector"]["matchLabels"], svc["spec"]["selector"]):
            self.assertLessEqual(sel.items(), plabels.items())
        self.assertLessEqual(mon["selector"]["matchLabels"].items(),
                             svc["metadata"]["labels"].items())
        self.assertEqual(svc["metadata"]["labels"][mon["jobLabel"]], "syncbit")
        spec = pod["spec"]
        self.assertEqual(spec["containers"][0]["envFrom"][0]["configMapRef"]["name"],
                         "home-syncbit-config")
        self.assertIn(("ConfigMap", "home-syncbit-config"), objs)
        claims = [v["persistentVolumeClaim"]["claimName"] for v in spec["volumes"]
                  if "persistentVolumeClaim" in v]
        self.assertEqual(claims, ["old-data"])

    def test_values_variants_validate(self):
        variants = [
            ["--set", "persistence.enabled=false"],
            ["--set", "victoriaEndpoint=", "--set", "image.tag=0.2.0",
             "--set", "image.repository=registry.example/syncbit"],
            ["--set", "probes.readiness=null", "--set", "nodeSelector.disk=ssd",
             "--set", "rules.labels.release=kps", "--set", "serviceMonitor.labels.release=kps"],
        ]
        for args in variants:
            with self.subTest(args=args):
                objs = index(self.template(*args))
                self.assertIn(("Deployment", "syncbit"), objs)
        objs = index(self.template("--set", "persistence.enabled=false"))
        vols = objs[("Deployment", "syncbit")]["spec"]["template"]["spec"]["volumes"]
        self.assertEqual(vols[0], {"name": "data", "emptyDir": {}})
        self.assertNotIn(("PersistentVolumeClaim", "syncbit-data"), objs)

    def test_refused_values(self):
        """values.schema.json and the templates' checks: one line naming the value."""
        cases = [
            (["--set", "vmServiceScrape.enabled=true"], "scraped twice"),
            (["--set", "secret.create=true"], "secret.create: true needs secret.data"),
            (["--set", "rules.kind=Rule"], "at '/rules/kind': value must be one of"),
            (["--set", "source=garmin"], "at '/source': value must be one of"),
            (["--set", "users[0]=Alice"], "'Alice' does not match pattern"),
            (["--set", "serviceMonitor.enable=true"], "additional properties 'enable' not allowed"),
            (["--set", "service.port=http"], "at '/service/port': got string, want integer"),
            (["--set", "env.USERS=alice"], "invalid propertyName 'USERS'"),
        ]
        for args, expect in cases:
            with self.subTest(args=args):
                self.assertIn(expect, self.template(*args, ok=False))

    def test_schemas_refuse_what_the_values_let_through(self):
        """The free-form values (security contexts, resources) reach the
        render; its validation refuses a wrong type or a misspelt field."""
        import schema_check
        cases = [
            ("podSecurityContext.runAsUser=abc", "'abc' is not of type 'integer'"),
            ("securityContext.readOnlyRootFilesytem=true", "'readOnlyRootFilesytem' was unexpected"),
        ]
        for arg, expect in cases:
            with self.subTest(arg=arg):
                r = tools.run([self.helm, "template", "syncbit", str(CHART), "--set", arg])
                self.assertEqual(r.returncode, 0, r.stderr)
                dep = index(schema_check.load_objects(r.stdout))[("Deployment", "syncbit")]
                errs = self.schemas.errors(copy.deepcopy(dep))
                self.assertTrue(any(expect in e for e in errs), errs)

    def test_packaged_chart_carries_the_rules(self):
        """helm package follows files/syncbit.rules.yml's link: the .tgz renders
        the same rules and leaves ci/ out."""
        import tarfile
        with tempfile.TemporaryDirectory() as tmp:
            r = tools.run([self.helm, "package", str(CHART), "-d", tmp])
            self.assertEqual(r.returncode, 0, r.stderr)
            (tgz,) = Path(tmp).glob("syncbit-*.tgz")
            with tarfile.open(tgz) as tar:
                names = tar.getnames()
                rules = tar.extractfile("syncbit/files/syncbit.rules.yml").read()
            self.assertEqual(rules, RULES.read_bytes())
            self.assertFalse([n for n in names if "/ci/" in n], names)
            r = tools.run([self.helm, "template", "syncbit", str(tgz)])
            self.assertEqual(r.returncode, 0, r.stderr)
            import schema_check
            packaged = index(schema_check.load_objects(r.stdout))
        self.assertEqual(packaged, index(self.template()))

if __name__ == "__main__":
    unittest.main()
