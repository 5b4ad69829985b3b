# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""When is a swarm service converged and healthy? Pure rules over API objects.

The inputs are the objects the Docker Engine API returns: a service
(``GET /services/{id}``), its tasks (``GET /tasks?filters={"service":[id]}``)
and the nodes (``GET /nodes``).  A service is converged when:

- the desired number of tasks runs: the replica count, or for a global service
  one task on every eligible node (ready, active, and matching the placement
  constraints);
- every running task runs the service's current spec, and no update is in
  progress, paused or rolled back;
- every task is healthy: a task whose container has a health check stays in
  state ``starting`` until the check passes, so ``running`` means healthy;
- no task is starting or restarting, and each running task has been running
  for at least ``min_healthy_time`` seconds;
- no counted task sits on a node that is down.

Nothing here does I/O; the clock is passed in.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t
from collections.abc import Mapping
from datetime import datetime, timezone

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import (
    node_availability,
    node_hostname,
    node_is_up,
    service_name,
)

PENDING_STATES = ("new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting")
FAILED_STATES = ("failed", "rejected", "orphaned", "remove")
# States in which a task of the revision being deployed is the revision's fault
# (it exited non-zero, was killed for being unhealthy, or could not start).
REVISION_FAILURES = ("failed", "rejected")
# A deploy gate never waits less than this, whatever the health check.
MIN_HEALTHY_FLOOR = 10.0
UPDATE_IN_PROGRESS = ("updating", "rollback_started")
UPDATE_PAUSED = ("paused", "rollback_paused")

_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def parse_timestamp(value: str | None) -> float | None:
    """Seconds since the epoch of an API timestamp (nanoseconds are cut to microseconds)."""
    if not value:
        return None
    match = _TIMESTAMP.match(value)
    if not match:
        return None
    base, fraction, zone = match.groups()
    fraction = ((fraction or ".")[1:7]).ljust(6, "0")
    fraction = "." + fraction
    zone = "+00:00" if zone == "Z" else zone
    parsed = datetime.fromisoformat(f"{base}{fraction}{zone}")
    if parsed.year < 1971:  # Docker's zero time: never happened
        return None
    return parsed.astimezone(timezone.utc).timestamp()


def service_mode(service: dict) -> str:
    """replicated, global, replicated-job or global-job (jobs: engines 23 and newer)."""
    mode = (service.get("Spec") or {}).get("Mode") or {}
    if "Global" in mode:
        return "global"
    if "ReplicatedJob" in mode:
        return "replicated-job"
    if "GlobalJob" in mode:
        return "global-job"
    return "replicated"


def restart_condition(service: dict) -> str:
    policy = ((service.get("Spec") or {}).get("TaskTemplate") or {}).get("RestartPolicy") or {}
    return (policy.get("Condition") or "any").lower()


def may_finish(service: dict) -> bool:
    """Whether a task of the service that exits 0 is done, not gone: jobs, and restart none or on-failure."""
    return service_mode(service).endswith("job") or restart_condition(service) in ("none", "on-failure")


def health_from_api(healthcheck: dict | None) -> dict | None:
    """A health check in the API's shape (Test, Interval... in nanoseconds) in seconds; None when there is none.

    The engine's defaults apply to what is not set: interval and timeout 30s,
    3 retries, no start period.
    """
    if not healthcheck:
        return None
    test = healthcheck.get("Test") or []
    if not test or test[0].upper() == "NONE":
        return None
    seconds = {key: (healthcheck.get(key) or 0) / 1e9 for key in ("Interval", "Timeout", "StartPeriod")}
    return {
        "interval": seconds["Interval"] or 30.0,
        "timeout": seconds["Timeout"] or 30.0,
        "retries": int(healthcheck.get("Retries") or 3),
        "start_period": seconds["StartPeriod"],
    }


