# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Publish the swarm's state for Prometheus, judged by the collection's own rules.

Runs on a manager, outside Ansible: at each scrape it reads the nodes, services
and tasks from the local engine's API (a Unix socket; only Python's standard
library, no Docker SDK) and answers with the samples that
``_swarm_status.metrics`` makes of ``_swarm_status.swarm_status``, the report
status.yml prints, built on the rule of the deploy gate. So an alert on
``swarmops_service_healthy_tasks`` means what swarm_wait means by healthy.

    python3 swarm_exporter.py --module-utils DIR [--listen 0.0.0.0:9490] [--socket /var/run/docker.sock]
                              [--failure-window 600] [--min-healthy-time 0] [--once]

DIR holds ansible_collections/swarmops/ha/plugins/module_utils/ (the
collection, or a copy of those files). With --once, it prints the samples of one
read and exits (1 when the read failed). A manager that can not list the nodes
(a worker, a swarm without quorum) answers ``swarmops_exporter_up 0`` and the
error on stderr.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import socket
import sys
import time
import urllib.parse


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over the engine's Unix socket."""

    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class EngineError(RuntimeError):
    pass


def get_json(socket_path: str, path: str, timeout: float, query: dict | None = None):
    connection = UnixHTTPConnection(socket_path, timeout)
    try:
        target = path + ("?" + urllib.parse.urlencode(query) if query else "")
        connection.request("GET", target, headers={"Host": "docker"})
        response = connection.getresponse()
        body = response.read()
    except OSError as exc:
        raise EngineError(f"GET {path}: {exc}") from exc
    finally:
        connection.close()
    if response.status != 200:
        try:
            message = json.loads(body).get("message") or body.decode(errors="replace")
        except ValueError:
            message = body.decode(errors="replace")
        raise EngineError(f"GET {path}: {response.status} {message.strip()}")
    return json.loads(body)


class Exporter:
    def __init__(self, status_module, socket_path: str, window: float, timeout: float,
                 min_healthy_time: float = 0.0) -> None:
        self.status = status_module
        self.socket_path = socket_path
        self.window = window
        self.timeout = timeout
        self.min_healthy_time = min_healthy_time

    def read(self):
        nodes = get_json(self.socket_path, "/nodes", self.timeout)
        services = get_json(self.socket_path, "/services", self.timeout)
        tasks = get_json(self.socket_path, "/tasks", self.timeout)
        return services, tasks, nodes

    def samples(self) -> tuple[str, bool]:
        """The exposition of one read, and whether the read succeeded."""
        started = time.monotonic()
        try:
            services, tasks, nodes = self.read()
            report = self.status.swarm_status(services, tasks, nodes, time.time(), self.window, self.min_healthy_time)
            samples = self.status.metrics(report)
            ok = True
        except (EngineError, ValueError) as exc:
            print(f"swarm_exporter: can not read the swarm: {exc}", file=sys.stderr, flush=True)
            samples, ok = [], False
        samples += [("swarmops_exporter_up", {}, float(ok)),
                    ("swarmops_exporter_read_seconds", {}, round(time.monotonic() - started, 4))]
        return self.status.exposition(samples), ok


def serve(exporter: Exporter, listen: str) -> None:
    host, _colon, port = listen.rpartition(":")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            if self.path.split("?", 1)[0] not in ("/metrics", "/"):
                self.send_error(404)
                return
            text, _ok = exporter.samples()
            body = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):  # one line per scrape is noise
            pass

    server = http.server.ThreadingHTTPServer((host.strip("[]") or "0.0.0.0", int(port)), Handler)
    print(f"swarm_exporter: serving on {listen}", file=sys.stderr, flush=True)
    server.serve_forever()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--module-utils", required=True,
                        help="directory holding ansible_collections/swarmops/ha/plugins/module_utils")
    parser.add_argument("--listen", default="0.0.0.0:9490")
    parser.add_argument("--socket", default="/var/run/docker.sock")
    parser.add_argument("--failure-window", type=float, default=600.0)
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--min-healthy-time", type=float, default=0.0,
                        help="seconds a task must have been running to count as healthy (swarm_wait's rule)")
    parser.add_argument("--once", action="store_true", help="print one read's samples and exit")
    args = parser.parse_args(argv)
    if args.failure_window < 0 or args.min_healthy_time < 0:
        parser.error("--failure-window and --min-healthy-time must be 0 or more seconds")
    sys.path.insert(0, args.module_utils)
    from ansible_collections.swarmops.ha.plugins.module_utils import _swarm_status  # noqa: E402 (found at run time)

    exporter = Exporter(_swarm_status, args.socket, args.failure_window, args.timeout, args.min_healthy_time)
    if args.once:
        text, ok = exporter.samples()
        sys.stdout.write(text)
        return 0 if ok else 1
    serve(exporter, args.listen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
