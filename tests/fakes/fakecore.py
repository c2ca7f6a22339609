"""What the fake APIs share: the data clock, the request log, the JSON
HTTP handler (and its raw or streamed answers, RawBody), the server's
start-up and the data generators both fakes draw from (the seeded random
streams, local midnights, seasonal curves, sleep stage segments, the minute
activity, steps and heart-rate curves with their gaps, VO2 max and body-fat
centres, the scale's weighing times, the workout sessions). What it
generates is our guess, not in any source we read (the fakes' "WITHOUT
proof" lists say where it shows). Python 3 standard library only; the
API-specific behaviour and answer shapes stay in fake_fitbit.py and
fake_google.py, the workouts' TCX routes in faketcx.py."""

import hashlib
import json
import math
import os
import random
import re
import select
import signal
import socket
import sys
import time
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

MAX_LOG = 20000


def parse_now(val, zone):
    """None, epoch seconds (number or digits), or ISO 8601 (naive = in the
    user's zone) -> epoch seconds."""
    if val is None or isinstance(val, (int, float)):
        return None if val is None else float(val)
    if re.fullmatch(r"\d+(\.\d+)?", val):
        return float(val)
    dt = datetime.fromisoformat(val)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(zone))
    return dt.timestamp()


# ------------------------------------------------------------ data generators
#
# Every value is deterministic per (seed, date): each fake salts the seed
# ("" for Fitbit, "g" for Google) so the two fakes serve different people.

def rng_for(seed, d, stream=None, salt=""):
    """A random stream of its own per (seed, day, purpose); stream None is
    the day's own stream ("{salt}{seed}:{date}"), the others append
    ":{stream}" and leave it untouched."""
    key = f"{salt}{seed}:{d.isoformat()}" + ("" if stream is None else f":{stream}")
    return random.Random(hashlib.sha256(key.encode()).digest())


def seed_unit(seed, what, salt=""):
    """A number in [0, 1) fixed per seed (personal baselines)."""
    h = hashlib.sha256(f"{salt}{seed}:{what}".encode()).digest()
    return int.from_bytes(h[:6], "big") / 2 ** 48


def midnight(d, tz):
    """Epoch seconds of the local midnight that starts day d."""
    return int(datetime(d.year, d.month, d.day, tzinfo=tz).timestamp())


def seasonal(d, amplitude, period_days):
    """A slow sine over the calendar: amplitude * sin(2 pi ordinal / period)."""
    return amplitude * math.sin(2 * math.pi * d.toordinal() / period_days)


def vo2_center(unit, d):
    """The VO2 max a person's nights scatter around: 38-50 by their seed
    unit, +-1.5 over 120 days."""
    return 38 + 12 * unit + seasonal(d, 1.5, 120)


def body_fat_center(unit, d):
    """The body fat % a person's weighings scatter around: 18-26 by their
    seed unit, +-0.8 over 180 days."""
    return 18 + 8 * unit + seasonal(d, 0.8, 180)


def weigh_times(rng, d, tz):
    """Epoch seconds of the scale's weighings on day d: on about one day in
    four one in the morning (06:15-08:45), ~20% of those days a second one
    in the evening (19:00-22:30); [] on the other days."""
    if rng.random() >= 0.25:
        return []
    m0 = midnight(d, tz)
    times = [m0 + rng.randint(6 * 3600 + 900, 8 * 3600 + 2700)]
    if rng.random() < 0.2:
        times.append(m0 + rng.randint(19 * 3600, 22 * 3600 + 1800))
    return times


