"""Tests of tests/fakes/fake_fitbit.py itself: the fake must model Fitbit's
documented behaviour, or every SyncBit test built on it proves nothing."""

import base64
import hashlib
import secrets
import time
import urllib.parse
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from harness import IntegrationTest, http, wait_until

REDIRECT = "http://127.0.0.1:9/callback"


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class FakeFitbitTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(seed=42)
        self.basic = "Basic " + base64.b64encode(
            f"{self.fake.client_id}:{self.fake.client_secret}".encode()).decode()

    def authorize(self, challenge, **extra):
        q = {"client_id": self.fake.client_id, "response_type": "code",
             "scope": "activity heartrate profile", "redirect_uri": REDIRECT,
             "state": "s-123", "code_challenge": challenge,
             "code_challenge_method": "S256", **extra}
        return http("GET", self.fake.url + "/oauth2/authorize?" + urllib.parse.urlencode(q),
                    follow=False)

    def code_from(self, r):
        self.assertEqual(r.status, 302, r.text)
        loc = urllib.parse.urlsplit(r.header("Location"))
        q = urllib.parse.parse_qs(loc.query)
        self.assertEqual(q["state"], ["s-123"])
        return q["code"][0]

    def token(self, form, auth=True):
        hdr = {"Content-Type": "application/x-www-form-urlencoded"}
        if auth:
            hdr["Authorization"] = self.basic
        return http("POST", self.fake.url + "/oauth2/token", urllib.parse.urlencode(form), hdr)

    def api(self, path, token, **hdr):
        return http("GET", self.fake.url + "/1/user/-/" + path,
                    headers={"Authorization": "Bearer " + token, **hdr})

    def test_pkce_rejects_wrong_verifier(self):
        verifier, challenge = pkce()
        self.assertEqual(self.authorize(challenge[:42]).status, 400)
        self.assertIn("invalid_request", self.authorize(challenge[:42]).text)
        self.assertEqual(self.authorize(challenge, code_challenge_method="plain").status, 400)
        code = self.code_from(self.authorize(challenge))
        form = {"grant_type": "authorization_code", "code": code,
                "redirect_uri": REDIRECT, "code_verifier": pkce()[0]}
        r = self.token(form)
        self.assertEqual(r.status, 400, r.text)
        self.assertEqual(r.json()["errors"][0]["errorType"], "invalid_grant")
        # the right verifier, a fresh code; no client auth -> 401; code single use
        code = self.code_from(self.authorize(challenge))
        form.update(code=code, code_verifier=verifier)
        self.assertEqual(self.token(form, auth=False).status, 401)
        code = self.code_from(self.authorize(challenge))
        form["code"] = code
        self.assertEqual(self.token(dict(form, redirect_uri=REDIRECT + "x")).status, 400)
        code = self.code_from(self.authorize(challenge))
        form["code"] = code
        r = self.token(form)
        self.assertEqual(r.status, 200, r.text)
        body = r.json()
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 28800)
        self.assertEqual(set(body["scope"].split()), {"activity", "heartrate", "profile"})
        self.assertEqual(self.token(form).status, 400)  # code reused
        self.assertEqual(self.api("profile.json", body["access_token"]).status, 200)

    def test_refresh_token_single_use(self):
        first = self.fake.mint_tokens()
        form = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
        r = self.token(form)
        self.assertEqual(r.status, 200, r.text)
        second = r.json()
        self.assertNotEqual(second["refresh_token"], first["refresh_token"])
        r = self.token(form)  # reuse of the old refresh token
        self.assertEqual(r.status, 400)
        err = r.json()["errors"][0]
        self.assertEqual(err["errorType"], "invalid_grant")
        self.assertIn(first["refresh_token"], err["message"])  # Fitbit echoes it
        old = self.api("profile.json", first["access_token"])
        self.assertEqual(old.status, 401)
        self.assertEqual(old.json()["errors"][0]["errorType"], "invalid_token")
        self.assertEqual(self.api("profile.json", second["access_token"]).status, 200)
        self.assertEqual(self.fake.stats()["refresh_token"], second["refresh_token"])
        # refresh 5xx does not rotate; expiry; revocation
        self.fake.config(refresh_failures={"count": 1, "status": 502})
        form["refresh_token"] = second["refresh_token"]
        self.assertEqual(self.token(form).status, 502)
        self.fake.config(expire_access_token=True)
        r = self.api("profile.json", second["access_token"])
        self.assertEqual((r.status, r.json()["errors"][0]["errorType"]), (401, "expired_token"))
        r = self.token(form)
        self.assertEqual(r.status, 200, r.text)
        self.fake.config(revoke_all=True)
        form["refresh_token"] = r.json()["refresh_token"]
        self.assertEqual(self.token(form).json()["errors"][0]["errorType"], "invalid_grant")

    def test_rate_limit_429_within_short_window(self):
        tok = self.fake.mint_tokens()["access_token"]
        # an hour-long window that will not roll over while we count
        wait_until(lambda: time.time() % 3600 < 3590, 15, "not the last seconds of the hour")
        self.fake.config(rate_limit=3, rate_used=0)
        remaining = []
        for _ in range(3):
            r = self.api("profile.json", tok)
            self.assertEqual(r.status, 200, r.text)
            remaining.append(int(r.header("fitbit-rate-limit-remaining")))
            self.assertEqual(int(r.header("FITBIT-RATE-LIMIT-LIMIT")), 3)
            self.assertTrue(0 < int(r.header("Fitbit-Rate-Limit-Reset")) <= 3600)
        self.assertEqual(remaining, [2, 1, 0])
        r = self.api("profile.json", tok)
        self.assertEqual(r.status, 429)
        self.assertEqual(r.json()["errors"][0], {"errorType": "system", "fieldName": "n/a",
                                                "message": "Too Many Requests"})
        self.assertIsNone(r.header("Retry-After"))
        self.assertEqual(self.fake.stats()["rate_limited"], 1)
        names = {k for req in [self.api("profile.json", tok) for _ in range(3)]
                 for k in req.headers if k.lower().startswith("fitbit-rate")}
        self.assertGreater(len(names), 3, "header case should vary")
        # a 2-second "hour": the counter resets at the top of the window
        self.fake.config(rate_window=2, retry_after=True)
        r = self.api("profile.json", tok)
        if r.status == 429:
            self.assertIsNotNone(r.header("Retry-After"))
            time.sleep(int(r.header("Fitbit-Rate-Limit-Reset")) + 0.2)
            r = self.api("profile.json", tok)
        self.assertEqual(r.status, 200)

    def test_range_caps(self):
        tok = self.fake.mint_tokens()["access_token"]
        end = date.today()
        ok = self.api(f"activities/steps/date/{end - timedelta(days=1094)}/{end}.json", tok)
        self.assertEqual(ok.status, 200)
        self.assertEqual(len(ok.json()["activities-steps"]), 1095)
        self.assertIsInstance(ok.json()["activities-steps"][0]["value"], str)
        r = self.api(f"activities/steps/date/{end - timedelta(days=1095)}/{end}.json", tok)
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json()["errors"][0]["errorType"], "validation")
        self.assertEqual(self.api(f"activities/heart/date/{end - timedelta(days=365)}/{end}.json",
                                  tok).status, 200)
        self.assertEqual(self.api(f"activities/heart/date/{end - timedelta(days=366)}/{end}.json",
                                  tok).status, 400)
        self.assertEqual(self.api(f"activities/steps/date/{end}/{end - timedelta(days=1)}.json",
                                  tok).status, 400)
        self.assertEqual(self.api("activities/nosuch/date/today/1d.json", tok).status, 404)
        self.assertEqual(self.api("nosuch.json", tok).status, 404)

    def test_truth_agrees_with_summary_and_series(self):
        self.fake.config(now="2026-03-29T15:00:00")  # frozen (a DST day in Berlin)
        tok = self.fake.mint_tokens()["access_token"]
        today = date.fromisoformat(self.fake.truth("today")["date"])
        start = today - timedelta(days=59)
        series = {res: {e["dateTime"]: e["value"] for e in
                        self.api(f"activities/{res}/date/{start}/{today}.json", tok).json()["activities-" + res]}
                  for res in ("steps", "distance", "calories", "floors", "elevation", "minutesSedentary",
                              "minutesLightlyActive", "minutesFairlyActive", "minutesVeryActive")}
        heart = {e["dateTime"]: e["value"] for e in
                 self.api(f"activities/heart/date/{start}/{today}.json", tok).json()["activities-heart"]}
        zones = ("out_of_range", "fat_burn", "cardio", "peak")
        seen_no_rhr = False
        for i in range(60):
            d = (start + timedelta(days=i)).isoformat()
            with self.subTest(date=d):
                t = self.fake.truth(d)
                s = self.api(f"activities/date/{d}.json", tok).json()["summary"]
                dist = {x["activity"]: x["distance"] for x in s["distances"]}
                self.assertEqual(t["fitbit_steps_total"], s["steps"])
                self.assertEqual(t["fitbit_distance_km"], dist["total"])
                self.assertEqual(t["fitbit_calories_total"], s["caloriesOut"])
                self.assertEqual(t["fitbit_floors_total"], s["floors"])
                self.assertEqual(t["fitbit_elevation_meters"], s["elevation"])
                self.assertEqual(t["fitbit_active_minutes"],
                                 {"sedentary": s["sedentaryMinutes"], "lightly_active": s["lightlyActiveMinutes"],
                                  "fairly_active": s["fairlyActiveMinutes"], "very_active": s["veryActiveMinutes"]})
                self.assertEqual(series["steps"][d], str(s["steps"]))
                self.assertEqual(float(series["distance"][d]), dist["total"])
                self.assertEqual(int(series["calories"][d]), s["caloriesOut"])
                self.assertEqual(float(series["elevation"][d]), s["elevation"])
                self.assertEqual(int(series["minutesVeryActive"][d]), s["veryActiveMinutes"])
                self.assertEqual(heart[d]["heartRateZones"], s["heartRateZones"])
                self.assertEqual(heart[d].get("restingHeartRate"), s.get("restingHeartRate"))
                self.assertEqual(t.get("fitbit_resting_heart_rate_bpm"), s.get("restingHeartRate"))
                seen_no_rhr |= "restingHeartRate" not in s
                if "fitbit_heart_rate_zone_minutes" in t:
                    self.assertEqual([t["fitbit_heart_rate_zone_minutes"][z] for z in zones],
                                     [z["minutes"] for z in s["heartRateZones"]])
                    self.assertEqual([t["fitbit_heart_rate_zone_calories"][z] for z in zones],
                                     [z["caloriesOut"] for z in s["heartRateZones"]])
        self.assertTrue(seen_no_rhr, "some days must lack restingHeartRate")
        # today grows with the (frozen) clock; en_US answers in miles
        later = self.fake.truth(today)
        self.fake.config(now=self.fake.get("/_test/config")["now"] - 3 * 3600)
        earlier = self.fake.truth(today)
        if earlier["has_data"]:  # not before midnight
            for k in ("fitbit_steps_total", "fitbit_calories_total", "fitbit_floors_total"):
                self.assertLessEqual(earlier[k], later[k], k)
            self.assertLess(earlier["fitbit_calories_total"], later["fitbit_calories_total"])
        km = self.fake.truth(start)["fitbit_distance_km"]
        mi = self.api(f"activities/date/{start}.json", tok, **{"Accept-Language": "en_US"}).json()
        self.assertAlmostEqual(mi["summary"]["distances"][0]["distance"], km / 1.609344, places=2)
        # before memberSince: no data
        since = date.fromisoformat(self.fake.get("/_test/config")["member_since"])
        self.assertFalse(self.fake.truth(since - timedelta(days=1))["has_data"])
        r = self.api(f"activities/steps/date/{since - timedelta(days=2)}/{since}.json", tok).json()
        self.assertEqual([e["value"] for e in r["activities-steps"]][:2], ["0", "0"])

    def test_faults_and_shutdown(self):
        tok = self.fake.mint_tokens()["access_token"]
        self.fake.config(fault={"path": "/activities/heart/", "status": 503, "count": 2},
                         forbid=["/devices"])
        path = "activities/heart/date/today/1d.json"
        self.assertEqual([self.api(path, tok).status for _ in range(3)], [503, 503, 200])
        r = self.api("devices.json", tok)
        self.assertEqual(r.status, 403)
        self.assertIn("API client is not authorized", r.json()["errors"][0]["message"])
        self.assertIsNotNone(r.header("fitbit-rate-limit-remaining"))
        self.fake.config(shutdown=True)
        r = self.api("profile.json", tok)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["status"], "PERMISSION_DENIED")
        log = self.fake.requests()
        self.assertEqual(log[-1]["authorization"], "Bearer")
        self.assertNotIn(tok, str(log))  # the log keeps no secrets


ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(ZONE)
ALL_SCOPES = ("activity cardio_fitness heartrate oxygen_saturation profile respiratory_rate "
              "settings sleep temperature weight")
