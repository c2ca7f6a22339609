"""Tests of the fakes' TCX routes (tests/fakes/faketcx.py through
fake_google.py's exportExerciseTcx and fake_fitbit.py's tcxLink): the
documents follow the TCX v2 schema's shape, equal the fakes' truth
(/_test/route), obey the scope and partial-data rules and the budgets, and
the hostile documents are what their names say. No SyncBit needed."""

import json
import urllib.parse
import xml.etree.ElementTree as ET
from datetime import datetime, timezone

from harness import IntegrationTest, http

NS = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
PFX = "https://www.googleapis.com/auth/googlehealth."
ACT, LOC = PFX + "activity_and_fitness.readonly", PFX + "location.readonly"
TCX_CT = "application/vnd.garmin.tcx+xml"
MAX_BYTES = 32 << 20        # exporter/source/tcx.h TCX_MAX_BYTES
# the TCX v2 schema's child order
ORDER = {"Activity": ["Id", "Lap", "Notes", "Training", "Creator", "Extensions"],
         "Lap": ["TotalTimeSeconds", "DistanceMeters", "MaximumSpeed", "Calories",
                 "AverageHeartRateBpm", "MaximumHeartRateBpm", "Intensity", "Cadence",
                 "TriggerMethod", "Track", "Notes", "Extensions"],
         "Trackpoint": ["Time", "Position", "AltitudeMeters", "DistanceMeters", "HeartRateBpm",
                        "Cadence", "SensorState", "Extensions"],
         "Position": ["LatitudeDegrees", "LongitudeDegrees"]}


