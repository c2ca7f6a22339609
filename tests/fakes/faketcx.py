"""The workouts' routes as TCX documents (Garmin Training Center Database
v2), shared by fake_google.py (exportExerciseTcx) and fake_fitbit.py
(/activities/{logId}.tcx): a session's trackpoints, the document both APIs
serve, the truth a test compares with, and the hostile documents a test
switches on. Python 3 standard library only.

The document follows the TCX v2 schema's element order (Activity: Id, Lap+,
Creator; Lap: TotalTimeSeconds, DistanceMeters, Calories, Intensity,
TriggerMethod, Track; Trackpoint: Time, Position{LatitudeDegrees,
LongitudeDegrees}, AltitudeMeters, DistanceMeters, HeartRateBpm{Value}) and
the layout of real Fitbit exports (public TCX files whose Creator is a
Fitbit device: two-space indentation, Intensity "Active", TriggerMethod
"Manual", a Creator xsi:type="Device_t" with Name, UnitId 0, ProductID 0
after the laps, times with milliseconds).

Our guesses (no source shows them; the fakes' "WITHOUT proof" lists repeat
them): one trackpoint every STEP_S seconds from the session's start to its
end (the end itself the last point); a session with a pause has two laps
with no points during the pause, one without a pause one or two laps (a
split without a gap); GPS only for run, walk and bike (fake_google's
exerciseMetadata.hasGps), whose first 0-4 points have no position yet (the
GPS fix) and whose points carry AltitudeMeters; the path starts within
~300 m of HOME and moves at the session's distance / active time; the
points of the other kinds have Time, DistanceMeters (kinds with a distance)
and HeartRateBpm only; ~1 % of the positioned points have no heart rate; a
point without a position is a "partial" point, served only when the
request asks for partial data (Google's partialData, Fitbit's
includePartialTCX: "the TCX points when the GPS data is not available").
"""

import math
import random
from datetime import date, datetime, timezone

from fakecore import RawBody

NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
TPX_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
CONTENT_TYPE = "application/vnd.garmin.tcx+xml"
STEP_S = 5
HOME = (52.516275, 13.377704)        # lat, lon (Berlin: the fakes' default zone)
HOME_ALT_M = 34.0
GPS_KINDS = ("run", "walk", "bike")
SPORT = {"run": "Running", "treadmill": "Running", "bike": "Biking"}   # else "Other"
CREATOR = "Fitbit Charge 6"
MAX_BYTES = 32 << 20                 # exporter/source/tcx.h TCX_MAX_BYTES
HUGE_BYTES = MAX_BYTES + (1 << 20)   # what "huge" serves at least
DEEP_LEVELS = 3000                   # libxml2 refuses more than 256 without XML_PARSE_HUGE
# hostile documents a test switches on (the fakes' "tcx_fault" control)
FAULT_KINDS = ("huge", "huge_length", "deep", "badcoords", "entities", "notxml", "empty",
               "truncated")


# ------------------------------------------------------------------ the route

def is_gps(kind):
    return kind in GPS_KINDS


