#!/usr/bin/python
# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: swarm_node_drain
short_description: Drain a swarm node with health gates, or bring it back and rebalance
version_added: 0.1.0
description:
  - O(state=drained) moves the work off a node without losing capacity, then drains it. For each replicated
    service with tasks on the node, all of them at once, it adds a temporary placement constraint
    C(node.id!=<node>) applied as an update with order C(start-first) and parallelism 1, and waits until every one
    of them is converged and healthy (the gate of M(swarmops.ha.swarm_wait)), so every replacement is healthy before
    the task it replaces stops. The services move together because the plan places all their tasks together and no
    service waits for another; each service still replaces one task at a time. Then it sets the node to C(drain)
    (only global tasks are left to stop), waits until the node runs no task,
    and removes the temporary constraints. Swarm does not restart a task because of a placement change its node still
    satisfies, so nothing moves back.
  - Before it changes anything it checks that the other active nodes can hold every moved task under the service's
    constraints, C(max_replicas_per_node), host-mode published ports (one task per node and port) and resource
    reservations, and refuses with the numbers when they can not. It also refuses when a service to move is not
    converged and healthy to begin with. A manager that has just become leader reports every node as C(unknown)
    until it hears from it; the module plans only once no node is C(unknown) (within O(wait_timeout)).
  - A service that publishes a port in host mode can not start its replacement on a node that already holds the port;
    the plan places it on a node that does not, and says so (C(note) in RV(plan)).
  - O(state=active) sets the node back to C(active), removes any temporary constraint an interrupted drain left, and
    with O(rebalance=true) replaces the tasks of the services whose tasks per eligible node differ by more than one
    (Swarm never rebalances by itself), all those services at once, each one task at a time with start-first, gated
    on health together.
  - If a move fails, the module puts back the services it had moved so far (the node stays active) and fails with
    the diagnosis.
  - Swarm waits, with no time limit, for a replacement it started to run. When the node a replacement of a move or a
    rebalance went to goes down before it ran, the update would wait until that node is back. Once no other task of
    the service's current spec is still starting on a node that is up (the task Swarm starts again elsewhere runs,
    healthy), the module starts the update again (a new value of the service label C(io.swarmops.drain.nudge), no
    change to its tasks), so it goes on without the lost node (RV(restarted)).
author: swarmops.ha contributors (@swarmops)
extends_documentation_fragment:
  - swarmops.ha.docker_api
  - swarmops.ha.swarm_wait
attributes:
  check_mode:
    support: full
    description: Returns the plan (moves, stops, problems) and changes nothing.
  diff_mode:
    support: full
    description: The node's availability before and after.
options:
  node:
    description: The node, by hostname, ID or unique ID prefix.
    type: str
    required: true
  state:
    description:
      - V(drained) moves the work off the node and drains it.
      - V(active) makes it available again.
    type: str
    choices: [drained, active]
    default: drained
  rebalance:
    description: With O(state=active), spread the services whose tasks per node differ by more than one.
    type: bool
    default: true
  wait_timeout:
    default: 600
  min_healthy_time:
    description:
      - Seconds every task of a moved service must have been running (and so healthy, for a task with a health
        check) without a break before the move is done.
      - A drain moves tasks of a spec that already runs and proved itself when it was deployed (the deploy gate of
        M(swarmops.ha.swarm_stack) watches a new spec for as long as its health check needs to catch a revision that
        dies after warm-up). A replacement only has to come up healthy, so this gate is short by default; set
        it higher, or to the watch that M(swarmops.ha.swarm_stack) returns in its C(health) result, to watch each
        replacement longer.
      - Swarm monitors each replacement of a move for as long (the C(Monitor) of the temporary update settings,
        which pause the move on a failure), instead of the service's own monitor, sized for new revisions; the
        service's update settings come back when the node is active again. Null keeps the service's monitor and
        gates on each service's own health check.
    type: int
    default: 5
requirements:
  - Docker API >= 1.25
notes:
  - Runs on a swarm manager; to drain a manager, run it on another manager.
