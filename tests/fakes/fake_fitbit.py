#!/usr/bin/env python3
"""A local fake of the legacy Fitbit Web API and Fitbit OAuth 2.0, for tests.

Built from the documented shapes in shared/research/fitbit.md, never from what
SyncBit sends. Standard library only; binds 127.0.0.1 (--bind: another
address, for a run in a container). The data generators
it shares with fake_google.py (seeded streams, sleep stage segments, minute
curves, weighing times) are in fakecore.py; their guesses are listed below.

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
  Units: metric unless Accept-Language is en_US (miles, feet, pounds, degF).
- GET /1/user/-/activities/list.json (activity scope; research B.3): exactly
  one of beforeDate (sort=desc) and afterDate (sort=asc), limit 1..100,
  offset; {"activities": [...], "pagination": {afterDate|beforeDate, limit,
  next, offset, previous, sort}}; entries {activityName, activityTypeId,
  logId, logType, startTime and originalStartTime (local with offset),
  activeDuration, duration, originalDuration (ms), calories,
  averageHeartRate, steps, distance + distanceUnit, elevationGain,
  activeZoneMinutes{totalMinutes, minutesInHeartRateZones}, heartRateZones
  [{name, min, max, minutes}], lastModified, tcxLink}.
- GET /1/user/-/activities/{logId}.tcx (Get Activity TCX; scopes activity
  and location, 403 insufficient_scope without either; counted against the
  150/window budget): the session's route as a TCX document
  (application/vnd.garmin.tcx+xml, the type the reference's Accept names);
  includePartialTCX=true "includes the TCX points when the GPS data is not
  available". The document's layout follows public Fitbit exports
  (faketcx.py): times local with their offset and milliseconds, Lap
  Intensity Active, TriggerMethod Manual, a Creator Device_t after the laps.
- Intraday, one day (24 h) per request: activities/{heart|steps}/date/{d}/
  {1d|d}/{detail}[/time/HH:mm/HH:mm].json (heart: heartrate scope, detail
  1sec|1min|5min|15min; steps: activity scope, 1min|5min|15min): the daily
  summary member ("activities-heart" value with customHeartRateZones,
  heartRateZones, restingHeartRate; "activities-steps" value a string) and
  "activities-{heart|steps}-intraday": {"dataset":[{"time":"HH:MM:SS",
  "value":int}],"datasetInterval":1|5|15,"datasetType":"minute"|"second"};
  1sec heart data irregular (a few samples per measured minute); heart-rate
  minutes missing (2-5 % in 1-12 minute gaps, none on an unworn day);
  ?timezone=UTC makes the date a UTC day with UTC times, else the user's
  local day and wall-clock times. An app without intraday access: the
  -intraday member absent (fitbit-grafana#7) or 403 insufficient_permissions
  "API client is not authorized by Fitbit ..." (fitbit-grafana#4,
  fitbit-node#16), the "intraday" control option.
- /1.2/user/-/sleep/date/{start}/{end}.json (sleep, 100 days): {"sleep":[log],
  "summary":{totalMinutesAsleep,totalSleepRecords,totalTimeInBed}}, each log
  with dateOfSleep = the date it ended (wake date), duration (ms),
  efficiency, startTime/endTime and levels.data[].dateTime local
  "YYYY-MM-DDTHH:MM:SS.000" (wall clock, also across DST), infoCode,
  isMainSleep, logId, logType, minutesAsleep/Awake/AfterWakeup/ToFallAsleep,
  timeInBed, type "stages" (levels deep/light/rem/wake, summary with count,
  minutes, thirtyDayAvgMinutes, shortData wakes) or "classic"
  (asleep/restless/awake); infoCode 0 ok, 1 insufficient heart rate, 2 sleep
  shorter than 3 h.
- spo2/date/{start}/{end}.json (oxygen_saturation): a top-level array
  [{"dateTime","value":{"avg","min","max"}}]; hrv (heartrate, 30 days)
  {"hrv":[{"value":{"dailyRmssd","deepRmssd"},"dateTime"}]}; br
  (respiratory_rate, 30 days) {"br":[{"value":{"breathingRate"},"dateTime"}]};
  temp/skin (temperature, 30 days) {"tempSkin":[{"dateTime","value":
  {"nightlyRelative"}}]} only dates with data, degC (degF delta for en_US);
  cardioscore (cardio_fitness, 30 days) {"cardioScore":[{"dateTime","value":
  {"vo2Max":"46"|"44-48"}}]}, never converted; all of them belong to the
  wake date, days without a value left out, HRV/SpO2 fields sometimes null.
- activities/active-zone-minutes/date/{start}/{end}.json (activity, 1095
  days): {"activities-active-zone-minutes":[{"dateTime","value":
  {"activeZoneMinutes","fatBurnActiveZoneMinutes","cardioActiveZoneMinutes",
  "peakActiveZoneMinutes"}}]}, cardio and peak minutes counting double.
- body/log/weight/date/{start}/{end}.json (weight, 31 days) {"weight":[{"bmi",
  "date","logId","source","time","weight"}]} in kg (pounds for en_US), a log
  without a time at "23:59:59"; body/log/fat/date/{start}/{end}.json (weight,
  30 days) {"fat":[{"date","fat","logId","source","time"}]}.
- devices.json: an array of {battery High|Medium|Low|Empty, batteryLevel,
  deviceVersion, features, id, lastSyncTime local "YYYY-MM-DDTHH:MM:SS.000",
  mac, type TRACKER|SCALE}: a "Charge 6" tracker and an "Aria Air" scale.
- Data only after a sync ("sync_lag_s"): today is partial; wake-date values
  (sleep, SpO2, HRV, breathing rate, skin temperature, VO2 max) appear once
  the night's main sleep ended.
- A range larger than an endpoint's maximum -> 400 validation; a scope not
  granted -> 403 insufficient_scope; every endpoint counts against the
  150/window budget.
- Error bodies {"errors":[{"errorType","fieldName","message"}],"success":false};
  the Google-style 403 PERMISSION_DENIED body for a shut-down service.

What it models WITHOUT proof (our guesses, not in any source we read):
- exact wording of most error messages (range too large, bad date, invalid
  code/verifier, 404, 405, invalid_client, insufficient_scope, intraday
  detail/time/timezone);
- the 30-day caps of hrv, br and cardioscore (origox's table and
  fitbit-grafana's 28-day chunks only, not on dev.fitbit.com);
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
- today's values grow linearly with the local time of day (the daily
  values; the minute steps follow their own curve, so today's minutes need
  not add up to today's partial total; complete days do add up);
- the shut-down mode also covers profile/devices, but not /oauth2/*;
- an abandoned request (client gone during --latency-ms) is never processed;
- intraday: a minute is served once it is complete at the last sync;
  steps on every minute of a worn day (0 while still or asleep), an unworn
  day's steps all 0 and no heart rate, days before memberSince or after the
  last sync empty; heart rate lower asleep and higher in walks, not tied to
  the day's heartRateZones minutes; 5/15-minute buckets are the mean (heart,
  rounded) or sum (steps) of their served minutes, aligned to the clock of
  the answer; the /time/ window inclusive of its end minute and at most
  24 h, spanning two dates only with /time/; detail 1sec for steps and any
  timezone other than UTC -> 400; with timezone=UTC the "activities-steps"
  value is the UTC day's sum of minutes and the "activities-heart" entry the
  local day's; an intraday 403 is checked before any validation; "today"
  with timezone=UTC is the UTC date; 1sec samples every 5 s, 1-4 per
  measured minute, within +-1 bpm of the minute;
- DST fall-back in local (not UTC) intraday data: the repeated hour appears
  twice in time order, with the same "time" strings (01:00:00..01:59:00 in US
  zones, 02:00:00..02:59:00 in Europe/Berlin; 1500 minutes), a spring-forward
  day has 1380 and no skipped-hour times;
- sleep: a main sleep on ~93% of the nights between two worn days (bedtime
  21:30-00:30, time in bed = the day's sleep minutes), "stages" ~95% of
  them, an afternoon "classic" nap on ~12% of the days; levels in whole
  minutes, contiguous, covering startTime..endTime; summary minutes from
  levels.data only (shortData wakes of 30-90 s not subtracted),
  minutesAsleep = deep+light+rem (classic: asleep), minutesAwake = the rest,
  minutesToFallAsleep = minutesAfterWakeup = 0, efficiency = round(100 *
  asleep / in bed); summary counts every log of the range; logs newest
  first; a log is served once it ended by the last sync (none in progress);
  sleep only under /1.2 (404 under /1); infoCode 0 for "stages", 1 for a
  "classic" main sleep, 2 for a nap; thirtyDayAvgMinutes on all four stages
  (a fixed personal value); logType always "auto_detected";
- nightly values exist only for a wake date whose main sleep is served, each
  missing on ~10% of nights (VO2 max ~15%); SpO2 all-null on ~4% of its
  entries; deepRmssd null after a classic night and on ~6% of nights; VO2
  max a range "c-2-c+2" on ~65% of nights, else an integer string; skin
  temperature 3 decimals; SpO2 range cap 1095 days (none is documented);
- AZM = fat burn zone minutes + 2 x cardio + 2 x peak of the day (as served,
  partial today); a day whose AZM is 0 is left out, members that are 0 are
  omitted, activeZoneMinutes always present;
- the scale: weighings on ~1 day in 4 (06:15-08:45, ~20% also 19:00-22:30),
  ~10% of them manual logs (source "API", time "23:59:59", no fat), body fat
  with ~85% of the others; served once weighed/entered by the data clock's
  now (the scale syncs by itself: not delayed by sync_lag_s); logId = the
  weighing's epoch milliseconds, the same for weight and fat; BMI from a
  fixed 1.78 m height; en_GB (stone) not modelled (kg);
- devices: the tracker's lastSyncTime = the last sync (data clock's now
  minus sync_lag_s), batteryLevel 20-99 changing hourly; the scale's
  lastSyncTime = its last Aria weighing (the scale is left out when it has
  none in 120 days); "dup_devices" adds an old Charge 6 (id ...4821, battery
  8, synced 3 days earlier);
- late data ("sync_lag_s", default 0): days, minutes, sleep and nightly
  values are served as of the last sync (a day ending after it is partial,
  one starting after it has no data).

Workouts, WITHOUT proof (the research names the endpoint and its
parameters, not its answer; the shape follows Fitbit's reference page as
remembered): afterDate/beforeDate compared strictly with the local start
(a date alone is its midnight); next/previous are absolute api.fitbit.com
URLs, "" at the ends, whose offset=N is the only non-zero offset a client
sends (the reference: "offset Supported: 0", paginate by the links): the
fake accepts any offset; the sessions of fakecore.exercise_sessions (0-2 a
day, a same-second pair every 5th day, an edited one every 4th day:
originalStartTime 30 min before startTime, originalDuration shorter,
logType manual, lastModified 3 h after the end; a DST-day session at
02:30 CET / 03:30 CEST), served once ended by the last sync; the session
the user is in (started 10 minutes before the last sync) listed without
duration, activeDuration and totals; calories whole kcal; elevationGain in
metres and distance in km (miles with Accept-Language en_US); activityName
Run, Walk, Outdoor Bike, Swim, Weights, Yoga, HIIT, Treadmill, Tennis;
GET /_test/exercise?start=D&end=D lists every served session's expected
samples (ts_ms, activity, values, zones) by README's activity table and
collision rule.

Routes, WITHOUT proof: tcxLink on the fake's own base (the request's Host)
so a client can follow it, "/1/user/-/activities/{logId}.tcx" (the real
link is https://api.fitbit.com/1/user/-/activities/{logId}.tcx, as in
tests/fixtures/fitbit_exercise.json; the "tcx_link_base" control, e.g.
"https://api.fitbit.com", serves another base; pagination.next keeps
api.fitbit.com); no tcxLink on the session the user is in, and 404
not_found (our wording) for it and for an unknown logId; 400 validation for
an includePartialTCX other than true/false; the location scope checked
after the activity scope; the route's guesses are faketcx.py's (a point
every 5 s from start to end, one or two laps, a pause between two laps, GPS
only for Run/Walk/Outdoor Bike with no position for its first 0-4 points,
positions within a few km of Berlin, indoor kinds with time, distance and
heart rate only); hostile documents (the "tcx_fault" control) replace the
body of what would be a 200 answer (after auth, budget and scopes; counted
in faults_injected).

Control API (not part of Fitbit's): GET /_test/truth?date=D (the values
served now, SPEC metric names), GET /_test/series?metric=M&start_ms&end_ms
(fitbit_heart_rate_bpm, fitbit_intraday_steps, fitbit_sleep_stage_level;
[[ts_ms, value]], start inclusive, end exclusive), GET /_test/devices,
GET /_test/exercise?start=D&end=D, GET /_test/route?id=LOGID (a session's
full route, no scope or partial rule applied: faketcx.truth()),
GET|POST /_test/config (route keys: "tcx_fault": {"kind": huge|huge_length|
deep|badcoords|entities|notxml|empty|truncated, "id": logId (default: any),
"count": N (default 1; -1 = always: the default with an id)}, "tcx_faults":
[...], cleared by "clear_faults"; "tcx_link_base": null or "scheme://host"),
POST /_test/tokens, GET /_test/tokens, GET /_test/requests, GET /_test/stats,
POST /_test/reset.
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
from collections import OrderedDict
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import faketcx
from fakecore import (EXERCISE_KINDS, DataClock, JsonHandler, RawBody, RequestLog, activity_weights,
                      asleep_mask, exercise_answer, body_fat_center, cumulative_steps, heart_gaps, heart_walk, midnight,
                      parse_now, rng_for, seasonal, seed_unit, serve, stage_segments,
                      vo2_center, weigh_times)

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
SLEEP_MAX_DAYS = 100
SPO2_MAX_DAYS = 1095       # no limit documented: our choice
NIGHT_MAX_DAYS = 30        # hrv, br, temp/skin, cardioscore
AZM_MAX_DAYS = 1095
WEIGHT_MAX_DAYS = 31
FAT_MAX_DAYS = 30
DETAILS = {"1sec": 1, "1min": 1, "5min": 5, "15min": 15}
LB_PER_KG = 2.20462262
HEIGHT_M = 1.78
INTRADAY_MODES = ("on", "absent", "forbidden")
# the 403 body of an app without intraday access (lukasolson/fitbit-node#16,
# arpanghosh8453/fitbit-grafana#4)
NOT_AUTHORIZED = ("API client is not authorized by Fitbit to access the resource requested. "
                  "Visit https://dev.fitbit.com/docs/oauth2 for more information on the "
                  "Fitbit Web API authorization process.")
STAGE_LEVEL = {"deep": 0, "light": 1, "rem": 2, "wake": 3}
SERIES = ("fitbit_heart_rate_bpm", "fitbit_intraday_steps", "fitbit_sleep_stage_level")
JSON_CT = "application/json;charset=UTF-8"

DEFAULTS = {
    "client_id": "fake-client-id", "client_secret": "fake-client-secret",
    "member_since": None, "timezone": "Europe/Berlin", "token_lifetime": 28800,
    "rate_limit": 150, "rate_window": 3600, "seed": 1, "latency_ms": 0,
    "latency_mode": "before", "now": None, "retry_after": False, "deny": False,
    "altimeter": True, "scopes": None, "header_case": "mixed",
    "shutdown": False, "redirect_uri": None, "intraday": "on", "sync_lag_s": 0,
    "dup_devices": False, "tcx_link_base": None,
}
INT_KEYS = {"token_lifetime", "rate_limit", "rate_window", "seed", "latency_ms", "sync_lag_s"}
BOOL_KEYS = {"retry_after", "deny", "altimeter", "shutdown", "dup_devices"}


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
    rng = rng_for(seed, d)
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


# ----------------------------------------- helpers for the nightly, minute and scale data

def local_iso(ts, tz):
    """Epoch seconds -> Fitbit's offset-less local "YYYY-MM-DDTHH:MM:SS.000"."""
    return datetime.fromtimestamp(int(ts), tz).strftime("%Y-%m-%dT%H:%M:%S.000")


