"""Tests of tests/fakes/fake_google.py itself: the fake must model the Google
Health API as shared/research/google-health.md describes it, or every SyncBit
test built on it proves nothing."""

import base64
import hashlib
import re
import secrets
import urllib.parse
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from harness import IntegrationTest, http

REDIRECT = "http://127.0.0.1:9/callback"
PFX = "https://www.googleapis.com/auth/googlehealth."
RHR = "daily-resting-heart-rate"
ZONE = ZoneInfo("Europe/Berlin")
INT64 = re.compile(r"-?\d+")
OFFSET = re.compile(r"-?\d+s")
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z")


def midnight_utc(d):
    """RFC 3339 (UTC) of the Berlin midnight starting day d."""
    return iso(datetime(d.year, d.month, d.day, tzinfo=ZONE).timestamp())


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def ts_of(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def sample_day(member):
    """The local (Berlin) date of a sample."""
    return datetime.fromtimestamp(ts_of(member["sampleTime"]["physicalTime"]), ZONE).date()


def wake_day(point):
    """The local (Berlin) date a sleep session ends on."""
    return datetime.fromtimestamp(ts_of(point["sleep"]["interval"]["endTime"]), ZONE).date()


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
            r = self.rollup(dtype, t - timedelta(days=14), t + timedelta(days=1))
            self.assertEqual(r.status, 400, dtype)
            # live: the reason and the cap (google-live.md, haelan)
            info = [d for d in r.json()["error"]["details"] if d.get("reason")]
            self.assertEqual(info[0]["reason"], "INVALID_ROLLUP_QUERY_DURATION", dtype)
            self.assertEqual(info[0]["metadata"]["maxDurationDays"], "14", dtype)
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
        self.assertEqual(days, sorted(days, reverse=True))      # newest day first (live)
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

    def test_household_accounts_under_one_client(self):
        """Several accounts behind one client: tokens belong to the account that
        consented (login_hint or consent_account), each /v4 answer is that
        account's (its seed, its flags), revocation and expiry per account."""
        self.fake.config(accounts={"alice": {"seed": 11}, "bob": {"seed": 12, "not_linked": True},
                                   "carol": {"seed": 13}})
        verifier, challenge = pkce()
        pairs = {}
        for name in ("alice", "bob", "carol"):
            extra = {"login_hint": name} if name != "carol" else {}
            if name == "carol":
                self.fake.config(consent_account="carol")
            code = self.code_from(self.authorize(challenge, **extra))
            r = self.token({"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                            "client_id": self.cid, "client_secret": self.secret,
                            "code_verifier": verifier})
            self.assertEqual(r.status, 200, r.text)
            pairs[name] = r.json()
            self.assertIn("refresh_token", pairs[name], name)   # each account's first consent
        owner = self.fake.get("/_test/tokens")["account"]
        for name, pair in pairs.items():
            self.assertEqual(owner[pair["access_token"]], name)
            self.assertEqual(owner[pair["refresh_token"]], name)
        day = self.today - timedelta(days=3)
        steps = {}
        for name in ("alice", "carol"):
            r = self.rollup("steps", day, day + timedelta(days=1), tok=pairs[name]["access_token"])
            self.assertEqual(r.status, 200, r.text)
            t = self.fake.get("/_test/truth", date=day.isoformat(), account=name)
            pts = r.json().get("rollupDataPoints", [])
            got = int(pts[0]["steps"]["countSum"]) if pts else None
            self.assertEqual(got, t.get("fitbit_steps_total"), name)
            steps[name] = t
        self.assertNotEqual(steps["alice"], steps["carol"])
        self.assertNotEqual(self.fake.get("/_test/truth", date=day.isoformat()), steps["alice"])
        r = self.rollup("steps", day, day + timedelta(days=1), tok=pairs["bob"]["access_token"])
        self.assertEqual((r.status, self.reason(r)), (400, ["ACCOUNT_NOT_LINKED"]))
        self.assertEqual(self.rollup("steps", day, day + timedelta(days=1)).status, 200)  # default
        self.assertEqual(self.fake.get("/_test/stats")["by_account"], {"alice": 1, "bob": 1, "carol": 1})
        ids = {n: a["health_user_id"] for n, a in self.fake.get("/_test/config")["accounts"].items()}
        self.assertEqual(len(set(ids.values())), 3)
        # refresh keeps the account; carol's access expires and her grant is revoked
        ref = {"grant_type": "refresh_token", "client_id": self.cid, "client_secret": self.secret}
        r = self.token(dict(ref, refresh_token=pairs["alice"]["refresh_token"]))
        self.assertEqual(self.fake.get("/_test/tokens")["account"][r.json()["access_token"]], "alice")
        self.fake.config(expire_access_token="carol", revoke_account="carol")
        r = self.rollup("steps", day, day + timedelta(days=1), tok=pairs["carol"]["access_token"])
        self.assertEqual(r.status, 401)
        self.assertEqual(self.token(dict(ref, refresh_token=pairs["carol"]["refresh_token"])).json()["error"],
                         "invalid_grant")
        self.assertEqual(self.token(dict(ref, refresh_token=pairs["bob"]["refresh_token"])).status, 200)
        self.assertEqual(self.rollup("steps", day, day + timedelta(days=1),
                                     tok=pairs["alice"]["access_token"]).status, 200)
        r = http("GET", self.fake.url + "/_test/truth?account=dave")
        self.assertEqual(r.status, 400)
        # per-user window; the project window is shared by all
        self.fake.config(project_rate_limit_per_minute=1, rate_used=0)
        r = self.rollup("steps", day, day + timedelta(days=1), tok=pairs["alice"]["access_token"])
        self.assertEqual((r.status, self.reason(r)), (429, ["RATE_LIMIT_EXCEEDED"]))
        self.fake.config(accounts=None)
        self.assertEqual(self.fake.get("/_test/config")["accounts"], {})


    def test_refresh_token_limit_is_per_account(self):
        """Google: 100 live refresh tokens per Google Account per client; the
        101st of an account ends that account's oldest, no other's."""
        self.fake.config(accounts={"alice": {"seed": 1}, "bob": {"seed": 2}})
        bob = self.fake.post("/_test/tokens", {"account": "bob"})["refresh_token"]
        alice = [self.fake.post("/_test/tokens", {"account": "alice"})["refresh_token"]
                 for _ in range(101)]
        ref = {"grant_type": "refresh_token", "client_id": self.cid, "client_secret": self.secret}
        self.assertEqual(self.token(dict(ref, refresh_token=alice[0])).json().get("error"),
                         "invalid_grant")
        self.assertEqual(self.token(dict(ref, refresh_token=alice[1])).status, 200)
        self.assertEqual(self.token(dict(ref, refresh_token=bob)).status, 200)


class FakeGoogleDataTest(IntegrationTest):
    """rollUp minute data, sleep sessions, daily records, scale samples,
    paired devices, late data (sync_lag_s) and the truth API agreeing with
    what is served. Frozen at 2026-11-28 15:00 Berlin, seed 7."""

    def setUp(self):
        super().setUp()
        self.fake = self.h.fake("fake_google.py", "--seed", "7", "--now", "2026-11-28T15:00:00",
                                "--membership-start", "2026-06-01")
        cfg = self.fake.get("/_test/config")
        self.today = date.fromisoformat(cfg["today"])
        self.now = cfg["now"]
        self.tok = self.fake.post("/_test/tokens")["access_token"]

    # -- helpers
    def auth(self, tok=None):
        return {"Authorization": "Bearer " + (tok or self.tok)}

    def minutes(self, dtype, start, end, window="60s", tok=None, **body):
        req = {"range": {"startTime": start, "endTime": end}, "windowSize": window, **body}
        req = {k: v for k, v in req.items() if v is not None}
        return http("POST", f"{self.fake.url}/v4/users/me/dataTypes/{dtype}/dataPoints:rollUp",
                    req, self.auth(tok))

    def all_minutes(self, dtype, start, end, window="60s", **body):
        """Every window over every page, and the page count."""
        pts, pages, tok = [], 0, None
        while True:
            r = self.minutes(dtype, start, end, window, pageToken=tok, **body)
            self.assertEqual(r.status, 200, r.text)
            pages += 1
            pts += r.json().get("rollupDataPoints", [])
            tok = r.json().get("nextPageToken")
            if not tok:
                return pts, pages

    def daily(self, dtype, start, end, tok=None):
        return http("POST", f"{self.fake.url}/v4/users/me/dataTypes/{dtype}/dataPoints:dailyRollUp",
                    {"range": {"start": {"date": gd(start)}, "end": {"date": gd(end)}},
                     "windowSizeDays": 1}, self.auth(tok))

    def list(self, dtype, tok=None, **q):
        return http("GET", f"{self.fake.url}/v4/users/me/dataTypes/{dtype}/dataPoints?"
                    + urllib.parse.urlencode(q), headers=self.auth(tok))

    def all_pages(self, dtype, **q):
        """Every data point of a listing, and the sizes of its pages."""
        pts, sizes = [], []
        while True:
            r = self.list(dtype, **q)
            self.assertEqual(r.status, 200, r.text)
            page = r.json().get("dataPoints", [])
            pts += page
            sizes.append(len(page))
            if not r.json().get("nextPageToken"):
                return pts, sizes
            q["pageToken"] = r.json()["nextPageToken"]

    def truth(self, d):
        return self.fake.get("/_test/truth", date=d.isoformat())

    def series(self, metric, a, b):
        return self.fake.get("/_test/series", metric=metric, start_ms=int(ts_of(a) * 1000),
                             end_ms=int(ts_of(b) * 1000))["points"]

    def reason(self, r):
        return [d.get("reason") for d in r.json()["error"].get("details", []) if "reason" in d]

    # -- tests
    def test_minute_heart_rate_rollup_paging_and_truth(self):
        y = self.today - timedelta(days=1)
        a, b = midnight_utc(y), midnight_utc(self.today)
        r = self.minutes("heart-rate", a, b, pageSize=10000)
        self.assertEqual(r.status, 200, r.text)
        self.assertNotIn("nextPageToken", r.json())
        pts = r.json()["rollupDataPoints"]
        starts = [ts_of(p["startTime"]) for p in pts]
        self.assertEqual(starts, sorted(starts))                          # ascending
        self.assertTrue(all(STAMP.fullmatch(p["startTime"]) for p in pts))
        for p in pts:
            self.assertEqual(ts_of(p["endTime"]) - ts_of(p["startTime"]), 60)
            hr = p["heartRate"]
            self.assertLessEqual(hr["beatsPerMinuteMin"], hr["beatsPerMinuteAvg"])
            self.assertLessEqual(hr["beatsPerMinuteAvg"], hr["beatsPerMinuteMax"])
        self.assertTrue(0.02 <= 1 - len(pts) / 1440 <= 0.055, len(pts))   # 2-5 % minutes missing
        # paging: 500 windows a page, the same windows
        paged, pages = self.all_minutes("heart-rate", a, b, pageSize=500)
        self.assertEqual((paged, pages), (pts, -(-len(pts) // 500)))
        r = self.minutes("heart-rate", a, b, pageSize=500)
        r = self.minutes("heart-rate", a, b, "120s", pageSize=500, pageToken=r.json()["nextPageToken"])
        self.assertEqual(r.status, 400)                                   # token bound to the request
        self.assertEqual(self.minutes("heart-rate", a, b, pageToken="bogus").status, 400)
        # the truth series is the minute average as served
        self.assertEqual(self.series("fitbit_heart_rate_bpm", a, b),
                         [[int(ts_of(p["startTime"])) * 1000, p["heartRate"]["beatsPerMinuteAvg"]]
                          for p in pts])
        # the day's rollup agrees with its minutes
        day = self.daily("heart-rate", y, self.today).json()["rollupDataPoints"][0]["heartRate"]
        self.assertEqual(day["beatsPerMinuteMin"], min(p["heartRate"]["beatsPerMinuteMin"] for p in pts))
        self.assertEqual(day["beatsPerMinuteMax"], max(p["heartRate"]["beatsPerMinuteMax"] for p in pts))
        mean = sum(p["heartRate"]["beatsPerMinuteAvg"] for p in pts) / len(pts)
        self.assertAlmostEqual(day["beatsPerMinuteAvg"], mean, delta=0.06)
        hours = self.minutes("heart-rate", a, b, "3600s").json()["rollupDataPoints"]
        self.assertEqual(len(hours), 24)
        first = [p for p in pts if ts_of(p["startTime"]) < ts_of(a) + 3600]
        self.assertEqual(hours[0]["heartRate"]["beatsPerMinuteMax"],
                         max(p["heartRate"]["beatsPerMinuteMax"] for p in first))
        # today: complete minutes up to the data clock's now, none after it
        t = self.minutes("heart-rate", b, midnight_utc(self.today + timedelta(days=1)))
        last = t.json()["rollupDataPoints"][-1]
        self.assertLessEqual(ts_of(last["endTime"]), self.now)
        self.assertGreater(ts_of(last["endTime"]), self.now - 900)
        # caps (physical days) and validation: 14 days for heart-rate, 90 for steps
        end = midnight_utc(self.today + timedelta(days=1))
        t14, t90 = iso(ts_of(end) - 14 * 86400), iso(ts_of(end) - 90 * 86400)
        self.assertEqual(self.minutes("heart-rate", t14, end, pageSize=1).status, 200)
        r = self.minutes("heart-rate", iso(ts_of(t14) - 60), end)
        self.assertEqual((r.status, r.json()["error"]["status"]), (400, "INVALID_ARGUMENT"))
        self.assertEqual(self.minutes("steps", t90, end, pageSize=1).status, 200)
        self.assertEqual(self.minutes("steps", iso(ts_of(t90) - 60), end).status, 400)
        for bad in (None, "0.5s", "60", "7s"):                  # missing, < 1s, no unit, 86400 % 7
            self.assertEqual(self.minutes("heart-rate", a, b, bad).status, 400, bad)
        self.assertEqual(self.minutes("heart-rate", b, a).status, 400)
        self.assertEqual(self.minutes("heart-rate", "2026-11-27", b).status, 400)
        # an unworn day has no windows, unless empty windows are kept (unproven)
        unworn = next(d for d in (date(2026, 6, 1) + timedelta(days=i) for i in range(170))
                      if not self.truth(d)["has_data"])
        ua, ub = midnight_utc(unworn), midnight_utc(unworn + timedelta(days=1))
        self.assertEqual(self.minutes("heart-rate", ua, ub).json(), {})
        self.fake.config(rollup_empty_windows="keep")
        kept = self.minutes("heart-rate", ua, ub, "3600s").json()["rollupDataPoints"]
        self.assertEqual(len(kept), 24)
        self.assertTrue(all(set(p) == {"startTime", "endTime"} for p in kept))

    def test_minute_steps_add_up_to_the_day(self):
        a, b = midnight_utc(self.today), midnight_utc(self.today + timedelta(days=1))
        pts, pages = self.all_minutes("steps", a, b, pageSize=10000)
        self.assertEqual(pages, 1)
        # every minute begun before now is there (worn: true zeros as "steps": {})
        self.assertEqual(len(pts), 15 * 60)
        counts = [int(p["steps"].get("countSum", "0")) for p in pts]
        self.assertTrue(all(isinstance(p["steps"].get("countSum", ""), str) for p in pts))
        self.assertIn({}, [p["steps"] for p in pts])                       # asleep: no steps
        self.assertNotIn({"countSum": "0"}, [p["steps"] for p in pts])     # proto3: zero omitted
        truth = self.truth(self.today)
        day = self.daily("steps", self.today, self.today + timedelta(days=1)).json()
        self.assertEqual(sum(counts), truth["fitbit_steps_total"])
        self.assertEqual(sum(counts), int(day["rollupDataPoints"][0]["steps"]["countSum"]))
        self.assertEqual(self.series("fitbit_intraday_steps", a, b),
                         [[int(ts_of(p["startTime"])) * 1000, c] for p, c in zip(pts, counts)])
        # a complete day: the minutes add up to the day's total
        y = self.today - timedelta(days=1)
        pts, _ = self.all_minutes("steps", midnight_utc(y), a, "300s")
        self.assertEqual(len(pts), 288)
        self.assertEqual(sum(int(p["steps"].get("countSum", "0")) for p in pts),
                         self.truth(y)["fitbit_steps_total"])

    def test_sleep_sessions_paging_filters_and_truth(self):
        lo, hi = self.today - timedelta(days=179), self.today + timedelta(days=1)
        flt = (f'sleep.interval.end_time >= "{midnight_utc(lo)}" AND '
               f'sleep.interval.end_time < "{midnight_utc(hi)}"')
        pts, sizes = self.all_pages("sleep", filter=flt, pageSize=100)
        self.assertEqual(sizes[0], 0, "the first page is empty yet carries a token")
        self.assertEqual(max(sizes), 25, "pageSize is capped at 25")
        self.assertEqual(sum(sizes), len(pts))
        starts = [ts_of(p["sleep"]["interval"]["startTime"]) for p in pts]
        self.assertEqual(starts, sorted(starts, reverse=True))              # newest first
        self.assertEqual(self.all_pages("sleep", filter=flt)[1][1], 25)     # default 25
        by_day = {}
        for p in pts:
            s = p["sleep"]
            self.assertTrue(p["name"].startswith("users/") and "/dataTypes/sleep/dataPoints/" in p["name"])
            iv = s["interval"]
            self.assertTrue(OFFSET.fullmatch(iv["startUtcOffset"]) and OFFSET.fullmatch(iv["endUtcOffset"]))
            self.assertIn(s["type"], ("STAGES", "CLASSIC"))
            allowed = {"STAGES": {"AWAKE", "LIGHT", "DEEP", "REM"},
                       "CLASSIC": {"AWAKE", "ASLEEP", "RESTLESS"}}[s["type"]]
            st = s["stages"]
            self.assertEqual((st[0]["startTime"], st[-1]["endTime"]), (iv["startTime"], iv["endTime"]))
            for x, nx in zip(st, st[1:]):
                self.assertEqual(x["endTime"], nx["startTime"])             # contiguous
            self.assertTrue({x["type"] for x in st} <= allowed)
            summ = s["summary"]
            for k in ("minutesInSleepPeriod", "minutesAfterWakeUp", "minutesToFallAsleep",
                      "minutesAsleep", "minutesAwake"):
                self.assertTrue(isinstance(summ[k], str) and INT64.fullmatch(summ[k]), k)
            span = (ts_of(iv["endTime"]) - ts_of(iv["startTime"])) / 60
            self.assertEqual(int(summ["minutesInSleepPeriod"]), span)
            mins = {}
            for x in st:
                mins[x["type"]] = mins.get(x["type"], 0) + (ts_of(x["endTime"]) - ts_of(x["startTime"])) / 60
            asleep = ("LIGHT", "DEEP", "REM") if s["type"] == "STAGES" else ("ASLEEP",)
            self.assertEqual(int(summ["minutesAsleep"]), sum(mins.get(k, 0) for k in asleep))
            self.assertEqual(int(summ["minutesAwake"]), mins.get("AWAKE", 0))
            self.assertEqual({e["type"]: int(e["minutes"]) for e in summ["stagesSummary"]}, mins)
            self.assertNotIn("nap", s["metadata"])                       # live: no metadata.nap
            if not s["metadata"]["mainSleep"]:
                self.assertEqual((s["type"], s["metadata"]["stagesStatus"]), ("CLASSIC", "REJECTED_NAP"))
                self.assertLess(span, 180)
            by_day.setdefault(wake_day(p), []).append(p)
        mains = {d: max((p for p in ps if p["sleep"]["metadata"]["mainSleep"]),
                        key=lambda p: int(p["sleep"]["summary"]["minutesInSleepPeriod"]), default=None)
                 for d, ps in by_day.items()}
        days = [lo + timedelta(days=i) for i in range(180)]
        nights = sum(1 for d in days if mains.get(d))
        self.assertTrue(150 <= nights < 180, nights)                        # some nights: none
        naps = sum(1 for p in pts if not p["sleep"]["metadata"]["mainSleep"])
        self.assertTrue(5 <= naps <= 45, naps)
        self.assertIn("CLASSIC", {m["sleep"]["type"] for m in mains.values() if m})
        # the truth reports the main sleep of each wake day as served
        for d in days[-40:]:
            t, m = self.truth(d), mains.get(d)
            if m is None:
                self.assertNotIn("fitbit_sleep_duration_seconds", t, d)
                continue
            s = m["sleep"]
            labels = {"STAGES": {"DEEP": "deep", "LIGHT": "light", "REM": "rem", "AWAKE": "wake"},
                      "CLASSIC": {"ASLEEP": "asleep", "RESTLESS": "restless", "AWAKE": "awake"}}[s["type"]]
            self.assertEqual(t["fitbit_sleep_duration_seconds"], int(s["summary"]["minutesAsleep"]) * 60)
            self.assertEqual(t["fitbit_sleep_stage_seconds"],
                             {labels[e["type"]]: int(e["minutes"]) * 60 for e in s["summary"]["stagesSummary"]})
            self.assertAlmostEqual(t["fitbit_sleep_efficiency_ratio"],
                                   int(s["summary"]["minutesAsleep"]) / int(s["summary"]["minutesInSleepPeriod"]))
            if s["type"] == "STAGES":
                levels = {"DEEP": 0, "LIGHT": 1, "REM": 2, "AWAKE": 3}
                self.assertEqual(self.series("fitbit_sleep_stage_level", s["interval"]["startTime"],
                                             s["interval"]["endTime"]),
                                 [[int(ts_of(x["startTime"])) * 1000, levels[x["type"]]] for x in s["stages"]])
        # civil filter, OR, wrong member, bad syntax
        civ = ('sleep.interval.civil_end_time >= "2026-11-01" AND '
               'sleep.interval.civil_end_time < "2026-11-15"')
        got = self.all_pages("sleep", filter=civ)[0]
        self.assertEqual(got, [p for p in pts if date(2026, 11, 1) <= wake_day(p) < date(2026, 11, 15)])
        either = (f'(sleep.interval.end_time < "{midnight_utc(date(2026, 10, 1))}" AND '
                  f'sleep.interval.end_time >= "{midnight_utc(date(2026, 9, 20))}") OR '
                  'sleep.interval.civil_end_time >= "2026-11-20"')
        got = self.all_pages("sleep", filter=either)[0]
        self.assertEqual(got, [p for p in pts if wake_day(p) >= date(2026, 11, 20)
                               or date(2026, 9, 20) <= wake_day(p) < date(2026, 10, 1)])
        r = self.list("sleep", filter=flt.replace("end_time", "start_time"))
        self.assertEqual((r.status, self.reason(r)), (400, ["INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"]))
        r = self.list("sleep", filter='sleep.interval.end_time = "2026-11-01T00:00:00Z"')
        self.assertEqual(self.reason(r), ["INVALID_DATA_POINT_FILTER_SYNTAX"])
        r = self.list("sleep", filter='sleep.interval.end_time >= "2026-11-01"')
        self.assertEqual(self.reason(r), ["INVALID_DATA_POINT_FILTER"])

    def test_daily_records_sparse_wake_day_and_truth(self):
        self.fake.config(empty_page="off")
        start = self.today - timedelta(days=59)
        got = {}
        for dtype, member in (("daily-oxygen-saturation", "dailyOxygenSaturation"),
                              ("daily-heart-rate-variability", "dailyHeartRateVariability"),
                              ("daily-respiratory-rate", "dailyRespiratoryRate"),
                              ("daily-sleep-temperature-derivations", "dailySleepTemperatureDerivations"),
                              ("daily-vo2-max", "dailyVo2Max")):
            pts, _ = self.all_pages(dtype, filter=f'{dtype.replace("-", "_")}.date >= "{start}"')
            recs = {date(**p[member]["date"]): p[member] for p in pts}
            self.assertEqual(len(recs), len(pts))
            self.assertTrue(40 <= len(recs) < 60, f"{dtype}: {len(recs)} of 60 nights")  # sparse
            got[dtype] = recs
        for r in got["daily-heart-rate-variability"].values():
            self.assertIsInstance(r["averageHeartRateVariabilityMilliseconds"], (float, int))
            self.assertTrue(INT64.fullmatch(r["nonRemHeartRateBeatsPerMinute"]))   # int64 string
        for r in got["daily-vo2-max"].values():
            self.assertIn(r["cardioFitnessLevel"], ("POOR", "FAIR", "AVERAGE", "GOOD", "VERY_GOOD", "EXCELLENT"))
            self.assertIn(r.get("estimated", False), (True, False))
            self.assertTrue(20 < r["vo2Max"] < 70)
        for r in got["daily-oxygen-saturation"].values():
            self.assertLessEqual(r["lowerBoundPercentage"], r["averagePercentage"])
            self.assertLessEqual(r["averagePercentage"], r["upperBoundPercentage"])
            self.assertLessEqual(r["upperBoundPercentage"], 100)
        for r in got["daily-sleep-temperature-derivations"].values():
            self.assertEqual(set(r), {"date", "nightlyTemperatureCelsius", "baselineTemperatureCelsius",
                                      "relativeNightlyStddev30dCelsius"})
        # the truth equals the served records, day by day
        for i in range(60):
            d = start + timedelta(days=i)
            t = self.truth(d)
            o = got["daily-oxygen-saturation"].get(d)
            self.assertEqual(t.get("fitbit_spo2_percent"), o and {
                "avg": o["averagePercentage"], "min": o["lowerBoundPercentage"],
                "max": o["upperBoundPercentage"]})
            h = got["daily-heart-rate-variability"].get(d)
            want = None
            if h:       # an average of 0 is no measurement
                want = {}
                if h["averageHeartRateVariabilityMilliseconds"] > 0:
                    want["daily"] = h["averageHeartRateVariabilityMilliseconds"]
                if "deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds" in h:
                    want["deep"] = h["deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds"]
                want = want or None
            self.assertEqual(t.get("fitbit_hrv_rmssd_ms"), want)
            b = got["daily-respiratory-rate"].get(d)
            self.assertEqual(t.get("fitbit_breathing_rate_per_minute"), b and b["breathsPerMinute"])
            k = got["daily-sleep-temperature-derivations"].get(d)
            self.assertEqual(t.get("fitbit_skin_temperature_deviation_celsius"),
                             k and k["nightlyTemperatureCelsius"] - k["baselineTemperatureCelsius"])
            v = got["daily-vo2-max"].get(d)
            self.assertEqual(t.get("fitbit_vo2max"), v and v["vo2Max"])
            if any(d in recs for recs in got.values()):
                self.assertIn("fitbit_sleep_duration_seconds", t, d)        # from the night's main sleep
        # today's wake-day records appear only after the wake time
        self.assertIn(self.today, got["daily-vo2-max"])
        self.fake.config(now="2026-11-28T02:59:00")
        for dtype in got:
            pts, _ = self.all_pages(dtype, filter=f'{dtype.replace("-", "_")}.date >= "{self.today}"')
            self.assertEqual(pts, [], dtype)
        early = self.truth(self.today)
        self.assertFalse({"fitbit_sleep_duration_seconds", "fitbit_vo2max", "fitbit_spo2_percent"} & set(early))
        self.assertIn("fitbit_resting_heart_rate_bpm", early)                # RHR: all day, as before
        # asleep now: only the open session, first, without end or summary
        pts = self.all_pages("sleep", filter=f'sleep.interval.civil_end_time >= "{self.today}"')[0]
        self.assertEqual(len(pts), 1)
        self.assertEqual(set(pts[0]["sleep"]["interval"]), {"startTime", "startUtcOffset"})
        self.assertNotIn("summary", pts[0]["sleep"])

    def test_weight_and_body_fat_samples(self):
        self.fake.config(empty_page="off")
        lo = self.today - timedelta(days=159)
        flt = f'weight.sample_time.physical_time >= "{midnight_utc(lo)}"'
        pts, _ = self.all_pages("weight", filter=flt)
        times = [ts_of(p["weight"]["sampleTime"]["physicalTime"]) for p in pts]
        self.assertEqual(times, sorted(times, reverse=True))                # newest first
        days = {}
        for p in pts:
            st = p["weight"]["sampleTime"]
            self.assertTrue(STAMP.fullmatch(st["physicalTime"]) and OFFSET.fullmatch(st["utcOffset"]))
            local = datetime.fromtimestamp(ts_of(st["physicalTime"]), ZONE)
            self.assertEqual(st["civilTime"]["date"], gd(local.date()))
            self.assertEqual(st["civilTime"]["time"].get("hours", 0), local.hour)
            self.assertIsInstance(p["weight"]["weightGrams"], float)
            self.assertTrue(40000 < p["weight"]["weightGrams"] < 120000)
            days.setdefault(local.date(), []).append(p)
        self.assertTrue(25 <= len(days) <= 65, len(days))                   # about 1 day in 4
        self.assertTrue(any(len(v) == 2 for v in days.values()), "sometimes twice a day")
        fat, _ = self.all_pages("body-fat", filter=f'body_fat.sample_time.civil_time >= "{lo}"')
        self.assertTrue(0 < len(fat) <= len(pts))
        self.assertTrue(all(10 < p["bodyFat"]["percentage"] < 40 for p in fat))
        civ, _ = self.all_pages("weight", filter=f'weight.sample_time.civil_time >= "{lo}T00:00:00"')
        self.assertEqual(civ, pts)
        for d in (lo + timedelta(days=i) for i in range(160)):
            t = self.truth(d)
            ws = sorted(days.get(d, []), key=lambda p: p["weight"]["sampleTime"]["physicalTime"])
            self.assertEqual(t.get("fitbit_weight_kg"), ws[-1]["weight"]["weightGrams"] / 1000 if ws else None)
            fs = sorted((p for p in fat if sample_day(p["bodyFat"]) == d),
                        key=lambda p: p["bodyFat"]["sampleTime"]["physicalTime"])
            self.assertEqual(t.get("fitbit_body_fat_percent"), fs[-1]["bodyFat"]["percentage"] if fs else None)
        r = self.list("weight", filter=flt + ' OR weight.sample_time.physical_time < "2026-01-01T00:00:00Z"')
        self.assertEqual(self.reason(r), ["INVALID_DATA_POINT_FILTER_SYNTAX"])
        r = self.list("weight", filter=f'weight.date >= "{lo}"')
        self.assertEqual(self.reason(r), ["INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"])

    def test_scopes_devices_and_rate_limit(self):
        act = self.fake.post("/_test/tokens", {"scope": PFX + "activity_and_fitness.readonly"})["access_token"]
        a, b = midnight_utc(self.today), midnight_utc(self.today + timedelta(days=1))
        for r in (self.minutes("heart-rate", a, b, tok=act), self.list("sleep", tok=act),
                  self.list("weight", tok=act), self.list("body-fat", tok=act),
                  self.list("daily-sleep-temperature-derivations", tok=act),
                  self.list("daily-oxygen-saturation", tok=act),
                  http("GET", self.fake.url + "/v4/users/me/pairedDevices", headers=self.auth(act))):
            self.assertEqual((r.status, self.reason(r)), (403, ["ACCESS_TOKEN_SCOPE_INSUFFICIENT"]))
        for r in (self.minutes("steps", a, b, tok=act), self.list("daily-vo2-max", tok=act),
                  self.daily("active-zone-minutes", self.today, self.today + timedelta(days=1), tok=act)):
            self.assertEqual(r.status, 200, r.text)
        sl = self.fake.post("/_test/tokens", {"scope": PFX + "sleep.readonly"})["access_token"]
        self.assertEqual(self.list("sleep", tok=sl).status, 200)
        # devices: a tracker and a scale; dup_devices adds a second tracker
        r = http("GET", self.fake.url + "/v4/users/me/pairedDevices", headers=self.auth())
        devs = r.json()["pairedDevices"]
        self.assertEqual([(d["deviceType"], d["deviceVersion"]) for d in devs],
                         [("TRACKER", "Charge 6"), ("SCALE", "Aria Air")])
        self.assertEqual(ts_of(devs[0]["lastSyncTime"]), self.now)
        self.assertEqual(self.fake.get("/_test/devices"),
                         [{"device": d["deviceVersion"], "type": d["deviceType"].lower(),
                           "battery": d["batteryLevel"], "last_sync_s": int(ts_of(d["lastSyncTime"]))}
                          for d in devs])
        self.fake.config(dup_devices=True)
        seen, q = [], {"pageSize": 1}
        while True:
            r = http("GET", self.fake.url + "/v4/users/me/pairedDevices?" + urllib.parse.urlencode(q),
                     headers=self.auth())
            seen += r.json()["pairedDevices"]
            if "nextPageToken" not in r.json():
                break
            q["pageToken"] = r.json()["nextPageToken"]
        self.assertEqual(len(seen), 3)
        self.assertEqual([d["device"] for d in self.fake.get("/_test/devices")],
                         ["Charge 6", "Aria Air", "Charge 6 " + seen[2]["name"][-4:]])
        # every new route counts against the per-minute limit
        stats = self.fake.get("/_test/stats")
        for ep in ("POST heart-rate/dataPoints:rollUp", "GET sleep/dataPoints", "GET weight/dataPoints",
                   "GET pairedDevices"):
            self.assertIn(ep, stats["by_endpoint"])
        self.fake.config(rate_used=299)
        self.assertEqual(self.list("sleep").status, 200)
        for r in (self.minutes("steps", a, b), self.list("sleep"), self.list("weight"),
                  http("GET", self.fake.url + "/v4/users/me/pairedDevices", headers=self.auth())):
            self.assertEqual((r.status, r.json()["error"]["status"]), (429, "RESOURCE_EXHAUSTED"))

    def test_sync_lag_and_active_zone_minutes(self):
        y, t = self.today - timedelta(days=1), self.today
        full = self.truth(y)["fitbit_steps_total"]
        # the tracker last synced 5 hours ago: today is served as of 10:00
        self.fake.config(sync_lag_s=5 * 3600)
        sync = self.now - 5 * 3600
        self.assertEqual(self.fake.get("/_test/config")["last_sync"], sync)
        r = http("GET", self.fake.url + "/v4/users/me/pairedDevices", headers=self.auth())
        self.assertEqual(ts_of(r.json()["pairedDevices"][0]["lastSyncTime"]), sync)
        a, b = midnight_utc(t), midnight_utc(t + timedelta(days=1))
        steps, _ = self.all_minutes("steps", a, b, pageSize=10000)
        self.assertEqual(len(steps), 10 * 60)
        total = sum(int(p["steps"].get("countSum", "0")) for p in steps)
        truth = self.truth(t)
        self.assertEqual(total, truth["fitbit_steps_total"])
        day = self.daily("steps", t, t + timedelta(days=1)).json()["rollupDataPoints"][0]
        self.assertEqual(int(day["steps"].get("countSum", "0")), total)
        hr = self.minutes("heart-rate", a, b).json()["rollupDataPoints"]
        self.assertLessEqual(ts_of(hr[-1]["endTime"]), sync)
        # last sync before today's wake time: no night, no wake-day records yet
        self.fake.config(sync_lag_s=15 * 3600 - 60)                   # 00:01 today
        truth = self.truth(t)
        self.assertTrue(truth["has_data"])
        self.assertNotIn("fitbit_sleep_duration_seconds", truth)
        self.assertNotIn("fitbit_vo2max", truth)
        # last sync yesterday 23:00: nothing of today, yesterday partial
        self.fake.config(sync_lag_s=16 * 3600)
        self.assertFalse(self.truth(t)["has_data"])
        self.assertEqual(self.daily("steps", t, t + timedelta(days=1)).json(), {})
        self.assertEqual(self.minutes("steps", a, b).json(), {})
        part = self.truth(y)["fitbit_steps_total"]
        self.assertLess(part, full)
        pts = self.daily("steps", y, t).json()["rollupDataPoints"]
        self.assertEqual(int(pts[0]["steps"]["countSum"]), part)
        self.fake.config(sync_lag_s=0)
        self.assertEqual(self.truth(y)["fitbit_steps_total"], full)
        # AZM: the truth is the dailyRollUp's members (zero omitted = 0) and their sum
        pts = self.daily("active-zone-minutes", t - timedelta(days=13), t + timedelta(days=1)).json()
        for p in pts["rollupDataPoints"]:
            v = p["activeZoneMinutes"]
            self.assertTrue(all(isinstance(x, str) for x in v.values()))
            want = {"fat_burn": int(v.get("sumInFatBurnHeartZone", "0")),
                    "cardio": int(v.get("sumInCardioHeartZone", "0")),
                    "peak": int(v.get("sumInPeakHeartZone", "0"))}
            want["total"] = sum(want.values())
            self.assertEqual(self.truth(date(**p["civilStartTime"]["date"]))["fitbit_active_zone_minutes"],
                             want)

    # -- what google-live.md reports of the live API, as the fake serves it
    def level_days(self, pts):
        """Minutes per level and local day of listed intervals, split at midnight."""
        out = {}
        for p in pts:
            iv = p["activityLevel"]["interval"]
            a, b = ts_of(iv["startTime"]), ts_of(iv["endTime"])
            while a < b:
                d = datetime.fromtimestamp(a, ZONE).date()
                nxt = datetime(d.year, d.month, d.day, tzinfo=ZONE) + timedelta(days=1)
                end = min(b, nxt.timestamp())
                lab = {"SEDENTARY": "sedentary", "LIGHTLY_ACTIVE": "lightly_active",
                       "MODERATELY_ACTIVE": "fairly_active",
                       "VERY_ACTIVE": "very_active"}[p["activityLevel"]["activityLevelType"]]
                day = out.setdefault(d, dict.fromkeys(("sedentary", "lightly_active",
                                                       "fairly_active", "very_active"), 0))
                day[lab] += (end - a) / 60
                a = end
        return out

    def test_list_only_types_refuse_roll_ups(self):
        t = self.today
        for dtype in ("activity-level", "daily-resting-heart-rate", "daily-heart-rate-variability",
                      "daily-oxygen-saturation", "daily-respiratory-rate",
                      "daily-sleep-temperature-derivations", "daily-vo2-max", "sleep"):
            for r in (self.daily(dtype, t - timedelta(days=3), t),
                      self.minutes(dtype, midnight_utc(t - timedelta(days=1)), midnight_utc(t))):
                self.assertEqual(r.status, 400, dtype)
                info = [d for d in r.json()["error"]["details"] if "reason" in d][0]
                self.assertEqual(info["reason"], "UNSUPPORTED_DATA_TYPE_ACTION", dtype)
                self.assertIn("list", info["metadata"]["allowed_actions"])
        # roll-ups on the other types still answer
        self.assertEqual(self.daily("steps", t - timedelta(days=3), t).status, 200)

    def test_activity_level_list_and_truth_split_at_midnight(self):
        lo = self.today - timedelta(days=60)
        flt = (f'activity_level.interval.civil_start_time >= "{lo - timedelta(days=1)}" AND '
               f'activity_level.interval.civil_start_time < "{self.today + timedelta(days=1)}"')
        pts, sizes = self.all_pages("activity-level", filter=flt, pageSize=10000)
        self.assertEqual(sizes[0], 0)
        starts = [ts_of(p["activityLevel"]["interval"]["startTime"]) for p in pts]
        self.assertEqual(starts, sorted(starts, reverse=True))
        crossing = [p for p in pts
                    if datetime.fromtimestamp(ts_of(p["activityLevel"]["interval"]["startTime"]), ZONE).date()
                    != datetime.fromtimestamp(ts_of(p["activityLevel"]["interval"]["endTime"]) - 1,
                                              ZONE).date()]
        self.assertTrue(crossing, "some intervals cross local midnight")
        days = self.level_days(pts)
        for i in range(61):
            d = lo + timedelta(days=i)
            self.assertEqual(self.truth(d).get("fitbit_active_minutes"), days.get(d), d)
        # whatever pageSize says, a page holds at most 5000 points
        self.fake.config(empty_page="off", membership_start="2025-01-01")
        flt = (f'activity_level.interval.start_time >= "{midnight_utc(date(2025, 1, 1))}"')
        r = self.list("activity-level", filter=flt, pageSize=10000)
        self.assertEqual(len(r.json()["dataPoints"]), 5000)
        self.assertIn("nextPageToken", r.json())
        r = self.list("activity-level", filter=flt.replace("start_time", "end_time"))
        self.assertEqual(self.reason(r), ["INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER"])

    def test_open_sleep_session_devices_without_sync_and_wide_sleep_5xx(self):
        self.fake.config(now="2026-11-28T01:30:00")
        flt = (f'sleep.interval.civil_end_time >= "{self.today - timedelta(days=3)}" AND '
               f'sleep.interval.civil_end_time < "{self.today + timedelta(days=1)}"')
        pts = self.all_pages("sleep", filter=flt)[0]
        self.assertNotIn("endTime", pts[0]["sleep"]["interval"])
        self.assertNotIn("summary", pts[0]["sleep"])
        self.assertTrue(all("endTime" in p["sleep"]["interval"] for p in pts[1:]))
        self.assertGreaterEqual(len(pts), 3)
        self.assertNotIn("fitbit_sleep_duration_seconds", self.truth(self.today))
        # a filter ending before now: no open session
        old = f'sleep.interval.civil_end_time < "{self.today - timedelta(days=1)}"'
        self.assertTrue(all("endTime" in p["sleep"]["interval"] for p in self.all_pages("sleep", filter=old)[0]))
        # pairedDevices without lastSyncTime
        self.fake.config(no_last_sync=True)
        r = http("GET", self.fake.url + "/v4/users/me/pairedDevices", headers=self.auth())
        self.assertTrue(all("lastSyncTime" not in d and "batteryLevel" in d for d in r.json()["pairedDevices"]))
        self.assertTrue(all(d["last_sync_s"] is None for d in self.fake.get("/_test/devices")))
        # sleep ranges wider than 7 days answer 500
        self.fake.config(sleep_5xx_days=7)
        self.assertEqual(self.list("sleep", filter=flt).status, 200)
        wide = (f'sleep.interval.civil_end_time >= "{self.today - timedelta(days=30)}" AND '
                f'sleep.interval.civil_end_time < "{self.today + timedelta(days=1)}"')
        self.assertEqual(self.list("sleep", filter=wide).status, 500)

    def test_skin_temperature_nan_baseline_and_explicit_zero_azm(self):
        self.fake.config(empty_page="off")
        first = date(2026, 6, 1)
        pts, _ = self.all_pages("daily-sleep-temperature-derivations",
                                filter=f'daily_sleep_temperature_derivations.date < "{first + timedelta(days=30)}"')
        nan = [p for p in pts if p["dailySleepTemperatureDerivations"]["baselineTemperatureCelsius"] == "NaN"]
        self.assertTrue(nan)
        for p in nan:
            d = date(**p["dailySleepTemperatureDerivations"]["date"])
            self.assertLess(d, first + timedelta(days=14))
            self.assertNotIn("fitbit_skin_temperature_deviation_celsius", self.truth(d))
        pts = self.daily("active-zone-minutes", self.today - timedelta(days=60),
                         self.today - timedelta(days=30)).json()["rollupDataPoints"]
        self.assertTrue(any(p["activeZoneMinutes"]["sumInPeakHeartZone"] == "0" for p in pts))
