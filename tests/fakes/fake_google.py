#!/usr/bin/env python3
"""A local fake of the Google Health API v4 and Google OAuth 2.0, for tests.

Built from shared/research/google-health.md (sections 3, 4, 5, 7), never from
what SyncBit sends. Standard library only; binds 127.0.0.1. Mirrors
tests/fakes/fake_fitbit.py: the same CLI style and /_test/ control API.

    python3 tests/fakes/fake_google.py --port 0 --port-file PATH [options]

What it models (documented or reported by a cited source):
- GET /o/oauth2/v2/auth: client_id, redirect_uri, response_type=code, scope
  (space separated, googlehealth.* read scopes; unknown -> 400 invalid_scope),
  state, code_challenge + code_challenge_method (S256 or plain), access_type,
  prompt; auto-approves with a 302 to redirect_uri?code&state&scope (or
  ?error=access_denied&state when the "deny" control is on).
- POST /token (form): client_id + client_secret in the body (else 401
  invalid_client); authorization_code grant (single use, 10 minutes, bound to
  redirect_uri and the PKCE challenge; failures 400 invalid_grant "Bad
  Request"); refresh_token grant (400 invalid_grant "Token has been expired or
  revoked." once revoked). A refresh_token is issued on a code exchange only
  when access_type=offline; a refresh answers without one (no rotation).
  Token answers: access_token, expires_in, scope, token_type "Bearer".
- Bearer auth: 401 UNAUTHENTICATED google.rpc.Status with ErrorInfo reason
  CREDENTIALS_MISSING (no header) or ACCESS_TOKEN_EXPIRED; 403
  PERMISSION_DENIED ACCESS_TOKEN_SCOPE_INSUFFICIENT for a scope not granted.
- GET /v4/users/me/{settings,profile,identity,pairedDevices}.
- POST /v4/users/me/dataTypes/{type}/dataPoints:dailyRollUp: civil date range
  (end exclusive, start < end), windowSizeDays required (400
  INVALID_ARGUMENT when missing), 90-day cap (14 days for heart-rate,
  total-calories, active-minutes, calories-in-heart-rate-zone), invalid JSON
  such as leading zeros -> 400 "Invalid JSON payload received. ...";
  rollupDataPoints only for windows with data (none before the membership
  start, after today, or on an unworn day); int64 values as JSON strings;
  proto3 zero omission ("floors":{} on a worn day without floors).
- GET /v4/users/me/dataTypes/{daily-type}/dataPoints?filter&pageSize&pageToken
  for daily-resting-heart-rate, daily-heart-rate-variability,
  daily-oxygen-saturation, daily-respiratory-rate: filter on {t}.date with
  >=, < and AND (wrong member -> 400 INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER,
  bad syntax -> 400 INVALID_DATA_POINT_FILTER_SYNTAX), newest first, pageSize
  default 1440, max 10000 (larger values silently capped), opaque
  nextPageToken, a page may be empty yet carry a nextPageToken. Unknown type
  -> 400 INVALID_PARENT_DATA_TYPE_COLLECTION; total-calories list rejected.
- 300 requests per minute per user -> 429 RESOURCE_EXHAUSTED (reason
  RATE_LIMIT_EXCEEDED, QuotaFailure); account not linked -> 400
  FAILED_PRECONDITION ACCOUNT_NOT_LINKED; the legacy-account 403 "Could not
  mint UberMint from GaiaMint."; 403 SERVICE_DISABLED; 429/503/504 faults.

What it models WITHOUT proof (our guesses, not in any source we read):
- Retry-After: absent on 429/503/504 by default; a fault may carry one
  ("retry_after" seconds), and "retry_after_on_429" adds one to rate-limit
  answers;
- refresh-token rotation is off by default (--rotate-refresh turns it on: the
  old refresh token then stops working); older access tokens stay valid
  after a refresh; several refresh tokens (one per consent) live at once; a
  re-consent without prompt=consent does not issue a new refresh_token;
- where the empty page sits: by default the FIRST page of every listing is
  empty and carries a nextPageToken ("empty_page": "first"); "after_first"
  puts it after the first data page; "off" removes it; empty pages omit
  "dataPoints" altogether (proto3);
- member names the research marked unsure: activityLevel
  activityLevelRollupsByActivityLevelType/totalDuration served by
  dailyRollUp (the availability table lists activity-level as L R only),
  caloriesInHeartRateZone kcal as a double, activeMinutes
  activeMinutesRollupByActivityLevel, the pairedDevices fields and
  batteryStatus spelling, settings fields other than timeZone/utcOffset;
- daily-record filter spelling "{snake_type}.date" for every daily type (only
  daily_heart_rate_variability.date is a documented example), the extra
  operators > and <= and unquoted date literals (accepted), OR and = (syntax
  errors);
- the 300/min limit as a fixed, epoch-aligned 60 s window, counted on
  authenticated /v4 requests only (including those answered by a fault);
- zero durations / zero kcal inside zone and level lists are omitted fields
  (the list element stays); the element order LIGHT..PEAK;
- error wording other than the quoted fixtures (range caps, windowSizeDays,
  page tokens, unknown JSON fields, 404s), ErrorInfo domains, the reason
  ACCESS_TOKEN_TYPE_UNSUPPORTED for an unknown/revoked access token, 401
  invalid_client wording, "Missing code verifier.";
- client auth by HTTP Basic is refused (Google documents client_secret_post
  and _basic; the research only verified the body form);
- dailyRollUp on daily-record types and list on interval types are not
  modelled (400 not supported / 501);
- today's values grow linearly with the local time of day; ~3% of days are
  unworn (no data at all); resting HR missing on ~10% of worn days;
- faults match any non-control path (also /token) by regex on the path.
"""

import argparse
import base64
import hashlib
import json
import random
import re
import secrets
import threading
import time
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from fakecore import DataClock, JsonHandler, RequestLog, parse_now, serve

SCOPE_PREFIX = "https://www.googleapis.com/auth/googlehealth."
SCOPE_NAMES = ("activity_and_fitness", "health_metrics_and_measurements",
               "sleep", "profile", "settings", "location", "nutrition",
               "ecg", "irn")
SCOPES = ({SCOPE_PREFIX + n + ".readonly" for n in SCOPE_NAMES}
          | {SCOPE_PREFIX + n + ".writeonly" for n in SCOPE_NAMES}
          | {"openid", "email", "profile",
             "https://www.googleapis.com/auth/userinfo.email",
             "https://www.googleapis.com/auth/userinfo.profile",
             "https://www.googleapis.com/auth/cloud-platform"})
ACT = SCOPE_PREFIX + "activity_and_fitness.readonly"
MET = SCOPE_PREFIX + "health_metrics_and_measurements.readonly"
PROFILE = SCOPE_PREFIX + "profile.readonly"
SETTINGS = SCOPE_PREFIX + "settings.readonly"
READ_SCOPES = [ACT, MET, SCOPE_PREFIX + "sleep.readonly", PROFILE, SETTINGS]
CODE_LIFETIME = 600
MAX_REFRESH_TOKENS = 100
JSON_CT = "application/json; charset=UTF-8"
PAGE_DEFAULT, PAGE_MAX = 1440, 10000
ZONES = ("LIGHT", "MODERATE", "VIGOROUS", "PEAK")
ZONE_LABELS = ("light", "moderate", "vigorous", "peak")
LEVELS = ("SEDENTARY", "LIGHTLY_ACTIVE", "MODERATELY_ACTIVE", "VERY_ACTIVE")
LEVEL_LABELS = ("sedentary", "lightly_active", "fairly_active", "very_active")
DOMAIN = "health.googleapis.com"

