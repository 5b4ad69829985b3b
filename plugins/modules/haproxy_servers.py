#!/usr/bin/python
# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_servers
short_description: Put the HAProxy servers of swarm nodes in maintenance or back to ready (runtime API)
version_added: 0.1.0
description:
  - Runs on a load balancer host of the swarmops.ha.loadbalancer role, which names a node's servers after the node in
    every backend. With O(state), it sets the servers of the given O(nodes) to that state in every backend, through
    HAProxy's runtime API (the admin socket). V(maint) takes them out of rotation before a planned stop, V(ready) puts
    them back. A server in maintenance because the configuration says so (its node is drained or paused in the swarm)
    is not made ready here; rendering the backends once the node is active again does that.
  - After a change, and whenever O(save_state=true), it writes HAProxy's server state file, which HAProxy reads when it
    is reloaded, so a reload does not put a server in maintenance back in rotation, nor forget which servers are down.
  - Without O(state), it only reads, and returns the servers' states. When HAProxy does not run (its socket is
    missing or refuses), that is not an error then (RV(running) is false, and there is no state to save).
author: swarmops.ha contributors (@swarmops)
attributes:
  check_mode:
    support: full
    description: Returns the commands it would send and sends none.
  diff_mode:
    support: full
    description: The state of each server it changes, before and after.
options:
  nodes:
    description: Hostnames of the swarm nodes whose servers to change. A node that has no server on this load balancer
      is returned in RV(absent) and is not an error.
    type: list
    elements: str
    default: []
  state:
    description: The state to put the servers in; omitted, nothing is changed.
    type: str
    choices: [ready, drain, maint]
  socket:
    description: HAProxy's admin socket (C(stats socket ... level admin)).
    type: path
    default: /run/haproxy/admin.sock
  state_file:
    description: HAProxy's C(server-state-file); empty to write none.
    type: path
    default: /var/lib/haproxy/server-state
  save_state:
    description: Write O(state_file) even when no server changes (before a reload of HAProxy).
    type: bool
    default: false
  timeout:
    description: Seconds to wait for each answer of the admin socket.
    type: int
    default: 10
requirements:
  - HAProxy 2.0 or later with an admin-level stats socket.
"""

EXAMPLES = r"""
- name: Take worker1 out of rotation on this load balancer before it is drained
  swarmops.ha.haproxy_servers:
    nodes: [worker1]
    state: maint

- name: Put it back once its tasks are healthy again
  swarmops.ha.haproxy_servers:
    nodes: [worker1]
    state: ready

- name: Read the servers' states
  swarmops.ha.haproxy_servers:
  register: lb
"""

RETURN = r"""
servers:
  description: Per backend, per server, what the statistics page shows (UP, DOWN, MAINT, DRAIN, STARTING, STOPPING),
    after the change.
  returned: always
  type: dict
  sample: {"be_demo_web_8080": {"manager1": "UP", "worker1": "MAINT", "worker2": "DOWN"}}
commands:
  description: The runtime commands sent (in check mode, that would be sent).
  returned: always
  type: list
  elements: str
changed_servers:
  description: The servers changed, as C(backend/server).
  returned: always
  type: list
  elements: str
kept:
  description: Servers left in the maintenance their configuration sets (their node is drained or paused).
  returned: always
  type: list
  elements: str
absent:
  description: Nodes of O(nodes) that have no server on this load balancer.
  returned: always
  type: list
  elements: str
running:
  description: Whether HAProxy answered on its admin socket.
  returned: always
  type: bool
"""

import os
import socket
import tempfile
import traceback

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.swarmops.ha.plugins.module_utils._haproxy import (
    HAProxyError,
    parse_servers_state,
    plan_commands,
    summarize,
)


class AdminSocket:
    def __init__(self, path, timeout):
        self.path = path
        self.timeout = timeout

    def ask(self, command):
        """One command in HAProxy's non-interactive mode: it answers and closes the connection."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(self.timeout)
            conn.connect(self.path)
            conn.sendall(command.encode() + b"\n")
            chunks = []
            while True:
                data = conn.recv(65536)
                if not data:
                    break
                chunks.append(data)
        return b"".join(chunks).decode("utf-8", "replace")

    def servers_state(self):
        return self.ask("show servers state")


def save_state(path, text):
    """Write the state file in one move, so that HAProxy never reads half of it."""
    directory = os.path.dirname(path) or "."
    handle, temporary = tempfile.mkstemp(prefix=".server-state.", dir=directory)
    try:
        with os.fdopen(handle, "w") as stream:
            stream.write(text)
        os.chmod(temporary, 0o640)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def main():
    module = AnsibleModule(
        argument_spec=dict(
            nodes=dict(type="list", elements="str", default=[]),
            state=dict(type="str", choices=["ready", "drain", "maint"]),
            socket=dict(type="path", default="/run/haproxy/admin.sock"),
            state_file=dict(type="path", default="/var/lib/haproxy/server-state"),
            save_state=dict(type="bool", default=False),
            timeout=dict(type="int", default=10),
        ),
        supports_check_mode=True,
    )
    params = module.params
    admin = AdminSocket(params["socket"], params["timeout"])
    result = dict(changed=False, commands=[], changed_servers=[], kept=[], absent=[], running=True)
    try:
        try:
            text = admin.servers_state()
        except (FileNotFoundError, ConnectionRefusedError):
            if params["state"]:
                raise
            result["running"] = False
            module.exit_json(servers={}, **result)
        servers = parse_servers_state(text)
        if params["state"]:
            plan = plan_commands(servers, params["nodes"], params["state"])
            result.update(commands=plan["commands"], changed_servers=plan["changed"], kept=plan["kept"],
                          absent=plan["absent"], changed=bool(plan["commands"]))
            if module._diff and plan["changed"]:
                before = {f"{s['backend']}/{s['server']}": s["state"] for s in servers}
                result["diff"] = dict(before={t: before[t] for t in plan["changed"]},
                                      after={t: params["state"] for t in plan["changed"]})
            if plan["commands"] and not module.check_mode:
                for command in plan["commands"]:
                    answer = admin.ask(command).strip()
                    if answer:
                        raise HAProxyError(f"HAProxy refused '{command}': {answer}")
                text = admin.servers_state()
                servers = parse_servers_state(text)
        if params["state_file"] and not module.check_mode and (result["changed"] or params["save_state"]):
            save_state(params["state_file"], text)
    except HAProxyError as exc:
        module.fail_json(msg=str(exc), **result)
    except OSError as exc:
        module.fail_json(msg=f"Can not talk to HAProxy's admin socket {params['socket']}: {exc}",
                         exception=traceback.format_exc(), **result)
    result["servers"] = summarize(servers)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
