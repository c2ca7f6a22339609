#!/usr/bin/env python3
"""A local fake of the Google Health API v4 and Google OAuth 2.0, for tests.

Built from shared/research/google-health.md (sections 2-7) and the v4
discovery document it cites (revision 20260527: field names, int64 as JSON
strings, enums), never from what SyncBit sends. Standard library only; binds
127.0.0.1. Mirrors tests/fakes/fake_fitbit.py: the same CLI style and
/_test/ control API. Every value is deterministic per (seed, date) (and the
user's zone, which places the minutes and nights). The data generators it
shares with fake_fitbit.py (seeded streams, salted "g", sleep stage
segments, minute curves, weighing times) are in fakecore.py; their guesses
are listed below.

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
  PERMISSION_DENIED ACCESS_TOKEN_SCOPE_INSUFFICIENT for a scope not granted
  (research 3.2: sleep.readonly for sleep; health_metrics_and_measurements
  for heart rate, HR zones, SpO2, HRV, breathing rate, skin temperature,
  weight, body fat; activity_and_fitness for steps, AZM, VO2 max and the
  other activity types; settings for settings and pairedDevices; profile
  for profile and identity).
- GET /v4/users/me/{settings,profile,identity}.
- GET /v4/users/me/pairedDevices[/{id}] (settings scope): PairedDevice
  name, deviceType TRACKER|SCALE, deviceVersion, batteryLevel (int),
  batteryStatus "High|Medium|Low|Empty" (the discovery text), lastSyncTime
  (RFC 3339), macAddress, features; pageSize default 5, max 100 (coerced),
  nextPageToken. A Charge 6 tracker and an Aria Air scale.
- POST /v4/users/me/dataTypes/{type}/dataPoints:dailyRollUp: civil date range
  (end exclusive, start < end), windowSizeDays required (400
  INVALID_ARGUMENT when missing), 90-day cap (14 days for heart-rate,
  total-calories, active-minutes, calories-in-heart-rate-zone), invalid JSON
  such as leading zeros -> 400 "Invalid JSON payload received. ...";
  rollupDataPoints only for windows with data (none before the membership
  start, after today, or on an unworn day); int64 values as JSON strings;
  proto3 zero omission ("floors":{} on a worn day without floors);
  active-zone-minutes as sumInFatBurnHeartZone/sumInCardioHeartZone/
  sumInPeakHeartZone (1 AZM per fat-burn minute, 2 per cardio/peak minute);
  heart-rate beatsPerMinuteAvg/Min/Max from the minute heart rate served.
- POST /v4/users/me/dataTypes/{heart-rate|steps}/dataPoints:rollUp: range
  {startTime,endTime} RFC 3339 (Z or an offset), windowSize required
  (google-duration, minimum 1s), 14-day cap for heart-rate and 90 days for
  steps -> 400 beyond; pageSize default 1440, max 10000 (silently capped);
  response rollupDataPoints [{startTime, endTime, heartRate{beatsPerMinuteAvg,
  beatsPerMinuteMin, beatsPerMinuteMax} | steps{countSum (int64 string)}}]
  and nextPageToken; physical (UTC) windows.
- GET .../dataTypes/{daily-type}/dataPoints?filter&pageSize&pageToken for
  daily-resting-heart-rate, daily-heart-rate-variability
  (averageHeartRateVariabilityMilliseconds,
  deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds,
  nonRemHeartRateBeatsPerMinute as an int64 string, entropy),
  daily-oxygen-saturation (average/lowerBound/upperBound/
  standardDeviationPercentage), daily-respiratory-rate (breathsPerMinute),
  daily-sleep-temperature-derivations (nightlyTemperatureCelsius,
  baselineTemperatureCelsius, relativeNightlyStddev30dCelsius) and
  daily-vo2-max (dailyVo2Max: vo2Max, cardioFitnessLevel POOR..EXCELLENT,
  estimated): filter on {t}.date with >=, < and AND (wrong member -> 400
  INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER, bad syntax -> 400
  INVALID_DATA_POINT_FILTER_SYNTAX), newest first, pageSize default 1440,
  max 10000 (larger values silently capped), opaque nextPageToken, a page
  may be empty yet carry a nextPageToken. Unknown type -> 400
  INVALID_PARENT_DATA_TYPE_COLLECTION; total-calories list rejected.
  Gaps: no record when not measured (research 6: gaps = not worn/synced).
- GET .../dataTypes/sleep/dataPoints: filter on sleep.interval.end_time
  (RFC 3339) or sleep.interval.civil_end_time (civil YYYY-MM-DD[THH:mm:ss],
  quoted or not) with >=, <, AND, OR; pageSize default 25, max 25; newest
  (interval start) first; Session records {name, dataSource, sleep{interval
  {startTime, startUtcOffset, endTime, endUtcOffset}, type STAGES|CLASSIC,
  stages[] contiguous and covering the interval {startTime, startUtcOffset,
  endTime, endUtcOffset, type, createTime, updateTime}, metadata{processed,
  stagesStatus, mainSleep}, summary{minutesInSleepPeriod (= sum of all stages),
  minutesAfterWakeUp, minutesToFallAsleep, minutesAsleep (STAGES: LIGHT+DEEP
  +REM; CLASSIC: ASLEEP), minutesAwake (AWAKE), stagesSummary[{type,
  minutes, count}]} as int64 strings, createTime, updateTime}}; naps are
  CLASSIC, < 3 h, stagesStatus REJECTED_NAP, metadata.mainSleep false.
- GET .../dataTypes/exercise/dataPoints (activity_and_fitness scope): filter
  on exercise.interval.start_time (RFC 3339) or .interval.civil_start_time
  (civil) with >=, <, AND; pageSize default 25, max 25 (research 4.3);
  newest start first; Session records {name, dataSource, exercise{interval
  {startTime, startUtcOffset, endTime, endUtcOffset}, exerciseType (the
  ExerciseType enum: RUNNING, WALKING, BIKING, SWIMMING, WEIGHTLIFTING, YOGA,
  HIIT, WORKOUT, OTHER), displayName (the user's title), activeDuration
  ("Ns"), metricsSummary{caloriesKcal, distanceMillimeters,
  elevationGainMillimeters (numbers), steps, averageHeartRateBeatsPerMinute,
  activeZoneMinutes (int64 strings), heartRateZoneDurations{lightTime,
  moderateTime, vigorousTime, peakTime} (durations)}, exerciseMetadata
  {hasGps}}, createTime, updateTime} (research 4.2 and 4.5's captured
  exercise; the MetricsSummary and TimeInHeartRateZones reference).
- GET .../dataTypes/exercise/dataPoints/{id}:exportExerciseTcx (the method
  reference): the session's route as a TCX document with ?alt=media, else
  JSON {"tcxData": the document}; partialData=true adds "the TCX data points
  when the GPS data is not available" (default false); it needs both an
  activity_and_fitness and a location scope (403 otherwise: the reference's
  note); the ':' may arrive as it is or percent-encoded (%3A).
- GET .../dataTypes/{weight|body-fat}/dataPoints: Sample records {name,
  dataSource, weight{sampleTime{physicalTime, utcOffset, civilTime{date,
  time}}, weightGrams (double)} | bodyFat{sampleTime, percentage}}; filter on
  {t}.sample_time.physical_time (RFC 3339) or {t}.sample_time.civil_time
  (civil) with >=, <, AND; newest first; pageSize as the daily lists.
- physical times as RFC 3339 UTC "Z" strings with utcOffset durations
  ("3600s"), DST-correct per instant; civil times with zero fields omitted.
- 300 requests per minute per user -> 429 RESOURCE_EXHAUSTED (reason
  RATE_LIMIT_EXCEEDED, QuotaFailure), every /v4 route counted; 120,000 per
  minute per project, shared by every account of the client
  ("project_rate_limit_per_minute"; research 5); account not
  linked -> 400 FAILED_PRECONDITION ACCOUNT_NOT_LINKED; the legacy-account
  403 "Could not mint UberMint from GaiaMint."; 403 SERVICE_DISABLED;
  429/503/504 faults.

Live evidence (shared/research/google-live.md, which wins over the docs):
- list-only types (activity-level, the daily-* records, sleep, and the other
  types the data-types table marks L R) refuse dailyRollUp and rollUp with
  400 and ErrorInfo reason UNSUPPORTED_DATA_TYPE_ACTION, metadata
  allowed_actions (haelan probe/findings/rollup-methods.md; the Pixel Watch
  write-up);
- GET .../dataTypes/activity-level/dataPoints: intervals {interval{startTime,
  startUtcOffset, endTime, endUtcOffset, civilStartTime, civilEndTime},
  activityLevelType SEDENTARY|LIGHTLY_ACTIVE|MODERATELY_ACTIVE|VERY_ACTIVE},
  filter on activity_level.interval.start_time (RFC 3339) or
  .interval.civil_start_time (civil), newest first; a day's minutes per level
  are its intervals' durations split at local midnight (the truth does so);
- dailyRollUp answers newest day first, days without data left out
  (haelan; biotrackr samples); AZM zero members sent as "0" (mcp-fitbit-air);
- a roll-up range past the type's cap (14 days for total-calories and
  calories-in-heart-rate-zone) is refused with ErrorInfo reason
  INVALID_ROLLUP_QUERY_DURATION and metadata.maxDurationDays (haelan);
- list pages hold at most 5000 points whatever pageSize says
  (fitbit-grafana PR #65); an empty page may carry a nextPageToken
  (fit-gauge#3);
- sleep: while the tracker's last sync is inside a session, the list answer
  starts with that session, without summary and without an end time
  (home-assistant/core PR #179322); sessions carry metadata.mainSleep and no
  metadata.nap (haelan probe/findings/field-map.md);
- skin temperature: baselineTemperatureCelsius "NaN" while the baseline is
  learned (mcp-fitbit-air, a captured answer); an HRV average of 0 (weak);
- pairedDevices without lastSyncTime ("no_last_sync": fitbit-grafana PR #73);
- 5xx on wide sleep ranges ("sleep_5xx_days": N, a sleep list whose filter
  spans more than N days answers 500; the Pixel Watch write-up, weak).

What it models WITHOUT proof (our guesses, not in any source we read):
- Retry-After: absent on 429/503/504 by default; a fault may carry one
  ("retry_after" seconds), and "retry_after_on_429" adds one to rate-limit
  answers;
- refresh-token rotation is off by default (--rotate-refresh turns it on: the
  old refresh token then stops working); older access tokens stay valid
  after a refresh; several refresh tokens (one per consent) live at once, at
  most 100 per account (Google: 100 per Google Account per client ID; the
  account's oldest then stops working); a
  re-consent without prompt=consent does not issue a new refresh_token;
- where the empty page sits: by default the FIRST page of every listing
  (daily, sleep, weight, body-fat; not rollUp, not pairedDevices) is empty
  and carries a nextPageToken ("empty_page": "first"); "after_first" puts it
  after the first data page; "off" removes it; empty pages omit
  "dataPoints" altogether (proto3);
- the refusal's status INVALID_ARGUMENT, message, metadata spelling
  (dataType, action, allowed_actions "list,reconcile") and that it comes
  before the scope check; activity-level intervals: whole minutes, 5-45
  minute chunks shuffled, ending 23:00-00:30 local (so some cross midnight),
  served once ended;
- the open sleep session: interval without end, type, metadata
  {processed: false}, no stages, served when the filter admits the last
  sync as its end time; the 5000-point cap applies to lists only (not
  rollUp); the NaN baseline on the first 14 days after the membership start;
  the HRV average 0 on ~5% of nights (its own random stream);
- member names the research marked unsure: caloriesInHeartRateZone kcal as a double, activeMinutes
  activeMinutesRollupByActivityLevel, settings fields other than
  timeZone/utcOffset;
- daily-record filter spelling "{snake_type}.date" for every daily type (only
  daily_heart_rate_variability.date is a documented example), the extra
  operators > and <= and unquoted literals (accepted), = and != (syntax
  errors); OR accepted only for sleep; parentheses only around a whole
  clause or AND group;
- the 300/min limit as a fixed, epoch-aligned 60 s window, counted on
  authenticated /v4 requests only (including those answered by a fault);
- zero durations / zero kcal inside zone and level lists are omitted fields
  (the list element stays); the element order LIGHT..PEAK;
- error wording other than the quoted fixtures (range caps, windowSize,
  windowSizeDays, page tokens, unknown JSON fields, 404s), ErrorInfo domains,
  the reason ACCESS_TOKEN_TYPE_UNSUPPORTED for an unknown/revoked access
  token, 401 invalid_client wording, "Missing code verifier.";
- client auth by HTTP Basic is refused (Google documents client_secret_post
  and _basic; the research only verified the body form);
- dailyRollUp on daily-record types, list on interval types (steps,
  heart-rate samples...) and rollUp on types other than heart-rate and steps
  are not modelled (400 not supported / 501);
- today's values grow linearly with the local time of day, except steps and
  distance, which follow the day's minute steps curve (no steps asleep,
  walks in bursts); ~3% of days are unworn (no data at all); resting HR
  missing on ~10% of worn days;
- rollUp: windows ascending by startTime (the research's one example); a
  window without data is left out altogether ("rollup_empty_windows":
  "keep" serves it with no value member instead); a worn minute without
  steps is "steps": {} (proto3 zero, like the daily "floors": {}); the range
  must be a whole number of windows and the caps count physical days (400
  otherwise); whole-millisecond windowSize only; windows of any size:
  heart-rate aggregates every minute a window overlaps (a sub-minute window
  repeats its minute), steps count in the window holding the minute's start;
  avg rounded to 0.01 bpm, min/max whole numbers; the page token is bound to
  every other request field; no empty pages; nextPageToken only when more
  windows with data follow;
- minute data: heart rate on every worn minute except 2-5 % missing in
  1-12 minute gaps, lower asleep, higher in walks; steps on every minute of a
  worn day (also in heart-rate gaps); a minute is served once complete
  (heart rate) or once begun (steps: the current minute partial, so the
  minutes always add up to the daily total); the daily heart-rate rollup is
  the min/max/mean of the served minutes;
- exercise: the sessions of fakecore.exercise_sessions (0-2 a day, a
  same-second pair every 5th day, an edited one every 4th day: updateTime
  3 h after createTime, values as they are now; a DST-day session at 02:30
  CET / 03:30 CEST), served once ended by the last sync; the session the
  user is in (started 10 minutes before the last sync) listed first,
  without endTime, activeDuration and metricsSummary (like the open sleep
  session of google-live.md); proto3 zero omission for steps and zone
  durations, while activeZoneMinutes "0" is sent (as the captured
  exercise); no distance on yoga and weights, no steps on swims, yoga and
  weights (bikes: 0, so none), no elevation indoors; the activity labels
  of its truth
  (GET /_test/exercise?start=D&end=D: every served session's expected
  samples, README's collision rule applied) follow README's table;
- routes (exportExerciseTcx): the document's shape is the public Fitbit
  exports' (faketcx.py: two-space layout, Creator "Fitbit Charge 6", Sport
  Running/Biking/Other), times in UTC with "Z" and milliseconds,
  Content-Type application/vnd.garmin.tcx+xml (Google names none); the
  route's guesses are faketcx.py's (a point every 5 s from start to end, one
  or two laps, a pause between two laps, GPS only for run/walk/bike with no
  position for its first 0-4 points, positions within a few km of Berlin,
  indoor kinds with time, distance and heart rate only); without the
  location scope a 403 ACCESS_TOKEN_SCOPE_INSUFFICIENT like every scope
  (the reference says it fails, not how), or, with "tcx_without_location":
  "routeless" (issue 14's "Google answers a route-less file"), the same
  points without any Position (altitude kept); 404 NOT_FOUND for an unknown
  id and for the session the user is in (our wording); 400 for a data type
  other than exercise, an alt other than json/media, a partialData other
  than true/false; the percent-encoded ':' accepted (the research only
  warns clients not to encode it); every TCX request counted in the log and
  the 300/min window like the other /v4 requests; hostile documents (the
  "tcx_fault" control) replace the body of what would be a 200 answer
  (after auth, quota and scopes; raw even without alt=media; counted in
  faults_injected);
- sleep: one main sleep on ~93% of worn nights (bedtime 21:30-00:30, time
  in bed = full_day's sleep minutes, ending on the wake day), STAGES on ~95%
  of them (else CLASSIC with stagesStatus REJECTED_COVERAGE or
  REJECTED_MAX_GAP), an afternoon nap on ~12% of days; stage durations in
  whole minutes; a finished session is served once its end is before the
  last sync; minutesToFallAsleep and minutesAfterWakeUp
  always "0" and summary zeros shown as "0" (as in the one captured body,
  not omitted); stagesSummary lists only the stage types that occur, in the
  order AWAKE, LIGHT, DEEP, REM / AWAKE, RESTLESS, ASLEEP; no civilStartTime
  /civilEndTime in the sleep interval (absent from the captured body);
  createTime = updateTime = the end time; dataSource PASSIVELY_MEASURED;
- daily records from the night (HRV, SpO2, breathing rate, skin
  temperature, VO2 max) exist only for a wake day whose main sleep is served
  (so today's appear after the wake time), each also missing on ~10% of
  nights; HRV deep RMSSD only after a STAGES night with >= 10 min DEEP;
  skin-temperature baseline a slow personal curve (not a computed 30-day
  median); VO2 max a slow personal curve, estimated=true on ~80% (false
  omitted); resting HR keeps its old rule (served for today all day);
  records' dataSource DERIVED;
- the scale: weighings on ~1 day in 4 (06:15-08:45, ~20% also 19:00-22:30),
  body fat with ~85% of them, served once their time is before the data
  clock's now (the scale syncs by itself, not with the tracker); weight in
  whole 10 g steps; dataSource ACTIVELY_MEASURED, device "Aria Air";
- data point names users/{healthUserId}/dataTypes/{type}/dataPoints/{id}
  for every listed record (the discovery leaves names empty for most types);
- pairedDevices: the tracker's lastSyncTime = the last sync (whole seconds),
  batteryLevel 20-99 changing hourly, the scale's lastSyncTime = its last
  weighing; status thresholds High > 60 >= Medium > 25 >= Low > 5 >= Empty;
  the features list; "dup_devices" adds an old second Charge 6;
- late data ("sync_lag_s", default 0): the tracker's last sync is the data
  clock's now minus the lag; days, minutes, sleep and nightly records are
  served as of then (a day whose end is after it is partial; one starting
  after it has no data);
- faults match any non-control path (also /token) by regex on the path;
- a household (Google documents the data as per user, one OAuth client for
  many users; research 2, 5): "accounts": {"alice": {"seed": 11}, "bob":
  {"seed": 12, "not_linked": true}} under the one client. Which account
  consents: the authorize URL's login_hint (Google's parameter) when it names
  an account, else "consent_account", else the default account (the
  top-level options: everything without "accounts" is as before). Codes,
  access and refresh tokens carry their account; every /v4 answer is that
  account's: its seed (its own values, health user id and devices), its own
  flags (seed, sync_lag_s, not_linked, ubermint, deny, no_last_sync,
  dup_devices, timezone, membership_start; the rest shared), its own consent
  memory and its own 300/min window; the project window is shared. Knobs:
  "tracker_version": the tracker's deviceVersion (a free string; tests put
  markup in it), "consent_account": NAME, "revoke_account": NAME (its grants die: refresh
  -> invalid_grant, access tokens -> 401), "expire_access_token": NAME (only
  its access tokens; true: all), "accounts": null (back to one account);
  an account not set up -> 400. Our choices, not documented: login_hint
  selects the account outright, an account inherits every option it does
  not set, the project window is fixed and epoch-aligned like the user's.

Control API (not part of Google's): GET /_test/truth?date=D (the values as
served now: SPEC metric names), GET /_test/series?metric=M&start_ms&end_ms
(fitbit_heart_rate_bpm, fitbit_intraday_steps, fitbit_sleep_stage_level),
GET /_test/devices, GET /_test/exercise?start=D&end=D (the workouts' expected
samples: ts_ms, activity, values, zones), GET /_test/route?id=ID (a
session's full route, no scope or partial rule applied: faketcx.truth()),
GET|POST /_test/config, POST
/_test/tokens, GET /_test/requests, GET /_test/stats, POST /_test/reset.
Config keys of the routes: "tcx_fault": {"kind": huge|huge_length|deep|
badcoords|entities|notxml|empty|truncated, "id": session id (default: any),
"count": N (default 1; -1 = always: the default with an id)}, "tcx_faults":
[...], cleared by "clear_faults"; "tcx_without_location": forbidden|routeless.
truth, series, exercise, route and
devices take account=NAME (default: the default account); POST /_test/tokens
takes {"account": NAME}; GET /_test/tokens maps tokens to accounts
("account"); stats count /v4 requests per account ("by_account"); the
config view lists "accounts" with each one's health_user_id.
"""

