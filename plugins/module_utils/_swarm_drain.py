# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""Plans of a gated node drain and of a rebalance, over the API's objects.

A bare ``docker node update --availability drain`` stops every task of the
node at once and starts each replacement only after the old task stopped, with
no health gate. The gated drain instead moves the node's work service by
service: a temporary placement constraint ``node.id!=<node>`` applied as an
update with order start-first, so each replacement is healthy before the old
task stops; then the node, empty, is drained, and the constraints removed
(Swarm does not restart a task whose node still satisfies the placement).

Everything here is pure: no I/O.
"""

from __future__ import annotations

import copy
import json

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import (
    PENDING_STATES,
    eligible_nodes,
    parse_timestamp,
    service_mode,
    task_runs_current_spec,
    update_state,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import (
    SwarmOpsError,
    node_availability,
    node_is_up,
    node_name,
    node_state,
    service_name,
)

# Service labels that mark a temporary exclusion: the excluded node IDs
# (comma-separated), and what the service had before, to restore it exactly
# even after an interrupted run.
EXCLUDED_LABEL = "io.swarmops.drain.excluded-nodes"
SAVED_LABEL = "io.swarmops.drain.saved"
# A service label bumped to restart a move's update that waits on a node that went down (stalled_moves).
NUDGE_LABEL = "io.swarmops.drain.nudge"
# The update settings of a move: a replacement starts, and is healthy, before
# its old task stops.
MOVE_UPDATE_CONFIG = {"Parallelism": 1, "Order": "start-first", "FailureAction": "pause"}


class DrainError(SwarmOpsError):
    """A drain or rebalance that can not be done; raised before anything changes."""


def find_node(nodes: list[dict], wanted: str) -> dict:
    """The node named by hostname, ID or a unique ID prefix."""
    if not wanted:
        raise DrainError("No node given")
    by_name = [n for n in nodes if node_name(n).lower() == wanted.lower() or n.get("ID") == wanted]
    if len(by_name) == 1:
        return by_name[0]
    if len(by_name) > 1:
        raise DrainError(f"{len(by_name)} nodes answer to '{wanted}': use the node ID")
    by_prefix = [n for n in nodes if (n.get("ID") or "").startswith(wanted)]
    if len(by_prefix) == 1:
        return by_prefix[0]
    if len(by_prefix) > 1:
        matching = ", ".join(sorted(node_name(n) for n in by_prefix))
        raise DrainError(f"'{wanted}' matches {len(by_prefix)} nodes ({matching}): use a longer ID or the hostname")
    known = ", ".join(sorted(node_name(n) for n in nodes))
    raise DrainError(f"No node '{wanted}' in the swarm (nodes: {known})")


def nodes_not_yet_known(nodes: list[dict]) -> list[str]:
    """The nodes whose state the leader does not know yet (``unknown``), by name.

    A manager that has just been elected leader marks every node unknown until
    it hears from it again, and one that does not report within the heartbeat's
    grace is marked down. A plan made meanwhile would count no other node able to
    take the tasks: the plans wait until this list is empty.
    """
    return sorted(node_name(n) for n in nodes if node_state(n) == "unknown")


def exclusion_constraint(node_id: str) -> str:
    return f"node.id!={node_id}"


def _spec(service: dict) -> dict:
    return service.get("Spec") or {}


def _placement(spec: dict) -> dict:
    return (spec.get("TaskTemplate") or {}).get("Placement") or {}


def host_ports(service: dict) -> list[str]:
    """Ports the service publishes in host mode (one task per node each), as '8080/tcp'."""
    ports = ((_spec(service).get("EndpointSpec") or {}).get("Ports")) or []
    return sorted(
        f"{p.get('PublishedPort')}/{(p.get('Protocol') or 'tcp').lower()}"
        for p in ports
        if (p.get("PublishMode") or "ingress").lower() == "host" and p.get("PublishedPort")
    )


def reservations(service: dict) -> tuple[int, int]:
    """(nano CPUs, memory bytes) reserved by each task of the service."""
    reserved = ((_spec(service).get("TaskTemplate") or {}).get("Resources") or {}).get("Reservations") or {}
    return int(reserved.get("NanoCPUs") or 0), int(reserved.get("MemoryBytes") or 0)


def max_replicas_per_node(service: dict) -> int:
    return int(_placement(_spec(service)).get("MaxReplicas") or 0)


def capacity(node: dict) -> tuple[int, int]:
    resources = (node.get("Description") or {}).get("Resources") or {}
    return int(resources.get("NanoCPUs") or 0), int(resources.get("MemoryBytes") or 0)


def scheduled_tasks(tasks: list[dict]) -> list[dict]:
    """Tasks that hold a place on their node: desired running, not ended."""
    ended = ("complete", "shutdown", "failed", "rejected", "orphaned", "remove")
    return [
        t for t in tasks
        if (t.get("DesiredState") or "").lower() == "running" and t.get("NodeID")
        and ((t.get("Status") or {}).get("State") or "").lower() not in ended
    ]


def tasks_on(node_id: str, tasks: list[dict]) -> list[dict]:
    return [t for t in scheduled_tasks(tasks) if t.get("NodeID") == node_id]


def excluded_nodes(service: dict) -> list[str]:
    value = (_spec(service).get("Labels") or {}).get(EXCLUDED_LABEL) or ""
    return [v for v in value.split(",") if v]


def _gib(value: int) -> str:
    return f"{value / 1024 ** 3:.2f} GiB"


def _cpus(value: int) -> str:
    return f"{value / 1e9:g} CPUs"


class _Occupancy:
    """What the remaining nodes already hold: host ports, tasks per service, reservations."""

    def __init__(self, nodes, services_by_id, tasks):
        self.ports = {n["ID"]: set() for n in nodes}
        self.per_service = {n["ID"]: {} for n in nodes}
        self.total = {n["ID"]: 0 for n in nodes}
        self.free = {n["ID"]: list(capacity(n)) for n in nodes}
        for task in scheduled_tasks(tasks):
            node_id, service = task.get("NodeID"), services_by_id.get(task.get("ServiceID"))
            if node_id not in self.ports or service is None:
                continue
            self.take(node_id, service)

    def take(self, node_id, service):
        self.ports[node_id].update(host_ports(service))
        self.per_service[node_id][service["ID"]] = self.per_service[node_id].get(service["ID"], 0) + 1
        self.total[node_id] += 1
        cpus, memory = reservations(service)
        self.free[node_id][0] -= cpus
        self.free[node_id][1] -= memory

    def why_not(self, node_id, service) -> str | None:
        ports = set(host_ports(service)) & self.ports[node_id]
        if ports:
            return "port"
        limit = max_replicas_per_node(service)
        if limit and self.per_service[node_id].get(service["ID"], 0) >= limit:
            return "max_replicas"
        cpus, memory = reservations(service)
        free_cpus, free_memory = self.free[node_id]
        if cpus and free_cpus < cpus:
            return "cpus"
        if memory and free_memory < memory:
            return "memory"
        return None


def plan_drain(node: str, services: list[dict], tasks: list[dict], nodes: list[dict]) -> dict:
    """The moves that empty a node, checked against what the other active nodes can hold.

    Returns a dict with ``node``, ``node_id``, ``moves`` (replicated services
    with tasks on the node, in order), ``stops`` (global services, whose task
    there just stops), ``remaining_nodes`` and ``problems`` (why the remaining
    nodes can not take the moved tasks, with the numbers: empty when it fits).
    """
    target = find_node(nodes, node)
    target_id = target["ID"]
    remaining = [n for n in nodes if n["ID"] != target_id and node_is_up(n) and node_availability(n) == "active"]
    services_by_id = {s["ID"]: s for s in services}
    occupancy = _Occupancy(remaining, services_by_id, tasks)

    on_target = {}
    for task in tasks_on(target_id, tasks):
        on_target.setdefault(task.get("ServiceID"), []).append(task)

    moves, stops, problems = [], [], []
    for service_id in sorted(on_target, key=lambda i: service_name(services_by_id.get(i, {"ID": i}))):
        service = services_by_id.get(service_id)
        if service is None:
            continue
        name = service_name(service)
        if service_mode(service) == "global":
            stops.append(name)
            continue
        count = len(on_target[service_id])
        ports = host_ports(service)
        candidates = eligible_nodes(service, remaining)
        placed, refused = [], {}
        for _task in range(count):
            fits = [n for n in candidates if occupancy.why_not(n["ID"], service) is None]
            if not fits:
                for n in candidates:
                    reason = occupancy.why_not(n["ID"], service)
                    refused[reason] = refused.get(reason, 0) + 1
                break
            # Like Swarm's scheduler: fewest tasks of the service, then fewest tasks.
            best = min(fits, key=lambda n: (occupancy.per_service[n["ID"]].get(service_id, 0),
                                            occupancy.total[n["ID"]], node_name(n)))
            occupancy.take(best["ID"], service)
            placed.append(node_name(best))
        move = {
            "service": name,
            "service_id": service_id,
            "tasks": count,
            "order": "start-first",
            "host_ports": ports,
            "to": placed,
        }
        if ports:
            move["note"] = (f"publishes {', '.join(ports)} in host mode: the replacement starts on a node that does "
                            f"not hold the port, before the task on {node_name(target)} stops")
        moves.append(move)
        if len(placed) < count:
            problems.append(_no_room(name, service, count, len(placed), len(remaining), len(candidates), refused))
    return {
        "node": node_name(target),
        "node_id": target_id,
        "moves": moves,
        "stops": stops,
        "remaining_nodes": sorted(node_name(n) for n in remaining),
        "problems": problems,
    }


def describe_drain(plan: dict) -> str:
    """A drain plan in one line, for a person: what moves where, what stops, or why it is refused."""
    if plan["problems"]:
        return f"refused, {plan['node']} stays as it is: " + "; ".join(plan["problems"])
    moves = [
        f"{m['service']} ({m['tasks']} task{'' if m['tasks'] == 1 else 's'} to {', '.join(m['to']) or 'nowhere'})"
        for m in plan["moves"]
    ]
    text = "move " + (", ".join(moves) if moves else "no replicated task")
    if plan["stops"]:
        text += "; stop the global tasks of " + ", ".join(plan["stops"])
    return f"{text}; then drain {plan['node']}"


def _no_room(name, service, count, placed, remaining, candidates, refused) -> str:
    reasons = []
    if refused.get("port"):
        reasons.append(f"{refused['port']} already hold host port {', '.join(host_ports(service))}")
    if refused.get("max_replicas"):
        reasons.append(f"{refused['max_replicas']} already run max_replicas_per_node "
                       f"{max_replicas_per_node(service)} of its tasks")
    cpus, memory = reservations(service)
    if refused.get("cpus"):
        reasons.append(f"{refused['cpus']} lack the {_cpus(cpus)} it reserves")
    if refused.get("memory"):
        reasons.append(f"{refused['memory']} lack the {_gib(memory)} it reserves")
    replicas = ((_spec(service).get("Mode") or {}).get("Replicated") or {}).get("Replicas", "?")
    text = (f"{name} ({replicas} replicas): {count - placed} of its {count} task(s) on the node would find no place; "
            f"{remaining} other active node(s), {candidates} of them satisfy its constraints")
    return text + (f" and of those {'; '.join(reasons)}" if reasons else "")


def spread(service: dict, tasks: list[dict], nodes: list[dict]) -> dict:
    """Tasks of a replicated service per eligible node (zeros included)."""
    counts = {node_name(n): 0 for n in eligible_nodes(service, nodes)}
    by_id = {n["ID"]: node_name(n) for n in nodes}
    for task in scheduled_tasks(tasks):
        if task.get("ServiceID") == service.get("ID") and by_id.get(task.get("NodeID")) in counts:
            counts[by_id[task["NodeID"]]] += 1
    return counts


def plan_rebalance(services: list[dict], tasks: list[dict], nodes: list[dict]) -> list[dict]:
    """Replicated services whose tasks per eligible node differ by more than one."""
    plan = []
    for service in sorted(services, key=service_name):
        if service_mode(service) != "replicated":
            continue
        counts = spread(service, tasks, nodes)
        if len(counts) < 2:
            continue
        if max(counts.values()) - min(counts.values()) > 1:
            plan.append({"service": service_name(service), "service_id": service["ID"], "tasks_per_node": counts})
    return plan


def _saved(spec: dict) -> dict | None:
    value = (spec.get("Labels") or {}).get(SAVED_LABEL)
    return json.loads(value) if value else None


def _save(spec: dict) -> None:
    """Keep what a temporary change overwrites, once (the first change saves)."""
    labels = spec.setdefault("Labels", {})
    if SAVED_LABEL not in labels:
        labels[SAVED_LABEL] = json.dumps({"UpdateConfig": spec.get("UpdateConfig")}, sort_keys=True)


def _move_update(spec: dict, monitor: float | None) -> None:
    """The update settings of a move: one task at a time, start-first, pause on failure, and Swarm's monitor of each
    replacement ``monitor`` seconds (the drain's own health gate) instead of the service's, which the deploy gate
    sized to catch a new revision dying after its warm-up: a move starts tasks of a spec that proved itself."""
    update = dict(spec.get("UpdateConfig") or {})
    update.update(MOVE_UPDATE_CONFIG)
    if monitor is not None:
        update["Monitor"] = int(float(monitor) * 1e9)
    spec["UpdateConfig"] = update


def spec_excluding(spec: dict, node_id: str, monitor: float | None = None) -> dict:
    """The service spec with a temporary exclusion of the node, applied as a start-first move."""
    new = copy.deepcopy(spec)
    _save(new)
    placement = new.setdefault("TaskTemplate", {}).setdefault("Placement", {})
    constraint = exclusion_constraint(node_id)
    constraints = list(placement.get("Constraints") or [])
    labels = new["Labels"]
    excluded = [v for v in (labels.get(EXCLUDED_LABEL) or "").split(",") if v]
    # Only an exclusion added here is temporary: one the service had stays.
    if constraint not in constraints:
        constraints.append(constraint)
        excluded.append(node_id)
    placement["Constraints"] = constraints
    if excluded:
        labels[EXCLUDED_LABEL] = ",".join(excluded)
    _move_update(new, monitor)
    return new


def spec_forced(spec: dict, monitor: float | None = None) -> dict:
    """The spec with every task replaced once, start-first (the scheduler spreads the replacements)."""
    new = copy.deepcopy(spec)
    _save(new)
    template = new.setdefault("TaskTemplate", {})
    template["ForceUpdate"] = int(template.get("ForceUpdate") or 0) + 1
    _move_update(new, monitor)
    return new


def stalled_moves(services: list[dict], tasks: list[dict], nodes: list[dict]) -> dict[str, str]:
    """The updates that wait on a node that went down, and may be started again: {service ID: the task waited on}.

    Swarm's updater waits, with no time limit, for the replacement it started
    to run. One placed on a node that went down before it ran never does (the
    node can not report it), and the update stays ``updating`` until that node
    comes back, with the task it replaces still running: a gate would wait out
    its timeout. Started again (spec_nudged), the update takes over the task
    Swarm has meanwhile started in that slot elsewhere (it restarts the tasks
    of a node that is down, unless the restart policy says not to: then the new
    update starts one itself) and stops the replaced task at once, before the
    next slots, which it replaces start-first as before. So it is started again
    only when no task of the current spec meant to run on a node that is up is
    still starting: each replacement already runs, healthy, before the task it
    replaces stops. A node only ``unknown`` (a new leader has not heard from it
    yet) is not down; Swarm restarts the tasks of a node only once it is down.
    """
    by_id = {n.get("ID"): n for n in nodes}
    down = {node_id for node_id, n in by_id.items() if node_state(n) == "down"}

    def state(task):
        return ((task.get("Status") or {}).get("State") or "").lower()

    stalled = {}
    for service in services:
        if update_state(service) != "updating":
            continue
        started = parse_timestamp((service.get("UpdateStatus") or {}).get("StartedAt"))
        own = [t for t in tasks if t.get("ServiceID") == service.get("ID")]
        waited = [
            t for t in own
            if t.get("NodeID") in down and state(t) in PENDING_STATES
            and (started is None or (parse_timestamp(t.get("CreatedAt")) or 0.0) >= started - 1)
        ]
        starting = [
            t for t in own
            if (t.get("DesiredState") or "").lower() in ("ready", "running") and state(t) in PENDING_STATES
            and t.get("NodeID") not in down and task_runs_current_spec(t, service, by_id.get(t.get("NodeID")))
        ]
        if waited and not starting:
            stalled[service["ID"]] = waited[0]["ID"]
    return stalled


def spec_nudged(spec: dict) -> dict:
    """The spec with NUDGE_LABEL bumped: a new spec version, so Swarm starts the update again, and no task changes."""
    new = copy.deepcopy(spec)
    labels = new.setdefault("Labels", {})
    labels[NUDGE_LABEL] = str(int(labels.get(NUDGE_LABEL) or 0) + 1)
    return new


def spec_restored(spec: dict, node_id: str | None = None) -> dict | None:
    """The spec without the exclusion of node_id (or of every node), or None when nothing is temporary.

    The update settings come back once no exclusion is left.
    """
    labels = spec.get("Labels") or {}
    if SAVED_LABEL not in labels and EXCLUDED_LABEL not in labels:
        return None
    new = copy.deepcopy(spec)
    labels = new["Labels"]
    excluded = [v for v in (labels.get(EXCLUDED_LABEL) or "").split(",") if v]
    dropped = excluded if node_id is None else [v for v in excluded if v == node_id]
    if excluded and not dropped:
        return None
    kept = [v for v in excluded if v not in dropped]
    placement = (new.get("TaskTemplate") or {}).get("Placement") or {}
    if placement.get("Constraints"):
        gone = {exclusion_constraint(v) for v in dropped}
        placement["Constraints"] = [c for c in placement["Constraints"] if c not in gone]
    if kept:
        labels[EXCLUDED_LABEL] = ",".join(kept)
        return new
    labels.pop(EXCLUDED_LABEL, None)
    labels.pop(NUDGE_LABEL, None)
    saved = _saved(new)
    labels.pop(SAVED_LABEL, None)
    if saved is not None:
        if saved.get("UpdateConfig") is None:
            new.pop("UpdateConfig", None)
        else:
            new["UpdateConfig"] = saved["UpdateConfig"]
    return new