EXERCISE_ZONES = ("out_of_range", "fat_burn", "cardio", "peak")
ZONE_NAMES = ("Out of Range", "Fat Burn", "Cardio", "Peak")
MI_PER_KM = 0.621371


def offset_iso(ts, tz):
    """Epoch seconds -> "YYYY-MM-DDTHH:MM:SS.000+01:00" (local, with offset)."""
    t = datetime.fromtimestamp(int(ts), tz)
    return t.strftime("%Y-%m-%dT%H:%M:%S.000") + t.strftime("%z")[:3] + ":" + t.strftime("%z")[3:]


def activity_log(x, tz, miles, link_base):
    """One activities/list.json entry (the documented Get Activity Log List
    fields); the open workout lacks duration, activeDuration and totals
    (and tcxLink). link_base: the scheme and host of tcxLink."""
    e = {"activityName": EXERCISE_KINDS[x["kind"]][1], "logId": x["id"],
         "activityTypeId": 90000 + sorted(EXERCISE_KINDS).index(x["kind"]),
         "logType": "tracker", "startTime": offset_iso(x["start"], tz),
         "originalStartTime": offset_iso(x["start"], tz)}
    if x.get("open"):
        return e
    e.update(activeDuration=x["active_s"] * 1000, duration=(x["end"] - x["start"]) * 1000,
             originalDuration=(x["end"] - x["start"]) * 1000, calories=round(x["kcal"]),
             averageHeartRate=x["hr"], hasActiveZoneMinutes=True,
             activeZoneMinutes={"totalMinutes": x["azm"], "minutesInHeartRateZones": [
                 {"minuteMultiplier": m, "minutes": z, "order": i, "type": t, "zoneName": n}
                 for i, (m, z, t, n) in enumerate(zip(
                     (0, 1, 2, 2), x["zones"], ("OUT_OF_ZONE", "FAT_BURN", "CARDIO", "PEAK"),
                     ZONE_NAMES))]},
             heartRateZones=[{"name": n, "minutes": z, "min": lo, "max": hi}
                             for n, z, lo, hi in zip(ZONE_NAMES, x["zones"], (30, 111, 134, 164),
                                                     (111, 134, 164, 220))],
             lastModified=datetime.fromtimestamp(x["end"] + (3 * 3600 if x["edited"] else 5),
                                                 timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
             tcxLink=f"{link_base}/1/user/-/activities/{x['id']}.tcx")
    if x["edited"]:
        e.update(originalStartTime=offset_iso(x["orig_start"], tz),
                 originalDuration=x["orig_active_s"] * 1000, logType="manual")
    if "dist_m" in x:
        km = x["dist_m"] / 1000
        e.update(distance=km * MI_PER_KM if miles else km,
                 distanceUnit="Mile" if miles else "Kilometer")
    if "steps" in x:
        e["steps"] = x["steps"]
    if "elev_m" in x:
        e["elevationGain"] = x["elev_m"]
    return e


def battery_word(level):
    return "High" if level > 60 else "Medium" if level > 25 else "Low" if level > 5 else "Empty"


# --------------------------------------------------------------------- sleep

def make_sleep(rng, seed, d, start, minutes, kind, main):
    """One complete sleep log (internal form): levels.data as (level, start
    epoch s, seconds), short wakes, per-level (minutes, count)."""
    segs, t = [], start
    for level, m in stage_segments(rng, minutes, kind == "stages"):
        segs.append((level, t, 60 * m))
        t += 60 * m
    summary = {}
    for level, _, sec in segs:
        mm, c = summary.get(level, (0, 0))
        summary[level] = (mm + sec // 60, c + 1)
    short = []
    if kind == "stages":
        for level, a, sec in segs:
            if level == "light" and sec >= 600 and rng.random() < 0.35:
                short.append((a + 60 * rng.randint(2, sec // 60 - 3), 30 * rng.randint(1, 3)))
    asleep = sum(summary.get(x, (0, 0))[0] for x in
                 (("deep", "light", "rem") if kind == "stages" else ("asleep",)))
    return {"date": d, "start": start, "end": t, "minutes": minutes, "type": kind,
            "main": main, "segs": segs, "short": short, "summary": summary,
            "asleep": asleep, "awake": minutes - asleep,
            "efficiency": round(100 * asleep / minutes),
            "avg30": [int(lo + (hi - lo) * seed_unit(seed, "avg30-" + lv))
                      for lv, lo, hi in (("deep", 60, 100), ("light", 200, 260),
                                         ("rem", 70, 110), ("wake", 40, 65))],
            "info": 0 if kind == "stages" else (2 if minutes < 180 else 1),
            "log_id": 30000000000 + int.from_bytes(hashlib.sha256(
                f"{seed}:{d}:{start}:{kind}".encode()).digest()[:4], "big")}


def sleep_logs(seed, d, tz):
    """Every sleep of wake day d (its local end date), oldest first, complete.
    A main sleep (bedtime 21:30-00:30, time in bed = full_day's sleep) on ~93%
    of the nights between two worn days, "stages" on ~95% of them; an
    afternoon nap ("classic", 20-100 min) on ~12% of the days."""
    f, prev = full_day(seed, d), full_day(seed, d - timedelta(days=1))
    rng = rng_for(seed, d, "sleep")
    m0 = midnight(d, tz)
    out = []
    has_main, bed = rng.random() >= 0.07, rng.randint(-150, 30)
    stages = rng.random() >= 0.05
    if has_main and f["worn"] and prev["worn"]:
        in_bed = 1440 - f["sedentary"] - f["lightly"] - f["fairly"] - f["very"]
        out.append(make_sleep(rng, seed, d, m0 + 60 * bed, in_bed,
                              "stages" if stages else "classic", True))
    has_nap, nap_at, nap_len = rng.random() < 0.12, rng.randint(13 * 60, 16 * 60 + 30), rng.randint(20, 100)
    if has_nap and f["worn"]:
        out.append(make_sleep(rng, seed, d, m0 + 60 * nap_at, nap_len, "classic", False))
    return out


def sleep_json(s, tz):
    """A sleep log as GET /1.2/user/-/sleep/date/... serves it."""
    data = [{"dateTime": local_iso(a, tz), "level": level, "seconds": sec}
            for level, a, sec in s["segs"]]
    summ = s["summary"]
    if s["type"] == "stages":
        levels = ("deep", "light", "rem", "wake")
        summary = {lv: {"count": summ.get(lv, (0, 0))[1], "minutes": summ.get(lv, (0, 0))[0],
                        "thirtyDayAvgMinutes": s["avg30"][i]} for i, lv in enumerate(levels)}
        short = [{"dateTime": local_iso(a, tz), "level": "wake", "seconds": sec}
                 for a, sec in s["short"]]
    else:
        summary = {lv: {"count": summ.get(lv, (0, 0))[1], "minutes": summ.get(lv, (0, 0))[0]}
                   for lv in ("asleep", "restless", "awake")}
        short = []
    return {"dateOfSleep": s["date"].isoformat(), "duration": s["minutes"] * 60000,
            "efficiency": s["efficiency"], "endTime": local_iso(s["end"], tz),
            "infoCode": s["info"], "isMainSleep": s["main"],
            "levels": {"data": data, "shortData": short, "summary": summary},
            "logId": s["log_id"], "logType": "auto_detected", "minutesAfterWakeup": 0,
            "minutesAsleep": s["asleep"], "minutesAwake": s["awake"], "minutesToFallAsleep": 0,
            "startTime": local_iso(s["start"], tz), "timeInBed": s["minutes"], "type": s["type"]}


# ------------------------------------------------------------- minute data

class MinuteDay:
    """One local day of minute data, complete (the sync cut is applied when
    served): t0 (epoch s of local midnight), n minutes, heart rate per minute
    (int bpm or None = not measured) and steps per minute (int)."""
    __slots__ = ("t0", "n", "hr", "steps")


def build_minutes(seed, d, tz):
    """The minute heart rate and steps of day d. Steps follow an activity
    curve (none asleep, walks in bursts) and add up to the day's total;
    heart rate follows sleep and activity, with 2-5 % of the minutes missing
    in 1-12 minute gaps. An unworn day: no heart rate, steps all 0."""
    f = full_day(seed, d)
    md = MinuteDay()
    md.t0 = t0 = midnight(d, tz)
    md.n = n = (midnight(d + timedelta(days=1), tz) - t0) // 60
    if not f["worn"]:
        md.hr, md.steps = [None] * n, [0] * n
        return md
    rng = rng_for(seed, d, "minutes")
    asleep = asleep_mask(sleep_logs(seed, d, tz) + sleep_logs(seed, d + timedelta(days=1), tz),
                         t0, n)
    weight = activity_weights(rng, asleep)
    cum = cumulative_steps(f["steps"], weight, sum(weight) or 1.0)
    md.steps = [cum[i + 1] - cum[i] for i in range(n)]
    hr = [int(round(x)) for x in heart_walk(rng, f["rhr"] or 60, asleep, weight)]
    gone = heart_gaps(rng, n)
    md.hr = [None if gone[i] else h for i, h in enumerate(hr)]
    return md


# ------------------------------------------------ nightly values (wake day)

def nightly(seed, d, main):
    """SpO2, HRV, breathing rate, skin temperature and VO2 max of wake day d,
    from its main sleep: {"spo2": {avg,min,max}, "hrv": {dailyRmssd,
    deepRmssd}, "br": float, "temp": float (degC), "vo2": str}; each missing
    on some nights, some fields null."""
    rng = rng_for(seed, d, "night")
    out = {}
    has = [rng.random() for _ in range(5)]
    avg = round(rng.uniform(93.0, 98.5), 1)
    lo, hi = round(avg - rng.uniform(1.5, 4.5), 1), round(min(100.0, avg + rng.uniform(0.8, 2.0)), 1)
    if has[0] < 0.9:
        out["spo2"] = ({"avg": None, "min": None, "max": None} if rng.random() < 0.04
                       else {"avg": avg, "min": lo, "max": hi})
    daily = round(rng.uniform(20, 70), 2)
    deep = round(daily * rng.uniform(1.05, 1.35), 2)
    no_deep = rng.random() < 0.06
    if has[1] < 0.9:
        out["hrv"] = {"dailyRmssd": daily,
                      "deepRmssd": None if no_deep or main["type"] != "stages" else deep}
    br = round(rng.uniform(12, 18), 1)
    if has[2] < 0.9:
        out["br"] = br
    temp = round(seasonal(d, 0.15, 97) + rng.gauss(0, 0.35), 3)
    if has[3] < 0.9:
        out["temp"] = temp
    center = vo2_center(seed_unit(seed, "vo2"), d)
    exact = rng.random() < 0.35
    if has[4] < 0.85:
        c = int(round(center + rng.gauss(0, 0.3)))
        out["vo2"] = str(c) if exact else f"{c - 2}-{c + 2}"
    return out


def vo2_value(s):
    """"46" -> 46.0, "44-48" -> 46.0 (the midpoint)."""
    lo, _, hi = s.partition("-")
    return (float(lo) + float(hi)) / 2 if hi else float(lo)


# ------------------------------------------------------------------- scale

def weighings(seed, d, tz):
    """The weight logs of day d, in time order: [{"at" (epoch s when it is
    known to the API), "time" "HH:MM:SS", "kg", "fat" (or None), "source",
    "log_id"}]. On ~1 day in 4 an Aria Air weighing in the morning, ~20% of
    those days a second one in the evening; ~10% of the weighings are manual
    logs instead (source "API", no time -> "23:59:59", no body fat)."""
    rng = rng_for(seed, d, "scale")
    times = weigh_times(rng, d, tz)
    if not times:
        return []
    base = 62 + 25 * seed_unit(seed, "weight") + seasonal(d, 1.5, 180)
    fat0 = body_fat_center(seed_unit(seed, "fat"), d)
    out = []
    for i, t in enumerate(times):
        kg = round(base + rng.gauss(0, 0.35) + 0.6 * i, 2)
        fat = round(fat0 + rng.gauss(0, 0.4), 1)
        manual, with_fat = rng.random() < 0.1, rng.random() < 0.85
        w = {"at": t, "kg": kg, "log_id": t * 1000}
        if manual:
            w.update(time="23:59:59", fat=None, source="API")
        else:
            w.update(time=datetime.fromtimestamp(t, tz).strftime("%H:%M:%S"),
                     fat=fat if with_fat else None, source="Aria")
        out.append(w)
    return sorted(out, key=lambda w: (w["time"], w["log_id"]))


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
        self.tcx_faults = []      # {"kind", "id", "count"}: hostile TCX documents
        self.refresh_failures = {"count": 0, "status": 503}
        self.log = []
        self.seq = 0
        self.stats = {"requests": 0, "api_requests": 0, "oauth_requests": 0,
                      "authorizations": 0, "code_exchanges": 0,
                      "refresh_attempts": 0, "refreshes": 0, "rate_limited": 0,
                      "faults_injected": 0, "by_status": {}, "by_endpoint": {}}
        self.window_start = 0
        self.window_used = 0
        self.minute_cache = OrderedDict()   # (seed, day, zone) -> MinuteDay
        self.query = {}                     # the query of the API request being answered
        self.last_endpoint = None           # its route, for the request log
        self.version = "1"                  # its API version: 1 or 1.2
        self.scopes = []                    # its token's scopes
        self.host = None                    # its Host header
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

    # -- calendar (DataClock: data_now, tz, local_now, today, sync_ts, day_fraction)
    def first_day(self):
        return date.fromisoformat(self.cfg["member_since"])

    def day(self, d):
        """Served values of day d, or None when the account has no data. A
        day whose end is after the tracker's last sync is partial (the
        fraction of its local day passed at the sync); a day starting after
        the last sync has no data."""
        frac = self.day_fraction(d)
        if frac is None:
            return None
        return day_values(self.cfg["seed"], d, frac)

    def minutes(self, d):
        """build_minutes(d), cached (least recently used)."""
        return self.cached_minutes(d, build_minutes, 64)

    def served_minutes(self, t_from, t_to):
        """(minute start epoch s, heart rate or None, steps) of the served
        minutes starting in [t_from, t_to), ascending: minutes of the days in
        [memberSince, today] complete by the tracker's last sync."""
        sync, tz = self.sync_ts(), self.tz()
        d = max(self.first_day(), datetime.fromtimestamp(t_from, tz).date())
        last = self.today()
        while d <= last:
            t0 = midnight(d, tz)
            if t0 >= t_to or t0 + 60 > sync:
                return
            md = self.minutes(d)
            i0 = max(0, -(-(int(t_from) - t0) // 60))
            i1 = min(md.n, -(-(math.ceil(t_to) - t0) // 60))
            for i in range(i0, i1):
                m = t0 + 60 * i
                if m + 60 > sync:
                    return
                yield m, md.hr[i], md.steps[i]
            d += timedelta(days=1)

    def sleeps(self, d):
        """The served sleep logs of wake day d (ended by the last sync)."""
        if d < self.first_day() or d > self.today():
            return []
        sync = self.sync_ts()
        return [s for s in sleep_logs(self.cfg["seed"], d, self.tz()) if s["end"] <= sync]

    def main_sleep(self, d):
        return next((s for s in self.sleeps(d) if s["main"]), None)

    def night(self, d):
        """The served nightly values of wake day d (see nightly()): only once
        its main sleep is served."""
        main = self.main_sleep(d)
        return {} if main is None else nightly(self.cfg["seed"], d, main)

    def scale_logs(self, d):
        """The served weight logs of day d: known to the API by the data
        clock's now (the scale syncs by itself, not with the tracker)."""
        if d < self.first_day() or d > self.today():
            return []
        now = self.data_now()
        return [w for w in weighings(self.cfg["seed"], d, self.tz()) if w["at"] <= now]

    def azm(self, d):
        """Active zone minutes of day d as served ({fat_burn, cardio, peak}:
        1 per fat-burn minute, 2 per cardio or peak minute), None when 0."""
        v = self.day(d)
        if v is None or "minutes" not in v["zones"][1]:
            return None
        z = {"fat_burn": v["zones"][1]["minutes"], "cardio": 2 * v["zones"][2]["minutes"],
             "peak": 2 * v["zones"][3]["minutes"]}
        return z if sum(z.values()) else None

    def truth(self, d):
        v = self.day(d)
        out = self.truth_head(d, v)
        if v is not None:
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
        z = self.azm(d)
        if z is not None:
            out["fitbit_active_zone_minutes"] = dict(z, total=sum(z.values()))
        main = self.main_sleep(d)
        if main is not None:
            summary = sleep_json(main, self.tz())["levels"]["summary"]
            out["fitbit_sleep_duration_seconds"] = main["asleep"] * 60
            out["fitbit_sleep_stage_seconds"] = {lv: x["minutes"] * 60 for lv, x in summary.items()}
            out["fitbit_sleep_efficiency_ratio"] = main["efficiency"] / 100
        n = self.night(d)
        spo2 = {k: x for k, x in n.get("spo2", {}).items() if x is not None}
        if spo2:
            out["fitbit_spo2_percent"] = spo2
        hrv = {k: x for k, x in (("daily", n.get("hrv", {}).get("dailyRmssd")),
                                 ("deep", n.get("hrv", {}).get("deepRmssd"))) if x is not None}
        if hrv:
            out["fitbit_hrv_rmssd_ms"] = hrv
        if "br" in n:
            out["fitbit_breathing_rate_per_minute"] = n["br"]
        if "temp" in n:
            out["fitbit_skin_temperature_deviation_celsius"] = n["temp"]
        if "vo2" in n:
            out["fitbit_vo2max"] = vo2_value(n["vo2"])
        ws = self.scale_logs(d)
        if ws:
            out["fitbit_weight_kg"] = ws[-1]["kg"]
            fats = [w for w in ws if w["fat"] is not None]
            if fats:
                out["fitbit_body_fat_percent"] = fats[-1]["fat"]
        return out

    def series(self, metric, a_ms, b_ms):
        """[[ts_ms, value], ...] ascending, as served, with a_ms <= ts_ms < b_ms."""
        if metric in ("fitbit_heart_rate_bpm", "fitbit_intraday_steps"):
            if self.cfg["intraday"] != "on":
                return []
            hr = metric == "fitbit_heart_rate_bpm"
            return [[m * 1000, h if hr else st]
                    for m, h, st in self.served_minutes(a_ms // 1000, -(-b_ms // 1000))
                    if a_ms <= m * 1000 < b_ms and (h is not None or not hr)]
        tz = self.tz()
        d = datetime.fromtimestamp(a_ms / 1000, tz).date()
        last = datetime.fromtimestamp(b_ms / 1000, tz).date() + timedelta(days=1)
        out = []
        while d <= last:
            main = self.main_sleep(d)
            if main is not None and main["type"] == "stages":
                out += [[a * 1000, STAGE_LEVEL[lv]] for lv, a, _ in main["segs"]
                        if a_ms <= a * 1000 < b_ms]
            d += timedelta(days=1)
        return out

    def devices(self):
        """devices.json as served: the tracker as of its last sync, the scale
        as of its last weighing, with dup_devices an old second Charge 6."""
        return [dv for dv, _ in self.device_list()]

    def device_list(self):
        """[(device as served, epoch s of its lastSyncTime)]."""
        sync, tz, seed = int(self.sync_ts()), self.tz(), self.cfg["seed"]
        level = 20 + int(sync // 3600) % 80
        out = [({"battery": battery_word(level), "batteryLevel": level, "deviceVersion": "Charge 6",
                 "features": [], "id": "2900000001", "lastSyncTime": local_iso(sync, tz),
                 "mac": "C0FFEE000001", "type": "TRACKER"}, sync)]
        last, d = None, self.today()
        while last is None and d >= max(self.first_day(), self.today() - timedelta(days=120)):
            last = max((w["at"] for w in self.scale_logs(d) if w["source"] == "Aria"), default=None)
            d -= timedelta(days=1)
        if last is not None:
            level = 35 + int(60 * seed_unit(seed, "scale-battery"))
            out.append(({"battery": battery_word(level), "batteryLevel": level,
                         "deviceVersion": "Aria Air", "features": [], "id": "3100000002",
                         "lastSyncTime": local_iso(last, tz), "mac": "C0FFEE000002",
                         "type": "SCALE"}, last))
        if self.cfg["dup_devices"]:
            old = sync - 3 * 86400 - 1234
            out.append(({"battery": battery_word(8), "batteryLevel": 8, "deviceVersion": "Charge 6",
                         "features": [], "id": "2900004821", "lastSyncTime": local_iso(old, tz),
                         "mac": "C0FFEE000003", "type": "TRACKER"}, old))
        return out

    def devices_truth(self):
        """SPEC's labels: a repeated deviceVersion gets " " + the last 4
        characters of its id; last_sync_s the instant of lastSyncTime."""
        seen, out = set(), []
        for dv, last in self.device_list():
            name = dv["deviceVersion"]
            if name in seen:
                name += " " + dv["id"][-4:]
            seen.add(dv["deviceVersion"])
            out.append({"device": name, "type": dv["type"].lower(),
                        "battery": dv["batteryLevel"], "last_sync_s": last})
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
        self.last_endpoint = None
        m = re.match(r"^/(1(?:\.2)?)/user/([^/]+)/(.+)$", path)
        if m is None:
            return 404, error_body("not_found", "The API you are requesting could not be found.", "n/a"), [], None
        self.stats["api_requests"] += 1
        self.version = m.group(1)
        ep = self.endpoint_of(m.group(3))
        self.last_endpoint = f"{method} {ep}" if ep else None
        return self.api(method, m.group(2), m.group(3), query, headers)

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
        self.query = parse_qs(query)
        self.scopes, self.host = entry["scope"].split(), headers.get("Host")
        status, body = self.route(rest, self.scopes, miles)
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
    def routes(self):
        """(endpoint name, path pattern, scope, handler(miles, *groups))."""
        d, dd = DATE_RE, r"(1d|\d{4}-\d{2}-\d{2}|today)"
        intraday = rf"date/{d}/{dd}/([^/]+?)(?:/time/(\d\d:\d\d)/(\d\d:\d\d))?\.json"
        return [
            ("profile", r"profile\.json", "profile", self.r_profile),
            ("devices", r"devices\.json", "settings", self.r_devices),
            ("activities/date", rf"activities/date/{d}\.json", "activity", self.r_summary),
            ("activities/heart/intraday", "activities/heart/" + intraday, "heartrate",
             lambda miles, *g: self.r_intraday("heart", *g)),
            ("activities/steps/intraday", "activities/steps/" + intraday, "activity",
             lambda miles, *g: self.r_intraday("steps", *g)),
            ("activities/heart/date", rf"activities/heart/date/{d}/([^/]+)\.json", "heartrate", self.r_heart),
            ("activities/active-zone-minutes/date", rf"activities/active-zone-minutes/date/{d}/{d}\.json",
             "activity", self.r_azm),
            ("activities/{resource}/date", rf"activities/(tracker/)?(\w+)/date/{d}/([^/]+)\.json",
             "activity", self.r_series),
            ("sleep/date", rf"sleep/date/{d}/{d}\.json", "sleep", self.r_sleep),
            ("activities/list", r"activities/list\.json", "activity", self.r_activity_list),
            ("activities/{logId}.tcx", r"activities/(\d+)\.tcx", "activity", self.r_tcx),
            ("spo2/date", rf"spo2/date/{d}/{d}\.json", "oxygen_saturation", self.r_spo2),
            ("hrv/date", rf"hrv/date/{d}/{d}\.json", "heartrate", self.r_hrv),
            ("br/date", rf"br/date/{d}/{d}\.json", "respiratory_rate", self.r_br),
            ("temp/skin/date", rf"temp/skin/date/{d}/{d}\.json", "temperature", self.r_temp),
            ("cardioscore/date", rf"cardioscore/date/{d}/{d}\.json", "cardio_fitness", self.r_cardio),
            ("body/log/weight/date", rf"body/log/weight/date/{d}/{d}\.json", "weight", self.r_weight),
            ("body/log/fat/date", rf"body/log/fat/date/{d}/{d}\.json", "weight", self.r_fat),
        ]

    def endpoint_of(self, rest):
        for name, pattern, _, _ in self.routes():
            if re.fullmatch(pattern, rest):
                return name
        return None

    def route(self, rest, scopes, miles):
        for _, pattern, scope, fn in self.routes():
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

    def parse_date(self, s, field="date", utc=False):
        if s == "today":
            return datetime.fromtimestamp(self.data_now(), timezone.utc).date() if utc else self.today()
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
        return 200, self.devices()

    def days(self, a, b):
        d = a
        while d <= b:
            yield d
            d += timedelta(days=1)

    def r_intraday(self, kind, start, end, detail, t1, t2):
        """One day (at most 24 h) of minute heart rate or steps; ?timezone=UTC:
        the dates and times are UTC, else the user's local wall clock."""
        if self.cfg["intraday"] == "forbidden":
            return 403, error_body("insufficient_permissions", NOT_AUTHORIZED)
        if detail not in DETAILS or (kind == "steps" and detail == "1sec"):
            raise BadRequest(400, "validation", f"Invalid detail-level: {detail}", "detail-level")
        zone = self.query.get("timezone", [None])[0]
        if zone not in (None, "UTC"):
            raise BadRequest(400, "validation", f"Invalid timezone: {zone}", "timezone")
        utc = zone == "UTC"
        a = self.parse_date(start, "date", utc)
        b = a if end == "1d" else self.parse_date(end, "end-date", utc)
        lo = datetime(a.year, a.month, a.day)
        if t1 is None:
            if b != a:
                raise BadRequest(400, "validation",
                                 "The date range is too long. The maximum range is 24 hours", "end-date")
            hi = lo + timedelta(days=1)
        else:
            try:
                lo = datetime.strptime(f"{a} {t1}", "%Y-%m-%d %H:%M")
                hi = datetime.strptime(f"{b} {t2}", "%Y-%m-%d %H:%M") + timedelta(minutes=1)
            except ValueError:
                raise BadRequest(400, "validation", f"Invalid time: {t1}/{t2}", "start-time") from None
            if hi <= lo:
                raise BadRequest(400, "validation", "Invalid time range: the end is before the start",
                                 "end-time")
            if hi - lo > timedelta(days=1):
                raise BadRequest(400, "validation",
                                 "The date range is too long. The maximum range is 24 hours", "end-date")
        tz = timezone.utc if utc else self.tz()
        mins = self.window_minutes(tz, lo, hi)
        name = "activities-" + kind
        if kind == "heart":
            summary = []
            for d in self.days(a, b):
                v = self.day(d)
                zones = v["zones"] if v is not None else [
                    {"max": hi_, "min": lo_, "name": n} for n, _, lo_, hi_ in ZONES]
                val = {"customHeartRateZones": [], "heartRateZones": zones}
                if v is not None and v["rhr"] is not None:
                    val["restingHeartRate"] = v["rhr"]
                summary.append({"dateTime": d.isoformat(), "value": val})
        else:
            summary = []
            for d in self.days(a, b):
                if utc:
                    day0 = datetime(d.year, d.month, d.day)
                    total = sum(st for _, _, _, st in self.window_minutes(tz, day0, day0 + timedelta(days=1)))
                else:
                    v = self.day(d)
                    total = v["steps"] if v is not None else 0
                summary.append({"dateTime": d.isoformat(), "value": num(total)})
        out = {name: summary}
        if self.cfg["intraday"] == "absent":
            return 200, out
        k = 0 if detail == "1sec" else DETAILS[detail]
        data = []
        if k == 0:   # irregular samples, a few per measured minute
            for m, naive, h, _ in mins:
                if h is None:
                    continue
                r = random.Random(f"{self.cfg['seed']}:{m}:sec")
                for sec in sorted(r.sample(range(0, 60, 5), r.randint(1, 4))):
                    data.append({"time": (naive + timedelta(seconds=sec)).strftime("%H:%M:%S"),
                                 "value": h + r.randint(-1, 1)})
        else:
            groups = []   # consecutive minutes of one bucket (a repeated hour stays apart)
            for m, naive, h, st in mins:
                start_ = naive.replace(minute=naive.minute // k * k)
                if groups and groups[-1][0] == start_ and m - groups[-1][1] < 60 * k:
                    groups[-1][2].append((h, st))
                else:
                    groups.append((start_, m, [(h, st)]))
            for start_, _, vals in groups:
                if kind == "heart":
                    hs = [h for h, _ in vals if h is not None]
                    if hs:
                        data.append({"time": start_.strftime("%H:%M:%S"),
                                     "value": int(round(sum(hs) / len(hs)))})
                else:
                    data.append({"time": start_.strftime("%H:%M:%S"), "value": sum(st for _, st in vals)})
        out[name + "-intraday"] = {"dataset": data, "datasetInterval": DETAILS[detail],
                                   "datasetType": "second" if k == 0 else "minute"}
        return 200, out

    def window_minutes(self, tz, lo, hi):
        """[(epoch s, naive wall-clock time in tz, heart rate, steps)] of the
        served minutes whose wall-clock time in tz is in [lo, hi) (naive)."""
        t_lo = int(lo.replace(tzinfo=tz).timestamp()) - 3 * 3600
        t_hi = int(hi.replace(tzinfo=tz).timestamp()) + 3 * 3600
        out = []
        for m, h, st in self.served_minutes(t_lo, t_hi):
            naive = datetime.fromtimestamp(m, tz).replace(tzinfo=None)
            if lo <= naive < hi:
                out.append((m, naive, h, st))
        return out

    def r_activity_list(self, miles):
        """The activity log list: exactly one of beforeDate (sort=desc) and
        afterDate (sort=asc), limit 1..100, offset; entries strictly after
        (before) that local time, the open workout among them."""
        q = {k: v[0] for k, v in self.query.items()}
        before, after = q.get("beforeDate"), q.get("afterDate")
        if (before is None) == (after is None):
            raise BadRequest(400, "validation", "Either beforeDate or afterDate should be specified",
                             "beforeDate")
        sort = q.get("sort", "")
        if sort != ("desc" if before is not None else "asc"):
            raise BadRequest(400, "validation", "The sort is invalid for the date given", "sort")
        try:
            limit, offset = int(q.get("limit", "")), int(q.get("offset", "0"))
        except ValueError:
            raise BadRequest(400, "validation", "limit and offset must be numbers", "limit") from None
        if not 1 <= limit <= 100 or offset < 0:
            raise BadRequest(400, "validation", "The limit must be between 1 and 100", "limit")
        text = before if before is not None else after
        try:
            edge = datetime.fromisoformat(text if "T" in text else text + "T00:00:00")
        except ValueError:
            raise BadRequest(400, "validation", f"Invalid date:{text}", "afterDate") from None
        tz = self.tz()
        found, d = [], self.first_day()
        while d <= self.today():
            found += self.workouts(d)
            d += timedelta(days=1)
        found.append(self.open_workout())
        naive = lambda x: datetime.fromtimestamp(x["start"], tz).replace(tzinfo=None)
        found = [x for x in found if (naive(x) < edge if before is not None else naive(x) > edge)]
        found.sort(key=lambda x: (x["start"], x["id"]), reverse=before is not None)
        page = found[offset:offset + limit]
        key = "beforeDate" if before is not None else "afterDate"
        base = "https://api.fitbit.com/1/user/-/activities/list.json?"
        nxt = (base + urlencode({"offset": offset + limit, "limit": limit, "sort": sort, key: text})
               if offset + limit < len(found) else "")
        prev = (base + urlencode({"offset": max(0, offset - limit), "limit": limit, "sort": sort,
                                  key: text}) if offset > 0 else "")
        link = self.cfg["tcx_link_base"] or f"http://{self.host or '127.0.0.1'}"
        return 200, {"activities": [activity_log(x, tz, miles, link) for x in page],
                     "pagination": {key: text, "limit": limit, "next": nxt, "offset": offset,
                                    "previous": prev, "sort": sort}}

    def r_tcx(self, miles, log_id):
        """GET /1/user/-/activities/{logId}.tcx (scopes activity and
        location): the session's TCX; includePartialTCX=true adds the points
        without a position."""
        if "location" not in self.scopes:
            return 403, error_body("insufficient_scope", "This application does not have "
                                   f"permission to access location data. {DOC}")
        partial = self.query.get("includePartialTCX", ["false"])[0]
        if partial not in ("true", "false"):
            raise BadRequest(400, "validation", f"Invalid includePartialTCX: {partial}",
                             "includePartialTCX")
        x, state = faketcx.find(self, log_id)
        if x is None:
            return 404, error_body("not_found", f"Activity log {log_id} was not found"
                                   + (" (the exercise is in progress)." if state == "open"
                                      else "."), "logId")
        laps = faketcx.route(x, self.cfg["seed"], self.exercise_salt)
        fault = faketcx.match_fault(self.tcx_faults, log_id, True)
        if fault is not None:
            self.stats["faults_injected"] += 1
            return 200, faketcx.hostile_body(fault, x, laps, self.stamp)
        doc = faketcx.document(x, laps, self.stamp, True, partial == "true")
        return 200, RawBody(faketcx.CONTENT_TYPE, doc.encode())

    def stamp(self, ts):
        """A TCX time: local with its offset and milliseconds (Fitbit's exports)."""
        return faketcx.local_ms(ts, self.tz())

    def r_sleep(self, miles, start, end):
        if self.version != "1.2":
            return 404, error_body("not_found", "The API you are requesting could not be found.", "n/a")
        a, b = self.parse_range(start, end, SLEEP_MAX_DAYS)
        logs = sorted((s for d in self.days(a, b) for s in self.sleeps(d)),
                      key=lambda s: s["start"], reverse=True)
        tz = self.tz()
        return 200, {"sleep": [sleep_json(s, tz) for s in logs],
                     "summary": {"totalMinutesAsleep": sum(s["asleep"] for s in logs),
                                 "totalSleepRecords": len(logs),
                                 "totalTimeInBed": sum(s["minutes"] for s in logs)}}

    def nights(self, start, end, cap, key):
        a, b = self.parse_range(start, end, cap)
        for d in self.days(a, b):
            n = self.night(d)
            if key in n:
                yield d.isoformat(), n[key]

    def r_spo2(self, miles, start, end):
        return 200, [{"dateTime": d, "value": dict(v)}
                     for d, v in self.nights(start, end, SPO2_MAX_DAYS, "spo2")]

    def r_hrv(self, miles, start, end):
        return 200, {"hrv": [{"value": dict(v), "dateTime": d}
                             for d, v in self.nights(start, end, NIGHT_MAX_DAYS, "hrv")]}

    def r_br(self, miles, start, end):
        return 200, {"br": [{"value": {"breathingRate": v}, "dateTime": d}
                            for d, v in self.nights(start, end, NIGHT_MAX_DAYS, "br")]}

    def r_temp(self, miles, start, end):
        return 200, {"tempSkin": [
            {"dateTime": d, "value": {"nightlyRelative": round(v * 1.8, 3) if miles else v}}
            for d, v in self.nights(start, end, NIGHT_MAX_DAYS, "temp")]}

    def r_cardio(self, miles, start, end):
        return 200, {"cardioScore": [{"dateTime": d, "value": {"vo2Max": v}}
                                     for d, v in self.nights(start, end, NIGHT_MAX_DAYS, "vo2")]}

    def r_azm(self, miles, start, end):
        a, b = self.parse_range(start, end, AZM_MAX_DAYS)
        out = []
        for d in self.days(a, b):
            z = self.azm(d)
            if z is None:
                continue
            val = {"activeZoneMinutes": sum(z.values())}
            for key, member in (("fat_burn", "fatBurnActiveZoneMinutes"),
                                ("cardio", "cardioActiveZoneMinutes"), ("peak", "peakActiveZoneMinutes")):
                if z[key]:
                    val[member] = z[key]
            out.append({"dateTime": d.isoformat(), "value": val})
        return 200, {"activities-active-zone-minutes": out}

    def r_weight(self, miles, start, end):
        a, b = self.parse_range(start, end, WEIGHT_MAX_DAYS)
        return 200, {"weight": [
            {"bmi": round(w["kg"] / HEIGHT_M ** 2, 2), "date": d.isoformat(), "logId": w["log_id"],
             "source": w["source"], "time": w["time"],
             "weight": round(w["kg"] * LB_PER_KG, 2) if miles else w["kg"]}
            for d in self.days(a, b) for w in self.scale_logs(d)]}

    def r_fat(self, miles, start, end):
        a, b = self.parse_range(start, end, FAT_MAX_DAYS)
        return 200, {"fat": [{"date": d.isoformat(), "fat": w["fat"], "logId": w["log_id"],
                              "source": w["source"], "time": w["time"]}
                             for d in self.days(a, b) for w in self.scale_logs(d) if w["fat"] is not None]}

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
        if method == "GET" and path == "/_test/series":
            metric = q.get("metric")
            if metric not in SERIES:
                return 400, {"error": f"metric: one of {', '.join(SERIES)}"}
            try:
                a, b = int(q["start_ms"]), int(q["end_ms"])
            except (KeyError, ValueError):
                return 400, {"error": "start_ms and end_ms (epoch milliseconds) are required"}
            return 200, {"points": self.series(metric, a, b)}
        if method == "GET" and path == "/_test/devices":
            return 200, self.devices_truth()
        if method == "GET" and path == "/_test/exercise":
            return exercise_answer(q, self.workouts, lambda k: EXERCISE_KINDS[k][3],
                                   EXERCISE_ZONES, kcal=round)
        if method == "GET" and path == "/_test/route":
            x, state = faketcx.find(self, q.get("id"))
            if x is None:
                return 404, {"error": f"session {q.get('id')!r} is {state}: no TCX"}
            return 200, faketcx.truth(x, self.cfg["seed"], self.exercise_salt,
                                      EXERCISE_KINDS[x["kind"]][3],
                                      faketcx.match_fault(self.tcx_faults, x["id"], False))
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
        v = dict(self.cfg, faults=self.faults, forbid=self.forbid, tcx_faults=self.tcx_faults,
                 refresh_failures=self.refresh_failures)
        v["now_iso"] = self.local_now().isoformat()
        v["today"] = self.today().isoformat()
        v["last_sync"] = self.sync_ts()
        v["last_sync_iso"] = datetime.fromtimestamp(self.sync_ts(), self.tz()).isoformat()
        return v

    def configure(self, req):
        """Options are set, actions are done, in one request."""
        for key, val in req.items():
            if key in INT_KEYS:
                self.cfg[key] = int(val)
                if key == "rate_window" and self.cfg[key] <= 0:
                    raise ValueError("rate_window must be positive")
                if key == "sync_lag_s" and self.cfg[key] < 0:
                    raise ValueError("sync_lag_s must not be negative")
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
            elif key == "intraday":
                if val not in INTRADAY_MODES:
                    raise ValueError("intraday: on, absent or forbidden")
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
                self.faults, self.forbid, self.tcx_faults = [], [], []
            elif key in ("tcx_fault", "tcx_faults"):
                faketcx.add_faults(self.tcx_faults, val, key == "tcx_fault")
            elif key == "tcx_link_base":
                if val is not None and not re.fullmatch(r"https?://[^/?#]+", str(val)):
                    raise ValueError("tcx_link_base: null or a scheme and host (http://h:p)")
                self.cfg[key] = val
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
            entry = self.log_entry(method, url, status, note, form.get("grant_type", [None])[0], payload)
            entry["endpoint"] = fake.last_endpoint
            fake.record(entry)
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
    p = argparse.ArgumentParser(description="Fake legacy Fitbit Web API + OAuth2 (127.0.0.1 by default)")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--bind", default="127.0.0.1",
                   help="address to listen on (in a container: 0.0.0.0)")
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
    p.add_argument("--intraday", choices=INTRADAY_MODES, default=DEFAULTS["intraday"],
                   help="intraday access: on, absent (no -intraday member) or forbidden (403)")
    p.add_argument("--sync-lag-s", type=int, default=DEFAULTS["sync_lag_s"],
                   help="the tracker last synced this many seconds before the data clock's now")
    p.add_argument("--dup-devices", action="store_true",
                   help="devices.json lists a second, older Charge 6")
    a = p.parse_args(argv)
    opts = dict(DEFAULTS)
    ZoneInfo(a.timezone)
    opts.update(client_id=a.client_id, client_secret=a.client_secret,
                member_since=date.fromisoformat(a.member_since).isoformat() if a.member_since else None,
                timezone=a.timezone, token_lifetime=a.token_lifetime,
                rate_limit=a.rate_limit, rate_window=max(1, a.rate_window), seed=a.seed,
                latency_ms=a.latency_ms, now=parse_now(a.now, a.timezone),
                retry_after=a.retry_after, redirect_uri=a.redirect_uri, intraday=a.intraday,
                sync_lag_s=max(0, a.sync_lag_s), dup_devices=a.dup_devices)
    serve(Handler, Fake(opts, a.state_file), a.port, a.port_file, "fake_fitbit",
          a.bind)


if __name__ == "__main__":
    main()
