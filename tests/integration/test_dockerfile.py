"""Static checks of the Dockerfile and .dockerignore (no Docker engine needed):
a debian:12 build stage with exactly the build packages of tests/deps.sh, a
debian:12-slim runtime stage with only runtime libraries, non-root, the paths,
ports, health check and entry point SPEC and the k8s manifests rely on, and no
secret baked into the image. Python 3 standard library only."""

import json
import re
import shutil
import subprocess
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SECRETISH = re.compile(r"SECRET|PASSWORD|TOKEN|\.env\b", re.I)
BUILD_TOOLS = {"build-essential", "pkg-config", "protobuf-c-compiler"}
# -dev package -> the shared library package the binary needs at run time
# (checked against dpkg's Depends where the -dev package is installed)
RUNTIME_OF = {
    "libcurl4-openssl-dev": "libcurl4",
    "libcjson-dev": "libcjson1",
    "libmicrohttpd-dev": "libmicrohttpd12",
    "libprotobuf-c-dev": "libprotobuf-c1",
    "libsnappy-dev": "libsnappy1v5",
    "libxml2-dev": "libxml2",
}


def parse_dockerfile(text):
    """-> list of stages; a stage is a list of (INSTRUCTION, arguments)."""
    lines, cur = [], ""
    for raw in text.splitlines():
        s = raw.strip()
        if not cur and (not s or s.startswith("#")):
            continue
        if cur and s.startswith("#"):
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        lines.append(cur)
        cur = ""
    if cur:
        lines.append(cur)
    stages = []
    for line in lines:
        instr, _, args = line.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            stages.append([])
        if not stages:
            continue  # ARG before FROM
        stages[-1].append((instr, args.strip()))
    return stages


def apt_packages(stage):
    pkgs = []
    for instr, args in stage:
        if instr != "RUN":
            continue
        for cmd in re.split(r"&&|;", args):
            words = cmd.split()
            if words[:2] == ["apt-get", "install"]:
                pkgs += [w for w in words[2:] if not w.startswith("-")]
    return pkgs


def deps_sh_packages():
    text = (REPO / "tests" / "deps.sh").read_text(encoding="utf-8")
    m = re.search(r'^PKGS="([^"]*)"', text, re.M)
    return m.group(1).split()