import argparse
import base64
import hashlib
import json
import math
import re
import secrets
import threading
import time
from array import array
from collections import OrderedDict
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from functools import partial
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import fakecore
import faketcx
from fakecore import (EXERCISE_KINDS, DataClock, JsonHandler, RawBody, RequestLog, activity_weights,
                      asleep_mask, body_fat_center, cumulative_steps, exercise_answer,
                      heart_gaps, heart_walk, midnight,
                      parse_now, seasonal, serve, stage_segments, vo2_center, weigh_times)

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
SLEEP = SCOPE_PREFIX + "sleep.readonly"
LOCATION = SCOPE_PREFIX + "location.readonly"
READ_SCOPES = [ACT, MET, SLEEP, PROFILE, SETTINGS]
CODE_LIFETIME = 600
MAX_REFRESH_TOKENS = 100   # live refresh tokens per Google Account per client
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
    "daily-sleep-temperature-derivations": ("dailySleepTemperatureDerivations", MET),
    "daily-vo2-max": ("dailyVo2Max", ACT),
}
# sample types served by dataPoints.list: URL type -> (JSON member, scope)
SAMPLES = {
    "weight": ("weight", MET),
    "body-fat": ("bodyFat", MET),
}
# exportExerciseTcx: users/{user}/dataTypes/exercise/dataPoints/{id}:exportExerciseTcx,
# its ':' sent as it is (the research's advice) or percent-encoded
TCX_PATH = re.compile(r"dataTypes/([^/:%]+)/dataPoints/([^/:%]+)(?::|%3[aA])exportExerciseTcx")
TCX_QUERY = {"alt", "partialData", "prettyPrint", "fields", "$.xgafv", "quotaUser",
             "access_token", "key"}
# types served by dataPoints:rollUp (physical windows, minute data)
MINUTE_ROLLUPS = ("heart-rate", "steps")
# other valid type IDs (known to the API, not modelled here)
OTHER_TYPES = {"heart-rate-variability", "daily-heart-rate-zones",
               "oxygen-saturation", "respiratory-rate-sleep-summary",
               "vo2-max", "run-vo2-max", "height",
               "basal-energy-burned"}
LIST_REJECTED = {"total-calories", "floors", "calories-in-heart-rate-zone"}
# the interval type served by dataPoints.list (not rolled up): URL type ->
# (JSON member, scope)
INTERVALS = {"activity-level": ("activityLevel", ACT)}
# types Google's data-types table marks list-only (L R): a roll-up on them is
# refused with 400 UNSUPPORTED_DATA_TYPE_ACTION (google-live.md)
LIST_ONLY = ({"activity-level", "sleep", "exercise", "heart-rate-variability",
              "daily-heart-rate-zones", "oxygen-saturation",
              "respiratory-rate-sleep-summary", "vo2-max", "height"} | set(DAILY))
LIST_PAGE_POINTS = 5000              # live pages hold at most ~5000 points
BASELINE_DAYS = 14                   # skin temperature baseline "NaN" while learned
DATA_SOURCE_FAMILIES = {"users/me/dataSourceFamilies/all-sources",
                        "users/me/dataSourceFamilies/google-wearables",
                        "users/me/dataSourceFamilies/google-sources"}
