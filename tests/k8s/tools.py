"""kubectl 1.33 and helm 4.1 as tests/deps.sh installs them (from the npm
package it pins) in $SYNCBIT_K8S_TOOLS/bin, default /opt/syncbit-k8s-tools;
Debian's kubectl 1.20 cannot render current kustomizations."""

import os
import subprocess
import unittest
from pathlib import Path

TOOLS = Path(os.environ.get("SYNCBIT_K8S_TOOLS", "/opt/syncbit-k8s-tools"))


def tool(name):
    """Path of kubectl or helm; skips the test when `make deps` has not run."""
    exe = TOOLS / "bin" / name
    if not os.access(exe, os.X_OK):
        raise unittest.SkipTest(f"{exe} missing: run `make deps` (tests/deps.sh)")
    return str(exe)


def run(argv, timeout=60):
    """argv's result; HOME and helm's folders in a throwaway place."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": "/nonexistent", "HELM_CACHE_HOME": "/tmp/syncbit-helm/cache",
           "HELM_CONFIG_HOME": "/tmp/syncbit-helm/config",
           "HELM_DATA_HOME": "/tmp/syncbit-helm/data", "KUBECONFIG": "/dev/null"}
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
