"""Serves GET / (the version) and GET /health, which fails FAIL_AFTER seconds after it first passed."""

import os
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAIL_AFTER = float(os.environ.get("FAIL_AFTER", "0"))
TOKEN = os.environ.get("TOKEN", "flaky")
VERSION = os.environ.get("VERSION", "1")
HEALTHY_SINCE = []


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.path == "/health":
            now = time.monotonic()
            if not HEALTHY_SINCE:
                HEALTHY_SINCE.append(now)
            bad = FAIL_AFTER > 0 and now - HEALTHY_SINCE[0] >= FAIL_AFTER
            body = (f"{TOKEN}: unhealthy {now - HEALTHY_SINCE[0]:.1f}s after the first check" if bad
                    else f"{TOKEN}: healthy").encode()
            self.send_response(500 if bad else 200)
        else:
            body = f"version {VERSION}\n".encode()
            self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# As PID 1 without a SIGTERM handler, as many services are: a stop waits out the
# grace period and kills it (exit 137), which the gate's watch must outlast.
ThreadingHTTPServer(("", 8000), Handler).serve_forever()