SLEEP_PAGE = 25                      # default and maximum page size of sleep
EXERCISE_PAGE = 25                   # and of exercise (research 4.3)
EXERCISE_MEMBERS = {"exercise.interval.start_time": "physical",
                    "exercise.interval.civil_start_time": "civil"}
EXERCISE_ZONES = ("light", "moderate", "vigorous", "peak")
EXERCISE_ZONE_FIELDS = ("lightTime", "moderateTime", "vigorousTime", "peakTime")
DEVICE_PAGE_DEFAULT, DEVICE_PAGE_MAX = 5, 100
# sleep list filter members, sample list filter members ({t} snake_case)
SLEEP_MEMBERS = {"sleep.interval.end_time": "physical",
                 "sleep.interval.civil_end_time": "civil"}
STAGE_ORDER = {"STAGES": ("AWAKE", "LIGHT", "DEEP", "REM"),
               "CLASSIC": ("AWAKE", "RESTLESS", "ASLEEP")}
STAGE_LABELS = {"STAGES": {"DEEP": "deep", "LIGHT": "light", "REM": "rem", "AWAKE": "wake"},
                "CLASSIC": {"ASLEEP": "asleep", "RESTLESS": "restless", "AWAKE": "awake"}}
STAGE_LEVEL = {"DEEP": 0, "LIGHT": 1, "REM": 2, "AWAKE": 3}
SEGMENT_TYPE = {"deep": "DEEP", "light": "LIGHT", "rem": "REM", "wake": "AWAKE",   # fakecore's
                "asleep": "ASLEEP", "restless": "RESTLESS", "awake": "AWAKE"}     # stage_segments
TRACKER_FEATURES = ["STEPS", "DISTANCE", "CALORIES", "ACTIVE_ZONE_MINUTES", "HEART_RATE",
                    "SPO2", "NIGHTTIME_OXYGEN_SATURATION", "EDA", "SKIN_TEMPERATURE",
                    "SLEEP", "SMART_SLEEP", "GPS", "CONNECTED_GPS", "ALARMS", "PAYMENTS"]
TRACKER_SOURCE = {"recordingMethod": "PASSIVELY_MEASURED",
                  "device": {"displayName": "Charge 6", "formFactor": "FITNESS_BAND",
                             "manufacturer": "Fitbit"},
                  "platform": "FITBIT"}
SCALE_SOURCE = {"recordingMethod": "ACTIVELY_MEASURED",
                "device": {"displayName": "Aria Air", "formFactor": "SCALE",
                           "manufacturer": "Fitbit"},
                "platform": "FITBIT"}
SERIES = ("fitbit_heart_rate_bpm", "fitbit_intraday_steps", "fitbit_sleep_stage_level")

DEFAULTS = {
    "client_id": "fake-google-client-id.apps.googleusercontent.com",
    "client_secret": "GOCSPX-fake-google-secret",
    "membership_start": None, "timezone": "Europe/Berlin",
    "token_lifetime": 3599, "rotate_refresh": False, "seed": 1,
    "latency_ms": 0, "now": None, "rate_limit_per_minute": 300,
    "retry_after_on_429": False, "deny": False, "not_linked": False,
    "ubermint": False, "service_disabled": False, "scopes": None,
    "empty_page": "first", "max_page_size": None, "redirect_uri": None,
    "sync_lag_s": 0, "dup_devices": False, "rollup_empty_windows": "omit",
    "no_last_sync": False, "sleep_5xx_days": 0,
    "project_rate_limit_per_minute": 120000, "consent_account": None,
    "tracker_version": "Charge 6", "tcx_without_location": "forbidden",
}
INT_KEYS = {"token_lifetime", "seed", "latency_ms", "rate_limit_per_minute", "sync_lag_s",
            "sleep_5xx_days", "project_rate_limit_per_minute"}
BOOL_KEYS = {"rotate_refresh", "retry_after_on_429", "deny", "not_linked",
             "ubermint", "service_disabled", "dup_devices", "no_last_sync"}
# what one account of a household may set for itself; the rest it shares
ACCOUNT_INT_KEYS = {"seed", "sync_lag_s"}
ACCOUNT_BOOL_KEYS = {"not_linked", "ubermint", "deny", "no_last_sync", "dup_devices"}
ACCOUNT_NAME = re.compile(r"^[a-z0-9_-]{1,32}$")


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


def unsupported_action(dtype, action):
    """A roll-up on a list-only type, as live probes were refused."""
    return status_body(400, "INVALID_ARGUMENT",
                       f"The data type {dtype} does not support the {action} action.",
                       "UNSUPPORTED_DATA_TYPE_ACTION",
                       {"dataType": dtype, "action": action, "allowed_actions": "list,reconcile"})


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
    rng = rng_for(seed, d)
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
    if t == "active-minutes":
        return {"activeMinutesRollupByActivityLevel": [
            put({"activityLevel": lv}, "activeMinutesSum", m)
            for lv, m in zip(("LIGHT", "MODERATE", "VIGOROUS"), v["levels"][1:])]}
    if t == "active-zone-minutes":
        z = v["zones"]      # zero members sent as "0" (google-live.md)
        return {"sumInFatBurnHeartZone": str(int(z[1])),
                "sumInCardioHeartZone": str(int(2 * z[2])),
                "sumInPeakHeartZone": str(int(2 * z[3]))}
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


# ------------------------------------------------ time helpers (RFC 3339, civil)

RFC3339_RE = re.compile(r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
CIVIL_RE = re.compile(r"\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}(:\d{2})?)?")
DURATION_RE = re.compile(r"(\d+)(?:\.(\d{1,9}))?s")


# Google's streams and baselines: salted "g" ("g{seed}:{date}[:{stream}]"), apart from Fitbit's
rng_for = partial(fakecore.rng_for, salt="g")
seed_unit = partial(fakecore.seed_unit, salt="g")


def rfc3339(ts):
    """Epoch seconds -> RFC 3339 in UTC with Z (milliseconds only when not whole)."""
    ms = int(round(ts * 1000))
    s = datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return s + (f".{ms % 1000:03d}Z" if ms % 1000 else "Z")


def parse_rfc3339_ms(text):
    """RFC 3339 (Z or an offset, fractional seconds) -> epoch milliseconds."""
    m = RFC3339_RE.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"'{text}' is not an RFC 3339 timestamp")
    frac = (m.group(3) or ".0")[1:]
    off = "+00:00" if m.group(4) in ("Z", "z") else m.group(4)
    dt = datetime.fromisoformat(f"{m.group(1)}T{m.group(2)}{off}")
    return int(dt.timestamp()) * 1000 + int(frac[:3].ljust(3, "0"))


def parse_civil(text):
    """YYYY-MM-DD[THH:mm[:ss]] -> naive datetime."""
    if not isinstance(text, str) or not CIVIL_RE.fullmatch(text):
        raise ValueError(f"'{text}' is not a civil time (YYYY-MM-DD[THH:mm:ss])")
    return datetime.fromisoformat(text.replace("t", "T"))


def utc_offset(ts, tz):
    return dur(datetime.fromtimestamp(ts, tz).utcoffset().total_seconds())


def civil_time(ts, tz):
    """CivilDateTime of an instant in zone tz; zero time fields omitted (proto3)."""
    lt = datetime.fromtimestamp(ts, tz)
    t = {k: v for k, v in (("hours", lt.hour), ("minutes", lt.minute), ("seconds", lt.second)) if v}
    return {"date": gdate(lt.date()), "time": t}


def local_naive(ts, tz):
    return datetime.fromtimestamp(ts, tz).replace(tzinfo=None)


def point_id(*parts):
    h = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


# ------------------------------------------------------------------ exercise

def exercise_point(user, x, tz):
    """An exercise Session record (research 4.2, the MetricsSummary and
    ExerciseType reference); an open session has no end, no summary."""
    iv = {"startTime": rfc3339(x["start"]), "startUtcOffset": utc_offset(x["start"], tz)}
    ex = {"interval": iv, "exerciseType": EXERCISE_KINDS[x["kind"]][0]}
    point = {"name": f"users/{user}/dataTypes/exercise/dataPoints/{x['id']}",
             "dataSource": {"recordingMethod": "ACTIVELY_MEASURED", "platform": "FITBIT",
                            "device": TRACKER_SOURCE["device"]}, "exercise": ex}
    if x.get("open"):
        ex["displayName"] = "Workout"
        return point
    iv.update(endTime=rfc3339(x["end"]), endUtcOffset=utc_offset(x["end"], tz))
    m = {"caloriesKcal": x["kcal"], "averageHeartRateBeatsPerMinute": str(x["hr"]),
         "activeZoneMinutes": str(x["azm"])}
    if "dist_m" in x:
        m["distanceMillimeters"] = x["dist_m"] * 1000
    if x.get("steps"):                          # proto3: a 0 is left out
        m["steps"] = str(x["steps"])
    if "elev_m" in x:
        m["elevationGainMillimeters"] = x["elev_m"] * 1000
    m["heartRateZoneDurations"] = {f: dur(z * 60) for f, z in
                                   zip(EXERCISE_ZONE_FIELDS, x["zones"]) if z}
    ex.update(displayName=x["title"], activeDuration=dur(x["active_s"]), metricsSummary=m,
              exerciseMetadata={"hasGps": x["kind"] in ("run", "walk", "bike")})
    point["createTime"] = rfc3339(x["end"] + 5)
    point["updateTime"] = rfc3339(x["end"] + (3 * 3600 if x["edited"] else 5))
    return point


# --------------------------------------------------------------------- sleep

def make_session(rng, start, minutes, kind, nap, status):
    stages, summary, t = [], {}, start
    for stage, m in stage_segments(rng, minutes, kind == "STAGES"):
        tp = SEGMENT_TYPE[stage]
        stages.append((tp, t, t + 60 * m))
        t += 60 * m
        mm, c = summary.get(tp, (0, 0))
        summary[tp] = (mm + m, c + 1)
    asleep_types = ("LIGHT", "DEEP", "REM") if kind == "STAGES" else ("ASLEEP",)
    return {"start": start, "end": t, "minutes": minutes, "type": kind, "nap": nap,
            "status": status, "stages": stages, "summary": summary,
            "asleep": sum(summary.get(x, (0, 0))[0] for x in asleep_types),
            "awake": summary.get("AWAKE", (0, 0))[0],
            "id": point_id("sleep", start, kind, minutes)}


def sleep_sessions(seed, d, tz):
    """Every sleep session of wake day d (its local end date), oldest first;
    none on an unworn day. Deterministic per (seed, d, zone)."""
    f = full_day(seed, d)
    if f is None:
        return []
    rng = rng_for(seed, d, "sleep")
    m0 = midnight(d, tz)
    out = []
    if rng.random() >= 0.07:                       # some nights: no sleep recorded
        start = m0 + 60 * rng.randint(-150, 30)      # 21:30 .. 00:30
        kind = "STAGES" if rng.random() >= 0.05 else "CLASSIC"
        status = "SUCCEEDED" if kind == "STAGES" else rng.choice(("REJECTED_COVERAGE",
                                                                  "REJECTED_MAX_GAP"))
        in_bed = 1440 - sum(f["levels"])             # full_day's minutes of sleep
        out.append(make_session(rng, start, in_bed, kind, False, status))
    if rng.random() < 0.12:                        # an afternoon nap (< 3 h, CLASSIC)
        start = m0 + 60 * rng.randint(13 * 60, 16 * 60 + 30)
        out.append(make_session(rng, start, rng.randint(20, 100), "CLASSIC", True,
                                "REJECTED_NAP"))
    return out


def main_of(sessions):
    """The main sleep: the longest session that is not a nap."""
    main = [s for s in sessions if not s["nap"]]
    return max(main, key=lambda s: (s["minutes"], s["end"])) if main else None


