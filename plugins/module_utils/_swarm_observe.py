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

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError

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


def qualifying_managers(
    candidates,
    swarms: Mapping,
    exclude=(),
    avoid=(),
    quorum: bool = True,
    unobserved=(),
) -> tuple[list[str], dict[str, str]]:
    """The candidates a run can work through, best first, and why each other one can not.

    ``swarms``: host to its swarm section (``host_swarm``); a host missing from it
    did not answer.  ``exclude``: hosts never chosen (a node being stopped).
    ``avoid``: hosts that come last, after every other one that qualifies (a
    node being maintained: its own drain would be judged by itself).
    ``quorum``: the manager must have quorum (every change does; a recovery from
    quorum loss does not).  Returns ``(hosts, reasons)``: ``reasons`` maps each
    refused candidate to why.
    """
    reasons: dict[str, str] = {}
    chosen, last = [], []
    for host in dict.fromkeys(candidates):
        if host in exclude:
            reasons[host] = "is excluded"
        elif host in unobserved:
            reasons[host] = "was not observed in this play"
        elif why := manager_refusal(swarms.get(host), quorum=quorum):
            reasons[host] = why
        else:
            (last if host in avoid else chosen).append(host)
    return chosen + last, reasons


def choose_manager(candidates, swarms: Mapping, **options) -> tuple[str | None, dict[str, str]]:
    """The first of ``qualifying_managers`` (``None`` when none qualifies), and why each refused one could not."""
    hosts, reasons = qualifying_managers(candidates, swarms, **options)
    if hosts and hosts[0] not in options.get("avoid", ()):
        # Only the candidates before the chosen one matter to the reader.
        order = list(dict.fromkeys(candidates))
        reasons = {h: why for h, why in reasons.items() if order.index(h) < order.index(hosts[0])}
    return (hosts[0] if hosts else None), reasons


# What an API call through a manager says when that manager, not the request,
# is the problem: its engine or its host went away, or its swarm has no Raft
# leader (an election is under way, or the quorum is lost).
_LOST_MANAGER_SIGNS = (
    "does not have a leader",
    "no leader",
    "not a swarm manager",
    "not part of a swarm",
    "error connecting",
    "cannot connect to the docker daemon",
    "connection aborted",
    "connection refused",
    "context deadline exceeded",
    "read timed out",
)


def manager_lost(result) -> str:
    """Why a step through a manager got no answer from it (a sentence without subject); empty when it answered.

    The same rule tells whether any host answered a probe (site.yml's first play).

    ``result``: one registered result of a step delegated to the manager.  A
    step that answered, even with a refusal, is the answer to heed; one whose
    host did not answer, whose module died before it could say anything, or
    whose engine or swarm could not serve the request is to be asked of
    another manager.  The step's ``failed_when`` turns ``failed`` off for a lost
    manager (so that the loop goes on), so a result it judged
    (``failed_when_result``) is read by its message too.
    """
    if not isinstance(result, Mapping):
        return ""
    msg = str(result.get("msg") or "").strip()
    first = msg.splitlines()[0] if msg else ""
    if result.get("unreachable"):
        return f"does not answer ({first or 'unreachable'})"
    if not (result.get("failed") or "failed_when_result" in result) or not msg:
        return ""
    # ansible-core before 2.19 says MODULE FAILURE; later ones that the result could not be read.
    if msg.startswith(("MODULE FAILURE", "Module result deserialization failed")):
        said = str(result.get("module_stderr") or "").strip()
        said = said.splitlines()[0] if said else ""
        # A stopped container over the docker connection with pipelining: the module never started.
        return f"died in the middle of the step (rc {result.get('rc', '?')}" + (f": {said})" if said else ")")
    if any(sign in msg.lower() for sign in _LOST_MANAGER_SIGNS):
        return f"could not serve the step ({first})"
    return ""


def not_root(result) -> str:
    """Why a host can not do the roles' work as root (a sentence without subject); empty when it can.

    ``result``: the registered result of ``id -u`` run with become (site.yml's
    first play, on each host that answers).  The roles install packages and
    manage the Docker engine: every host must be root or become root.  A
    skipped probe (a host that did not answer) is judged elsewhere: empty.
    """
    if not isinstance(result, Mapping) or result.get("skipped"):
        return ""
    msg = str(result.get("msg") or "").strip()
    stderr = str(result.get("stderr") or result.get("module_stderr") or "").strip()
    said = (msg or stderr).splitlines()[0].strip() if (msg or stderr) else ""
    if result.get("unreachable"):
        return f"does not answer ({said or 'unreachable'})"
    uid = str(result.get("stdout") or "").strip()
    if result.get("rc") == 0 and uid == "0":
        return ""
    if result.get("rc") == 0 and uid.isdigit():
        return (f"runs the tasks as uid {uid}, not root: become is off for it (ansible_become false?) or makes it "
                f"another user (become_user)")
    # sudo that asks for a password, a become method that is missing, an id that failed.
    return f"could not become root ({said or 'rc ' + str(result.get('rc', '?'))})"


def managers_left(step, managers) -> list[str]:
    """The managers to go on through after a step tried them in turn: the one that answered first.

    ``step``: the step's registered result (a loop over the managers that stops
    at the first answer); ``managers``: the list it looped over.  Managers whose
    host did not answer, or whose module died, are dropped; one that could not
    serve the step (no Raft leader yet) stays, after the one that answered.  A
    skipped step leaves the list as it is.  Raises ``SwarmOpsError`` naming each
    manager tried and why when none answered.
    """
    managers = list(dict.fromkeys(managers))
    if not isinstance(step, Mapping) or step.get("skipped") or "results" not in step:
        return managers
    lost: dict[str, str] = {}
    for item in step.get("results") or []:
        host = item.get(item.get("ansible_loop_var") or "item")
        why = manager_lost(item)
        if not why:
            gone = {h for h, w in lost.items() if not w.startswith("could not serve")}
            return [host] + [m for m in managers if m != host and m not in gone]
        lost[host] = why
    raise SwarmOpsError("no manager with quorum answered: " + (explain(lost) or "there was no manager to ask"))


def explain(reasons: Mapping) -> str:
    """``manager1 does not answer; manager2 is a worker``."""
    return "; ".join(f"{host} {why}" for host, why in reasons.items())
