# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Load balancer filters; their documentation lives in swarm_lb_frontends.yml, swarm_lb_settings_check.yml
and swarm_lb_vrrp.yml."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_lb import (
    address_vars,
    BackendError,
    check_lb_settings,
    lb_frontends,
    vrrp_peers,
)


def swarm_lb_frontends(swarm_info, services=None, options=None, addresses=None):
    """Frontends and backend servers from the output of community.docker.docker_swarm_info (verbose)."""
    if not isinstance(swarm_info, dict):
        raise AnsibleFilterError("swarm_lb_frontends expects the result of community.docker.docker_swarm_info")
    lists = {key: swarm_info.get(key) or [] for key in ("services", "nodes")}
    wrong = [key for key, value in lists.items()
             if not isinstance(value, list) or not all(isinstance(item, dict) for item in value)]
    if wrong:
        raise AnsibleFilterError(f"swarm_lb_frontends: {', '.join(wrong)} must be lists of API objects "
                                 "(docker_swarm_info with verbose_output=true)")
    try:
        return lb_frontends(lists["services"], lists["nodes"], only=services, options=options, addresses=addresses)
    except BackendError as e:
        raise AnsibleFilterError(str(e)) from e


def _hosts_and_vars(name, lb_hosts, host_vars):
    """The hosts, and per inventory host what host_address reads (host_vars may be hostvars itself)."""
    if not isinstance(lb_hosts, (list, tuple)) or not all(isinstance(h, str) for h in lb_hosts):
        raise AnsibleFilterError(f"{name}: the load balancer hosts must be a list of inventory hostnames")
    if not isinstance(host_vars, Mapping) or not all(isinstance(host_vars[h], Mapping) for h in host_vars):
        raise AnsibleFilterError(f"{name}: host_vars must map inventory hostnames to their variables (hostvars)")
    return list(lb_hosts), {host: address_vars(host_vars[host]) for host in host_vars}


def swarm_lb_settings_check(settings, lb_hosts, host_vars):
    """The problems of the load balancer settings (an empty list when they can be used)."""
    if not isinstance(settings, dict):
        raise AnsibleFilterError("swarm_lb_settings_check expects a mapping of the loadbalancer_* variables")
    hosts, variables = _hosts_and_vars("swarm_lb_settings_check", lb_hosts, host_vars)
    return check_lb_settings(settings, hosts, variables)


def swarm_lb_vrrp(lb_hosts, host_vars):
    """Per load balancer host its VRRP priority, address and peers, and the errors that forbid writing them."""
    hosts, variables = _hosts_and_vars("swarm_lb_vrrp", lb_hosts, host_vars)
    return vrrp_peers(hosts, variables)


class FilterModule:
    def filters(self):
        return {
            "swarm_lb_frontends": swarm_lb_frontends,
            "swarm_lb_settings_check": swarm_lb_settings_check,
            "swarm_lb_vrrp": swarm_lb_vrrp,
        }