seealso:
  - module: swarmops.ha.swarm_wait
"""

EXAMPLES = r"""
- name: Move the work off worker1, gated on health, then drain it
  swarmops.ha.swarm_node_drain:
    node: worker1
  delegate_to: manager1

- name: Show what a drain would move (check mode)
  swarmops.ha.swarm_node_drain:
    node: worker1
  check_mode: true
  register: drain_plan

- name: Bring worker1 back and rebalance the services that are off by more than one task per node
  swarmops.ha.swarm_node_drain:
    node: worker1
    state: active
"""

RETURN = r"""
node:
  description: Hostname of the node.
  returned: always
  type: str
node_id:
  description: ID of the node.
  returned: always
  type: str
availability:
  description: The node's availability at the end.
  returned: always
  type: str
plan:
  description:
    - With O(state=drained), what the drain moves. C(moves) lists, per replicated service with tasks on the node,
      C(service), C(tasks), C(order), C(host_ports), C(to) (where the scheduler is expected to put them) and C(note).
      C(stops) lists the global services whose task on the node just stops. C(problems) says why the other nodes can
      not take the tasks (empty when they can).
    - With O(state=active), C(rebalance) lists the services to spread, with their tasks per node.
  returned: always
  type: dict
summary:
  description: With O(state=drained), the plan in one line (what moves where, what stops, or why it is refused).
  returned: when O(state=drained)
  type: str
  sample: "move demo_web (1 task to worker2); then drain worker1"
moved:
  description: Services whose tasks were moved off the node.
  returned: success
  type: list
  elements: str
restarted:
  description: Services whose move or rebalance waited on a node that went down, and whose update was started again.
  returned: success
  type: list
  elements: str
rebalanced:
  description: Services whose tasks were spread again.
  returned: success
  type: list
  elements: str
elapsed:
  description: Seconds the module took.
  returned: always
  type: float
diagnosis:
  description: Why a move or rebalance failed, per service with the failing tasks.
  returned: failure
  type: str
