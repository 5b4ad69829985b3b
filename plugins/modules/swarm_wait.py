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
  sample: {"demo_web": {"replicas_wanted": 3, "replicas_running": 3, "replicas_done": 0, "min_healthy_time": 31.0,
           "image": "swarmops/demo-web:1", "update_state": "completed", "converged": true}}
elapsed:
  description: Seconds waited.
  returned: always
  type: float
health:
  description:
    - Per service, what the wait waited for and why. C(window) is how long every new task's health check had to keep
      passing (O(min_healthy_time), or from the health check that runs, twice C(interval) x C(retries), at least 10
      seconds), C(watch) how long each new task was watched (the window, then as long as a check that turned bad at
      its end takes to make the engine call the task unhealthy), C(health_check) the check that runs (the spec's, else
      the image's C(HEALTHCHECK); seconds) or null.
  returned: success and failure, when services were read
  type: dict
  sample: {"demo_web": {"window": 12.0, "watch": 31.0,
           "health_check": {"interval": 2.0, "timeout": 2.0, "retries": 3, "start_period": 2.0}, "stop_grace": 5.0}}
diagnosis:
  description: Why services are not converged, with their failing tasks.
  returned: failure
  type: str
"""

import time
import traceback

from ansible_collections.swarmops.ha.plugins.module_utils._docker_client import DockerException, RequestException, docker_api_client

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_api import health_windows, list_services, wait_for_services
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import diagnosis, summary


def main():
    argument_spec = dict(
        services=dict(type="list", elements="str"),
        stack=dict(type="str"),
        fail_on_update_failure=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        poll_interval=dict(type="int", default=2),
        min_healthy_time=dict(type="int"),
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
            # Failures of the current spec from now on fail the wait; older ones are history.
            attempt_since=time.time(),
        )
    except (DockerException, RequestException) as exc:
        client.fail(f"Can not read the swarm's services: {exc}", exception=traceback.format_exc())
    outcome = dict(changed=False, services=summary(result.evaluation), elapsed=round(result.elapsed, 1))
    try:
        outcome["health"] = health_windows(client, list_services(client, stack=params["stack"], names=params["services"]),
                                           params["min_healthy_time"])
    except (DockerException, RequestException) as exc:
        client.module.warn(f"Can not read the services' health checks: {exc}")
    if not result.evaluation["services"] and (params["services"] or params["stack"]):
        client.fail(f"No service found for {params['services'] or 'stack ' + params['stack']}", **outcome)
    if not result.converged:
        what = "failed" if result.failed else f"are not converged and healthy after {params['wait_timeout']}s"
        text = diagnosis(result.evaluation)
        client.fail(f"Services {what}:\n{text}", diagnosis=text, **outcome)
    client.module.exit_json(**outcome)


if __name__ == "__main__":
    main()
