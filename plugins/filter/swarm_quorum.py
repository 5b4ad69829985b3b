# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Docker Swarm manager quorum filters for the swarmops.ha collection.

Thin wrappers around the private module util ``_swarm_topology``; the
documentation of each filter lives in the adjacent ``<filter name>.yml`` file.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_topology import (
    DEFAULT_MANAGER_GROUP,
    DEFAULT_MAX_RECOMMENDED_MANAGERS,
    DEFAULT_WORKER_GROUP,
    SwarmTopologyError,
    fault_tolerance,
    quorum,
    validate_topology,
)


def swarm_quorum(managers):
    """Return the Raft quorum size for a number of Swarm managers."""
    try:
        return quorum(managers)
    except (SwarmTopologyError, TypeError) as e:
        raise AnsibleFilterError(str(e)) from e


def swarm_fault_tolerance(managers):
    """Return how many Swarm managers can fail without losing quorum."""
    try:
        return fault_tolerance(managers)
    except (SwarmTopologyError, TypeError) as e:
        raise AnsibleFilterError(str(e)) from e


def swarm_topology_check(
    managers,
    workers,
    strict=False,
    manager_group=DEFAULT_MANAGER_GROUP,
    worker_group=DEFAULT_WORKER_GROUP,
    max_recommended_managers=DEFAULT_MAX_RECOMMENDED_MANAGERS,
):
    """Check manager/worker host lists; return ``{'errors': [...], 'warnings': [...]}``."""
    try:
        return validate_topology(
            managers,
            workers,
            strict=boolean(strict, strict=True),
            max_recommended_managers=max_recommended_managers,
            manager_group=manager_group,
            worker_group=worker_group,
        )
    except (SwarmTopologyError, TypeError) as e:
        raise AnsibleFilterError(str(e)) from e


class FilterModule:
    """Docker Swarm quorum and topology filters."""

    def filters(self):
        return {
            "swarm_quorum": swarm_quorum,
            "swarm_fault_tolerance": swarm_fault_tolerance,
            "swarm_topology_check": swarm_topology_check,
        }
