"""k8s/ against the Kubernetes 1.36 OpenAPI and the Prometheus Operator /
VictoriaMetrics operator CRDs vendored in tests/k8s/schemas/, strictly
(tests/k8s/schema_check.py: unknown fields, types, required fields): every
object that `kubectl kustomize k8s/` (kubectl 1.33, tests/deps.sh) renders,
and every object of every k8s/ file, also those outside the kustomization
(vmservicescrape.yaml, vmrule.yaml, secret.yaml.example). Negative cases:
each mutation of a valid object must be refused with the expected message,
so a validator that passes everything fails here. The vendored files must
match the sha256 recorded in tests/k8s/schemas/README.md."""

import copy
import hashlib
import re
import sys
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "k8s"
sys.path.insert(0, str(REPO / "tests" / "k8s"))
try:
    import schema_check  # noqa: E402  (needs python3-jsonschema, python3-yaml)
except ImportError as e:  # pragma: no cover
    schema_check = None
    MISSING = str(e)
import tools  # noqa: E402

KUSTOMIZED = {("ConfigMap", "syncbit-config"), ("PersistentVolumeClaim", "syncbit-data"),
              ("Deployment", "syncbit"), ("Service", "syncbit"),
              ("ServiceMonitor", "syncbit"), ("PrometheusRule", "syncbit")}


def need_schemas(case):
    if schema_check is None:
        raise unittest.SkipTest(f"{MISSING} (tests/deps.sh: python3-jsonschema)")
    if not hasattr(need_schemas, "cache"):
        need_schemas.cache = schema_check.Schemas()
    return need_schemas.cache


def kustomize():
    r = tools.run([tools.tool("kubectl"), "kustomize", str(K8S)])
    if r.returncode != 0:
        raise AssertionError("kubectl kustomize k8s/: " + r.stderr)
    return schema_check.load_objects(r.stdout)


def file_objects():
    """(file name, object) for every object of every k8s/ file."""
    out = []
    for path in sorted(K8S.glob("*.yaml")) + [K8S / "secret.yaml.example"]:
        for obj in schema_check.load_objects(path.read_text(encoding="utf-8")):
            if obj.get("kind") != "Kustomization":
                out.append((path.name, obj))
    return out


def container(obj):
    return obj["spec"]["template"]["spec"]["containers"][0]


def setp(path, value):
    """A mutation setting obj[path...] = value (path: keys and indexes)."""
    def mutate(obj):
        node = obj
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return mutate


def delp(path):
    def mutate(obj):
        node = obj
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]
    return mutate


POD = ["spec", "template", "spec"]
C0 = POD + ["containers", 0]
# (kind, what, mutation, expected message): each must be refused.
NEGATIVE = [
    ("Deployment", "unknown container field", setp(C0 + ["imagePullPolcy"], "Always"),
     "'imagePullPolcy' was unexpected"),
    ("Deployment", "unknown pod field", setp(POD + ["securityContxt"], {}),
     "'securityContxt' was unexpected"),
    ("Deployment", "unknown probe field", setp(C0 + ["livenessProbe", "httpGet", "paht"], "/"),
     "'paht' was unexpected"),
    ("Deployment", "replicas as a string", setp(["spec", "replicas"], "1"),
     "spec.replicas: '1' is not of type 'integer'"),
    ("Deployment", "containerPort as a string", setp(C0 + ["ports", 0, "containerPort"], "9877"),
     "is not of type 'integer'"),
    ("Deployment", "readOnlyRootFilesystem as a string",
     setp(C0 + ["securityContext", "readOnlyRootFilesystem"], "true"),
     "is not of type 'boolean'"),
    ("Deployment", "no selector", delp(["spec", "selector"]), "'selector' is a required property"),
    ("Deployment", "container without a name", delp(C0 + ["name"]),
     "'name' is a required property"),
    ("Deployment", "an old apiVersion", setp(["apiVersion"], "extensions/v1beta1"),
     "no schema for apiVersion 'extensions/v1beta1'"),
    ("Service", "port without its number", delp(["spec", "ports", 0, "port"]),
     "'port' is a required property"),
    ("Service", "targetPort as a list", setp(["spec", "ports", 0, "targetPort"], [9877]),
     "is not valid under any of the given schemas"),
    ("ConfigMap", "a number as a value", setp(["data", "SYNC_INTERVAL_MINUTES"], 15),
     "15 is not of type 'string'"),
    ("PersistentVolumeClaim", "unknown spec field", setp(["spec", "storageClass"], "x"),
     "'storageClass' was unexpected"),
    ("ServiceMonitor", "unknown endpoint field", setp(["spec", "endpoints", 0, "intervall"], "1m"),
     "'intervall' was unexpected"),
    ("ServiceMonitor", "unknown metadata field (ObjectMeta)", setp(["metadata", "label"], {}),
     "'label' was unexpected"),
    ("ServiceMonitor", "port as a number", setp(["spec", "endpoints", 0, "port"], 9877),
     "9877 is not of type 'string'"),
    ("PrometheusRule", "group without a name", delp(["spec", "groups", 0, "name"]),
     "'name' is a required property"),
    ("PrometheusRule", "rule without expr", delp(["spec", "groups", 0, "rules", 0, "expr"]),
     "'expr' is a required property"),
    ("PrometheusRule", "unknown rule field", setp(["spec", "groups", 0, "rules", 0, "fro"], "5m"),
     "'fro' was unexpected"),
    ("VMServiceScrape", "unknown spec field", setp(["spec", "endpoint"], []),
     "'endpoint' was unexpected"),
    ("VMRule", "rules as a map", setp(["spec", "groups", 0, "rules"], {}),
     "is not of type 'array'"),
    ("Secret", "a number in stringData", setp(["stringData", "GOOGLE_CLIENT_ID"], 42),
     "42 is not of type 'string'"),
]


