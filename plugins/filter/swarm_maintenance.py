# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Rolling maintenance order and the node-loss check; the documentation lives in swarm_maintenance_plan.yml and swarm_node_loss_check.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_maintenance import node_loss_refusals, plan_maintenance


def swarm_maintenance_plan(nodes, hosts, managers, selected=None):
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes) or not isinstance(hosts, dict):
        raise AnsibleFilterError("swarm_maintenance_plan expects a list of nodes and a mapping of hosts")
    managers = [] if managers is None else managers
    if not isinstance(managers, (list, tuple)):
        raise AnsibleFilterError(f"swarm_maintenance_plan: managers must be a list of hosts, not {type(managers).__name__}")
    # -e rolling_maintenance_nodes=worker1 gives a string: one host.
    if isinstance(selected, str):
        selected = [selected] if selected else []
    if selected is not None and not isinstance(selected, (list, tuple)):
        raise AnsibleFilterError(f"swarm_maintenance_plan: selected must be a list of hosts, not {type(selected).__name__}")
    return plan_maintenance(nodes, hosts, list(managers), list(selected or []))


def swarm_node_loss_check(nodes, node_id):
    if not isinstance(nodes, list) or not all(isinstance(n, dict) for n in nodes):
        raise AnsibleFilterError("swarm_node_loss_check expects a list of nodes")
    if not isinstance(node_id, str):
        raise AnsibleFilterError(f"swarm_node_loss_check: node_id must be a node ID, not {type(node_id).__name__}")
    return node_loss_refusals(nodes, node_id)


class FilterModule:
    def filters(self):
        return {"swarm_maintenance_plan": swarm_maintenance_plan, "swarm_node_loss_check": swarm_node_loss_check}
