# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  wait_timeout:
    description:
      - Seconds to wait for every service to be converged and healthy.
      - O(timeout) is the timeout of each Docker API call.
    type: int
    default: 300
  poll_interval:
    description:
      - Seconds between two looks at the services, tasks and nodes.
    type: int
    default: 2
  min_healthy_time:
    description:
      - Seconds a task must have been running (and so healthy, for a task with a health check) to count.
    type: int
    default: 5
notes:
  - A service is converged when its desired replica count runs (a global service, one task on every ready, active
    node matching its constraints), every running task runs the current spec, no update is in progress, paused or
    rolled back, no task is starting or restarting, and no counted task is on a node that is down. A task with a
    health check stays C(starting) until the check passes, so C(running) means healthy.
  - Runs on a swarm manager.
"""
