"""The PromQL of grafana/syncbit-dashboard.json, with Grafana's template
variables substituted, for tests that run the panels' queries.

    from dashboard_exprs import dashboard_exprs
    for title, expr in dashboard_exprs("me"):
        ...  # GET /api/v1/query_range?query=expr

Substitution follows Grafana's Prometheus datasource: a multi-value or
"include All" variable used in a query is regex-escaped (escapeRegex), then
backslashes are doubled for the PromQL string (prometheusRegularEscape).
Python 3 standard library only.
"""

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "grafana" / "syncbit-dashboard.json"

# Scrape interval of deploy/vmagent-scrape.yaml and of the provisioned
# datasource's timeInterval; Grafana derives $__rate_interval from it.
SCRAPE_INTERVAL_S = 60

_VAR = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")
_DUR = re.compile(r"(\d+)(ms|[smhdwy])")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800,
           "y": 31536000}


def load(path=DASHBOARD):
    """The dashboard as a dict."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def iter_panels(dash):
    """Every panel, including those nested in collapsed rows."""
    for p in dash.get("panels", []):
        yield p
        for q in p.get("panels", []) or []:
            yield q


def variables(dash):
    """name -> templating variable."""
    return {v["name"]: v for v in dash.get("templating", {}).get("list", [])}


def duration_seconds(text):
    """'1d', '90m', '1h30m' -> seconds (float); ValueError otherwise."""
    pos, total = 0, 0.0
    for m in _DUR.finditer(text):
        if m.start() != pos:
            break
        total += int(m.group(1)) * _UNIT_S[m.group(2)]
        pos = m.end()
    if pos == 0 or pos != len(text):
        raise ValueError(f"not a duration: {text!r}")
    return total


def format_duration(seconds):
    """Seconds -> the largest exact PromQL unit ('1d', '90m', '45s')."""
    s = int(seconds)
    for unit in ("d", "h", "m"):
        if s % _UNIT_S[unit] == 0:
            return f"{s // _UNIT_S[unit]}{unit}"
    return f"{s}s"


def grafana_regex_escape(value):
    """Grafana escapeRegex + prometheusRegularEscape, for =~ selectors."""
    value = re.sub(r"[\\^$*+?.()|{}\[\]/]", lambda m: "\\" + m.group(0), value)
    return value.replace("\\", "\\\\").replace("'", "\\\\'")


def substitute(expr, values):
    """Replace $name, ${name}, ${name:fmt} and [[name]] with values[name];
    names not in values are left as they are."""
    def repl(m):
        name = m.group(1) or m.group(2) or m.group(3)
        return values.get(name, m.group(0))
    return _VAR.sub(repl, expr)


def used_variables(expr):
    """Names of the template variables an expression refers to."""
    return {m.group(1) or m.group(2) or m.group(3) for m in _VAR.finditer(expr)}


def _current(var):
    cur = var.get("current") or {}
    value = cur.get("value")
    if isinstance(value, list):
        value = value[0] if value else None
    return value


# $session when a caller names none: a workout route's start instant
SESSION = "2026-11-19T07:41:40Z"


def panel_values(panel, dash, user, instance, utc_offset, interval,
                 range_, session=SESSION):
    """The substitution table for one panel."""
    vars_ = variables(dash)
    ivl = duration_seconds(interval)
    if panel.get("interval"):  # the panel's "min interval"
        ivl = max(ivl, duration_seconds(panel["interval"]))
    rate = max(ivl + SCRAPE_INTERVAL_S, 4 * SCRAPE_INTERVAL_S)
    rng = duration_seconds(range_)
    if utc_offset is None:
        utc_offset = _current(vars_.get("utc_offset", {})) or "-26h"
    return {
        "user": user if user == ".*" else grafana_regex_escape(user),
        "instance": instance,
        "utc_offset": utc_offset,
        "session": session,
        "__interval": format_duration(ivl),
        "__interval_ms": str(int(ivl * 1000)),
        "__rate_interval": format_duration(rate),
        "__range": format_duration(rng),
        "__range_s": str(int(rng)),
        "__range_ms": str(int(rng * 1000)),
    }


def dashboard_targets(user="default", *, path=DASHBOARD, instance=".*",
                      utc_offset=None, interval="1h", range_="1d",
                      session=SESSION):
    """Every query target of the dashboard as a dict: title, panel_id,
    panel_type, ref_id, expr (variables substituted), instant (True for an
    instant query), step (the panel's $__interval, a PromQL duration).

    user       the value of $user (regex-escaped as Grafana does; '.*' = All)
    instance   the value of $instance, a regex (default: All)
    utc_offset the value of $utc_offset (default: the dashboard's current one)
    interval   $__interval before the panel's min interval applies
    range_     $__range
    session    the value of $session (a route's start, exact match)
    """
    dash = load(path)
    out = []
    for p in iter_panels(dash):
        for t in p.get("targets", []) or []:
            expr = t.get("expr")
            if not expr:
                continue
            vals = panel_values(p, dash, user, instance, utc_offset,
                                interval, range_, session)
            out.append({
                "title": p.get("title", ""),
                "panel_id": p.get("id"),
                "panel_type": p.get("type"),
                "ref_id": t.get("refId"),
                "expr": substitute(expr, vals),
                "instant": bool(t.get("instant")) and not t.get("range"),
                "step": vals["__interval"],
            })
    return out


def annotation_targets(user="default", *, path=DASHBOARD, utc_offset=None):
    """Every Prometheus annotation query of the dashboard as a dict: name,
    expr (variables substituted), step, panel_ids (the panels it is drawn
    on; [] = all)."""
    dash = load(path)
    out = []
    for a in dash.get("annotations", {}).get("list", []):
        if not a.get("expr"):
            continue
        step = a.get("step") or "60s"
        vals = panel_values({"interval": step}, dash, user, ".*", utc_offset, step, "1d")
        out.append({"name": a.get("name", ""), "expr": substitute(a["expr"], vals),
                    "step": step, "panel_ids": (a.get("filter") or {}).get("ids", [])})
    return out


def dashboard_exprs(user="default", **kwargs):
    """Every (panel title, expr) of the dashboard, variables substituted;
    keyword arguments as for dashboard_targets()."""
    return [(t["title"], t["expr"]) for t in dashboard_targets(user, **kwargs)]


if __name__ == "__main__":
    import sys
    for title, expr in dashboard_exprs(*(sys.argv[1:2] or ["default"])):
        print(f"{title}\t{expr}")