def merge_healthchecks(own: dict | None, image: dict | None) -> dict | None:
    """The health check a container runs, in the API's shape, as the engine merges them (moby's container config):
    each field the service (or Compose file) sets wins, each it leaves unset comes from the image's HEALTHCHECK,
    and a test it leaves empty is the image's. None when nothing is set."""
    own, image = own or {}, image or {}
    if not own and not image:
        return None
    merged = {key: own.get(key) or image.get(key) for key in ("Interval", "Timeout", "StartPeriod", "Retries")}
    merged["Test"] = own.get("Test") or image.get("Test") or []
    return merged


def spec_healthcheck(service: dict) -> dict | None:
    """The health check the service's spec sets, in the API's shape (None when it sets none)."""
    return ((((service.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {})
            .get("Healthcheck")) or None


def running_health(service: dict, image_healthcheck: dict | None = None) -> dict | None:
    """The health check that runs (the spec's merged over the image's), in seconds; None when there is none."""
    return health_from_api(merge_healthchecks(spec_healthcheck(service), image_healthcheck))


def service_window(service: dict, image_healthcheck: dict | None = None) -> float:
    """healthy_window of the health check that runs."""
    return healthy_window(running_health(service, image_healthcheck))


# Docker's default: how long a stopped container gets after SIGTERM before SIGKILL.
DEFAULT_STOP_GRACE = 10.0


def stop_grace_period(service: dict) -> float:
    """Seconds a task's container gets to stop before it is killed (ContainerSpec.StopGracePeriod, default 10 s)."""
    grace = (((service.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("StopGracePeriod")
    return DEFAULT_STOP_GRACE if grace is None else grace / 1e9


def detection_delay(health: dict | None, stop_grace: float = 0.0) -> float:
    """How long after its check turns bad Swarm reports a task failed.

    The engine starts a check ``interval`` after the previous one ended, and a
    check may take up to ``timeout``: ``retries`` failed checks in a row take
    up to retries x (interval + timeout), after a passing check that may still
    be running when the service turns bad (up to one timeout). Then Swarm stops
    the unhealthy container, which may take its stop grace period before it is
    killed (an application that does not act on SIGTERM). 0 without a health
    check.
    """
    if not health:
        return 0.0
    return health["retries"] * (health["interval"] + health["timeout"]) + health["timeout"] + stop_grace


def service_watch(service: dict, image_healthcheck: dict | None = None) -> float:
    """How long the gate watches each task of a new revision: its healthy window, and then as long as a check that
    turned bad at the end of it takes to show (so a revision that dies late in the window is still caught)."""
    health = running_health(service, image_healthcheck)
    return healthy_window(health) + detection_delay(health, stop_grace_period(service))


def healthy_window(health: dict | None) -> float:
    """How long every task of a new revision must stay healthy before a deploy is done.

    A revision that dies after warm-up fails its checks ``retries`` times,
    ``interval`` apart, before the engine calls it unhealthy: twice that span
    catches it, and never less than MIN_HEALTHY_FLOOR seconds.
    """
    if not health:
        return MIN_HEALTHY_FLOOR
    return max(MIN_HEALTHY_FLOOR, 2.0 * health["interval"] * health["retries"])


def service_image(service: dict) -> str:
    image = (((service.get("Spec") or {}).get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Image") or ""
    return image.split("@", 1)[0]


_UNKNOWN_KEY = object()


def _node_attribute(node: dict, key: str):
    """The node's value for a constraint key, as swarmkit reads it (manager/constraint/constraint.go).

    Keys are matched without regard to case, except a label's own name. What
    the node does not have reads as "" (so ``==`` a value fails and ``!=``
    matches); a key swarmkit does not know is _UNKNOWN_KEY (no node matches).
    """
    spec = node.get("Spec") or {}
    description = node.get("Description") or {}
    lowered = key.lower()
    for prefix, labels in (("node.labels.", spec.get("Labels")),
                           ("engine.labels.", (description.get("Engine") or {}).get("Labels"))):
        if lowered.startswith(prefix) and len(key) > len(prefix):
            return (labels or {}).get(key[len(prefix):]) or ""
    simple = {
        "node.id": lambda: node.get("ID"),
        "node.hostname": lambda: description.get("Hostname"),
        "node.role": lambda: spec.get("Role"),
        "node.platform.os": lambda: (description.get("Platform") or {}).get("OS"),
        "node.platform.arch": lambda: (description.get("Platform") or {}).get("Architecture"),
    }
    if lowered in simple:
        return simple[lowered]() or ""
    return _UNKNOWN_KEY


def _ip_matches(node: dict, value: str, operator: str) -> bool:
    """node.ip against an address or a network, on the node's Status.Addr; a malformed value matches nothing."""
    try:
        address = ipaddress.ip_address(((node.get("Status") or {}).get("Addr") or "").strip())
    except ValueError:
        address = None
    try:
        if "/" in value:
            inside = address is not None and address in ipaddress.ip_network(value, strict=False)
        else:
            inside = address is not None and address == ipaddress.ip_address(value)
    except ValueError:
        return False
    return inside if operator == "==" else not inside


def constraint_matches(node: dict, constraint: str) -> bool:
    """Evaluate one placement constraint (``key==value`` or ``key!=value``) on a node, as Swarm does.

    Values are compared without regard to case; keys too, but for a label's
    own name. ``node.ip`` takes an address or a network.
    """
    for operator in ("!=", "=="):
        if operator in constraint:
            key, value = (part.strip() for part in constraint.split(operator, 1))
            if key.lower() == "node.ip":
                return _ip_matches(node, value, operator)
            actual = _node_attribute(node, key)
            if actual is _UNKNOWN_KEY:
                return False
            equal = actual.casefold() == value.casefold()
            return not equal if operator == "!=" else equal
    raise ValueError(f"placement constraint {constraint!r} has no == or != operator")


def constraints_of(service: dict) -> list[str]:
    placement = ((service.get("Spec") or {}).get("TaskTemplate") or {}).get("Placement") or {}
    return list(placement.get("Constraints") or [])


def matching_nodes(service: dict, nodes: list[dict]) -> list[dict]:
    """Nodes whose attributes satisfy every placement constraint of the service, whatever their state."""
    constraints = constraints_of(service)
    return [node for node in nodes if all(constraint_matches(node, c) for c in constraints)]


def eligible_nodes(service: dict, nodes: list[dict]) -> list[dict]:
    """Nodes that can take a task of the service now: ready, active and matching every constraint."""
    return [node for node in matching_nodes(service, nodes) if node_is_up(node) and node_availability(node) == "active"]


def desired_replicas(service: dict, nodes: list[dict]) -> int:
    mode = service_mode(service)
    if mode in ("global", "global-job"):
        return len(eligible_nodes(service, nodes))
    spec_mode = (service.get("Spec") or {}).get("Mode") or {}
    if mode == "replicated-job":
        job = spec_mode.get("ReplicatedJob") or {}
        return int(job.get("TotalCompletions") or job.get("MaxConcurrent") or 1)
    replicated = spec_mode.get("Replicated") or {}
    return int(replicated.get("Replicas", 1))


def _prune_empty(value):
    if isinstance(value, dict):
        pruned = {k: _prune_empty(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, {}, [], "")}
    if isinstance(value, list):
        return [_prune_empty(v) for v in value]
    return value


def _comparable_spec(spec: dict) -> dict:
    # Seen on Engine 20.10: a task's spec omits empty values, the default
    # runtime ("container") and the container's StopGracePeriod that its
    # service's template carries; the image may carry a resolved digest on one
    # side only; ForceUpdate is compared on its own.
    spec = _prune_empty(dict(spec or {}))
    spec.pop("ForceUpdate", None)
    if spec.get("Runtime") == "container":
        spec.pop("Runtime")
    container = dict(spec.get("ContainerSpec") or {})
    container["Image"] = (container.get("Image") or "").split("@", 1)[0]
    container.pop("StopGracePeriod", None)
    spec["ContainerSpec"] = container
    return spec


def task_runs_current_spec(task: dict, service: dict, node: dict | None = None) -> bool:
    """Whether the task runs the service's spec, as Swarm's updater judges it.

    Like Swarm, a task whose spec differs only by placement still counts when
    its node satisfies the new constraints (Swarm does not restart it).
    """
    template = (service.get("Spec") or {}).get("TaskTemplate") or {}
    if (task.get("Spec") or {}).get("ForceUpdate", 0) != template.get("ForceUpdate", 0):
        return False
    # A digest on both sides is compared (a re-pushed tag); on one side only it
    # is the engine's resolution of the same image.
    task_image = ((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Image") or ""
    service_image_ref = (template.get("ContainerSpec") or {}).get("Image") or ""
    if "@" in task_image and "@" in service_image_ref and task_image != service_image_ref:
        return False
    task_spec, service_spec = _comparable_spec(task.get("Spec") or {}), _comparable_spec(template)
    if task_spec == service_spec:
        return True
    task_spec.pop("Placement", None)
    service_placement = service_spec.pop("Placement", None)
    if task_spec != service_spec or node is None:
        return False
    return all(constraint_matches(node, c) for c in (service_placement or {}).get("Constraints") or [])


def update_state(service: dict) -> str:
    return ((service.get("UpdateStatus") or {}).get("State") or "").lower()


def describe_task(task: dict, nodes_by_id: dict, service: dict | None = None) -> dict:
    status = task.get("Status") or {}
    container = status.get("ContainerStatus") or {}
    node = nodes_by_id.get(task.get("NodeID") or "", {})
    return {
        "id": task.get("ID"),
        "slot": task.get("Slot"),
        "node_id": task.get("NodeID") or "",
        "node": node_hostname(node) or task.get("NodeID") or "(not scheduled)",
        "node_state": ((node.get("Status") or {}).get("State") or "unknown") if node else "unknown",
        "state": status.get("State"),
        "desired_state": task.get("DesiredState"),
        "message": status.get("Message") or "",
        "error": status.get("Err") or "",
        "exit_code": container.get("ExitCode"),
        "container_id": container.get("ContainerID") or "",
        "timestamp": status.get("Timestamp"),
        "image": ((((task.get("Spec") or {}).get("ContainerSpec") or {}).get("Image")) or "").split("@", 1)[0],
        "current_spec": task_runs_current_spec(task, service, node or None) if service else None,
    }


def _per_node(tasks: list[dict], nodes_by_id: dict) -> dict[str, int]:
    """{node hostname (its ID when unknown): how many of the tasks run there}."""
    counts: dict[str, int] = {}
    for task in tasks:
        node = nodes_by_id.get(task.get("NodeID") or "")
        name = (node_hostname(node) if node else "") or task.get("NodeID") or "(not scheduled)"
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def evaluate_service(
    service: dict,
    tasks: list[dict],
    nodes: list[dict],
    now: float,
    min_healthy_time: float = 0.0,
    accept_rollback: bool = False,
    attempt_since: float | None = None,
) -> dict:
    """Judge one service: a dict with ``converged``, ``failed`` and the reasons.

    With ``accept_rollback``, a rollback is the goal, not a failure.
    ``attempt_since`` (epoch seconds) is when the deploy (or the wait) being
    judged began: from then on, a task of the service's current spec that
    fails (exits non-zero, is killed for being unhealthy, is rejected) fails
    the service at once, unless its node is down (not the revision's fault).
    Every task must have been running (healthy) for ``min_healthy_time``; a
    task replaced meanwhile starts its own clock. A task that may finish (a
    job, or restart condition none or on-failure) and completed with exit 0
    counts as done.
    """
    nodes_by_id = {n.get("ID"): n for n in nodes}
    name = service_name(service)
    mode = service_mode(service)
    job = mode.endswith("job")
    finishing = may_finish(service)
    wanted = desired_replicas(service, nodes)
    state = update_state(service)
    message = (service.get("UpdateStatus") or {}).get("Message") or ""
    own = [t for t in tasks if t.get("ServiceID") in (None, service.get("ID"))]
    iteration = ((service.get("JobStatus") or {}).get("JobIteration") or {}).get("Index")

    running, done, settling, starting, stale, on_down_nodes = [], [], [], [], [], []
    for task in own:
        status_state = ((task.get("Status") or {}).get("State") or "").lower()
        node = nodes_by_id.get(task.get("NodeID") or "")
        exit_code = ((task.get("Status") or {}).get("ContainerStatus") or {}).get("ExitCode")
        # A task that finished is left desired shutdown by Swarm's restart supervisor; one removed by a
        # scale-down is desired remove, and is not done.
        if (finishing and status_state == "complete" and not exit_code
                and (task.get("DesiredState") or "").lower() != "remove"
                and task_runs_current_spec(task, service, node)):
            task_iteration = (task.get("JobIteration") or {}).get("Index")
            if not job or iteration is None or task_iteration in (None, iteration):
                done.append(task)
            continue
        if (task.get("DesiredState") or "").lower() != "running":
            continue
        if status_state == "running":
            if node is not None and not node_is_up(node):
                on_down_nodes.append(task)
            elif not task_runs_current_spec(task, service, node):
                stale.append(task)
            else:
                since = parse_timestamp((task.get("Status") or {}).get("Timestamp"))
                if min_healthy_time > 0 and since is not None and now - since < min_healthy_time:
                    settling.append(task)
                else:
                    running.append(task)
        elif status_state in PENDING_STATES:
            starting.append(task)

    # Tasks that failed for the spec being deployed: the reason a service is not
    # whole. Once Swarm rolls an update back, the service no longer carries
    # the spec it tried (the engine drops it, and StartedAt becomes the start of
    # the rollback), so the tasks created since the deploy began are the attempt.
    update_started = attempt_since if attempt_since is not None else parse_timestamp(
        (service.get("UpdateStatus") or {}).get("StartedAt"))

    def part_of_attempt(task):
        if task_runs_current_spec(task, service):
            return True
        created = parse_timestamp(task.get("CreatedAt"))
        return state.startswith("rollback") and None not in (created, update_started) and created >= update_started - 1

    failing = [
        t for t in own
        if ((t.get("Status") or {}).get("State") or "").lower() in FAILED_STATES + ("shutdown", "complete")
        and part_of_attempt(t)
        and (
            (t.get("Status") or {}).get("Err")
            or (t.get("Status") or {}).get("ContainerStatus", {}).get("ExitCode")
            # Stopped by the rollback before it failed by itself: still the attempt.
            or (state.startswith("rollback") and not task_runs_current_spec(t, service))
        )
    ]
    failing.sort(key=lambda t: parse_timestamp((t.get("Status") or {}).get("Timestamp")) or 0.0, reverse=True)

    # The revision's own failures inside the window: the deploy fails at once.
    def revision_failure(task):
        node = nodes_by_id.get(task.get("NodeID") or "")
        started = parse_timestamp(task.get("CreatedAt")) or parse_timestamp((task.get("Status") or {}).get("Timestamp"))
        task_state = ((task.get("Status") or {}).get("State") or "").lower()
        # A task of a service not meant to finish that completed stopped by itself (or was stopped for
        # being unhealthy and exited 0 on SIGTERM): as much a failure as a non-zero exit.
        ended = task_state in REVISION_FAILURES or (task_state == "complete" and not finishing)
        return (
            attempt_since is not None
            and ended
            and started is not None and started >= attempt_since - 1
            and task_runs_current_spec(task, service, node)
            and (node is None or node_is_up(node))
        )
    revision_failures = sorted((t for t in own if revision_failure(t)),
                               key=lambda t: parse_timestamp((t.get("Status") or {}).get("Timestamp")) or 0.0)
    failing += [t for t in revision_failures if t not in failing]
    failing.sort(key=lambda t: parse_timestamp((t.get("Status") or {}).get("Timestamp")) or 0.0, reverse=True)

    # A slot (a node, for a global service) is whole with a task running or one done, and counts once.
    def slot(task):
        return task.get("Slot") or task.get("NodeID")
    done = list({slot(t): t for t in done if job or slot(t) not in {slot(r) for r in running + settling}}.values())

    reasons = []
    if job and len(done) < wanted:
        reasons.append(f"{len(done)} of {wanted} job tasks completed")
    elif not job and len(running) + len(done) < wanted:
        reasons.append(f"{len(running)} of {wanted} tasks running and healthy"
                       + (f", {len(done)} completed" if done else ""))
    if len(running) > wanted and service_mode(service) == "replicated":
        reasons.append(f"{len(running)} tasks running where {wanted} are wanted")
    if settling:
        reasons.append(f"{len(settling)} task(s) healthy for less than {min_healthy_time:g}s")
    if starting:
        reasons.append(f"{len(starting)} task(s) starting or waiting for their health check")
    if stale:
        reasons.append(f"{len(stale)} running task(s) still on the previous spec")
    if on_down_nodes:
        reasons.append(f"{len(on_down_nodes)} task(s) on nodes that are down")
    if state in UPDATE_IN_PROGRESS:
        reasons.append(f"update {state}")

    unschedulable = [
        t for t in starting
        if "no suitable node" in ((t.get("Status") or {}).get("Err") or "")
    ]
    if unschedulable:
        reasons.append(
            "no node satisfies the placement: "
            + ((unschedulable[0].get("Status") or {}).get("Err") or "")
            + (f" (constraints: {', '.join(constraints_of(service))})" if constraints_of(service) else "")
        )
    if wanted == 0 and mode in ("global", "global-job") and constraints_of(service):
        reasons.append(f"no eligible node matches the constraints {', '.join(constraints_of(service))}")

    failed = None
    if state in UPDATE_PAUSED:
        failed = f"update {state}: {message}".strip()
    elif state in ("rollback_started", "rollback_completed") and not accept_rollback:
        # Swarm has judged the update a failure: no need to wait for the rest.
        failed = f"Swarm rolled the update back ({state}): {message}".strip()
    elif revision_failures:
        first = describe_task(revision_failures[0], nodes_by_id, service)
        code = f", exit code {first['exit_code']}" if first["exit_code"] not in (None, 0) else ""
        detail = first["error"] or first["message"]
        failed = f"a task of the new spec {first['state']} on {first['node']}{code}" + (f": {detail}" if detail else "")

    return {
        "name": name,
        "id": service.get("ID"),
        "mode": service_mode(service),
        "image": service_image(service),
        "replicas_wanted": wanted,
        "replicas_running": len(running),
        "replicas_done": len(done),
        "min_healthy_time": min_healthy_time,
        # What serves now, whatever the spec: tasks healthy on an up node, of the previous spec too.
        "replicas_previous": len(stale),
        "replicas_settling": len(settling),
        "tasks_starting": len(starting),
        "containers_starting": sum(1 for t in starting
                                   if ((t.get("Status") or {}).get("State") or "").lower() == "starting"),
        "tasks_on_down_nodes": len(on_down_nodes),
        "tasks_per_node": _per_node(running + settling + stale, nodes_by_id),
        "update_state": state or None,
        "update_message": message,
        "converged": not reasons and failed is None,
        "failed": failed,
        "reasons": reasons,
        "failing_tasks": [describe_task(t, nodes_by_id, service) for t in (unschedulable + failing)[:10]],
        "starting_tasks": [describe_task(t, nodes_by_id, service) for t in starting[:10]],
    }


def evaluate_services(
    services: list[dict],
    tasks: list[dict],
    nodes: list[dict],
    now: float,
    min_healthy_time: float = 0.0,
    accept_rollback: bool = False,
    attempt_since: float | None = None,
) -> dict:
    """Judge every service; ``converged`` only when all are, ``failed`` when any is.

    ``min_healthy_time`` is seconds for all, or a mapping of service name to
    seconds (a service it does not name: MIN_HEALTHY_FLOOR).
    """
    by_service: dict[str, list] = {}
    for task in tasks:
        by_service.setdefault(task.get("ServiceID"), []).append(task)

    def healthy_time(service):
        if isinstance(min_healthy_time, Mapping):
            return min_healthy_time.get(service_name(service), MIN_HEALTHY_FLOOR)
        return min_healthy_time
    results = [
        evaluate_service(s, by_service.get(s.get("ID"), []), nodes, now, healthy_time(s), accept_rollback,
                         attempt_since)
        for s in sorted(services, key=service_name)
    ]
    return {
        "converged": all(r["converged"] for r in results),
        "failed": [r for r in results if r["failed"]],
        "services": results,
    }


def summary(evaluation: dict) -> dict:
    """Per-service summary as the modules return it."""
    return {
        r["name"]: {
            "replicas_wanted": r["replicas_wanted"],
            "replicas_running": r["replicas_running"],
            "replicas_done": r["replicas_done"],
            "min_healthy_time": r["min_healthy_time"],
            "image": r["image"],
            "update_state": r["update_state"],
            "converged": r["converged"],
        }
        for r in evaluation["services"]
    }


def failing_tasks(evaluation: dict) -> list[dict]:
    """The failing tasks of every service that is not converged, with service, node and container to look at."""
    found = []
    for result in evaluation["services"]:
        if result["converged"]:
            continue
        for task in result["failing_tasks"]:
            found.append(dict(task, service=result["name"]))
    return found


def diagnosis(evaluation: dict) -> str:
    """One readable paragraph per service that is not converged."""
    lines = []
    for result in evaluation["services"]:
        if result["converged"]:
            continue
        why = "; ".join(([result["failed"]] if result["failed"] else []) + result["reasons"]) or "not converged"
        lines.append(f"service {result['name']}: {why}.")
        seen = set()
        for task in result["failing_tasks"] + result["starting_tasks"]:
            if task["id"] in seen:
                continue
            seen.add(task["id"])
            detail = task["error"] or task["message"]
            exit_code = f", exit code {task['exit_code']}" if task["exit_code"] not in (None, 0) else ""
            lines.append(
                f"  task {task['id'][:12] if task['id'] else '?'}"
                + (f" slot {task['slot']}" if task["slot"] is not None else "")
                + f" on {task['node']}"
                f" ({task['node_state']}): {task['state']}{exit_code}: {detail}"
            )
    return "\n".join(lines)


class WaitResult(t.NamedTuple):
    converged: bool
    failed: bool
    evaluation: dict
    elapsed: float


def wait_for_convergence(
    read: t.Callable[[], tuple[list, list, list]],
    timeout: float,
    poll_interval: float,
    min_healthy_time: float,
    clock: t.Callable[[], float],
    sleep: t.Callable[[float], None],
    wall_clock: t.Callable[[], float],
    stop_on_failure: bool = True,
    accept_rollback: bool = False,
    attempt_since: float | None = None,
) -> WaitResult:
    """Poll ``read()`` (services, tasks, nodes) until converged, failed or out of time.

    ``min_healthy_time``: seconds, a mapping of service name to seconds, or a
    callable that turns the services read into such a mapping. Swarm keeps only
    a few tasks per slot: a failed task seen at one poll is remembered, so a
    failure is not lost when its task leaves the history before the next.
    """
    start = clock()
    remembered: dict[str, dict] = {}
    while True:
        services, tasks, nodes = read()
        current = {t.get("ID") for t in tasks}
        for task in tasks:
            if ((task.get("Status") or {}).get("State") or "").lower() in REVISION_FAILURES:
                remembered[task.get("ID")] = task
        tasks = list(tasks) + [t for task_id, t in remembered.items() if task_id not in current]
        healthy_times = min_healthy_time(services) if callable(min_healthy_time) else min_healthy_time
        evaluation = evaluate_services(services, tasks, nodes, wall_clock(), healthy_times, accept_rollback,
                                       attempt_since)
        elapsed = clock() - start
        if evaluation["converged"]:
            return WaitResult(True, False, evaluation, elapsed)
        if stop_on_failure and evaluation["failed"]:
            return WaitResult(False, True, evaluation, elapsed)
        if elapsed >= timeout:
            return WaitResult(False, False, evaluation, elapsed)
        sleep(min(poll_interval, timeout - elapsed))
