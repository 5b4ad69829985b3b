# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""The order and the pre-flight refusals of a rolling maintenance. Pure: no I/O."""

from __future__ import annotations

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import (
    is_leader,
    is_manager,
    manager_reachable,
    node_availability,
    node_is_up,
    node_name,
    node_state,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_topology import quorum


def _swarm(info) -> dict:
    return info if isinstance(info, dict) else {}


def plan_maintenance(nodes: list, hosts: dict, managers: list, selected: list | None = None) -> dict:
    """Order the hosts for a one-at-a-time maintenance and say why it must not start.

    ``nodes``: the swarm's node objects, read through a manager.
    ``hosts``: per inventory host, its ``docker info .Swarm`` (None when it did not answer).
    ``managers``: the inventory's managers. ``selected``: the hosts to maintain (all when empty).
    Returns ``order`` (workers, then managers, the leader last), ``node_ids``
    (host to node ID), ``hostnames`` (host to the node's hostname in the swarm,
    as the load balancers name it), ``availability`` (host to the node's
    availability now) and ``errors`` (a maintenance with errors must not start).
    """
    errors = []
    selected = list(selected or hosts)
    unknown = sorted(set(selected) - set(hosts))
    if unknown:
        errors.append(f"not swarm hosts of the inventory: {', '.join(unknown)}")
    nodes_by_id = {n.get("ID"): n for n in nodes}
    node_ids = {}
    for host in sorted(hosts):
        info = hosts[host]
        if info is None:
            errors.append(f"{host} does not answer")
            continue
        node_id = _swarm(info).get("NodeID") or ""
        if (_swarm(info).get("LocalNodeState") or "") != "active" or node_id not in nodes_by_id:
            errors.append(f"{host} is not a node of this swarm")
            continue
        node_ids[host] = node_id
    for node in nodes:
        if is_manager(node) and not manager_reachable(node):
            said = node["ManagerStatus"].get("Reachability")  # as the API says it
            errors.append(f"manager {node_name(node)} is {said or 'not reachable'}")
        elif not node_is_up(node) and node.get("ID") in node_ids.values():
            errors.append(f"node {node_name(node)} is {node_state(node)}")
    for host in managers:
        if host in node_ids and not is_manager(nodes_by_id[node_ids[host]]):
            errors.append(f"{host} is in the managers group but is a worker of the swarm: run site.yml first")

    def rank(host):
        node = nodes_by_id.get(node_ids.get(host), {})
        if not is_manager(node):
            return 0
        return 2 if is_leader(node) else 1

    order = [h for h in selected if h in node_ids]
    order.sort(key=lambda h: (rank(h), selected.index(h)))
    return {
        "order": order,
        "node_ids": node_ids,
        "hostnames": {h: node_name(nodes_by_id[i]) for h, i in node_ids.items()},
        "availability": {h: node_availability(nodes_by_id[i]) for h, i in node_ids.items()},
        "errors": errors,
    }


def node_loss_refusals(nodes: list, node_id: str) -> list[str]:
    """Why the node must not be taken away unplanned now (a failover drill), each a sentence; empty when it may.

    Counts the managers the swarm reaches now, not the inventory's: with one
    manager already down, stopping another may cost the quorum.
    """
    node = next((n for n in nodes if n.get("ID") == node_id), None)
    if node is None:
        return [f"node {node_id or '(none)'} is not a node of this swarm"]
    name = node_name(node)
    errors = []
    if not node_is_up(node):
        errors.append(f"node {name} is {node_state(node)}, not ready")
    if is_manager(node):
        managers = [n for n in nodes if is_manager(n)]
        reachable = [n for n in managers if manager_reachable(n)]
        left = len([n for n in reachable if n.get("ID") != node_id])
        need = quorum(len(managers))
        if left < need:
            others = sorted(node_name(n) for n in managers if n not in reachable)
            errors.append(
                f"stopping manager {name} would leave {left} of the swarm's {len(managers)} managers reachable, "
                f"below the quorum of {need}"
                + (f" ({', '.join(others)} already unreachable)" if others else "")
            )
    return errors
