#!/usr/bin/env python3
"""A local fake of the legacy Fitbit Web API and Fitbit OAuth 2.0, for tests.

Built from the documented shapes in shared/research/fitbit.md, never from what
SyncBit sends. Standard library only; binds 127.0.0.1.

    python3 tests/fakes/fake_fitbit.py --port 0 --port-file PATH [options]

What it models (documented behaviour):
- GET /oauth2/authorize: client_id, response_type=code, scope, redirect_uri,
  state, PKCE (challenge 43-128 chars); errors are 400 text bodies
  "invalid_request - ..." like Fitbit's consent page; auto-approves with a 302
  to redirect_uri?code=...&state=... (or ?error=access_denied&state=...).
  Codes live 10 minutes, single use, bound to redirect_uri and challenge.
- POST /oauth2/token: Basic client auth, grant_type authorization_code
  (code_verifier checked against the S256 challenge) and refresh_token.
  Refresh tokens are strictly single use, one active pair per user; the
  invalid_grant / expired_token messages echo the token like Fitbit's do.
- Bearer auth on the API: 401 invalid_token / expired_token.
- 150 requests per window per user; the window resets at its "top" (epoch
  aligned, like the top of the hour); Fitbit-Rate-Limit-Limit/-Remaining/-Reset
  on every API answer; 429 errorType "system" "Too Many Requests".
- Endpoints under /1/user/-/: profile.json, activities/date/{d}.json,
  activities/[tracker/]{res}/date/{start}/{end|period}.json (values as
  strings, 1095 days max), activities/heart/date/{start}/{end|period}.json
  (1 year = 366 days max), devices.json. "today" is accepted as a date.
  Units: metric unless Accept-Language is en_US (miles, feet).
- Error bodies {"errors":[{"errorType","fieldName","message"}],"success":false};
  the Google-style 403 PERMISSION_DENIED body for a shut-down service.

What it models WITHOUT proof (our guesses, not in any source we read):
- exact wording of most error messages (range too large, bad date, invalid
  code/verifier, 404, 405, invalid_client, insufficient_scope);
- the 403 errorType "insufficient_permissions" for an unauthorized resource;
- which requests count against the quota (here: authenticated API calls only,
  also those answered 4xx/5xx by an injected fault) and exact, synchronous
  rate headers (Fitbit's are "approximate and asynchronously updated");
- Retry-After on 429 (off by default, "retry_after" control option);
- days outside [memberSince, today]: activity series answer "0", the heart
  series leaves them out, the daily summary is all zeros;
- an unworn day (about 3%): caloriesOut = BMR, sedentary 1440, heart zones
  without "minutes"/"caloriesOut", no restingHeartRate;
- a refresh also invalidates the previous access token; a code whose
  exchange failed is consumed anyway; 5xx on refresh does not rotate;
- the "#_=_" fragment Fitbit appends to the authorization redirect;
- periods (1d, 7d, 30d, 1w, 1m, 3m, 6m, 1y) as day counts 1/7/30/7/31/92/183/365,
  "max" -> 422 "The number of data points queried exceeds limit.";
- no-altimeter trackers (altimeter=false): summary without floors/elevation,
  the floors/elevation series answer "0";
- today's values grow linearly with the local time of day;
- the shut-down mode also covers profile/devices, but not /oauth2/*;
- an abandoned request (client gone during --latency-ms) is never processed.
"""

import argparse
import base64
import hashlib
import json
import math
import os
import random
import re
import secrets
import threading
import time
from datetime import date, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

from fakecore import DataClock, JsonHandler, RequestLog, parse_now, serve

DOC = ("Visit https://dev.fitbit.com/docs/oauth2 for more information on the "
       "Fitbit Web API authorization process.")
SCOPES = {"activity", "cardio_fitness", "electrocardiogram", "heartrate",
          "irregular_rhythm_notifications", "location", "nutrition",
          "oxygen_saturation", "profile", "respiratory_rate", "settings",
          "sleep", "social", "temperature", "weight"}
CODE_LIFETIME = 600
SERIES_MAX_DAYS = 1095
HEART_MAX_DAYS = 366
PERIODS = {"1d": 1, "7d": 7, "30d": 30, "1w": 7, "1m": 31, "3m": 92,
           "6m": 183, "1y": 365}
KM_PER_MILE = 1.609344
FT_PER_M = 3.28084
ZONES = (("Out of Range", "out_of_range", 30, 97), ("Fat Burn", "fat_burn", 97, 135),
         ("Cardio", "cardio", 135, 164), ("Peak", "peak", 164, 220))
