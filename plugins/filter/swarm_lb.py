# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Load balancer backends from the swarm; the documentation lives in swarm_lb_frontends.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_lb import BackendError, lb_frontends


def swarm_lb_frontends(swarm_info, services=None, options=None, addresses=None):
    """Frontends and backend servers from the output of community.docker.docker_swarm_info (verbose)."""
    if not isinstance(swarm_info, dict):
        raise AnsibleFilterError("swarm_lb_frontends expects the result of community.docker.docker_swarm_info")
    lists = {key: swarm_info.get(key) or [] for key in ("services", "tasks", "nodes")}
    wrong = [key for key, value in lists.items()
             if not isinstance(value, list) or not all(isinstance(item, dict) for item in value)]
    if wrong:
        raise AnsibleFilterError(f"swarm_lb_frontends: {', '.join(wrong)} must be lists of API objects "
                                 "(docker_swarm_info with verbose_output=true)")
    try:
        return lb_frontends(lists["services"], lists["tasks"], lists["nodes"], only=services, options=options,
                            addresses=addresses)
    except BackendError as e:
        raise AnsibleFilterError(str(e)) from e


class FilterModule:
    def filters(self):
        return {"swarm_lb_frontends": swarm_lb_frontends}
