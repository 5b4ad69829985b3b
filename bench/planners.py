#!/usr/bin/env python
"""How the pure planners scale: each one timed on generated swarm API data of 100 and 1,000 nodes.

No lab, no Docker: the nodes, services and tasks are built in the shape Docker
Engine's API returns them (GET /nodes, /services, /tasks), with the fields the
planners read. A swarm of N nodes has 3 (or 5 from 100 nodes) managers, the
rest workers in 3 zones (a node label), and S services: a tenth global, the
others replicated with 3 to 12 replicas, some with a zone constraint, some
with max replicas per node, some with CPU and memory reservations, a fifth
publishing a port in host mode (behind the load balancers). Every task runs.

Timed, each the best of --repeat runs (the machine is shared):
  convergence   evaluate_services: the deploy gate's and swarm_wait's verdict on every service
  status        swarm_status: the report status.yml prints and the exporter publishes
  drain         plan_drain of the busiest worker
  rebalance     plan_rebalance after that worker came back empty
  maintenance   plan_maintenance: the order and checks of a rolling maintenance of every node
  lb            lb_frontends: the load balancers' frontends and servers

It also prints what the load balancers would hold at that size (frontends,
servers, health checks per load balancer every check interval), which is what
grows with the fleet.

    .venv/bin/python bench/planners.py [--nodes 100,1000] [--services 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / ".collections"))

# pylint: disable=wrong-import-position
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import evaluate_services  # noqa: E402
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_drain import plan_drain, plan_rebalance  # noqa: E402
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_lb import lb_frontends  # noqa: E402
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_maintenance import plan_maintenance  # noqa: E402
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_status import swarm_status  # noqa: E402

GIB = 1024 ** 3
CPU = 10 ** 9
ZONES = ("a", "b", "c")
NOW = time.time()
STARTED = time.strftime("%Y-%m-%dT%H:%M:%S.000000000Z", time.gmtime(NOW - 3600))


def make_id(seed):
    return hashlib.sha1(seed.encode()).hexdigest()[:25]


def make_node(index, managers):
    manager = index < managers
    host = f"manager{index + 1}" if manager else f"worker{index - managers + 1}"
    node = {
        "ID": make_id(host), "Version": {"Index": 10},
        "Spec": {"Labels": {"zone": ZONES[index % 3]}, "Role": "manager" if manager else "worker",
                 "Availability": "active"},
        "Description": {"Hostname": host, "Platform": {"Architecture": "x86_64", "OS": "linux"},
                        "Resources": {"NanoCPUs": 8 * CPU, "MemoryBytes": 32 * GIB}},
        "Status": {"State": "ready", "Addr": f"10.{index // 250}.{index % 250}.10"},
    }
    if manager:
        node["ManagerStatus"] = {"Leader": index == 0, "Reachability": "reachable",
                                 "Addr": f"10.{index // 250}.{index % 250}.10:2377"}
    return node


def make_service(index, rng):
    name = f"app{index:04d}_web"
    global_ = index % 10 == 0
    placement = {}
    if not global_ and index % 4 == 1:
        placement["Constraints"] = [f"node.labels.zone=={ZONES[index % 3]}", "node.role==worker"]
    elif not global_:
        placement["Constraints"] = ["node.role==worker"]
    if not global_ and index % 5 == 2:
        placement["MaxReplicas"] = 1
    reservations = {}
    if index % 3 == 0:
        reservations = {"NanoCPUs": CPU // 4, "MemoryBytes": GIB // 4}
    ports = []
    if not global_ and index % 5 == 0:
        ports = [{"Protocol": "tcp", "TargetPort": 8080, "PublishedPort": 20000 + index, "PublishMode": "host"}]
    template = {
        "ContainerSpec": {"Image": f"registry.example/app{index:04d}:1@sha256:{'0' * 64}",
                          "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5 * CPU, "Timeout": 3 * CPU,
                                          "Retries": 3}},
        "Resources": {"Limits": {}, "Reservations": reservations},
        "RestartPolicy": {"Condition": "any", "Delay": 5 * CPU, "MaxAttempts": 0},
        "Placement": placement, "ForceUpdate": 0, "Runtime": "container",
    }
    spec = {"Name": name, "Labels": {"com.docker.stack.namespace": f"app{index:04d}"}, "TaskTemplate": template,
            "Mode": {"Global": {}} if global_ else {"Replicated": {"Replicas": rng.randint(3, 12)}},
            "EndpointSpec": {"Mode": "vip", "Ports": ports}}
    return {"ID": make_id(name), "Version": {"Index": 20}, "Spec": spec,
            "UpdateStatus": {"State": "completed"}}


def eligible(service, nodes):
    constraints = service["Spec"]["TaskTemplate"]["Placement"].get("Constraints", [])
    result = nodes
    for constraint in constraints:
        if constraint == "node.role==worker":
            result = [n for n in result if n["Spec"]["Role"] == "worker"]
        else:
            zone = constraint.split("==")[1]
            result = [n for n in result if n["Spec"]["Labels"]["zone"] == zone]
    return result


def make_tasks(services, nodes, rng):
    tasks, number = [], 0
    for service in services:
        spec = service["Spec"]
        candidates = eligible(service, nodes)
        if "Global" in spec["Mode"]:
            placed = [(n, 0) for n in candidates]
        else:
            replicas = spec["Mode"]["Replicated"]["Replicas"]
            if spec["TaskTemplate"]["Placement"].get("MaxReplicas") or spec["EndpointSpec"]["Ports"]:
                # One task per node (max replicas 1, or a host-mode port), and one node to spare, as a sound
                # deployment has it, so that any one node can be drained.
                replicas = min(replicas, len(candidates) - 1)
                spec["Mode"]["Replicated"]["Replicas"] = replicas
            start = rng.randrange(len(candidates))
            placed = [(candidates[(start + slot) % len(candidates)], slot + 1) for slot in range(replicas)]
        for node, slot in placed:
            number += 1
            tasks.append({
                "ID": f"t{number:024d}", "ServiceID": service["ID"], "NodeID": node["ID"], "Slot": slot,
                "DesiredState": "running",
                "Status": {"State": "running", "Timestamp": STARTED, "Message": "started",
                           "ContainerStatus": {"ContainerID": f"c{number:063d}", "ExitCode": 0}},
                "Spec": spec["TaskTemplate"], "CreatedAt": STARTED, "UpdatedAt": STARTED,
            })
    return tasks


def host_view(node, leader):
    """A host's docker info .Swarm as the observation reads it (a manager with quorum, or a worker)."""
    manager = node["Spec"]["Role"] == "manager"
    view = {"LocalNodeState": "active", "NodeID": node["ID"], "NodeAddr": node["Status"]["Addr"],
            "ControlAvailable": manager, "Error": ""}
    if manager:
        view["Nodes"] = 0
        view["RemoteManagers"] = [{"NodeID": leader["ID"], "Addr": leader["ManagerStatus"]["Addr"]}]
    return view