def stage_segments(rng, minutes, staged):
    """Contiguous [stage, minutes] segments of a sleep that add up to
    minutes: staged, sleep cycles of "light", "deep", "rem" and "wake"
    (deep sleep in the first two cycles, a final wake); else "asleep",
    "restless" and "awake" (classic)."""
    segs = []
    left = minutes

    def add(stage, m):
        nonlocal left
        if left <= 0 or m <= 0:
            return
        m = min(m, left)
        if segs and segs[-1][0] == stage:
            segs[-1][1] += m
        else:
            segs.append([stage, m])
        left -= m
    if staged:
        final = min(rng.randint(2, 10), minutes // 10)
        left -= final
        if rng.random() < 0.6:
            add("wake", rng.randint(2, 12))
        cycle = 0
        while left > 0:
            add("light", rng.randint(15, 40))
            add("deep", rng.randint(20, 45) if cycle < 2 else rng.randint(0, 15))
            add("light", rng.randint(8, 25))
            add("rem", rng.randint(5, 15) if cycle == 0 else rng.randint(12, 35))
            if rng.random() < 0.8:
                add("wake", rng.randint(2, 12))
            cycle += 1
        left += final
        add("wake", final)
    else:
        while left > 0:
            add("asleep", rng.randint(20, 90))
            r = rng.random()
            if r < 0.5:
                add("restless", rng.randint(1, 5))
            elif r < 0.7:
                add("awake", rng.randint(1, 4))
    return segs


def asleep_mask(sleeps, t0, n):
    """bytearray(n): 1 for the minutes from t0 that a sleep ({"start",
    "end"} epoch s) covers."""
    asleep = bytearray(n)
    for s in sleeps:
        a, b = max(0, (s["start"] - t0) // 60), min(n, (s["end"] - t0) // 60)
        if b > a:
            asleep[a:b] = b"\x01" * (b - a)
    return asleep


def activity_weights(rng, asleep):
    """The activity of each minute (0 asleep): ~30% of the awake minutes
    0.5-25, and 3-9 walks of 5-45 minutes at 70-125 (+-15%)."""
    n = len(asleep)
    weight = [0.0] * n
    awake = [i for i in range(n) if not asleep[i]]
    for i in awake:
        if rng.random() < 0.3:
            weight[i] = rng.uniform(0.5, 25)
    for _ in range(rng.randint(3, 9)):              # walks
        if not awake:
            break
        st, ln, inten = rng.choice(awake), rng.randint(5, 45), rng.uniform(70, 125)
        for i in range(st, min(n, st + ln)):
            if not asleep[i]:
                weight[i] = inten * rng.uniform(0.85, 1.1)
    return weight


def cumulative_steps(steps, weight, total):
    """Steps counted by the end of each minute, cum[0..n] (cum[0] = 0,
    cum[n] = steps), spread over the minutes by weight (of sum total)."""
    n = len(weight)
    cum = [0] * (n + 1)
    acc = 0.0
    for i in range(n):
        acc += weight[i]
        cum[i + 1] = min(steps, round(steps * acc / total))
    cum[n] = steps
    return cum


def heart_walk(rng, rhr, asleep, weight):
    """Yields the heart rate (float bpm) of each minute: a random walk
    pulled towards rhr - 4 asleep and rhr + 14 + 0.45 * activity awake,
    never below 38. A generator: the caller may draw from rng between two
    minutes."""
    x = rhr + 4.0
    gauss = rng.gauss
    for i in range(len(weight)):
        target = rhr - 4 if asleep[i] else rhr + 14 + 0.45 * weight[i]
        x = max(38.0, x + 0.35 * (target - x) + gauss(0, 1.6))
        yield x


def heart_gaps(rng, n):
    """bytearray(n): 1 for the minutes without heart rate, 2-5 % of them
    in gaps of 1-12 minutes."""
    gone = bytearray(n)
    want, missing = int(n * rng.uniform(0.02, 0.05)), 0
    while missing < want:
        st = rng.randrange(n)
        for i in range(st, min(n, st + rng.randint(1, 12))):
            if not gone[i]:
                gone[i] = 1
                missing += 1
    return gone


# ------------------------------------------------------------ exercise
#
# Workout sessions, shared by both fakes (each maps them to its API's
# shape). Our guesses: 0-2 sessions a day from 06:00 to 21:00 local,
# whole seconds; every 5th day (by ordinal) also two sessions that start in
# the same second; every 4th day's first session was edited after it
# ended (its original start 30 min earlier, its original length shorter);
# on a DST change day a session at 02:30 (fall-back: the second, CET
# occurrence) or 03:30 (spring) local; swims have no steps, yoga and
# weights no distance, weights no elevation. The session the user is in
# (start 10 min before the last sync) is served open, never in a truth.
#
# kind: (Google ExerciseType, legacy activityName, Google label, legacy
# label): the labels are README's activity table.
EXERCISE_KINDS = {
    "run": ("RUNNING", "Run", "run", "run"),
    "walk": ("WALKING", "Walk", "walk", "walk"),
    "bike": ("BIKING", "Outdoor Bike", "outdoor_bike", "outdoor_bike"),
    "swim": ("SWIMMING", "Swim", "swim", "swim"),
    "weights": ("WEIGHTLIFTING", "Weights", "weights", "weights"),
    "yoga": ("YOGA", "Yoga", "yoga", "yoga"),
    "hiit": ("HIIT", "HIIT", "hiit", "hiit"),
    "treadmill": ("OTHER", "Treadmill", "other", "treadmill"),
    "tennis": ("WORKOUT", "Tennis", "workout", "other"),
}
EXERCISE_SPEED = {"run": 2.9, "walk": 1.4, "bike": 6.5, "swim": 0.7, "treadmill": 2.6,
                  "hiit": 1.0, "tennis": 0.8}


def exercise_session(rng, d, k, start, sid):
    """One ended session of kind k starting at epoch second start."""
    active = rng.randint(12, 75) * 60 + rng.randint(0, 59)
    paused = rng.choice((0, 0, 60, 240))
    zones = [rng.randint(0, 20) for _ in range(4)]      # minutes per zone, low .. peak
    zones[0] = max(0, active // 60 - sum(zones[1:]))
    s = {"id": sid, "kind": k, "start": start, "end": start + active + paused,
         "active_s": active, "kcal": round(active / 60 * rng.uniform(4, 12), 1),
         "hr": rng.randint(85, 165), "azm": zones[1] + 2 * (zones[2] + zones[3]),
         "zones": zones, "edited": False, "title": f"My {k} #{rng.randint(1, 999)}"}
    if k in EXERCISE_SPEED:
        s["dist_m"] = round(active * EXERCISE_SPEED[k] * rng.uniform(0.8, 1.2), 1)
    if k not in ("swim", "yoga", "weights"):
        s["steps"] = int(active * rng.uniform(0.8, 2.8)) if k != "bike" else 0
    if k not in ("weights", "yoga", "swim", "treadmill"):
        s["elev_m"] = round(rng.uniform(0, 80), 1)
    return s


def exercise_sessions(seed, d, tz, salt=""):
    """The ended sessions that start on local day d, oldest first."""
    rng = rng_for(seed, d, "exercise", salt)
    kinds = sorted(EXERCISE_KINDS)
    base = 7000000000 + d.toordinal() * 10
    out = []
    m0, m1 = midnight(d, tz), midnight(d + timedelta(days=1), tz)
    if (m1 - m0) != 86400:                              # a DST change day
        wall = datetime(d.year, d.month, d.day, 2 if m1 - m0 > 86400 else 3, 30,
                        fold=1, tzinfo=tz)
        out.append(exercise_session(rng, d, "run", int(wall.timestamp()), base + 9))
    n = rng.choice((0, 1, 1, 1, 2))
    starts = sorted(rng.randint(6 * 3600, 21 * 3600) for _ in range(n))
    for i, t in enumerate(starts):
        out.append(exercise_session(rng, d, rng.choice(kinds), m0 + t, base + 1 + i))
    if d.toordinal() % 5 == 0:                          # two in the same second
        t = m0 + rng.randint(6 * 3600, 20 * 3600)
        out.append(exercise_session(rng, d, "weights", t, base + 5))
        out.append(exercise_session(rng, d, "yoga", t, base + 6))
    out.sort(key=lambda s: (s["start"], s["id"]))
    if out and d.toordinal() % 4 == 1:
        e = out[0]
        e.update(edited=True, orig_start=e["start"] - 1800,
                 orig_active_s=e["active_s"] - 300)
    return out


def exercise_open(seed, sync, salt=""):
    """The session the user is in at the last sync (never ended)."""
    rng = random.Random(f"{salt}{seed}:open:{int(sync) // 3600}")
    k = sorted(EXERCISE_KINDS)[rng.randrange(len(EXERCISE_KINDS))]
    return {"id": 6999999999, "kind": k, "start": int(sync) - 600, "open": True}


def exercise_truth(sessions, label, zone_names, zero_steps=True, kcal=float):
    """SPEC's samples of sessions (ended, of any days), by README's rule:
    in start order (then id), a session not after the previous stamp is
    stamped 1 ms after it. label(kind) -> activity; zone_names: the four
    zone labels, low to peak; zero_steps False: a 0 is not served (proto3);
    kcal: how the API serves calories (round: whole kcal).
    Returns [{"ts_ms", "activity", "values": {metric: v}, "zones": {zone:
    seconds}, "start", "id"}]."""
    out, prev = [], None
    for s in sorted(sessions, key=lambda s: (s["start"], s["id"])):
        ts = s["start"] * 1000
        if prev is not None and ts <= prev:
            ts = prev + 1
        prev = ts
        v = {"fitbit_exercise_duration_seconds": s["active_s"],
             "fitbit_exercise_calories": kcal(s["kcal"]),
             "fitbit_exercise_heart_rate_avg_bpm": s["hr"],
             "fitbit_exercise_active_zone_minutes": s["azm"]}
        if "dist_m" in s:
            v["fitbit_exercise_distance_km"] = s["dist_m"] / 1000
        if "steps" in s and (zero_steps or s["steps"]):
            v["fitbit_exercise_steps"] = s["steps"]
        if "elev_m" in s:
            v["fitbit_exercise_elevation_gain_meters"] = s["elev_m"]
        out.append({"ts_ms": ts, "activity": label(s["kind"]), "values": v,
                    "zones": {z: m * 60 for z, m in zip(zone_names, s["zones"])},
                    "start": s["start"], "id": s["id"]})
    return out


def exercise_answer(q, workouts, label, zone_names, **kw):
    """GET /_test/exercise?start=D&end=D of a fake: the expected samples
    (exercise_truth) of the sessions workouts(d) serves for each day of
    [start, end] -> (status, body)."""
    from datetime import date
    try:
        d, last = date.fromisoformat(q["start"]), date.fromisoformat(q["end"])
    except (KeyError, ValueError):
        return 400, {"error": "start and end (YYYY-MM-DD) are required"}
    found = []
    while d <= last:
        found += workouts(d)
        d += timedelta(days=1)
    return 200, {"sessions": exercise_truth(found, label, zone_names, **kw)}


class DataClock:
    """The data's clock: frozen at cfg["now"] when set (tokens and rate
    windows always use real time), in the user's zone cfg["timezone"]; the
    tracker's last sync cfg["sync_lag_s"] before it. The fake provides
    first_day() (the membership start) and self.minute_cache (an
    OrderedDict)."""

    def data_now(self):
        return self.cfg["now"] if self.cfg["now"] is not None else time.time()

    def tz(self):
        return ZoneInfo(self.cfg["timezone"])

    def local_now(self):
        return datetime.fromtimestamp(self.data_now(), self.tz())

    def today(self):
        return self.local_now().date()

    def sync_ts(self):
        """The tracker's last sync: everything it records is served as of then."""
        return self.data_now() - self.cfg["sync_lag_s"]

    exercise_salt = ""      # fake_google's people differ: "g"

    def workouts(self, d):
        """The served workouts that start on day d (ended by the last sync)."""
        if d < self.first_day() or d > self.today():
            return []
        sync = self.sync_ts()
        return [x for x in exercise_sessions(self.cfg["seed"], d, self.tz(), self.exercise_salt)
                if x["end"] <= sync]

    def open_workout(self):
        """The workout the user is in at the last sync."""
        return exercise_open(self.cfg["seed"], self.sync_ts(), self.exercise_salt)

    def day_fraction(self, d):
        """How much of day d is served: None when d is outside
        [first_day(), today] or starts after the tracker's last sync; the
        fraction of its local day passed at the sync when the sync is inside
        it; else 1.0."""
        if d < self.first_day() or d > self.today():
            return None
        tz, sync = self.tz(), self.sync_ts()
        if sync < midnight(d, tz):
            return None
        frac = 1.0
        if sync < midnight(d + timedelta(days=1), tz):
            n = datetime.fromtimestamp(sync, tz)
            frac = (n.hour * 3600 + n.minute * 60 + n.second) / 86400
        return frac

    def cached_minutes(self, d, build, keep):
        """build(seed, d, tz), the minute data of day d, cached per (seed,
        day, zone) in self.minute_cache; beyond keep days the least recently
        used goes."""
        key = (self.cfg["seed"], d, self.cfg["timezone"])
        if key in self.minute_cache:
            self.minute_cache.move_to_end(key)
            return self.minute_cache[key]
        md = self.minute_cache[key] = build(self.cfg["seed"], d, self.tz())
        while len(self.minute_cache) > keep:
            self.minute_cache.popitem(last=False)
        return md

    def truth_head(self, d, v):
        """The members every /_test/truth answer of day d starts with; v the
        day's served values (None: no data)."""
        end = datetime(d.year, d.month, d.day, 23, 59, 59, tzinfo=self.tz())
        return {"date": d.isoformat(), "today": d == self.today(),
                "timestamp_ms": int(end.timestamp()) * 1000,
                "served_at": self.data_now(), "has_data": v is not None}


class RequestLog:
    """self.log / self.seq / self.stats["requests", "by_status",
    "by_endpoint"] kept by record(); the caller holds the fake's lock."""

    def record(self, entry):
        self.seq += 1
        entry["seq"] = self.seq
        self.log.append(entry)
        del self.log[:-MAX_LOG]
        self.stats["requests"] += 1
        st = str(entry["status"])
        self.stats["by_status"][st] = self.stats["by_status"].get(st, 0) + 1
        ep = entry.get("endpoint")
        if ep and "by_endpoint" in self.stats:
            self.stats["by_endpoint"][ep] = self.stats["by_endpoint"].get(ep, 0) + 1


class RawBody:
    """An answer that is not JSON (a TCX document): data (bytes), or
    chunks() a factory of an iterable of bytes made as it is sent (never
    held whole), with Content-Length `length` when known, else
    Transfer-Encoding: chunked."""

    def __init__(self, content_type, data=None, chunks=None, length=None):
        self.content_type, self.data, self.chunks, self.length = (
            content_type, data, chunks, length)


class JsonHandler(BaseHTTPRequestHandler):
    """Every method goes to handle_any(method); reply() sends JSON (or
    text, or a RawBody), with a Content-Type or Server header of the
    caller's winning."""

    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: with Nagle on, every
    # answer on a reused connection waited ~40 ms for the delayed ACK
    disable_nagle_algorithm = True
    default_server = "fake"
    json_content_type = "application/json; charset=UTF-8"
    timeout = 60
    fake = None  # set by serve()

    def log_message(self, fmt, *args):
        pass

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_PUT(self):
        self.handle_any("PUT")

    def do_PATCH(self):
        self.handle_any("PATCH")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def handle_any(self, method):
        raise NotImplementedError

    def client_gone(self):
        try:
            r, _, _ = select.select([self.connection], [], [], 0)
            return bool(r) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def reply(self, status, payload, headers):
        ctype, self.server_version = self.json_content_type, self.default_server
        if isinstance(payload, RawBody):
            ctype = payload.content_type
        for k, v in headers:
            if k.lower() == "content-type":
                ctype = v
            elif k.lower() == "server":  # send_response() sends Server itself
                self.server_version = v
        if isinstance(payload, RawBody) and payload.data is None:
            return self.reply_stream(status, payload, headers, ctype)
        if isinstance(payload, RawBody):
            data = payload.data
        elif isinstance(payload, (dict, list)):
            data = json.dumps(payload).encode()
        else:
            data = str(payload).encode()
        try:
            self.send_head(status, headers, ctype, len(data))
            self.wfile.write(data)
        except OSError:
            self.close_connection = True

    def send_head(self, status, headers, ctype, length):
        """The status line and headers; length None: chunked."""
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-type", "server"):
                self.send_header(k, v)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def reply_stream(self, status, body, headers, ctype):
        """A RawBody made by its chunks(): with its Content-Length, or chunked."""
        try:
            self.send_head(status, headers, ctype, body.length)
            for c in body.chunks():
                if body.length is not None:
                    self.wfile.write(c)
                elif c:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(c), c))
            if body.length is None:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:     # the client stopped reading (a capped download)
            self.close_connection = True


def serve(handler, fake, port, port_file, name, bind="127.0.0.1"):
    """Serve on bind:port (0 = any) until SIGTERM/SIGINT; the bound port
    goes to port_file (atomically) and a line to stderr. bind is 127.0.0.1
    but in a container (tests/image/test_compose.py: 0.0.0.0 inside the
    container's own network, published on the host's 127.0.0.1)."""
    handler.fake = fake
    server = ThreadingHTTPServer((bind, port), handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, port_file)
    print(f"{name} listening on http://{bind}:{port}", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
