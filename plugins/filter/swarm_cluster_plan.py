# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: swarm_cluster_plan
version_added: 0.1.0
short_description: Ordered, quorum-safe plan that brings a swarm to the inventory
description:
  - Takes the observed state of the inventory's hosts (their C(docker info) swarm section, as
    P(swarmops.ha.swarm_hosts#filter) gives it, and the node list read through a manager with quorum) and returns
    the changes that bring the swarm to the inventory, in a safe order (init, joins with managers first, promotions
    before demotions, removals).
  - Refuses (in RV(_value.errors)) a plan under which the reachable managers would fall below the Raft quorum at any
    step, a host in another swarm, a locked manager, and initialising a swarm while a manager does not answer.
positional: managers, workers, prune
options:
  _input:
    description: "Per inventory host, its swarm section, or V(null) when it did not answer (P(swarmops.ha.swarm_hosts#filter))."
    type: dict
    required: true
  nodes:
    description: The swarm's node objects (C(nodes) of M(community.docker.docker_node_info)), read through O(nodes_from).
    type: list
    elements: dict
  nodes_from:
    description: The manager the node list was read through; none when no manager has quorum.
    type: str
  managers:
    description: Inventory hostnames of the manager group.
    type: list
    elements: str
    required: true
  workers:
    description: Inventory hostnames of the worker group.
    type: list
    elements: str
    required: true
  prune:
    description: Remove nodes that no inventory host accounts for.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Plan the swarm
  ansible.builtin.set_fact:
    swarm_plan: >-
      {{ hostvars | swarmops.ha.swarm_hosts(groups['swarm_managers'] + groups['swarm_workers'])
         | swarmops.ha.swarm_cluster_plan(groups['swarm_managers'], groups['swarm_workers'],
                                          nodes=node_info.nodes, nodes_from='manager1') }}
"""

RETURN = r"""
_value:
  description:
    - C(entry), C(manage_via), C(init), C(join), C(promote), C(demote), C(remove), C(node_ids),
      C(managers_before), C(reachable_before), C(managers_after), C(changes), C(errors), C(warnings) and
      C(summary) (the changes in one line, in the order they are made, or why the plan is refused).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_observe import OBSERVED_VAR, host_swarm
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_plan import (
    SwarmPlanError,
    observed_hosts,
    plan_cluster,
    plan_node_settings,
)


def swarm_cluster_plan(hosts, managers, workers, prune=False, nodes=None, nodes_from=None):
    for name, value in (("managers", managers), ("workers", workers)):
        if isinstance(value, (str, bytes, dict)):
            raise AnsibleFilterError(f"swarm_cluster_plan: {name} must be a list of inventory hostnames, got {value!r}")
    try:
        observed = observed_hosts(hosts, nodes, nodes_from)
        return plan_cluster(list(managers or []), list(workers or []), observed, prune=boolean(prune, strict=True))
    except (SwarmPlanError, TypeError) as exc:
        raise AnsibleFilterError(f"swarm_cluster_plan: {exc}") from exc


def swarm_node_settings(hostvars, hosts, nodes=None, labels_state="merge"):
    """The hosts whose labels or availability differ from swarm_labels / swarm_availability (doc: swarm_node_settings.yml)."""
    if isinstance(hosts, str):
        hosts = [hosts] if hosts else []
    if not isinstance(hosts, (list, tuple)) or not all(isinstance(h, str) for h in hosts):
        raise AnsibleFilterError(f"swarm_node_settings: hosts must be a list of inventory hostnames, got {hosts!r}")
    wanted, node_ids = {}, {}
    for host in hosts:
        host_vars = hostvars[host] if host in hostvars else {}
        wanted[host] = {"labels": host_vars.get("swarm_labels"), "availability": host_vars.get("swarm_availability")}
        node_ids[host] = (host_swarm(host_vars.get(OBSERVED_VAR)) or {}).get("NodeID") or ""
    try:
        return plan_node_settings(wanted, node_ids, nodes, labels_state)
    except SwarmPlanError as exc:
        raise AnsibleFilterError(f"swarm_node_settings: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"swarm_cluster_plan": swarm_cluster_plan, "swarm_node_settings": swarm_node_settings}