TIME_RE = r"^\d\d:\d\d:\d\d$"
LOCAL_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000$"


def local_s(text):
    """A local "YYYY-MM-DDTHH:MM:SS.000" (not in a repeated hour) -> epoch s."""
    return int(datetime.fromisoformat(text[:19]).replace(tzinfo=BERLIN).timestamp())


def midnight_ms(d, tz=BERLIN):
    return int(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp() * 1000)


def wall(ts_ms, tz=BERLIN):
    return datetime.fromtimestamp(ts_ms / 1000, tz).strftime("%H:%M:%S")


class FakeFitbitBodyTest(IntegrationTest):
    """Intraday, sleep, nightly values, AZM, scale, devices, late data and
    the truth API. Frozen at 2026-10-28 15:00 Berlin (after the 2026-10-25
    fall-back), seed 7, member since 2026-03-01 (before the spring-forward)."""

    NOW = "2026-10-28T15:00:00"

    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(seed=7, now=self.NOW, timezone=ZONE, member_since="2026-03-01")
        self.today = date.fromisoformat(self.fake.get("/_test/config")["today"])
        self.tok = self.fake.mint_tokens(ALL_SCOPES)["access_token"]

    def get(self, path, tok=None, version="1", **hdr):
        return http("GET", f"{self.fake.url}/{version}/user/-/{path}",
                    headers={"Authorization": "Bearer " + (tok or self.tok), **hdr})

    def ok(self, path, **kw):
        r = self.get(path, **kw)
        self.assertEqual(r.status, 200, f"{path}: {r.text[:300]}")
        return r.json()

    def series(self, metric, a_ms, b_ms):
        return self.fake.get("/_test/series", metric=metric, start_ms=a_ms, end_ms=b_ms)["points"]

    def scoped(self, path, scope, version="1"):
        """path with a token of one scope (one token pair is active at a time:
        the full token is minted again afterwards)."""
        tok = self.fake.mint_tokens(scope)["access_token"]
        r = self.get(path, tok=tok, version=version)
        self.tok = self.fake.mint_tokens(ALL_SCOPES)["access_token"]
        return r

    def test_intraday_shapes_equal_series_local_and_utc(self):
        d = date(2026, 10, 20)
        body = self.ok(f"activities/heart/date/{d}/1d/1min.json")
        self.assertEqual(set(body), {"activities-heart", "activities-heart-intraday"})
        intra = body["activities-heart-intraday"]
        self.assertEqual((intra["datasetInterval"], intra["datasetType"]), (1, "minute"))
        ds = intra["dataset"]
        for e in ds:
            self.assertEqual(set(e), {"time", "value"})
            self.assertRegex(e["time"], TIME_RE)
            self.assertIs(type(e["value"]), int)
        self.assertTrue(1440 * 0.94 <= len(ds) <= 1440 * 0.985, len(ds))   # 2-5 % missing
        self.assertEqual(self.ok(f"activities/heart/date/{d}/{d}/1min.json"), body)
        rng = self.ok(f"activities/heart/date/{d}/{d}.json")["activities-heart"][0]
        self.assertEqual(body["activities-heart"], [rng])
        a, b = midnight_ms(d), midnight_ms(d + timedelta(days=1))
        hr = self.series("fitbit_heart_rate_bpm", a, b)
        self.assertEqual([(wall(t), v) for t, v in hr], [(e["time"], e["value"]) for e in ds])
        # steps: every minute, ints, adding up to the day
        body = self.ok(f"activities/steps/date/{d}/1d/1min.json")
        ds = body["activities-steps-intraday"]["dataset"]
        self.assertEqual(len(ds), 1440)
        self.assertTrue(all(type(e["value"]) is int and e["value"] >= 0 for e in ds))
        self.assertGreater(sum(1 for e in ds if e["value"] == 0), 300)          # still and asleep
        total = self.fake.truth(d)["fitbit_steps_total"]
        self.assertEqual(sum(e["value"] for e in ds), total)
        self.assertEqual(body["activities-steps"], [{"dateTime": str(d), "value": str(total)}])
        steps = self.series("fitbit_intraday_steps", a, b)
        self.assertEqual([(wall(t), v) for t, v in steps], [(e["time"], e["value"]) for e in ds])
        q15 = self.ok(f"activities/steps/date/{d}/1d/15min.json")["activities-steps-intraday"]
        self.assertEqual((q15["datasetInterval"], len(q15["dataset"])), (15, 96))
        self.assertEqual(q15["dataset"][5], {"time": "01:15:00",
                                             "value": sum(e["value"] for e in ds[75:90])})
        # ?timezone=UTC: a UTC day, UTC times, equal to the series' UTC instants
        for kind, metric in (("heart", "fitbit_heart_rate_bpm"), ("steps", "fitbit_intraday_steps")):
            body = self.ok(f"activities/{kind}/date/{d}/1d/1min.json?timezone=UTC")
            ds = body[f"activities-{kind}-intraday"]["dataset"]
            pts = self.series(metric, midnight_ms(d, timezone.utc),
                              midnight_ms(d + timedelta(days=1), timezone.utc))
            self.assertEqual([(wall(t, timezone.utc), v) for t, v in pts],
                             [(e["time"], e["value"]) for e in ds])
            self.assertEqual(ds[0]["time"], "00:00:00")
        self.assertEqual(int(body["activities-steps"][0]["value"]), sum(e["value"] for e in ds))
        # 1sec heart data: irregular samples; a /time/ window, end minute included
        sec = self.ok(f"activities/heart/date/{d}/1d/1sec/time/10:00/10:09.json")["activities-heart-intraday"]
        self.assertEqual((sec["datasetInterval"], sec["datasetType"]), (1, "second"))
        times = [e["time"] for e in sec["dataset"]]
        self.assertEqual(times, sorted(times))
        self.assertTrue(times[0] >= "10:00:00" and times[-1] < "10:10:00", times)
        win = self.ok(f"activities/steps/date/{d}/1d/1min/time/23:50/23:59.json")
        self.assertEqual(len(win["activities-steps-intraday"]["dataset"]), 10)
        # an unworn day: no heart-rate minutes, every step minute 0, no sleep ending that day
        year = self.ok(f"activities/heart/date/2026-03-01/{self.today}.json")["activities-heart"]
        unworn = [e["dateTime"] for e in year if "minutes" not in e["value"]["heartRateZones"][0]]
        self.assertTrue(unworn)
        u = unworn[0]
        body = self.ok(f"activities/heart/date/{u}/1d/1min.json")
        self.assertEqual(body["activities-heart-intraday"]["dataset"], [])
        ds = self.ok(f"activities/steps/date/{u}/1d/1min.json")["activities-steps-intraday"]["dataset"]
        self.assertEqual({e["value"] for e in ds}, {0})
        self.assertNotIn("fitbit_sleep_duration_seconds", self.fake.truth(u))
        # today: minutes only up to the (frozen) clock's last complete minute
        ds = self.ok("activities/heart/date/today/1d/1min.json")["activities-heart-intraday"]["dataset"]
        self.assertLessEqual(ds[-1]["time"], "14:59:00")
        self.assertGreaterEqual(ds[-1]["time"], "14:30:00")

    def test_intraday_dst_days(self):
        fall = date(2026, 10, 25)      # 03:00 CEST -> 02:00 CET: 02:00-02:59 twice
        ds = self.ok(f"activities/steps/date/{fall}/1d/1min.json")["activities-steps-intraday"]["dataset"]
        times = [e["time"] for e in ds]
        self.assertEqual(len(times), 1500)
        self.assertEqual(len(set(times)), 1440)
        self.assertEqual(times.count("02:30:00"), 2)
        i = times.index("02:59:00")
        self.assertEqual(times[i + 1:i + 3], ["02:00:00", "02:01:00"])
        a, b = midnight_ms(fall), midnight_ms(fall + timedelta(days=1))
        self.assertEqual(b - a, 25 * 3600 * 1000)
        pts = self.series("fitbit_intraday_steps", a, b)
        self.assertEqual([(wall(t), v) for t, v in pts], [(e["time"], e["value"]) for e in ds])
        hr = self.ok(f"activities/heart/date/{fall}/1d/1min.json")["activities-heart-intraday"]["dataset"]
        self.assertEqual([(wall(t), v) for t, v in self.series("fitbit_heart_rate_bpm", a, b)],
                         [(e["time"], e["value"]) for e in hr])
        self.assertTrue([e for e in hr if e["time"].startswith("02:")
                         and [x["time"] for x in hr].count(e["time"]) == 2])
        # the same date as a UTC day: 1440 distinct UTC times
        utc = self.ok(f"activities/steps/date/{fall}/1d/1min.json?timezone=UTC")
        times = [e["time"] for e in utc["activities-steps-intraday"]["dataset"]]
        self.assertEqual((len(times), len(set(times))), (1440, 1440))
        self.assertEqual(times, sorted(times))
        # 15-minute buckets keep the repeated hour apart
        q = self.ok(f"activities/steps/date/{fall}/1d/15min.json")["activities-steps-intraday"]["dataset"]
        self.assertEqual(len(q), 100)
        self.assertEqual(sum(e["value"] for e in q), sum(e["value"] for e in ds))
        spring = date(2026, 3, 29)     # 02:00 CET -> 03:00 CEST: no 02:xx
        ds = self.ok(f"activities/steps/date/{spring}/1d/1min.json")["activities-steps-intraday"]["dataset"]
        times = [e["time"] for e in ds]
        self.assertEqual(len(times), 1380)
        self.assertNotIn("02:30:00", times)
        self.assertEqual(times[times.index("01:59:00") + 1], "03:00:00")

    def test_intraday_caps_scope_and_access(self):
        d = date(2026, 10, 20)
        bad = (f"activities/heart/date/{d}/{d + timedelta(days=1)}/1min.json",
               f"activities/steps/date/{d}/{d + timedelta(days=1)}/1min/time/12:00/12:01.json",
               f"activities/heart/date/{d}/1d/2min.json", f"activities/steps/date/{d}/1d/1sec.json",
               f"activities/heart/date/{d}/1d/1min.json?timezone=Europe/Berlin",
               f"activities/steps/date/{d}/1d/1min/time/12:00/11:00.json")
        for path in bad:
            r = self.get(path)
            self.assertEqual((r.status, r.json()["errors"][0]["errorType"]), (400, "validation"), path)
        two = self.ok(f"activities/steps/date/{d}/{d + timedelta(days=1)}/1min/time/12:00/11:59.json")
        self.assertEqual(len(two["activities-steps-intraday"]["dataset"]), 1440)
        self.assertEqual(len(two["activities-steps"]), 2)
        r = self.scoped(f"activities/heart/date/{d}/1d/1min.json", "activity")
        self.assertEqual((r.status, r.json()["errors"][0]["errorType"]), (403, "insufficient_scope"))
        self.assertEqual(self.scoped(f"activities/steps/date/{d}/1d/1min.json", "activity").status, 200)
        self.assertEqual(self.scoped(f"activities/steps/date/{d}/1d/1min.json", "heartrate").status, 403)
        self.assertEqual(self.scoped(f"activities/heart/date/{d}/1d/1min.json", "heartrate").status, 200)
        # an app without intraday access: the member absent, or 403
        self.fake.config(intraday="absent")
        for kind in ("heart", "steps"):
            body = self.ok(f"activities/{kind}/date/{d}/1d/1min.json")
            self.assertEqual(set(body), {f"activities-{kind}"})
        self.assertEqual(self.series("fitbit_heart_rate_bpm", midnight_ms(d), midnight_ms(d) + 86400000), [])
        self.fake.config(intraday="forbidden")
        for kind in ("heart", "steps"):
            r = self.get(f"activities/{kind}/date/{d}/1d/1min.json")
            self.assertEqual(r.status, 403)
            err = r.json()["errors"][0]
            self.assertEqual(err["errorType"], "insufficient_permissions")
            self.assertIn("API client is not authorized by Fitbit", err["message"])
        self.assertEqual(self.ok(f"activities/heart/date/{d}/{d}.json")["activities-heart"][0]["dateTime"],
                         str(d))
        self.assertEqual(self.fake.config(intraday="on")["intraday"], "on")
        self.assertEqual(http("POST", self.fake.url + "/_test/config", {"intraday": "maybe"}).status, 400)

    def test_sleep_shapes_hypnogram_and_truth(self):
        first = self.today - timedelta(days=99)
        body = self.ok(f"sleep/date/{first}/{self.today}.json", version="1.2")
        self.assertEqual(self.get(f"sleep/date/{first - timedelta(days=1)}/{self.today}.json",
                                  version="1.2").status, 400)
        self.assertEqual(self.get(f"sleep/date/{first}/{self.today}.json").status, 404)   # only 1.2
        logs = body["sleep"]
        self.assertEqual(body["summary"], {"totalMinutesAsleep": sum(s["minutesAsleep"] for s in logs),
                                           "totalSleepRecords": len(logs),
                                           "totalTimeInBed": sum(s["timeInBed"] for s in logs)})
        by_date = {}
        for s in logs:
            by_date.setdefault(s["dateOfSleep"], []).append(s)
            self.assertEqual(s["dateOfSleep"], s["endTime"][:10])
            for k in ("startTime", "endTime"):
                self.assertRegex(s[k], LOCAL_RE)
            self.assertEqual(s["duration"], s["timeInBed"] * 60000)
            self.assertEqual(s["minutesAsleep"] + s["minutesAwake"], s["timeInBed"])
            data = s["levels"]["data"]
            self.assertEqual(sum(x["seconds"] for x in data), s["timeInBed"] * 60)
            self.assertEqual(data[0]["dateTime"], s["startTime"])
            summ = s["levels"]["summary"]
            self.assertEqual(sum(v["minutes"] for v in summ.values()), s["timeInBed"])
            if s["type"] == "stages":
                self.assertEqual(set(summ), {"deep", "light", "rem", "wake"})
                self.assertEqual(s["minutesAsleep"], sum(summ[k]["minutes"] for k in ("deep", "light", "rem")))
            else:
                self.assertEqual(set(summ), {"asleep", "restless", "awake"})
                self.assertEqual(s["levels"]["shortData"], [])
            self.assertTrue({x["level"] for x in data} <= set(summ))
        mains = [s for s in logs if s["isMainSleep"]]
        self.assertTrue(all(len([s for s in v if s["isMainSleep"]]) <= 1 for v in by_date.values()))
        self.assertGreater(len(mains), 75)
        self.assertLess(len(by_date), 100, "some nights have no sleep")
        self.assertTrue([s for s in logs if not s["isMainSleep"] and s["type"] == "classic"], "naps")
        self.assertEqual([s["startTime"] for s in logs], sorted((s["startTime"] for s in logs), reverse=True))
        # the DST night: contiguous in real time, the local dateTimes follow the wall clock
        dst = [s for s in mains if s["dateOfSleep"] == "2026-10-25"][0]
        clock = [x["dateTime"] for x in dst["levels"]["data"]]
        self.assertTrue(any(b < a for a, b in zip(clock, clock[1:])), clock)
        # truth and hypnogram equal what is served
        a_ms, b_ms = midnight_ms(first), midnight_ms(self.today + timedelta(days=1))
        want_pts = []
        for d in (first + timedelta(days=i) for i in range(100)):
            t = self.fake.truth(d)
            main = [s for s in by_date.get(str(d), []) if s["isMainSleep"]]
            if not main:
                self.assertNotIn("fitbit_sleep_duration_seconds", t, d)
                continue
            m = main[0]
            self.assertEqual(t["fitbit_sleep_duration_seconds"], m["minutesAsleep"] * 60)
            self.assertEqual(t["fitbit_sleep_stage_seconds"],
                             {k: v["minutes"] * 60 for k, v in m["levels"]["summary"].items()})
            self.assertEqual(t["fitbit_sleep_efficiency_ratio"], m["efficiency"] / 100)
            if m["type"] == "stages":
                ts = local_s(m["startTime"])
                for x in m["levels"]["data"]:
                    want_pts.append([ts * 1000, {"deep": 0, "light": 1, "rem": 2, "wake": 3}[x["level"]]])
                    ts += x["seconds"]
                self.assertEqual(ts, local_s(m["endTime"]))
        pts = self.series("fitbit_sleep_stage_level", a_ms, b_ms)
        self.assertEqual(pts, sorted(p for p in want_pts if a_ms <= p[0] < b_ms))
        self.assertGreater(len(pts), 1000)
        # today's sleep appears once its wake time passed (frozen clock)
        today = [s for s in mains if s["dateOfSleep"] == str(self.today)][0]
        wake = today["endTime"][11:19]
        self.fake.config(now=f"{self.today}T{wake}")
        self.assertIn("fitbit_sleep_duration_seconds", self.fake.truth(self.today))
        self.fake.config(now=local_s(today["endTime"]) - 1)
        self.assertNotIn("fitbit_sleep_duration_seconds", self.fake.truth(self.today))
        self.assertNotIn("fitbit_hrv_rmssd_ms", self.fake.truth(self.today))
        body = self.ok(f"sleep/date/{self.today}/{self.today}.json", version="1.2")
        self.assertEqual([s for s in body["sleep"] if s["isMainSleep"]], [])
        self.assertEqual(self.get(f"hrv/date/{self.today}/{self.today}.json").json(), {"hrv": []})

    def test_nightly_values_azm_and_truth(self):
        a, b = self.today - timedelta(days=29), self.today
        spo2 = self.ok(f"spo2/date/{a}/{b}.json")
        self.assertIsInstance(spo2, list)
        hrv = self.ok(f"hrv/date/{a}/{b}.json")["hrv"]
        br = self.ok(f"br/date/{a}/{b}.json")["br"]
        temp = self.ok(f"temp/skin/date/{a}/{b}.json")["tempSkin"]
        vo2 = self.ok(f"cardioscore/date/{a}/{b}.json")["cardioScore"]
        azm = self.ok(f"activities/active-zone-minutes/date/{a}/{b}.json")["activities-active-zone-minutes"]
        for lst, keys in ((spo2, {"avg", "min", "max"}), (hrv, {"dailyRmssd", "deepRmssd"}),
                          (br, {"breathingRate"}), (temp, {"nightlyRelative"}), (vo2, {"vo2Max"})):
            self.assertTrue(0 < len(lst) < 30, lst)        # some nights without
            for e in lst:
                self.assertEqual(set(e), {"dateTime", "value"})
                self.assertEqual(set(e["value"]), keys)
        self.assertTrue(all(isinstance(e["value"]["vo2Max"], str) for e in vo2))
        self.assertTrue([e for e in vo2 if "-" in e["value"]["vo2Max"]])
        nulls, end = [], b      # deepRmssd is null on some nights
        while not nulls and end > b - timedelta(days=180):
            nulls = [e for e in self.ok(f"hrv/date/{end - timedelta(days=29)}/{end}.json")["hrv"]
                     if e["value"]["deepRmssd"] is None]
            end -= timedelta(days=30)
        self.assertTrue(nulls)
        self.assertTrue(all(isinstance(e["value"]["breathingRate"], float) for e in br))
        m = {k: {e["dateTime"]: e["value"] for e in lst} for k, lst in
             (("spo2", spo2), ("hrv", hrv), ("br", br), ("temp", temp), ("vo2", vo2), ("azm", azm))}
        for i in range(30):
            d = str(a + timedelta(days=i))
            t = self.fake.truth(d)
            with self.subTest(date=d):
                s = m["spo2"].get(d)
                want = {k: v for k, v in (s or {}).items() if v is not None}
                self.assertEqual(t.get("fitbit_spo2_percent"), want or None)
                h = m["hrv"].get(d)
                want = {k: v for k, v in (("daily", (h or {}).get("dailyRmssd")),
                                          ("deep", (h or {}).get("deepRmssd"))) if v is not None}
                self.assertEqual(t.get("fitbit_hrv_rmssd_ms"), want or None)
                self.assertEqual(t.get("fitbit_breathing_rate_per_minute"),
                                 (m["br"].get(d) or {}).get("breathingRate"))
                self.assertEqual(t.get("fitbit_skin_temperature_deviation_celsius"),
                                 (m["temp"].get(d) or {}).get("nightlyRelative"))
                v = (m["vo2"].get(d) or {}).get("vo2Max")
                if v is None:
                    self.assertNotIn("fitbit_vo2max", t)
                else:
                    lo, _, hi = v.partition("-")
                    self.assertEqual(t["fitbit_vo2max"], (float(lo) + float(hi or lo)) / 2)
                z = m["azm"].get(d)
                if z is None:
                    self.assertNotIn("fitbit_active_zone_minutes", t)
                else:
                    want = {"fat_burn": z.get("fatBurnActiveZoneMinutes", 0),
                            "cardio": z.get("cardioActiveZoneMinutes", 0),
                            "peak": z.get("peakActiveZoneMinutes", 0)}
                    self.assertEqual(z["activeZoneMinutes"], sum(want.values()))
                    self.assertEqual(t["fitbit_active_zone_minutes"], dict(want, total=sum(want.values())))
                    if "fitbit_heart_rate_zone_minutes" in t:   # cardio and peak count double
                        hz = t["fitbit_heart_rate_zone_minutes"]
                        self.assertEqual(want["cardio"], 2 * hz["cardio"])
        # SpO2 nulls happen; the long SpO2 range is accepted, days without data left out
        long = self.ok(f"spo2/date/{self.today - timedelta(days=240)}/{b}.json")
        self.assertTrue([e for e in long if e["value"]["avg"] is None])
        self.assertLess(len(long), 241)
        # units: en_US turns the skin temperature delta into degF
        us = self.ok(f"temp/skin/date/{a}/{b}.json", **{"Accept-Language": "en_US"})["tempSkin"]
        self.assertAlmostEqual(us[0]["value"]["nightlyRelative"], temp[0]["value"]["nightlyRelative"] * 1.8, 2)
        # caps and scopes
        for path, cap in (("spo2/date", 1095), ("hrv/date", 30), ("br/date", 30), ("temp/skin/date", 30),
                          ("cardioscore/date", 30), ("activities/active-zone-minutes/date", 1095)):
            self.assertEqual(self.get(f"{path}/{b - timedelta(days=cap - 1)}/{b}.json").status, 200, path)
            r = self.get(f"{path}/{b - timedelta(days=cap)}/{b}.json")
            self.assertEqual((r.status, r.json()["errors"][0]["errorType"]), (400, "validation"), path)
        for path, scope in (("spo2/date", "oxygen_saturation"), ("hrv/date", "heartrate"),
                            ("br/date", "respiratory_rate"), ("temp/skin/date", "temperature"),
                            ("cardioscore/date", "cardio_fitness"),
                            ("activities/active-zone-minutes/date", "activity")):
            r = self.scoped(f"{path}/{a}/{b}.json", "profile")
            self.assertEqual((r.status, r.json()["errors"][0]["errorType"]), (403, "insufficient_scope"), path)
            self.assertEqual(self.scoped(f"{path}/{a}/{b}.json", scope).status, 200, path)
        r = self.scoped(f"sleep/date/{a}/{b}.json", "heartrate", version="1.2")
        self.assertEqual(r.status, 403)
        self.assertEqual(self.scoped(f"sleep/date/{a}/{b}.json", "sleep", version="1.2").status, 200)

    def test_scale_and_devices(self):
        a, b = self.today - timedelta(days=30), self.today
        weight = self.ok(f"body/log/weight/date/{a}/{b}.json")["weight"]
        fat = self.ok(f"body/log/fat/date/{a + timedelta(days=1)}/{b}.json")["fat"]
        self.assertEqual(self.get(f"body/log/weight/date/{a - timedelta(days=1)}/{b}.json").status, 400)
        self.assertEqual(self.get(f"body/log/fat/date/{a}/{b}.json").status, 400)
        self.assertTrue(3 <= len(weight) <= 20, weight)
        for w in weight:
            self.assertEqual(set(w), {"bmi", "date", "logId", "source", "time", "weight"})
            self.assertRegex(w["time"], TIME_RE)
            self.assertIsInstance(w["weight"], float)
            self.assertIsInstance(w["logId"], int)
            self.assertAlmostEqual(w["bmi"], w["weight"] / 1.78 ** 2, 1)
            self.assertTrue(40 < w["weight"] < 120)
        for f in fat:
            self.assertEqual(set(f), {"date", "fat", "logId", "source", "time"})
        self.assertLess(len(fat), len(weight) + 1)
        us = self.ok(f"body/log/weight/date/{a}/{b}.json", **{"Accept-Language": "en_US"})["weight"]
        self.assertAlmostEqual(us[0]["weight"], weight[0]["weight"] * 2.20462262, 1)
        for i in range(1, 31):
            d = str(a + timedelta(days=i))
            t = self.fake.truth(d)
            ws = [w for w in weight if w["date"] == d]
            fs = [f for f in fat if f["date"] == d]
            self.assertEqual(t.get("fitbit_weight_kg"), ws[-1]["weight"] if ws else None, d)
            self.assertEqual(t.get("fitbit_body_fat_percent"), fs[-1]["fat"] if fs else None, d)
        self.assertEqual(self.scoped(f"body/log/weight/date/{a}/{b}.json", "activity").status, 403)
        self.assertEqual(self.scoped(f"body/log/fat/date/{b}/{b}.json", "activity").status, 403)
        self.assertEqual(self.scoped(f"body/log/fat/date/{b}/{b}.json", "weight").status, 200)
        # devices: a tracker synced now and a scale synced at its last weighing
        devs = self.ok("devices.json")
        self.assertEqual([(x["deviceVersion"], x["type"]) for x in devs],
                         [("Charge 6", "TRACKER"), ("Aria Air", "SCALE")])
        for x in devs:
            self.assertEqual(set(x), {"battery", "batteryLevel", "deviceVersion", "features", "id",
                                      "lastSyncTime", "mac", "type"})
            self.assertIn(x["battery"], ("High", "Medium", "Low", "Empty"))
            self.assertIs(type(x["batteryLevel"]), int)
            self.assertRegex(x["lastSyncTime"], LOCAL_RE)
        self.assertEqual(devs[0]["lastSyncTime"], self.NOW + ".000")
        aria = [w for w in weight if w["source"] == "Aria"][-1]
        self.assertEqual(devs[1]["lastSyncTime"], f"{aria['date']}T{aria['time']}.000")
        truth = self.fake.get("/_test/devices")
        self.assertEqual(truth, [{"device": x["deviceVersion"], "type": x["type"].lower(),
                                  "battery": x["batteryLevel"], "last_sync_s": local_s(x["lastSyncTime"])}
                                 for x in devs])
        self.fake.config(dup_devices=True)
        devs = self.ok("devices.json")
        self.assertEqual([x["deviceVersion"] for x in devs], ["Charge 6", "Aria Air", "Charge 6"])
        self.assertEqual([x["device"] for x in self.fake.get("/_test/devices")],
                         ["Charge 6", "Aria Air", "Charge 6 " + devs[2]["id"][-4:]])
        self.assertEqual(self.scoped("devices.json", "activity").status, 403)
        self.assertEqual(self.scoped("devices.json", "settings").status, 200)

    def test_sync_lag(self):
        y, t = self.today - timedelta(days=1), self.today
        full, now_steps = self.fake.truth(y)["fitbit_steps_total"], self.fake.truth(t)["fitbit_steps_total"]
        cfg = self.fake.config(sync_lag_s=5 * 3600)             # last sync 10:00 today
        sync = cfg["now"] - 5 * 3600
        self.assertEqual(cfg["last_sync"], sync)
        self.assertEqual(self.ok("devices.json")[0]["lastSyncTime"], f"{t}T10:00:00.000")
        self.assertEqual(self.fake.get("/_test/devices")[0]["last_sync_s"], sync)
        truth = self.fake.truth(t)
        self.assertLess(truth["fitbit_steps_total"], now_steps)
        self.assertEqual(self.ok(f"activities/date/{t}.json")["summary"]["steps"], truth["fitbit_steps_total"])
        ds = self.ok(f"activities/steps/date/{t}/1d/1min.json")["activities-steps-intraday"]["dataset"]
        self.assertEqual((len(ds), ds[-1]["time"]), (600, "09:59:00"))
        pts = self.series("fitbit_intraday_steps", midnight_ms(t), midnight_ms(t + timedelta(days=1)))
        self.assertEqual(len(pts), 600)
        self.assertEqual(self.fake.truth(y)["fitbit_steps_total"], full)
        # last sync before today's wake time: no night yet, no wake-day values
        self.fake.config(sync_lag_s=15 * 3600 - 60)              # 00:01 today
        truth = self.fake.truth(t)
        self.assertTrue(truth["has_data"])
        for k in ("fitbit_sleep_duration_seconds", "fitbit_spo2_percent", "fitbit_vo2max"):
            self.assertNotIn(k, truth)
        self.assertEqual(self.ok(f"spo2/date/{t}/{t}.json"), [])
        self.assertIn("fitbit_sleep_duration_seconds", self.fake.truth(y))
        # last sync yesterday 23:00: nothing of today, yesterday partial
        self.fake.config(sync_lag_s=16 * 3600)
        self.assertFalse(self.fake.truth(t)["has_data"])
        self.assertEqual(self.ok(f"activities/steps/date/{t}/{t}.json")["activities-steps"][0]["value"], "0")
        body = self.ok(f"activities/steps/date/{t}/1d/1min.json")
        self.assertEqual(body["activities-steps-intraday"]["dataset"], [])
        part = self.fake.truth(y)["fitbit_steps_total"]
        self.assertLess(part, full)
        body = self.ok(f"activities/steps/date/{y}/{y}.json")
        self.assertEqual(body["activities-steps"][0]["value"], str(part))
        hr = self.ok(f"activities/heart/date/{y}/1d/1min.json")["activities-heart-intraday"]["dataset"]
        self.assertLessEqual(hr[-1]["time"], "22:59:00")
        self.assertEqual(self.ok("devices.json")[0]["lastSyncTime"], f"{y}T23:00:00.000")
        self.fake.config(sync_lag_s=0)
        self.assertEqual(self.fake.truth(y)["fitbit_steps_total"], full)
        self.assertEqual(http("POST", self.fake.url + "/_test/config", {"sync_lag_s": -1}).status, 400)

    def test_new_endpoints_count_against_the_budget(self):
        d = self.today - timedelta(days=2)
        paths = [(f"activities/heart/date/{d}/1d/1min.json", "1"),
                 (f"activities/steps/date/{d}/1d/1min.json", "1"),
                 (f"sleep/date/{d}/{d}.json", "1.2"), (f"spo2/date/{d}/{d}.json", "1"),
                 (f"hrv/date/{d}/{d}.json", "1"), (f"br/date/{d}/{d}.json", "1"),
                 (f"temp/skin/date/{d}/{d}.json", "1"), (f"cardioscore/date/{d}/{d}.json", "1"),
                 (f"activities/active-zone-minutes/date/{d}/{d}.json", "1"),
                 (f"body/log/weight/date/{d}/{d}.json", "1"), (f"body/log/fat/date/{d}/{d}.json", "1"),
                 ("devices.json", "1")]
        wait_until(lambda: time.time() % 3600 < 3590, 15, "not the last seconds of the hour")
        self.fake.config(rate_used=150 - len(paths))
        for path, v in paths:
            r = self.get(path, version=v)
            self.assertEqual(r.status, 200, path)
            self.assertIsNotNone(r.header("fitbit-rate-limit-remaining"))
        self.assertEqual(int(r.header("fitbit-rate-limit-remaining")), 0)
        for path, v in paths:
            self.assertEqual(self.get(path, version=v).status, 429, path)
        eps = self.fake.stats()["by_endpoint"]
        for name in ("activities/heart/intraday", "activities/steps/intraday", "sleep/date", "spo2/date",
                     "hrv/date", "br/date", "temp/skin/date", "cardioscore/date",
                     "activities/active-zone-minutes/date", "body/log/weight/date", "body/log/fat/date",
                     "devices"):
            self.assertEqual(eps.get("GET " + name), 2, name)