"""

import time
import traceback

from ansible_collections.swarmops.ha.plugins.module_utils._docker_client import DockerException, RequestException, docker_api_client

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_api import read_state, wait_for_services
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import diagnosis
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import (
    SwarmOpsError,
    node_availability,
    node_hostname,
    node_is_up,
    node_state,
    service_name,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_drain import (
    describe_drain,
    excluded_nodes,
    find_node,
    nodes_not_yet_known,
    plan_drain,
    plan_rebalance,
    spec_excluding,
    spec_forced,
    spec_nudged,
    spec_restored,
    stalled_moves,
    tasks_on,
)


class NodeDrain:
    def __init__(self, client):
        self.client = client
        self.params = client.module.params
        self.started = time.monotonic()
        self.nudged = {}  # the task a restarted update waited on: the service's name

    # Reads and writes ------------------------------------------------------------
    def service(self, service_id):
        return self.client.get_json("/services/{0}", service_id)

    def update_service(self, service_id, change):
        service = self.service(service_id)
        spec = change(service["Spec"])
        if spec is None:
            return False
        self.client.post_json("/services/{0}/update", service_id, data=spec,
                              params={"version": service["Version"]["Index"]})
        return True

    def node(self, node_id):
        return self.client.get_json("/nodes/{0}", node_id)

    def set_availability(self, node_id, availability):
        node = self.node(node_id)
        spec = dict(node["Spec"], Availability=availability)
        self.client.post_json("/nodes/{0}/update", node_id, data=spec, params={"version": node["Version"]["Index"]})

    def gate(self, service_ids, what, seen=None):
        result = wait_for_services(self.client, self.params, names=list(service_ids), stop_on_failure=True,
                                   attempt_since=time.time(), seen=seen)
        if not result.converged:
            text = diagnosis(result.evaluation)
            raise SwarmOpsError(f"{what}:\n{text}", diagnosis=text)

    def unstall(self, services, tasks, nodes):
        """Start again, once per task waited on, an update of this run that waits on a node that went down."""
        names = {s["ID"]: service_name(s) for s in services}
        for service_id, task_id in stalled_moves(services, tasks, nodes).items():
            if task_id in self.nudged:
                continue
            try:
                self.update_service(service_id, spec_nudged)
            except (DockerException, RequestException):
                continue  # the service changed meanwhile, or the manager did not answer: the next read tries again
            self.nudged[task_id] = names[service_id]

    def unstall_moves(self, services, tasks, nodes):
        """The same for a move an earlier run left going (a service with a temporary exclusion), and only that:
        a run that went on through another manager after the one it worked through died in the middle of a move."""
        self.unstall([s for s in services if excluded_nodes(s)], tasks, nodes)

    def restarted(self):
        """The services whose update was started again, by name."""
        return sorted(set(self.nudged.values()))

    def poll(self, predicate, what):
        deadline = time.monotonic() + self.params["wait_timeout"]
        while True:
            ok, seen = predicate()
            if ok:
                return
            if time.monotonic() >= deadline:
                raise SwarmOpsError(f"Timed out after {self.params['wait_timeout']}s waiting for {what}; last seen: {seen}")
            time.sleep(self.params["poll_interval"])

    def known_state(self):
        """The services, tasks and nodes, once the leader knows the state of every node (a plan needs it)."""
        read = {}

        def known():
            read["state"] = read_state(self.client)
            unknown = nodes_not_yet_known(read["state"][2])
            return not unknown, f"nodes in state unknown (a new leader has not heard from them yet): {unknown}"

        self.poll(known, "the leader to know every node's state")
        return read["state"]

    def elapsed(self):
        return round(time.monotonic() - self.started, 1)

    # Drained ---------------------------------------------------------------------
    def drain(self):
        services, tasks, nodes = self.known_state()
        plan = plan_drain(self.params["node"], services, tasks, nodes)
        target = find_node(nodes, self.params["node"])
        target_id, before = target["ID"], node_availability(target)
        leftovers = [s["ID"] for s in services if target_id in excluded_nodes(s)]
        result = dict(node=plan["node"], node_id=target_id, plan=plan, summary=describe_drain(plan), moved=[],
                      restarted=[], rebalanced=[], diff=dict(before=dict(availability=before), after=dict(availability="drain")))
        if before == "drain" and not plan["moves"] and not tasks_on(target_id, tasks) and not leftovers:
            return dict(result, changed=False, availability="drain")
        if plan["problems"] and before != "drain":
            raise SwarmOpsError(
                f"Refusing to drain {plan['node']}: the other active nodes ({len(plan['remaining_nodes'])}: "
                f"{', '.join(plan['remaining_nodes']) or 'none'}) can not hold its tasks; nothing was changed.\n- "
                + "\n- ".join(plan["problems"]), plan=plan)
        if self.client.module.check_mode:
            return dict(result, changed=True, availability="drain")

        to_move = [m["service_id"] for m in plan["moves"]]
        if to_move and before != "drain":
            self.gate(to_move, f"Not draining {plan['node']}: services to move are not converged and healthy "
                               "now; nothing was changed", seen=self.unstall_moves)
        # Every service moves at once, each by its own start-first update (one task at a time), and the gate
        # waits for all of them: the plan placed every moved task together, and no service waits for another.
        moved = [] if before == "drain" else plan["moves"]  # Already draining: Swarm is moving the rest itself.
        for move in moved:
            self.update_service(move["service_id"],
                                lambda spec: spec_excluding(spec, target_id, self.params["min_healthy_time"]))
        if moved:
            names = ", ".join(m["service"] for m in moved)
            try:
                self.gate([m["service_id"] for m in moved],
                          f"Moving {names} off {plan['node']} failed; the services moved were put back and the "
                          "node is still active", seen=self.unstall)
            except SwarmOpsError:
                for done in moved:
                    self.update_service(done["service_id"], lambda spec: spec_restored(spec, target_id))
                raise
        if before != "drain":
            self.set_availability(target_id, "drain")

        def empty():
            left = tasks_on(target_id, read_state(self.client)[1])
            return not left, f"{len(left)} task(s) still on {plan['node']}"

        self.poll(empty, f"{plan['node']} to run no task")
        restored = [m["service_id"] for m in moved] + [s for s in leftovers if s not in [m["service_id"] for m in moved]]
        for service_id in restored:
            self.update_service(service_id, lambda spec: spec_restored(spec, target_id))
        if restored:
            self.gate(restored, "Services did not stay converged when the temporary constraints were removed")
        return dict(result, changed=True, availability="drain", moved=[m["service"] for m in moved],
                    restarted=self.restarted())

    # Active ------------------------------------------------------------------------
    def activate(self):
        services, tasks, nodes = read_state(self.client)
        target = find_node(nodes, self.params["node"])
        target_id, before = target["ID"], node_availability(target)
        leftovers = [s["ID"] for s in services if target_id in excluded_nodes(s)]
        changed = before != "active" or bool(leftovers)
        result = dict(node=node_hostname(target), node_id=target_id, moved=[], restarted=[],
                      rebalanced=[], availability="active",
                      diff=dict(before=dict(availability=before), after=dict(availability="active")))
        check = self.client.module.check_mode
        if changed and not check:
            if before != "active":
                self.set_availability(target_id, "active")
            for service_id in leftovers:
                self.update_service(service_id, lambda spec: spec_restored(spec, target_id))
        if not self.params["rebalance"]:
            return dict(result, changed=changed, plan=dict(rebalance=[]))

        def ready():
            node = self.node(target_id)
            return node_is_up(node), f"node state {node_state(node)}"

        if not check:
            self.poll(ready, f"{result['node']} to be ready before rebalancing")
            services, tasks, nodes = self.known_state()
        elif before != "active":
            nodes = [dict(n, Spec=dict(n.get("Spec") or {}, Availability="active")) if n["ID"] == target_id else n
                     for n in nodes]
        # A service another drain is moving is left to that drain.
        plan = [p for p in plan_rebalance(services, tasks, nodes)
                if not excluded_nodes(next(s for s in services if s["ID"] == p["service_id"]))]
        result["plan"] = dict(rebalance=plan)
        if check:
            return dict(result, changed=changed or bool(plan))
        # As in a drain, every service to spread is replaced at once, each one task at a time, gated together.
        forced = []
        try:
            for item in plan:
                self.update_service(item["service_id"], lambda spec: spec_forced(spec, self.params["min_healthy_time"]))
                forced.append(item)
            if forced:
                self.gate([item["service_id"] for item in forced],
                          f"Rebalancing {', '.join(item['service'] for item in forced)} failed", seen=self.unstall)
        finally:
            for item in forced:
                self.update_service(item["service_id"], spec_restored)
        result["rebalanced"] = [item["service"] for item in forced]
        return dict(result, changed=changed or bool(plan), restarted=self.restarted())


def main():
    argument_spec = dict(
        node=dict(type="str", required=True),
        state=dict(type="str", default="drained", choices=["drained", "active"]),
        rebalance=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        poll_interval=dict(type="int", default=2),
        min_healthy_time=dict(type="int", default=5),
    )
    client = docker_api_client("swarmops.ha.swarm_node_drain", argument_spec=argument_spec, supports_check_mode=True)
    drain = NodeDrain(client)
    try:
        if client.module.params["state"] == "drained":
            result = drain.drain()
        else:
            result = drain.activate()
    except SwarmOpsError as exc:
        client.fail(str(exc), elapsed=drain.elapsed(), **exc.extra)
    except (DockerException, RequestException) as exc:
        client.fail(f"Docker API error while changing node {client.module.params['node']}: {exc}",
                    exception=traceback.format_exc(), elapsed=drain.elapsed())
    if not client.module._diff:
        result.pop("diff", None)
    client.module.exit_json(elapsed=drain.elapsed(), **result)


if __name__ == "__main__":
    main()
