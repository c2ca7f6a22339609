"""The Deployment's init-container script (k8s/deployment.yaml, the chart's)
run on temporary directories instead of /seed and /app/data."""

import shutil
import subprocess
from pathlib import Path


def seed_sandbox(script, tmp):
    """(seed dir, data dir, run): run() runs script once with /seed and
    /app/data moved under tmp and returns its output; a failure raises."""
    seed, data = Path(tmp, "seed"), Path(tmp, "data")
    seed.mkdir()
    data.mkdir()
    body = script.replace("/seed", str(seed)).replace("/app/data", str(data))
    sh = shutil.which("sh") or "/bin/sh"

    def run():
        r = subprocess.run([sh, "-c", body], capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise AssertionError(f"seed script: exit {r.returncode}: {r.stderr}")
        return r.stdout
    return seed, data, run