def sleep_point(user, s, tz):
    iv = {"startTime": rfc3339(s["start"]), "startUtcOffset": utc_offset(s["start"], tz),
          "endTime": rfc3339(s["end"]), "endUtcOffset": utc_offset(s["end"], tz)}
    made = rfc3339(s["end"])
    stages = [{"startTime": rfc3339(a), "startUtcOffset": utc_offset(a, tz),
               "endTime": rfc3339(b), "endUtcOffset": utc_offset(b, tz), "type": tp,
               "createTime": made, "updateTime": made} for tp, a, b in s["stages"]]
    meta = {"processed": True, "stagesStatus": s["status"], "mainSleep": not s["nap"]}
    summ = s["summary"]
    summary = {"minutesInSleepPeriod": str(s["minutes"]), "minutesAfterWakeUp": "0",
               "minutesToFallAsleep": "0", "minutesAsleep": str(s["asleep"]),
               "minutesAwake": str(s["awake"]),
               "stagesSummary": [{"type": tp, "minutes": str(summ[tp][0]), "count": str(summ[tp][1])}
                                 for tp in STAGE_ORDER[s["type"]] if tp in summ]}
    return {"name": f"users/{user}/dataTypes/sleep/dataPoints/{s['id']}",
            "dataSource": TRACKER_SOURCE,
            "sleep": {"interval": iv, "type": s["type"], "stages": stages, "metadata": meta,
                      "summary": summary, "createTime": made, "updateTime": made}}


def open_sleep_point(user, s, tz, now):
    """The session the user is asleep in at `now`: no end time, no summary."""
    return {"name": f"users/{user}/dataTypes/sleep/dataPoints/{s['id']}",
            "dataSource": TRACKER_SOURCE,
            "sleep": {"interval": {"startTime": rfc3339(s["start"]),
                                   "startUtcOffset": utc_offset(s["start"], tz)},
                      "type": s["type"], "metadata": {"processed": False},
                      "createTime": rfc3339(s["start"]), "updateTime": rfc3339(now)}}


# ------------------------------------------------------------ activity level

def level_intervals(seed, d, tz):
    """The activity-level intervals of day d, oldest first: [(start s, end s,
    level index)], whole minutes adding up to full_day's levels; they end
    between 23:00 and 00:30 local, so some cross midnight into d + 1."""
    f = full_day(seed, d)
    if f is None:
        return []
    rng = rng_for(seed, d, "levels")
    chunks = []
    for i, m in enumerate(f["levels"]):
        while m > 0:
            c = min(m, rng.randint(5, 45))
            chunks.append([i, c])
            m -= c
    rng.shuffle(chunks)
    merged = []
    for i, c in chunks:
        if merged and merged[-1][0] == i:
            merged[-1][1] += c
        else:
            merged.append([i, c])
    t = midnight(d + timedelta(days=1), tz) + 60 * rng.randint(-60, 30) - 60 * sum(f["levels"])
    out = []
    for i, c in merged:
        out.append((t, t + 60 * c, i))
        t += 60 * c
    return out


def level_point(user, iv, tz):
    a, b, i = iv
    return {"name": f"users/{user}/dataTypes/activity-level/dataPoints/{point_id('level', a, i)}",
            "dataSource": TRACKER_SOURCE,
            "activityLevel": {"interval": {"startTime": rfc3339(a), "startUtcOffset": utc_offset(a, tz),
                                           "endTime": rfc3339(b), "endUtcOffset": utc_offset(b, tz),
                                           "civilStartTime": civil_time(a, tz),
                                           "civilEndTime": civil_time(b, tz)},
                              "activityLevelType": LEVELS[i]}}


# ------------------------------------------------------------- minute data

