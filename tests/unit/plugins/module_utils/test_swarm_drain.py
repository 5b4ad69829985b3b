# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the gated drain and rebalance plans (``_swarm_drain``).

Scenarios are small swarms built by the helpers below, in the shape of the
objects Docker Engine's API returns (``GET /nodes``, ``GET /services``,
``GET /tasks``), with only the fields the plans read:

- a node: ``ID``, ``Description.Hostname``, ``Description.Resources``
  (NanoCPUs, MemoryBytes), ``Spec.Availability``, ``Spec.Role``,
  ``Spec.Labels``, ``Status.State``;
- a service: ``ID``, ``Spec.Name``, ``Spec.Mode`` (Replicated.Replicas or
  Global), ``Spec.TaskTemplate`` (Placement.Constraints/MaxReplicas,
  Resources.Reservations), ``Spec.EndpointSpec.Ports`` (PublishMode host or
  ingress), ``Spec.Labels``, ``Spec.UpdateConfig``;
- a task: ``ID``, ``ServiceID``, ``NodeID``, ``DesiredState``,
  ``Status.State`` and ``Spec`` (a copy of its service's TaskTemplate).

The default swarm is manager1 and worker1-3, each with 4 CPUs and 8 GiB.
Also covered here: the placement-only rule of ``task_runs_current_spec`` in
``_swarm_convergence``, on which the drain relies to remove its temporary
constraints without restarting anything.
"""

from __future__ import annotations

import ast
import copy
import hashlib
import itertools
import json
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils import _swarm_drain
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import (
    evaluate_service,
    task_runs_current_spec,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_drain import (
    EXCLUDED_LABEL,
    MOVE_UPDATE_CONFIG,
    SAVED_LABEL,
    DrainError,
    capacity,
    describe_drain,
    exclusion_constraint,
    excluded_nodes,
    find_node,
    host_ports,
    max_replicas_per_node,
    node_availability,
    node_name,
    nodes_not_yet_known,
    plan_drain,
    plan_rebalance,
    reservations,
    scheduled_tasks,
    spec_excluding,
    spec_forced,
    spec_nudged,
    spec_restored,
    spread,
    stalled_moves,
    tasks_on,
)

GIB = 1024 ** 3
CPU = 10 ** 9
STACK_LABELS = {"com.docker.stack.namespace": "demo"}
_task_numbers = itertools.count(1)


# -- API-shaped objects ----------------------------------------------------------
def make_id(seed: str) -> str:
    """A stable 25-character lowercase ID, like swarmkit's."""
    return hashlib.sha1(seed.encode("utf-8")).hexdigest()[:25]


def node(host, *, node_id=None, role="worker", availability="active", state="ready", labels=None,
         cpus=4 * CPU, memory=8 * GIB):
    return {
        "ID": node_id or make_id("node-" + host),
        "Version": {"Index": 31},
        "Spec": {"Labels": dict(labels or {}), "Role": role, "Availability": availability},
        "Description": {
            "Hostname": host,
            "Platform": {"Architecture": "x86_64", "OS": "linux"},
            "Resources": {"NanoCPUs": cpus, "MemoryBytes": memory},
        },
        "Status": {"State": state, "Addr": "192.168.78.10"},
    }


def port(published, mode="host", protocol="tcp", target=None):
    return {"Protocol": protocol, "TargetPort": target or published, "PublishedPort": published,
            "PublishMode": mode}


def service(name, *, replicas=1, global_=False, constraints=None, max_replicas=None, cpus=0, memory=0,
            ports=(), labels=None, update_config=None, service_id=None):
    placement = {}
    if constraints:
        placement["Constraints"] = list(constraints)
    if max_replicas:
        placement["MaxReplicas"] = max_replicas
    template = {
        "ContainerSpec": {"Image": f"swarmops/{name}:1", "Env": ["MODE=prod"]},
        "Resources": {"Limits": {}, "Reservations": {}},
        "RestartPolicy": {"Condition": "any", "Delay": 5000000000, "MaxAttempts": 0},
        "Placement": placement,
        "ForceUpdate": 0,
        "Runtime": "container",
    }
    if cpus:
        template["Resources"]["Reservations"]["NanoCPUs"] = cpus
    if memory:
        template["Resources"]["Reservations"]["MemoryBytes"] = memory
    spec = {
        "Name": name,
        "Labels": dict(STACK_LABELS, **(labels or {})),
        "TaskTemplate": template,
        "Mode": {"Global": {}} if global_ else {"Replicated": {"Replicas": replicas}},
        "EndpointSpec": {"Mode": "vip", "Ports": [dict(p) for p in ports]},
    }
    if update_config is not None:
        spec["UpdateConfig"] = copy.deepcopy(update_config)
    return {"ID": service_id or make_id("service-" + name), "Version": {"Index": 57}, "Spec": spec}


def task(svc, on, *, state="running", desired="running", spec=None):
    number = next(_task_numbers)
    return {
        "ID": f"t{number:024d}",
        "ServiceID": svc["ID"],
        "NodeID": on["ID"] if isinstance(on, dict) else on,
        "DesiredState": desired,
        "Status": {"State": state, "Timestamp": "2026-11-27T04:10:01.123456789Z", "Message": state},
        "Spec": copy.deepcopy(spec if spec is not None else svc["Spec"]["TaskTemplate"]),
    }


def default_nodes():
    return [node("manager1", role="manager"), node("worker1"), node("worker2"), node("worker3")]


class Swarm:
    """Nodes, services and tasks of one scenario."""

    def __init__(self, nodes=None):
        self.nodes = default_nodes() if nodes is None else nodes
        self.services, self.tasks = [], []

    def node(self, host):
        return next(n for n in self.nodes if n["Description"]["Hostname"] == host)

    def id(self, host):
        return self.node(host)["ID"]

    def add(self, svc, *hosts, **task_kwargs):
        """Add the service (once) and one task on each host named."""
        if svc not in self.services:
            self.services.append(svc)
        self.tasks += [task(svc, self.node(h), **task_kwargs) for h in hosts]
        return svc

    def set(self, host, **spec):
        self.node(host)["Spec"].update(spec)

    def down(self, host):
        self.node(host)["Status"]["State"] = "down"

    def drain(self, host):
        before = copy.deepcopy((self.services, self.tasks, self.nodes))
        plan = plan_drain(host, self.services, self.tasks, self.nodes)
        assert (self.services, self.tasks, self.nodes) == before, "plan_drain changed its inputs"
        return plan

    def rebalance(self):
        return plan_rebalance(self.services, self.tasks, self.nodes)


def move_of(plan, name):
    return next(m for m in plan["moves"] if m["service"] == name)


def three_nodes():
    return [node("node1"), node("node2"), node("node3")]


# -- small helpers of the module ----------------------------------------------------
class TestHelpers:
    def test_node_name_falls_back_to_the_id(self):
        assert node_name(node("worker1")) == "worker1"
        assert node_name({"ID": "abc"}) == "abc"
        assert node_name({}) == "?"

    def test_node_availability_defaults_to_active_and_is_lowercase(self):
        assert node_availability({"Spec": {}}) == "active"
        assert node_availability(node("w", availability="Drain")) == "drain"

    def test_host_ports_only_host_mode(self):
        svc = service("lb", ports=[port(443), port(8080, mode="ingress"), port(53, protocol="UDP"),
                                   {"TargetPort": 9000, "PublishMode": "host"}])
        # ingress ports and ports without a published port hold no port on a node
        assert host_ports(svc) == ["443/tcp", "53/udp"]
        assert host_ports(service("plain")) == []
        assert host_ports({"ID": "x"}) == []

    def test_reservations_capacity_max_replicas(self):
        svc = service("db", cpus=CPU // 2, memory=GIB, max_replicas=2)
        assert reservations(svc) == (CPU // 2, GIB)
        assert reservations(service("plain")) == (0, 0)
        assert max_replicas_per_node(svc) == 2
        assert max_replicas_per_node(service("plain")) == 0
        assert capacity(node("w", cpus=2 * CPU, memory=3 * GIB)) == (2 * CPU, 3 * GIB)
        assert capacity({"ID": "x"}) == (0, 0)

    def test_exclusion_constraint(self):
        assert exclusion_constraint("abc") == "node.id!=abc"

    @pytest.mark.parametrize("desired, state, scheduled", [
        ("running", "running", True),
        ("running", "starting", True),
        ("running", "assigned", True),
        ("running", "preparing", True),
        ("shutdown", "running", False),  # being stopped
        ("running", "complete", False),
        ("running", "shutdown", False),
        ("running", "failed", False),
        ("running", "rejected", False),
        ("running", "orphaned", False),
        ("running", "remove", False),
        ("Running", "Running", True),
    ])
    def test_scheduled_tasks(self, desired, state, scheduled):
        svc = service("web")
        one = task(svc, node("worker1"), desired=desired, state=state)
        assert scheduled_tasks([one]) == ([one] if scheduled else [])

    def test_unassigned_tasks_hold_no_place(self):
        svc = service("web")
        pending = task(svc, "", state="pending")
        assert scheduled_tasks([pending]) == []

    def test_tasks_on(self):
        swarm = Swarm()
        svc = swarm.add(service("web", replicas=3), "worker1", "worker1", "worker2")
        swarm.add(svc, "worker1", desired="shutdown", state="shutdown")
        assert [t["NodeID"] for t in tasks_on(swarm.id("worker1"), swarm.tasks)] == [swarm.id("worker1")] * 2
        assert tasks_on(swarm.id("worker3"), swarm.tasks) == []

    def test_excluded_nodes(self):
        assert excluded_nodes(service("web")) == []
        assert excluded_nodes(service("web", labels={EXCLUDED_LABEL: "a,b"})) == ["a", "b"]
        assert excluded_nodes(service("web", labels={EXCLUDED_LABEL: ""})) == []


# -- find_node ----------------------------------------------------------------------
class TestFindNode:
    NODES = [
        node("manager1", node_id="ab1c2d3e4f5g6h7i8j9k0l1m2", role="manager"),
        node("worker1", node_id="ab9z8y7x6w5v4u3t2s1r0q9p8"),
        node("Worker2", node_id="cd1e2f3g4h5i6j7k8l9m0n1o2"),
    ]

    @pytest.mark.parametrize("wanted, host", [
        ("manager1", "manager1"),
        ("MANAGER1", "manager1"),
        ("worker2", "Worker2"),
        ("WoRkEr2", "Worker2"),
        ("ab9z8y7x6w5v4u3t2s1r0q9p8", "worker1"),  # full ID
        ("ab9", "worker1"),  # unique prefix
        ("ab1c", "manager1"),
        ("c", "Worker2"),
    ])
    def test_found(self, wanted, host):
        assert node_name(find_node(self.NODES, wanted)) == host

    def test_unknown_name_names_the_nodes(self):
        with pytest.raises(DrainError) as error:
            find_node(self.NODES, "worker9")
        message = str(error.value)
        assert "worker9" in message
        for host in ("manager1", "worker1", "Worker2"):
            assert host in message
        assert message == "No node 'worker9' in the swarm (nodes: Worker2, manager1, worker1)"

    def test_ambiguous_prefix_names_the_nodes(self):
        with pytest.raises(DrainError) as error:
            find_node(self.NODES, "ab")
        message = str(error.value)
        assert "'ab'" in message
        assert "manager1" in message and "worker1" in message

    def test_prefix_is_case_sensitive_like_ids(self):
        with pytest.raises(DrainError):
            find_node(self.NODES, "AB9")

    def test_two_nodes_with_the_hostname(self):
        nodes = self.NODES + [node("worker1", node_id="ef0000000000000000000000a")]
        with pytest.raises(DrainError, match=r"2 nodes answer to 'worker1': use the node ID"):
            find_node(nodes, "worker1")
        assert find_node(nodes, "ef0000000000000000000000a")["ID"] == "ef0000000000000000000000a"
        assert find_node(nodes, "ab9")["ID"] == "ab9z8y7x6w5v4u3t2s1r0q9p8"

    def test_exact_name_wins_over_a_prefix(self):
        # "ab" is one node's hostname and a prefix of two other nodes' IDs
        nodes = self.NODES + [node("ab", node_id="zz0000000000000000000000a")]
        assert find_node(nodes, "ab")["ID"] == "zz0000000000000000000000a"

    def test_no_name(self):
        with pytest.raises(DrainError, match="No node given"):
            find_node(self.NODES, "")

    def test_drain_error_is_a_value_error(self):
        assert issubclass(DrainError, ValueError)

    def test_plan_drain_of_an_unknown_node(self):
        with pytest.raises(DrainError, match="No node 'nowhere'"):
            plan_drain("nowhere", [], [], default_nodes())


# -- plan_drain -----------------------------------------------------------------------
class TestPlanDrain:
    def test_moves_stops_and_remaining_nodes(self):
        swarm = Swarm()
        web = swarm.add(service("web", replicas=3), "worker1", "worker2", "worker3")
        swarm.add(service("api", replicas=2), "worker2", "worker3")  # nothing on worker1
        swarm.add(service("agent", global_=True), "manager1", "worker1", "worker2", "worker3")
        plan = swarm.drain("worker1")
        assert plan == {
            "node": "worker1",
            "node_id": swarm.id("worker1"),
            "moves": [{
                "service": "web",
                "service_id": web["ID"],
                "tasks": 1,
                "order": "start-first",
                "host_ports": [],
                "to": ["manager1"],  # the only node without a web task
            }],
            "stops": ["agent"],
            "remaining_nodes": ["manager1", "worker2", "worker3"],
            "problems": [],
        }

    def test_by_id_or_prefix(self):
        swarm = Swarm()
        swarm.add(service("web", replicas=2), "worker1", "worker2")
        by_name = swarm.drain("worker1")
        assert swarm.drain(swarm.id("worker1")) == by_name
        assert swarm.drain(swarm.id("worker1")[:8]) == by_name
        assert swarm.drain("WORKER1") == by_name

    def test_moves_are_in_service_name_order(self):
        swarm = Swarm()
        for name in ("zeta", "alpha", "mid"):
            swarm.add(service(name), "worker1")
        swarm.add(service("global_b", global_=True), "worker1")
        swarm.add(service("global_a", global_=True), "worker1")
        plan = swarm.drain("worker1")
        assert [m["service"] for m in plan["moves"]] == ["alpha", "mid", "zeta"]
        assert plan["stops"] == ["global_a", "global_b"]
        assert plan["problems"] == []

    def test_an_empty_node(self):
        swarm = Swarm()
        swarm.add(service("web", replicas=2), "worker2", "worker3")
        plan = swarm.drain("worker1")
        assert plan["moves"] == [] and plan["stops"] == [] and plan["problems"] == []

    @pytest.mark.parametrize("desired, state", [
        ("shutdown", "shutdown"),
        ("shutdown", "running"),
        ("running", "complete"),
        ("running", "failed"),
        ("running", "rejected"),
        ("running", "orphaned"),
        ("running", "remove"),
        ("shutdown", "failed"),
    ])
    def test_tasks_that_ended_or_are_stopping_are_ignored(self, desired, state):
        swarm = Swarm()
        swarm.add(service("web"), "worker2")
        swarm.add(service("web"), "worker1", desired=desired, state=state)
        swarm.add(service("agent", global_=True), "worker1", desired=desired, state=state)
        plan = swarm.drain("worker1")
        assert plan["moves"] == [] and plan["stops"] == [] and plan["problems"] == []

    def test_starting_tasks_are_moved(self):
        swarm = Swarm()
        swarm.add(service("web"), "worker1", state="starting")
        assert [m["service"] for m in swarm.drain("worker1")["moves"]] == ["web"]

    def test_tasks_of_an_unknown_service_are_ignored(self):
        swarm = Swarm()
        ghost = service("ghost")
        swarm.tasks.append(task(ghost, swarm.node("worker1")))
        plan = swarm.drain("worker1")
        assert plan["moves"] == [] and plan["stops"] == [] and plan["problems"] == []

    def test_drained_paused_and_down_nodes_are_not_remaining(self):
        swarm = Swarm(default_nodes() + [node("worker4")])
        swarm.set("worker2", Availability="drain")
        swarm.set("worker3", Availability="pause")
        swarm.down("worker4")
        # worker4's last known tasks, still desired running: it went down a moment ago
        swarm.add(service("web", replicas=2), "worker1", "worker4")
        plan = swarm.drain("worker1")
        assert plan["remaining_nodes"] == ["manager1"]
        assert move_of(plan, "web")["to"] == ["manager1"]
        assert plan["problems"] == []

    def test_node_already_drained_is_planned_like_any_other(self):
        swarm = Swarm()
        swarm.set("worker1", Availability="drain")
        swarm.add(service("web"), "worker1")
        plan = swarm.drain("worker1")
        assert plan["remaining_nodes"] == ["manager1", "worker2", "worker3"]
        assert move_of(plan, "web")["to"] == ["manager1"]

    # spread ------------------------------------------------------------------------
    def test_to_follows_the_spread_fewest_tasks_of_the_service_first(self):
        swarm = Swarm()
        web = swarm.add(service("web", replicas=4), "worker1", "worker2", "worker2", "manager1")
        # worker3 runs many other tasks but no web task: the service's spread wins
        swarm.add(service("busy", replicas=5), *["worker3"] * 5)
        plan = swarm.drain("worker1")
        assert move_of(plan, "web")["to"] == ["worker3"]
        assert move_of(plan, "web")["service_id"] == web["ID"]

    def test_to_follows_the_spread_then_fewest_tasks(self):
        swarm = Swarm()
        swarm.add(service("web", replicas=2), "worker1", "worker2")
        swarm.add(service("other", replicas=3), "manager1", "manager1", "worker3")
        # manager1 and worker3 run no web task; worker3 runs fewer tasks
        assert move_of(swarm.drain("worker1"), "web")["to"] == ["worker3"]

    def test_to_ties_are_broken_by_hostname(self):
        swarm = Swarm()
        swarm.add(service("web"), "worker1")
        assert move_of(swarm.drain("worker1"), "web")["to"] == ["manager1"]

    def test_several_tasks_spread_over_the_nodes(self):
        swarm = Swarm()
        swarm.add(service("web", replicas=3), "worker1", "worker1", "worker1")
        move = move_of(swarm.drain("worker1"), "web")
        assert move["tasks"] == 3
        assert move["to"] == ["manager1", "worker2", "worker3"]

    def test_several_tasks_may_share_a_node_without_host_ports(self):
        swarm = Swarm([node("worker1"), node("worker2")])
        swarm.add(service("web", replicas=2), "worker1", "worker1")
        plan = swarm.drain("worker1")
        assert move_of(plan, "web")["to"] == ["worker2", "worker2"]
        assert plan["problems"] == []

    def test_earlier_moves_count_for_later_ones(self):
        swarm = Swarm()
        swarm.add(service("api"), "worker1")
        swarm.add(service("web"), "worker1")
        plan = swarm.drain("worker1")
        # api went to manager1 first, so web's tie between empty nodes goes to worker2
        assert move_of(plan, "api")["to"] == ["manager1"]
        assert move_of(plan, "web")["to"] == ["worker2"]

    # host ports ----------------------------------------------------------------------
    def test_host_port_every_other_node_holds_it(self):
        swarm = Swarm(three_nodes())
        lb = swarm.add(service("lb", replicas=3, ports=[port(80)]), "node1", "node2", "node3")
        plan = swarm.drain("node1")
        assert plan["moves"] == [{
            "service": "lb",
            "service_id": lb["ID"],
            "tasks": 1,
            "order": "start-first",
            "host_ports": ["80/tcp"],
            "to": [],
            "note": "publishes 80/tcp in host mode: the replacement starts on a node that does not hold the port, "
                    "before the task on node1 stops",
        }]
        assert plan["problems"] == [
            "lb (3 replicas): 1 of its 1 task(s) on the node would find no place; 2 other active node(s), "
            "2 of them satisfy its constraints and of those 2 already hold host port 80/tcp"
        ]

    def test_host_port_moves_to_a_node_without_it_and_carries_a_note(self):
        swarm = Swarm()
        swarm.add(service("lb", replicas=3, ports=[port(80), port(443)]), "worker1", "worker2", "manager1")
        plan = swarm.drain("worker1")
        move = move_of(plan, "lb")
        assert move["to"] == ["worker3"]
        assert move["host_ports"] == ["443/tcp", "80/tcp"]
        assert move["note"] == ("publishes 443/tcp, 80/tcp in host mode: the replacement starts on a node that "
                                "does not hold the port, before the task on worker1 stops")
        assert plan["problems"] == []

    def test_ingress_ports_need_no_free_node(self):
        swarm = Swarm(three_nodes())
        swarm.add(service("lb", replicas=3, ports=[port(80, mode="ingress")]), "node1", "node2", "node3")
        plan = swarm.drain("node1")
        move = move_of(plan, "lb")
        assert move["host_ports"] == [] and "note" not in move
        assert move["to"] == ["node2"]
        assert plan["problems"] == []

    def test_host_port_held_by_another_service(self):
        swarm = Swarm()
        swarm.add(service("lb", ports=[port(80)]), "worker1")
        swarm.add(service("proxy", replicas=2, ports=[port(80)]), "manager1", "worker2")
        plan = swarm.drain("worker1")
        assert move_of(plan, "lb")["to"] == ["worker3"]

    def test_another_port_or_protocol_does_not_conflict(self):
        swarm = Swarm([node("worker1"), node("worker2")])
        swarm.add(service("dns", ports=[port(53)]), "worker1")
        swarm.add(service("dns_udp", ports=[port(53, protocol="udp")]), "worker2")
        swarm.add(service("web", ports=[port(8080)]), "worker2")
        plan = swarm.drain("worker1")
        assert move_of(plan, "dns")["to"] == ["worker2"]
        assert plan["problems"] == []

    def test_host_port_on_an_ended_task_is_free(self):
        swarm = Swarm([node("worker1"), node("worker2")])
        lb = swarm.add(service("lb", replicas=2, ports=[port(80)]), "worker1")
        swarm.add(lb, "worker2", desired="shutdown", state="shutdown")
        swarm.add(lb, "worker2", state="failed")
        plan = swarm.drain("worker1")
        assert move_of(plan, "lb")["to"] == ["worker2"]
        assert plan["problems"] == []

    def test_two_host_port_tasks_need_two_free_nodes(self):
        swarm = Swarm(default_nodes())
        swarm.add(service("lb", replicas=3, ports=[port(80)]), "worker1", "worker1", "worker2")
        plan = swarm.drain("worker1")
        assert move_of(plan, "lb")["to"] == ["manager1", "worker3"]
        assert plan["problems"] == []

    def test_two_host_port_tasks_with_one_free_node(self):
        swarm = Swarm([node("worker1"), node("worker2"), node("worker3")])
        swarm.add(service("lb", replicas=3, ports=[port(80)]), "worker1", "worker1", "worker2")
        plan = swarm.drain("worker1")
        move = move_of(plan, "lb")
        assert move["tasks"] == 2
        assert move["to"] == ["worker3"]
        assert plan["problems"] == [
            "lb (3 replicas): 1 of its 2 task(s) on the node would find no place; 2 other active node(s), "
            "2 of them satisfy its constraints and of those 2 already hold host port 80/tcp"
        ]

    # max_replicas_per_node ----------------------------------------------------------------
    def test_max_replicas_per_node_exhausted(self):
        swarm = Swarm(three_nodes())
        swarm.add(service("api", replicas=3, max_replicas=1), "node1", "node2", "node3")
        plan = swarm.drain("node1")
        assert move_of(plan, "api")["to"] == []
        assert plan["problems"] == [
            "api (3 replicas): 1 of its 1 task(s) on the node would find no place; 2 other active node(s), "
            "2 of them satisfy its constraints and of those 2 already run max_replicas_per_node 1 of its tasks"
        ]

    def test_max_replicas_per_node_with_room(self):
        swarm = Swarm(three_nodes())
        swarm.add(service("api", replicas=6, max_replicas=2), "node1", "node1", "node2", "node2", "node3")
        plan = swarm.drain("node1")
        assert move_of(plan, "api")["to"] == ["node3"]
        assert plan["problems"] == [
            "api (6 replicas): 1 of its 2 task(s) on the node would find no place; 2 other active node(s), "
            "2 of them satisfy its constraints and of those 2 already run max_replicas_per_node 2 of its tasks"
        ]

    def test_max_replicas_counts_only_the_service(self):
        swarm = Swarm(three_nodes())
        swarm.add(service("api", replicas=2, max_replicas=1), "node1", "node2")
        swarm.add(service("other", replicas=3), "node3", "node3", "node3")
        plan = swarm.drain("node1")
        assert move_of(plan, "api")["to"] == ["node3"]
        assert plan["problems"] == []

    # reservations ------------------------------------------------------------------------
    def test_memory_reservation_does_not_fit(self):
        swarm = Swarm([node(h, memory=4 * GIB) for h in ("node1", "node2", "node3")])
        swarm.add(service("db", replicas=3, memory=3 * GIB), "node1", "node2", "node3")
        plan = swarm.drain("node1")
        assert move_of(plan, "db")["to"] == []
        assert plan["problems"] == [
            "db (3 replicas): 1 of its 1 task(s) on the node would find no place; 2 other active node(s), "
            "2 of them satisfy its constraints and of those 2 lack the 3.00 GiB it reserves"
        ]

    def test_cpu_reservation_does_not_fit(self):
        swarm = Swarm([node(h, cpus=2 * CPU) for h in ("node1", "node2", "node3")])
        swarm.add(service("worker", replicas=3, cpus=CPU * 3 // 2), "node1", "node2", "node3")
        plan = swarm.drain("node1")
        assert move_of(plan, "worker")["to"] == []
        assert plan["problems"] == [
            "worker (3 replicas): 1 of its 1 task(s) on the node would find no place; 2 other active node(s), "
            "2 of them satisfy its constraints and of those 2 lack the 1.5 CPUs it reserves"
        ]

    def test_reservations_of_other_services_count(self):
        swarm = Swarm([node("node1"), node("node2", memory=8 * GIB), node("node3", memory=8 * GIB)])
        swarm.add(service("db", memory=3 * GIB), "node1")
        swarm.add(service("cache", memory=6 * GIB), "node2")  # 2 GiB left on node2
        plan = swarm.drain("node1")
        assert move_of(plan, "db")["to"] == ["node3"]
        assert plan["problems"] == []

    def test_reservations_add_up_over_the_moves(self):
        swarm = Swarm([node("node1"), node("node2", memory=7 * GIB)])
        swarm.add(service("a", memory=3 * GIB), "node1")
        swarm.add(service("b", memory=3 * GIB), "node1")
        swarm.add(service("c", memory=3 * GIB), "node1")
        plan = swarm.drain("node1")
        assert [move_of(plan, n)["to"] for n in ("a", "b", "c")] == [["node2"], ["node2"], []]
        assert plan["problems"] == [
            "c (1 replicas): 1 of its 1 task(s) on the node would find no place; 1 other active node(s), "
            "1 of them satisfy its constraints and of those 1 lack the 3.00 GiB it reserves"
        ]

    def test_a_reservation_that_fits_exactly(self):
        swarm = Swarm([node("node1"), node("node2", cpus=2 * CPU, memory=2 * GIB)])
        swarm.add(service("db", cpus=2 * CPU, memory=2 * GIB), "node1")
        plan = swarm.drain("node1")
        assert move_of(plan, "db")["to"] == ["node2"]
        assert plan["problems"] == []

    def test_no_reservation_always_fits(self):
        swarm = Swarm([node("node1"), node("node2", cpus=0, memory=0)])
        swarm.add(service("web"), "node1")
        assert swarm.drain("node1")["problems"] == []

    def test_reasons_counted_per_node(self):
        # node2 holds the host port, node3 lacks memory, node4 lacks CPUs
        swarm = Swarm([node("node1"), node("node2"), node("node3", memory=GIB), node("node4", cpus=CPU // 2)])
        swarm.add(service("lb", replicas=2, ports=[port(80)], cpus=CPU, memory=2 * GIB), "node1", "node2")
        plan = swarm.drain("node1")
        assert plan["problems"] == [
            "lb (2 replicas): 1 of its 1 task(s) on the node would find no place; 3 other active node(s), "
            "3 of them satisfy its constraints and of those 1 already hold host port 80/tcp; "
            "1 lack the 1 CPUs it reserves; 1 lack the 2.00 GiB it reserves"
        ]

    # constraints ------------------------------------------------------------------------
    def test_no_remaining_node_satisfies_the_constraints(self):
        swarm = Swarm([
            node("manager1", role="manager"),
            node("web1", labels={"tier": "web"}),
            node("web2", labels={"tier": "web"}, availability="drain"),
            node("db1", labels={"tier": "db"}),
        ])
        swarm.add(service("web", replicas=2, constraints=["node.labels.tier==web"]), "web1")
        plan = swarm.drain("web1")
        assert plan["remaining_nodes"] == ["db1", "manager1"]
        assert move_of(plan, "web")["to"] == []
        assert plan["problems"] == [
            "web (2 replicas): 1 of its 1 task(s) on the node would find no place; 2 other active node(s), "
            "0 of them satisfy its constraints"
        ]

    def test_constraints_choose_among_the_remaining_nodes(self):
        swarm = Swarm([
            node("manager1", role="manager"),
            node("web1", labels={"tier": "web"}),
            node("web2", labels={"tier": "web"}),
            node("db1", labels={"tier": "db"}),
        ])
        swarm.add(service("web", replicas=2, constraints=["node.labels.tier==web", "node.role==worker"]), "web1")
        swarm.add(service("admin", constraints=["node.role==manager"]), "web1")
        plan = swarm.drain("web1")
        assert move_of(plan, "web")["to"] == ["web2"]
        assert move_of(plan, "admin")["to"] == ["manager1"]
        assert plan["problems"] == []

    def test_only_the_failing_service_is_a_problem(self):
        swarm = Swarm(three_nodes())
        swarm.add(service("lb", replicas=3, ports=[port(80)]), "node1", "node2", "node3")
        swarm.add(service("web", replicas=2), "node1", "node2")
        plan = swarm.drain("node1")
        assert move_of(plan, "web")["to"] == ["node3"]
        assert len(plan["problems"]) == 1 and plan["problems"][0].startswith("lb (3 replicas)")

    def test_no_other_active_node(self):
        swarm = Swarm([node("node1"), node("node2", availability="drain")])
        swarm.add(service("web"), "node1")
        plan = swarm.drain("node1")
        assert plan["remaining_nodes"] == []
        assert plan["problems"] == [
            "web (1 replicas): 1 of its 1 task(s) on the node would find no place; 0 other active node(s), "
            "0 of them satisfy its constraints"
        ]


# -- spec_excluding / spec_forced / spec_restored ------------------------------------------
NODE_A = "a" * 25
NODE_B = "b" * 25

ORIGINAL_UPDATE_CONFIGS = {
    "none": None,
    "stop-first": {"Parallelism": 2, "Delay": 10000000000, "FailureAction": "rollback",
                   "Monitor": 15000000000, "MaxFailureRatio": 0.25, "Order": "stop-first"},
    "start-first": {"Parallelism": 1, "FailureAction": "pause", "Order": "start-first"},
    "empty": {},
}


class TestDescribeDrain:
    """The one line a person reads (check mode of rolling_maintenance.yml prints it)."""

    def test_moves_with_their_destination_and_the_stops(self):
        swarm = Swarm()
        swarm.add(service("web", replicas=2), "worker1", "worker2")
        swarm.add(service("api", replicas=1), "worker1")
        swarm.add(service("agent", global_=True), "manager1", "worker1", "worker2", "worker3")
        assert describe_drain(swarm.drain("worker1")) == (
            "move api (1 task to manager1), web (1 task to worker3); stop the global tasks of agent; then drain worker1"
        )

    def test_several_tasks_of_one_service(self):
        swarm = Swarm(three_nodes())
        swarm.add(service("web", replicas=3), "node1", "node1", "node2")
        assert describe_drain(swarm.drain("node1")) == "move web (2 tasks to node3, node2); then drain node1"

    def test_an_empty_node(self):
        assert describe_drain(Swarm().drain("worker3")) == "move no replicated task; then drain worker3"

    def test_a_refusal_says_so_with_the_numbers(self):
        swarm = Swarm(three_nodes())
        swarm.add(service("web", replicas=3, ports=[port(8080)]), "node1", "node2", "node3")
        text = describe_drain(swarm.drain("node1"))
        assert text.startswith("refused, node1 stays as it is: web (3 replicas): 1 of its 1 task(s) on the node would find no place")


def spec_of(update="stop-first", constraints=("node.role==worker",), **kwargs):
    svc = service("web", replicas=3, constraints=list(constraints), update_config=ORIGINAL_UPDATE_CONFIGS[update],
                  **kwargs)
    return svc["Spec"]


def constraints(spec):
    return ((spec.get("TaskTemplate") or {}).get("Placement") or {}).get("Constraints") or []


class TestSpecExcluding:
    def test_adds_the_constraint_and_labels(self):
        spec = spec_of()
        new = spec_excluding(spec, NODE_A)
        assert constraints(new) == ["node.role==worker", f"node.id!={NODE_A}"]
        assert new["Labels"][EXCLUDED_LABEL] == NODE_A
        assert json.loads(new["Labels"][SAVED_LABEL]) == {"UpdateConfig": ORIGINAL_UPDATE_CONFIGS["stop-first"]}
        assert new["Labels"]["com.docker.stack.namespace"] == "demo"

    def test_constraint_added_once(self):
        once = spec_excluding(spec_of(), NODE_A)
        twice = spec_excluding(once, NODE_A)
        assert constraints(twice) == ["node.role==worker", f"node.id!={NODE_A}"]
        assert twice["Labels"][EXCLUDED_LABEL] == NODE_A
        assert twice == once

    def test_without_placement(self):
        spec = spec_of(constraints=())
        del spec["TaskTemplate"]["Placement"]
        assert constraints(spec_excluding(spec, NODE_A)) == [f"node.id!={NODE_A}"]

    def test_without_labels(self):
        spec = spec_of()
        del spec["Labels"]
        new = spec_excluding(spec, NODE_A)
        assert new["Labels"][EXCLUDED_LABEL] == NODE_A
        assert "Labels" not in spec

    @pytest.mark.parametrize("update", sorted(ORIGINAL_UPDATE_CONFIGS))
    def test_update_config_becomes_start_first_parallelism_one(self, update):
        new = spec_excluding(spec_of(update), NODE_A)
        assert new["UpdateConfig"]["Order"] == "start-first"
        assert new["UpdateConfig"]["Parallelism"] == 1
        assert new["UpdateConfig"]["FailureAction"] == "pause"
        assert MOVE_UPDATE_CONFIG == {"Parallelism": 1, "Order": "start-first", "FailureAction": "pause"}

    def test_other_update_settings_are_kept_during_the_move(self):
        new = spec_excluding(spec_of("stop-first"), NODE_A)
        assert new["UpdateConfig"] == {"Parallelism": 1, "Delay": 10000000000, "FailureAction": "pause",
                                       "Monitor": 15000000000, "MaxFailureRatio": 0.25, "Order": "start-first"}

    @pytest.mark.parametrize("update", sorted(ORIGINAL_UPDATE_CONFIGS))
    def test_the_move_is_monitored_as_long_as_the_drain_gates(self, update):
        new = spec_excluding(spec_of(update), NODE_A, monitor=5)
        assert new["UpdateConfig"]["Monitor"] == 5_000_000_000
        assert new["UpdateConfig"]["Order"] == "start-first"
        # The service's own settings, its monitor included, come back with the node.
        restored = spec_restored(new, NODE_A)
        if update == "none":
            assert "UpdateConfig" not in restored
        else:
            assert restored["UpdateConfig"] == ORIGINAL_UPDATE_CONFIGS[update]

    def test_a_second_exclusion_keeps_the_first_saved_settings(self):
        spec = spec_of("stop-first")
        both = spec_excluding(spec_excluding(spec, NODE_A, monitor=5), "othernode", monitor=7.5)
        assert both["UpdateConfig"]["Monitor"] == 7_500_000_000
        assert json.loads(both["Labels"][SAVED_LABEL]) == {"UpdateConfig": ORIGINAL_UPDATE_CONFIGS["stop-first"]}
        restored = spec_restored(spec_restored(both, NODE_A), "othernode")
        assert restored["UpdateConfig"] == ORIGINAL_UPDATE_CONFIGS["stop-first"]

    @pytest.mark.parametrize("update", sorted(ORIGINAL_UPDATE_CONFIGS))
    def test_original_is_not_mutated(self, update):
        spec = spec_of(update)
        before = copy.deepcopy(spec)
        excluded = spec_excluding(spec, NODE_A)
        assert spec == before
        before_excluded = copy.deepcopy(excluded)
        restored = spec_restored(excluded, NODE_A)
        assert excluded == before_excluded
        assert restored is not excluded
        forced = spec_forced(spec)
        assert spec == before
        spec_restored(forced)
        assert forced["TaskTemplate"]["ForceUpdate"] == 1

    def test_nested_objects_are_not_shared(self):
        spec = spec_of()
        new = spec_excluding(spec, NODE_A)
        new["TaskTemplate"]["ContainerSpec"]["Env"].append("X=1")
        new["UpdateConfig"]["Delay"] = 1
        assert spec["TaskTemplate"]["ContainerSpec"]["Env"] == ["MODE=prod"]
        assert spec["UpdateConfig"]["Delay"] == 10000000000


class TestSpecRestored:
    @pytest.mark.parametrize("update", sorted(ORIGINAL_UPDATE_CONFIGS))
    def test_round_trip_is_exact(self, update):
        spec = spec_of(update)
        restored = spec_restored(spec_excluding(spec, NODE_A), NODE_A)
        assert restored == spec
        if update == "none":
            assert "UpdateConfig" not in restored
        else:
            assert restored["UpdateConfig"] == ORIGINAL_UPDATE_CONFIGS[update]

    def test_round_trip_without_any_constraint(self):
        spec = spec_of("none", constraints=())
        restored = spec_restored(spec_excluding(spec, NODE_A), NODE_A)
        assert constraints(restored) == []
        assert "UpdateConfig" not in restored
        assert restored["Labels"] == spec["Labels"]

    def test_round_trip_without_labels_or_placement_is_equivalent(self):
        # Not byte-for-byte: an empty Labels map and an empty constraint list
        # are left behind, which the API treats as no labels, no constraints.
        spec = spec_of("none", constraints=())
        del spec["Labels"]
        del spec["TaskTemplate"]["Placement"]
        restored = spec_restored(spec_excluding(spec, NODE_A), NODE_A)
        assert not restored.get("Labels")
        assert constraints(restored) == []
        assert "UpdateConfig" not in restored
        trimmed = copy.deepcopy(restored)
        trimmed.pop("Labels")
        trimmed["TaskTemplate"].pop("Placement")
        assert trimmed == spec

    def test_restore_without_node_drops_every_exclusion(self):
        spec = spec_of()
        restored = spec_restored(spec_excluding(spec_excluding(spec, NODE_A), NODE_B))
        assert restored == spec

    def test_two_exclusions_restore_one(self):
        spec = spec_of("stop-first")
        both = spec_excluding(spec_excluding(spec, NODE_A), NODE_B)
        assert constraints(both) == ["node.role==worker", f"node.id!={NODE_A}", f"node.id!={NODE_B}"]
        assert both["Labels"][EXCLUDED_LABEL] == f"{NODE_A},{NODE_B}"
        # the first exclusion saved the original; the second did not overwrite it
        assert json.loads(both["Labels"][SAVED_LABEL]) == {"UpdateConfig": ORIGINAL_UPDATE_CONFIGS["stop-first"]}

        without_a = spec_restored(both, NODE_A)
        assert constraints(without_a) == ["node.role==worker", f"node.id!={NODE_B}"]
        assert without_a["Labels"][EXCLUDED_LABEL] == NODE_B
        assert without_a["Labels"][SAVED_LABEL] == both["Labels"][SAVED_LABEL]
        assert without_a["UpdateConfig"] == both["UpdateConfig"]
        assert without_a["UpdateConfig"]["Order"] == "start-first"

        assert spec_restored(without_a, NODE_A) is None
        assert spec_restored(without_a, NODE_B) == spec

    def test_two_exclusions_restore_the_other_first(self):
        spec = spec_of("none")
        both = spec_excluding(spec_excluding(spec, NODE_A), NODE_B)
        without_b = spec_restored(both, NODE_B)
        assert constraints(without_b) == ["node.role==worker", f"node.id!={NODE_A}"]
        assert without_b["UpdateConfig"]["Order"] == "start-first"
        assert spec_restored(without_b, NODE_A) == spec

    def test_none_when_nothing_is_temporary(self):
        spec = spec_of()
        assert spec_restored(spec) is None
        assert spec_restored(spec, NODE_A) is None

    def test_none_when_the_node_is_not_excluded(self):
        excluded = spec_excluding(spec_of(), NODE_A)
        assert spec_restored(excluded, NODE_B) is None

    def test_restore_does_not_touch_other_constraints(self):
        spec = spec_of(constraints=("node.role==worker", "node.labels.zone!=c", f"node.id != {NODE_A}"))
        excluded = spec_excluding(spec, NODE_A)
        # "node.id != X" (spaced) is the user's, not the drain's: a second constraint is added
        assert constraints(excluded)[-1] == f"node.id!={NODE_A}"
        assert spec_restored(excluded, NODE_A) == spec

    def test_a_constraint_the_service_already_had_survives(self):
        spec = spec_of(constraints=("node.role==worker", f"node.id!={NODE_A}"))
        excluded = spec_excluding(spec, NODE_A)
        assert constraints(excluded) == ["node.role==worker", f"node.id!={NODE_A}"]  # not added twice
        assert spec_restored(excluded, NODE_A) == spec

    def test_interrupted_run_is_restored_from_the_labels(self):
        # what a later run reads back from the API: only the labels tell what was temporary
        spec = spec_of("stop-first")
        from_api = json.loads(json.dumps(spec_excluding(spec, NODE_A)))
        assert excluded_nodes({"Spec": from_api}) == [NODE_A]
        assert spec_restored(from_api, NODE_A) == spec


class TestSpecForced:
    def test_increments_force_update(self):
        spec = spec_of()
        forced = spec_forced(spec)
        assert forced["TaskTemplate"]["ForceUpdate"] == 1
        assert spec_forced(forced)["TaskTemplate"]["ForceUpdate"] == 2
        assert spec["TaskTemplate"]["ForceUpdate"] == 0

    def test_without_force_update(self):
        spec = spec_of()
        del spec["TaskTemplate"]["ForceUpdate"]
        assert spec_forced(spec)["TaskTemplate"]["ForceUpdate"] == 1

    def test_start_first_and_no_exclusion(self):
        forced = spec_forced(spec_of())
        assert forced["UpdateConfig"]["Order"] == "start-first"
        assert forced["UpdateConfig"]["Parallelism"] == 1
        assert constraints(forced) == ["node.role==worker"]
        assert EXCLUDED_LABEL not in forced["Labels"]

    @pytest.mark.parametrize("update", sorted(ORIGINAL_UPDATE_CONFIGS))
    def test_restored_afterwards(self, update):
        spec = spec_of(update)
        forced = spec_forced(spec)
        restored = spec_restored(forced)
        expected = copy.deepcopy(spec)
        expected["TaskTemplate"]["ForceUpdate"] = 1  # the replacement stays: no second restart
        assert restored == expected
        if update == "none":
            assert "UpdateConfig" not in restored

    def test_the_rebalance_is_monitored_as_long_as_the_drain_gates(self):
        forced = spec_forced(spec_of("stop-first"), monitor=5)
        assert forced["UpdateConfig"]["Monitor"] == 5_000_000_000
        assert spec_restored(forced)["UpdateConfig"] == ORIGINAL_UPDATE_CONFIGS["stop-first"]

    def test_forced_during_an_exclusion_keeps_the_original(self):
        spec = spec_of("stop-first")
        both = spec_forced(spec_excluding(spec, NODE_A))
        restored = spec_restored(both, NODE_A)
        assert restored["UpdateConfig"] == ORIGINAL_UPDATE_CONFIGS["stop-first"]
        assert constraints(restored) == ["node.role==worker"]
        assert SAVED_LABEL not in restored["Labels"]


# -- plan_rebalance --------------------------------------------------------------------------
def nodes_abc(**overrides):
    return [node(h, **overrides.get(h, {})) for h in ("a", "b", "c")]


class TestPlanRebalance:
    def test_uneven_service_is_listed(self):
        swarm = Swarm(nodes_abc())
        web = swarm.add(service("web", replicas=3), "a", "a", "c")
        assert swarm.rebalance() == [{"service": "web", "service_id": web["ID"],
                                      "tasks_per_node": {"a": 2, "b": 0, "c": 1}}]

    def test_off_by_one_is_balanced(self):
        swarm = Swarm(nodes_abc())
        swarm.add(service("web", replicas=2), "a", "b")
        assert swarm.rebalance() == []

    def test_balanced_services_are_not_listed(self):
        swarm = Swarm(nodes_abc())
        swarm.add(service("web", replicas=3), "a", "b", "c")
        swarm.add(service("api", replicas=6), "a", "a", "b", "b", "c", "c")
        swarm.add(service("one", replicas=1), "b")
        assert swarm.rebalance() == []

    def test_global_services_never(self):
        swarm = Swarm(nodes_abc())
        # a global service with a leftover extra task on a: still not rebalanced
        swarm.add(service("agent", global_=True), "a", "a", "a")
        assert swarm.rebalance() == []

    def test_sorted_by_name(self):
        swarm = Swarm(nodes_abc())
        swarm.add(service("zeta", replicas=2), "a", "a")
        swarm.add(service("alpha", replicas=3), "b", "b", "b")
        assert [p["service"] for p in swarm.rebalance()] == ["alpha", "zeta"]

    def test_ended_tasks_are_not_counted(self):
        swarm = Swarm(nodes_abc())
        web = swarm.add(service("web", replicas=3), "a", "b", "c")
        swarm.add(web, "a", "a", desired="shutdown", state="shutdown")
        swarm.add(web, "a", state="failed")
        assert swarm.rebalance() == []

    @pytest.mark.parametrize("c", [
        {"labels": {"tier": "db"}},  # does not satisfy the constraint
        {"availability": "drain"},
        {"availability": "pause"},
        {"state": "down"},
    ])
    def test_nodes_not_eligible_are_not_counted(self, c):
        swarm = Swarm(nodes_abc(a={"labels": {"tier": "web"}}, b={"labels": {"tier": "web"}},
                                c=dict({"labels": {"tier": "web"}}, **c)))
        swarm.add(service("web", replicas=3, constraints=["node.labels.tier==web"]), "a", "a", "b")
        # a:2, b:1, c:0 would be uneven if c counted
        assert swarm.rebalance() == []
        assert spread(swarm.services[0], swarm.tasks, swarm.nodes) == {"a": 2, "b": 1}

    def test_tasks_on_nodes_not_eligible_are_not_counted(self):
        swarm = Swarm(nodes_abc(c={"availability": "drain"}))
        swarm.add(service("web", replicas=4), "a", "b", "c", "c")  # still on c, being moved off
        assert swarm.rebalance() == []
        assert spread(swarm.services[0], swarm.tasks, swarm.nodes) == {"a": 1, "b": 1}

    def test_uneven_among_the_eligible_nodes(self):
        swarm = Swarm(nodes_abc(c={"state": "down"}) + [node("d")])
        web = swarm.add(service("web", replicas=3, constraints=["node.role==worker"]), "a", "a", "a")
        assert swarm.rebalance() == [{"service": "web", "service_id": web["ID"],
                                      "tasks_per_node": {"a": 3, "b": 0, "d": 0}}]

    def test_fewer_than_two_eligible_nodes(self):
        swarm = Swarm(nodes_abc(b={"availability": "drain"}, c={"state": "down"}))
        swarm.add(service("web", replicas=3), "a", "a", "a")
        swarm.add(service("nowhere", replicas=2, constraints=["node.labels.tier==gpu"]))  # no eligible node
        assert swarm.rebalance() == []

    def test_other_services_do_not_count(self):
        swarm = Swarm(nodes_abc())
        swarm.add(service("web", replicas=3), "a", "b", "c")
        swarm.add(service("batch", replicas=1), "a")
        swarm.add(service("big", replicas=2), "c", "c")
        plan = swarm.rebalance()
        assert [p["service"] for p in plan] == ["big"]
        assert plan[0]["tasks_per_node"] == {"a": 0, "b": 0, "c": 2}


# -- task_runs_current_spec: placement-only changes --------------------------------------------
class TestPlacementOnlyChange:
    """The drain adds and removes ``node.id!=<node>``: tasks elsewhere must stay current."""

    @staticmethod
    def scenario(new_constraints, old_constraints=("node.role==worker",)):
        svc = service("web", replicas=3, constraints=list(old_constraints))
        old = task(svc, node("worker1"))
        svc["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = list(new_constraints)
        return svc, old

    def test_node_satisfies_the_new_constraints(self):
        svc, old = self.scenario(["node.role==worker", f"node.id!={NODE_A}"])
        assert task_runs_current_spec(old, svc, node("worker2", node_id=NODE_B)) is True

    def test_node_does_not_satisfy_the_new_constraints(self):
        svc, old = self.scenario(["node.role==worker", f"node.id!={NODE_A}"])
        assert task_runs_current_spec(old, svc, node("worker1", node_id=NODE_A)) is False
        assert task_runs_current_spec(old, svc, node("manager1", node_id=NODE_B, role="manager")) is False

    def test_without_a_node(self):
        svc, old = self.scenario(["node.role==worker", f"node.id!={NODE_A}"])
        assert task_runs_current_spec(old, svc) is False
        assert task_runs_current_spec(old, svc, None) is False

    def test_constraints_removed(self):
        svc, old = self.scenario(["node.role==worker"], old_constraints=("node.role==worker", f"node.id!={NODE_A}"))
        assert task_runs_current_spec(old, svc, node("worker2", node_id=NODE_B)) is True
        assert task_runs_current_spec(old, svc) is False

    def test_placement_added_where_there_was_none(self):
        svc = service("web", replicas=3)
        old = task(svc, node("worker1"))
        del old["Spec"]["Placement"]
        svc["Spec"]["TaskTemplate"]["Placement"] = {"Constraints": ["node.labels.tier==web"]}
        assert task_runs_current_spec(old, svc, node("w", labels={"tier": "WEB"})) is True  # values: no regard to case
        assert task_runs_current_spec(old, svc, node("w", labels={"Tier": "web"})) is False  # label names: exact
        assert task_runs_current_spec(old, svc, node("w", labels={"tier": "db"})) is False

    def test_other_placement_fields_change(self):
        svc, old = self.scenario(["node.role==worker"])
        svc["Spec"]["TaskTemplate"]["Placement"]["MaxReplicas"] = 2
        assert task_runs_current_spec(old, svc, node("worker2")) is True

    def test_same_spec_needs_no_node(self):
        svc, old = self.scenario(["node.role==worker"])
        assert task_runs_current_spec(old, svc) is True
        assert task_runs_current_spec(old, svc, node("manager1", role="manager")) is True

    @pytest.mark.parametrize("change", [
        lambda t: t["ContainerSpec"]["Env"].append("FEATURE=on"),
        lambda t: t["ContainerSpec"].__setitem__("Image", "swarmops/web:2"),
        lambda t: t["Resources"]["Reservations"].__setitem__("MemoryBytes", GIB),
        lambda t: t.__setitem__("ForceUpdate", 1),
        lambda t: t["RestartPolicy"].__setitem__("Condition", "on-failure"),
    ])
    def test_any_other_difference_is_still_stale(self, change):
        svc, old = self.scenario(["node.role==worker", f"node.id!={NODE_A}"])
        change(svc["Spec"]["TaskTemplate"])
        assert task_runs_current_spec(old, svc, node("worker2", node_id=NODE_B)) is False
        # also without a placement change
        svc2, old2 = self.scenario(["node.role==worker"])
        change(svc2["Spec"]["TaskTemplate"])
        assert task_runs_current_spec(old2, svc2, node("worker2", node_id=NODE_B)) is False

    def test_exclusion_of_the_drain(self):
        # the service right after spec_excluding: only the task on the excluded node is stale
        swarm = Swarm()
        web = swarm.add(service("web", replicas=3, update_config=ORIGINAL_UPDATE_CONFIGS["stop-first"]),
                        "worker1", "worker2", "worker3")
        web["Spec"] = spec_excluding(web["Spec"], swarm.id("worker1"))
        result = evaluate_service(web, swarm.tasks, swarm.nodes, now=1795752721.0)
        assert result["reasons"] == ["2 of 3 tasks running and healthy",
                                     "1 running task(s) still on the previous spec"]
        # the restore after the move: the tasks started under the exclusion stay current
        moved = task(web, swarm.node("manager1"))
        tasks = [t for t in swarm.tasks if t["NodeID"] != swarm.id("worker1")] + [moved]
        web["Spec"] = spec_restored(web["Spec"], swarm.id("worker1"))
        result = evaluate_service(web, tasks, swarm.nodes, now=1795752721.0)
        assert result["converged"] is True, result["reasons"]


# -- the module util itself -------------------------------------------------------------------
def test_module_util_is_pure():
    """No ansible import, no I/O (checked on its imports)."""
    source = pathlib.Path(_swarm_drain.__file__).read_text(encoding="utf-8")
    imported = set()
    for item in ast.walk(ast.parse(source)):
        if isinstance(item, ast.Import):
            imported.update(alias.name for alias in item.names)
        elif isinstance(item, ast.ImportFrom):
            imported.add(item.module or "")
    assert imported <= {"__future__", "copy", "json",
                        "ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence",
                        "ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects"}
    assert "# This module util is PRIVATE to the swarmops.ha collection" in source.splitlines()[4]


def test_a_new_leader_that_has_not_heard_from_the_nodes_yet_names_them():
    """After a leader change every node is unknown until it reports: the plan waits, it does not refuse."""
    after_election = [node("manager2", role="manager"), node("worker2", state="unknown"),
                      node("manager3", role="manager", state="unknown"), node("worker1", state="down")]
    assert nodes_not_yet_known(after_election) == ["manager3", "worker2"]
    # Why the plan waits: made meanwhile, it would find no other node to move a task to.
    web = service("web", replicas=2)
    target, other = node("worker1"), node("worker2", state="unknown")
    plan = plan_drain("worker1", [web], [task(web, target), task(web, other)], [target, other])
    assert plan["remaining_nodes"] == [] and plan["problems"], plan
    assert nodes_not_yet_known([node("worker1"), node("worker2", state="down")]) == []
    state = {"Status": {}}  # no state reported at all reads as unknown too
    assert nodes_not_yet_known([dict(node("worker3"), **state)]) == ["worker3"]


# -- A move whose replacement went to a node that went down ----------------------------------------------------
STARTED = "2026-11-27T04:10:00.000000000Z"
AFTER = "2026-11-27T04:10:03.000000000Z"


def stalled_case(*, replacement_state="running", down_state="down", update="updating", stalled_state="starting",
                 stalled_created=AFTER):
    """web (2 replicas) moved off worker1: the replacement Swarm's update started went to worker2, which went
    down before it ran; Swarm started that slot's task again on manager1."""
    nodes = [node("manager1", role="manager"), node("worker1"), node("worker2", state=down_state), node("worker3")]
    web = service("web", replicas=2)
    old_template = copy.deepcopy(web["Spec"]["TaskTemplate"])
    web["Spec"] = spec_excluding(web["Spec"], nodes[1]["ID"], 5)
    web["UpdateStatus"] = {"State": update, "StartedAt": STARTED, "Message": "update in progress"}
    replaced = task(web, nodes[1], spec=old_template)
    kept = task(web, nodes[3])
    stalled = dict(task(web, nodes[2], state=stalled_state, desired="shutdown"), CreatedAt=stalled_created)
    again = task(web, nodes[0], state=replacement_state)
    return [web], [replaced, kept, stalled, again], nodes, stalled


def test_a_move_waiting_on_a_node_that_went_down_is_started_again_once_the_tasks_started_elsewhere_run():
    services, tasks, nodes, stalled = stalled_case()
    assert stalled_moves(services, tasks, nodes) == {services[0]["ID"]: stalled["ID"]}


def test_a_stalled_move_is_started_again_though_other_slots_still_wait_to_move():
    """A second task of web on worker1 is still on the previous spec: the update started again moves it start-first."""
    services, tasks, nodes, stalled = stalled_case()
    old_template = tasks[0]["Spec"]
    tasks.append(task(services[0], nodes[1], spec=old_template))
    services[0]["Spec"]["Mode"]["Replicated"]["Replicas"] = 3
    assert stalled_moves(services, tasks, nodes) == {services[0]["ID"]: stalled["ID"]}


def test_a_stalled_move_of_a_service_swarm_does_not_restart_is_started_again():
    """Restart policy none: Swarm starts no task in the lost slot; the update started again places one."""
    services, tasks, nodes, stalled = stalled_case()
    services[0]["Spec"]["TaskTemplate"]["RestartPolicy"]["Condition"] = "none"
    tasks.pop()  # no task started again on manager1
    assert stalled_moves(services, tasks, nodes) == {services[0]["ID"]: stalled["ID"]}


@pytest.mark.parametrize("case", [
    # Swarm's own replacement is not healthy yet: started again, the update would stop the replaced task at once.
    {"replacement_state": "starting"},
    {"down_state": "unknown"},  # a new leader has not heard from the node yet: not down
    {"update": "completed"},
    {"update": "paused"},
    {"stalled_state": "running"},  # it ran: Swarm's update went on
    {"stalled_created": "2026-11-27T04:09:00.000000000Z"},  # older than this update
])
def test_a_move_is_not_started_again_while_it_may_still_end_by_itself_or_would_lose_a_replica(case):
    services, tasks, nodes, _stalled = stalled_case(**case)
    assert stalled_moves(services, tasks, nodes) == {}


def test_the_nudge_changes_the_spec_version_not_the_tasks_and_the_restore_drops_it():
    services, tasks, nodes, _stalled = stalled_case()
    spec = services[0]["Spec"]
    once = spec_nudged(spec)
    twice = spec_nudged(once)
    assert once["Labels"][_swarm_drain.NUDGE_LABEL] == "1" and twice["Labels"][_swarm_drain.NUDGE_LABEL] == "2"
    assert once["TaskTemplate"] == spec["TaskTemplate"] and _swarm_drain.NUDGE_LABEL not in spec["Labels"]
    # No running task is dirty for it: the update started again replaces none of them.
    nudged = dict(services[0], Spec=twice)
    by_id = {n["ID"]: n for n in nodes}
    assert all(task_runs_current_spec(t, nudged, by_id[t["NodeID"]]) == task_runs_current_spec(t, services[0], by_id[t["NodeID"]])
               for t in tasks)
    restored = spec_restored(twice, nodes[1]["ID"])
    assert _swarm_drain.NUDGE_LABEL not in restored["Labels"] and EXCLUDED_LABEL not in restored["Labels"]
