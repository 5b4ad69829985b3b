# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The lab's webhook receiver: records what Alertmanager sends, for the tests to read.

    python3 webhook_receiver.py [--listen 0.0.0.0:9095] [--keep 5000]

POST (any path): the JSON body is kept with the time it arrived (seconds since
the epoch) and the path, and one line is printed. GET /notifications: every kept
notification, oldest first, as a JSON list of {received_at, path, body}.
DELETE /notifications: forget them. GET /-/healthy: 200. At most --keep
notifications are kept (the oldest are dropped): a bounded memory whatever the
sender does. Runs on the lab network, outside the swarm it watches, so a node
that dies takes no notification with it.
"""

from __future__ import annotations

import argparse
import collections
import http.server
import json
import sys
import threading
import time


def summary(body) -> str:
    """One line for the log: status and alert names of an Alertmanager notification."""
    if not isinstance(body, dict):
        return "not an Alertmanager notification"
    names = sorted({str(alert.get("labels", {}).get("alertname", "?"))
                    for alert in body.get("alerts", []) if isinstance(alert, dict)})
    return f"{body.get('status', '?')}: {', '.join(names) or 'no alert'}"


def make_handler(kept: collections.deque, lock: threading.Lock):
    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, status: int, payload) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(min(length, 1 << 20))
            try:
                body = json.loads(raw)
            except ValueError:
                self.reply(400, {"error": "the body is not JSON"})
                return
            record = {"received_at": time.time(), "path": self.path, "body": body}
            with lock:
                kept.append(record)
            print(f"webhook_receiver: {self.path} {summary(body)}", file=sys.stderr, flush=True)
            self.reply(200, {"kept": True})

        def do_GET(self):  # noqa: N802
            if self.path == "/-/healthy":
                self.reply(200, {"healthy": True})
            elif self.path == "/notifications":
                with lock:
                    self.reply(200, list(kept))
            else:
                self.reply(404, {"error": "GET /notifications or /-/healthy"})

        def do_DELETE(self):  # noqa: N802
            if self.path != "/notifications":
                self.reply(404, {"error": "DELETE /notifications"})
                return
            with lock:
                kept.clear()
            self.reply(200, {"cleared": True})

        def log_message(self, *_args):
            pass

    return Handler


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--listen", default="0.0.0.0:9095")
    parser.add_argument("--keep", type=int, default=5000)
    args = parser.parse_args(argv)
    if args.keep < 1:
        parser.error("--keep must be at least 1")
    host, _colon, port = args.listen.rpartition(":")
    kept: collections.deque = collections.deque(maxlen=args.keep)
    server = http.server.ThreadingHTTPServer((host or "0.0.0.0", int(port)), make_handler(kept, threading.Lock()))
    print(f"webhook_receiver: listening on {args.listen}", file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
