# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which package and unit steps a role needs, from its one read of a host; documented in swarm_host_settled.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.module_utils._host_read import packages_and_units
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError


def swarm_host_settled(query, packages, units):
    """{install, start, why}: whether a package must be installed, and which units enabled or started."""
    try:
        return packages_and_units(query, packages, units)
    except SwarmOpsError as exc:
        raise AnsibleFilterError(f"swarm_host_settled: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"swarm_host_settled": swarm_host_settled}
