"""Strict validation of Kubernetes objects against the vendored schemas in
tests/k8s/schemas/ (see its README.md for their sources), the way kubeconform
-strict does it, with Debian's python3-jsonschema (Draft 7) and python3-yaml:

- the schema is chosen by apiVersion and kind (the OpenAPI definitions'
  x-kubernetes-group-version-kind, a CRD's group and served versions); an
  object with no schema is an error, not a pass;
- a property a schema does not list is an error (additionalProperties false)
  unless the schema allows any (additionalProperties given, or
  x-kubernetes-preserve-unknown-fields);
- types and required fields as the schemas say; IntOrString accepts an
  integer or a string, Quantity a string or a number (as the API server
  does), nullable: true adds null;
- a custom resource's metadata is checked as ObjectMeta (its CRD only says
  "object").

Not checked (the API server would): formats and patterns of names, values
of enums the OpenAPI v2 text only describes, admission and defaulting,
cross-object references."""

import copy
import json
from pathlib import Path

import jsonschema
import yaml

SCHEMAS = Path(__file__).resolve().parent / "schemas"
OPENAPI = SCHEMAS / "k8s-swagger.subset.json"
CRDS = ("monitoring.coreos.com_servicemonitors.yaml",
        "monitoring.coreos.com_prometheusrules.yaml",
        "operator.victoriametrics.com_vmservicescrapes.yaml",
        "operator.victoriametrics.com_vmrules.yaml")
META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
OPEN_TYPES = {
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
        {"anyOf": [{"type": "integer"}, {"type": "string"}]},
    "io.k8s.apimachinery.pkg.api.resource.Quantity":
        {"anyOf": [{"type": "string"}, {"type": "number"}]},
}


def strict(node):
    """node with every object schema closed to unlisted properties (in place)."""
    if isinstance(node, list):
        for item in node:
            strict(item)
        return node
    if not isinstance(node, dict):
        return node
    for key, value in node.items():
        if key == "properties":
            for sub in value.values():
                strict(sub)
        elif key not in ("enum", "default", "example", "required"):
            strict(value)
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in node:
        node.pop("type", None)
        node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") is True and isinstance(node.get("type"), str):
        node["type"] = [node["type"], "null"]
    if ("properties" in node and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        node["additionalProperties"] = False
    return node


def api_version(group, version):
    return f"{group}/{version}" if group else version


class Schemas:
    """Validators by (apiVersion, kind) for every vendored schema."""

    def __init__(self):
        defs = json.loads(OPENAPI.read_text(encoding="utf-8"))["definitions"]
        defs = copy.deepcopy(defs)
        for name, schema in OPEN_TYPES.items():
            defs[name] = dict(schema)
        strict(defs)
        self.definitions = defs
        self.by_gvk = {}
        for name, schema in defs.items():
            for gvk in schema.get("x-kubernetes-group-version-kind", []):
                key = (api_version(gvk["group"], gvk["version"]), gvk["kind"])
                self.by_gvk[key] = self.validator({"$ref": "#/definitions/" + name})
        for crd_file in CRDS:
            crd = yaml.safe_load((SCHEMAS / crd_file).read_text(encoding="utf-8"))
            spec = crd["spec"]
            for ver in spec["versions"]:
                if not ver.get("served"):
                    continue
                schema = strict(copy.deepcopy(ver["schema"]["openAPIV3Schema"]))
                schema["properties"]["metadata"] = {"$ref": "#/definitions/" + META}
                key = (api_version(spec["group"], ver["name"]), spec["names"]["kind"])
                self.by_gvk[key] = self.validator(schema)

    def validator(self, schema):
        root = {"allOf": [schema], "definitions": self.definitions}
        return jsonschema.Draft7Validator(root)

    def errors(self, obj):
        """One line per violation of obj (a parsed object); [] when valid."""
        if not isinstance(obj, dict):
            return [f"not an object: {obj!r:.60}"]
        key = (obj.get("apiVersion"), obj.get("kind"))
        name = f"{key[1]}/{(obj.get('metadata') or {}).get('name')}"
        val = self.by_gvk.get(key)
        if val is None:
            return [f"{name}: no schema for apiVersion {key[0]!r} kind {key[1]!r}"]
        out = []
        for err in val.iter_errors(obj):
            leaves = leaf_errors(err)
            for leaf in leaves:
                path = ".".join(str(p) for p in leaf.absolute_path) or "(top)"
                out.append(f"{name}: {path}: {leaf.message}")
        return sorted(set(out))


def leaf_errors(err):
    """The innermost errors of err: allOf/$ref wrap the real ones."""
    if not err.context:
        return [err]
    if err.validator == "anyOf":
        return [err]
    return [leaf for sub in err.context for leaf in leaf_errors(sub)]


def load_objects(text):
    """The non-empty documents of a YAML stream."""
    return [d for d in yaml.safe_load_all(text) if d is not None]