def best(function, repeat):
    times = []
    for _run in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def run(node_count, service_count, repeat):
    rng = random.Random(node_count * 1000 + service_count)
    managers = 5 if node_count >= 100 else 3
    nodes = [make_node(i, managers) for i in range(node_count)]
    services = [make_service(i, rng) for i in range(service_count)]
    tasks = make_tasks(services, nodes, rng)
    workers = [n for n in nodes if n["Spec"]["Role"] == "worker"]
    busiest = max(workers, key=lambda n: sum(t["NodeID"] == n["ID"] for t in tasks))
    hosts = {n["Description"]["Hostname"]: host_view(n, nodes[0]) for n in nodes}
    manager_hosts = [n["Description"]["Hostname"] for n in nodes[:managers]]
    # After the busiest worker was drained and came back: its tasks went elsewhere, it runs none.
    back = [dict(t, NodeID=workers[(i + 1) % len(workers)]["ID"]) if t["NodeID"] == busiest["ID"] else t
            for i, t in enumerate(tasks)]

    rows = []
    seconds, evaluation = best(lambda: evaluate_services(services, tasks, nodes, NOW, 5.0), repeat)
    rows.append(("convergence", seconds, f"converged {evaluation['converged']}"))
    seconds, status = best(lambda: swarm_status(services, tasks, nodes, NOW), repeat)
    rows.append(("status", seconds, f"verdict {status['verdict']}"))
    seconds, plan = best(lambda: plan_drain(busiest["ID"], services, tasks, nodes), repeat)
    moved = sum(len(m.get("tasks", [])) if isinstance(m.get("tasks"), list) else m.get("tasks", 0)
                for m in plan["moves"])
    rows.append(("drain", seconds, f"{busiest['Description']['Hostname']}: {len(plan['moves'])} services, "
                                   f"{moved} tasks to move, {len(plan['problems'])} refusals"))
    seconds, spread = best(lambda: plan_rebalance(services, back, nodes), repeat)
    rows.append(("rebalance", seconds, f"{len(spread)} services to spread"))
    seconds, order = best(lambda: plan_maintenance(nodes, hosts, manager_hosts), repeat)
    rows.append(("maintenance", seconds, f"{len(order['order'])} nodes in order, {len(order['errors'])} errors"))
    seconds, frontends = best(lambda: lb_frontends(services, nodes), repeat)
    servers = sum(len(f["servers"]) for f in frontends)
    rows.append(("lb", seconds, f"{len(frontends)} frontends, {servers} servers"))
    return {"nodes": node_count, "services": service_count, "tasks": len(tasks), "rows": rows,
            "frontends": len(frontends), "servers": servers}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--nodes", default="100,1000", help="swarm sizes, comma-separated (default 100,1000)")
    parser.add_argument("--services", type=int, default=200, help="services in each swarm (default 200)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each planner; the best is printed")
    parser.add_argument("--check-interval", type=float, default=2.0,
                        help="HAProxy's check interval in seconds, for the checks per second (default 2)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.nodes.split(",") if n.strip()]
    if not sizes or min(sizes) < 4 or args.services < 1 or args.repeat < 1:
        raise SystemExit("bench/planners.py: --nodes must list sizes of at least 4, --services and --repeat be >= 1")
    results = [run(n, args.services, args.repeat) for n in sizes]
    print("| planner | " + " | ".join(f"{r['nodes']} nodes, {r['services']} services, {r['tasks']} tasks (s)"
                                      for r in results) + " | what it found |")
    print("|---|" + "---|" * len(results) + "---|")
    for i, (name, _seconds, _what) in enumerate(results[0]["rows"]):
        cells = " | ".join(f"{r['rows'][i][1]:.3f}" for r in results)
        print(f"| {name} | {cells} | {' / '.join(r['rows'][i][2] for r in results)} |")
    print()
    for r in results:
        print(f"{r['nodes']} nodes: each load balancer holds {r['frontends']} frontends and {r['servers']} servers "
              f"(every node a constraint allows is a server of a host-mode port); one health check per server "
              f"every {args.check_interval:g} s is {r['servers'] / args.check_interval:.0f} checks per second "
              "per load balancer")


if __name__ == "__main__":
    main()