class Schemas(unittest.TestCase):
    def setUp(self):
        self.schemas = need_schemas(self)

    def assertValid(self, where, obj):
        errs = self.schemas.errors(obj)
        self.assertEqual(errs, [], f"{where}:\n" + "\n".join(errs))

    def test_vendored_files_match_their_record(self):
        readme = (schema_check.SCHEMAS / "README.md").read_text(encoding="utf-8")
        recorded = dict((name, digest) for digest, name in
                        re.findall(r"`([0-9a-f]{64})`\s*\|\s*`([^`]+)`", readme))
        files = sorted(p.name for p in schema_check.SCHEMAS.iterdir() if p.name != "README.md")
        self.assertEqual(sorted(recorded), files)
        for name in files:
            data = (schema_check.SCHEMAS / name).read_bytes()
            self.assertEqual(hashlib.sha256(data).hexdigest(), recorded[name], name)

    def test_every_k8s_file_object(self):
        objs = file_objects()
        kinds = sorted(o["kind"] for _, o in objs)
        self.assertEqual(kinds, sorted(["ConfigMap", "Deployment", "PersistentVolumeClaim",
                                        "PrometheusRule", "Secret", "Service",
                                        "ServiceMonitor", "VMRule", "VMServiceScrape"]))
        for name, obj in objs:
            with self.subTest(file=name):
                self.assertValid(name, obj)

    def test_kustomize_render(self):
        objs = kustomize()
        self.assertEqual({(o["kind"], o["metadata"]["name"]) for o in objs}, KUSTOMIZED)
        self.assertEqual(len(objs), len(KUSTOMIZED))
        for obj in objs:
            with self.subTest(kind=obj["kind"]):
                self.assertValid("kubectl kustomize k8s/", obj)
                self.assertEqual(obj["metadata"]["labels"]["app.kubernetes.io/part-of"],
                                 "syncbit")

    def test_negative_cases_are_refused(self):
        by_kind = {o["kind"]: o for _, o in file_objects()}
        for kind, what, mutate, expect in NEGATIVE:
            with self.subTest(kind=kind, what=what):
                obj = copy.deepcopy(by_kind[kind])
                self.assertValid(f"{kind} before the mutation", obj)
                mutate(obj)
                errs = self.schemas.errors(obj)
                self.assertTrue(any(expect in e for e in errs),
                                f"{what}: expected {expect!r}, got {errs}")

    def test_open_types_accept_both_forms(self):
        """IntOrString and Quantity: the two forms the API server accepts."""
        by_kind = {o["kind"]: o for _, o in file_objects()}
        svc = copy.deepcopy(by_kind["Service"])
        for tp in ("http-metrics", 9877):
            svc["spec"]["ports"][0]["targetPort"] = tp
            self.assertValid(f"targetPort {tp!r}", svc)
        dep = copy.deepcopy(by_kind["Deployment"])
        for cpu in ("200m", 1, 0.5):
            container(dep)["resources"]["limits"]["cpu"] = cpu
            self.assertValid(f"cpu {cpu!r}", dep)


if __name__ == "__main__":
    unittest.main()
