# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""HAProxy's runtime API, the pure half: read "show servers state", decide the commands.

The load balancers name a node's server after the node in every backend
(_swarm_lb.server_name), so "the servers of node X" are the servers of that
name in all backends. A server's administrative state is a bit mask
(HAProxy's management guide, "show servers state"): forced maintenance (set
from the runtime API, kept across reloads by the server state file),
maintenance from the configuration ("disabled"), drain. Pure: no I/O.
"""

from __future__ import annotations

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_lb import server_name
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError

# srv_admin_state bits
FMAINT, IMAINT, CMAINT, FDRAIN, IDRAIN, RMAINT = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
MAINT_MASK = FMAINT | IMAINT | RMAINT
OPERATIONAL = {0: "DOWN", 1: "STARTING", 2: "UP", 3: "STOPPING"}
STATES = ("ready", "drain", "maint")


class HAProxyError(SwarmOpsError):
    """What HAProxy answered can not be read, or it refused a command."""


def parse_servers_state(text: str) -> list[dict]:
    """The servers of "show servers state" (format 1), one dict each.

    Keys: ``backend``, ``server``, ``address``, ``port``, ``operational``
    (DOWN, STARTING, UP, STOPPING), ``admin`` (the raw mask), ``state`` (what
    the admin mask amounts to: maint, drain or ready), ``configured_maint``
    (``disabled`` in the configuration), ``seconds_since_change``.
    """
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise HAProxyError("HAProxy answered nothing to 'show servers state'")
    if lines[0] != "1":
        raise HAProxyError(f"HAProxy's servers state is in format {lines[0]!r}; this collection reads format 1")
    header = None
    servers = []
    for line in lines[1:]:
        if line.startswith("#"):
            header = line.lstrip("# ").split()
            continue
        if header is None:
            raise HAProxyError("HAProxy's servers state has no header line")
        values = dict(zip(header, line.split()))
        try:
            admin = int(values["srv_admin_state"])
            operational = int(values["srv_op_state"])
            servers.append({
                "backend": values["be_name"],
                "server": values["srv_name"],
                "address": values.get("srv_addr", ""),
                "port": int(values.get("srv_port", 0) or 0),
                "operational": OPERATIONAL.get(operational, str(operational)),
                "admin": admin,
                "state": admin_state(admin),
                "configured_maint": bool(admin & CMAINT),
                "seconds_since_change": int(values.get("srv_time_since_last_change", 0) or 0),
            })
        except (KeyError, ValueError) as exc:
            raise HAProxyError(f"HAProxy's servers state line can not be read ({exc}): {line}") from exc
    return servers


def admin_state(admin: int) -> str:
    if admin & MAINT_MASK:
        return "maint"
    if admin & (FDRAIN | IDRAIN):
        return "drain"
    return "ready"


def plan_commands(servers: list[dict], nodes: list[str], state: str) -> dict:
    """The runtime commands that put the servers of ``nodes`` (node hostnames) in ``state`` on every backend.

    ``maint`` takes a server out of rotation and stops its checks, ``drain``
    stops new traffic but keeps checking, ``ready`` puts it back (HAProxy's
    "set server ... state"). A server that is in maintenance because the
    configuration says so ("disabled": its node is drained or paused in the
    swarm) is not made ready here: rendering the backends once the node is
    active lifts that. Returns ``commands`` (in order), ``changed`` (the
    servers that change, as ``backend/server``), ``kept`` (those left in the
    configuration's maintenance) and ``absent`` (the nodes that have no server
    here: nothing to do for them on this load balancer).
    """
    if state not in STATES:
        raise HAProxyError(f"state must be one of {', '.join(STATES)}, not {state!r}")
    names = {server_name(n): n for n in nodes}
    forced = {"maint": FMAINT, "drain": FDRAIN, "ready": 0}[state]
    commands, changed, kept, present = [], [], [], set()
    for server in servers:
        if server["server"] not in names:
            continue
        present.add(names[server["server"]])
        target = f"{server['backend']}/{server['server']}"
        if state != "maint" and server["configured_maint"]:
            kept.append(target)
            continue
        if server["admin"] & (FMAINT | FDRAIN) == forced:
            continue
        commands.append(f"set server {target} state {state}")
        changed.append(target)
    return {"commands": commands, "changed": changed, "kept": kept, "absent": sorted(set(nodes) - present)}


def summarize(servers: list[dict]) -> dict:
    """Per backend, per server: "UP", "DOWN", "MAINT" or "DRAIN" (what the statistics page shows)."""
    result = {}
    for server in servers:
        shown = {"maint": "MAINT", "drain": "DRAIN"}.get(server["state"], server["operational"])
        result.setdefault(server["backend"], {})[server["server"]] = shown
    return result
