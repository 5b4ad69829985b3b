"""What the benchmarks share: running ansible-playbook from the checkout, and the bench lab."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LAB = "swarmops-bench"
SUBNET = "192.168.76.0/24"


def env():
    return dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), PATH=f"{BIN}:{os.environ['PATH']}")


def playbook(*args, check=True):
    result = subprocess.run([str(BIN / "ansible-playbook"), *args], cwd=PROJECT, env=env(),
                            capture_output=True, text=True, timeout=1800, check=False)
    if check and result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-2000:])
        raise SystemExit(f"ansible-playbook {' '.join(args)} failed with {result.returncode}")
    return result


def lab(state, inventory, **lab_vars):
    """lab_up (state "up") or lab_down of the bench lab, its inventory written to ``inventory``."""
    extra = [f"lab_name={LAB}", f"lab_subnet={SUBNET}", f"lab_inventory_file={inventory}"]
    extra += [f"{key}={value}" for key, value in lab_vars.items()]
    playbook(str(PROJECT / f"playbooks/lab_{state}.yml"), *[arg for pair in (("-e", e) for e in extra) for arg in pair])


def demo_settings(web_versions=(1,)):
    """The demo stack's images (web at each of ``web_versions``, redis) and the stack, as site.yml takes them."""
    images = [{"name": f"swarmops/demo-web:{v}", "path": str(PROJECT / "examples/demo/web"),
               "args": {"BASE_IMAGE": "swarmops/lab-node:bookworm-3", "VERSION": str(v)}} for v in web_versions]
    images.append({"name": "swarmops/demo-redis:1", "path": str(PROJECT / "examples/demo/redis"),
                   "args": {"BASE_IMAGE": "swarmops/lab-node:bookworm-3"}})
    return {"swarm_stacks_images": images,
            "swarm_stacks": [{"name": "demo", "compose": str(PROJECT / "examples/demo/stack.yml.j2"),
                              "resolve_image": "never"}]}


class Sampler:
    """A thread that samples while a ``with`` block runs, for at most ``max_seconds``.

    A subclass's ``_run`` loops ``while self.sampling(started)`` and waits with
    ``self._stop.wait(seconds)`` between samples, so that the block's end stops it at once.
    """

    def __init__(self, max_seconds):
        import threading
        self.max_seconds = max_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        raise NotImplementedError

    def sampling(self, started):
        import time
        return not self._stop.is_set() and time.monotonic() - started < self.max_seconds

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


class Load(Sampler):
    """Steady HTTP GETs in a thread, bounded in count and time, with their outcome and latency.

    Aim it only at 127.0.0.0/8 or at lab containers on networks the bench created.
    """

    def __init__(self, url, interval=0.02, timeout=5.0, max_requests=100_000, max_seconds=1800):
        super().__init__(max_seconds)
        self.url, self.interval, self.timeout = url, interval, timeout
        self.max_requests = max_requests
        self.samples = []  # (start, seconds, ok)
        self.errors = []  # (seconds since the first request, what failed), of the failed ones

    def _run(self):
        import time
        import urllib.request
        started = time.monotonic()
        while self.sampling(started) and len(self.samples) < self.max_requests:
            begin = time.monotonic()
            try:
                with urllib.request.urlopen(self.url, timeout=self.timeout) as response:
                    response.read()
                    ok = response.status == 200
                    if not ok:
                        self.errors.append((round(begin - started, 1), f"HTTP {response.status}"))
            except Exception as error:  # noqa: BLE001 - every failure is a failed request
                ok = False
                self.errors.append((round(begin - started, 1), f"{type(error).__name__}: {error}"))
            self.samples.append((begin, time.monotonic() - begin, ok))
            self._stop.wait(self.interval)

    def figures(self):
        latencies = sorted(s[1] for s in self.samples)

        def pct(p):
            return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1) if latencies else None
        figures = {"sent": len(self.samples), "failed": sum(1 for s in self.samples if not s[2]),
                   "p50_ms": pct(0.50), "p99_ms": pct(0.99)}
        if self.errors:
            figures["first_errors"] = self.errors[:5]
        return figures


class ReplicaWatch(Sampler):
    """Lowest (running - desired) replicas seen per service, sampled about once a second from the Raft leader.

    ``on_leader(*docker_args)`` runs a docker CLI command on the current leader
    (whose view is authoritative: a manager that just restarted may read a
    stale store) and returns ``(leader, stdout)``, or ``(None, "")`` when no
    leader answers. ``worst`` keeps the task list of each new low.
    """

    def __init__(self, on_leader, max_seconds=1800):
        super().__init__(max_seconds)
        self.on_leader = on_leader
        self.lowest, self.worst, self.samples = {}, "", 0

    def _run(self):
        import time
        started = time.monotonic()
        while self.sampling(started):
            via, out = self.on_leader("service", "ls", "--format", "{{.Name}} {{.Replicas}}")
            if via:
                for line in out.splitlines():
                    name, replicas = line.split(" ", 1)
                    running, desired = (int(v) for v in replicas.split(" ")[0].split("/"))
                    margin = running - desired
                    if margin < self.lowest.get(name, 0):
                        tasks = self.on_leader("service", "ps", name, "--format",
                                               "{{.Node}} {{.DesiredState}} {{.CurrentState}}")[1]
                        self.worst += f"\n{time.monotonic() - started:.0f}s via {via}: {line}\n{tasks}"
                    self.lowest[name] = min(self.lowest.get(name, margin), margin)
                self.samples += 1
            self._stop.wait(1)
