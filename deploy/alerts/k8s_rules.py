#!/usr/bin/env python3
"""Writes k8s/prometheusrule.yaml and k8s/vmrule.yaml from
deploy/alerts/syncbit.rules.yml: the rules file's groups, text unchanged
(indented under spec:), wrapped in a PrometheusRule and a VMRule.

    python3 deploy/alerts/k8s_rules.py          # write both
    python3 deploy/alerts/k8s_rules.py --check  # exit 1 when either differs

tests/integration/test_alerts.py runs the check, so the three cannot drift.
Standard library only: the rules are copied as text, not re-serialized."""

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "deploy" / "alerts" / "syncbit.rules.yml"

HEADER = """\
# Generated from deploy/alerts/syncbit.rules.yml by deploy/alerts/k8s_rules.py:
# edit that file and run the script; a test fails when the two differ.
"""

OBJECTS = {
    "prometheusrule.yaml": """\
# Prometheus Operator. The VictoriaMetrics operator converts PrometheusRules
# into VMRules by default, so this one object serves both stacks (like
# servicemonitor.yaml). kube-prometheus-stack only selects PrometheusRules
# labelled with its Helm release (release: <name>) unless
# ruleSelectorNilUsesHelmValues=false.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
""",
    "vmrule.yaml": """\
# VictoriaMetrics operator without the Prometheus CRDs: apply this instead of
# prometheusrule.yaml (see kustomization.yaml). Not in the kustomization.
apiVersion: operator.victoriametrics.com/v1beta1
kind: VMRule
""",
}

METADATA = """\
metadata:
  name: syncbit
  labels:
    app.kubernetes.io/name: syncbit
spec:
"""


def groups_text(rules_text):
    """The rules file from its `groups:` line on (its header comments speak
    of the file itself), each non-empty line indented by two spaces."""
    lines = rules_text.splitlines(keepends=True)
    start = next(i for i, ln in enumerate(lines) if ln.startswith("groups:"))
    return "".join("  " + ln if ln.strip() else ln for ln in lines[start:])


def render(name, rules_text):
    return HEADER + OBJECTS[name] + METADATA + groups_text(rules_text)


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] not in ([], ["--check"]):
        print("usage: k8s_rules.py [--check]", file=sys.stderr)
        return 2
    text = RULES.read_text(encoding="utf-8")
    stale = []
    for name in OBJECTS:
        path = REPO / "k8s" / name
        want = render(name, text)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != want:
                stale.append(str(path.relative_to(REPO)))
        else:
            path.write_text(want, encoding="utf-8")
    if stale:
        print("k8s_rules.py: out of date with deploy/alerts/syncbit.rules.yml: "
              + ", ".join(stale) + " (run python3 deploy/alerts/k8s_rules.py)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
