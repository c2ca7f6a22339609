"""Tests of tests/fakes/fake_fitbit.py itself: the fake must model Fitbit's
documented behaviour, or every SyncBit test built on it proves nothing."""

import base64
import hashlib
import secrets
import time
import urllib.parse
from datetime import date, timedelta

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