def ms_of(text):
    """An RFC 3339 time (Z or an offset) -> epoch ms."""
    return round(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def points_of(doc, test):
    """The trackpoints of a TCX document as the truth writes them, checking
    the schema's child order on the way."""
    root = ET.fromstring(doc)
    test.assertEqual(root.tag, NS + "TrainingCenterDatabase")
    for el in root.iter():
        name = el.tag.replace(NS, "")
        if name in ORDER:
            kids = [k.tag.replace(NS, "") for k in el]
            idx = [ORDER[name].index(k) for k in kids]
            test.assertEqual(idx, sorted(idx), f"{name} children out of order: {kids}")
    out = []
    for tp in root.iter(NS + "Trackpoint"):
        def num(path, cast=float):
            v = tp.findtext(path)
            return None if v is None else cast(v)
        out.append({"t": ms_of(tp.findtext(NS + "Time")),
                    "lat": num(f"{NS}Position/{NS}LatitudeDegrees"),
                    "lon": num(f"{NS}Position/{NS}LongitudeDegrees"),
                    "alt": num(NS + "AltitudeMeters"),
                    "hr": num(f"{NS}HeartRateBpm/{NS}Value", int)})
    return out


def plain(truth, partial=True, positions=True):
    """The truth's points a request gets: partial points only with partial
    data, no positions without them."""
    return [{"t": p["t"], "lat": p["lat"] if positions else None,
             "lon": p["lon"] if positions else None, "alt": p["alt"], "hr": p["hr"]}
            for p in truth["points"] if partial or not p["partial"]]


class FakeTcxTest(IntegrationTest):
    """What both fakes share: checks run against a TCX getter."""

    def check_hostile(self, fake, get, sid):
        """Every fault kind on session sid: the document is what its name says."""
        for kind in ("deep", "entities", "notxml", "empty", "truncated", "badcoords"):
            fake.config(tcx_fault={"kind": kind, "id": sid, "count": 1})
            truth = fake.get("/_test/route", id=sid)
            self.assertEqual(truth["fault"]["kind"], kind)
            r = get(sid)
            self.assertEqual((r.status, r.header("Content-Type")), (200, TCX_CT), kind)
            doc = r.body
            if kind == "deep":
                self.assertGreater(doc.count(b"<e>"), 256)
                ET.fromstring(doc)          # well-formed: only its depth is hostile
            elif kind == "entities":
                self.assertIn(b"<!DOCTYPE", doc)
                self.assertIn(b'<!ENTITY xxe SYSTEM "file:///etc/passwd">', doc)
                self.assertIn(b"&lol9;", doc)
                self.assertIn(b"&lol8;&lol8;", doc)
            elif kind in ("notxml", "truncated"):
                with self.assertRaises(ET.ParseError):
                    ET.fromstring(doc)
            elif kind == "empty":
                root = ET.fromstring(doc)
                self.assertEqual((root.tag, len(root)), (NS + "TrainingCenterDatabase", 0))
                self.assertEqual(truth["fault"]["expect"], [])
            else:   # badcoords: the bad values are there, the good points too
                for bad in (b">91<", b">abc<", b">NaN<", b">-180.5<", b">20000<", b">fast<",
                            b">yesterday<"):
                    self.assertIn(bad, doc)
                expect = truth["fault"]["expect"]
                full = {p["t"] for p in truth["points"]}
                self.assertEqual(len(full) - len(expect), 6)    # six points dropped
                self.assertLessEqual({p["t"] for p in expect}, full)
                blank = [p for p in expect if p["hr"] is None or p["alt"] is None]
                self.assertGreaterEqual(len(blank), 5)
            self.assertIsNone(fake.get("/_test/route", id=sid)["fault"])    # used up
        # the huge documents: over the cap, chunked or with a Content-Length
        fake.config(tcx_faults=[{"kind": "huge", "count": 1}, {"kind": "huge_length", "count": 1}])
        r = get(sid)
        self.assertEqual(r.header("Transfer-Encoding"), "chunked")
        self.assertIsNone(r.header("Content-Length"))
        self.assertGreater(len(r.body), MAX_BYTES)
        self.assertLess(r.body.count(b"<Trackpoint>"), 100000)     # tcx.h TCX_MAX_POINTS
        self.assertTrue(r.body.rstrip().endswith(b"</TrainingCenterDatabase>"))
        r2 = get(sid)
        self.assertEqual(int(r2.header("Content-Length")), len(r2.body))
        self.assertEqual(r2.body, r.body)
        self.assertLess(get(sid).body.count(b"<Trackpoint>"), 2000)    # back to normal


class GoogleTcxTest(FakeTcxTest):
    def setUp(self):
        super().setUp()
        self.fake = self.h.fake("fake_google.py", "--seed", "7", "--now", "2026-11-28T15:00:00",
                                "--membership-start", "2026-06-01")
        self.tok = self.fake.post("/_test/tokens", {"scope": f"{ACT} {LOC}"})["access_token"]
        self.sessions = self.list_sessions()

    def list_sessions(self):
        q = {"filter": 'exercise.interval.civil_start_time >= "2026-11-01"'}
        out = []
        while True:
            r = self.api("/v4/users/me/dataTypes/exercise/dataPoints?" + urllib.parse.urlencode(q))
            body = r.json()
            out += body.get("dataPoints", [])
            if "nextPageToken" not in body:
                return out
            q["pageToken"] = body["nextPageToken"]

    def api(self, path, tok=None):
        return http("GET", self.fake.url + path,
                    headers={"Authorization": "Bearer " + (tok or self.tok)})

    def tcx(self, sid, tok=None, colon=":", **q):
        q.setdefault("alt", "media")
        return self.api(f"/v4/users/me/dataTypes/exercise/dataPoints/{sid}{colon}"
                        f"exportExerciseTcx?" + urllib.parse.urlencode(q), tok)

    def pick(self, gps):
        for p in self.sessions:
            meta = p["exercise"].get("exerciseMetadata")
            if meta is not None and meta["hasGps"] == gps:
                return p["name"].rsplit("/", 1)[1]
        self.fail(f"no session with hasGps {gps}")

    def test_route_documents_equal_the_truth(self):
        sid = self.pick(True)
        truth = self.fake.get("/_test/route", id=sid)
        start = next(p for p in self.sessions if p["name"].endswith("/" + sid))
        self.assertEqual(truth["session"], start["exercise"]["interval"]["startTime"])
        self.assertTrue(truth["has_gps"])
        self.assertIn(truth["laps"], (1, 2))
        r = self.tcx(sid)
        self.assertEqual((r.status, r.header("Content-Type")), (200, TCX_CT))
        self.assertEqual(points_of(r.body, self), plain(truth, partial=False))
        # a GPS fix is not there from the first instant: partial points
        # (no position) only with partialData=true
        self.assertEqual(points_of(self.tcx(sid, partialData="true").body, self), plain(truth))
        first, last = truth["points"][0]["t"], truth["points"][-1]["t"]
        self.assertEqual((first, last), (truth["start_ms"], truth["end_ms"]))
        pos = [p for p in truth["points"] if not p["partial"]]
        self.assertTrue(all(abs(p["lat"] - 52.52) < 0.5 and abs(p["lon"] - 13.38) < 0.8
                            and p["alt"] is not None for p in pos))
        # the ':' percent-encoded, and the JSON answer without alt=media
        self.assertEqual(self.tcx(sid, colon="%3A").body, r.body)
        j = self.tcx(sid, alt="json")
        self.assertEqual(j.json(), {"tcxData": r.body.decode()})
        # a session without GPS: no trackpoint unless partial data is asked for
        other = self.pick(False)
        t2 = self.fake.get("/_test/route", id=other)
        self.assertFalse(t2["has_gps"])
        self.assertEqual(points_of(self.tcx(other).body, self), [])
        got = points_of(self.tcx(other, partialData="true").body, self)
        self.assertEqual(got, plain(t2))
        self.assertTrue(got and all(p["lat"] is None and p["hr"] for p in got))

    def test_scopes_errors_log_and_quota(self):
        sid = self.pick(True)
        truth = self.fake.get("/_test/route", id=sid)
        act_only = self.fake.post("/_test/tokens", {"scope": ACT})["access_token"]
        r = self.tcx(sid, act_only)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["error"]["details"][0]["reason"], "ACCESS_TOKEN_SCOPE_INSUFFICIENT")
        self.assertIn("location.readonly", r.header("WWW-Authenticate"))
        self.fake.config(tcx_without_location="routeless")
        r = self.tcx(sid, act_only)
        self.assertEqual(r.status, 200)
        self.assertNotIn(b"<Position>", r.body)
        self.assertEqual(points_of(r.body, self), plain(truth, partial=False, positions=False))
        loc_only = self.fake.post("/_test/tokens", {"scope": LOC})["access_token"]
        self.assertEqual(self.tcx(sid, loc_only).status, 403)
        # in progress, unknown, bad parameters
        r = self.tcx("6999999999")
        self.assertEqual((r.status, r.json()["error"]["status"]), (404, "NOT_FOUND"))
        self.assertEqual(http("GET", self.fake.url + "/_test/route?id=6999999999").status, 404)
        self.assertEqual(self.tcx("7000000001").status, 404)
        self.assertEqual(self.tcx(sid, partialData="yes").status, 400)
        self.assertEqual(self.tcx(sid, alt="proto").status, 400)
        # every request in the log, under one endpoint, inside the 300/min window
        log = [e for e in self.fake.requests() if "exportExerciseTcx" in e["path"]]
        self.assertEqual(len(log), 7)
        self.assertEqual({e["endpoint"] for e in log}, {"GET exercise/dataPoints:exportExerciseTcx"})
        self.fake.config(rate_used=300)
        r = self.tcx(sid)
        self.assertEqual((r.status, r.json()["error"]["status"]), (429, "RESOURCE_EXHAUSTED"))

    def test_hostile_documents(self):
        sid = self.pick(True)
        self.check_hostile(self.fake, self.tcx, sid)
        # a fault bound to an id leaves the other sessions alone, until cleared
        other = self.pick(False)
        self.fake.config(tcx_fault={"kind": "notxml", "id": sid})
        self.assertEqual(self.tcx(sid).body, self.tcx(sid).body)
        self.assertNotIn(b"<", self.tcx(sid).body)
        self.assertIn(b"<TrainingCenterDatabase", self.tcx(other).body)
        self.fake.config(clear_faults=True)
        self.assertIn(b"<TrainingCenterDatabase", self.tcx(sid).body)
        r = http("POST", self.fake.url + "/_test/config", {"tcx_fault": {"kind": "bogus"}})
        self.assertEqual(r.status, 400)