class MinuteDay:
    """One local day of minute data, complete (the sync cut is applied when
    served): t0 (epoch s of local midnight), n minutes, heart rate avg (NaN =
    no data) / lo / hi per minute, and cumulative steps cum[0..n]."""
    __slots__ = ("t0", "n", "avg", "lo", "hi", "cum")

    def cum_at(self, ts):
        """Steps counted up to instant ts (linear inside a minute)."""
        if ts <= self.t0:
            return 0
        k = int((ts - self.t0) // 60)
        if k >= self.n:
            return self.cum[self.n]
        a, b = self.cum[k], self.cum[k + 1]
        return a + int((b - a) * ((ts - self.t0 - 60 * k) / 60))


def build_minutes(seed, d, tz):
    """The minute heart rate and steps of day d (None when unworn). Steps
    follow an activity curve (none while asleep) and add up to the day's
    total; heart rate follows sleep and activity, with 2-5 % of the
    minutes missing in short gaps."""
    f = full_day(seed, d)
    if f is None:
        return None
    md = MinuteDay()
    md.t0 = t0 = midnight(d, tz)
    md.n = n = (midnight(d + timedelta(days=1), tz) - t0) // 60
    rng = rng_for(seed, d, "minutes")
    asleep = asleep_mask(sleep_sessions(seed, d, tz) + sleep_sessions(seed, d + timedelta(days=1), tz),
                         t0, n)
    weight = activity_weights(rng, asleep)
    total = sum(weight)
    if total <= 0:
        weight, total = [1.0] * n, float(n)
    md.cum = array("q", cumulative_steps(f["steps"], weight, total))
    avg = array("d", [math.nan]) * n
    lo = array("h", [0]) * n
    hi = array("h", [0]) * n
    uniform = rng.uniform
    for i, x in enumerate(heart_walk(rng, f["rhr"] or 60, asleep, weight)):
        avg[i] = round(x, 2)          # min and max drawn between two minutes of the walk
        lo[i] = math.floor(x - uniform(0.3, 4))
        hi[i] = math.ceil(x + uniform(0.3, 5))
    for i, gone in enumerate(heart_gaps(rng, n)):
        if gone:
            avg[i] = math.nan
    md.avg, md.lo, md.hi = avg, lo, hi
    return md


# ------------------------------------------------------ nightly daily records

def nightly_records(seed, d, f, main):
    """Daily records computed from the main sleep ending on day d:
    {URL type: member value without "date"}; each may be missing."""
    rng = rng_for(seed, d, "night")
    out = {}
    if f["hrv"] is not None:
        hrv = {"averageHeartRateVariabilityMilliseconds": f["hrv"]}
        deep = round(f["hrv"] * rng.uniform(1.05, 1.35), 1)
        if main["type"] == "STAGES" and main["summary"].get("DEEP", (0, 0))[0] >= 10:
            hrv["deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds"] = deep
        hrv["nonRemHeartRateBeatsPerMinute"] = str((f["rhr"] or 60) + rng.randint(-2, 4))
        hrv["entropy"] = round(rng.uniform(2.2, 3.4), 2)
        out["daily-heart-rate-variability"] = hrv
    if f["spo2"] is not None:
        out["daily-oxygen-saturation"] = {
            "averagePercentage": f["spo2"],
            "lowerBoundPercentage": round(f["spo2"] - rng.uniform(1.5, 3.5), 1),
            "upperBoundPercentage": round(min(100.0, f["spo2"] + rng.uniform(0.8, 2.0)), 1),
            "standardDeviationPercentage": round(rng.uniform(0.4, 1.4), 2)}
    if f["resp"] is not None:
        out["daily-respiratory-rate"] = {"breathsPerMinute": f["resp"]}
    if rng.random() >= 0.1:
        base = 33.6 + 0.8 * seed_unit(seed, "skin") + seasonal(d, 0.15, 97)
        out["daily-sleep-temperature-derivations"] = {
            "nightlyTemperatureCelsius": round(base + rng.gauss(0, 0.35), 2),
            "baselineTemperatureCelsius": round(base, 2),
            "relativeNightlyStddev30dCelsius": round(rng.uniform(0.2, 0.5), 2)}
    if rng.random() < 0.9:
        v = round(vo2_center(seed_unit(seed, "vo2"), d) + rng.gauss(0, 0.3), 1)
        level = ("POOR" if v < 35 else "FAIR" if v < 39 else "AVERAGE" if v < 43 else
                 "GOOD" if v < 47 else "VERY_GOOD" if v < 51 else "EXCELLENT")
        vo2 = {"vo2Max": v, "cardioFitnessLevel": level}
        if rng.random() < 0.8:
            vo2["estimated"] = True
        out["daily-vo2-max"] = vo2
    return out


# ------------------------------------------------------------------- scale

def weighings(seed, d, tz):
    """The scale's samples of day d: [(epoch s, grams, body fat % or None)];
    on about one day in four, sometimes twice (morning and evening)."""
    rng = rng_for(seed, d, "scale")
    times = weigh_times(rng, d, tz)
    if not times:
        return []
    base = 62000 + 25000 * seed_unit(seed, "weight")
    drift = seasonal(d, 1500, 180)
    fat0 = body_fat_center(seed_unit(seed, "fat"), d)
    out = []
    for i, t in enumerate(times):
        grams = float(round((base + drift + rng.gauss(0, 350) + 600 * i) / 10) * 10)
        fat = round(fat0 + rng.gauss(0, 0.4), 1) if rng.random() < 0.85 else None
        out.append((t, grams, fat))
    return out


def unparen(x):
    """x without parentheses that enclose all of it."""
    x = x.strip()
    while x.startswith("(") and x.endswith(")"):
        depth = 0
        for i, ch in enumerate(x):
            depth += (ch == "(") - (ch == ")")
            if depth == 0 and i < len(x) - 1:
                return x
        x = x[1:-1].strip()
    return x


def dnf_match(dnf, vals):
    def ok(x, op, v):
        return x >= v if op == ">=" else x > v if op == ">" else x < v if op == "<" else x <= v
    return not dnf or any(all(ok(vals[m], op, v) for m, op, v in conj) for conj in dnf)


class Fake(DataClock, RequestLog):
    """All state of the fake; every method runs under self.lock."""

    exercise_salt = "g"

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
        self.tcx_faults = []      # {"kind", "id", "count"}: hostile TCX documents
        self.log = []
        self.seq = 0
        self.stats = {"requests": 0, "api_requests": 0, "oauth_requests": 0,
                      "authorizations": 0, "code_exchanges": 0,
                      "refresh_attempts": 0, "refreshes": 0, "revocations": 0,
                      "rate_limited": 0, "faults_injected": 0,
                      "by_status": {}, "by_endpoint": {}, "by_account": {}}
        self.window_start = 0
        self.window_used = 0
        self.page_secret = secrets.token_bytes(16)
        self.minute_cache = OrderedDict()   # (seed, day, zone) -> MinuteDay
        self.accounts = {}        # name -> {"cfg", "consented", "window_start", "window_used"}
        self.project_start = 0    # the project's quota window, shared by every account
        self.project_used = 0

    # -- a household: several accounts behind one OAuth client
    @contextmanager
    def as_account(self, name):
        """Run as account `name`: its options over self.cfg, its consent and
        its rate window in place; the default account (None) as it is."""
        acct = self.accounts.get(name) if name is not None else None
        if acct is None:
            yield
            return
        saved = {k: self.cfg[k] for k in acct["cfg"]}
        own = (self.consented, self.window_start, self.window_used)
        self.cfg.update(acct["cfg"])
        self.consented, self.window_start, self.window_used = (
            acct["consented"], acct["window_start"], acct["window_used"])
        try:
            yield
        finally:
            acct["consented"], acct["window_start"], acct["window_used"] = (
                self.consented, self.window_start, self.window_used)
            self.cfg.update(saved)
            self.consented, self.window_start, self.window_used = own

    def set_accounts(self, val):
        if not val:
            self.accounts, self.cfg["consent_account"] = {}, None
            return
        for name, opts in dict(val).items():
            if not ACCOUNT_NAME.match(name):
                raise ValueError(f"accounts: bad name '{name}'")
            cfg = {}
            for key, v in dict(opts or {}).items():
                if key in ACCOUNT_INT_KEYS:
                    cfg[key] = int(v)
                elif key in ACCOUNT_BOOL_KEYS:
                    cfg[key] = bool(v)
                elif key == "timezone":
                    ZoneInfo(v)
                    cfg[key] = v
                elif key == "membership_start":
                    cfg[key] = date.fromisoformat(v).isoformat()
                else:
                    raise KeyError(f"accounts.{name}: unknown key '{key}'")
            acct = self.accounts.setdefault(name, {"cfg": {}, "consented": set(),
                                                   "window_start": 0, "window_used": 0})
            acct["cfg"].update(cfg)

    def account_arg(self, q):
        """The account= of a control query: None (the default) or a configured name."""
        name = q.get("account") or None
        if name is not None and name not in self.accounts:
            raise ValueError(f"unknown account '{name}'")
        return name

    # -- calendar (DataClock: data_now, tz, local_now, today, sync_ts, day_fraction)
    def first_day(self):
        return date.fromisoformat(self.cfg["membership_start"])

    def day(self, d):
        """Served values of day d, or None when there is no data. A day whose
        end is after the tracker's last sync is partial (the fraction of its
        local day passed at the sync; steps and distance follow the minute
        steps curve); a day starting after the last sync has no data."""
        frac = self.day_fraction(d)
        if frac is None:
            return None
        v = day_values(self.cfg["seed"], d, frac)
        if v is not None and frac < 1:
            f = full_day(self.cfg["seed"], d)
            v["steps"] = self.minutes(d).cum_at(self.sync_ts())
            v["mm"] = int(f["mm"] * v["steps"] / f["steps"]) if f["steps"] else 0
        return v

    def minutes(self, d):
        """build_minutes(d), cached (least recently used)."""
        return self.cached_minutes(d, build_minutes, 240)

    def served_minutes(self, kind, t_from, t_to):
        """(minute start, value) of the served minutes starting in
        [t_from, t_to) (epoch s), ascending. "hr": (avg, min, max) of each
        complete minute up to the last sync, gaps skipped; "steps": the
        count of each minute begun before the last sync (the current one
        partial), zeros included."""
        sync = self.sync_ts()
        tz = self.tz()
        last = self.today()
        d = max(self.first_day(), datetime.fromtimestamp(t_from, tz).date())
        while d <= last:
            md = self.minutes(d)
            if md is not None:
                if md.t0 >= t_to or md.t0 >= sync:
                    return
                i0 = max(0, -(-(t_from - md.t0) // 60))
                i1 = min(md.n, -(-(t_to - md.t0) // 60))
                for i in range(int(i0), int(i1)):
                    m = md.t0 + 60 * i
                    if kind == "hr":
                        if m + 60 > sync:
                            return
                        a = md.avg[i]
                        if a == a:
                            yield m, (a, md.lo[i], md.hi[i])
                    else:
                        if m >= sync:
                            return
                        top = md.cum[i + 1] if m + 60 <= sync else md.cum_at(sync)
                        yield m, top - md.cum[i]
            elif midnight(d, tz) >= t_to:
                return
            d += timedelta(days=1)

    def hr_day(self, d):
        """(min, avg, max, minutes) of the served minute heart rate of day d."""
        tz = self.tz()
        lo = hi = None
        total, n = 0.0, 0
        for _, (a, mn, mx) in self.served_minutes("hr", midnight(d, tz),
                                                  midnight(d + timedelta(days=1), tz)):
            total += a
            n += 1
            lo = mn if lo is None else min(lo, mn)
            hi = mx if hi is None else max(hi, mx)
        return (lo, total / n, hi, n) if n else None

    def sessions(self, d):
        """The served sleep sessions of wake day d (ended by the last sync)."""
        if d < self.first_day() or d > self.today():
            return []
        sync = self.sync_ts()
        return [s for s in sleep_sessions(self.cfg["seed"], d, self.tz()) if s["end"] <= sync]

    def main_sleep(self, d):
        return main_of(self.sessions(d))

    def open_session(self):
        """The session the tracker is inside at its last sync, or None."""
        sync = self.sync_ts()
        for d in (self.today(), self.today() + timedelta(days=1)):
            if d < self.first_day():
                continue
            for s in sleep_sessions(self.cfg["seed"], d, self.tz()):
                if s["start"] <= sync < s["end"]:
                    return s
        return None

    def levels(self, d):
        """The served activity-level intervals that start on day d (ended by
        the last sync)."""
        if d < self.first_day() or d > self.today():
            return []
        sync = self.sync_ts()
        return [iv for iv in level_intervals(self.cfg["seed"], d, self.tz()) if iv[1] <= sync]

    def level_minutes(self, d):
        """Minutes per level of local day d from the served intervals (split
        at local midnight), or None when none overlaps d."""
        tz = self.tz()
        a, b = midnight(d, tz), midnight(d + timedelta(days=1), tz)
        mins, seen = [0, 0, 0, 0], False
        for s, e, i in self.levels(d - timedelta(days=1)) + self.levels(d):
            lo, hi = max(s, a), min(e, b)
            if hi > lo:
                mins[i] += (hi - lo) // 60
                seen = True
        return mins if seen else None

    def records(self, d):
        """The served daily records of day d: {URL type: member value}."""
        v = self.day(d)
        if v is None:
            return {}
        out = {}
        if v["rhr"] is not None:
            out["daily-resting-heart-rate"] = {
                "beatsPerMinute": str(v["rhr"]),
                "dailyRestingHeartRateMetadata": {"calculationMethod": "WITH_SLEEP"}}
        main = self.main_sleep(d)
        if main is not None:
            out.update(nightly_records(self.cfg["seed"], d, full_day(self.cfg["seed"], d), main))
        t = out.get("daily-sleep-temperature-derivations")
        if t is not None and (d - self.first_day()).days < BASELINE_DAYS:
            t["baselineTemperatureCelsius"] = "NaN"     # still being learned
        h = out.get("daily-heart-rate-variability")
        if h is not None and rng_for(self.cfg["seed"], d, "hrv0").random() < 0.05:
            h["averageHeartRateVariabilityMilliseconds"] = 0
        return {t: {"date": gdate(d), **rec} for t, rec in out.items()}

    def samples(self, d):
        """The scale's served samples of day d (measured by the data clock's
        now: the scale syncs by itself): [(epoch s, grams, fat or None)]."""
        if d < self.first_day() or d > self.today():
            return []
        now = self.data_now()
        return [w for w in weighings(self.cfg["seed"], d, self.tz()) if w[0] <= now]

    def truth(self, d):
        v = self.day(d)
        out = self.truth_head(d, v)
        if v is not None:
            out.update({
                "fitbit_steps_total": v["steps"],
                "fitbit_distance_km": v["mm"] / 1e6,
                "fitbit_floors_total": v["floors"],
                "fitbit_elevation_meters": v["gain_mm"] / 1000,
                "fitbit_calories_total": v["total_kcal"],
                "fitbit_heart_rate_zone_minutes": {lab: m for lab, m in zip(ZONE_LABELS, v["zones"])},
                "fitbit_heart_rate_zone_calories": {lab: k for lab, k in zip(ZONE_LABELS, v["zone_kcal"])},
            })
            if v["rhr"] is not None:
                out["fitbit_resting_heart_rate_bpm"] = v["rhr"]
            azm = rollup_value("active-zone-minutes", v)
            z = {"fat_burn": int(azm.get("sumInFatBurnHeartZone", 0)),
                 "cardio": int(azm.get("sumInCardioHeartZone", 0)),
                 "peak": int(azm.get("sumInPeakHeartZone", 0))}
            out["fitbit_active_zone_minutes"] = dict(z, total=sum(z.values()))
        lm = self.level_minutes(d)
        if lm is not None:
            out["fitbit_active_minutes"] = {lab: m for lab, m in zip(LEVEL_LABELS, lm)}
        main = self.main_sleep(d)
        if main is not None:
            labels = STAGE_LABELS[main["type"]]
            out["fitbit_sleep_duration_seconds"] = main["asleep"] * 60
            out["fitbit_sleep_stage_seconds"] = {labels[tp]: main["summary"][tp][0] * 60
                                                 for tp in STAGE_ORDER[main["type"]]
                                                 if tp in main["summary"]}
            out["fitbit_sleep_efficiency_ratio"] = main["asleep"] / main["minutes"]
        rec = self.records(d)
        if "daily-oxygen-saturation" in rec:
            r = rec["daily-oxygen-saturation"]
            out["fitbit_spo2_percent"] = {"avg": r["averagePercentage"],
                                          "min": r["lowerBoundPercentage"],
                                          "max": r["upperBoundPercentage"]}
        if "daily-heart-rate-variability" in rec:
            r = rec["daily-heart-rate-variability"]
            h = {}      # an RMSSD of 0 is not a measurement
            if r["averageHeartRateVariabilityMilliseconds"] > 0:
                h["daily"] = r["averageHeartRateVariabilityMilliseconds"]
            if r.get("deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds", 0) > 0:
                h["deep"] = r["deepSleepRootMeanSquareOfSuccessiveDifferencesMilliseconds"]
            if h:
                out["fitbit_hrv_rmssd_ms"] = h
        if "daily-respiratory-rate" in rec:
            out["fitbit_breathing_rate_per_minute"] = rec["daily-respiratory-rate"]["breathsPerMinute"]
        r = rec.get("daily-sleep-temperature-derivations")
        if r is not None and r["baselineTemperatureCelsius"] != "NaN":
            out["fitbit_skin_temperature_deviation_celsius"] = (r["nightlyTemperatureCelsius"]
                                                                - r["baselineTemperatureCelsius"])
        if "daily-vo2-max" in rec:
            out["fitbit_vo2max"] = rec["daily-vo2-max"]["vo2Max"]
        ws = self.samples(d)
        if ws:
            out["fitbit_weight_kg"] = ws[-1][1] / 1000
            fats = [w for w in ws if w[2] is not None]
            if fats:
                out["fitbit_body_fat_percent"] = fats[-1][2]
        return out

    def series(self, metric, a_ms, b_ms):
        """[[ts_ms, value], ...] ascending, as served, with a_ms <= ts_ms < b_ms."""
        if metric in ("fitbit_heart_rate_bpm", "fitbit_intraday_steps"):
            kind = "hr" if metric == "fitbit_heart_rate_bpm" else "steps"
            return [[m * 1000, val[0] if kind == "hr" else val]
                    for m, val in self.served_minutes(kind, a_ms // 1000, -(-b_ms // 1000))
                    if a_ms <= m * 1000 < b_ms]
        tz = self.tz()
        d = max(self.first_day(), datetime.fromtimestamp(a_ms / 1000, tz).date())
        last = min(self.today(), datetime.fromtimestamp(b_ms / 1000, tz).date() + timedelta(days=1))
        out = []
        while d <= last:
            main = self.main_sleep(d)
            if main is not None and main["type"] == "STAGES":
                out += [[a * 1000, STAGE_LEVEL[tp]] for tp, a, _ in main["stages"]
                        if a_ms <= a * 1000 < b_ms]
            d += timedelta(days=1)
        return out

    def devices(self):
        """The paired devices as served: the tracker as of its last sync, the
        scale as of its last weighing, a second tracker with dup_devices."""
        sync = int(self.sync_ts())
        seed = self.cfg["seed"]

        def status(level):
            return "High" if level > 60 else "Medium" if level > 25 else "Low" if level > 5 else "Empty"
        level = 20 + int(sync // 3600) % 80
        out = [{"name": "users/me/pairedDevices/2900000001", "deviceType": "TRACKER",
                "deviceVersion": self.cfg["tracker_version"], "batteryLevel": level, "batteryStatus": status(level),
                "lastSyncTime": rfc3339(sync), "macAddress": "C0:FF:EE:00:00:01",
                "features": TRACKER_FEATURES}]
        if self.cfg["no_last_sync"]:
            del out[0]["lastSyncTime"]
        last = None
        d = self.today()
        while last is None and d >= max(self.first_day(), self.today() - timedelta(days=120)):
            ws = self.samples(d)
            last = ws[-1][0] if ws else None
            d -= timedelta(days=1)
        scale = {"name": "users/me/pairedDevices/3100000002", "deviceType": "SCALE",
                 "deviceVersion": "Aria Air"}
        level = 35 + int(60 * seed_unit(seed, "scale-battery"))
        scale.update(batteryLevel=level, batteryStatus=status(level))
        if last is not None and not self.cfg["no_last_sync"]:
            scale["lastSyncTime"] = rfc3339(last)
        scale["macAddress"] = "C0:FF:EE:00:00:02"
        out.append(scale)
        if self.cfg["dup_devices"]:
            old = sync - 3 * 86400 - 1234
            out.append({"name": "users/me/pairedDevices/2900004821", "deviceType": "TRACKER",
                        "deviceVersion": "Charge 6", "batteryLevel": 8, "batteryStatus": status(8),
                        "lastSyncTime": rfc3339(old), "macAddress": "C0:FF:EE:00:00:03",
                        "features": TRACKER_FEATURES})
        return out

    def devices_truth(self):
        seen, out = set(), []
        for dv in self.devices():
            name = dv["deviceVersion"]
            if name in seen:
                name += " " + dv["name"][-4:]
            seen.add(dv["deviceVersion"])
            last = dv.get("lastSyncTime")
            out.append({"device": name, "type": dv["deviceType"].lower(),
                        "battery": dv["batteryLevel"],
                        "last_sync_s": None if last is None else parse_rfc3339_ms(last) // 1000})
        return out

    # -- tokens
    def new_access(self, scope, grant, account=None):
        tok = "ya29.a0" + secrets.token_urlsafe(48)
        self.access[tok] = {"expires_at": time.time() + self.cfg["token_lifetime"],
                            "scope": scope, "grant": grant, "account": account}
        self.issued.append(tok)
        return tok

    def new_refresh(self, scope, grant, account=None):
        tok = "1//0g" + secrets.token_urlsafe(64)
        self.refresh[tok] = {"scope": scope, "grant": grant, "account": account}
        self.issued.append(tok)
        # per Google Account and client: the account's oldest stops working
        mine = [t for t, e in self.refresh.items() if e["account"] == account]
        while len(mine) > MAX_REFRESH_TOKENS:
            self.drop_grant(self.refresh[mine[0]]["grant"])
            mine = [t for t in mine if t in self.refresh]
        return tok

    def drop_grant(self, grant):
        self.refresh = {t: e for t, e in self.refresh.items() if e["grant"] != grant}
        self.access = {t: e for t, e in self.access.items() if e["grant"] != grant}

    def issue(self, scope, with_refresh=True, account=None):
        grant = secrets.token_hex(8)
        out = {"access_token": self.new_access(scope, grant, account),
               "expires_in": self.cfg["token_lifetime"], "scope": scope,
               "token_type": "Bearer"}
        if with_refresh:
            out["refresh_token"] = self.new_refresh(scope, grant, account)
        return out

    def grant_scope(self, requested):
        allowed = self.cfg["scopes"]
        return " ".join(s for s in requested if allowed is None or s in allowed)

    # -- rate limit (real clock, fixed epoch-aligned minute)
    def roll_window(self):
        start = int(time.time() // 60) * 60
        if start != self.window_start:
            self.window_start, self.window_used = start, 0
        if start != self.project_start:
            self.project_start, self.project_used = start, 0

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
        m = TCX_PATH.search(path)
        if m:
            return f"{method} {m.group(1)}/dataPoints:exportExerciseTcx"
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
        account = q.get("login_hint")
        if account not in self.accounts:
            account = self.cfg["consent_account"]
        with self.as_account(account):
            return self.consent(q, scopes, redirect, access_type, prompt, challenge, method_,
                                account)

    def consent(self, q, scopes, redirect, access_type, prompt, challenge, method_, account):
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
                "expires_at": time.time() + CODE_LIFETIME, "account": account}
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
            out = {"access_token": self.new_access(e["scope"], e["grant"], e["account"]),
                   "expires_in": self.cfg["token_lifetime"], "scope": e["scope"],
                   "token_type": "Bearer"}
            if self.cfg["rotate_refresh"]:
                del self.refresh[tok]
                out["refresh_token"] = self.new_refresh(e["scope"], e["grant"], e["account"])
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
        return 200, self.issue(c["scope"], c["refresh"], c["account"]), "exchanged"

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
        if entry["account"] is not None:
            by = self.stats["by_account"]
            by[entry["account"]] = by.get(entry["account"], 0) + 1
        with self.as_account(entry["account"]):
            return self.api_as(method, path, query, body, entry, ep)

    def api_as(self, method, path, query, body, entry, ep):
        """An authenticated /v4 request, run as the token's account."""
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
        project = self.cfg["project_rate_limit_per_minute"]
        if project > 0 and self.project_used >= project:
            self.stats["rate_limited"] += 1
            b = status_body(429, "RESOURCE_EXHAUSTED",
                            "Quota exceeded for quota metric 'Queries' and limit 'Queries per "
                            "minute' of service 'health.googleapis.com' for consumer "
                            "'project_number:123456789012'.", "RATE_LIMIT_EXCEEDED",
                            {"service": DOMAIN, "quota_limit_value": str(project)})
            return 429, b, [], "project rate limited", ep
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
        self.project_used += 1
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
                  "identity": (PROFILE, self.r_identity)}
        if rest in simple:
            if method != "GET":
                return 404, status_body(404, "NOT_FOUND", "Method not found.")
            scope, fn = simple[rest]
            self.need(scopes, scope)
            return 200, fn()
        m = re.fullmatch(r"pairedDevices(?:/([^/]+))?", rest)
        if m is not None:
            if method != "GET":
                return 404, status_body(404, "NOT_FOUND", "Method not found.")
            self.need(scopes, SETTINGS)
            return self.r_devices(query, m.group(1))
        m = TCX_PATH.fullmatch(rest)
        if m is not None:
            if method != "GET":
                return 404, status_body(404, "NOT_FOUND", "Method not found.")
            return self.export_tcx(m.group(1), m.group(2), query, scopes)
        m = re.fullmatch(r"dataTypes/([^/:]+)/dataPoints(:\w+)?", rest)
        if m is None:
            return 404, status_body(404, "NOT_FOUND", "Method not found.")
        dtype, verb = m.group(1), m.group(2)
        known = (dtype in ROLLUPS or dtype in DAILY or dtype in SAMPLES or dtype == "sleep"
                 or dtype == "exercise"
                 or dtype in OTHER_TYPES or dtype in INTERVALS)
        if not known:
            return 400, bad_request(
                f"Invalid data type ID referenced in the parent data type collection: {dtype}",
                "parent", "INVALID_PARENT_DATA_TYPE_COLLECTION", {"dataType": dtype})
        if verb in (":dailyRollUp", ":rollUp") and method == "POST" and dtype in LIST_ONLY:
            return 400, unsupported_action(dtype, verb[1:])
        if verb == ":dailyRollUp" and method == "POST":
            if dtype not in ROLLUPS:
                return 400, bad_request(f"The data type ID {dtype} is not supported.", "parent")
            self.need(scopes, ROLLUPS[dtype][2], dtype)
            return self.daily_rollup(dtype, body)
        if verb == ":rollUp" and method == "POST" and dtype in MINUTE_ROLLUPS:
            self.need(scopes, ROLLUPS[dtype][2], dtype)
            return self.roll_up(dtype, body)
        if verb is None and method == "GET":
            if dtype in LIST_REJECTED:
                return 400, bad_request(f"The data type ID {dtype} is not supported.", "parent")
            if dtype in DAILY:
                self.need(scopes, DAILY[dtype][1], dtype)
                return self.list_daily(dtype, query)
            if dtype in SAMPLES:
                self.need(scopes, SAMPLES[dtype][1], dtype)
                return self.list_samples(dtype, query)
            if dtype == "sleep":
                self.need(scopes, SLEEP, dtype)
                return self.list_sleep(query)
            if dtype == "exercise":
                self.need(scopes, ACT, dtype)
                return self.list_exercise(query)
            if dtype in INTERVALS:
                self.need(scopes, INTERVALS[dtype][1], dtype)
                return self.list_levels(dtype, query)
            return 501, status_body(501, "UNIMPLEMENTED",
                                    f"fake_google does not model dataPoints.list for {dtype}")
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

    def r_devices(self, query, one=None):
        devices = self.devices()
        if one is not None:
            for dv in devices:
                if dv["name"].endswith("/" + one):
                    return 200, dv
            return 404, status_body(404, "NOT_FOUND", f"Paired device {one} not found.")
        q = self.query(query)
        size = self.page_size(q, DEVICE_PAGE_DEFAULT, DEVICE_PAGE_MAX, cfg_cap=False)
        bind = hashlib.sha256(f"pairedDevices|{size}".encode()).hexdigest()[:12]
        offset = 0
        tok = q.get("pageToken", q.get("page_token", ""))
        if tok:
            try:
                st = json.loads(self.unseal(tok))
                offset = int(st["o"])
                if st["b"] != bind:
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return 400, bad_request("The page token is invalid or does not match the request.",
                                        "page_token")
        page = devices[offset:offset + size]
        out = {"pairedDevices": page} if page else {}
        if offset + size < len(devices):
            out["nextPageToken"] = self.seal({"o": offset + size, "b": bind})
        return 200, out

    # -- request bodies, query strings, page sizes
    def json_body(self, body, known):
        text = body.decode("utf-8", "replace")
        try:
            req = json.loads(text) if text.strip() else {}
        except ValueError:
            if re.search(r'[:\[,]\s*-?0[0-9xX]', text):
                msg = "Invalid JSON payload received. Octal/hex numbers are not valid JSON values."
            else:
                msg = "Invalid JSON payload received. Unexpected token."
            raise ApiError(400, bad_request(msg)) from None
        if not isinstance(req, dict):
            raise ApiError(400, bad_request("Invalid JSON payload received. Root element must be a message."))
        for k in req:
            if k not in known:
                raise ApiError(400, bad_request(f'Invalid JSON payload received. Unknown name "{k}": '
                                                "Cannot find field.", k))
        fam = req.get("dataSourceFamily")
        if fam is not None and fam not in DATA_SOURCE_FAMILIES:
            raise ApiError(400, bad_request(f"Invalid data source family: {fam}", "data_source_family"))
        return req

    @staticmethod
    def query(query):
        q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        for k in q:
            if k not in ("filter", "pageSize", "page_size", "pageToken", "page_token",
                         "fields", "prettyPrint", "alt", "$.xgafv", "quotaUser",
                         "access_token", "key"):
                raise ApiError(400, bad_request(f"Invalid JSON payload received. Unknown name \"{k}\": "
                                                "Cannot bind query parameter.", k))
        return q

    def page_size(self, q, default, maximum, cfg_cap=True):
        """pageSize (or page_size): unset or 0 -> default, above maximum ->
        maximum (silently); the max_page_size control caps it further."""
        raw = q.get("pageSize", q.get("page_size", ""))
        if isinstance(raw, str):
            try:
                size = int(raw) if raw != "" else 0
            except ValueError:
                raise ApiError(400, bad_request(f"Invalid value at 'page_size' (TYPE_INT32), \"{raw}\"",
                                                "page_size")) from None
        else:
            try:
                size = self.int_field(raw, "pageSize")
            except ValueError as e:
                raise ApiError(400, bad_request(str(e), "page_size")) from None
        if size < 0:
            raise ApiError(400, bad_request("page_size must not be negative.", "page_size"))
        size = min(size or default, maximum)
        if cfg_cap and self.cfg["max_page_size"]:
            size = min(size, int(self.cfg["max_page_size"]))
        return size

    # -- dailyRollUp
    def daily_rollup(self, dtype, body):
        req = self.json_body(body, {"range", "windowSizeDays", "pageSize", "pageToken",
                                    "dataSourceFamily"})
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
                f"The maximum range for {dtype} is {cap} days.", "range",
                "INVALID_ROLLUP_QUERY_DURATION", {"maxDurationDays": str(cap)})
        member = ROLLUPS[dtype][0]
        points = []
        d = a
        while d < b:
            end = min(d + timedelta(days=win), b)
            vals = [(x, self.day(x)) for x in (d + timedelta(days=i) for i in range((end - d).days))]
            vals = [(x, v) for x, v in vals if v is not None]
            if vals and dtype == "heart-rate":
                hrs = [h for h in (self.hr_day(x) for x, _ in vals) if h is not None]
                if hrs:
                    n = sum(h[3] for h in hrs)
                    value = {"beatsPerMinuteAvg": round(sum(h[1] * h[3] for h in hrs) / n, 1),
                             "beatsPerMinuteMin": min(h[0] for h in hrs),
                             "beatsPerMinuteMax": max(h[2] for h in hrs)}
                    points.append({"civilStartTime": {"date": gdate(d)},
                                   "civilEndTime": {"date": gdate(end)}, member: value})
            elif vals:
                if win == 1:
                    value = rollup_value(dtype, vals[0][1])
                else:
                    value = self.merge(dtype, [v for _, v in vals])
                points.append({"civilStartTime": {"date": gdate(d)},
                               "civilEndTime": {"date": gdate(end)}, member: value})
            d = end
        points.reverse()        # newest day first (google-live.md)
        return 200, ({"rollupDataPoints": points} if points else {})

    def merge(self, dtype, vals):
        """A multi-day window: sums of the day values (averages for heart-rate)."""
        tot = dict(vals[0])
        for k in ("steps", "mm", "floors", "gain_mm", "active_kcal", "total_kcal"):
            tot[k] = sum(v[k] for v in vals)
        for k in ("zones", "zone_kcal"):
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

    # -- dataPoints:rollUp (physical windows over the minute data)
    def roll_up(self, dtype, body):
        req = self.json_body(body, {"range", "windowSize", "pageSize", "pageToken",
                                    "dataSourceFamily"})
        if "windowSize" not in req:
            return 400, bad_request("windowSize is required.", "window_size")
        ws = req["windowSize"]
        m = DURATION_RE.fullmatch(ws) if isinstance(ws, str) else None
        if m is None:
            return 400, bad_request("Invalid value at 'window_size' (type.googleapis.com/"
                                    f"google.protobuf.Duration), {json.dumps(ws)}", "window_size")
        frac = (m.group(2) or "").ljust(9, "0")
        win = int(m.group(1)) * 1000 + int(frac[:3])
        if int(frac[3:]):
            return 400, bad_request("windowSize must be a whole number of milliseconds.", "window_size")
        if win < 1000:
            return 400, bad_request("windowSize must be at least 1s.", "window_size")
        rng = req.get("range")
        if not isinstance(rng, dict) or "startTime" not in rng or "endTime" not in rng:
            return 400, bad_request("range with startTime and endTime is required.", "range")
        for k in rng:
            if k not in ("startTime", "endTime"):
                return 400, bad_request(f'Invalid JSON payload received. Unknown name "{k}" at '
                                        "'range'.", "range")
        try:
            a, b = parse_rfc3339_ms(rng["startTime"]), parse_rfc3339_ms(rng["endTime"])
        except ValueError as e:
            return 400, bad_request(f"Invalid range: {e}.", "range")
        if a >= b:
            return 400, bad_request("range.startTime must be before range.endTime.", "range")
        cap = ROLLUPS[dtype][1]
        if b - a > cap * 86400000:
            return 400, bad_request(f"The maximum range for {dtype} is {cap} days.", "range",
                                    "INVALID_ROLLUP_QUERY_DURATION", {"maxDurationDays": str(cap)})
        if (b - a) % win:
            return 400, bad_request("The range must be a whole number of windowSize windows.",
                                    "window_size")
        nwin = (b - a) // win
        size = self.page_size({"pageSize": req.get("pageSize", "")}, PAGE_DEFAULT, PAGE_MAX)
        bind = hashlib.sha256(f"{dtype}|{a}|{b}|{win}|{size}|{req.get('dataSourceFamily', '')}"
                              .encode()).hexdigest()[:12]
        k0 = 0
        if req.get("pageToken"):
            try:
                st = json.loads(self.unseal(str(req["pageToken"])))
                k0 = int(st["k"])
                if st["b"] != bind:
                    raise ValueError
            except (ValueError, KeyError, TypeError):
                return 400, bad_request("The page token is invalid or does not match the request.",
                                        "page_token")
        keep = self.cfg["rollup_empty_windows"] == "keep"
        hr = dtype == "heart-rate"
        agg, order = {}, []
        for m_s, val in self.served_minutes("hr" if hr else "steps", (a + k0 * win) // 60000 * 60,
                                            -(-b // 1000)):
            ms = m_s * 1000
            if hr:   # every window the minute overlaps
                first, last = max(k0, (ms - a) // win), min(nwin - 1, (ms + 59999 - a) // win)
            else:    # the window holding the minute's start
                if ms < a:
                    continue
                first = last = (ms - a) // win
                if first < k0:
                    continue
            if first >= nwin or (keep and first >= k0 + size):
                break
            if not keep and len(order) > size and order[size] < first:
                break
            for i in range(first, last + 1):
                cur = agg.get(i)
                if cur is None:
                    order.append(i)
                    agg[i] = [val[0], 1, val[1], val[2]] if hr else val
                elif hr:
                    cur[0] += val[0]
                    cur[1] += 1
                    cur[2], cur[3] = min(cur[2], val[1]), max(cur[3], val[2])
                else:
                    agg[i] = cur + val
        if keep:
            idxs = range(k0, min(nwin, k0 + size))
            nxt = k0 + size if k0 + size < nwin else None
        else:
            idxs = order[:size]
            nxt = order[size] if len(order) > size else None
        member = ROLLUPS[dtype][0]
        points = []
        for i in idxs:
            p = {"startTime": rfc3339((a + i * win) / 1000), "endTime": rfc3339((a + (i + 1) * win) / 1000)}
            v = agg.get(i)
            if v is not None and hr:
                p[member] = {"beatsPerMinuteAvg": round(v[0] / v[1], 2), "beatsPerMinuteMin": v[2],
                             "beatsPerMinuteMax": v[3]}
            elif v is not None:
                p[member] = {"countSum": str(v)} if v else {}
            points.append(p)
        out = {"rollupDataPoints": points} if points else {}
        if nxt is not None:
            out["nextPageToken"] = self.seal({"k": nxt, "b": bind})
        return 200, out

    # -- dataPoints.list: daily records, samples, sleep sessions
    def list_daily(self, dtype, query):
        q = self.query(query)
        flt = q.get("filter", "")
        lo, hi = self.parse_filter(dtype, flt)
        size = min(self.page_size(q, PAGE_DEFAULT, PAGE_MAX), LIST_PAGE_POINTS)
        # every record in range, newest first
        first, last = self.first_day(), self.today()
        if lo is not None:
            first = max(first, lo)
        if hi is not None:
            last = min(last, hi - timedelta(days=1))
        member = DAILY[dtype][0]
        user = self.health_user_id()
        items = []
        d = last
        while d >= first:
            rec = self.records(d).get(dtype)
            if rec is not None:
                rid = hashlib.sha256(f"{dtype}{self.cfg['seed']}{d}".encode()).hexdigest()[:24]
                items.append({"name": f"users/{user}/dataTypes/{dtype}/dataPoints/{rid}",
                              "dataSource": {"recordingMethod": "DERIVED",
                                             "device": {"displayName": "Charge 6"},
                                             "platform": "FITBIT"},
                              member: rec})
            d -= timedelta(days=1)
        return self.paginate(f"{dtype}|{flt}|{size}", items, q, size)

    def list_samples(self, dtype, query):
        q = self.query(query)
        flt = q.get("filter", "")
        t = snake(dtype)
        members = {f"{t}.sample_time.physical_time": "physical", f"{t}.sample_time.civil_time": "civil"}
        dnf = self.parse_dnf(dtype, flt, members, False)
        size = min(self.page_size(q, PAGE_DEFAULT, PAGE_MAX), LIST_PAGE_POINTS)
        tz, user, member = self.tz(), self.health_user_id(), SAMPLES[dtype][0]
        first, last = self.dnf_days(dnf)
        items = []
        d = last
        while d >= first:
            for ts, grams, fat in reversed(self.samples(d)):
                if dtype == "body-fat" and fat is None:
                    continue
                vals = {f"{t}.sample_time.physical_time": ts,
                        f"{t}.sample_time.civil_time": local_naive(ts, tz)}
                if not dnf_match(dnf, vals):
                    continue
                value = {"sampleTime": {"physicalTime": rfc3339(ts), "utcOffset": utc_offset(ts, tz),
                                        "civilTime": civil_time(ts, tz)}}
                if dtype == "weight":
                    value["weightGrams"] = grams
                else:
                    value["percentage"] = fat
                items.append({"name": f"users/{user}/dataTypes/{dtype}/dataPoints/"
                                      f"{point_id(dtype, self.cfg['seed'], ts)}",
                              "dataSource": SCALE_SOURCE, member: value})
            d -= timedelta(days=1)
        return self.paginate(f"{dtype}|{flt}|{size}", items, q, size)

    def list_sleep(self, query):
        q = self.query(query)
        flt = q.get("filter", "")
        dnf = self.parse_dnf("sleep", flt, SLEEP_MEMBERS, True)
        size = self.page_size(q, SLEEP_PAGE, SLEEP_PAGE)
        tz, user = self.tz(), self.health_user_id()
        first, last = self.dnf_days(dnf)
        wide = self.cfg["sleep_5xx_days"]
        if wide and (self.dnf_days(dnf, pad=0)[1] - self.dnf_days(dnf, pad=0)[0]).days + 1 > wide:
            raise ApiError(500, status_body(500, "INTERNAL", "Internal error encountered."))
        found = []
        d = last
        while d >= first:
            for s in self.sessions(d):
                vals = {"sleep.interval.end_time": s["end"],
                        "sleep.interval.civil_end_time": local_naive(s["end"], tz)}
                if dnf_match(dnf, vals):
                    found.append(s)
            d -= timedelta(days=1)
        found.sort(key=lambda s: s["start"], reverse=True)     # newest start first
        sync = self.sync_ts()
        cur = self.open_session()
        if cur is not None and dnf_match(dnf, {"sleep.interval.end_time": sync,
                                               "sleep.interval.civil_end_time": local_naive(sync, tz)}):
            found.insert(0, dict(cur, open=True))              # asleep now: served first
        return self.paginate(f"sleep|{flt}|{size}", found, q, size,
                             lambda s: open_sleep_point(user, s, tz, sync) if s.get("open")
                             else sleep_point(user, s, tz))

    def list_exercise(self, query):
        q = self.query(query)
        flt = q.get("filter", "")
        dnf = self.parse_dnf("exercise", flt, EXERCISE_MEMBERS, False)
        size = self.page_size(q, EXERCISE_PAGE, EXERCISE_PAGE)
        tz, user = self.tz(), self.health_user_id()
        first, last = self.dnf_days(dnf)
        found = []
        d = last
        while d >= first:
            found += [x for x in self.workouts(d)
                      if dnf_match(dnf, {"exercise.interval.start_time": x["start"],
                                         "exercise.interval.civil_start_time":
                                         local_naive(x["start"], tz)})]
            d -= timedelta(days=1)
        cur = self.open_workout()
        if dnf_match(dnf, {"exercise.interval.start_time": cur["start"],
                           "exercise.interval.civil_start_time": local_naive(cur["start"], tz)}):
            found.append(cur)
        found.sort(key=lambda x: (x["start"], x["id"]), reverse=True)   # newest start first
        return self.paginate(f"exercise|{flt}|{size}", found, q, size,
                             lambda x: exercise_point(user, x, tz))

    def export_tcx(self, dtype, sid, query, scopes):
        """GET .../exercise/dataPoints/{id}:exportExerciseTcx: the session's
        TCX (alt=media: the document; else JSON {"tcxData"}); partialData
        true adds the points without a position. Needs activity_and_fitness
        and location (the reference's note), or, with tcx_without_location
        "routeless", answers without location the same file without Position."""
        q = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        for k in q:
            if k not in TCX_QUERY:
                return 400, bad_request(f"Invalid JSON payload received. Unknown name \"{k}\": "
                                        "Cannot bind query parameter.", k)
        alt, partial = q.get("alt", "json"), q.get("partialData", "false")
        if alt not in ("json", "media") or partial not in ("true", "false"):
            bad = "alt" if alt not in ("json", "media") else "partial_data"
            return 400, bad_request(f"Invalid value at '{bad}', "
                                    f"\"{alt if bad == 'alt' else partial}\"", bad)
        if dtype != "exercise":
            return 400, bad_request(f"exportExerciseTcx is not supported for data type {dtype}.",
                                    "name")
        self.need(scopes, ACT, "exercise")
        if LOCATION not in scopes and self.cfg["tcx_without_location"] == "forbidden":
            self.need(scopes, LOCATION)
        x, state = faketcx.find(self, sid)
        if x is None:
            return 404, status_body(404, "NOT_FOUND", f"Exercise data point {sid} not found."
                                    if state == "unknown" else
                                    f"Exercise data point {sid} is in progress: no TCX yet.")
        laps = faketcx.route(x, self.cfg["seed"], "g")
        fault = faketcx.match_fault(self.tcx_faults, sid, True)
        if fault is not None:
            self.stats["faults_injected"] += 1
            return 200, faketcx.hostile_body(fault, x, laps, faketcx.utc_ms)
        doc = faketcx.document(x, laps, faketcx.utc_ms, LOCATION in scopes, partial == "true")
        if alt == "json":
            return 200, {"tcxData": doc}
        return 200, RawBody(faketcx.CONTENT_TYPE, doc.encode())

    def list_levels(self, dtype, query):
        q = self.query(query)
        flt = q.get("filter", "")
        t = snake(dtype)
        members = {f"{t}.interval.start_time": "physical", f"{t}.interval.civil_start_time": "civil"}
        dnf = self.parse_dnf(dtype, flt, members, False)
        size = min(self.page_size(q, PAGE_DEFAULT, PAGE_MAX), LIST_PAGE_POINTS)
        tz, user = self.tz(), self.health_user_id()
        first, last = self.dnf_days(dnf)
        items = []
        d = last
        while d >= first:
            for iv in reversed(self.levels(d)):
                if dnf_match(dnf, {f"{t}.interval.start_time": iv[0],
                                   f"{t}.interval.civil_start_time": local_naive(iv[0], tz)}):
                    items.append(iv)
            d -= timedelta(days=1)
        return self.paginate(f"{dtype}|{flt}|{size}", items, q, size,
                             lambda iv: level_point(user, iv, tz))

    def paginate(self, bind_src, items, q, size, build=None):
        """One page of items (newest first) with an opaque token bound to the
        request; the empty page sits where the empty_page control says."""
        bind = hashlib.sha256(bind_src.encode()).hexdigest()[:12]
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
        if build is not None:
            page = [build(x) for x in page]
        out = {"dataPoints": page} if page else {}
        nxt = offset + len(page)
        if nxt < len(items) or (not emptied and empty_at is not None and n < empty_at):
            out["nextPageToken"] = self.seal({"o": nxt, "e": emptied, "n": n + 1, "b": bind})
        return 200, out

    def parse_dnf(self, dtype, flt, members, allow_or):
        """A filter of `member op literal` clauses joined by AND (and, where
        allowed, OR; parentheses only around whole clauses or AND groups) ->
        [[(member, op, value)]] (OR of ANDs; [] = no filter). Values: epoch s
        for physical members (RFC 3339), naive datetimes for civil ones."""
        if not flt.strip():
            return []

        def syntax(msg):
            return ApiError(400, bad_request(
                f"Invalid data point filter syntax: {msg}", "filter",
                "INVALID_DATA_POINT_FILTER_SYNTAX", {"filter": flt}))
        parts = re.split(r"\s+OR\s+", unparen(flt))
        if len(parts) > 1 and not allow_or:
            raise syntax(f"OR is not supported for data type '{dtype}'")
        out = []
        for part in parts:
            conj = []
            for c in re.split(r"\s+AND\s+", unparen(part)):
                c = unparen(c)
                m = re.fullmatch(r'([A-Za-z_][\w.]*)\s*(>=|<=|>|<|=|!=)\s*("([^"]*)"|[\w:.+-]+)', c)
                if m is None:
                    raise syntax(f"cannot parse '{c}'")
                member, op = m.group(1), m.group(2)
                lit = m.group(4) if m.group(4) is not None else m.group(3)
                if member not in members:
                    raise ApiError(400, bad_request(
                        f"Invalid data point filter: member '{member}' is not a valid member of "
                        f"data type '{dtype}'. Supported: "
                        + ", ".join(f"'{x}'" for x in members) + ".", "filter",
                        "INVALID_DATA_POINT_FILTER_DATA_TYPE_MEMBER",
                        {"dataType": dtype, "member": member}))
                if op not in (">=", ">", "<", "<="):
                    raise syntax(f"operator '{op}' is not supported")
                try:
                    val = (parse_rfc3339_ms(lit) / 1000 if members[member] == "physical"
                           else parse_civil(lit))
                except ValueError as e:
                    raise ApiError(400, bad_request(
                        f"Invalid data point filter: {e}.", "filter",
                        "INVALID_DATA_POINT_FILTER", {"filter": flt})) from None
                conj.append((member, op, val))
            out.append(conj)
        return out

    def dnf_days(self, dnf, pad=1):
        """(first, last) local days that may hold a match, within the
        membership start .. today."""
        first, last = self.first_day(), self.today()
        if not dnf:
            return first, last
        tz = self.tz()
        los, his = [], []
        for conj in dnf:
            lo = hi = None
            for _, op, v in conj:
                dd = v.date() if isinstance(v, datetime) else datetime.fromtimestamp(v, tz).date()
                if op in (">=", ">"):
                    lo = dd if lo is None else max(lo, dd)
                else:
                    hi = dd if hi is None else min(hi, dd)
            los.append(lo)
            his.append(hi)
        if None not in los:
            first = max(first, min(los) - timedelta(days=pad))
        if None not in his:
            last = min(last, max(his) + timedelta(days=pad))
        return first, last

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
        if path in ("/_test/truth", "/_test/series", "/_test/devices", "/_test/exercise",
                    "/_test/route"):
            try:
                account = self.account_arg(q)
            except ValueError as e:
                return 400, {"error": str(e)}
            with self.as_account(account):
                return self.control_data(method, path, q)
        return self.control_state(method, path, query, body, q)

    def control_data(self, method, path, q):
        """The truth, the series and the devices of one account (account=)."""
        if method == "GET" and path == "/_test/truth":
            s = q.get("date", "today")
            try:
                d = self.today() if s == "today" else date.fromisoformat(s)
            except ValueError:
                return 400, {"error": f"bad date {s}"}
            return 200, self.truth(d)
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
            return exercise_answer(q, self.workouts, lambda k: EXERCISE_KINDS[k][2],
                                   EXERCISE_ZONES, zero_steps=False)
        if method == "GET" and path == "/_test/route":
            x, state = faketcx.find(self, q.get("id"))
            if x is None:
                return 404, {"error": f"session {q.get('id')!r} is {state}: no TCX"}
            return 200, faketcx.truth(x, self.cfg["seed"], "g", EXERCISE_KINDS[x["kind"]][2],
                                      faketcx.match_fault(self.tcx_faults, x["id"], False))
        return 404, {"error": f"no control route {method} {path}"}

    def control_state(self, method, path, query, body, q):
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
                         "account": {t: e["account"] for t, e in list(valid.items())
                                     + list(self.refresh.items()) if e["account"] is not None},
                         "issued": list(self.issued)}
        if method == "POST" and path == "/_test/tokens":
            try:
                req = json.loads(body or b"{}")
            except ValueError:
                return 400, {"error": "body is not JSON"}
            scope = req.get("scope") or " ".join(READ_SCOPES)
            account = req.get("account")
            if account is not None and account not in self.accounts:
                return 400, {"error": f"unknown account '{account}'"}
            return 200, self.issue(self.grant_scope(scope.split()), account=account)
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
        v = dict(self.cfg, faults=self.faults, forbid_scope=self.forbid_scope,
                 tcx_faults=self.tcx_faults)
        v["now_iso"] = self.local_now().isoformat()
        v["today"] = self.today().isoformat()
        v["last_sync"] = self.sync_ts()
        v["last_sync_iso"] = datetime.fromtimestamp(self.sync_ts(), self.tz()).isoformat()
        v["health_user_id"] = self.health_user_id()
        v["scopes_all"] = READ_SCOPES
        v["accounts"] = {}
        for name, acct in self.accounts.items():
            with self.as_account(name):
                v["accounts"][name] = dict(acct["cfg"], health_user_id=self.health_user_id(),
                                           today=self.today().isoformat())
        return v

    def configure(self, req):
        """Options are set, actions are done, in one request."""
        for key, val in req.items():
            if key in INT_KEYS:
                self.cfg[key] = int(val)
                if key == "sync_lag_s" and self.cfg[key] < 0:
                    raise ValueError("sync_lag_s must not be negative")
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
            elif key in ("client_id", "client_secret", "redirect_uri", "tracker_version"):
                self.cfg[key] = str(val) if key == "tracker_version" else val
            elif key == "empty_page":
                val = {True: "first", False: "off", None: "off"}.get(val, val)
                if val not in ("first", "after_first", "off"):
                    raise ValueError("empty_page: first, after_first, off (or a bool)")
                self.cfg[key] = val
            elif key == "rollup_empty_windows":
                if val not in ("omit", "keep"):
                    raise ValueError("rollup_empty_windows: omit or keep")
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
                self.faults, self.forbid_scope, self.tcx_faults = [], [], []
            elif key in ("tcx_fault", "tcx_faults"):
                faketcx.add_faults(self.tcx_faults, val, key == "tcx_fault")
            elif key == "tcx_without_location":
                if val not in ("forbidden", "routeless"):
                    raise ValueError("tcx_without_location: forbidden or routeless")
                self.cfg[key] = val
            elif key == "forbid_scope":
                vals = [val] if isinstance(val, str) else list(val or [])
                for t in vals:
                    if (t not in ROLLUPS and t not in DAILY and t not in SAMPLES and t != "sleep"
                            and t not in INTERVALS):
                        raise ValueError(f"forbid_scope: unknown data type {t}")
                self.forbid_scope = vals
            elif key == "accounts":
                self.set_accounts(val)
            elif key == "consent_account":
                if val is not None and val not in self.accounts:
                    raise ValueError(f"consent_account: unknown account '{val}'")
                self.cfg[key] = val
            elif key == "expire_access_token":
                name = val if isinstance(val, str) else None
                if name is not None and name not in self.accounts:
                    raise ValueError(f"expire_access_token: unknown account '{name}'")
                for e in self.access.values():
                    if name is None or e["account"] == name:
                        e["expires_at"] = time.time() - 1
            elif key == "revoke_all":
                self.access, self.refresh = {}, {}
            elif key == "revoke_account":
                if val not in self.accounts:
                    raise ValueError(f"revoke_account: unknown account '{val}'")
                for grant in {e["grant"] for e in list(self.access.values())
                              + list(self.refresh.values()) if e["account"] == val}:
                    self.drop_grant(grant)
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
    p.add_argument("--sync-lag-s", type=int, default=0,
                   help="the tracker last synced this many seconds before the data clock's now")
    a = p.parse_args(argv)
    opts = dict(DEFAULTS)
    ZoneInfo(a.timezone)
    opts.update(client_id=a.client_id, client_secret=a.client_secret,
                membership_start=(date.fromisoformat(a.membership_start).isoformat()
                                  if a.membership_start else None),
                timezone=a.timezone, token_lifetime=a.token_lifetime,
                rotate_refresh=a.rotate_refresh, seed=a.seed, latency_ms=a.latency_ms,
                now=parse_now(a.now, a.timezone), rate_limit_per_minute=a.rate_limit_per_minute,
                redirect_uri=a.redirect_uri, sync_lag_s=max(0, a.sync_lag_s))
    serve(Handler, Fake(opts), a.port, a.port_file, "fake_google")


if __name__ == "__main__":
    main()
