# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which apt steps the docker_engine role needs; the documentation lives in swarm_engine_packages.yml."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.swarmops.ha.plugins.module_utils._engine_packages import settled_from_results
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError


def swarm_engine_packages(query, packages, pinned, version="", hold=False):
    """{install, hold, why}: whether apt must install or hold anything, from the role's one package query."""
    try:
        hold = boolean(hold, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError(f"swarm_engine_packages: hold must be a boolean, got {hold!r}") from exc
    try:
        return settled_from_results(query, packages, pinned, version, hold)
    except SwarmOpsError as exc:
        raise AnsibleFilterError(f"swarm_engine_packages: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"swarm_engine_packages": swarm_engine_packages}