def laps_of(x, rng):
    """[(first instant, last instant)] of the session's laps (epoch s)."""
    start, end = x["start"], x["end"]
    paused = end - start - x["active_s"]
    if paused > 0:
        cut = start + rng.randint(x["active_s"] // 3, 2 * x["active_s"] // 3)
        return [(start, cut), (cut + paused, end)]
    if rng.random() < 0.5:
        return [(start, end)]
    mid = start + (end - start) // 2
    return [(start, mid - 1), (mid, end)]


def lap_times(a, b):
    t = list(range(a, b + 1, STEP_S))
    if t[-1] != b:
        t.append(b)
    return t


def route(x, seed, salt=""):
    """The trackpoints of ended session x, per lap: [[{"t" (ms), "lat", "lon",
    "alt", "hr", "dist" (m)}]] (None where the point has no such value).
    Deterministic per (salt, seed, session id, start)."""
    rng = random.Random(f"{salt}{seed}:route:{x['id']}:{x['start']}")
    gps = is_gps(x["kind"])
    speed = x.get("dist_m", 0) / max(1, x["active_s"])
    lat = HOME[0] + rng.uniform(-0.0027, 0.0027)
    lon = HOME[1] + rng.uniform(-0.0045, 0.0045)
    heading, phase = rng.uniform(0, 2 * math.pi), rng.uniform(0, 2 * math.pi)
    fix = rng.randint(0, 4) if gps else 0
    dist, n, prev = 0.0, 0, None
    laps = []
    for a, b in laps_of(x, rng):
        pts = []
        for t in lap_times(a, b):
            if prev is not None and pts:         # moving (not across the pause)
                d = speed * (t - prev) * rng.uniform(0.85, 1.15)
                heading += rng.gauss(0, 0.12)
                lat += d * math.cos(heading) / 111320
                lon += d * math.sin(heading) / (111320 * math.cos(math.radians(lat)))
                dist += d
            prev = t
            warm = math.exp(-(t - x["start"]) / 150)
            hr = round(x["hr"] - 18 * warm + 5 * math.sin(t / 97 + phase) + rng.gauss(0, 1.5))
            p = {"t": t * 1000, "lat": None, "lon": None, "alt": None,
                 "hr": max(60, min(200, hr)), "dist": round(dist, 2) if speed else None}
            if gps and n >= fix:
                p.update(lat=round(lat, 6), lon=round(lon, 6),
                         alt=round(HOME_ALT_M + 6 * math.sin(dist / 240 + phase)
                                   + rng.uniform(-0.3, 0.3), 1))
                if rng.random() < 0.01:
                    p["hr"] = None
            pts.append(p)
            n += 1
        laps.append(pts)
    return laps


def truth_points(laps):
    """The truth's points: every point of the route, "partial" when it has
    no position (served only when partial data is asked for)."""
    return [{"t": p["t"], "lat": p["lat"], "lon": p["lon"], "alt": p["alt"], "hr": p["hr"],
             "partial": p["lat"] is None} for lap in laps for p in lap]


# ---------------------------------------------------------------- the document

def utc_ms(ts):
    """Epoch s -> "2026-11-19T07:41:40.000Z"."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def local_ms(ts, tz):
    """Epoch s -> "2026-11-19T08:41:40.000+01:00" (local time with its offset)."""
    t = datetime.fromtimestamp(ts, tz)
    z = t.strftime("%z")
    return t.strftime("%Y-%m-%dT%H:%M:%S.000") + z[:3] + ":" + z[3:]


def num(v):
    """A number as the document writes it (repr: the truth's float parses back)."""
    return repr(v) if isinstance(v, float) else str(v)


def trackpoint(p, stamp, positions, bad=None):
    """One <Trackpoint> as lines; bad: {"lat"|"lon"|"alt"|"hr": text, "nolon":
    True, "time": text} overrides (the badcoords document)."""
    bad = bad or {}
    i = "          "
    when = bad["time"] if "time" in bad else stamp(p["t"] // 1000)
    out = [i + "<Trackpoint>", f"{i}  <Time>{when}</Time>"]
    lat = bad.get("lat", None if p["lat"] is None else num(p["lat"]))
    lon = bad.get("lon", None if p["lon"] is None else num(p["lon"]))
    if positions and lat is not None:
        out += [i + "  <Position>", f"{i}    <LatitudeDegrees>{lat}</LatitudeDegrees>"]
        if not bad.get("nolon"):
            out.append(f"{i}    <LongitudeDegrees>{lon}</LongitudeDegrees>")
        out.append(i + "  </Position>")
    alt = bad.get("alt", None if p["alt"] is None else num(p["alt"]))
    if alt is not None:
        out.append(f"{i}  <AltitudeMeters>{alt}</AltitudeMeters>")
    if p["dist"] is not None:
        out.append(f"{i}  <DistanceMeters>{num(p['dist'])}</DistanceMeters>")
    hr = bad.get("hr", None if p["hr"] is None else num(p["hr"]))
    if hr is not None:
        out += [i + "  <HeartRateBpm>", f"{i}    <Value>{hr}</Value>", i + "  </HeartRateBpm>"]
    out.append(i + "</Trackpoint>")
    return out


def document(x, laps, stamp, positions=True, partial=False, bad=None, head=None,
             notes=None, creator=CREATOR):
    """The TCX text of session x: laps from route(); stamp(epoch s) -> time
    text; positions False: no Position elements (the points stay); partial
    False: points without a position left out; bad: {t ms: overrides} and
    {"after": {t ms: [extra point lines]}} for the badcoords document; head:
    the text before the root (a DOCTYPE); notes: an Activity/Notes text."""
    bad = bad or {}
    extra = bad.get("after", {})
    lines = ['<?xml version="1.0" encoding="UTF-8"?>']
    if head:
        lines.append(head)
    lines += [f'<TrainingCenterDatabase xmlns="{NS}">', "  <Activities>",
              f'    <Activity Sport="{SPORT.get(x["kind"], "Other")}">',
              f"      <Id>{stamp(x['start'])}</Id>"]
    total = sum(lap[-1]["t"] - lap[0]["t"] for lap in laps) or 1
    for lap in laps:
        span = (lap[-1]["t"] - lap[0]["t"]) / 1000
        lines += [f'      <Lap StartTime="{stamp(lap[0]["t"] // 1000)}">',
                  f"        <TotalTimeSeconds>{span:.1f}</TotalTimeSeconds>"]
        if lap[-1]["dist"] is not None:
            lines.append(f"        <DistanceMeters>{lap[-1]['dist'] - lap[0]['dist']:.2f}"
                         "</DistanceMeters>")
        lines += [f"        <Calories>{round(x['kcal'] * span * 1000 / total)}</Calories>",
                  "        <Intensity>Active</Intensity>",
                  "        <TriggerMethod>Manual</TriggerMethod>"]
        served = [p for p in lap if partial or p["lat"] is not None or p["t"] in bad]
        if served:
            lines.append("        <Track>")
            for p in served:
                lines += trackpoint(p, stamp, positions, bad.get(p["t"]))
                lines += extra.get(p["t"], [])
            lines.append("        </Track>")
        lines.append("      </Lap>")
    if notes is not None:
        lines.append(f"      <Notes>{notes}</Notes>")
    lines += [f'      <Creator xsi:type="Device_t" xmlns:xsi="{XSI}">',
              f"        <Name>{creator}</Name>", "        <UnitId>0</UnitId>",
              "        <ProductID>0</ProductID>", "      </Creator>",
              "    </Activity>", "  </Activities>", "</TrainingCenterDatabase>", ""]
    return "\n".join(lines)


# ------------------------------------------------------------ hostile documents

def badcoords_plan(laps, stamp):
    """The badcoords document's overrides and what a careful parser keeps
    (exporter/source/tcx.h's rules): (bad, expect points). Among the first
    positioned points (any points for a session without GPS): latitude 91,
    longitude "abc", latitude NaN, a Position without its longitude,
    longitude -180.5, latitude in hex (points dropped); altitude 20000 m,
    altitude "high", heart rate 0, 300 and "fast" (that value dropped);
    after the 2nd good point a second point at the same instant and a point
    whose Time is "yesterday" (dropped)."""
    pts = [p for lap in laps for p in lap]
    pos = [p for p in pts if p["lat"] is not None] or pts
    drops = [{"lat": "91"}, {"lon": "abc"}, {"lat": "NaN"}, {"nolon": True},
             {"lon": "-180.5"}, {"lat": "0x1Ap1"}]
    values = [({"alt": "20000"}, "alt"), ({"alt": "high"}, "alt"), ({"hr": "0"}, "hr"),
              ({"hr": "300"}, "hr"), ({"hr": "fast"}, "hr")]
    bad, gone, blank = {}, set(), {}
    picks = pos[1:1 + 2 * (len(drops) + len(values)):2]
    for p, o in zip(picks, drops):
        bad[p["t"]] = dict(o, lat=o.get("lat", num(p["lat"] if p["lat"] is not None else 52.5)),
                           lon=o.get("lon", num(p["lon"] if p["lon"] is not None else 13.4)))
        gone.add(p["t"])
    for p, (o, what) in zip(picks[len(drops):], values):
        bad[p["t"]] = o
        blank[p["t"]] = what
    good = [p for p in pos if p["t"] not in bad][:2]
    if good:
        twin = dict(good[-1], lat=0.5, lon=0.5, hr=99)
        lost = dict(good[-1], lat=1.5, lon=1.5)
        bad["after"] = {good[-1]["t"]: trackpoint(twin, stamp, True)
                        + trackpoint(lost, stamp, True, {"time": "yesterday"})}
    expect = []
    for p in truth_points(laps):
        if p["t"] in gone:
            continue
        if p["t"] in blank:
            p = dict(p, **{blank[p["t"]]: None})
            if p["lat"] is None and p["hr"] is None and p["alt"] is None:
                continue
        expect.append(p)
    return bad, expect


def hostile(kind, x, laps, stamp):
    """(body, expect): the document of fault `kind` for session x -> a
    RawBody-ready (bytes | chunk generator factory, length or None) and the
    points a careful parser keeps (None: the document must be refused)."""
    if kind == "badcoords":
        bad, expect = badcoords_plan(laps, stamp)
        return document(x, laps, stamp, True, True, bad).encode(), expect
    if kind == "empty":
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
                f'<TrainingCenterDatabase xmlns="{NS}">\n</TrainingCenterDatabase>\n'
                ).encode(), []
    if kind == "notxml":
        return b"Service temporarily unavailable; try again later.\n{\"tcx\": false}\n", None
    if kind == "truncated":
        text = document(x, laps, stamp, True, True).encode()
        return text[:len(text) * 3 // 5], None
    if kind == "entities":
        ents = ['<!ENTITY lol "lol">'] + [
            f'<!ENTITY lol{i} "' + f"&lol{i - 1 if i > 1 else ''};" * 10 + '">'
            for i in range(1, 10)]
        head = ("<!DOCTYPE TrainingCenterDatabase [\n  " + "\n  ".join(ents)
                + '\n  <!ENTITY xxe SYSTEM "file:///etc/passwd">\n]>')
        text = document(x, laps, stamp, True, True, head=head, notes="&lol9;",
                        creator="&xxe;")
        return text.encode(), None
    if kind == "deep":
        text = document(x, laps, stamp, True, True)
        nest = ("<Extensions>" + "<e>" * DEEP_LEVELS + "deep" + "</e>" * DEEP_LEVELS
                + "</Extensions>")
        text = text.replace("</HeartRateBpm>\n", "</HeartRateBpm>\n" + nest + "\n", 1)
        return text.encode(), None
    if kind in ("huge", "huge_length"):
        return huge_chunks(x["start"], stamp), None
    raise ValueError(kind)


def hostile_body(kind, x, laps, stamp):
    """The answer of fault `kind` (a RawBody): "huge" sent chunked,
    "huge_length" with its Content-Length (counted by a first pass)."""
    body = hostile(kind, x, laps, stamp)[0]
    if not callable(body):
        return RawBody(CONTENT_TYPE, body)
    length = sum(len(c) for c in body()) if kind == "huge_length" else None
    return RawBody(CONTENT_TYPE, chunks=body, length=length)


def huge_chunks(start, stamp):
    """A factory of the "huge" document's chunks: a valid TCX of 1 s
    trackpoints (each with a Garmin speed extension, ~420 bytes, fewer than
    tcx.h's TCX_MAX_POINTS in all) until it is over HUGE_BYTES; generated
    as it is sent, never held whole."""
    def gen():
        yield (f'<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase xmlns="{NS}">\n'
               f'  <Activities>\n    <Activity Sport="Running">\n      <Id>{stamp(start)}</Id>\n'
               f'      <Lap StartTime="{stamp(start)}">\n        <TotalTimeSeconds>0.0'
               "</TotalTimeSeconds>\n        <Calories>0</Calories>\n"
               "        <Intensity>Active</Intensity>\n"
               "        <TriggerMethod>Manual</TriggerMethod>\n        <Track>\n").encode()
        sent, i = 0, 0
        while sent < HUGE_BYTES:
            block = []
            for _ in range(500):
                lat, lon = HOME[0] + i * 1e-6, HOME[1] + i * 1e-6
                block.append(
                    f"          <Trackpoint>\n            <Time>{stamp(start + i)}</Time>\n"
                    f"            <Position>\n              <LatitudeDegrees>{lat:.6f}"
                    f"</LatitudeDegrees>\n              <LongitudeDegrees>{lon:.6f}"
                    "</LongitudeDegrees>\n            </Position>\n"
                    f"            <AltitudeMeters>{HOME_ALT_M + (i % 50) / 10:.1f}"
                    "</AltitudeMeters>\n            <DistanceMeters>"
                    f"{i * 2.9:.1f}</DistanceMeters>\n            <HeartRateBpm>\n"
                    f"              <Value>{120 + i % 40}</Value>\n            </HeartRateBpm>\n"
                    "            <Extensions>\n"
                    f'              <TPX xmlns="{TPX_NS}">\n'
                    "                <Speed>2.9</Speed>\n              </TPX>\n"
                    "            </Extensions>\n          </Trackpoint>\n")
                i += 1
            data = "".join(block).encode()
            sent += len(data)
            yield data
        yield (b"        </Track>\n      </Lap>\n    </Activity>\n  </Activities>\n"
               b"</TrainingCenterDatabase>\n")
    return gen


# ------------------------------------------------------------ fault control

def add_faults(faults, val, one):
    """The "tcx_fault" (one: a dict) or "tcx_faults" (a list) control: each
    {"kind": one of FAULT_KINDS, "id": a session id (default: any session),
    "count": answers it serves (default 1 for any session, -1 = every time
    for an id)} appended to faults."""
    for f in ([val] if one else list(val)):
        kind = f.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"tcx_fault: kind is one of {', '.join(FAULT_KINDS)}")
        sid = None if f.get("id") is None else str(f["id"])
        count = int(f.get("count", 1 if sid is None else -1))
        faults.append({"kind": kind, "id": sid, "count": count})


def match_fault(faults, sid, take):
    """The fault an answer for session sid gets (None: none); take: count it."""
    for f in faults:
        if f["count"] != 0 and f["id"] in (None, str(sid)):
            if take and f["count"] > 0:
                f["count"] -= 1
            return f["kind"]
    return None


def truth(x, seed, salt, kind_label, fault):
    """GET /_test/route's answer for ended session x: the full route (no
    scope or partial rule applied) and, with a pending fault, what a careful
    parser keeps of that document:
    {"id", "session" (the start, RFC 3339 UTC, whole seconds), "start_ms",
     "end_ms", "kind", "activity" (README's label), "has_gps", "laps",
     "step_s", "points": [{"t" (UTC ms), "lat", "lon", "alt", "hr" (null
     where the point has none), "partial" (no position: served only with
     partial data)}], "fault": null | {"kind", "expect": null (the document
     must be refused whole) | the points whose values reach the samples}}."""
    laps = route(x, seed, salt)
    out = {"id": str(x["id"]), "session": datetime.fromtimestamp(x["start"], timezone.utc)
           .strftime("%Y-%m-%dT%H:%M:%SZ"), "start_ms": x["start"] * 1000,
           "end_ms": x["end"] * 1000, "kind": x["kind"], "activity": kind_label,
           "has_gps": is_gps(x["kind"]), "laps": len(laps), "step_s": STEP_S,
           "points": truth_points(laps), "fault": None}
    if fault is not None:
        expect = hostile(fault, x, laps, utc_ms)[1] if fault not in ("huge", "huge_length") \
            else None
        out["fault"] = {"kind": fault, "expect": expect}
    return out


def find(fake, sid):
    """(session, state) of id sid (text) in a fake (fakecore.DataClock):
    (the served ended session, "ended"), (None, "open") for the session the
    user is in, (None, "unknown") else. Ids are fakecore.exercise_sessions'
    7000000000 + day ordinal * 10 + k."""
    sid = str(sid or "")
    if sid == str(fake.open_workout()["id"]):
        return None, "open"
    if not (sid.isascii() and sid.isdigit() and len(sid) <= 19):
        return None, "unknown"
    try:
        d = date.fromordinal((int(sid) - 7000000000) // 10)
    except (ValueError, OverflowError):
        return None, "unknown"
    for x in fake.workouts(d):
        if str(x["id"]) == sid:
            return x, "ended"
    return None, "unknown"
