"""What the molecule scenarios' tests share: the lab's nodes, playbook runs in one
Ansible world, the play recap, and bounded waits.

A test file imports it with ``sys.path.insert(0, str(PROJECT / "molecule" / "shared"))``.
The worlds are those of scripts/worlds.sh: ``current`` is the Python running
the tests (the project venv), ``newest`` the venv of the newest Ansible
(.venv-newest, or NEWEST_VENV).
"""

import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import yaml

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[2]))
# The collection's own parser of HAProxy's runtime answers (unit-tested there).
sys.path.insert(0, str(PROJECT / ".collections"))
from ansible_collections.swarmops.ha.plugins.module_utils._haproxy import (  # noqa: E402
    parse_servers_state,
    summarize,
)
LAB = "swarmops-molecule"
MANAGERS = ["manager1", "manager2", "manager3"]
WORKERS = ["worker1", "worker2"]
NODES = MANAGERS + WORKERS
WORLDS = ("current", "newest")


def container(node):
    return f"{LAB}-{node}"


def newest_python():
    """The Python >= 3.12 scripts/worlds.sh finds here ('' when there is none)."""
    result = subprocess.run([str(PROJECT / "scripts" / "worlds.sh"), "python"], capture_output=True, text=True,
                            timeout=60, check=False)
    return result.stdout.strip()


def world_bin(world):
    """The bin/ of an Ansible world. The newest world must exist wherever a Python >= 3.12 does."""
    if world == "current":
        return Path(sys.executable).parent
    venv = Path(os.environ.get("NEWEST_VENV", PROJECT / ".venv-newest"))
    if (venv / "bin" / "ansible-playbook").exists():
        return venv / "bin"
    python = newest_python()
    if python:
        pytest.fail(f"{python} is here but the newest world {venv} was not made: run `make venv-newest`")
    pytest.skip("no Python >= 3.12 on this machine: the newest world can not be tested here")


def mark_world(world, step):
    """Record that a world passed a step, for the check at the end of .ci/run (scripts/worlds.sh check)."""
    subprocess.run([str(PROJECT / "scripts" / "worlds.sh"), "mark", world, step], check=True, timeout=60)


def playbook(*args, world="current", inventory=None, timeout=1500, env=None):
    """ansible-playbook of one world, from the checkout, on the molecule inventory unless another is given."""
    inventory = inventory or os.environ["MOLECULE_INVENTORY_FILE"]
    run_env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", NO_COLOR="1",
                   **(env or {}))
    return subprocess.run([str(world_bin(world) / "ansible-playbook"), "-i", str(inventory), *map(str, args)],
                          cwd=PROJECT, env=run_env, capture_output=True, text=True, timeout=timeout, check=False)


def render_backends(tmp_path):
    """The load balancer role's backends.yml on every load balancer, as the day-2 playbooks run it."""
    play = tmp_path / "backends.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Render the backends", "hosts": "swarm_lbs", "gather_facts": False, "become": True,
        "tasks": [{"name": "Backends",
                   "ansible.builtin.include_role": {"name": "swarmops.ha.loadbalancer", "tasks_from": "backends.yml"}}],
    }]))
    result = playbook(play)
    assert result.returncode == 0, output(result)


def output(result, tail=6000):
    return result.stdout[-tail:] + result.stderr[-2000:]


