# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""Turn the inventory and the swarm as observed into an ordered, quorum-safe plan.

Input, as the swarm_cluster role gathers it:

``managers`` / ``workers``
    inventory hostnames of the manager and worker groups.
``hosts``
    ``{hostname: {"reachable": bool, "swarm": <docker info .Swarm>,
    "nodes": <list of node objects as GET /nodes returns them, or None>}}``.
    ``nodes`` is only set for managers that could list the nodes, which
    they can only while the swarm has a leader (quorum).
``prune``
    remove nodes that no inventory host accounts for.

The plan is a dict (see ``plan_cluster``).  Every step that changes the
number of managers is simulated, and a plan under which the reachable managers
would ever fall below the Raft quorum is refused with the numbers, before
anything is changed.  Nothing here does I/O.
"""

from __future__ import annotations

import typing as t

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import (
    SwarmOpsError,
    manager_reachable,
    node_availability,
    node_hostname,
    node_labels,
    node_role,
    node_state,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_observe import choose_manager, local_state
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_topology import quorum


class SwarmPlanError(SwarmOpsError):
    """Raised for input that cannot be planned from (wrong shape)."""


def _swarm(info: dict) -> dict:
    return info.get("swarm") or {}


def _local_state(info: dict) -> str:
    return local_state(_swarm(info))


def _check_input(managers: t.Any, workers: t.Any, hosts: t.Any) -> None:
    for name, value in (("managers", managers), ("workers", workers)):
        if not isinstance(value, (list, tuple)) or not all(isinstance(h, str) for h in value):
            raise SwarmPlanError(f"{name} must be a list of inventory hostnames, got {value!r}")
    if not isinstance(hosts, dict):
        raise SwarmPlanError(f"hosts must be a dict of hostname to observed state, got {type(hosts).__name__}")
    for host, info in hosts.items():
        if not isinstance(info, dict):
            raise SwarmPlanError(f"observed state of {host} must be a dict, got {type(info).__name__}")
        swarm = info.get("swarm")
        if swarm is not None and not isinstance(swarm, dict):
            raise SwarmPlanError(f"swarm state of {host} must be a dict (docker info .Swarm), got {type(swarm).__name__}")
        nodes = info.get("nodes")
        if nodes is not None and not isinstance(nodes, list):
            raise SwarmPlanError(f"nodes seen by {host} must be a list or null, got {type(nodes).__name__}")
        if nodes and not all(isinstance(node, dict) for node in nodes):
            raise SwarmPlanError(f"nodes seen by {host} must be node objects (dicts)")


def observed_hosts(swarms: dict, nodes: list | None = None, nodes_from: str | None = None) -> dict:
    """The planner's ``hosts`` from what the engines said and the node list read through one manager.

    ``swarms``: host to its swarm section, ``None`` when it did not answer
    (``swarm_hosts``); ``nodes``: the node objects listed through ``nodes_from``.
    """
    if not isinstance(swarms, dict):
        raise SwarmPlanError(f"hosts must be a dict of hostname to swarm state, got {type(swarms).__name__}")
    for host, swarm in swarms.items():
        if swarm is not None and not isinstance(swarm, dict):
            raise SwarmPlanError(f"swarm state of {host} must be a dict (docker info .Swarm) or null, got {type(swarm).__name__}")
    return {
        host: {
            "reachable": swarm is not None,
            "swarm": swarm or {},
            "nodes": list(nodes) if host == nodes_from and isinstance(nodes, list) else None,
        }
        for host, swarm in swarms.items()
    }


def choose_entry(managers: list[str], hosts: dict) -> str | None:
    """A reachable manager of a swarm with quorum, through which to manage it.

    The rule is ``_swarm_observe.choose_manager``'s, among the hosts whose node
    list was read.  Inventory managers come first, in inventory order; any
    other reachable host that is a manager with quorum will do, so a run works
    when the first manager of the inventory is down or replaced.
    """
    candidates = list(managers) + sorted(h for h in hosts if h not in managers)
    listed = {
        host: _swarm(info)
        for host, info in hosts.items()
        if (info or {}).get("reachable") and isinstance(info.get("nodes"), list) and info["nodes"]
    }
    return choose_manager(candidates, listed)[0]


class _Quorum:
    """Counts managers while the plan's steps are simulated."""

    def __init__(self, total: int, reachable: int) -> None:
        self.total = total
        self.reachable = reachable
        self.errors: list[str] = []

    def step(self, what: str, total_delta: int, reachable_delta: int) -> bool:
        total = self.total + total_delta
        reachable = self.reachable + reachable_delta
        need = quorum(total) if total > 0 else 0
        if reachable < need:
            self.errors.append(
                f"{what} would leave {total} managers with {reachable} reachable, below the quorum of {need}: "
                "refused before any change; bring the unreachable managers back first"
            )
            return False
        self.total, self.reachable = total, reachable
        return True


