"""Static checks of grafana/syncbit-dashboard.json (no Grafana, no server):
shape, variables, datasource references, PromQL rules for SyncBit's daily
totals, SPEC metric coverage, and `promtool check rules` on every expression.
Python 3 standard library; promtool (Debian package prometheus) optional."""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import dashboard_exprs as dx  # noqa: E402

DS = {"type": "prometheus", "uid": "${datasource}"}

# SPEC.md "Metrics" (hard-coded: the test must not depend on files beside the repo).
SPEC_DAILY = [
    "fitbit_steps_total", "fitbit_distance_km", "fitbit_calories_total",
    "fitbit_active_minutes", "fitbit_floors_total", "fitbit_elevation_meters",
    "fitbit_resting_heart_rate_bpm", "fitbit_heart_rate_zone_minutes",
    "fitbit_heart_rate_zone_calories",
]
SPEC_LATER = [
    "fitbit_heart_rate_bpm", "fitbit_intraday_steps", "fitbit_active_zone_minutes",
    "fitbit_sleep_duration_seconds", "fitbit_sleep_stage_seconds",
    "fitbit_sleep_efficiency_ratio", "fitbit_sleep_stage_level", "fitbit_spo2_percent",
    "fitbit_hrv_rmssd_ms", "fitbit_breathing_rate_per_minute",
    "fitbit_skin_temperature_deviation_celsius", "fitbit_vo2max", "fitbit_weight_kg",
    "fitbit_body_fat_percent", "fitbit_device_battery_percent",
    "fitbit_device_last_sync_timestamp_seconds",
]
# README "Workouts" (issue 14)
SPEC_WORKOUTS = [
    "fitbit_exercise_duration_seconds", "fitbit_exercise_calories",
    "fitbit_exercise_distance_km", "fitbit_exercise_steps",
    "fitbit_exercise_heart_rate_avg_bpm", "fitbit_exercise_active_zone_minutes",
    "fitbit_exercise_heart_rate_zone_seconds", "fitbit_exercise_elevation_gain_meters",
]
# EXERCISE_ROUTES=on: trackpoints, labelled session
SPEC_ROUTES = [
    "fitbit_exercise_position_latitude_degrees", "fitbit_exercise_position_longitude_degrees",
    "fitbit_exercise_position_altitude_meters", "fitbit_exercise_heart_rate_bpm",
]
SPEC_SYNCBIT = [
    "syncbit_build_info", "syncbit_last_sync_success",
    "syncbit_last_sync_timestamp_seconds", "syncbit_api_requests_total",
    "syncbit_rate_limit_remaining", "syncbit_token_expiry_timestamp_seconds",
    "syncbit_remote_write_samples_total", "syncbit_backfill_days_pending",
    "syncbit_account_ready", "syncbit_remote_write_refused",
]
# self-metrics of the whole process; every other syncbit_ series is an account's
SYNCBIT_PROCESS = {"syncbit_build_info", "syncbit_remote_write_samples_total",
                   "syncbit_remote_write_refused"}
# the Household row: each person side by side, whatever $user says
HOUSEHOLD = {
    "Household: steps per day": "fitbit_steps_total",
    "Household: sleep duration": "fitbit_sleep_duration_seconds",
    "Household: resting heart rate": "fitbit_resting_heart_rate_bpm",
    "Household: time since device sync": "fitbit_device_last_sync_timestamp_seconds",
    "Household: device battery": "fitbit_device_battery_percent",
}
SPEC_METRICS = SPEC_DAILY + SPEC_LATER + SPEC_WORKOUTS + SPEC_ROUTES + SPEC_SYNCBIT
ZONES = {"out_of_range", "fat_burn", "cardio", "peak",    # legacy Fitbit
         "light", "moderate", "vigorous"}                  # Google Health
# Grafana's built-in panel types: no third-party plugin
CORE_PANELS = {"row", "timeseries", "stat", "gauge", "bargauge", "table",
               "state-timeline", "status-history", "barchart", "text",
               "heatmap", "histogram", "piechart", "geomap"}