# dailyRollUp types: URL type -> (JSON member, max days, scope)
ROLLUPS = {
    "steps": ("steps", 90, ACT),
    "distance": ("distance", 90, ACT),
    "floors": ("floors", 90, ACT),
    "altitude": ("altitude", 90, ACT),
    "total-calories": ("totalCalories", 14, ACT),
    "active-energy-burned": ("activeEnergyBurned", 90, ACT),
    "active-minutes": ("activeMinutes", 14, ACT),
    "active-zone-minutes": ("activeZoneMinutes", 90, ACT),
    "activity-level": ("activityLevel", 90, ACT),
    "sedentary-period": ("sedentaryPeriod", 90, ACT),
    "heart-rate": ("heartRate", 14, MET),
    "time-in-heart-rate-zone": ("timeInHeartRateZone", 90, MET),
    "calories-in-heart-rate-zone": ("caloriesInHeartRateZone", 14, MET),
}
# daily-record types served by dataPoints.list: URL type -> (JSON member, scope)
DAILY = {
    "daily-resting-heart-rate": ("dailyRestingHeartRate", MET),
    "daily-heart-rate-variability": ("dailyHeartRateVariability", MET),
    "daily-oxygen-saturation": ("dailyOxygenSaturation", MET),
    "daily-respiratory-rate": ("dailyRespiratoryRate", MET),
}
# other valid type IDs (known to the API, not modelled here)
OTHER_TYPES = {"heart-rate-variability", "daily-heart-rate-zones",
               "oxygen-saturation", "respiratory-rate-sleep-summary",
               "daily-sleep-temperature-derivations", "sleep", "exercise",
               "vo2-max", "daily-vo2-max", "run-vo2-max", "weight",
               "body-fat", "height", "basal-energy-burned"}
LIST_REJECTED = {"total-calories", "floors", "calories-in-heart-rate-zone"}
DATA_SOURCE_FAMILIES = {"users/me/dataSourceFamilies/all-sources",
                        "users/me/dataSourceFamilies/google-wearables",
                        "users/me/dataSourceFamilies/google-sources"}

DEFAULTS = {
    "client_id": "fake-google-client-id.apps.googleusercontent.com",
    "client_secret": "GOCSPX-fake-google-secret",
    "membership_start": None, "timezone": "Europe/Berlin",
    "token_lifetime": 3599, "rotate_refresh": False, "seed": 1,
    "latency_ms": 0, "now": None, "rate_limit_per_minute": 300,
    "retry_after_on_429": False, "deny": False, "not_linked": False,
    "ubermint": False, "service_disabled": False, "scopes": None,
    "empty_page": "first", "max_page_size": None, "redirect_uri": None,
}
INT_KEYS = {"token_lifetime", "seed", "latency_ms", "rate_limit_per_minute"}
BOOL_KEYS = {"rotate_refresh", "retry_after_on_429", "deny", "not_linked",
             "ubermint", "service_disabled"}


