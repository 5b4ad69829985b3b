# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which engine configuration and service steps the docker_engine role needs; documented in swarm_engine_host.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.swarmops.ha.plugins.module_utils._engine_packages import host_steps
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError


def swarm_engine_host(query, config_sha1, service_enabled=True):
    """{installed, config, service, why}, from the docker_engine role's one read of the host."""
    try:
        service_enabled = boolean(service_enabled, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError(f"swarm_engine_host: service_enabled must be a boolean, got {service_enabled!r}") from exc
    try:
        return host_steps(query, config_sha1, service_enabled)
    except SwarmOpsError as exc:
        raise AnsibleFilterError(f"swarm_engine_host: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"swarm_engine_host": swarm_engine_host}
