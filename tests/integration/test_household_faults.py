"""Bad input in a household (issue 13): alice's token file is damaged and
bob's directory is read-only (a read-only bind mount in a mount namespace of
the process: as root, file modes would not stop it); carol is healthy. One
line names each broken account and what is wrong with it, nothing of theirs
is overwritten, /metrics and /readyz still serve (each account's readiness
with its reason), and carol's whole history arrives with her own values. A
second SyncBit on the same DATA_DIR is refused by the lock with one line,
and the first goes on."""

import re
import shutil
import time

from harness import parse_metrics, wait_until
from test_household import USERS, HouseholdFixture

RO_WRAPPER = 'mount --bind -o ro "$0" "$0" && mount -o remount,bind,ro "$0" "$0" && exec "$@"'


class HouseholdFaults(HouseholdFixture):
    def setUp(self):
        super().setUp()
        if shutil.which("unshare") is None:
            self.skipTest("unshare (util-linux) missing")
        self.fake.config(accounts={u: {"seed": 11 + i, "not_linked": False}
                                   for i, u in enumerate(USERS)})

    def test_broken_accounts_named_others_go_on(self):
        vm = self.h.victoria()
        sb = self.h.syncbit(dict(self.env, VICTORIA_ENDPOINT=vm.write_url))
        self.authorize_all(sb)
        alice = sb.data_dir / "users" / "alice" / "google_tokens.json"
        alice.write_text('{"access_token": "ya29.cut')
        bob = sb.data_dir / "users" / "bob"
        bob_before = sorted(p.name for p in bob.iterdir())
        argv, env = sb.command([])
        proc = self.h.spawn(["unshare", "-m", "sh", "-c", RO_WRAPPER, str(bob)] + list(argv),
                            "syncbit-ro", cwd=sb.dir, env=env)

        def ready():
            self.assertTrue(proc.alive(), proc.tail())
            try:
                m = parse_metrics(sb.get("/metrics").text)
            except OSError:
                return None  # not listening yet
            return m if m.get('syncbit_account_ready{reason="ok",user="carol"}') == 1 else None
        m = wait_until(ready, 60, "carol ready")
        self.assertEqual(sb.get("/readyz").status, 200)
        self.assertEqual(m.get('syncbit_account_ready{reason="no_token",user="alice"}'), 0, m)
        self.assertEqual(m.get('syncbit_account_ready{reason="broken",user="bob"}'), 0, m)
        got = self.wait_history(vm, ["carol"], 90)
        self.assertEqual(proc.stop(), 0)
        self.assertEqual(set(got) - {"carol"}, set(), "alice or bob wrote samples")
        log = proc.stderr().splitlines()
        for user, what in (("alice", r"google_tokens\.json' is unusable"),
                           ("bob", r"users/bob/syncbit\.lock': Read-only file system")):
            lines = [ln for ln in log if re.search(what, ln) and f"user={user}" in ln]
            self.assertEqual(len(lines), 1, f"one line for {user}:\n" + "\n".join(log[-20:]))
        self.assertEqual(alice.read_text(), '{"access_token": "ya29.cut', "alice's file rewritten")
        self.assertEqual(sorted(p.name for p in bob.iterdir()), bob_before)

    def test_second_syncbit_on_one_data_dir_is_refused(self):
        sb = self.h.syncbit(self.env)
        self.authorize_all(sb)
        sb.start()
        sb.wait_http("/readyz", 200, timeout=60)
        second = self.h.syncbit(self.env, name="second")
        second.env["DATA_DIR"] = sb.env["DATA_DIR"]
        t0 = time.monotonic()
        r = second.run(timeout=30)
        self.assertLess(time.monotonic() - t0, 10, "the second one waited instead of refusing")
        self.assertEqual(r.rc, 1, r)
        lines = [ln for ln in r.stderr.splitlines() if "another SyncBit" in ln]
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertIn(f"is using '{sb.data_dir}/syncbit.lock'", lines[0])
        self.assertEqual(sb.get("/readyz").status, 200, "the first one stopped")
        self.assertTrue(sb.proc.alive())
        self.assertEqual(sb.stop(), 0)
