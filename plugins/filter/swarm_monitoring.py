# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Monitoring filters; their documentation lives in swarm_monitoring_check.yml and swarm_scrape_targets.yml."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.module_utils._monitoring import check_settings, scrape_targets


def swarm_monitoring_check(settings):
    """The problems of the monitoring settings (an empty list when they can be used)."""
    if not isinstance(settings, Mapping):
        raise AnsibleFilterError("swarm_monitoring_check expects a mapping of the monitoring_* variables")
    return check_settings(settings)


def swarm_scrape_targets(hosts, host_vars, key):
    """ADDRESS:PORT to scrape, per host whose variable key says where an endpoint listens."""
    if not isinstance(hosts, (list, tuple)) or not all(isinstance(h, str) for h in hosts):
        raise AnsibleFilterError("swarm_scrape_targets: the hosts must be a list of inventory hostnames")
    if not isinstance(host_vars, Mapping):
        raise AnsibleFilterError("swarm_scrape_targets: host_vars must map inventory hostnames to their variables")
    if not isinstance(key, str) or not key:
        raise AnsibleFilterError("swarm_scrape_targets: key must name the variable that holds ADDRESS:PORT")
    wanted = ("swarm_advertise_addr", "ansible_host", key)
    variables = {host: {name: host_vars[host][name] for name in wanted if name in host_vars[host]}
                 for host in hosts if host in host_vars}
    return scrape_targets(variables, hosts, key)


class FilterModule:
    def filters(self):
        return {
            "swarm_monitoring_check": swarm_monitoring_check,
            "swarm_scrape_targets": swarm_scrape_targets,
        }
