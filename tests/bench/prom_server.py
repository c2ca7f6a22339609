#!/usr/bin/env python3
"""The python3-prometheus-client peer of `make bench`.

Reads a Prometheus text exposition (SyncBit's /metrics body), registers a
Gauge or Counter per family with the same name, HELP, label names and
values, and serves it with prometheus_client.start_http_server on
127.0.0.1 until SIGTERM. Counters are registered without their _created
series (PROMETHEUS_DISABLE_CREATED_SERIES, set here before the import), so
the sample set equals SyncBit's.

    prom_server.py --metrics FILE --port PORT --port-file PATH
"""

import argparse
import os
import re
import signal
import sys

os.environ["PROMETHEUS_DISABLE_CREATED_SERIES"] = "True"
import prometheus_client  # noqa: E402
from prometheus_client import CollectorRegistry, Counter, Gauge  # noqa: E402

LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
UNESCAPE = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}


def unescape(v):
    return re.sub(r'\\[\\"n]', lambda m: UNESCAPE[m.group(0)], v)


def parse(text):
    """-> {family: {"type", "help", "samples": [(name, [(k, v)], value)]}}, in order."""
    fams = {}

    def fam(name):
        return fams.setdefault(name, {"type": "untyped", "help": "", "samples": []})
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_ = line[7:].partition(" ")
            fam(name)["help"] = help_.replace("\\n", "\n").replace("\\\\", "\\")
        elif line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            fam(name)["type"] = typ.strip()
        elif line and not line.startswith("#"):
            head, value = line.rsplit(" ", 1)
            name, _, rest = head.partition("{")
            labels = [(k, unescape(v)) for k, v in LABEL.findall(rest)]
            fam(name)["samples"].append((name, labels, float(value)))
    return fams


def register(fams, reg):
    for name, f in fams.items():
        names = tuple(k for k, _ in f["samples"][0][1]) if f["samples"] else ("user",)
        help_ = f["help"] or name
        if f["type"] == "counter":
            base = name[:-len("_total")] if name.endswith("_total") else name
            m = Counter(base, help_, names, registry=reg)
        else:  # gauge (and anything else: SyncBit sends gauges and counters)
            m = Gauge(name, help_, names, registry=reg)
        for _, labels, value in f["samples"]:
            child = m.labels(*[v for _, v in labels]) if names and labels else m
            if f["type"] == "counter":
                child.inc(value)
            else:
                child.set(value)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--metrics", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--port-file", required=True)
    a = p.parse_args()
    with open(a.metrics, encoding="utf-8") as f:
        fams = parse(f.read())
    reg = CollectorRegistry(auto_describe=False)
    register(fams, reg)
    prometheus_client.start_http_server(a.port, addr="127.0.0.1", registry=reg)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(a.port))
    os.replace(tmp, a.port_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    while True:
        signal.pause()


if __name__ == "__main__":
    main()
