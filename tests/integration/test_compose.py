"""docker-compose.yml through Debian's docker-compose (`config`: parsed,
validated against its schema, variables substituted), with a temporary
.env in a temporary project directory: `config -q` passes with a .env and
fails without one; .env's SYNCBIT_UID/SYNCBIT_GID reach `user`; every port
is published on 127.0.0.1 only; every bind-mounted file or folder exists in
the repository. No engine is contacted."""

import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"


class ComposeConfig(unittest.TestCase):
    def setUp(self):
        self.exe = shutil.which("docker-compose")
        if self.exe is None:
            self.skipTest("docker-compose not installed (tests/deps.sh)")
        self.dir = Path(tempfile.mkdtemp(prefix="syncbit-compose-"))
        self.addCleanup(shutil.rmtree, self.dir, True)

    def compose(self, *args):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(self.dir)}
        return subprocess.run([self.exe, "--file", str(COMPOSE), "--project-directory",
                               str(self.dir), *args], capture_output=True, text=True,
                              timeout=60, env=env, cwd=self.dir)

    def write_env(self, text):
        (self.dir / ".env").write_text(text)

    def test_config_quiet_passes_with_env(self):
        self.write_env("FITBIT_CLIENT_ID=23ABCD\nFITBIT_CLIENT_SECRET=s3cr3t\n")
        r = self.compose("config", "-q")
        self.assertEqual((r.returncode, r.stdout), (0, ""), r.stderr)

    def test_config_fails_without_env(self):
        r = self.compose("config", "-q")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(".env", r.stderr)

    def test_resolved_config(self):
        import yaml  # python3-yaml, a dependency of docker-compose
        self.write_env("SYNCBIT_UID=1000\nSYNCBIT_GID=1001\n")
        r = self.compose("config")
        self.assertEqual(r.returncode, 0, r.stderr)
        cfg = yaml.safe_load(r.stdout)
        services = cfg["services"]
        self.assertEqual(set(services), {"syncbit", "victoria-metrics", "vmagent", "grafana"})
        sb = services["syncbit"]
        self.assertEqual(sb["user"], "1000:1001")
        self.assertEqual(sb["environment"]["VICTORIA_ENDPOINT"],
                         "http://victoria-metrics:8428/api/v1/write")
        self.assertEqual(sb["image"], "syncbit:0.1.0")
        for name, svc in services.items():
            for port in svc.get("ports", []):
                self.assertTrue(str(port).startswith("127.0.0.1:"), f"{name}: {port}")
            for vol in svc.get("volumes", []):
                src = vol.split(":", 1)[0]
                if src.startswith(str(self.dir)) and src != str(self.dir / "data"):
                    rel = Path(src).relative_to(self.dir)
                    self.assertTrue((REPO / rel).exists(), f"{name}: {rel} not in the repository")


if __name__ == "__main__":
    unittest.main()
