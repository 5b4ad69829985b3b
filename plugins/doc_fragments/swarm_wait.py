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
      - Seconds every task of a service must have been running (and so healthy, for a task with a health check)
        without a break; a task replaced meanwhile starts its own clock.
      - By default it follows from the health check that runs (the spec's, merged field by field over the image's
        C(HEALTHCHECK), read on the manager). Its checks must keep passing for a window of twice C(interval) x
        C(retries), never less than 10 seconds, and each new task is watched on after that for as long as a check
        that turned bad at the end of the window takes to show as a failed task (C(retries) x (C(interval) +
        C(timeout)) + C(timeout), plus the stop grace period Swarm gives the unhealthy container, 10 seconds unless
        the service sets C(stop_grace_period)). An application that dies after its warm-up fails its checks
        C(retries) times before the engine kills it; without such a window it would pass a gate of a few seconds and
        crash-loop after the deploy returned. M(swarmops.ha.swarm_stack) and M(swarmops.ha.swarm_wait) return both
        values per service (their C(health) result).
    type: int
notes:
  - A task of the service's current spec started since the deploy (or the wait) began that exits non-zero, is killed
    for being unhealthy or is rejected (its image is missing, for example) fails it at once; a task lost because its
    node went down is not counted, and its replacement is waited for. Failures seen at one look are remembered, since
    Swarm keeps only a few tasks per slot.
  - A service whose tasks may finish (restart condition V(none) or V(on-failure), or the job modes of engines 23 and
    newer) counts a task that completed with exit code 0 as done, never as a missing replica.
  - A service is converged when its desired replica count runs (a global service, one task on every ready, active
    node matching its constraints), every running task runs the current spec, no update is in progress, paused or
    rolled back, no task is starting or restarting, and no counted task is on a node that is down. A task with a
    health check stays C(starting) until the check passes, so C(running) means healthy.
  - Runs on a swarm manager.
"""
