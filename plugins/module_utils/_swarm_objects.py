# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""The collection's one error, and one way to read the API's objects (nodes, services).

Shared code raises ``SwarmOpsError`` (or a subclass named for its rule file);
only modules and filters turn it into a failure. Every rule file reads node and
service fields through the accessors here, so that a missing field means the
same everywhere. Nothing here does I/O.
"""

from __future__ import annotations


class SwarmOpsError(ValueError):
    """What can not be done, said in one sentence; ``extra`` holds what a module returns with it."""

    def __init__(self, message: str, **extra) -> None:
        super().__init__(message)
        self.extra = extra


# -- nodes (GET /nodes) -------------------------------------------------------------------------------------------
def node_hostname(node: dict) -> str:
    """The node's hostname, empty when the API did not say."""
    return (node.get("Description") or {}).get("Hostname") or ""


def node_name(node: dict) -> str:
    """The node's hostname, else its ID: what messages call it."""
    return node_hostname(node) or node.get("ID") or "?"


def node_role(node: dict) -> str:
    return ((node.get("Spec") or {}).get("Role") or "worker").lower()


def node_state(node: dict) -> str:
    """``ready``, ``down``, ``disconnected``, ``unknown``..."""
    return ((node.get("Status") or {}).get("State") or "unknown").lower()


def node_is_up(node: dict) -> bool:
    return node_state(node) == "ready"


def node_availability(node: dict) -> str:
    return ((node.get("Spec") or {}).get("Availability") or "active").lower()


def node_labels(node: dict) -> dict:
    return (node.get("Spec") or {}).get("Labels") or {}


def is_manager(node: dict) -> bool:
    return bool(node.get("ManagerStatus"))


def manager_reachability(node: dict) -> str:
    """``reachable``, ``unreachable``, ``unknown``; empty for a worker."""
    return ((node.get("ManagerStatus") or {}).get("Reachability") or "").lower()


def manager_reachable(node: dict) -> bool:
    return manager_reachability(node) == "reachable"


def is_leader(node: dict) -> bool:
    return bool((node.get("ManagerStatus") or {}).get("Leader"))


# -- services (GET /services) -------------------------------------------------------------------------------------
# The label docker stack deploy puts on every object of a stack: its name.
STACK_LABEL = "com.docker.stack.namespace"


def service_spec(service: dict) -> dict:
    return service.get("Spec") or {}


def service_name(service: dict) -> str:
    return service_spec(service).get("Name") or service.get("ID", "?")
