#!/usr/bin/python
# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: swarm_wait
short_description: Wait until swarm services are converged and healthy
version_added: 0.1.0
description:
  - Waits until the given services, the services of a stack, or all services of the swarm are converged and healthy,
    and returns what it saw. Fails with a diagnosis per service (failing tasks with node, state, error and exit code)
    when they are not converged in time, or as soon as an update is paused or rolled back.
  - The health gate of the other playbooks of swarmops.ha.
author: swarmops.ha contributors (@swarmops)
extends_documentation_fragment:
  - swarmops.ha.docker_api
  - swarmops.ha.swarm_wait
attributes:
  check_mode:
    support: full
    description: Only reads.
  diff_mode:
    support: none
    description: Nothing is changed.
options:
  services:
    description: Names or IDs of the services to wait for.
    type: list
    elements: str
  stack:
    description: Wait for every service of this stack.
    type: str
  fail_on_update_failure:
    description: Fail at once when an update is paused or was rolled back by Swarm, instead of waiting.
    type: bool
    default: true
requirements:
  - Docker API >= 1.25
"""

EXAMPLES = r"""
- name: Wait until every service of the swarm is converged and healthy
  swarmops.ha.swarm_wait:
    wait_timeout: 300

- name: Gate on the services of one stack
  swarmops.ha.swarm_wait:
    stack: demo
    min_healthy_time: 10
"""

RETURN = r"""
services:
  description: Per service, the replicas wanted and running, image, update state and whether it converged.
  returned: always
  type: dict
  sample: {"demo_web": {"replicas_wanted": 3, "replicas_running": 3, "image": "swarmops/demo-web:1",
           "update_state": "completed", "converged": true}}
elapsed:
  description: Seconds waited.
  returned: always
  type: float
diagnosis:
  description: Why services are not converged, with their failing tasks.
  returned: failure
  type: str
"""

import traceback

from ansible_collections.swarmops.ha.plugins.module_utils._docker_client import DockerException, RequestException, docker_api_client

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_api import wait_for_services
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import diagnosis, summary


def main():
    argument_spec = dict(
        services=dict(type="list", elements="str"),
        stack=dict(type="str"),
        fail_on_update_failure=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        poll_interval=dict(type="int", default=2),
        min_healthy_time=dict(type="int", default=5),
    )
    client = docker_api_client("swarmops.ha.swarm_wait", argument_spec=argument_spec, supports_check_mode=True,
                               mutually_exclusive=[("services", "stack")])
    params = client.module.params
    try:
        result = wait_for_services(
            client, params, stack=params["stack"], names=params["services"],
            stop_on_failure=params["fail_on_update_failure"],
            # A service Swarm rolled back runs its previous spec: that is converged.
            accept_rollback=True,
        )
    except (DockerException, RequestException) as exc:
        client.fail(f"Can not read the swarm's services: {exc}", exception=traceback.format_exc())
    outcome = dict(changed=False, services=summary(result.evaluation), elapsed=round(result.elapsed, 1))
    if not result.evaluation["services"] and (params["services"] or params["stack"]):
        client.fail(f"No service found for {params['services'] or 'stack ' + params['stack']}", **outcome)
    if not result.converged:
        what = "failed" if result.failed else f"are not converged and healthy after {params['wait_timeout']}s"
        text = diagnosis(result.evaluation)
        client.fail(f"Services {what}:\n{text}", diagnosis=text, **outcome)
    client.module.exit_json(**outcome)


if __name__ == "__main__":
    main()
