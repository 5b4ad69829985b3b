# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The filters that read a role's one read of a host; each is documented in its own NAME.yml.

- swarm_engine_packages: which apt steps the docker_engine role needs;
- swarm_engine_host: which daemon.json and docker unit steps it needs;
- swarm_host_settled: which package and unit steps a role needs (the load balancer's).
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.swarmops.ha.plugins.module_utils._engine_packages import host_steps, settled_from_results
from ansible_collections.swarmops.ha.plugins.module_utils._host_read import packages_and_units
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError


def _strict_bool(name, setting, value):
    """A setting read as Ansible reads a boolean (strict), or the filter's error naming it."""
    try:
        return boolean(value, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError(f"{name}: {setting} must be a boolean, got {value!r}") from exc


def _judge(name, function, *args):
    """function(*args), its SwarmOpsError as the filter's error."""
    try:
        return function(*args)
    except SwarmOpsError as exc:
        raise AnsibleFilterError(f"{name}: {exc}") from exc


def swarm_engine_packages(query, packages, pinned, version="", hold=False):
    """{install, hold, why}: whether apt must install or hold anything, from the role's one read of the host."""
    hold = _strict_bool("swarm_engine_packages", "hold", hold)
    return _judge("swarm_engine_packages", settled_from_results, query, packages, pinned, version, hold)


def swarm_engine_host(query, config_sha1, service_enabled=True):
    """{installed, config, service, why}, from the docker_engine role's one read of the host."""
    service_enabled = _strict_bool("swarm_engine_host", "service_enabled", service_enabled)
    return _judge("swarm_engine_host", host_steps, query, config_sha1, service_enabled)


def swarm_host_settled(query, packages, units):
    """{install, start, why}: whether a package must be installed, and which units enabled or started."""
    return _judge("swarm_host_settled", packages_and_units, query, packages, units)


class FilterModule:
    def filters(self):
        return {
            "swarm_engine_packages": swarm_engine_packages,
            "swarm_engine_host": swarm_engine_host,
            "swarm_host_settled": swarm_host_settled,
        }
