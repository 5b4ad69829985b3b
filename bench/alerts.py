#!/usr/bin/env python
"""Time from a node's death to its notifications, and what the monitoring stack's redundancy buys.

On a bench lab of 3 managers, 2 workers and 2 load balancers, site.yml deploys
the demo stack and the monitoring stack (monitoring_enabled; notifications to
the lab's webhook receiver, outside the swarm, at the default dispatcher
heartbeat). Then:

  a. a worker that runs a web task of the demo is hard-killed (docker kill),
     and started again once the notifications are in;
  b. the HA drill: a node that runs one Prometheus replica and one Alertmanager
     member (the Alertmanager members are first placed on it and one other node
     with a node label) is hard-killed; the alerts must still be delivered;
  c. the baseline, in the same run: the same stack with one Prometheus and one
     Alertmanager, and the node that runs the Prometheus hard-killed.

For each it prints the seconds from the kill to the SwarmNodeDown notification
(firing), to the SwarmServiceBelowDesired notification of the demo's web
(event a), to the resolution after the node is started again, and the
duplicates received (the same notification again within a minute). The lab is
removed at the end, also on failure.

    .venv/bin/python bench/alerts.py [--events abc] [--keep-lab]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

import benchlab
from benchlab import LAB, PROJECT, playbook

sys.path.insert(0, str(PROJECT / "molecule" / "shared"))
import labtest  # noqa: E402  (the receiver's helpers and the bounded wait)
from labtest import wait_for as wait  # noqa: E402

PREFIX = benchlab.SUBNET.split("/", 1)[0].rsplit(".", 1)[0]
NODES = ["manager1", "manager2", "manager3", "worker1", "worker2"]
labtest.RECEIVER = f"http://{PREFIX}.40:9095/notifications"
labtest.LAB_ADDRESSES = {n: f"{PREFIX}.{11 + i if i < 3 else 31 + i - 3}" for i, n in enumerate(NODES)}
ROWS = []


def docker(node, *command, check=True, timeout=60):
    return subprocess.run(["docker", "exec", f"{LAB}-{node}", "docker", *command], capture_output=True, text=True,
                          timeout=timeout, check=check).stdout


def manager(avoid=()):
    for node in ("manager1", "manager2", "manager3"):
        if node in avoid:
            continue
        try:
            if docker(node, "node", "ls", "-q", check=False, timeout=10).strip():
                return node
        except subprocess.TimeoutExpired:
            continue
    raise SystemExit("no manager answers")


def task_nodes(service, avoid=()):
    out = docker(manager(avoid), "service", "ps", service, "--filter", "desired-state=running", "--format",
                 "{{.Node}} {{.CurrentState}}")
    return sorted(line.split()[0] for line in out.splitlines() if " Running" in line)


def every_node_ready():
    out = docker(manager(), "node", "ls", "--format", "{{.Hostname}} {{.Status}}")
    states = dict(line.split() for line in out.splitlines())
    return all(s == "Ready" for s in states.values()), states


def quiet():
    wait(every_node_ready, "every node ready")
    wait(labtest.no_alert_but_the_watchdog, "no node down and no service below desired")


def kill_and_measure(name, victim, wanted_below=True, timeout=240):
    """Kill victim; the seconds to its notifications; start it again; the seconds to the resolution."""
    start = time.time()
    subprocess.run(["docker", "kill", f"{LAB}-{victim}"], check=True, capture_output=True)

    seen = {"last": (None, None)}

    def fired():
        found = labtest.received_alerts(start)
        down = labtest.first_notice(found, "firing", "SwarmNodeDown", node=victim)
        below = labtest.first_notice(found, None, "SwarmServiceBelowDesired", service="demo_web")
        seen["last"] = (down, below)
        return down is not None and (below is not None or not wanted_below), (down, below)
    try:
        down, below = wait(fired, f"the notifications of {victim}'s death", timeout=timeout)
    except pytest.fail.Exception as missed:
        down, below = seen["last"]  # what did come, in the table; "-" for what did not
        print(f"{name}: {missed}", flush=True)
    back = time.time()
    subprocess.run(["docker", "start", f"{LAB}-{victim}"], check=True, capture_output=True)

    def resolved():
        seconds = labtest.first_notice(labtest.received_alerts(back), "resolved", "SwarmNodeDown", node=victim)
        return seconds is not None, seconds
    try:
        resolved_after = wait(resolved, f"the resolution of {victim}'s death", timeout=timeout)
    except pytest.fail.Exception:
        resolved_after = None
    found = labtest.received_alerts(start)
    ROWS.append((name, victim, down, below, resolved_after, labtest.duplicates(found), len(found)))
    print(f"{name}: {ROWS[-1]}", flush=True)
    quiet()


def deploy(inv, *extra):
    playbook(*inv, *extra, str(PROJECT / "site.yml"))


def print_table():
    def fmt(value):
        return "-" if value is None else (f"{value:.1f}" if isinstance(value, float) else str(value))
    print("\n| event | node killed | kill to SwarmNodeDown (s) | kill to demo_web below desired (s) "
          "| start to resolved (s) | duplicates | notifications |")
    print("|---|---|---|---|---|---|---|")
    for row in ROWS:
        print("| " + " | ".join(fmt(v) for v in row) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", default="abc", help="the events to run, of a b c (default all)")
    parser.add_argument("--keep-lab", action="store_true",
                        help="leave the bench lab up at the end, to look at it (make lab-down LAB_ARGS=... removes it)")
    args = parser.parse_args()
    events = set(args.events)
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "hosts.yml"
        try:
            benchlab.lab("down", inventory, lab_lbs=2, lab_forward_base=0)
            benchlab.lab("up", inventory, lab_lbs=2, lab_forward_base=0)
            # Beside the inventory (group_vars), not as extra vars: an extra var swarm_stacks would also be the
            # monitoring role's, which hands its own stack to swarm_stacks under that name, and the monitoring
            # stack would not be deployed.
            settings = Path(tmp) / "group_vars" / "all.yml"
            settings.parent.mkdir()
            settings.write_text(json.dumps({
                **benchlab.demo_settings(),
                "docker_engine_metrics_addr": "{{ swarm_advertise_addr }}:9323",
                "loadbalancer_metrics_bind": "{{ ansible_host }}:8405",
                "monitoring_enabled": True,
                "monitoring_base_image": "swarmops/lab-node:bookworm-3",
                "monitoring_group_interval": "10s",
            }))
            inv = ["-i", str(inventory)]
            deploy(inv)
            heartbeat = docker("manager1", "info", "--format", "{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}")
            print(f"lab ready; dispatcher heartbeat {heartbeat.strip()}", flush=True)
            quiet()

            if "a" in events:
                web = [n for n in task_nodes("demo_web") if n.startswith("worker")]
                kill_and_measure("a  worker running web killed (2 Prometheus, 2 Alertmanager)", (web or ["worker1"])[0])
            if "b" in events:
                target = next(n for n in task_nodes("monitoring_prometheus") if n != "manager1")
                other = next(n for n in NODES if n not in (target, "manager1") and n not in task_nodes(
                    "monitoring_prometheus"))
                for node in (target, other):
                    docker("manager1", "node", "update", "--label-add", "swarmops.drill=yes", node)
                docker("manager1", "service", "update", "--detach", "--constraint-add", "node.labels.swarmops.drill==yes",
                       "monitoring_alertmanager", timeout=300)
                wait(lambda: (task_nodes("monitoring_alertmanager") == sorted([target, other]),
                              task_nodes("monitoring_alertmanager")), "the Alertmanager members on the drill's nodes")
                wait(lambda: (len(labtest.prometheus_query("alertmanager_cluster_members")) > 0 and all(
                    r["value"][1] == "2" for r in labtest.prometheus_query("alertmanager_cluster_members")),
                    labtest.prometheus_query("alertmanager_cluster_members")), "a two-member cluster")
                quiet()
                kill_and_measure(f"b  HA drill: {target} runs a Prometheus and an Alertmanager", target,
                                 wanted_below=False)
                docker("manager1", "service", "update", "--detach", "--constraint-rm", "node.labels.swarmops.drill==yes",
                       "monitoring_alertmanager", timeout=300)
                for node in (target, other):
                    docker("manager1", "node", "update", "--label-rm", "swarmops.drill", node)
            if "c" in events:
                deploy(inv, "-e", "monitoring_prometheus_replicas=1", "-e", "monitoring_alertmanager_replicas=1")
                quiet()
                target = task_nodes("monitoring_prometheus")[0]
                if target == "manager1":  # keep the manager the bench reads through
                    docker("manager1", "service", "update", "--detach", "--constraint-add", "node.hostname!=manager1",
                           "monitoring_prometheus", timeout=300)
                    wait(lambda: (task_nodes("monitoring_prometheus") not in ([], ["manager1"]),
                                  task_nodes("monitoring_prometheus")), "the Prometheus off manager1")
                    target = task_nodes("monitoring_prometheus")[0]
                    quiet()
                kill_and_measure(f"c  baseline: one Prometheus, one Alertmanager; {target} runs the Prometheus",
                                 target, wanted_below=False)
        finally:
            print_table()
            if args.keep_lab:
                kept = Path(tempfile.gettempdir()) / f"{LAB}-hosts.yml"
                kept.write_text(inventory.read_text())
                print(f"the lab is left up; its inventory: {kept}; remove it with: ansible-playbook "
                      f"playbooks/lab_down.yml -e lab_name={LAB} -e lab_inventory_file=/dev/null/none", flush=True)
            else:
                benchlab.lab("down", inventory, lab_lbs=2, lab_forward_base=0)


if __name__ == "__main__":
    main()