def plan_cluster(
    managers: list[str],
    workers: list[str],
    hosts: dict,
    prune: bool = False,
) -> dict:
    """Plan the changes that bring the swarm to the inventory.

    Returns a dict with:

    - ``entry``: the manager that joins and promotions go through (``None`` when nothing can);
    - ``manage_via``: the manager for demotions, removals, labels and settings
      (``entry``, unless ``entry`` itself is demoted);
    - ``init``: the host that initialises a new swarm, or ``None``;
    - ``join``: ``[{"host", "role"}]``, managers first, then workers;
    - ``promote`` / ``demote``: ``[{"host", "node_id"}]``, promotions first;
    - ``remove``: ``[{"hostname", "node_id", "role", "state"}]`` (with ``prune``);
    - ``node_ids``: ``{host: node_id}`` for the hosts already in the swarm;
    - ``managers_before`` / ``managers_after`` / ``reachable_before``;
    - ``errors`` (the plan must not run when there are any) and ``warnings``;
    - ``changes``: number of planned changes;
    - ``summary``: the changes in one line, in the order they are made (for a person, check mode included).
    """
    _check_input(managers, workers, hosts)
    desired_role = {h: "manager" for h in managers}
    desired_role.update({h: "worker" for h in workers if h not in desired_role})
    inventory = list(managers) + [h for h in workers if h not in managers]

    errors: list[str] = []
    warnings: list[str] = []
    plan: dict[str, t.Any] = {
        "entry": None,
        "init": None,
        "join": [],
        "promote": [],
        "demote": [],
        "remove": [],
        "node_ids": {},
        "managers_before": 0,
        "reachable_before": 0,
        "managers_after": 0,
        "errors": errors,
        "warnings": warnings,
    }

    unreachable = [h for h in inventory if not (hosts.get(h) or {}).get("reachable")]
    if unreachable:
        warnings.append(
            f"{len(unreachable)} inventory host(s) do not answer and are left as they are: {', '.join(unreachable)}"
        )
    reachable = [h for h in inventory if h not in unreachable]

    for host in reachable:
        state = _local_state(hosts[host])
        if state == "locked":
            errors.append(
                f"{host} is a locked swarm manager (autolock): unlock it with its unlock key "
                "(docker swarm unlock) before running the play"
            )
        elif state in ("pending", "error"):
            detail = _swarm(hosts[host]).get("Error") or "no detail"
            errors.append(f"{host} is in swarm state '{state}' ({detail}): make it leave (docker swarm leave --force) or fix it first")

    active = [h for h in reachable if _local_state(hosts[h]) == "active"]
    entry = choose_entry(list(managers), hosts)

    if not active:
        if errors:
            return _finish(plan)
        if not managers:
            errors.append("no manager in the inventory: nothing can initialise the swarm")
            return _finish(plan)
        silent_managers = [h for h in managers if h in unreachable]
        if silent_managers:
            errors.append(
                f"no host that answers is in a swarm, and manager(s) {', '.join(silent_managers)} do not answer: "
                "they may hold the swarm, so a second one is not initialised; bring them back or remove them from the inventory"
            )
            return _finish(plan)
        init = managers[0]
        plan["init"] = init
        plan["entry"] = init
        quorum_sim = _Quorum(total=1, reachable=1)
        plan["managers_before"] = 0
        for host in managers[1:]:
            plan["join"].append({"host": host, "role": "manager"})
            quorum_sim.step(f"joining manager {host}", 1, 1)
        for host in workers:
            if desired_role[host] != "worker" or host in unreachable:
                continue
            plan["join"].append({"host": host, "role": "worker"})
        plan["managers_after"] = quorum_sim.total
        errors.extend(quorum_sim.errors)
        return _finish(plan)

    if entry is None:
        errors.append(
            f"host(s) {', '.join(active)} are in a swarm but no reachable manager has quorum (none could list the nodes): "
            "nothing is changed; if a majority of managers is lost for good, run playbooks/recover_quorum.yml"
        )
        return _finish(plan)

    plan["entry"] = entry
    nodes: list[dict] = hosts[entry]["nodes"]
    by_id = {n.get("ID"): n for n in nodes}
    entry_cluster = (_swarm(hosts[entry]).get("Cluster") or {}).get("ID")

    # Which node is which inventory host: the host's own NodeID, or for hosts
    # that do not answer, the node's hostname.
    claimed: set[str] = set()
    for host in reachable:
        swarm = _swarm(hosts[host])
        node_id = swarm.get("NodeID") or ""
        if _local_state(hosts[host]) != "active":
            # A locked or pending member is still an inventory host: never a stray.
            if node_id in by_id:
                claimed.add(node_id)
            continue
        cluster = (swarm.get("Cluster") or {}).get("ID")
        if node_id not in by_id or (cluster and entry_cluster and cluster != entry_cluster):
            errors.append(
                f"{host} is a member of another swarm (node {node_id or '?'} is not in the swarm of {entry}): "
                "refusing to manage two swarms; make it leave (docker swarm leave --force) first"
            )
            continue
        plan["node_ids"][host] = node_id
        claimed.add(node_id)
    # Hosts that could not say their node ID (down, locked): match by hostname.
    # (An inactive host that answers is not in the swarm: a node of its name is
    # a leftover of an earlier machine, a stray.)
    for host in inventory:
        if host in plan["node_ids"]:
            continue
        if host not in unreachable and _local_state(hosts[host]) not in ("locked", "pending", "error"):
            continue
        for node in nodes:
            if node_hostname(node) == host:
                claimed.add(node.get("ID"))

    manager_nodes = [n for n in nodes if node_role(n) == "manager"]
    quorum_sim = _Quorum(total=len(manager_nodes), reachable=sum(1 for n in manager_nodes if manager_reachable(n)))
    plan["managers_before"] = quorum_sim.total
    plan["reachable_before"] = quorum_sim.reachable
    if quorum_sim.reachable < quorum(quorum_sim.total):
        errors.append(
            f"the swarm has {quorum_sim.total} managers with {quorum_sim.reachable} reachable, below the quorum of "
            f"{quorum(quorum_sim.total)}: nothing is changed"
        )
        return _finish(plan)

    # 1. joins, managers one at a time first (each raises the quorum).
    for host in reachable:
        if host in plan["node_ids"] or _local_state(hosts[host]) != "inactive":
            continue
        if desired_role[host] == "manager":
            if quorum_sim.step(f"joining manager {host}", 1, 1):
                plan["join"].append({"host": host, "role": "manager"})
    for host in reachable:
        if host in plan["node_ids"] or _local_state(hosts[host]) != "inactive":
            continue
        if desired_role[host] == "worker":
            plan["join"].append({"host": host, "role": "worker"})

    # 2. promotions before demotions, so the count never dips on the way.
    demotions = []
    for host, node_id in plan["node_ids"].items():
        node = by_id[node_id]
        have, want = node_role(node), desired_role[host]
        if have == want:
            continue
        if want == "manager":
            ready = node_state(node) == "ready"
            if quorum_sim.step(f"promoting {host}", 1, 1 if ready else 0):
                plan["promote"].append({"host": host, "node_id": node_id})
        else:
            demotions.append((host, node))

    # 3. nodes no inventory host accounts for.
    strays = [n for n in nodes if n.get("ID") not in claimed]
    if strays and not prune:
        warnings.append(
            "node(s) in the swarm but not in the inventory are kept (set swarm_cluster_prune_nodes to remove them): "
            + ", ".join(f"{node_hostname(n) or n.get('ID')} ({node_role(n)}, {node_state(n)})" for n in strays)
        )

    # Managers that are gone cost no reachable vote: take them out first.
    if prune:
        strays.sort(key=lambda n: (node_role(n) == "manager" and manager_reachable(n)))
        for node in [n for n in strays if node_role(n) == "manager" and not manager_reachable(n)]:
            label = node_hostname(node) or node.get("ID")
            if quorum_sim.step(f"removing manager {label}", -1, 0):
                plan["demote"].append({"host": None, "hostname": node_hostname(node), "node_id": node["ID"]})
                plan["remove"].append(
                    {"hostname": node_hostname(node), "node_id": node.get("ID"), "role": "manager", "state": node_state(node)}
                )
    for host, node in demotions:
        if quorum_sim.step(f"demoting {host}", -1, -1 if manager_reachable(node) else 0):
            plan["demote"].append({"host": host, "node_id": node["ID"]})
    if prune:
        for node in strays:
            role = node_role(node)
            if role == "manager" and not manager_reachable(node):
                continue  # already planned above
            if role == "manager":
                label = node_hostname(node) or node.get("ID")
                if not quorum_sim.step(f"removing manager {label}", -1, -1 if manager_reachable(node) else 0):
                    continue
                plan["demote"].append({"host": None, "hostname": node_hostname(node), "node_id": node["ID"]})
            plan["remove"].append(
                {"hostname": node_hostname(node), "node_id": node.get("ID"), "role": role, "state": node_state(node)}
            )

    # Demoting the entry itself would cut the play off from the swarm API:
    # manage through a manager that stays one.
    demoted_ids = {d["node_id"] for d in plan["demote"]}
    if plan["node_ids"].get(entry) in demoted_ids:
        staying = [
            h for h in managers
            if h in plan["node_ids"] and plan["node_ids"][h] not in demoted_ids and h != entry
            and (node_role(by_id[plan["node_ids"][h]]) == "manager" or any(p["host"] == h for p in plan["promote"]))
        ]
        if staying:
            plan["manage_via"] = staying[0]
        else:
            errors.append(f"{entry} is to be demoted but no other manager of the inventory can take over managing the swarm")

    plan["managers_after"] = quorum_sim.total
    errors.extend(quorum_sim.errors)
    return _finish(plan)


