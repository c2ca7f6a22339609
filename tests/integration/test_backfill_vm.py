"""Backfill of 400+ days from the fake Fitbit API into a real VictoriaMetrics:
exactly one sample per day per series, equal to the fake's truth, at 23:59:59
local time of the profile's zone (process TZ different), for a DST zone and a
negative-offset zone; and a SIGKILL mid-backfill loses nothing."""

import signal
import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from harness import IntegrationTest, wait_until

DAYS = 420


def day_end_ms(d, zone):
    return int(datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=ZoneInfo(zone)).timestamp() * 1000)


# Daily activity and heart rate only: the other kinds (and their budget)
# have tests of their own (test_body_vm, test_budget).
DAILY_ONLY = {"COLLECT": "activity,heart"}


def authorized_setup(test, zone, **fake_opts):
    """A fake with DAYS of history in zone, a VictoriaMetrics, and an
    authorized SyncBit (user "bob") writing to it."""
    today = datetime.now(ZoneInfo(zone)).date()
    since = today - timedelta(days=DAYS)
    fake = test.h.fake_fitbit(now=time.time(), timezone=zone, member_since=since.isoformat(),
                              **fake_opts)
    vm = test.h.victoria()
    sb = test.h.syncbit(fake.env(), VICTORIA_ENDPOINT=vm.write_url, FITBIT_USER_ID="bob",
                        **DAILY_ONLY)
    test.assertEqual(sb.authorize().rc, 0)
    return fake, vm, sb, today, since


class BackfillVM(IntegrationTest):
    def run_backfill(self, zone):
        fake, vm, sb, today, since = authorized_setup(self, zone)
        before = fake.stats()["api_requests"]
        r = sb.run("--once", timeout=240)
        self.assertEqual(r.rc, 0, r)
        used = fake.stats()["api_requests"] - before
        return fake, vm, sb, today, since, used

    def check_steps(self, fake, vm, today, since, zone):
        got = vm.samples('fitbit_steps_total{user="bob"}')
        by_ts = {}
        for name, labels, ts, v in got:
            self.assertEqual(labels, {"user": "bob"})
            self.assertNotIn(ts, by_ts, "two samples at one timestamp")
            by_ts[ts] = v
        # every day from the account's start to yesterday, once
        d = since
        while d < today:
            ts = day_end_ms(d, zone)
            self.assertIn(ts, by_ts, f"missing {d}")
            self.assertEqual(by_ts[ts], fake.truth(d)["fitbit_steps_total"], str(d))
            d += timedelta(days=1)
        self.assertEqual(len(by_ts), (today - since).days)

    def test_dst_zone(self):
        zone = "Europe/Berlin"
        fake, vm, sb, today, since, used = self.run_backfill(zone)
        self.check_steps(fake, vm, today, since, zone)
        # zone minutes carry the legacy zone labels, one sample per day
        z = vm.samples('fitbit_heart_rate_zone_minutes{user="bob",zone="cardio"}')
        self.assertEqual(len({s[2] for s in z}), len(z))
        self.assertLessEqual(used, 30, f"{used} requests for {DAYS} days")
        self.assertEqual(fake.stats()["rate_limited"], 0)

    def test_negative_offset_zone(self):
        zone = "America/Los_Angeles"
        fake, vm, sb, today, since, _ = self.run_backfill(zone)
        self.check_steps(fake, vm, today, since, zone)

    def test_sigkill_mid_backfill_loses_nothing(self):
        zone = "Europe/Berlin"
        fake, vm, sb, today, since = authorized_setup(self, zone, latency_ms=300)
        p = sb.start()
        wait_until(lambda: "backfill progress" in sb.log(), 60, "backfill under way")
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        fake.config(latency_ms=0)
        r = sb.run("--once", timeout=240)
        self.assertEqual(r.rc, 0, r)
        self.check_steps(fake, vm, today, since, zone)


class BackfillOutage(IntegrationTest):
    def test_vm_down_20s_during_backfill_loses_nothing(self):
        zone = "Europe/Berlin"
        fake, vm, sb, today, since = authorized_setup(self, zone, latency_ms=200)
        p = sb.start("--once")
        wait_until(lambda: "backfill progress" in sb.log(), 60, "backfill under way")
        # stop VM (keeping its data dir and port), restart it 20 s later
        argv = vm.proc.p.args
        vm.proc.stop(10)
        time.sleep(20)
        vm.proc = self.h.spawn(argv, name="victoria-again")
        wait_until(vm._health, 30, "victoria-metrics back")
        rc = p.wait(240)
        self.assertEqual(rc, 0, p.tail())
        self.assertIn("will retry", sb.log())
        BackfillVM.check_steps(self, fake, vm, today, since, zone)

    def test_recent_days_resent_only_when_changed(self):
        zone = "Europe/Berlin"
        fake = self.h.fake_fitbit(now=time.time(), timezone=zone)
        vm = self.h.victoria()
        sb = self.h.syncbit(fake.env(), VICTORIA_ENDPOINT=vm.write_url, **DAILY_ONLY)
        self.assertEqual(sb.authorize().rc, 0)
        self.assertEqual(sb.run("--once", timeout=120).rc, 0)
        first = sb.log().count("recent day sent")
        self.assertEqual(first, 3)
        r = sb.run("--once", timeout=120)
        self.assertEqual(r.rc, 0)
        self.assertEqual(sb.log().count("recent day sent"), first, "unchanged days were re-sent")


class BackfillKindFailure(IntegrationTest):
    def test_one_failing_kind_does_not_stop_the_others(self):
        zone = "Europe/Berlin"
        fake, vm, sb, today, since = authorized_setup(self, zone)
        fake.config(fault={"path": r"activities/steps/date/\d{4}-\d{2}-\d{2}/\d{4}", "status": 500,
                           "count": -1})
        r = sb.run("--once", timeout=240)
        self.assertNotEqual(r.rc, 0, "history incomplete must fail --once")
        self.assertIn("history kind failed, retrying next cycle", r.stderr)
        self.assertIn("kind=steps", r.stderr)
        # every other kind went on, the last one (heart) included
        for m in ("fitbit_distance_km", "fitbit_calories_total"):
            self.assertEqual(len(vm.samples(m + '{user="bob"}')), (today - since).days, m)
        self.assertIn(f"kind=heart through={today - timedelta(days=4)}", r.stderr)
        # the steps cursor did not move past what VM has: the next run completes it
        fake.config(clear_faults=True)
        r = sb.run("--once", timeout=240)
        self.assertEqual(r.rc, 0, r)
        BackfillVM.check_steps(self, fake, vm, today, since, zone)