def s256(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def gdate(d):
    return {"year": d.year, "month": d.month, "day": d.day}


def dur(seconds):
    return f"{int(seconds)}s"


def snake(t):
    return t.replace("-", "_")


def status_body(code, status, message, reason=None, metadata=None, extra=None):
    """A google.rpc.Status error body."""
    err = {"code": code, "message": message, "status": status}
    details = []
    if reason is not None:
        info = {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason, "domain": DOMAIN}
        if metadata:
            info["metadata"] = metadata
        details.append(info)
    details += extra or []
    if details:
        err["details"] = details
    return {"error": err}


def bad_request(message, field=None, reason=None, metadata=None):
    extra = []
    if field is not None:
        extra.append({"@type": "type.googleapis.com/google.rpc.BadRequest",
                      "fieldViolations": [{"field": field, "description": message}]})
    return status_body(400, "INVALID_ARGUMENT", message, reason, metadata, extra)


class ApiError(Exception):
    def __init__(self, status, body, headers=None):
        super().__init__(body["error"]["message"] if "error" in body else str(body))
        self.status, self.body, self.headers = status, body, headers or []


# ---------------------------------------------------------------- data model

def full_day(seed, d):
    """The complete values of day d: deterministic per (seed, d); None when
    the tracker was not worn that day."""
    rng = random.Random(hashlib.sha256(f"g{seed}:{d.isoformat()}".encode()).digest())
    if rng.random() < 0.03:
        return None
    steps = rng.randint(1500, 18000)
    mm = int(steps * rng.uniform(680, 800))
    floors = rng.randint(0, 30) if rng.random() > 0.1 else 0
    very, fairly, lightly = rng.randint(0, 70), rng.randint(0, 45), rng.randint(90, 320)
    sleep = rng.randint(330, 520)
    sedentary = 1440 - sleep - very - fairly - lightly
    peak = rng.randint(0, 15) if rng.random() > 0.3 else 0
    vig, mod = rng.randint(0, 35), rng.randint(10, 120)
    light = rng.randint(60, 300)
    bmr = rng.randint(1550, 1800)
    active_kcal = round(steps * 0.045 + very * 9 + fairly * 6 + lightly * 3
                        + rng.uniform(0, 1), 2)
    cpm = (rng.uniform(2.0, 3.5), rng.uniform(5, 8), rng.uniform(9, 12), rng.uniform(12, 15))
    return {
        "steps": steps, "mm": mm, "floors": floors,
        "gain_mm": floors * 3048 + rng.randint(0, 999) if floors else 0,
        "bmr": bmr, "active_kcal": active_kcal,
        "levels": [sedentary, lightly, fairly, very],          # minutes
        "zones": [light, mod, vig, peak],                        # minutes
        "zone_cpm": cpm,
        "hr": (rng.randint(40, 50), rng.uniform(62, 80), rng.randint(120, 175)),
        "rhr": rng.randint(52, 68) if rng.random() >= 0.1 else None,
        "hrv": round(rng.uniform(20, 70), 1) if rng.random() >= 0.1 else None,
        "spo2": round(rng.uniform(93, 98.5), 1) if rng.random() >= 0.1 else None,
        "resp": round(rng.uniform(12, 18), 1) if rng.random() >= 0.1 else None,
    }


def day_values(seed, d, frac):
    """Values of day d as served when a fraction frac (0..1] of it passed."""
    f = full_day(seed, d)
    if f is None:
        return None
    if frac >= 1:
        part = (lambda x: x)
    else:
        def part(x):
            return int(x * frac)
    v = dict(f)
    v["steps"], v["mm"], v["floors"] = part(f["steps"]), part(f["mm"]), part(f["floors"])
    v["gain_mm"] = part(f["gain_mm"])
    v["levels"] = [part(x) for x in f["levels"]]
    v["zones"] = [part(x) for x in f["zones"]]
    v["active_kcal"] = round(f["active_kcal"] * min(frac, 1), 2)
    v["bmr_kcal"] = round(f["bmr"] * min(frac, 1), 2)
    v["total_kcal"] = round(v["bmr_kcal"] + v["active_kcal"], 2)
    v["zone_kcal"] = [round(m * c, 2) for m, c in zip(v["zones"], f["zone_cpm"])]
    return v


def rollup_value(t, v):
    """The rollup value member of type t for served day values v (proto3:
    zero scalar fields omitted)."""
    def put(obj, key, val, as_str=True):
        if val:
            obj[key] = str(int(val)) if as_str else val
        return obj
    if t == "steps":
        return put({}, "countSum", v["steps"])
    if t == "distance":
        return put({}, "millimetersSum", v["mm"])
    if t == "floors":
        return put({}, "countSum", v["floors"])
    if t == "altitude":
        return put({}, "gainMillimetersSum", v["gain_mm"])
    if t == "total-calories":
        return put({}, "kcalSum", v["total_kcal"], False)
    if t == "active-energy-burned":
        return put({}, "kcalSum", v["active_kcal"], False)
    if t == "sedentary-period":
        return {"durationSum": dur(v["levels"][0] * 60)} if v["levels"][0] else {}
    if t == "activity-level":
        return {"activityLevelRollupsByActivityLevelType": [
            put({"activityLevelType": lv}, "totalDuration", dur(m * 60) if m else None, False)
            for lv, m in zip(LEVELS, v["levels"])]}
    if t == "active-minutes":
        return {"activeMinutesRollupByActivityLevel": [
            put({"activityLevel": lv}, "activeMinutesSum", m)
            for lv, m in zip(("LIGHT", "MODERATE", "VIGOROUS"), v["levels"][1:])]}
    if t == "active-zone-minutes":
        z = v["zones"]
        out = {}
        put(out, "sumInFatBurnHeartZone", z[1])
        put(out, "sumInCardioHeartZone", 2 * z[2])
        put(out, "sumInPeakHeartZone", 2 * z[3])
        return out
    if t == "heart-rate":
        lo, avg, hi = v["hr"]
        return {"beatsPerMinuteAvg": round(avg, 1), "beatsPerMinuteMin": lo,
                "beatsPerMinuteMax": hi}
    if t == "time-in-heart-rate-zone":
        return {"timeInHeartRateZones": [
            put({"heartRateZone": z}, "duration", dur(m * 60) if m else None, False)
            for z, m in zip(ZONES, v["zones"])]}
    if t == "calories-in-heart-rate-zone":
        return {"caloriesInHeartRateZones": [
            put({"heartRateZone": z}, "kcal", k, False)
            for z, k in zip(ZONES, v["zone_kcal"])]}
    raise KeyError(t)


def daily_record(t, d, v):
    """The daily record member of type t on day d, or None."""
    if t == "daily-resting-heart-rate" and v["rhr"] is not None:
        return {"date": gdate(d), "beatsPerMinute": str(v["rhr"]),
                "dailyRestingHeartRateMetadata": {"calculationMethod": "WITH_SLEEP"}}
    if t == "daily-heart-rate-variability" and v["hrv"] is not None:
        return {"date": gdate(d), "averageHeartRateVariabilityMilliseconds": v["hrv"],
                "deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds": round(v["hrv"] * 1.1, 1),
                "nonRemHeartRateBeatsPerMinute": round(v["rhr"] or 60, 1) + 2}
    if t == "daily-oxygen-saturation" and v["spo2"] is not None:
        return {"date": gdate(d), "averagePercentage": v["spo2"],
                "lowerBoundPercentage": round(v["spo2"] - 2.0, 1),
                "upperBoundPercentage": min(100.0, round(v["spo2"] + 1.5, 1)),
                "standardDeviationPercentage": 0.8}
    if t == "daily-respiratory-rate" and v["resp"] is not None:
        return {"date": gdate(d), "breathsPerMinute": v["resp"]}
    return None


class Fake(DataClock, RequestLog):
    """All state of the fake; every method runs under self.lock."""

    def __init__(self, opts):
        self.lock = threading.RLock()
        self.initial = dict(opts)
        self.reset()

    def reset(self):
        self.cfg = dict(self.initial)
        if self.cfg["membership_start"] is None:
            self.cfg["membership_start"] = (self.today() - timedelta(days=400)).isoformat()
        self.codes = {}
        self.access = {}          # token -> {"expires_at", "scope", "grant"}
        self.refresh = {}         # token -> {"scope", "grant"}
        self.consented = set()    # scopes the user consented to before
        self.issued = []          # every token and code ever handed out
        self.faults = []          # {"path","status","count","retry_after"}
        self.forbid_scope = []    # data types answered 403 scope insufficient
        self.log = []
        self.seq = 0
        self.stats = {"requests": 0, "api_requests": 0, "oauth_requests": 0,
                      "authorizations": 0, "code_exchanges": 0,
                      "refresh_attempts": 0, "refreshes": 0, "revocations": 0,
                      "rate_limited": 0, "faults_injected": 0,
                      "by_status": {}, "by_endpoint": {}}
        self.window_start = 0
        self.window_used = 0
        self.page_secret = secrets.token_bytes(16)

    # -- calendar (DataClock: data_now, tz, local_now, today)
    def day(self, d):
        """Served values of day d, or None when there is no data."""
        today = self.today()
        if d < date.fromisoformat(self.cfg["membership_start"]) or d > today:
            return None
        frac = 1.0
        if d == today:
            n = self.local_now()
            frac = (n.hour * 3600 + n.minute * 60 + n.second) / 86400
        return day_values(self.cfg["seed"], d, frac)

    def truth(self, d):
        end = datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=self.tz())
        out = {"date": d.isoformat(), "today": d == self.today(),
               "timestamp_ms": int(end.timestamp()) * 1000,
               "served_at": self.data_now()}
        v = self.day(d)
        out["has_data"] = v is not None
        if v is None:
            return out
        out.update({
            "fitbit_steps_total": v["steps"],
            "fitbit_distance_km": v["mm"] / 1e6,
            "fitbit_floors_total": v["floors"],
            "fitbit_elevation_meters": v["gain_mm"] / 1000,
            "fitbit_calories_total": v["total_kcal"],
            "fitbit_active_minutes": {lab: m for lab, m in zip(LEVEL_LABELS, v["levels"])},
            "fitbit_heart_rate_zone_minutes": {lab: m for lab, m in zip(ZONE_LABELS, v["zones"])},
            "fitbit_heart_rate_zone_calories": {lab: k for lab, k in zip(ZONE_LABELS, v["zone_kcal"])},
        })
        if v["rhr"] is not None:
            out["fitbit_resting_heart_rate_bpm"] = v["rhr"]
        return out

    # -- tokens
    def new_access(self, scope, grant):
        tok = "ya29.a0" + secrets.token_urlsafe(48)
        self.access[tok] = {"expires_at": time.time() + self.cfg["token_lifetime"],
                            "scope": scope, "grant": grant}
        self.issued.append(tok)
        return tok

    def new_refresh(self, scope, grant):
        tok = "1//0g" + secrets.token_urlsafe(64)
        self.refresh[tok] = {"scope": scope, "grant": grant}
        self.issued.append(tok)
        while len(self.refresh) > MAX_REFRESH_TOKENS:   # oldest stops working
            oldest = next(iter(self.refresh))
            self.drop_grant(self.refresh[oldest]["grant"])
        return tok

    def drop_grant(self, grant):
        self.refresh = {t: e for t, e in self.refresh.items() if e["grant"] != grant}
        self.access = {t: e for t, e in self.access.items() if e["grant"] != grant}

    def issue(self, scope, with_refresh=True):
        grant = secrets.token_hex(8)
        out = {"access_token": self.new_access(scope, grant),
               "expires_in": self.cfg["token_lifetime"], "scope": scope,
               "token_type": "Bearer"}
        if with_refresh:
            out["refresh_token"] = self.new_refresh(scope, grant)
        return out

    def grant_scope(self, requested):
        allowed = self.cfg["scopes"]
        return " ".join(s for s in requested if allowed is None or s in allowed)

    # -- rate limit (real clock, fixed epoch-aligned minute)
    def roll_window(self):
        start = int(time.time() // 60) * 60
        if start != self.window_start:
            self.window_start, self.window_used = start, 0

    # -- request handling
    def dispatch(self, method, path, query, body, headers):
        """-> (status, body, extra headers, note, endpoint)."""
        if path == "/o/oauth2/v2/auth":
            self.stats["oauth_requests"] += 1
            return self.authorize(method, query) + ("auth",)
        if path in ("/token", "/revoke"):
            self.stats["oauth_requests"] += 1
            fault = self.take_fault(path)
            if fault is not None:
                st, hdr = fault
                return st, {"error": "internal_failure",
                            "error_description": "Backend Error"}, hdr, "injected", path
            if path == "/revoke":
                return self.revoke(method, query, body) + (path,)
            return self.token(method, body, headers)
        if path.startswith("/v4/"):
            self.stats["api_requests"] += 1
            try:
                return self.api(method, path, query, body, headers)
            except ApiError as e:
                return e.status, e.body, e.headers, "error", self.endpoint(method, path)
        return 404, status_body(404, "NOT_FOUND", "Method not found."), [], None, None

    @staticmethod
    def endpoint(method, path):
        m = re.match(r"^/v4/users/me/dataTypes/([^/]+)/dataPoints(:\w+)?$", path)
        if m:
            return f"{method} {m.group(1)}/dataPoints{m.group(2) or ''}"
        return f"{method} {path[len('/v4/users/me/'):] if path.startswith('/v4/users/me/') else path}"

    def take_fault(self, path):
        for f in self.faults:
            if f["count"] != 0 and re.search(f["path"], path):
                if f["count"] > 0:
                    f["count"] -= 1
                self.stats["faults_injected"] += 1
                hdr = []
                if f["retry_after"] is not None:
                    hdr.append(("Retry-After", str(f["retry_after"])))
                return f["status"], hdr
        return None

    # -- OAuth
    def authorize(self, method, query):
        def bad(error, text, status=400):
            page = (f"<!doctype html><title>Error {status}: {error}</title>"
                    f"<h1>Access blocked: authorization error</h1>"
                    f"<p>Error {status}: {error}</p><p>{text}</p>\n")
            return status, page, [("Content-Type", "text/html; charset=utf-8")], error
        if method != "GET":
            return bad("invalid_request", "Method not allowed.", 405)
        q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if not q.get("client_id"):
            return bad("invalid_request", "Missing required parameter: client_id")
        if q["client_id"] != self.cfg["client_id"]:
            return bad("invalid_client", "The OAuth client was not found.", 401)
        redirect = q.get("redirect_uri")
        if not redirect:
            return bad("invalid_request", "Missing required parameter: redirect_uri")
        if ((self.cfg["redirect_uri"] and redirect != self.cfg["redirect_uri"])
                or not re.match(r"^https?://[^/?#]+", redirect) or "#" in redirect):
            return bad("redirect_uri_mismatch",
                       "You can't sign in to this app because it doesn't comply with "
                       "Google's OAuth 2.0 policy.")
        if q.get("response_type") != "code":
            return bad("unsupported_response_type",
                       "Invalid response_type: " + q.get("response_type", ""))
        scopes = q.get("scope", "").split()
        if not scopes:
            return bad("invalid_request", "Missing required parameter: scope")
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            return bad("invalid_scope", "Some requested scopes were invalid. "
                       "{invalid=[" + ", ".join(unknown) + "]}")
        access_type = q.get("access_type", "online")
        if access_type not in ("online", "offline"):
            return bad("invalid_request", "Invalid access_type: " + access_type)
        prompt = q.get("prompt", "").split()
        if any(p not in ("none", "consent", "select_account") for p in prompt):
            return bad("invalid_request", "Invalid prompt: " + q["prompt"])
        challenge = q.get("code_challenge")
        method_ = q.get("code_challenge_method")
        if challenge is not None:
            method_ = method_ or "plain"
            if method_ not in ("S256", "plain"):
                return bad("invalid_request", "Invalid code_challenge_method value.")
            if not re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", challenge):
                return bad("invalid_request", "Invalid code_challenge value.")
        elif method_ is not None:
            return bad("invalid_request", "Missing code_challenge.")
        self.stats["authorizations"] += 1
        back = {"state": q["state"]} if "state" in q else {}
        if self.cfg["deny"]:
            back = {"error": "access_denied", **back}
            note = "denied"
        else:
            granted = self.grant_scope(scopes)
            first = not set(granted.split()) <= self.consented
            self.consented |= set(granted.split())
            code = "4/0A" + secrets.token_urlsafe(40)
            self.codes[code] = {
                "redirect_uri": redirect, "challenge": challenge, "method": method_,
                "client_id": q["client_id"], "scope": granted,
                "refresh": access_type == "offline" and (first or "consent" in prompt),
                "expires_at": time.time() + CODE_LIFETIME}
            self.issued.append(code)
            back = {**back, "code": code, "scope": granted}
            note = "approved"
        sep = "&" if "?" in redirect else "?"
        return 302, "", [("Location", redirect + sep + urlencode(back))], note

    def token(self, method, body, headers):
        ep = "POST /token"
        if method != "POST":
            return 405, {"error": "invalid_request", "error_description": "Method not allowed"}, [], None, ep
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"),
                                             keep_blank_values=True).items()}
        cid, secret = form.get("client_id"), form.get("client_secret")
        if not cid:
            return 400, {"error": "invalid_request",
                         "error_description": "Could not determine client ID from request."}, [], "no client", ep
        if cid != self.cfg["client_id"]:
            return 401, {"error": "invalid_client",
                         "error_description": "The OAuth client was not found."}, [], "bad client", ep
        if secret != self.cfg["client_secret"]:
            return 401, {"error": "invalid_client", "error_description": "Unauthorized"}, [], "bad secret", ep
        grant = form.get("grant_type")
        if grant == "authorization_code":
            st, b, note = self.exchange(form)
            return st, b, [], note, ep
        if grant == "refresh_token":
            self.stats["refresh_attempts"] += 1
            tok = form.get("refresh_token")
            if not tok:
                return 400, {"error": "invalid_request",
                             "error_description": "Missing required parameter: refresh_token"}, [], None, ep
            e = self.refresh.get(tok)
            if e is None:
                return 400, {"error": "invalid_grant",
                             "error_description": "Token has been expired or revoked."}, [], "invalid_grant", ep
            self.stats["refreshes"] += 1
            out = {"access_token": self.new_access(e["scope"], e["grant"]),
                   "expires_in": self.cfg["token_lifetime"], "scope": e["scope"],
                   "token_type": "Bearer"}
            if self.cfg["rotate_refresh"]:
                del self.refresh[tok]
                out["refresh_token"] = self.new_refresh(e["scope"], e["grant"])
            return 200, out, [], "refreshed", ep
        if not grant:
            return 400, {"error": "invalid_request",
                         "error_description": "Missing required parameter: grant_type"}, [], None, ep
        return 400, {"error": "unsupported_grant_type",
                     "error_description": "Invalid grant_type: " + grant}, [], None, ep

    def exchange(self, form):
        self.stats["code_exchanges"] += 1
        bad = {"error": "invalid_grant", "error_description": "Bad Request"}
        if not form.get("code"):
            return 400, {"error": "invalid_request",
                         "error_description": "Missing required parameter: code"}, "no code"
        c = self.codes.pop(form["code"], None)  # single use, even when it fails below
        if c is None or c["client_id"] != form["client_id"]:
            return 400, bad, "bad code"
        if time.time() > c["expires_at"]:
            return 400, bad, "expired code"
        if form.get("redirect_uri") != c["redirect_uri"]:
            return 400, bad, "redirect mismatch"
        verifier = form.get("code_verifier")
        if c["challenge"] is not None:
            if verifier is None:
                return 400, {"error": "invalid_grant",
                             "error_description": "Missing code verifier."}, "no verifier"
            want = s256(verifier) if c["method"] == "S256" else verifier
            if want != c["challenge"]:
                return 400, bad, "bad verifier"
        return 200, self.issue(c["scope"], c["refresh"]), "exchanged"

    def revoke(self, method, query, body):
        if method != "POST":
            return 405, {"error": "invalid_request"}, [], None
        form = {k: v[0] for k, v in parse_qs(query).items()}
        form.update({k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()})
        tok = form.get("token")
        e = self.access.get(tok) or self.refresh.get(tok)
        if e is None:
            return 400, {"error": "invalid_token", "error_description": "Token expired or revoked"}, [], None
        self.drop_grant(e["grant"])
        self.stats["revocations"] += 1
        return 200, {}, [], "revoked"

    # -- API
    def api(self, method, path, query, body, headers):
        ep = self.endpoint(method, path)
        auth = headers.get("Authorization", "")
        tok = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        www = 'Bearer realm="https://accounts.google.com/"'
        if not tok:
            return 401, status_body(
                401, "UNAUTHENTICATED",
                "Request is missing required authentication credential. Expected OAuth 2 "
                "access token, login cookie or other valid authentication credential. See "
                "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                "CREDENTIALS_MISSING", {"service": DOMAIN}), [("WWW-Authenticate", www)], \
                "no credentials", ep
        entry = self.access.get(tok)
        invalid = ("Request had invalid authentication credentials. Expected OAuth 2 access "
                   "token, login cookie or other valid authentication credential. See "
                   "https://developers.google.com/identity/sign-in/web/devconsole-project.")
        hdr = [("WWW-Authenticate", www + ', error="invalid_token"')]
        if entry is None:
            return 401, status_body(401, "UNAUTHENTICATED", invalid, "ACCESS_TOKEN_TYPE_UNSUPPORTED",
                                    {"service": DOMAIN}), hdr, "invalid token", ep
        if time.time() >= entry["expires_at"]:
            return 401, status_body(401, "UNAUTHENTICATED", invalid, "ACCESS_TOKEN_EXPIRED",
                                    {"service": DOMAIN}), hdr, "expired token", ep
        if self.cfg["service_disabled"]:
            msg = ("Google Health API has not been used in project 123456789012 before or it is "
                   "disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
                   "health.googleapis.com/overview?project=123456789012 then retry. If you enabled "
                   "this API recently, wait a few minutes for the action to propagate to our "
                   "systems and retry.")
            b = status_body(403, "PERMISSION_DENIED", msg, None)
            b["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                      "reason": "SERVICE_DISABLED", "domain": "googleapis.com",
                                      "metadata": {"service": DOMAIN,
                                                   "consumer": "projects/123456789012"}}]
            return 403, b, [], "service disabled", ep
        self.roll_window()
        limit = self.cfg["rate_limit_per_minute"]
        if limit > 0 and self.window_used >= limit:
            self.stats["rate_limited"] += 1
            b = status_body(429, "RESOURCE_EXHAUSTED",
                            "Quota exceeded for quota metric 'Queries' and limit 'Queries per "
                            "minute per user' of service 'health.googleapis.com' for consumer "
                            "'project_number:123456789012'.", None)
            b["error"]["details"] = [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                 "reason": "RATE_LIMIT_EXCEEDED", "domain": "googleapis.com",
                 "metadata": {"service": DOMAIN, "quota_limit_value": str(limit)}},
                {"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                 "violations": [{"subject": "project:123456789012",
                                 "description": "Quota exceeded"}]}]
            h = []
            if self.cfg["retry_after_on_429"]:
                h.append(("Retry-After", str(max(1, self.window_start + 60 - int(time.time())))))
            return 429, b, h, "rate limited", ep
        self.window_used += 1
        fault = self.take_fault(path)
        if fault is not None:
            st, h = fault
            return st, self.fault_body(st), h, "injected", ep
        if self.cfg["ubermint"]:
            return 403, status_body(403, "PERMISSION_DENIED",
                                    "The caller does not have permission. Could not mint "
                                    "UberMint from GaiaMint."), [], "ubermint", ep
        if self.cfg["not_linked"]:
            b = status_body(400, "FAILED_PRECONDITION",
                            "The account is not linked to Google Health.", None)
            b["error"]["details"] = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                      "reason": "ACCOUNT_NOT_LINKED", "domain": "googleapis.com"}]
            return 400, b, [], "not linked", ep
        status, payload = self.route(method, path, query, body, entry["scope"].split())
        return status, payload, [], None, ep

    def fault_body(self, status):
        if status == 429:
            return status_body(429, "RESOURCE_EXHAUSTED",
                               "Resource has been exhausted (e.g. check quota).",
                               "RATE_LIMIT_EXCEEDED")
        if status == 503:
            return status_body(503, "UNAVAILABLE", "The service is currently unavailable.")
        if status == 504:
            return status_body(504, "DEADLINE_EXCEEDED", "The request timed out. Please try again.")
        if status == 403:
            return status_body(403, "PERMISSION_DENIED", "The caller does not have permission",
                               "RESOURCE_PERMISSION_DENIED")
        if status == 400:
            return bad_request("Request contains an invalid argument.")
        return status_body(status, "INTERNAL", "Internal error encountered.")

    def need(self, scopes, scope, dtype=None):
        if scope in scopes and (dtype is None or dtype not in self.forbid_scope):
            return
        www = ('Bearer realm="https://accounts.google.com/", error="insufficient_scope", '
               f'scope="{scope}"')
        raise ApiError(403, status_body(
            403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.",
            "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
            {"service": DOMAIN, "method": "google.devicesandservices.health.v4.DataPointsService"}),
            [("WWW-Authenticate", www)])

    def route(self, method, path, query, body, scopes):
        rest = path[len("/v4/"):]
        m = re.fullmatch(r"users/([^/]+)/(.*)", rest)
        if m is None:
            return 404, status_body(404, "NOT_FOUND", "Method not found.")
        user, rest = m.groups()
        if user != "me" and user != self.health_user_id():
            return 403, status_body(403, "PERMISSION_DENIED", "The caller does not have permission")
        simple = {"settings": (SETTINGS, self.r_settings),
                  "profile": (PROFILE, self.r_profile),
                  "identity": (PROFILE, self.r_identity),
                  "pairedDevices": (SETTINGS, self.r_devices)}
        if rest in simple:
            if method != "GET":
                return 404, status_body(404, "NOT_FOUND", "Method not found.")
            scope, fn = simple[rest]
            self.need(scopes, scope)
            return 200, fn()
        m = re.fullmatch(r"dataTypes/([^/:]+)/dataPoints(:\w+)?", rest)
        if m is None:
            return 404, status_body(404, "NOT_FOUND", "Method not found.")
        dtype, verb = m.group(1), m.group(2)
        known = dtype in ROLLUPS or dtype in DAILY or dtype in OTHER_TYPES
        if not known:
            return 400, bad_request(
                f"Invalid data type ID referenced in the parent data type collection: {dtype}",
                "parent", "INVALID_PARENT_DATA_TYPE_COLLECTION", {"dataType": dtype})
        if verb == ":dailyRollUp" and method == "POST":
            if dtype not in ROLLUPS:
                return 400, bad_request(f"The data type ID {dtype} is not supported.", "parent")
            self.need(scopes, ROLLUPS[dtype][2], dtype)
            return self.daily_rollup(dtype, body)
        if verb is None and method == "GET":
            if dtype in LIST_REJECTED:
                return 400, bad_request(f"The data type ID {dtype} is not supported.", "parent")
            if dtype not in DAILY:
                return 501, status_body(501, "UNIMPLEMENTED",
                                        f"fake_google does not model dataPoints.list for {dtype}")
            self.need(scopes, DAILY[dtype][1], dtype)
            return self.list_daily(dtype, query)
        if verb in (":rollUp", ":reconcile"):
            return 501, status_body(501, "UNIMPLEMENTED", f"fake_google does not model {verb}")
        return 404, status_body(404, "NOT_FOUND", "Method not found.")

    def health_user_id(self):
        return "fake" + hashlib.sha256(f"user{self.cfg['seed']}".encode()).hexdigest()[:20]

    def r_settings(self):
        n = self.local_now()
        return {"name": "users/me/settings", "timeZone": self.cfg["timezone"],
                "utcOffset": dur(n.utcoffset().total_seconds()),
                "distanceUnit": "KILOMETERS", "weightUnit": "KILOGRAMS",
                "heightUnit": "CENTIMETERS", "temperatureUnit": "CELSIUS",
                "languageLocale": "en_US", "startDayOfWeek": "MONDAY"}

    def r_profile(self):
        return {"name": "users/me/profile", "age": 38,
                "membershipStartDate": gdate(date.fromisoformat(self.cfg["membership_start"])),
                "walkingStrideLengthMm": 740, "runningStrideLengthMm": 1110}

    def r_identity(self):
        legacy = hashlib.sha256(f"legacy{self.cfg['seed']}".encode()).hexdigest()[:6].upper()
        return {"name": "users/me/identity", "healthUserId": self.health_user_id(),
                "legacyUserId": legacy}

    def r_devices(self):
        sync = datetime.fromtimestamp(self.data_now() - 420, timezone.utc)
        level = 20 + int(self.data_now() // 3600) % 80
        return {"pairedDevices": [{
            "name": "users/me/pairedDevices/2900000001", "deviceType": "TRACKER",
            "deviceVersion": "Charge 6", "batteryLevel": level,
            "batteryStatus": "HIGH" if level > 60 else "MEDIUM" if level > 25 else "LOW",
            "lastSyncTime": sync.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "macAddress": "C0:FF:EE:00:00:01", "features": []}]}

    # -- dailyRollUp
    def daily_rollup(self, dtype, body):
        text = body.decode("utf-8", "replace")
        try:
            req = json.loads(text) if text.strip() else {}
        except ValueError:
            if re.search(r'[:\[,]\s*-?0[0-9xX]', text):
                msg = "Invalid JSON payload received. Octal/hex numbers are not valid JSON values."
            else:
                msg = "Invalid JSON payload received. Unexpected token."
            return 400, bad_request(msg)
        if not isinstance(req, dict):
            return 400, bad_request("Invalid JSON payload received. Root element must be a message.")
        known = {"range", "windowSizeDays", "pageSize", "pageToken", "dataSourceFamily"}
        for k in req:
            if k not in known:
                return 400, bad_request(f'Invalid JSON payload received. Unknown name "{k}": '
                                        "Cannot find field.", k)
        fam = req.get("dataSourceFamily")
        if fam is not None and fam not in DATA_SOURCE_FAMILIES:
            return 400, bad_request(f"Invalid data source family: {fam}", "data_source_family")
        if "windowSizeDays" not in req:
            return 400, bad_request("windowSizeDays is required.", "window_size_days")
        try:
            win = self.int_field(req["windowSizeDays"], "windowSizeDays")
            if win < 1:
                raise ValueError
        except ValueError:
            return 400, bad_request("windowSizeDays must be positive.", "window_size_days")
        rng = req.get("range")
        if not isinstance(rng, dict) or "start" not in rng or "end" not in rng:
            return 400, bad_request("range with start and end is required.", "range")
        try:
            a = self.civil(rng["start"], "range.start")
            b = self.civil(rng["end"], "range.end")
        except ValueError as e:
            return 400, bad_request(str(e), "range")
        if a >= b:
            return 400, bad_request("range.start must be before range.end.", "range")
        cap = ROLLUPS[dtype][1]
        if (b - a).days > cap:
            return 400, bad_request(
                f"The maximum range for {dtype} is {cap} days.", "range")
        member = ROLLUPS[dtype][0]
        points = []
        d = a
        while d < b:
            end = min(d + timedelta(days=win), b)
            vals = [(x, self.day(x)) for x in (d + timedelta(days=i) for i in range((end - d).days))]
            vals = [(x, v) for x, v in vals if v is not None]
            if vals:
                if win == 1:
                    value = rollup_value(dtype, vals[0][1])
                else:
                    value = self.merge(dtype, [v for _, v in vals])
                points.append({"civilStartTime": {"date": gdate(d)},
                               "civilEndTime": {"date": gdate(end)}, member: value})
            d = end
        return 200, ({"rollupDataPoints": points} if points else {})

    def merge(self, dtype, vals):
        """A multi-day window: sums of the day values (averages for heart-rate)."""
        tot = dict(vals[0])
        for k in ("steps", "mm", "floors", "gain_mm", "active_kcal", "total_kcal"):
            tot[k] = sum(v[k] for v in vals)
        for k in ("levels", "zones", "zone_kcal"):
            tot[k] = [sum(x) for x in zip(*(v[k] for v in vals))]
        tot["zone_kcal"] = [round(x, 2) for x in tot["zone_kcal"]]
        tot["total_kcal"] = round(tot["total_kcal"], 2)
        tot["active_kcal"] = round(tot["active_kcal"], 2)
        tot["hr"] = (min(v["hr"][0] for v in vals), sum(v["hr"][1] for v in vals) / len(vals),
                     max(v["hr"][2] for v in vals))
        return rollup_value(dtype, tot)

    @staticmethod
    def int_field(x, name):
        if isinstance(x, bool):
            raise ValueError(f"{name}: not an integer")
        if isinstance(x, int):
            return x
        if isinstance(x, str) and re.fullmatch(r"-?\d+", x):
            return int(x)
        raise ValueError(f"Invalid value at '{name}', expected an integer.")

    def civil(self, obj, name):
        if not isinstance(obj, dict) or not isinstance(obj.get("date"), dict):
            raise ValueError(f"{name}.date is required.")
        for k in obj:
            if k not in ("date", "time"):
                raise ValueError(f'Invalid JSON payload received. Unknown name "{k}" at \'{name}\'.')
        t = obj.get("time") or {}
        if any(t.get(k) for k in ("hours", "minutes", "seconds", "nanos")):
            raise ValueError(f"{name} must be aligned with the aggregation window.")
        dd = obj["date"]
        try:
            return date(self.int_field(dd.get("year"), name + ".date.year"),
                        self.int_field(dd.get("month"), name + ".date.month"),
                        self.int_field(dd.get("day"), name + ".date.day"))
        except (ValueError, TypeError) as e:
            raise ValueError(f"{name}.date is not a valid date ({e}).") from None

    # -- dataPoints.list for daily-record types
    def list_daily(self, dtype, query):
        q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        for k in q:
            if k not in ("filter", "pageSize", "page_size", "pageToken", "page_token",
                         "fields", "prettyPrint", "alt", "$.xgafv", "quotaUser",
                         "access_token", "key"):
                return 400, bad_request(f"Invalid JSON payload received. Unknown name \"{k}\": "
                                        "Cannot bind query parameter.", k)
        flt = q.get("filter", "")
        lo, hi = self.parse_filter(dtype, flt)
        raw = q.get("pageSize", q.get("page_size", ""))
        try:
            size = int(raw) if raw != "" else 0
        except ValueError:
            return 400, bad_request(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"", "page_size")
        if size < 0:
            return 400, bad_request("page_size must not be negative.", "page_size")
        size = min(size or PAGE_DEFAULT, PAGE_MAX)
        if self.cfg["max_page_size"]:
            size = min(size, int(self.cfg["max_page_size"]))
        # every record in range, newest first
        first = date.fromisoformat(self.cfg["membership_start"])
        last = self.today()
        if lo is not None:
            first = max(first, lo)
        if hi is not None:
            last = min(last, hi - timedelta(days=1))
        member = DAILY[dtype][0]
        items = []
        d = last
        while d >= first:
            v = self.day(d)
            rec = daily_record(dtype, d, v) if v is not None else None
            if rec is not None:
                rid = hashlib.sha256(f"{dtype}{self.cfg['seed']}{d}".encode()).hexdigest()[:24]
                items.append({"name": f"users/me/dataTypes/{dtype}/dataPoints/{rid}",
                              "dataSource": {"recordingMethod": "DERIVED",
                                             "device": {"displayName": "Charge 6"},
                                             "platform": "FITBIT"},
                              member: rec})
            d -= timedelta(days=1)
        bind = hashlib.sha256(f"{dtype}|{flt}|{size}".encode()).hexdigest()[:12]
        tok = q.get("pageToken", q.get("page_token", ""))
        offset, emptied, n = 0, False, 0
        if tok:
            try:
                st = json.loads(self.unseal(tok))
                offset, emptied, n = int(st["o"]), bool(st["e"]), int(st["n"])
                if st["b"] != bind:
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return 400, bad_request("The page token is invalid or does not match the request.",
                                        "page_token")
        mode = self.cfg["empty_page"]
        empty_at = {"first": 0, "after_first": 1}.get(mode)
        if not emptied and n == empty_at:
            return 200, {"nextPageToken": self.seal({"o": offset, "e": True, "n": n + 1, "b": bind})}
        page = items[offset:offset + size]
        out = {"dataPoints": page} if page else {}
        nxt = offset + len(page)
        if nxt < len(items) or (not emptied and empty_at is not None and n < empty_at):
            out["nextPageToken"] = self.seal({"o": nxt, "e": emptied, "n": n + 1, "b": bind})
        return 200, out

    def seal(self, obj):
        raw = json.dumps(obj, separators=(",", ":")).encode()
        mac = hashlib.sha256(self.page_secret + raw).digest()[:8]
        return base64.urlsafe_b64encode(mac + raw).decode().rstrip("=")

    def unseal(self, tok):
        raw = base64.urlsafe_b64decode(tok + "=" * (-len(tok) % 4))
        mac, raw = raw[:8], raw[8:]
        if hashlib.sha256(self.page_secret + raw).digest()[:8] != mac:
            raise ValueError("bad mac")
        return raw.decode()

    def parse_filter(self, dtype, flt):
        """-> (lower bound inclusive, upper bound exclusive) dates, either None."""
        lo = hi = None
        if not flt.strip():
            return lo, hi
        clauses = re.split(r"\s+AND\s+", flt.strip())
        want = snake(dtype) + ".date"

        def syntax(msg):
            return ApiError(400, bad_request(
                f"Invalid data point filter syntax: {msg}", "filter",
                "INVALID_DATA_POINT_FILTER_SYNTAX", {"filter": flt}))
        for c in clauses:
            m = re.fullmatch(r'([A-Za-z_][\w.]*)\s*(>=|<=|>|<|=|!=)\s*("([^"]*)"|[\w:.+-]+)', c.strip())
            if m is None:
                raise syntax(f"cannot parse '{c.strip()}'")
            member, op, lit = m.group(1), m.group(2), m.group(4) if m.group(4) is not None else m.group(3)
            if member != want:
                raise ApiError(400, bad_request(
                    f"Invalid data point filter: member '{member}' is not a valid member of "
                    f"data type '{dtype}'. Supported: '{want}'.", "filter",
                    "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER",
                    {"dataType": dtype, "member": member}))
            if op not in (">=", ">", "<", "<="):
                raise syntax(f"operator '{op}' is not supported")
            try:
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", lit):
                    raise ValueError
                d = date.fromisoformat(lit)
            except ValueError:
                raise ApiError(400, bad_request(
                    f"Invalid data point filter: '{lit}' is not a date (YYYY-MM-DD).", "filter",
                    "INVALID_DATA_POINT_FILTER", {"filter": flt})) from None
            if op == ">":
                d, op = d + timedelta(days=1), ">="
            if op == "<=":
                d, op = d + timedelta(days=1), "<"
            if op == ">=":
                lo = d if lo is None else max(lo, d)
            else:
                hi = d if hi is None else min(hi, d)
        return lo, hi

    # -- control API (/_test/)
    def control(self, method, path, query, body):
        q = {k: v[0] for k, v in parse_qs(query).items()}
        if method == "GET" and path == "/_test/truth":
            s = q.get("date", "today")
            try:
                d = self.today() if s == "today" else date.fromisoformat(s)
            except ValueError:
                return 400, {"error": f"bad date {s}"}
            return 200, self.truth(d)
        if method == "GET" and path == "/_test/requests":
            since = int(q.get("since", 0))
            return 200, {"requests": [r for r in self.log if r["seq"] > since]}
        if method == "GET" and path == "/_test/stats":
            self.roll_window()
            return 200, dict(self.stats, window_used=self.window_used,
                             window_remaining=max(0, self.cfg["rate_limit_per_minute"] - self.window_used))
        if method == "GET" and path == "/_test/tokens":
            now = time.time()
            valid = {t: e for t, e in self.access.items() if e["expires_at"] > now}
            return 200, {"access_tokens": sorted(valid), "refresh_tokens": list(self.refresh),
                         "expires_at": {t: e["expires_at"] for t, e in valid.items()},
                         "issued": list(self.issued)}
        if method == "POST" and path == "/_test/tokens":
            try:
                req = json.loads(body or b"{}")
            except ValueError:
                return 400, {"error": "body is not JSON"}
            scope = req.get("scope") or " ".join(READ_SCOPES)
            return 200, self.issue(self.grant_scope(scope.split()))
        if method == "GET" and path == "/_test/config":
            return 200, self.config_view()
        if method == "POST" and path == "/_test/config":
            try:
                self.configure(json.loads(body or b"{}"))
            except (ValueError, KeyError, TypeError, re.error) as e:
                return 400, {"error": str(e.args[0] if e.args else e)}
            return 200, self.config_view()
        if method == "POST" and path == "/_test/reset":
            self.reset()
            return 200, self.config_view()
        return 404, {"error": f"no control route {method} {path}"}

    def config_view(self):
        v = dict(self.cfg, faults=self.faults, forbid_scope=self.forbid_scope)
        v["now_iso"] = self.local_now().isoformat()
        v["today"] = self.today().isoformat()
        v["health_user_id"] = self.health_user_id()
        v["scopes_all"] = READ_SCOPES
        return v

    def configure(self, req):
        """Options are set, actions are done, in one request."""
        for key, val in req.items():
            if key in INT_KEYS:
                self.cfg[key] = int(val)
            elif key in BOOL_KEYS:
                self.cfg[key] = bool(val)
            elif key == "now":
                self.cfg["now"] = parse_now(val, self.cfg["timezone"])
            elif key == "timezone":
                ZoneInfo(val)
                self.cfg[key] = val
            elif key == "membership_start":
                self.cfg[key] = date.fromisoformat(val).isoformat()
            elif key == "scopes":
                self.cfg[key] = None if val is None else list(val)
            elif key in ("client_id", "client_secret", "redirect_uri"):
                self.cfg[key] = val
            elif key == "empty_page":
                val = {True: "first", False: "off", None: "off"}.get(val, val)
                if val not in ("first", "after_first", "off"):
                    raise ValueError("empty_page: first, after_first, off (or a bool)")
                self.cfg[key] = val
            elif key == "max_page_size":
                self.cfg[key] = None if not val else int(val)
            elif key in ("fault", "faults"):
                for f in ([val] if key == "fault" else val):
                    re.compile(f["path"])
                    ra = f.get("retry_after")
                    self.faults.append({"path": f["path"], "status": int(f.get("status", 503)),
                                        "count": int(f.get("count", 1)),
                                        "retry_after": None if ra is None else int(ra)})
            elif key == "clear_faults":
                self.faults, self.forbid_scope = [], []
            elif key == "forbid_scope":
                vals = [val] if isinstance(val, str) else list(val or [])
                for t in vals:
                    if t not in ROLLUPS and t not in DAILY:
                        raise ValueError(f"forbid_scope: unknown data type {t}")
                self.forbid_scope = vals
            elif key == "expire_access_token":
                for e in self.access.values():
                    e["expires_at"] = time.time() - 1
            elif key == "revoke_all":
                self.access, self.refresh = {}, {}
            elif key == "rate_used":
                self.roll_window()
                self.window_used = int(val)
            else:
                raise KeyError(f"unknown key '{key}'")







SECRET_FIELDS = {"client_secret", "code", "refresh_token", "code_verifier", "token"}


class Handler(JsonHandler):
    default_server = "ESF"
    json_content_type = JSON_CT

    def handle_any(self, method):
        url = urlsplit(self.path)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n > 0 else b""
        fake = self.fake
        if url.path.startswith("/_test/"):
            with fake.lock:
                status, payload = fake.control(method, url.path, url.query, body)
            return self.reply(status, payload, [])
        delay = fake.cfg["latency_ms"] / 1000
        if delay:
            time.sleep(delay)
        with fake.lock:
            status, payload, headers, note, ep = fake.dispatch(
                method, url.path, url.query, body, self.headers)
            fake.record(self.log_entry(method, url, body, status, payload, note, ep))
        self.reply(status, payload, headers)

    def log_entry(self, method, url, body, status, payload, note, ep):
        auth = self.headers.get("Authorization")
        entry = {"time": time.time(), "method": method, "path": url.path,
                 "query": url.query, "authorization": auth.split(" ")[0] if auth else None,
                 "content_type": self.headers.get("Content-Type"),
                 "user_agent": self.headers.get("User-Agent"),
                 "status": status, "endpoint": ep, "note": note,
                 "json": None, "form": None, "error_status": None, "reason": None}
        if url.path in ("/token", "/revoke"):
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            entry["form"] = {k: ("***" if k in SECRET_FIELDS else v) for k, v in form.items()}
            entry["grant_type"] = form.get("grant_type")
        elif body:
            try:
                entry["json"] = json.loads(body)
            except ValueError:
                entry["json"] = None
                entry["raw_body"] = body.decode("utf-8", "replace")[:2000]
        if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
            e = payload["error"]
            entry["error_status"] = e.get("status")
            for d in e.get("details", []):
                if "reason" in d:
                    entry["reason"] = d["reason"]
        elif isinstance(payload, dict) and isinstance(payload.get("error"), str):
            entry["error_status"] = payload["error"]
        return entry




def main(argv=None):
    p = argparse.ArgumentParser(description="Fake Google Health API v4 + Google OAuth 2.0 (127.0.0.1 only)")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--client-id", default=DEFAULTS["client_id"])
    p.add_argument("--client-secret", default=DEFAULTS["client_secret"])
    p.add_argument("--membership-start", help="YYYY-MM-DD; default: 400 days before today")
    p.add_argument("--timezone", default=DEFAULTS["timezone"])
    p.add_argument("--token-lifetime", type=int, default=DEFAULTS["token_lifetime"])
    p.add_argument("--rotate-refresh", action="store_true",
                   help="a refresh answer carries a new refresh_token; the old one dies")
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    p.add_argument("--latency-ms", type=int, default=DEFAULTS["latency_ms"])
    p.add_argument("--now", help="freeze the data clock: ISO 8601 or epoch seconds")
    p.add_argument("--rate-limit-per-minute", type=int, default=DEFAULTS["rate_limit_per_minute"],
                   help="0 = no limit")
    p.add_argument("--redirect-uri", help="the one registered redirect URI (default: any)")
    a = p.parse_args(argv)
    opts = dict(DEFAULTS)
    ZoneInfo(a.timezone)
    opts.update(client_id=a.client_id, client_secret=a.client_secret,
                membership_start=(date.fromisoformat(a.membership_start).isoformat()
                                  if a.membership_start else None),
                timezone=a.timezone, token_lifetime=a.token_lifetime,
                rotate_refresh=a.rotate_refresh, seed=a.seed, latency_ms=a.latency_ms,
                now=parse_now(a.now, a.timezone), rate_limit_per_minute=a.rate_limit_per_minute,
                redirect_uri=a.redirect_uri)
    serve(Handler, Fake(opts), a.port, a.port_file, "fake_google")


if __name__ == "__main__":
    main()