class FitbitTcxTest(FakeTcxTest):
    def setUp(self):
        super().setUp()
        self.fake = self.h.fake_fitbit(seed=7, now="2026-11-28T15:00:00", member_since="2026-06-01")
        self.tok = self.fake.mint_tokens()["access_token"]

    def api(self, url, tok=None):
        return http("GET", url if url.startswith("http") else self.fake.url + url,
                    headers={"Authorization": "Bearer " + (tok or self.tok)})

    def activities(self):
        r = self.api("/1/user/-/activities/list.json?beforeDate=2026-11-29&sort=desc&limit=100"
                     "&offset=0")
        return r.json()["activities"]

    def test_tcx_link_scopes_budget_and_truth(self):
        acts = self.activities()
        gps = next(a for a in acts if "tcxLink" in a and a["activityName"] in (
            "Run", "Walk", "Outdoor Bike"))
        self.assertEqual(gps["tcxLink"],
                         f"{self.fake.url}/1/user/-/activities/{gps['logId']}.tcx")
        self.assertNotIn("tcxLink", acts[0])            # the session the user is in
        r = self.api(gps["tcxLink"])
        self.assertEqual((r.status, r.header("Content-Type")), (200, TCX_CT))
        truth = self.fake.get("/_test/route", id=gps["logId"])
        self.assertEqual(points_of(r.body, self), plain(truth, partial=False))
        self.assertRegex(r.body.decode(), r"<Time>2026-\d\d-\d\dT\d\d:\d\d:\d\d\.000\+01:00</Time>")
        want = datetime.fromisoformat(gps["startTime"]).astimezone(timezone.utc)
        self.assertEqual(truth["session"], want.strftime("%Y-%m-%dT%H:%M:%SZ"))
        r = self.api(gps["tcxLink"] + "?includePartialTCX=true")
        self.assertEqual(points_of(r.body, self), plain(truth))
        left = int(r.header("Fitbit-Rate-Limit-Remaining"))
        self.assertEqual(int(self.api(gps["tcxLink"]).header("Fitbit-Rate-Limit-Remaining")),
                         left - 1)
        indoor = next(a for a in acts if "tcxLink" in a and a["activityName"] in (
            "Treadmill", "Yoga", "Weights", "Swim", "HIIT", "Tennis"))
        got = points_of(self.api(indoor["tcxLink"] + "?includePartialTCX=true").body, self)
        self.assertEqual(got, plain(self.fake.get("/_test/route", id=indoor["logId"])))
        self.assertEqual(points_of(self.api(indoor["tcxLink"]).body, self), [])
        self.assertEqual(self.api("/1/user/-/activities/6999999999.tcx").status, 404)
        self.assertEqual(self.api(gps["tcxLink"] + "?includePartialTCX=maybe").status, 400)
        # the location scope is needed; the budget counts every request
        self.fake.config(tcx_link_base="https://api.fitbit.com")
        self.assertTrue(self.activities()[1]["tcxLink"].startswith("https://api.fitbit.com/1/user/-/"))
        tok = self.fake.mint_tokens("activity heartrate")["access_token"]
        r = self.api(gps["tcxLink"], tok)
        self.assertEqual(r.status, 403)
        self.assertEqual(r.json()["errors"][0]["errorType"], "insufficient_scope")
        self.assertEqual(self.fake.stats()["by_endpoint"]["GET activities/{logId}.tcx"], 8)
        self.fake.config(rate_used=150)
        self.assertEqual(self.api(gps["tcxLink"], tok).status, 429)

    def test_hostile_documents(self):
        gps = next(a for a in self.activities() if "tcxLink" in a and a["activityName"] in (
            "Run", "Walk", "Outdoor Bike"))
        self.check_hostile(self.fake, lambda sid: self.api(f"/1/user/-/activities/{sid}.tcx"),
                           str(gps["logId"]))
        self.assertEqual(json.loads(http("GET", self.fake.url + "/_test/route?id=x").body)["error"],
                         "session 'x' is unknown: no TCX")
