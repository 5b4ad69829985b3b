# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""Pure Docker Swarm manager topology arithmetic and inventory checks.

Docker Swarm managers use Raft: a write is committed once a majority (the
*quorum*) of managers has acknowledged it, so a cluster of ``N`` managers stays
writable while at most ``(N - 1) // 2`` of them are lost (its *fault
tolerance*).  An even number of managers therefore tolerates no more failures
than one manager fewer, and every extra manager adds Raft write latency.

Everything here is side-effect free (no I/O, no Ansible imports) so it can be
used from filter plugins, modules and unit tests alike.
"""

from __future__ import annotations

import re
import typing as t
from collections.abc import Iterable, Mapping

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError

__all__ = [
    "DEFAULT_MANAGER_GROUP",
    "DEFAULT_MAX_RECOMMENDED_MANAGERS",
    "DEFAULT_WORKER_GROUP",
    "SwarmTopologyError",
    "fault_tolerance",
    "quorum",
    "validate_topology",
]

DEFAULT_MANAGER_GROUP = "swarm_managers"
DEFAULT_WORKER_GROUP = "swarm_workers"
DEFAULT_MAX_RECOMMENDED_MANAGERS = 7

# ASCII digits only (str.isdigit() would also accept e.g. "²" or Arabic-Indic digits).
_INTEGER_STRING = re.compile(r"-?[0-9]+")


class SwarmTopologyError(SwarmOpsError):
    """Raised when a manager count or a host list is not usable."""


def _as_count(value: t.Any, what: str = "manager count") -> int:
    """Return *value* as a non-negative ``int``.

    Accepted are ``int`` (but not ``bool``) and strings holding a plain
    base-10 integer, optionally surrounded by whitespace (``"3"``, ``" 5 "``).
    Everything else -- ``bool``, ``float`` (even ``3.0``), ``None``, other
    strings, containers -- raises :class:`SwarmTopologyError`, as do negative
    numbers.
    """
    if isinstance(value, bool):
        raise SwarmTopologyError(f"{what} must be an integer, not a boolean ({value!r})")
    if isinstance(value, int):
        number = int(value)
    elif isinstance(value, str):
        text = value.strip()
        if not _INTEGER_STRING.fullmatch(text):
            raise SwarmTopologyError(f"{what} must be an integer, got the string {value!r}")
        number = int(text)
    else:
        raise SwarmTopologyError(f"{what} must be an integer, got {type(value).__name__} {value!r}")
    if number < 0:
        raise SwarmTopologyError(f"{what} must not be negative, got {number}")
    return number


def quorum(managers: t.Any) -> int:
    """Return the Raft quorum (majority) size for *managers* managers.

    ``managers // 2 + 1``, and ``0`` for an empty cluster.  *managers* may be
    an ``int`` or an integer string; see :func:`_as_count` for what is
    rejected with :class:`SwarmTopologyError`.

    >>> [quorum(n) for n in range(6)]
    [0, 1, 2, 2, 3, 3]
    """
    count = _as_count(managers)
    return count // 2 + 1 if count else 0


def fault_tolerance(managers: t.Any) -> int:
    """Return how many of *managers* managers can fail without losing quorum.

    ``(managers - 1) // 2``, and ``0`` for an empty cluster.  Validation as
    for :func:`quorum`.

    >>> [fault_tolerance(n) for n in range(6)]
    [0, 0, 0, 1, 1, 2]
    """
    count = _as_count(managers)
    return (count - 1) // 2 if count else 0


def _host_list(hosts: t.Any, group: str) -> list[str]:
    """Return *hosts* as a list of hostnames; ``None`` means an empty group."""
    if hosts is None:
        return []
    if isinstance(hosts, (str, bytes, Mapping)) or not isinstance(hosts, Iterable):
        raise SwarmTopologyError(
            f"the hosts of group '{group}' must be a list of inventory hostnames, got {type(hosts).__name__}"
        )
    result = list(hosts)
    for host in result:
        if not isinstance(host, str) or not host.strip():
            raise SwarmTopologyError(
                f"group '{group}' contains {host!r}, which is not a non-empty inventory hostname"
            )
    return result


def _duplicates(hosts: list[str]) -> list[str]:
    seen: set[str] = set()
    dupes: set[str] = set()
    for host in hosts:
        if host in seen:
            dupes.add(host)
        seen.add(host)
    return sorted(dupes)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def validate_topology(
    managers: t.Any,
    workers: t.Any,
    strict: bool = False,
    max_recommended_managers: t.Any = DEFAULT_MAX_RECOMMENDED_MANAGERS,
    *,
    manager_group: str = DEFAULT_MANAGER_GROUP,
    worker_group: str = DEFAULT_WORKER_GROUP,
) -> dict[str, list[str]]:
    """Check a Swarm inventory layout and return ``{"errors": [...], "warnings": [...]}``.

    *managers* and *workers* are lists of inventory hostnames (for example
    ``groups['swarm_managers']``); ``None`` is treated as an empty group.
    *manager_group* / *worker_group* are only used to name the groups in the
    messages.

    Errors:

    * no managers at all;
    * a hostname listed more than once within one group;
    * a hostname that is in both groups (a Swarm node is either a manager or a
      worker).

    Warnings (errors instead when *strict* is true, for the even case only):

    * an even number of managers, which tolerates no more failures than one
      manager fewer;
    * more than *max_recommended_managers* managers (Raft write latency).

    Manager counts are taken over distinct hostnames.  Malformed input (a
    string instead of a list, a non-string hostname, a bad
    *max_recommended_managers*) raises :class:`SwarmTopologyError`.
    Each message is one sentence and ends with a full stop.
    """
    if not isinstance(strict, bool):
        raise SwarmTopologyError(f"strict must be a boolean, got {type(strict).__name__} {strict!r}")
    manager_hosts = _host_list(managers, manager_group)
    worker_hosts = _host_list(workers, worker_group)
    max_managers = _as_count(max_recommended_managers, "max_recommended_managers")

    errors: list[str] = []
    warnings: list[str] = []

    for group, hosts in ((manager_group, manager_hosts), (worker_group, worker_hosts)):
        dupes = _duplicates(hosts)
        if dupes:
            errors.append(
                f"group '{group}' lists {_plural(len(dupes), 'host')} more than once: {', '.join(dupes)}."
            )

    both = sorted(set(manager_hosts) & set(worker_hosts))
    if both:
        errors.append(
            f"{_plural(len(both), 'host')} {'is' if len(both) == 1 else 'are'} in both group "
            f"'{manager_group}' and group '{worker_group}', but a Swarm node is either a manager or a worker: "
            f"{', '.join(both)}."
        )

    count = len(set(manager_hosts))
    if count == 0:
        errors.append(f"at least one manager is required in group '{manager_group}', but it has 0 hosts.")
    else:
        if count % 2 == 0:
            message = (
                f"{count} managers need a quorum of {quorum(count)} and tolerate "
                f"{_plural(fault_tolerance(count), 'failure')}, the same as {_plural(count - 1, 'manager')} "
                f"(quorum {quorum(count - 1)}), so group '{manager_group}' should have an odd number of managers."
            )
            (errors if strict else warnings).append(message)
        if count > max_managers:
            warnings.append(
                f"{count} managers exceed the recommended maximum of {max_managers} in group "
                f"'{manager_group}', and every Raft write must wait for a quorum of {quorum(count)} "
                f"managers, which increases write latency."
            )

    return {"errors": errors, "warnings": warnings}
