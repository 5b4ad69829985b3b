#!/usr/bin/python
# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: swarm_status_info
short_description: Report the health of a Docker Swarm, its nodes and its services
version_added: 0.1.0
description:
  - Reads the nodes, services and tasks of the swarm from a manager and reports, per service, its mode, the tasks it
    wants, runs and has healthy, its tasks per node, its update state and the tasks that failed lately (node, exit
    code, error); per node, its state, availability, role, manager reachability and whether it leads; and for the
    swarm, the managers reachable against the quorum they need (the margin) and one verdict.
  - The verdict is V(healthy) when every service is converged (as M(swarmops.ha.swarm_wait) judges it), every node
    is ready and at least one more manager could be lost without losing quorum; V(degraded) when a service is not
    converged or a node is not ready, with that margin kept; V(at_risk) when the margin is 0 or less, no manager
    leads, or a service that wants tasks has none healthy.
  - Must run on a manager. Only reads.
author: swarmops.ha contributors (@swarmops)
extends_documentation_fragment:
  - swarmops.ha.docker_api
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing is changed.
options:
  stack:
    description: Report only the services of this stack (the nodes and the quorum are always reported).
    type: str
  services:
    description: Report only these services (names or IDs).
    type: list
    elements: str
  failure_window:
    description: How many seconds back failed tasks are reported. Swarm keeps a few tasks per slot (the task
      history retention limit, 5 by default), so older failures may be gone anyway.
    type: int
    default: 600
requirements:
  - Docker API >= 1.25
seealso:
  - module: swarmops.ha.swarm_wait
"""

EXAMPLES = r"""
- name: Read the swarm's health from a manager
  swarmops.ha.swarm_status_info:
  register: status

- name: Fail a script's run when the swarm could not lose one more manager
  ansible.builtin.assert:
    that: status.verdict != 'at_risk'
    fail_msg: "{{ status.reasons | join('; ') }}"

- name: The services of one stack, with the failures of the last five minutes
  swarmops.ha.swarm_status_info:
    stack: demo
    failure_window: 300
"""

RETURN = r"""
verdict:
  description: V(healthy), V(degraded) or V(at_risk).
  returned: success
  type: str
  sample: degraded
reasons:
  description: Why the verdict is not V(healthy), the gravest first.
  returned: success
  type: list
  elements: str
  sample: ["node worker1 is down (heartbeat failure)", "service demo_web: 2 of 3 healthy (2 of 3 tasks running and healthy)"]
quorum:
  description: Managers listed and reachable, the quorum they need, the margin (reachable minus quorum), the leader
    and the managers not reachable.
  returned: success
  type: dict
  sample: {"managers": 3, "reachable": 3, "quorum": 2, "margin": 1, "leader": "manager1", "unreachable": []}
lines:
  description: The report as lines for a person.
  returned: success
  type: list
  elements: str
nodes:
  description: Per node, managers first, its name, ID, role, state, availability, address, manager reachability
    (null for a worker), whether it leads, its engine version and the state's message.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "manager1", "id": "ujzde8gxd6ncf10epf91dhodz", "role": "manager", "state": "ready",
            "availability": "active", "address": "192.168.78.11", "reachability": "reachable", "leader": true,
            "engine": "20.10.24+dfsg1", "message": ""}]
services:
  description:
    - Per service, by name, its stack, mode, image, the tasks it wants (C(desired)), whose containers run on a node
      that is up (C(running)), that pass their health check there (C(healthy), of the current spec or the previous
      one while an update replaces them), the jobs completed, its healthy tasks per node, the tasks left on nodes that
      are down, its update state and message, whether Swarm rolled it back, whether it is converged, why not, the
      tasks that failed within O(failure_window) (newest first), and its own verdict.
  returned: success
  type: list
  elements: dict
  sample: [{"name": "demo_web", "stack": "demo", "mode": "replicated", "image": "swarmops/demo-web:1", "desired": 3,
            "running": 3, "healthy": 3, "completed": 0, "tasks_per_node": {"worker1": 1, "worker2": 1, "manager1": 1},
            "tasks_on_down_nodes": 0, "update_state": "completed", "update_message": "update completed",
            "rolled_back": false, "converged": true, "reasons": [], "failures": [], "verdict": "healthy"}]
failure_window:
  description: The O(failure_window) used, in seconds.
  returned: success
  type: float
read_at:
  description: When the swarm was read, in seconds since the epoch.
  returned: success
  type: float
"""

import time
import traceback

from ansible_collections.swarmops.ha.plugins.module_utils._docker_client import DockerException, RequestException, docker_api_client
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_api import list_nodes, list_services, list_tasks
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_status import render_text, swarm_status


def main():
    argument_spec = dict(
        stack=dict(type="str"),
        services=dict(type="list", elements="str"),
        failure_window=dict(type="int", default=600),
    )
    client = docker_api_client("swarmops.ha.swarm_status_info", argument_spec=argument_spec, supports_check_mode=True,
                               mutually_exclusive=[("services", "stack")])
    params = client.module.params
    if params["failure_window"] < 0:
        client.fail(f"failure_window must be 0 or more seconds, got {params['failure_window']}")
    try:
        nodes = list_nodes(client)
        services = list_services(client, stack=params["stack"], names=params["services"])
        tasks = list_tasks(client, [s["ID"] for s in services])
    except (DockerException, RequestException) as exc:
        client.fail(f"Can not read the swarm from this host (it must be a manager of a swarm with quorum): {exc}",
                    exception=traceback.format_exc())
    if params["services"] and not services:
        client.fail(f"No service found for {', '.join(params['services'])}")
    try:
        status = swarm_status(services, tasks, nodes, time.time(), params["failure_window"])
    except SwarmOpsError as exc:
        client.fail(str(exc))
    client.module.exit_json(changed=False, lines=render_text(status), **status)


if __name__ == "__main__":
    main()