# resource -> (day key, unit kind)
RESOURCES = {
    "steps": ("steps", None), "distance": ("total_km", "km"),
    "calories": ("calories_out", None), "caloriesBMR": ("calories_bmr", None),
    "activityCalories": ("activity_calories", None), "floors": ("floors", None),
    "elevation": ("elevation_m", "m"), "minutesSedentary": ("sedentary", None),
    "minutesLightlyActive": ("lightly", None), "minutesFairlyActive": ("fairly", None),
    "minutesVeryActive": ("very", None),
}
DATE_RE = r"(\d{4}-\d{2}-\d{2}|today)"
JSON_CT = "application/json;charset=UTF-8"

DEFAULTS = {
    "client_id": "fake-client-id", "client_secret": "fake-client-secret",
    "member_since": None, "timezone": "Europe/Berlin", "token_lifetime": 28800,
    "rate_limit": 150, "rate_window": 3600, "seed": 1, "latency_ms": 0,
    "latency_mode": "before", "now": None, "retry_after": False, "deny": False,
    "altimeter": True, "scopes": None, "header_case": "mixed",
    "shutdown": False, "redirect_uri": None,
}
INT_KEYS = {"token_lifetime", "rate_limit", "rate_window", "seed", "latency_ms"}
BOOL_KEYS = {"retry_after", "deny", "altimeter", "shutdown"}


def error_body(etype, message, field=None):
    err = {"errorType": etype, "message": message}
    if field is not None:
        err["fieldName"] = field
    return {"errors": [err], "success": False}


def num(x):
    """A number as Fitbit's time series print it: "2504", "6.12"."""
    return str(int(x)) if float(x) == int(x) else str(x)


def s256(verifier):
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


# ---------------------------------------------------------------- data model

def full_day(seed, d):
    """The complete values of day d: deterministic per (seed, d)."""
    rng = random.Random(hashlib.sha256(f"{seed}:{d.isoformat()}".encode()).digest())
    bmr = rng.randint(1550, 1800)
    if rng.random() < 0.03:  # tracker not worn all day
        return {"worn": False, "steps": 0, "tracker_km": 0.0, "logged_km": 0.0,
                "floors": 0, "sedentary": 1440, "lightly": 0, "fairly": 0,
                "very": 0, "bmr": bmr, "act_cal": 0, "rhr": None,
                "zone_minutes": None, "zone_cpm": None}
    steps = rng.randint(1500, 18000)
    stride = rng.uniform(0.00068, 0.00080)
    logged = rng.uniform(3.0, 10.0) if rng.random() < 0.15 else 0.0
    very, fairly, lightly = rng.randint(0, 70), rng.randint(0, 45), rng.randint(90, 320)
    sleep = rng.randint(330, 520)
    peak, cardio = rng.randint(0, 15), rng.randint(0, 35)
    fat, off = rng.randint(10, 120), rng.randint(0, 90)
    return {
        "worn": True, "steps": steps, "tracker_km": steps * stride,
        "logged_km": logged, "floors": rng.randint(0, 30),
        "sedentary": 1440 - sleep - very - fairly - lightly, "lightly": lightly,
        "fairly": fairly, "very": very, "bmr": bmr,
        "act_cal": int(steps * 0.045 + very * 9 + fairly * 6 + lightly * 3),
        "rhr": rng.randint(52, 68) if rng.random() >= 0.12 else None,
        "zone_minutes": [1440 - peak - cardio - fat - off, fat, cardio, peak],
        "zone_cpm": [rng.uniform(1.0, 1.4), rng.uniform(5, 8),
                     rng.uniform(9, 12), rng.uniform(12, 15)],
    }


def day_values(seed, d, frac):
    """Values of day d as served when a fraction frac (0..1] of it passed."""
    f = full_day(seed, d)

    def part(x):
        return int(x * frac) if frac < 1 else x
    tracker = round(f["tracker_km"] * min(frac, 1), 2)
    logged = round(f["logged_km"] * min(frac, 1), 2)
    floors = part(f["floors"])
    bmr, act = part(f["bmr"]), part(f["act_cal"])
    v = {"worn": f["worn"], "steps": part(f["steps"]), "tracker_km": tracker,
         "logged_km": logged, "total_km": round(tracker + logged, 2),
         "floors": floors, "elevation_m": round(floors * 3.048, 2),
         "sedentary": part(f["sedentary"]), "lightly": part(f["lightly"]),
         "fairly": part(f["fairly"]), "very": part(f["very"]),
         "calories_bmr": bmr, "activity_calories": act,
         "calories_out": bmr + act, "rhr": f["rhr"], "zones": []}
    for i, (name, _, lo, hi) in enumerate(ZONES):
        z = {"max": hi, "min": lo, "name": name}
        if f["zone_minutes"] is not None:
            minutes = part(f["zone_minutes"][i])
            z["caloriesOut"] = round(minutes * f["zone_cpm"][i], 5)
            z["minutes"] = minutes
        v["zones"].append(z)
    return v