AVAILABILITIES = ("active", "pause", "drain")
LABELS_STATES = ("merge", "replace")


def check_node_settings(wanted: t.Any, labels_state: t.Any = "merge") -> dict:
    """The hosts' labels and availability from the inventory, checked; one error names every bad value.

    ``wanted``: ``{host: {"labels": dict or None, "availability": str or None}}``
    (the host variables ``swarm_labels`` and ``swarm_availability``). Returns
    it with the label values as strings (what the API keeps) and no labels as
    ``{}``.
    """
    if labels_state not in LABELS_STATES:
        raise SwarmPlanError(f"labels_state must be one of {', '.join(LABELS_STATES)}, got {labels_state!r}")
    if not isinstance(wanted, dict):
        raise SwarmPlanError(f"the hosts' settings must be a dict of hostname to labels and availability, got {type(wanted).__name__}")
    problems, checked = [], {}
    for host, setting in wanted.items():
        setting = setting or {}
        labels = setting.get("labels")
        availability = setting.get("availability")
        if labels is None:
            labels = {}
        if not isinstance(labels, dict) or not all(isinstance(k, str) and k for k in labels):
            problems.append(f"{host}: swarm_labels must be a mapping of label names to values, got {labels!r}")
            continue
        if any(isinstance(v, (dict, list)) for v in labels.values()):
            problems.append(f"{host}: swarm_labels values must be strings or numbers, got {labels!r}")
            continue
        if availability is not None and availability not in AVAILABILITIES:
            problems.append(f"{host}: swarm_availability must be one of {', '.join(AVAILABILITIES)}, got {availability!r}")
            continue
        checked[host] = {
            "labels": {k: str(v) for k, v in labels.items()},
            "availability": availability,
        }
    if problems:
        raise SwarmPlanError("; ".join(problems) + ". Nothing was changed.")
    return checked


