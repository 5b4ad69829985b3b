# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""The swarm's health for a person, a script or Prometheus: pure rules over API objects.

The inputs are what a manager's API returns (``GET /nodes``, ``GET /services``,
``GET /tasks``); each service is judged by ``_swarm_convergence.evaluate_service``,
the rule ``swarm_wait`` and the deploy gate use, so that the report, the
metrics and the gates never disagree on what "healthy" means. The verdict:

- ``healthy``: every service converged, every node ready, and the managers
  reachable exceed the quorum by at least one (the swarm survives the loss of
  one more manager);
- ``degraded``: a service not converged (below its desired count, an update
  in progress or paused) or a node not ready, with that margin of at least one;
- ``at_risk``: the margin is 0 (losing one more manager stops the control
  plane) or below, no manager is the Raft leader, or a service that wants
  tasks has none healthy.

``metrics`` turns a report into Prometheus samples and ``exposition`` into the
text format, for the monitoring exporter. Nothing here does I/O; the clock is
passed in.
"""

from __future__ import annotations

import math
import re

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import (
    describe_task,
    evaluate_service,
    may_finish,
    parse_timestamp,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import (
    STACK_LABEL,
    SwarmOpsError,
    is_leader,
    is_manager,
    manager_reachability,
    manager_reachable,
    node_availability,
    node_name,
    node_role,
    node_state,
    service_name,
    service_spec,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_topology import quorum

VERDICTS = ("healthy", "degraded", "at_risk")
# How far back the report looks for failed tasks, by default (seconds).
DEFAULT_FAILURE_WINDOW = 600
# The error of a task Swarm stopped because its node no longer meets the service's placement.
PLACEMENT_MOVE = "assigned node no longer meets constraints"
# What a node that died reports of its tasks when it comes back: the engine
# gives exit code 255 to the containers that were running when it stopped
# abruptly, and rejects a task while it has not rejoined the swarm yet. Neither
# is the task's own failure. (An application of its own exiting 255 is rarer
# than a host that dies; it is not counted either.)
ENGINE_DIED_EXIT = 255
NODE_NOT_IN_SWARM = "swarm is not active"


def node_report(node: dict) -> dict:
    """One node as the report shows it."""
    return {
        "name": node_name(node),
        "id": node.get("ID") or "",
        "role": node_role(node),
        "state": node_state(node),
        "availability": node_availability(node),
        "address": (node.get("Status") or {}).get("Addr") or "",
        "reachability": manager_reachability(node) or None,
        "leader": is_leader(node),
        "engine": ((node.get("Description") or {}).get("Engine") or {}).get("EngineVersion") or "",
        "message": (node.get("Status") or {}).get("Message") or "",
    }


def quorum_report(nodes: list[dict]) -> dict:
    """Managers known, reachable, the quorum they need, the margin between the two, and the leader."""
    managers = [n for n in nodes if is_manager(n)]
    reachable = [n for n in managers if manager_reachable(n)]
    needed = quorum(len(managers))
    leader = next((node_name(n) for n in managers if is_leader(n)), None)
    return {
        "managers": len(managers),
        "reachable": len(reachable),
        "quorum": needed,
        "margin": len(reachable) - needed,
        "leader": leader,
        "unreachable": sorted(node_name(n) for n in managers if not manager_reachable(n)),
    }


def _slot(task: dict):
    return task.get("Slot") or ("node", task.get("NodeID"))


def task_failures(service: dict, tasks: list[dict], nodes: list[dict], now: float, window: float) -> list[dict]:
    """The tasks of the service that failed within ``window`` seconds before ``now``, newest first.

    A task failed when it exited non-zero or was killed for being unhealthy
    (``failed``), could not start (``rejected``), or, for a service not meant
    to finish, stopped by itself with exit 0 (``complete``): the states in
    which the deploy gate calls a task of a new revision a failure. A task
    rejected because its node no longer meets a changed placement (a drain or
    a rebalance moved it) is not one; nor is what a node that died reports
    when it comes back (exit code 255, or rejected until it rejoined); nor is a task Swarm had already replaced
    when its failure was reported (its node went down: the orchestrator starts
    a replacement at once, and the node reports the dead container when it
    comes back), whereas a task that crashes is replaced after it failed.
    """
    nodes_by_id = {n.get("ID"): n for n in nodes}
    finishing = may_finish(service)
    own = [t for t in tasks if t.get("ServiceID") in (None, service.get("ID"))]
    # When each slot (a replica's number; a global service's node) got a task.
    created_in_slot: dict = {}
    for task in own:
        created = parse_timestamp(task.get("CreatedAt"))
        if created is not None:
            created_in_slot.setdefault(_slot(task), []).append(created)
    found = []
    for task in own:
        status = task.get("Status") or {}
        state = (status.get("State") or "").lower()
        if state not in ("failed", "rejected") and not (state == "complete" and not finishing):
            continue
        # Swarm pulls a task whose node no longer meets a changed placement (a drain's or a rebalance's
        # constraint): a move, not a failure.
        if state == "rejected" and PLACEMENT_MOVE in (status.get("Err") or ""):
            continue
        if state == "rejected" and NODE_NOT_IN_SWARM in (status.get("Err") or ""):
            continue
        if state == "failed" and (status.get("ContainerStatus") or {}).get("ExitCode") == ENGINE_DIED_EXIT:
            continue
        when = parse_timestamp(status.get("Timestamp"))
        if when is None or now - when > window:
            continue
        created = parse_timestamp(task.get("CreatedAt"))
        if created is not None and any(created < other < when - 1 for other in created_in_slot.get(_slot(task), [])):
            continue
        found.append((when, task))
    found.sort(key=lambda pair: pair[0], reverse=True)
    return [describe_task(task, nodes_by_id, service) for _when, task in found]


def service_report(service: dict, tasks: list[dict], nodes: list[dict], now: float,
                   window: float = DEFAULT_FAILURE_WINDOW, min_healthy_time: float = 0.0) -> dict:
    """One service: desired, running and healthy tasks, tasks per node, update state, recent failures, verdict.

    ``healthy`` counts the tasks that serve now (running, past their health
    check, on a node that is up), of the current spec or of the previous one
    while an update replaces them; ``running`` adds the containers still
    waiting for their first passing check. ``converged`` is swarm_wait's
    verdict (a service Swarm rolled back runs its previous spec: converged).
    With ``min_healthy_time``, as for swarm_wait, a task counts as healthy only
    once it has been running that many seconds (until then it is running, not
    healthy): a replacement that has just passed its first check is not yet
    trusted, and a shortfall lasts until it has proven itself.
    """
    judged = evaluate_service(service, tasks, nodes, now, min_healthy_time=min_healthy_time, accept_rollback=True)
    job = judged["mode"].endswith("job")
    healthy = judged["replicas_running"] + judged["replicas_previous"]
    if job:
        healthy = judged["replicas_done"]
    desired = judged["replicas_wanted"]
    failures = task_failures(service, tasks, nodes, now, window)
    if judged["converged"]:
        verdict = "healthy"
    elif desired > 0 and healthy == 0 and not job:
        verdict = "at_risk"
    else:
        verdict = "degraded"
    return {
        "name": judged["name"],
        "id": judged["id"],
        "stack": (service_spec(service).get("Labels") or {}).get(STACK_LABEL) or "",
        "mode": judged["mode"],
        "image": judged["image"],
        "desired": desired,
        "running": (healthy + judged["replicas_settling"] + judged["containers_starting"]
                    if not job else judged["replicas_running"]),
        "healthy": healthy,
        "completed": judged["replicas_done"],
        "tasks_per_node": judged["tasks_per_node"],
        "tasks_on_down_nodes": judged["tasks_on_down_nodes"],
        "update_state": judged["update_state"],
        "update_message": judged["update_message"],
        "rolled_back": (judged["update_state"] or "").startswith("rollback"),
        "converged": judged["converged"],
        "reasons": ([judged["failed"]] if judged["failed"] else []) + judged["reasons"],
        "failures": failures,
        "verdict": verdict,
    }


def _check_window(window, what: str = "the failure window") -> float:
    if isinstance(window, bool) or not isinstance(window, (int, float)) or not math.isfinite(window) or window < 0:
        raise SwarmOpsError(f"{what} must be a number of seconds, 0 or more, got {window!r}")
    return float(window)


def swarm_status(services: list[dict], tasks: list[dict], nodes: list[dict], now: float,
                 window: float = DEFAULT_FAILURE_WINDOW, min_healthy_time: float = 0.0) -> dict:
    """The whole report: ``verdict``, the ``reasons`` for it, ``quorum``, ``nodes`` and ``services``.

    ``min_healthy_time``: seconds a task must have been running to count as healthy (service_report).
    """
    window = _check_window(window)
    min_healthy_time = _check_window(min_healthy_time, "the minimum healthy time")
    by_service: dict = {}
    for task in tasks:
        by_service.setdefault(task.get("ServiceID"), []).append(task)
    reports = [service_report(s, by_service.get(s.get("ID"), []), nodes, now, window, min_healthy_time)
               for s in sorted(services, key=service_name)]
    node_reports = sorted((node_report(n) for n in nodes), key=lambda n: (n["role"] != "manager", n["name"]))
    margin = quorum_report(nodes)

    at_risk, degraded = [], []
    if margin["managers"] == 0:
        at_risk.append("the swarm lists no manager")
    elif margin["margin"] < 0:
        at_risk.append(f"quorum lost: {margin['reachable']} of {margin['managers']} managers reachable, "
                       f"{margin['quorum']} needed")
    elif margin["margin"] == 0:
        at_risk.append(f"no manager to spare: {margin['reachable']} of {margin['managers']} managers reachable, "
                       f"{margin['quorum']} needed (losing one more stops the control plane)")
    if margin["managers"] and margin["leader"] is None:
        at_risk.append("no manager is the Raft leader")
    for node in node_reports:
        if node["state"] != "ready":
            degraded.append(f"node {node['name']} is {node['state']}"
                            + (f" ({node['message']})" if node["message"] else ""))
        elif node["role"] == "manager" and node["reachability"] != "reachable":
            degraded.append(f"manager {node['name']} is {node['reachability'] or 'unknown'}")
    for report in reports:
        if report["verdict"] == "healthy":
            continue
        why = "; ".join(report["reasons"]) or "not converged"
        line = f"service {report['name']}: {report['healthy']} of {report['desired']} healthy ({why})"
        (at_risk if report["verdict"] == "at_risk" else degraded).append(line)
    verdict = "at_risk" if at_risk else "degraded" if degraded else "healthy"
    return {
        "verdict": verdict,
        "reasons": at_risk + degraded,
        "quorum": margin,
        "nodes": node_reports,
        "services": reports,
        "failure_window": window,
        "read_at": now,
    }


def render_text(status: dict) -> list[str]:
    """The report as lines for a person."""
    margin = status["quorum"]
    lines = [
        f"swarm: {status['verdict'].upper().replace('_', ' ')}",
        f"managers: {margin['reachable']} of {margin['managers']} reachable, quorum {margin['quorum']}, "
        f"margin {margin['margin']}, leader {margin['leader'] or 'none'}",
    ]
    lines += [f"  ! {reason}" for reason in status["reasons"]]
    lines.append("nodes:")
    for node in status["nodes"]:
        manager = (f", {node['reachability'] or 'unknown'}" + (", leader" if node["leader"] else "")
                   if node["role"] == "manager" else "")
        lines.append(f"  {node['name']:<20} {node['role']:<8} {node['state']:<12} {node['availability']}{manager}")
    lines.append(f"services (failures of the last {status['failure_window']:g}s):")
    if not status["services"]:
        lines.append("  none")
    for service in status["services"]:
        spread = ", ".join(f"{node} {count}" for node, count in service["tasks_per_node"].items()) or "no task"
        update = f", update {service['update_state']}" if service["update_state"] else ""
        lines.append(f"  {service['name']:<28} {service['verdict']:<9} {service['mode']:<15} "
                     f"desired {service['desired']}, running {service['running']}, healthy {service['healthy']}"
                     f"{update} [{spread}]")
        for failure in service["failures"][:5]:
            code = f", exit {failure['exit_code']}" if failure["exit_code"] not in (None, 0) else ""
            detail = failure["error"] or failure["message"]
            lines.append(f"    {failure['state']} on {failure['node']} at {failure['timestamp']}{code}: {detail}")
        if len(service["failures"]) > 5:
            lines.append(f"    ... and {len(service['failures']) - 5} more")
    return lines


# -- metrics ------------------------------------------------------------------------------------------------------
NODE_STATES = ("ready", "down", "disconnected", "unknown")
AVAILABILITIES = ("active", "pause", "drain")
UPDATE_STATES = ("updating", "paused", "completed", "rollback_started", "rollback_paused", "rollback_completed")

# name: (type, help)
METRICS = {
    "swarmops_swarm_verdict": ("gauge", "1 for the swarm's verdict (healthy, degraded, at_risk), 0 for the others."),
    "swarmops_swarm_managers": ("gauge", "Managers the swarm lists."),
    "swarmops_swarm_managers_reachable": ("gauge", "Managers the swarm reaches."),
    "swarmops_swarm_quorum": ("gauge", "Managers needed for a Raft majority."),
    "swarmops_swarm_quorum_margin": ("gauge", "Reachable managers above the quorum (0: one more loss stops it)."),
    "swarmops_swarm_leader": ("gauge", "1 for the node that is the Raft leader."),
    "swarmops_node_state": ("gauge", "1 for the node's state (ready, down, disconnected, unknown), 0 for the others."),
    "swarmops_node_availability": ("gauge", "1 for the node's availability (active, pause, drain), 0 for the others."),
    "swarmops_node_manager_reachable": ("gauge", "1 when the manager is reachable, 0 when not."),
    "swarmops_service_desired_tasks": ("gauge", "Tasks the service wants."),
    "swarmops_service_running_tasks": ("gauge", "Tasks whose container runs on a node that is up."),
    "swarmops_service_healthy_tasks": ("gauge", "Tasks running past their health check on a node that is up."),
    "swarmops_service_converged": ("gauge", "1 when swarm_wait would call the service converged and healthy."),
    "swarmops_service_node_tasks": ("gauge", "Healthy tasks of the service on each node."),
    "swarmops_service_update_state": ("gauge", "1 for the service's update state, 0 for the others."),
    "swarmops_service_failed_tasks": ("gauge", "Tasks of the service that failed within the failure window."),
    "swarmops_status_failure_window_seconds": ("gauge", "How far back failed tasks are counted."),
    # The exporter's own (roles/monitoring/files/swarm_exporter.py).
    "swarmops_exporter_up": ("gauge", "1 when the exporter could read the swarm from its manager, 0 when not."),
    "swarmops_exporter_read_seconds": ("gauge", "Seconds the last read of the swarm took."),
}


def metrics(status: dict) -> list[tuple[str, dict, float]]:
    """The report as (metric name, labels, value) samples, in METRICS' names."""
    samples: list[tuple[str, dict, float]] = []
    margin = status["quorum"]
    for verdict in VERDICTS:
        samples.append(("swarmops_swarm_verdict", {"verdict": verdict}, float(status["verdict"] == verdict)))
    samples += [
        ("swarmops_swarm_managers", {}, float(margin["managers"])),
        ("swarmops_swarm_managers_reachable", {}, float(margin["reachable"])),
        ("swarmops_swarm_quorum", {}, float(margin["quorum"])),
        ("swarmops_swarm_quorum_margin", {}, float(margin["margin"])),
        ("swarmops_status_failure_window_seconds", {}, float(status["failure_window"])),
    ]
    for node in status["nodes"]:
        labels = {"node": node["name"], "role": node["role"]}
        states = NODE_STATES if node["state"] in NODE_STATES else NODE_STATES + (node["state"],)
        samples += [("swarmops_node_state", dict(labels, state=s), float(node["state"] == s)) for s in states]
        samples += [("swarmops_node_availability", dict(labels, availability=a), float(node["availability"] == a))
                    for a in AVAILABILITIES]
        if node["role"] == "manager":
            samples.append(("swarmops_node_manager_reachable", labels, float(node["reachability"] == "reachable")))
            samples.append(("swarmops_swarm_leader", {"node": node["name"]}, float(node["leader"])))
    for service in status["services"]:
        labels = {"service": service["name"], "stack": service["stack"], "mode": service["mode"]}
        samples += [
            ("swarmops_service_desired_tasks", labels, float(service["desired"])),
            ("swarmops_service_running_tasks", labels, float(service["running"])),
            ("swarmops_service_healthy_tasks", labels, float(service["healthy"])),
            ("swarmops_service_converged", labels, float(service["converged"])),
            ("swarmops_service_failed_tasks", labels, float(len(service["failures"]))),
        ]
        samples += [("swarmops_service_node_tasks", dict(labels, node=node), float(count))
                    for node, count in service["tasks_per_node"].items()]
        if service["update_state"]:
            samples += [("swarmops_service_update_state", dict(labels, state=s), float(service["update_state"] == s))
                        for s in UPDATE_STATES]
    return samples


_LABEL_ESCAPES = str.maketrans({"\\": "\\\\", "\n": "\\n", '"': '\\"'})
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")


def exposition(samples: list[tuple[str, dict, float]]) -> str:
    """Samples in Prometheus' text format (version 0.0.4): each metric's samples together, under its HELP and TYPE."""
    grouped: dict[str, list] = {}
    for name, labels, value in samples:
        if not _METRIC_NAME.match(name):
            raise SwarmOpsError(f"not a metric name: {name!r}")
        grouped.setdefault(name, []).append((labels, value))
    lines = []
    for name, group in grouped.items():
        kind, text = METRICS.get(name, ("untyped", ""))
        if text:
            lines.append(f"# HELP {name} {text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in group:
            rendered = ",".join(f'{key}="{str(val).translate(_LABEL_ESCAPES)}"'
                                for key, val in sorted(labels.items()))
            value = float(value)
            if math.isnan(value) or math.isinf(value):
                number = "NaN" if math.isnan(value) else "+Inf" if value > 0 else "-Inf"
            else:
                number = str(int(value)) if value.is_integer() else repr(value)
            lines.append(f"{name}{{{rendered}}} {number}" if rendered else f"{name} {number}")
    return "\n".join(lines) + "\n"