class Fake(DataClock, RequestLog):
    """All state of the fake; every method runs under self.lock."""

    def __init__(self, opts, state_file=None):
        self.lock = threading.RLock()
        self.initial = dict(opts)
        self.state_file = state_file
        self.reset(save=False)
        if state_file and os.path.exists(state_file):
            with open(state_file) as f:
                saved = json.load(f)
            self.access = saved["access"]
            self.refresh = saved["refresh"]
            self.refresh_scope = saved["refresh_scope"]
            self.issued = saved["issued"]

    def reset(self, save=True):
        self.cfg = dict(self.initial)
        if self.cfg["member_since"] is None:
            self.cfg["member_since"] = (self.today() - timedelta(days=730)).isoformat()
        self.codes = {}
        self.access = {}          # token -> {"expires_at", "scope"}
        self.refresh = None       # the one active refresh token
        self.refresh_scope = ""
        self.issued = []          # every token and code ever handed out
        self.faults = []          # {"path", "status", "count"}; count -1 = forever
        self.forbid = []
        self.refresh_failures = {"count": 0, "status": 503}
        self.log = []
        self.seq = 0
        self.stats = {"requests": 0, "api_requests": 0, "oauth_requests": 0,
                      "authorizations": 0, "code_exchanges": 0,
                      "refresh_attempts": 0, "refreshes": 0, "rate_limited": 0,
                      "faults_injected": 0, "by_status": {}}
        self.window_start = 0
        self.window_used = 0
        if save:
            self.save()

    def save(self):
        if not self.state_file:
            return
        tmp = self.state_file + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"access": self.access, "refresh": self.refresh,
                       "refresh_scope": self.refresh_scope,
                       "issued": self.issued}, f)
        os.replace(tmp, self.state_file)

    # -- calendar (DataClock: data_now, tz, local_now, today)
    def day(self, d):
        """Served values of day d, or None when the account has no data."""
        today = self.today()
        if d < date.fromisoformat(self.cfg["member_since"]) or d > today:
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
            "fitbit_steps_total": v["steps"], "fitbit_distance_km": v["total_km"],
            "fitbit_calories_total": v["calories_out"],
            "fitbit_active_minutes": {"sedentary": v["sedentary"],
                                      "lightly_active": v["lightly"],
                                      "fairly_active": v["fairly"],
                                      "very_active": v["very"]}})
        if self.cfg["altimeter"]:
            out["fitbit_floors_total"] = v["floors"]
            out["fitbit_elevation_meters"] = v["elevation_m"]
        if v["rhr"] is not None:
            out["fitbit_resting_heart_rate_bpm"] = v["rhr"]
        if "minutes" in v["zones"][0]:
            out["fitbit_heart_rate_zone_minutes"] = {
                ZONES[i][1]: z["minutes"] for i, z in enumerate(v["zones"])}
            out["fitbit_heart_rate_zone_calories"] = {
                ZONES[i][1]: z["caloriesOut"] for i, z in enumerate(v["zones"])}
        return out

    # -- tokens
    def issue(self, scope):
        """A new access/refresh pair; the previous pair stops working."""
        self.access = {}
        tok = secrets.token_hex(32)
        self.access[tok] = {"expires_at": time.time() + self.cfg["token_lifetime"],
                            "scope": scope}
        self.refresh = secrets.token_hex(32)
        self.refresh_scope = scope
        self.issued += [tok, self.refresh]
        self.save()
        return {"access_token": tok, "expires_in": self.cfg["token_lifetime"],
                "refresh_token": self.refresh, "scope": scope,
                "token_type": "Bearer", "user_id": self.user_id()}

    def user_id(self):
        return hashlib.sha256(f"user{self.cfg['seed']}".encode()).hexdigest()[:6].upper()

    def grant_scope(self, requested):
        allowed = self.cfg["scopes"]
        return " ".join(s for s in requested
                        if allowed is None or s in allowed)

    # -- rate limit (real clock)
    def roll_window(self):
        now = time.time()
        start = math.floor(now / self.cfg["rate_window"]) * self.cfg["rate_window"]
        if start != self.window_start:
            self.window_start, self.window_used = start, 0
        return now

    def rate_headers(self):
        now = self.roll_window()
        vals = {"limit": self.cfg["rate_limit"],
                "remaining": max(0, self.cfg["rate_limit"] - self.window_used),
                "reset": max(0, math.ceil(self.window_start + self.cfg["rate_window"] - now))}
        style = self.cfg["header_case"]
        if style == "mixed":
            style = ("canonical", "lower", "first")[self.stats["api_requests"] % 3]
        out = []
        for key, val in vals.items():
            name = {"canonical": "Fitbit-Rate-Limit-" + key.capitalize(),
                    "lower": "fitbit-rate-limit-" + key,
                    "first": "Fitbit-rate-limit-" + key}[style]
            out.append((name, str(val)))
        return out

    # -- request handling
    def dispatch(self, method, path, query, body, headers):
        """-> (status, body, extra headers, note for the log)."""
        if path == "/oauth2/authorize":
            self.stats["oauth_requests"] += 1
            return self.authorize(method, query)
        if path in ("/oauth2/token", "/oauth2/revoke"):
            self.stats["oauth_requests"] += 1
            return self.token(method, path, body, headers)
        m = re.match(r"^/1(?:\.2)?/user/([^/]+)/(.+)$", path)
        if m is None:
            return 404, error_body("not_found", "The API you are requesting could not be found.", "n/a"), [], None
        self.stats["api_requests"] += 1
        return self.api(method, m.group(1), m.group(2), query, headers)

    def authorize(self, method, query):
        def bad(msg):
            return 400, msg, [("Content-Type", "text/plain;charset=UTF-8")], "rejected"
        if method != "GET":
            return bad("invalid_request - Method not allowed")
        q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if q.get("client_id") != self.cfg["client_id"]:
            return bad("invalid_request - Invalid client_id parameter value")
        if q.get("response_type") != "code":
            return bad("invalid_request - Unsupported response_type")
        redirect = q.get("redirect_uri") or self.cfg["redirect_uri"]
        if not redirect:
            return bad("invalid_request - Missing parameters: redirect_uri")
        if ((self.cfg["redirect_uri"] and redirect != self.cfg["redirect_uri"])
                or not re.match(r"^https?://[^/?#]+", redirect) or "#" in redirect):
            return bad("invalid_request - Invalid redirect_uri parameter value")
        scopes = q.get("scope", "").split()
        if not scopes:
            return bad("invalid_request - Missing parameters: scope")
        unknown = [s for s in scopes if s not in SCOPES]
        if unknown:
            return bad("invalid_scope - Invalid scope: " + " ".join(unknown))
        challenge = q.get("code_challenge")
        if challenge is None:
            return bad("invalid_request - Missing parameters: code_challenge")
        if not 43 <= len(challenge) <= 128:
            return bad("invalid_request - The code_challenge parameter length must be between 43 and 128")
        if not re.fullmatch(r"[A-Za-z0-9\-._~]+", challenge):
            return bad("invalid_request - Invalid code_challenge parameter value")
        if q.get("code_challenge_method") != "S256":
            return bad("invalid_request - Unsupported code_challenge_method")
        self.stats["authorizations"] += 1
        back = {"state": q["state"]} if "state" in q else {}
        if self.cfg["deny"]:
            back = {"error": "access_denied", **back}
            note = "denied"
        else:
            code = secrets.token_hex(20)
            self.codes[code] = {"redirect_uri": q.get("redirect_uri"),
                                "challenge": challenge, "client_id": q["client_id"],
                                "scope": self.grant_scope(scopes),
                                "expires_at": time.time() + CODE_LIFETIME}
            self.issued.append(code)
            back = {"code": code, **back}
            note = "approved"
        sep = "&" if "?" in redirect else "?"
        return 302, "", [("Location", redirect + sep + urlencode(back) + "#_=_")], note

    def token(self, method, path, body, headers):
        if method != "POST":
            return 405, error_body("request", "Method not allowed"), [], None
        auth = headers.get("Authorization", "")
        try:
            cid, _, secret = base64.b64decode(auth[6:], validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            cid = secret = None
        if not auth.startswith("Basic ") or cid is None:
            return 401, error_body("invalid_client", "Invalid authorization header format. " + DOC), [], "no client auth"
        if cid != self.cfg["client_id"] or secret != self.cfg["client_secret"]:
            return 401, error_body("invalid_client", "Invalid authorization header. Client id invalid. " + DOC), [], "bad client"
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if path == "/oauth2/revoke":
            tok = form.get("token")
            if tok in self.access or tok == self.refresh:
                self.access, self.refresh = {}, None
                self.save()
            return 200, {}, [], "revoke"
        grant = form.get("grant_type")
        if grant == "authorization_code":
            return self.exchange(form, cid)
        if grant == "refresh_token":
            self.stats["refresh_attempts"] += 1
            fail = self.refresh_failures
            if fail["count"] > 0:
                fail["count"] -= 1
                st = fail["status"]
                return st, error_body("request", "Server error, please retry.", str(st)), [], "injected"
            tok = form.get("refresh_token", "")
            if not tok or tok != self.refresh:
                return 400, error_body("invalid_grant", f"Refresh token invalid: {tok}. {DOC}"), [], "invalid_grant"
            self.stats["refreshes"] += 1
            return 200, self.issue(self.refresh_scope), [], "refreshed"
        return 400, error_body("unsupported_grant_type",
                               f"The grant_type value is invalid: {grant}. {DOC}"), [], None

    def exchange(self, form, cid):
        self.stats["code_exchanges"] += 1
        code = form.get("code", "")
        c = self.codes.pop(code, None)  # single use, even when it fails below
        if c is None or c["client_id"] != cid:
            return 400, error_body("invalid_grant", f"Authorization code invalid: {code} {DOC}"), [], "bad code"
        if time.time() > c["expires_at"]:
            return 400, error_body("invalid_grant", f"Authorization code expired: {code} {DOC}"), [], "expired code"
        if c["redirect_uri"] is not None and form.get("redirect_uri") != c["redirect_uri"]:
            return 400, error_body("invalid_request", "Redirect_uri mismatch: " + form.get("redirect_uri", "") + ". " + DOC), [], "redirect mismatch"
        verifier = form.get("code_verifier")
        if verifier is None:
            return 400, error_body("invalid_request", "Missing parameters: code_verifier. " + DOC), [], "no verifier"
        if not 43 <= len(verifier) <= 128 or s256(verifier) != c["challenge"]:
            return 400, error_body("invalid_grant", "Invalid code_verifier. " + DOC), [], "bad verifier"
        return 200, self.issue(c["scope"]), [], "exchanged"

    def api(self, method, user, rest, query, headers):
        if self.cfg["shutdown"]:
            body = {"error": {"code": 403, "message": "The caller does not have permission",
                              "status": "PERMISSION_DENIED"}}
            return 403, body, [("Server", "ESF")] + self.rate_headers(), "shutdown"
        auth = headers.get("Authorization", "")
        tok = auth[7:] if auth.startswith("Bearer ") else None
        entry = self.access.get(tok) if tok else None
        unauth = [("WWW-Authenticate", 'Bearer realm="api.fitbit.com"')] + self.rate_headers()
        if entry is None:
            msg = f"Access token invalid: {tok}. {DOC}" if tok else \
                "Authorization header required. " + DOC
            return 401, error_body("invalid_token", msg), unauth, "invalid_token"
        if time.time() >= entry["expires_at"]:
            return 401, error_body("expired_token", f"Access token expired: {tok}. {DOC}"), unauth, "expired_token"
        self.roll_window()
        if self.window_used >= self.cfg["rate_limit"]:
            self.stats["rate_limited"] += 1
            hdr = self.rate_headers()
            if self.cfg["retry_after"]:
                hdr.append(("Retry-After", [v for k, v in hdr if k.lower().endswith("reset")][0]))
            return 429, error_body("system", "Too Many Requests", "n/a"), hdr, "rate limited"
        self.window_used += 1
        hdr = self.rate_headers()
        for f in self.faults:
            if f["count"] != 0 and re.search(f["path"], "/" + rest):
                f["count"] -= 1 if f["count"] > 0 else 0
                self.stats["faults_injected"] += 1
                return f["status"], self.fault_body(f["status"]), hdr, "injected"
        for pat in self.forbid:
            if re.search(pat, "/" + rest):
                self.stats["faults_injected"] += 1
                return 403, self.fault_body(403), hdr, "injected"
        if user not in ("-", self.user_id()):
            return 403, self.fault_body(403), hdr, "other user"
        if method != "GET":
            return 405, error_body("request", "Method not allowed", "n/a"), hdr, None
        miles = headers.get("Accept-Language", "").strip().lower() == "en_us"
        status, body = self.route(rest, entry["scope"].split(), miles)
        return status, body, hdr, None

    def fault_body(self, status):
        if status == 403:
            return error_body("insufficient_permissions",
                              "API client is not authorized by Fitbit to access the resource requested. "
                              "Please visit https://dev.fitbit.com/docs/basics/#authorization for more information.")
        if status == 429:
            return error_body("system", "Too Many Requests", "n/a")
        return error_body("request", "An unexpected error occurred. Please try again later.", str(status))

    # -- API routes
    def route(self, rest, scopes, miles):
        routes = [
            (r"profile\.json", "profile", self.r_profile),
            (r"devices\.json", "settings", self.r_devices),
            (rf"activities/date/{DATE_RE}\.json", "activity", self.r_summary),
            (rf"activities/heart/date/{DATE_RE}/([^/]+)\.json", "heartrate", self.r_heart),
            (rf"activities/(tracker/)?(\w+)/date/{DATE_RE}/([^/]+)\.json", "activity", self.r_series),
        ]
        for pattern, scope, fn in routes:
            m = re.fullmatch(pattern, rest)
            if m is None:
                continue
            if scope not in scopes:
                return 403, error_body("insufficient_scope",
                                       f"This application does not have permission to access {scope} data. {DOC}")
            try:
                return fn(miles, *m.groups())
            except BadRequest as e:
                return e.status, error_body(e.etype, e.message, e.field)
        return 404, error_body("not_found", "The API you are requesting could not be found.", "n/a")

    def parse_date(self, s, field="date"):
        if s == "today":
            return self.today()
        try:
            return date.fromisoformat(s)
        except ValueError:
            raise BadRequest(400, "validation", f"Invalid date:{s}", field) from None

    def parse_range(self, start, end, cap):
        a = self.parse_date(start, "base-date")
        if end in PERIODS:
            return a - timedelta(days=PERIODS[end] - 1), a
        if end == "max":
            raise BadRequest(422, "validation", "The number of data points queried exceeds limit.", "n/a")
        if not re.fullmatch(DATE_RE, end):
            raise BadRequest(400, "validation", f"Invalid period:{end}", "period")
        b = self.parse_date(end, "end-date")
        if b < a:
            raise BadRequest(400, "validation",
                             f"Invalid date range: the end date {b} is before the start date {a}", "end-date")
        if (b - a).days + 1 > cap:
            raise BadRequest(400, "validation",
                             f"The date range is too long. The maximum range is {cap} days", "end-date")
        return a, b

    def r_profile(self, miles):
        n = self.local_now()
        return 200, {"user": {
            "encodedId": self.user_id(), "displayName": "Fake U.", "fullName": "Fake User",
            "timezone": self.cfg["timezone"],
            "offsetFromUTCMillis": int(n.utcoffset().total_seconds() * 1000),
            "memberSince": self.cfg["member_since"], "locale": "en_US",
            "distanceUnit": "en_US", "weightUnit": "en_US", "heightUnit": "en_US",
            "startDayOfWeek": "SUNDAY", "age": 38, "gender": "NA"}}

    def r_devices(self, miles):
        n = self.local_now() - timedelta(minutes=7)
        level = 20 + int(self.data_now() // 3600) % 80
        return 200, [{"battery": "High" if level > 60 else "Medium" if level > 25 else "Low",
                      "batteryLevel": level, "deviceVersion": "Charge 6", "features": [],
                      "id": "2900000001", "lastSyncTime": n.strftime("%Y-%m-%dT%H:%M:%S.000"),
                      "mac": "C0FFEE000001", "type": "TRACKER"}]

    def r_summary(self, miles, day):
        d = self.parse_date(day)
        v = self.day(d)
        has_data = v is not None
        if not has_data:  # an all-zero day
            v = dict(day_values(0, d, 0.0), calories_bmr=0, calories_out=0, rhr=None)
        dist = (lambda km: round(km / KM_PER_MILE, 2)) if miles else (lambda km: km)
        tracker = v["tracker_km"]
        very_km, moderate_km = round(tracker * 0.3, 2), round(tracker * 0.2, 2)
        summary = {
            "activeScore": -1, "activityCalories": v["activity_calories"],
            "caloriesBMR": v["calories_bmr"], "caloriesOut": v["calories_out"],
            "distances": [
                {"activity": "total", "distance": dist(v["total_km"])},
                {"activity": "tracker", "distance": dist(tracker)},
                {"activity": "loggedActivities", "distance": dist(v["logged_km"])},
                {"activity": "veryActive", "distance": dist(very_km)},
                {"activity": "moderatelyActive", "distance": dist(moderate_km)},
                {"activity": "lightlyActive",
                 "distance": dist(round(tracker - very_km - moderate_km, 2))},
                {"activity": "sedentaryActive", "distance": 0}],
            "fairlyActiveMinutes": v["fairly"], "lightlyActiveMinutes": v["lightly"],
            "marginalCalories": int(v["activity_calories"] * 0.6),
            "sedentaryMinutes": v["sedentary"], "steps": v["steps"],
            "veryActiveMinutes": v["very"], "useEstimation": True,
        }
        if self.cfg["altimeter"]:
            summary["floors"] = v["floors"]
            summary["elevation"] = round(v["elevation_m"] * FT_PER_M, 2) if miles else v["elevation_m"]
        if has_data:
            summary["heartRateZones"] = v["zones"]
        if v["rhr"] is not None:
            summary["restingHeartRate"] = v["rhr"]
        goals = {"activeMinutes": 30, "caloriesOut": 2500,
                 "distance": round(8.05 / KM_PER_MILE, 2) if miles else 8.05,
                 "floors": 10, "steps": 10000}
        return 200, {"activities": [], "goals": goals, "summary": summary}

    def r_series(self, miles, tracker, res, start, end):
        if res not in RESOURCES:
            return 404, error_body("not_found", "The API you are requesting could not be found.", "n/a")
        a, b = self.parse_range(start, end, SERIES_MAX_DAYS)
        key, unit = RESOURCES[res]
        if tracker and key == "total_km":
            key = "tracker_km"
        out = []
        d = a
        while d <= b:
            v = self.day(d)
            x = 0
            if v is not None and (self.cfg["altimeter"] or res not in ("floors", "elevation")):
                x = v[key]
                if miles and unit == "km":
                    x = round(x / KM_PER_MILE, 2)
                elif miles and unit == "m":
                    x = round(x * FT_PER_M, 2)
            out.append({"dateTime": d.isoformat(), "value": num(x)})
            d += timedelta(days=1)
        name = "activities-" + ("tracker-" if tracker else "") + res
        return 200, {name: out}

    def r_heart(self, miles, start, end):
        a, b = self.parse_range(start, end, HEART_MAX_DAYS)
        out = []
        d = a
        while d <= b:
            v = self.day(d)
            if v is not None:
                val = {"customHeartRateZones": [], "heartRateZones": v["zones"]}
                if v["rhr"] is not None:
                    val["restingHeartRate"] = v["rhr"]
                out.append({"dateTime": d.isoformat(), "value": val})
            d += timedelta(days=1)
        return 200, {"activities-heart": out}

    # -- control API (/_test/)
    def control(self, method, path, query, body):
        q = {k: v[0] for k, v in parse_qs(query).items()}
        if method == "GET" and path == "/_test/truth":
            try:
                return 200, self.truth(self.parse_date(q.get("date", "today")))
            except BadRequest as e:
                return 400, {"error": e.message}
        if method == "GET" and path == "/_test/requests":
            since = int(q.get("since", 0))
            return 200, {"requests": [r for r in self.log if r["seq"] > since]}
        if method == "GET" and path == "/_test/stats":
            self.roll_window()
            return 200, dict(self.stats, refresh_token=self.refresh,
                             window_used=self.window_used,
                             window_remaining=max(0, self.cfg["rate_limit"] - self.window_used))
        if method == "GET" and path == "/_test/tokens":
            now = time.time()
            valid = {t: e for t, e in self.access.items() if e["expires_at"] > now}
            return 200, {"access_tokens": sorted(valid), "refresh_token": self.refresh,
                         "expires_at": {t: e["expires_at"] for t, e in valid.items()},
                         "issued": list(self.issued)}
        if method == "POST" and path == "/_test/tokens":
            req = json.loads(body or b"{}")
            scope = req.get("scope", " ".join(sorted(SCOPES)))
            return 200, self.issue(self.grant_scope(scope.split()))
        if method == "GET" and path == "/_test/config":
            return 200, self.config_view()
        if method == "POST" and path == "/_test/config":
            try:
                self.configure(json.loads(body or b"{}"))
            except (ValueError, KeyError, TypeError) as e:
                return 400, {"error": str(e.args[0] if e.args else e)}
            return 200, self.config_view()
        if method == "POST" and path == "/_test/reset":
            self.reset()
            return 200, self.config_view()
        return 404, {"error": f"no control route {method} {path}"}

    def config_view(self):
        v = dict(self.cfg, faults=self.faults, forbid=self.forbid,
                 refresh_failures=self.refresh_failures)
        v["now_iso"] = self.local_now().isoformat()
        return v

    def configure(self, req):
        """Options are set, actions are done, in one request."""
        for key, val in req.items():
            if key in INT_KEYS:
                self.cfg[key] = int(val)
                if key == "rate_window" and self.cfg[key] <= 0:
                    raise ValueError("rate_window must be positive")
            elif key in BOOL_KEYS:
                self.cfg[key] = bool(val)
            elif key == "now":
                self.cfg["now"] = parse_now(val, self.cfg["timezone"])
            elif key == "timezone":
                ZoneInfo(val)
                self.cfg[key] = val
            elif key == "member_since":
                self.cfg[key] = date.fromisoformat(val).isoformat()
            elif key == "scopes":
                self.cfg[key] = None if val is None else list(val)
            elif key in ("client_id", "client_secret", "redirect_uri"):
                self.cfg[key] = val
            elif key == "header_case":
                if val not in ("mixed", "canonical", "lower", "first"):
                    raise ValueError("header_case: mixed, canonical, lower or first")
                self.cfg[key] = val
            elif key == "latency_mode":
                if val not in ("before", "after"):
                    raise ValueError("latency_mode: before or after")
                self.cfg[key] = val
            elif key in ("fault", "faults"):
                for f in ([val] if key == "fault" else val):
                    re.compile(f["path"])
                    self.faults.append({"path": f["path"], "status": int(f.get("status", 500)),
                                        "count": int(f.get("count", 1))})
            elif key == "clear_faults":
                self.faults, self.forbid = [], []
            elif key == "forbid":
                for p in val:
                    re.compile(p)
                self.forbid = list(val)
            elif key == "refresh_failures":
                val = {"count": val} if isinstance(val, int) else val
                self.refresh_failures = {"count": int(val["count"]),
                                         "status": int(val.get("status", 503))}
            elif key == "expire_access_token":
                for e in self.access.values():
                    e["expires_at"] = time.time() - 1
                self.save()
            elif key == "revoke_all":
                self.access, self.refresh = {}, None
                self.save()
            elif key == "rate_used":
                self.roll_window()
                self.window_used = int(val)
            else:
                raise KeyError(f"unknown key '{key}'")




class BadRequest(Exception):
    def __init__(self, status, etype, message, field=None):
        super().__init__(message)
        self.status, self.etype, self.message, self.field = status, etype, message, field





class Handler(JsonHandler):
    default_server = "fake-fitbit"
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
        after = fake.cfg["latency_mode"] == "after"
        if delay and not after:
            time.sleep(delay)
            if self.client_gone():
                with fake.lock:
                    fake.record(self.log_entry(method, url, 499, "client gone", None))
                self.close_connection = True
                return
        with fake.lock:
            status, payload, headers, note = fake.dispatch(
                method, url.path, url.query, body, self.headers)
            form = parse_qs(body.decode("utf-8", "replace")) if url.path == "/oauth2/token" else {}
            fake.record(self.log_entry(method, url, status, note, form.get("grant_type", [None])[0],
                                       payload))
        if delay and after:
            time.sleep(delay)
        self.reply(status, payload, headers)

    def log_entry(self, method, url, status, note, grant, payload=None):
        auth = self.headers.get("Authorization")
        hdrs = {k: (v.split(" ")[0] if k.lower() == "authorization" else v)
                for k, v in self.headers.items()}
        etype = None
        if isinstance(payload, dict) and payload.get("errors"):
            etype = payload["errors"][0].get("errorType")
        return {"time": time.time(), "method": method, "path": url.path,
                "query": url.query, "authorization": auth.split(" ")[0] if auth else None,
                "accept_language": self.headers.get("Accept-Language"),
                "user_agent": self.headers.get("User-Agent"), "headers": hdrs,
                "status": status, "error_type": etype, "grant_type": grant, "note": note}




def main(argv=None):
    p = argparse.ArgumentParser(description="Fake legacy Fitbit Web API + OAuth2 (127.0.0.1 only)")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--client-id", default=DEFAULTS["client_id"])
    p.add_argument("--client-secret", default=DEFAULTS["client_secret"])
    p.add_argument("--member-since", help="YYYY-MM-DD; default: two years before today")
    p.add_argument("--timezone", default=DEFAULTS["timezone"])
    p.add_argument("--token-lifetime", type=int, default=DEFAULTS["token_lifetime"])
    p.add_argument("--rate-limit", type=int, default=DEFAULTS["rate_limit"])
    p.add_argument("--rate-window", type=int, default=DEFAULTS["rate_window"])
    p.add_argument("--seed", type=int, default=DEFAULTS["seed"])
    p.add_argument("--latency-ms", type=int, default=DEFAULTS["latency_ms"])
    p.add_argument("--now", help="freeze the data clock: ISO 8601 or epoch seconds")
    p.add_argument("--retry-after", action="store_true", help="send Retry-After on 429")
    p.add_argument("--redirect-uri", help="the one registered redirect URI (optional)")
    p.add_argument("--state-file", help="keep tokens across restarts of the fake")
    a = p.parse_args(argv)
    opts = dict(DEFAULTS)
    ZoneInfo(a.timezone)
    opts.update(client_id=a.client_id, client_secret=a.client_secret,
                member_since=date.fromisoformat(a.member_since).isoformat() if a.member_since else None,
                timezone=a.timezone, token_lifetime=a.token_lifetime,
                rate_limit=a.rate_limit, rate_window=max(1, a.rate_window), seed=a.seed,
                latency_ms=a.latency_ms, now=parse_now(a.now, a.timezone),
                retry_after=a.retry_after, redirect_uri=a.redirect_uri)
    serve(Handler, Fake(opts, a.state_file), a.port, a.port_file, "fake_fitbit")


if __name__ == "__main__":
    main()