def plan_node_settings(wanted: t.Any, node_ids: t.Any, nodes: t.Any = None, labels_state: t.Any = "merge") -> list[dict]:
    """The hosts whose labels or availability in the swarm differ from the inventory's, in ``wanted``'s order.

    ``node_ids``: ``{host: node ID}`` of the hosts in the swarm (others are
    left out); ``nodes``: the node objects as listed (GET /nodes). A host whose
    node is not in the list (it joined after the listing) is always included.
    With ``labels_state`` ``merge`` only the inventory's labels must match; with
    ``replace`` the node must carry exactly them. An availability of ``None``
    leaves the node's as it is. Each item: ``host``, ``node_id``, ``labels``,
    ``availability`` and ``why`` (what differs).
    """
    checked = check_node_settings(wanted, labels_state)
    if not isinstance(node_ids, dict):
        raise SwarmPlanError(f"node_ids must be a dict of hostname to node ID, got {type(node_ids).__name__}")
    if nodes is not None and (not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes)):
        raise SwarmPlanError("nodes must be a list of node objects (dicts) or null")
    by_id = {n.get("ID"): n for n in nodes or []}
    steps = []
    for host, setting in checked.items():
        node_id = node_ids.get(host) or ""
        if not node_id:
            continue
        node = by_id.get(node_id)
        if node is None:
            why = ["not in the node list read before"]
        else:
            have = node_labels(node)
            want = setting["labels"]
            why = []
            if labels_state == "replace":
                if have != want:
                    why.append(f"labels {have} to be exactly {want}")
            else:
                missing = {k: v for k, v in want.items() if have.get(k) != v}
                if missing:
                    why.append(f"labels {missing} to set")
            if setting["availability"] is not None and node_availability(node) != setting["availability"]:
                why.append(f"availability {node_availability(node)} to be {setting['availability']}")
        if why:
            steps.append({"host": host, "node_id": node_id, "labels": setting["labels"],
                          "availability": setting["availability"], "why": ", ".join(why)})
    return steps


def _finish(plan: dict) -> dict:
    plan.setdefault("manage_via", plan["entry"])
    plan["changes"] = (
        (1 if plan["init"] else 0)
        + len(plan["join"])
        + len(plan["promote"])
        + len(plan["demote"])
        + len(plan["remove"])
    )
    plan["summary"] = summarize(plan)
    return plan


def summarize(plan: dict) -> str:
    """The plan's changes in one line, in the order the role makes them."""
    steps = []
    if plan["init"]:
        steps.append(f"initialise the swarm on {plan['init']}")
    if plan["join"]:
        steps.append("join " + ", ".join(f"{j['host']} as {j['role']}" for j in plan["join"]))
    if plan["promote"]:
        steps.append("promote " + ", ".join(p["host"] for p in plan["promote"]))
    if plan["demote"]:
        steps.append("demote " + ", ".join(d.get("host") or d.get("hostname") or d["node_id"] for d in plan["demote"]))
    if plan["remove"]:
        steps.append("remove " + ", ".join(
            f"{r.get('hostname') or r['node_id']} ({r['role']}, {r['state']})" for r in plan["remove"]))
    if plan["errors"]:
        return "refused: " + " ".join(plan["errors"])
    return "; ".join(steps) if steps else "no change to the members of the swarm"
