"""What the fake APIs share: the data clock, the request log, the JSON
HTTP handler and the server's start-up. Python 3 standard library only;
the API-specific behaviour stays in fake_fitbit.py and fake_google.py."""

import json
import os
import re
import select
import signal
import socket
import sys
import time
from datetime import datetime
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


class DataClock:
    """The data's clock: frozen at cfg["now"] when set (tokens and rate
    windows always use real time), in the user's zone cfg["timezone"]."""

    def data_now(self):
        return self.cfg["now"] if self.cfg["now"] is not None else time.time()

    def tz(self):
        return ZoneInfo(self.cfg["timezone"])

    def local_now(self):
        return datetime.fromtimestamp(self.data_now(), self.tz())

    def today(self):
        return self.local_now().date()


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


class JsonHandler(BaseHTTPRequestHandler):
    """Every method goes to handle_any(method); reply() sends JSON (or
    text), with a Content-Type or Server header of the caller's winning."""

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
        for k, v in headers:
            if k.lower() == "content-type":
                ctype = v
            elif k.lower() == "server":  # send_response() sends Server itself
                self.server_version = v
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload).encode()
        else:
            data = str(payload).encode()
        try:
            self.send_response(status)
            for k, v in headers:
                if k.lower() not in ("content-type", "server"):
                    self.send_header(k, v)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True


def serve(handler, fake, port, port_file, name):
    """Serve on 127.0.0.1:port (0 = any) until SIGTERM/SIGINT; the bound
    port goes to port_file (atomically) and a line to stderr."""
    handler.fake = fake
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if port_file:
        tmp = port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, port_file)
    print(f"{name} listening on http://127.0.0.1:{port}", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