class Dockerfile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = (REPO / "Dockerfile").read_text(encoding="utf-8")
        cls.stages = parse_dockerfile(cls.text)

    def instr(self, stage, name):
        return [a for i, a in stage if i == name]

    @property
    def final(self):
        return self.stages[-1]

    def test_two_stages(self):
        self.assertEqual(len(self.stages), 2)
        froms = [self.instr(s, "FROM")[0].split() for s in self.stages]
        self.assertEqual(froms[0][0], "debian:12")
        self.assertEqual([w.lower() for w in froms[0][1:]][:1], ["as"])
        self.assertEqual(froms[1][0], "debian:12-slim")
        alias = froms[0][2]
        copies = self.instr(self.final, "COPY")
        self.assertTrue(any(c.startswith(f"--from={alias} ") for c in copies))

    def test_final_stage_user_is_not_root(self):
        users = self.instr(self.final, "USER")
        self.assertTrue(users, "no USER in the final stage")
        user = users[-1].split(":")[0]
        self.assertNotIn(user, ("root", "0"))
        self.assertEqual(user, "10001", "k8s runAsUser and runAsNonRoot expect uid 10001")
        self.assertRegex(self.text, r"useradd[^\n]*--uid 10001")

    def test_workdir_data_dir_volume(self):
        self.assertEqual(self.instr(self.final, "WORKDIR")[-1], "/app")
        env = " ".join(self.instr(self.final, "ENV"))
        self.assertRegex(env, r"(^|\s)DATA_DIR=/app/data(\s|$)")
        self.assertIn("/app/data", " ".join(self.instr(self.final, "VOLUME")))

    def test_ports(self):
        ports = " ".join(self.instr(self.final, "EXPOSE")).split()
        self.assertIn("9877", ports)
        self.assertIn("8080", ports)

    def test_healthcheck_and_entrypoint(self):
        hc = self.instr(self.final, "HEALTHCHECK")
        self.assertEqual(len(hc), 1)
        cmd = hc[0][hc[0].index("CMD") + 3:].strip()
        self.assertEqual(json.loads(cmd), ["/usr/local/bin/syncbit", "--healthcheck"])
        ep = self.instr(self.final, "ENTRYPOINT")
        self.assertEqual(json.loads(ep[-1]), ["/usr/local/bin/syncbit"])

    def test_no_secrets(self):
        for stage in self.stages:
            for instr, args in stage:
                if instr in ("ENV", "ARG", "LABEL"):
                    names = re.findall(r"([A-Za-z_][\w.-]*)=", args) or [args.split()[0]]
                    for n in names:
                        self.assertIsNone(SECRETISH.search(n), f"{instr} {args}")
                if instr in ("COPY", "ADD"):
                    srcs = [w for w in args.split()[:-1] if not w.startswith("--")]
                    for s in srcs:
                        self.assertIsNone(SECRETISH.search(s), f"{instr} {args}")
                        self.assertNotIn(s.rstrip("/"), (".", "data", "build"),
                                         f"{instr} {args}: copies the context or data")
        self.assertNotIn("--mount=type=secret", self.text)

    def test_build_packages_are_the_build_deps_of_deps_sh(self):
        deps = deps_sh_packages()
        build_deps = {p for p in deps if p.endswith("-dev") or p in BUILD_TOOLS}
        pkgs = apt_packages(self.stages[0])
        self.assertEqual(len(pkgs), len(set(pkgs)))
        self.assertEqual(set(pkgs), build_deps)

    def test_runtime_packages(self):
        pkgs = apt_packages(self.final)
        self.assertEqual([p for p in pkgs if p.endswith("-dev")], [])
        self.assertFalse(BUILD_TOOLS & set(pkgs))
        for dev in apt_packages(self.stages[0]):
            if dev.endswith("-dev"):
                self.assertIn(RUNTIME_OF[dev], pkgs, dev)
        for p in ("ca-certificates", "tzdata"):
            self.assertIn(p, pkgs)
        self.assertEqual(set(pkgs), set(RUNTIME_OF.values()) | {"ca-certificates", "tzdata"})

    def test_runtime_packages_match_dpkg(self):
        exe = shutil.which("dpkg-query")
        if exe is None:
            self.skipTest("not a Debian system")
        checked = 0
        for dev, lib in RUNTIME_OF.items():
            r = subprocess.run([exe, "-W", "-f=${Status}|${Depends}", dev],
                               capture_output=True, text=True, timeout=10)
            if r.returncode != 0 or "ok installed" not in r.stdout:
                continue
            depends = {d.strip().split()[0] for d in r.stdout.split("|", 1)[1].split(",")
                       if d.strip()}
            self.assertIn(lib, depends, f"{dev} does not depend on {lib}")
            checked += 1
        if checked == 0:
            self.skipTest("no -dev package installed (run make deps)")

    def test_make_install_target(self):
        mk = (REPO / "Makefile").read_text(encoding="utf-8")
        self.assertRegex(mk, r"(?m)^install:")
        self.assertRegex(mk, r"\$\(DESTDIR\)/usr/local/bin/syncbit")
        self.assertRegex(self.text, r"make install DESTDIR=(\S+)")
        dest = re.search(r"make install DESTDIR=(\S+)", self.text).group(1)
        self.assertIn(f"{dest}/usr/local/bin/syncbit /usr/local/bin/syncbit",
                      " ".join(self.instr(self.final, "COPY")))


class DockerIgnore(unittest.TestCase):
    def test_excludes(self):
        lines = {l.strip() for l in (REPO / ".dockerignore").read_text().splitlines()
                 if l.strip() and not l.startswith("#")}
        for p in ("build/", "data/", ".env", ".git"):
            self.assertIn(p, lines)


if __name__ == "__main__":
    unittest.main()
