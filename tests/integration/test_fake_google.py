"""Tests of tests/fakes/fake_google.py itself: the fake must model the Google
Health API as shared/research/google-health.md describes it, or every SyncBit
test built on it proves nothing."""

import base64
import hashlib
import secrets
import urllib.parse
from datetime import date, timedelta

from harness import IntegrationTest, http

REDIRECT = "http://127.0.0.1:9/callback"
PFX = "https://www.googleapis.com/auth/googlehealth."
RHR = "daily-resting-heart-rate"


def pkce():
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def gd(d):
    return {"year": d.year, "month": d.month, "day": d.day}


class FakeGoogleTest(IntegrationTest):
    def setUp(self):
        super().setUp()
        # frozen at 15:00 Berlin: today has partial data, and the day is fixed
        self.fake = self.h.fake("fake_google.py", "--seed", "7", "--now", "2026-11-28T15:00:00",
                                "--membership-start", "2026-06-01")
        cfg = self.fake.get("/_test/config")
        self.cid, self.secret = cfg["client_id"], cfg["client_secret"]
        self.today = date.fromisoformat(cfg["today"])
        self.tok = self.fake.post("/_test/tokens")["access_token"]

    # -- helpers
    def rollup(self, dtype, start, end, tok=None, **body):
        req = {"range": {"start": {"date": gd(start)}, "end": {"date": gd(end)}}, "windowSizeDays": 1}
        req.update(body)
        req = {k: v for k, v in req.items() if v is not None}
        return http("POST", f"{self.fake.url}/v4/users/me/dataTypes/{dtype}/dataPoints:dailyRollUp",
                    req, {"Authorization": "Bearer " + (tok or self.tok)})

    def list(self, dtype, tok=None, **q):
        return http("GET", f"{self.fake.url}/v4/users/me/dataTypes/{dtype}/dataPoints?"
                    + urllib.parse.urlencode(q), headers={"Authorization": "Bearer " + (tok or self.tok)})

    def token(self, form):
        return http("POST", self.fake.url + "/token", urllib.parse.urlencode(form),
                    {"Content-Type": "application/x-www-form-urlencoded"})

    def authorize(self, challenge, **extra):
        q = {"client_id": self.cid, "response_type": "code", "redirect_uri": REDIRECT,
             "scope": f"{PFX}activity_and_fitness.readonly {PFX}settings.readonly",
             "state": "s-1", "code_challenge": challenge, "code_challenge_method": "S256",
             "access_type": "offline", "prompt": "consent", **extra}
        return http("GET", self.fake.url + "/o/oauth2/v2/auth?" + urllib.parse.urlencode(q), follow=False)

    def code_from(self, r):
        self.assertEqual(r.status, 302, r.text)
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(r.header("Location")).query)
        self.assertEqual(q["state"], ["s-1"])
        return q["code"][0]

    def reason(self, r):
        return [d.get("reason") for d in r.json()["error"].get("details", []) if "reason" in d]

    # -- tests
    def test_rollup_range_caps_and_window_required(self):
        t = self.today
        self.assertEqual(self.rollup("steps", t - timedelta(days=89), t + timedelta(days=1)).status, 200)
        r = self.rollup("steps", t - timedelta(days=90), t + timedelta(days=1))
        self.assertEqual((r.status, r.json()["error"]["status"]), (400, "INVALID_ARGUMENT"))
        for dtype in ("heart-rate", "total-calories", "active-minutes", "calories-in-heart-rate-zone"):
            self.assertEqual(self.rollup(dtype, t - timedelta(days=13), t + timedelta(days=1)).status, 200)
            self.assertEqual(self.rollup(dtype, t - timedelta(days=14), t + timedelta(days=1)).status, 400,
                             dtype)
        self.assertEqual(self.rollup("steps", t, t).status, 400)          # start < end
        r = self.rollup("steps", t - timedelta(days=3), t, windowSizeDays=None)
        self.assertEqual((r.status, r.json()["error"]["status"]), (400, "INVALID_ARGUMENT"))
        r = http("POST", f"{self.fake.url}/v4/users/me/dataTypes/steps/dataPoints:dailyRollUp",
                 '{"range":{"start":{"date":{"year":2026,"month":11,"day":01}},'
                 '"end":{"date":{"year":2026,"month":11,"day":2}}},"windowSizeDays":1}',
                 {"Authorization": "Bearer " + self.tok, "Content-Type": "application/json"})
        self.assertEqual(r.status, 400)
        self.assertTrue(r.json()["error"]["message"].startswith("Invalid JSON payload received."))
        r = self.rollup("heartRate", t - timedelta(days=1), t)
        self.assertEqual(self.reason(r), ["INVALID_PARENT_DATA_TYPE_COLLECTION"])

    def test_rollup_omits_days_and_matches_truth(self):
        start = date(2026, 5, 20)                       # 12 days before membership
        pts = self.rollup("steps", start, start + timedelta(days=90)).json()["rollupDataPoints"]
        days = [date(**p["civilStartTime"]["date"]) for p in pts]
        self.assertEqual(days, sorted(days))
        self.assertTrue(date(2026, 6, 1) <= min(days) <= date(2026, 6, 5))  # none before membership
        for p in pts:
            self.assertIsInstance(p["steps"]["countSum"], str)   # int64 as a string
            self.assertEqual(date(**p["civilEndTime"]["date"]) - date(**p["civilStartTime"]["date"]),
                             timedelta(days=1))
        unworn = [d for d in (date(2026, 6, 1) + timedelta(days=i) for i in range(78)) if d not in days]
        self.assertTrue(unworn, "about 3% of days are unworn")
        self.assertFalse(self.fake.get("/_test/truth", date=unworn[0].isoformat())["has_data"])
        # after today: nothing; today: partial values equal to the truth
        t = self.today
        pts = self.rollup("steps", t, t + timedelta(days=5)).json()["rollupDataPoints"]
        self.assertEqual(len(pts), 1)
        truth = self.fake.get("/_test/truth", date="today")
        self.assertEqual(int(pts[0]["steps"]["countSum"]), truth["fitbit_steps_total"])
        z = self.rollup("time-in-heart-rate-zone", t, t + timedelta(days=1)).json()["rollupDataPoints"][0]
        mins = {e["heartRateZone"].lower(): int(e.get("duration", "0s")[:-1]) / 60
                for e in z["timeInHeartRateZone"]["timeInHeartRateZones"]}
        self.assertEqual(mins, truth["fitbit_heart_rate_zone_minutes"])
        d = self.rollup("distance", t, t + timedelta(days=1)).json()["rollupDataPoints"][0]
        self.assertEqual(int(d["distance"]["millimetersSum"]) / 1e6, truth["fitbit_distance_km"])
        self.assertEqual(self.rollup("steps", t + timedelta(days=1), t + timedelta(days=3)).json(), {})

    def test_list_paging_through_an_empty_page(self):
        flt = (f'daily_resting_heart_rate.date >= "{self.today - timedelta(days=59)}" '
               f'AND daily_resting_heart_rate.date < "{self.today + timedelta(days=1)}"')
        self.fake.config(max_page_size=25)
        seen, pages, q = [], [], {"filter": flt, "pageSize": 10000}
        while True:
            r = self.list(RHR, **q)
            self.assertEqual(r.status, 200, r.text)
            body = r.json()
            pages.append(len(body.get("dataPoints", [])))
            seen += [date(**p["dailyRestingHeartRate"]["date"]) for p in body.get("dataPoints", [])]
            if not body.get("nextPageToken"):
                break
            q["pageToken"] = body["nextPageToken"]
        self.assertEqual(pages[0], 0, "the first page is empty yet carries a token")
        self.assertGreaterEqual(len(pages), 4)
        self.assertEqual(seen, sorted(seen, reverse=True))              # newest first
        self.assertEqual(seen[0], self.today)
        self.assertTrue(all(d >= self.today - timedelta(days=59) for d in seen))
        self.assertGreater(len(seen), 45)
        for d in seen[:5]:
            self.assertIn("fitbit_resting_heart_rate_bpm", self.fake.get("/_test/truth", date=d.isoformat()))
        r = self.list(RHR, filter=flt.replace(".date", ".interval.start_time", 1))
        self.assertEqual(self.reason(r), ["INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"])
        r = self.list(RHR, filter="daily_resting_heart_rate.date >=")
        self.assertEqual(self.reason(r), ["INVALID_DATA_POINT_FILTER_SYNTAX"])
        self.assertEqual(self.list(RHR, filter=flt, pageToken="bogus").status, 400)
        self.fake.config(empty_page="off", max_page_size=None)
        self.assertEqual(len(self.list(RHR, filter=flt).json()["dataPoints"]), len(seen))

    def test_pkce_code_exchange_and_refresh_without_rotation(self):
        verifier, challenge = pkce()
        code = self.code_from(self.authorize(challenge))
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "client_id": self.cid, "client_secret": self.secret, "code_verifier": pkce()[0]}
        r = self.token(form)
        self.assertEqual(r.json(), {"error": "invalid_grant", "error_description": "Bad Request"})
        form.update(code=self.code_from(self.authorize(challenge)), code_verifier=verifier)
        self.assertEqual(self.token(dict(form, client_secret="nope")).status, 401)
        form["code"] = self.code_from(self.authorize(challenge))
        r = self.token(form)
        self.assertEqual(r.status, 200, r.text)
        pair = r.json()
        self.assertEqual((pair["token_type"], pair["expires_in"]), ("Bearer", 3599))
        self.assertIn("refresh_token", pair)
        self.assertEqual(self.token(form).status, 400)                  # the code is single use
        # online access: no refresh token
        form["code"] = self.code_from(self.authorize(challenge, access_type="online"))
        self.assertNotIn("refresh_token", self.token(form).json())
        # unknown scope
        r = self.authorize(challenge, scope=PFX + "steps.readonly")
        self.assertEqual(r.status, 400)
        self.assertIn("invalid_scope", r.text)
        # refresh: no rotation; the refresh token keeps working
        ref = {"grant_type": "refresh_token", "refresh_token": pair["refresh_token"],
               "client_id": self.cid, "client_secret": self.secret}
        for _ in range(2):
            r = self.token(ref)
            self.assertEqual(r.status, 200, r.text)
            self.assertNotIn("refresh_token", r.json())
        # a scope not granted -> 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT; expiry; revocation
        r = self.list(RHR, tok=r.json()["access_token"])
        self.assertEqual((r.status, self.reason(r)), (403, ["ACCESS_TOKEN_SCOPE_INSUFFICIENT"]))
        self.fake.config(expire_access_token=True)
        r = self.rollup("steps", self.today, self.today + timedelta(days=1), tok=pair["access_token"])
        self.assertEqual((r.status, self.reason(r)), (401, ["ACCESS_TOKEN_EXPIRED"]))
        r = http("GET", self.fake.url + "/v4/users/me/settings")
        self.assertEqual((r.status, self.reason(r)), (401, ["CREDENTIALS_MISSING"]))
        self.fake.config(revoke_all=True)
        self.assertEqual(self.token(ref).json(), {"error": "invalid_grant",
                                                  "error_description": "Token has been expired or revoked."})
        issued = self.fake.get("/_test/tokens")["issued"]
        self.assertIn(pair["refresh_token"], issued)

    def test_account_not_linked_and_faults(self):
        self.fake.config(not_linked=True)
        r = self.rollup("steps", self.today, self.today + timedelta(days=1))
        self.assertEqual(r.status, 400)
        self.assertEqual(r.json(), {"error": {
            "code": 400, "message": "The account is not linked to Google Health.",
            "status": "FAILED_PRECONDITION",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                         "reason": "ACCOUNT_NOT_LINKED", "domain": "googleapis.com"}]}})
        self.fake.config(not_linked=False, ubermint=True)
        r = http("GET", self.fake.url + "/v4/users/me/profile", headers={"Authorization": "Bearer " + self.tok})
        self.assertEqual(r.status, 403)
        self.assertIn("Could not mint UberMint from GaiaMint", r.json()["error"]["message"])
        self.fake.config(ubermint=False, fault={"path": "dailyRollUp", "status": 503, "count": 1,
                                                 "retry_after": 2})
        r = self.rollup("steps", self.today, self.today + timedelta(days=1))
        self.assertEqual((r.status, r.header("Retry-After")), (503, "2"))
        self.assertEqual(self.rollup("steps", self.today, self.today + timedelta(days=1)).status, 200)
        self.fake.config(forbid_scope=["total-calories"])
        r = self.rollup("total-calories", self.today, self.today + timedelta(days=1))
        self.assertEqual(self.reason(r), ["ACCESS_TOKEN_SCOPE_INSUFFICIENT"])
        # the per-minute limit: 429 RESOURCE_EXHAUSTED without Retry-After, counted
        self.fake.config(rate_limit_per_minute=100000, rate_used=100000)
        r = self.rollup("steps", self.today, self.today + timedelta(days=1))
        self.assertEqual((r.status, r.json()["error"]["status"]), (429, "RESOURCE_EXHAUSTED"))
        self.assertIsNone(r.header("Retry-After"))
        stats = self.fake.get("/_test/stats")
        self.assertEqual(stats["rate_limited"], 1)
        self.assertGreaterEqual(stats["by_endpoint"]["POST steps/dataPoints:dailyRollUp"], 4)
        reqs = self.fake.get("/_test/requests")["requests"]
        self.assertEqual(reqs[-1]["json"]["windowSizeDays"], 1)
        self.assertEqual(reqs[-1]["authorization"], "Bearer")