# a route's raw trackpoints: an instant query of a range, one series per
# user and session already (remote-written only)
RAW_ROUTE = re.compile(r'^fitbit_exercise_(?:position_\w+|heart_rate_bpm)\{user=~"[^"]*", session="[^"]*", '
                       r'job=""\}\[[^\]]+\]$')
BUILTIN_VARS = {"__interval", "__interval_ms", "__rate_interval", "__range",
                "__range_s", "__range_ms"}
COUNTER_FUNCS = re.compile(r"\b(rate|irate|increase|delta|idelta|deriv|resets)\s*\(")
METRIC = re.compile(r"\b(?:fitbit|syncbit)_[a-z0-9_]+")


class DashboardStatic(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dash = dx.load()
        cls.panels = list(dx.iter_panels(cls.dash))
        cls.vars = dx.variables(cls.dash)
        cls.targets = [(p, t) for p in cls.panels for t in p.get("targets", []) or []]
        cls.exprs = [t.get("expr", "") for _, t in cls.targets]

    def test_identity(self):
        d = self.dash
        self.assertEqual(d.get("uid"), "syncbit-overview")
        self.assertTrue(d.get("title"))
        self.assertIsInstance(d.get("schemaVersion"), int)
        self.assertGreaterEqual(d["schemaVersion"], 30)
        self.assertIn("time", d)
        ids = [p.get("id") for p in self.panels]
        self.assertEqual(len(ids), len(set(ids)), "panel ids must be unique")

    def test_grid_positions(self):
        for p in self.panels:
            g = p.get("gridPos", {})
            with self.subTest(panel=p.get("title")):
                for k in ("h", "w", "x", "y"):
                    self.assertIsInstance(g.get(k), int)
                self.assertGreater(g["w"], 0)
                self.assertGreater(g["h"], 0)
                self.assertLessEqual(g["x"] + g["w"], 24)

    def test_variables(self):
        ds = self.vars.get("datasource")
        self.assertIsNotNone(ds, "no datasource variable")
        self.assertEqual(ds["type"], "datasource")
        self.assertEqual(ds["query"], "prometheus")
        user = self.vars.get("user")
        self.assertIsNotNone(user, "no user variable")
        self.assertEqual(user["type"], "query")
        self.assertEqual(user.get("datasource"), DS)
        q = user["query"]["query"] if isinstance(user["query"], dict) else user["query"]
        self.assertRegex(q, r"label_values\(\s*fitbit_\w+\s*,\s*user\s*\)")
        for v in self.vars.values():
            if v["type"] == "query":
                self.assertEqual(v.get("datasource"), DS, v["name"])

    def test_utc_offset_options_are_negative_durations(self):
        v = self.vars["utc_offset"]
        values = [o["value"] for o in v["options"]]
        self.assertEqual(len(values), len(set(values)), "duplicate values confuse Grafana")
        self.assertIn(v["current"]["value"], values)
        for val in values:
            self.assertRegex(val, r"^-\d+[hm]$")
            secs = dx.duration_seconds(val[1:])
            self.assertTrue(2 * 3600 <= secs <= 38 * 3600, val)

    def test_core_panel_types_only(self):
        for p in self.panels:
            self.assertIn(p.get("type"), CORE_PANELS, p.get("title"))

    def test_every_panel_and_target_uses_datasource_variable(self):
        for p in self.panels:
            if p.get("type") in ("row", "text"):
                continue
            with self.subTest(panel=p.get("title")):
                self.assertEqual(p.get("datasource"), DS)
                self.assertTrue(p.get("targets"), "panel without a query")
                for t in p["targets"]:
                    self.assertEqual(t.get("datasource"), DS)
                    self.assertTrue(t.get("expr"))

    def test_variables_used_are_defined(self):
        for e in self.exprs:
            for name in dx.used_variables(e):
                self.assertTrue(name in self.vars or name in BUILTIN_VARS,
                                f"${name} undefined in {e}")

    def test_metric_names_are_spec_names(self):
        for e in self.exprs:
            for m in METRIC.findall(e):
                self.assertIn(m, SPEC_METRICS, f"unknown metric in {e}")

    def test_every_spec_metric_is_on_the_dashboard(self):
        used = {m for e in self.exprs for m in METRIC.findall(e)}
        missing = [m for m in SPEC_METRICS if m not in used]
        self.assertEqual(missing, [])

    def test_no_rate_or_increase_on_fitbit_metrics(self):
        for e in self.exprs:
            if "fitbit_" in e:
                self.assertIsNone(COUNTER_FUNCS.search(e), e)

    def test_fitbit_exprs_aggregate_by_user(self):
        for e in self.exprs:
            if "fitbit_" in e and not RAW_ROUTE.match(dx.substitute(e, {"user": "u", "session": "s"})):
                self.assertRegex(e, r"\b(max|min|sum|avg)\s+by\s*\(\s*user\b", e)

    def test_daily_totals_use_over_time_over_a_day(self):
        for m in SPEC_DAILY:
            # "today" stats read scraped series; "latest" stats look back a week
            es = [e for e in self.exprs
                  if re.search(r"\b%s\b" % m, e) and "job!=" not in e
                  and not re.search(r"last_over_time\([^)]*\[7d\]\)", e)]
            with self.subTest(metric=m):
                self.assertTrue(es, "no daily panel")
                for e in es:
                    self.assertRegex(
                        e, r"(max|last)_over_time\(\s*%s\{[^}]*\}\[1d\]" % m)

    def test_stacked_panels(self):
        for p, t in self.targets:
            e = t["expr"]
            if re.search(r"fitbit_(active_minutes|heart_rate_zone_\w+)\b", e):
                custom = p["fieldConfig"]["defaults"]["custom"]
                self.assertEqual(custom["stacking"]["mode"], "normal", p["title"])

    def test_zone_colours_cover_both_sources(self):
        for p, t in self.targets:
            if "fitbit_heart_rate_zone_" not in t["expr"]:
                continue
            names = {o["matcher"]["options"] for o in p["fieldConfig"]["overrides"]
                     if o["matcher"]["id"] == "byName"}
            self.assertTrue(ZONES <= names, f"{p['title']}: {ZONES - names}")

    def test_helper_substitutes_every_variable(self):
        rows = dx.dashboard_exprs("me")
        self.assertEqual(len(rows), len(self.exprs))
        for title, e in rows:
            self.assertNotIn("$", e, title)
            if "fitbit_" in e and title not in HOUSEHOLD:
                self.assertIn('user=~"me"', e)
        (_, e), = [r for r in dx.dashboard_exprs("a.b") if r[0] == "Steps per day"]
        self.assertIn(r'user=~"a\\.b"', e)

    def test_account_self_metrics_follow_the_user_variable(self):
        for p, t in self.targets:
            e = t["expr"]
            names = set(re.findall(r"\bsyncbit_[a-z0-9_]+", e))
            if not names or names <= SYNCBIT_PROCESS:
                continue
            with self.subTest(panel=p["title"]):
                self.assertIn('user=~"$user"', e)
                self.assertIn('instance=~"$instance"', e)
                self.assertRegex(e, r"\bby\s*\([^)]*\buser\b", "shown per user")
                self.assertIn("{{user}}", t.get("legendFormat", ""))

    def test_account_ready_panel_shows_the_reason(self):
        ts = [(p, t) for p, t in self.targets if "syncbit_account_ready" in t["expr"]]
        self.assertEqual(len(ts), 1)
        (p, t), = ts
        self.assertEqual(p["title"], "Account ready")
        self.assertRegex(t["expr"], r"by\s*\([^)]*\breason\b")
        self.assertIn("{{reason}}", t["legendFormat"])

    def test_household_row_compares_every_user(self):
        rows = [p for p in self.panels if p.get("type") == "row"]
        self.assertIn("Household", [p["title"] for p in rows])
        by_title = {p["title"]: p for p in self.panels}
        for title, metric in HOUSEHOLD.items():
            with self.subTest(panel=title):
                p = by_title[title]
                (t,) = p["targets"]
                self.assertIn(metric, t["expr"])
                self.assertIn('user=~".*"', t["expr"])
                self.assertRegex(t["expr"], r"\b(max|min)\s+by\s*\(\s*user\s*\)")
                self.assertEqual(t["legendFormat"], "{{user}}")

    def test_workouts_row(self):
        rows = [p["title"] for p in self.panels if p.get("type") == "row"]
        self.assertIn("Workouts", rows)
        by_title = {p["title"]: p for p in self.panels}
        table = by_title["Recent workouts"]
        self.assertEqual(table["type"], "table")
        exprs = " ".join(t["expr"] for t in table["targets"])
        for m in ("duration_seconds", "distance_km", "calories", "heart_rate_avg_bpm",
                  "active_zone_minutes"):
            self.assertIn("fitbit_exercise_" + m, exprs)
        for t in table["targets"]:
            self.assertEqual(t.get("format"), "table")
            self.assertRegex(t["expr"], r"by \(user, activity\)")
        for title in ("Weekly workout duration by activity", "Weekly workout distance by activity"):
            (t,) = by_title[title]["targets"]
            self.assertRegex(t["expr"], r"sum by \(user, activity\) \(sum_over_time\(.*\[1w\]\)\)")
        # session samples only: the scrape repeats the latest session every scrape
        for p, t in self.targets:
            if "fitbit_exercise_" in t["expr"]:
                self.assertIn('job=""', t["expr"], p["title"])
        (ann,) = dx.annotation_targets("me")
        self.assertIn("fitbit_exercise_", ann["expr"])
        self.assertIn('user=~"me"', ann["expr"])
        titles = {p["id"]: p["title"] for p in self.panels}
        drawn = {titles[i] for i in ann["panel_ids"]}
        self.assertIn("Heart rate through the day", drawn)
        self.assertIn("Steps per interval (intraday)", drawn)

    def test_workout_route_map(self):
        (p,) = [p for p in self.panels if p.get("type") == "geomap"]
        self.assertEqual(p["title"], "Workout route")
        (layer,) = p["options"]["layers"]
        self.assertEqual(layer["type"], "route")
        self.assertEqual(layer["location"], {"mode": "coords", "latitude": "latitude",
                                             "longitude": "longitude"})
        names = {}
        for t in p["targets"]:
            self.assertTrue(t["instant"] and not t["range"] and t["format"] == "table")
            self.assertRegex(t["expr"], RAW_ROUTE)
            self.assertIn('session="$session"', t["expr"])
            names[t["refId"]] = t["expr"].split("{")[0]
        self.assertEqual(names, {"A": "fitbit_exercise_position_latitude_degrees",
                                 "B": "fitbit_exercise_position_longitude_degrees"})
        tr = {x["id"]: x["options"] for x in p["transformations"]}
        self.assertEqual(tr["joinByField"]["byField"], "Time")
        self.assertEqual(tr["organize"]["renameByName"],
                         {"Value #A": "latitude", "Value #B": "longitude"})
        v = self.vars["session"]
        self.assertEqual(v["sort"], 2, "RFC 3339 starts, newest first")
        self.assertIn('fitbit_exercise_position_latitude_degrees{user=~"$user"}', v["definition"])
        self.assertFalse(v["multi"] or v["includeAll"], "one route at a time")

    def test_exprs_pass_promtool(self):
        promtool = shutil.which("promtool")
        if promtool is None:
            self.skipTest("promtool not installed (Debian package prometheus)")
        rules = ["groups:", "  - name: dashboard", "    rules:"]
        exprs = dx.dashboard_exprs("default") + [(a["name"], a["expr"])
                                                 for a in dx.annotation_targets("default")]
        for i, (title, e) in enumerate(exprs):
            if RAW_ROUTE.match(e):      # a range: what an instant query may return
                e = f"last_over_time({e})"
            rules.append(f"      - record: dashboard:expr_{i}")
            rules.append("        expr: '%s'" % e.replace("'", "''"))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "rules.yml")
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(rules) + "\n")
            r = subprocess.run([promtool, "check", "rules", path],
                               capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