def recap(result):
    """{host: {"ok": n, "changed": n, "failed": n, ...}} from the PLAY RECAP of a run."""
    hosts = {}
    text = result.stdout.split("PLAY RECAP", 1)[-1]
    for line in text.splitlines():
        match = re.match(r"^(\S+)\s+:\s+(.*)$", line.strip())
        if match:
            hosts[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    assert hosts, f"no PLAY RECAP in the output:\n{output(result)}"
    return hosts


def docker_exec(node, *command, timeout=120):
    return subprocess.run(["docker", "exec", container(node), *command], capture_output=True, text=True,
                          timeout=timeout, check=False)


def wait_for(predicate, what, timeout=180, interval=2):
    """Poll ``predicate() -> (ok, seen)`` until ok; fail after ``timeout`` s saying what was last seen."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        ok, last = predicate()
        if ok:
            return last
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}; last seen: {last}")


_SERVERS_STATE = ("import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock'); "
                  "s.sendall(b'show servers state\\n'); print(s.makefile().read())")


def haproxy_servers(lb):
    """Per backend, per server, what lb's HAProxy says now (UP, DOWN, MAINT, DRAIN), read from its admin socket."""
    result = docker_exec(lb, "python3", "-c", _SERVERS_STATE, timeout=30)
    assert result.returncode == 0, result.stderr
    return summarize(parse_servers_state(result.stdout))


# The lab's webhook receiver (roles/lab/files/webhook_receiver.py, outside the
# swarm), where the monitoring stack's Alertmanager sends its notifications.
RECEIVER = "http://192.168.78.40:9095/notifications"


def notifications():
    """Every notification the receiver kept: {received_at, path, body (Alertmanager's webhook JSON)}."""
    with urllib.request.urlopen(RECEIVER, timeout=5) as response:
        return json.load(response)


def received_alerts(since):
    """Per notification received at or after ``since``: (seconds after since, status, alertname, alerts).

    ``alerts`` holds (status, labels) of each alert in it: a notification of a group that still fires also
    carries the alerts of the group that were resolved meanwhile, each with its own status.
    """
    found = []
    for note in notifications():
        if note["received_at"] < since:
            continue
        body = note["body"]
        alerts = tuple(sorted((a.get("status"), tuple(sorted(a.get("labels", {}).items())))
                              for a in body.get("alerts", [])))
        found.append((note["received_at"] - since, body.get("status"), body.get("groupLabels", {}).get("alertname"),
                      alerts))
    return found


def first_notice(found, status, alertname, **labels):
    """Seconds to the first notification of an ``alertname`` alert in ``status`` (None: any) carrying ``labels``."""
    for seconds, _status, name, alerts in found:
        if name == alertname and any(status in (None, alert_status) and all(dict(alert).get(k) == v for k, v in labels.items())
                                     for alert_status, alert in alerts):
            return seconds
    return None


def duplicates(found, within=60):
    """Notifications that repeat one received less than ``within`` seconds before (same status, alert name and
    alerts): what the two Prometheus replicas and the Alertmanager cluster let through twice.

    The Watchdog repeats by design (its repeat interval) and is left out.
    """
    last, repeated = {}, 0
    for seconds, status, name, alerts in found:
        if name == "Watchdog":
            continue
        key = (status, name, alerts)
        repeated += key in last and seconds - last[key] < within
        last[key] = seconds
    return repeated


LAB_ADDRESSES = {"manager1": "192.168.78.11", "manager2": "192.168.78.12", "manager3": "192.168.78.13",
                 "worker1": "192.168.78.31", "worker2": "192.168.78.32"}


def prometheus_query(expr):
    """The result of ``expr`` from the first Prometheus replica of the monitoring stack that answers."""
    errors = []
    for node, address in LAB_ADDRESSES.items():
        url = f"http://{address}:9090/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        try:
            with urllib.request.urlopen(url, timeout=3) as response:
                return json.load(response)["data"]["result"]
        except OSError as exc:
            errors.append(f"{node}: {exc}")
    pytest.fail(f"no Prometheus of the monitoring stack answers: {errors}")


def no_alert_but_the_watchdog(names="SwarmNodeDown|SwarmServiceBelowDesired"):
    """For wait_for: (none of the alerts ``names`` firing or pending, the alerts that are)."""
    alerts = prometheus_query(f'ALERTS{{alertname=~"{names}"}}')
    return not alerts, sorted(f"{a['metric']['alertname']} {a['metric'].get('service') or a['metric'].get('node', '')} "
                              f"{a['metric']['alertstate']}" for a in alerts)
