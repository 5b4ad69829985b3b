# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""What the hosts' engines say of the swarm, and the manager a run works through.

One observation feeds every role and playbook: the result of
community.docker's docker_host_info on each host (GET /info), registered as
``docker_engine_observed`` by the docker_engine role's ``observe.yml``.  Its
``host_info.Swarm`` holds what ``docker info`` prints of the swarm:
``LocalNodeState``, ``NodeID``, ``NodeAddr``, ``ControlAvailable`` (this host is
a manager), ``Error`` and ``Nodes``.

A manager has quorum when it can list the nodes: the engine sets ``Nodes`` from
that list and ``Error`` when listing fails, as it does while the swarm has no
Raft leader.  Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

# The name observe.yml registers its result under.
OBSERVED_VAR = "docker_engine_observed"


def host_swarm(result) -> dict | None:
    """The swarm section of one host's observation; ``None`` when the host or its engine did not answer.

    A host whose observation was skipped (check mode, before its engine is
    installed) is in no swarm yet: ``{}``.
    """
    if not isinstance(result, Mapping) or result.get("unreachable"):
        return None
    if result.get("skipped"):
        return {}
    if result.get("failed") or not result.get("can_talk_to_docker", True):
        return None
    info = result.get("host_info")
    if not isinstance(info, Mapping):
        return None
    swarm = info.get("Swarm")
    return dict(swarm) if isinstance(swarm, Mapping) else {}


def local_state(swarm: Mapping | None) -> str:
    """``active``, ``pending``, ``locked``, ``error`` or ``inactive`` (in no swarm)."""
    return str((swarm or {}).get("LocalNodeState") or "inactive").lower()


def role_of(swarm: Mapping | None) -> str:
    """``manager`` or ``worker`` for an active node, else its state (``inactive``, ``pending``, ``locked``,
    ``error``), or ``unanswered`` when the host did not answer."""
    if swarm is None:
        return "unanswered"
    state = local_state(swarm)
    if state != "active":
        return state
    return "manager" if swarm.get("ControlAvailable") else "worker"


def has_quorum(swarm: Mapping | None) -> bool:
    """This host is an active manager that could list the swarm's nodes when it was observed."""
    swarm = swarm or {}
    return bool(
        local_state(swarm) == "active"
        and swarm.get("ControlAvailable")
        and not swarm.get("Error")
        and isinstance(swarm.get("Nodes"), int)
        and swarm["Nodes"] > 0
    )


def manager_refusal(swarm: Mapping | None, quorum: bool = True) -> str | None:
    """Why a run can not work through this host (a sentence without subject), or ``None`` when it can."""
    if swarm is None:
        return "does not answer"
    state = local_state(swarm)
    if state == "inactive":
        return "is in no swarm"
    if state != "active":
        return f"is {state} in the swarm" + (f" ({swarm['Error']})" if swarm.get("Error") else "")
    if not swarm.get("ControlAvailable"):
        return "is a worker"
    if quorum and not has_quorum(swarm):
        return "is a manager without quorum" + (f" ({swarm['Error']})" if swarm.get("Error") else "")
    return None


def choose_manager(
    candidates,
    swarms: Mapping,
    exclude=(),
    avoid=(),
    quorum: bool = True,
    unobserved=(),
) -> tuple[str | None, dict[str, str]]:
    """The first candidate a run can work through, and why each one before it could not.

    ``swarms``: host to its swarm section (``host_swarm``); a host missing from it
    did not answer.  ``exclude``: hosts never chosen (a node being stopped).
    ``avoid``: hosts chosen only when no other qualifies (a node being
    maintained: its own drain would be judged by itself).  ``quorum``: the
    manager must have quorum (every change does; a recovery from quorum loss
    does not).  Returns ``(host, reasons)``: ``host`` is ``None`` when none
    qualifies, ``reasons`` maps each refused candidate to why.
    """
    reasons: dict[str, str] = {}
    fallback = None
    for host in dict.fromkeys(candidates):
        if host in exclude:
            reasons[host] = "is excluded"
            continue
        if host in unobserved:
            reasons[host] = "was not observed in this play"
            continue
        why = manager_refusal(swarms.get(host), quorum=quorum)
        if why:
            reasons[host] = why
        elif host in avoid:
            fallback = fallback or host
        else:
            return host, reasons
    return fallback, reasons


def explain(reasons: Mapping) -> str:
    """``manager1 does not answer; manager2 is a worker``."""
    return "; ".join(f"{host} {why}" for host, why in reasons.items())
