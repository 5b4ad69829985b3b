# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the load balancer frontends, backends and settings (``_swarm_lb``).

Scenarios are small swarms built by the helpers below, in the shape of the
objects Docker Engine's API returns (``GET /nodes``, ``GET /services``,
``GET /tasks``, as community.docker.docker_swarm_info hands them over with
``verbose_output: true``), with only the fields ``lb_frontends`` reads:

- a node: ``ID``, ``Spec.Role``/``Spec.Availability``/``Spec.Labels``,
  ``Description.Hostname``/``Description.Platform``, ``Status.State``/``Status.Addr``
  and, on a manager, ``ManagerStatus`` (``Leader``, ``Reachability``, ``Addr``);
- a service: ``ID``, ``Spec.Name``, ``Spec.TaskTemplate.Placement.Constraints``,
  ``Spec.EndpointSpec.Ports`` (Protocol, TargetPort, PublishedPort, PublishMode
  host or ingress);
- a task: ``ID``, ``ServiceID``, ``NodeID``, ``DesiredState``, ``Status.State``.
  ``lb_frontends`` no longer reads tasks: the backends list every node that may
  run a task (its placement constraints match) and the health checks find where
  one answers.  Scenarios still carry tasks, to show they change nothing.

The default swarm is manager1 (which reports ``Status.Addr`` 0.0.0.0, as
managers often do, and 192.168.77.11:2377 in ``ManagerStatus.Addr``), worker1
(192.168.77.31) and worker2 (192.168.77.32), without labels.  The labelled
swarm (``labelled_nodes``) adds worker3 (192.168.77.33) and the labels
manager1 zone=a, worker1 tier=web zone=a, worker2 tier=web zone=b, worker3
tier=db zone=b.  One end-to-end case uses the objects of
``fixtures/swarm_services.json``.

The load balancers' own settings (``host_address``, ``vrrp_peers``,
``check_lb_settings``) are tested on the lab's inventory: lb1 (192.168.77.51)
and lb2 (192.168.77.52) with the virtual address 192.168.77.50/24.

The filter wrappers are tested in ``tests/unit/plugins/filter/test_swarm_lb_filter.py``
with these helpers.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_lb import (
    BackendError,
    check_lb_settings,
    host_address,
    lb_frontends,
    node_address,
    server_name,
    vrrp_peers,
)

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_services.json"

_task_numbers = itertools.count(1)


# --------------------------------------------------------------------------- API-shaped objects


def make_id(seed: str) -> str:
    """A stable 25-character lowercase ID, like swarmkit's."""
    return hashlib.sha1(seed.encode("utf-8")).hexdigest()[:25]


def node(host, addr="", *, manager_addr=None, leader=False, state="ready", node_id=None, availability="active",
         labels=None):
    """A node; a manager when *manager_addr* is given (``host:2377``)."""
    result = {
        "ID": node_id or make_id("node-" + host),
        "Spec": {"Role": "manager" if manager_addr else "worker", "Availability": availability,
                 "Labels": dict(labels or {})},
        "Description": {"Hostname": host, "Platform": {"OS": "linux", "Architecture": "x86_64"}},
        "Status": {"State": state, "Addr": addr},
    }
    if manager_addr is not None:
        result["ManagerStatus"] = {"Reachability": "reachable", "Addr": manager_addr}
        if leader:
            result["ManagerStatus"]["Leader"] = True
    return result


def port(published, mode="host", protocol="tcp", target=80):
    result = {"Protocol": protocol, "TargetPort": target, "PublishMode": mode}
    if published is not None:
        result["PublishedPort"] = published
    return result


def service(name, *ports, service_id=None, constraints=None):
    """A replicated service publishing *ports*, placed by *constraints* (``node.labels.tier==web``, ...)."""
    spec = {
        "Name": name,
        "Labels": {},
        "TaskTemplate": {"ContainerSpec": {"Image": f"swarmops/{name}:1"}},
        "Mode": {"Replicated": {"Replicas": 1}},
        "EndpointSpec": {"Mode": "vip"},
    }
    if constraints is not None:
        spec["TaskTemplate"]["Placement"] = {"Constraints": list(constraints)}
    if ports:
        spec["EndpointSpec"]["Ports"] = [dict(p) for p in ports]
    return {"ID": service_id or make_id("service-" + name), "Spec": spec}


def task(svc, on, *, desired="running", state="running"):
    number = next(_task_numbers)
    return {
        "ID": f"t{number:024d}",
        "ServiceID": svc["ID"],
        "NodeID": on["ID"] if isinstance(on, dict) else on,
        "DesiredState": desired,
        "Status": {"State": state, "Message": state},
    }


def default_nodes():
    return [
        node("manager1", "0.0.0.0", manager_addr="192.168.77.11:2377", leader=True),
        node("worker1", "192.168.77.31"),
        node("worker2", "192.168.77.32"),
    ]


def labelled_nodes(**availability):
    """The labelled swarm; *availability*: per hostname, drain or pause instead of active."""
    return [
        node("manager1", "0.0.0.0", manager_addr="192.168.77.11:2377", leader=True, labels={"zone": "a"},
             availability=availability.get("manager1", "active")),
        node("worker1", "192.168.77.31", labels={"tier": "web", "zone": "a"},
             availability=availability.get("worker1", "active")),
        node("worker2", "192.168.77.32", labels={"tier": "web", "zone": "b"},
             availability=availability.get("worker2", "active")),
        node("worker3", "192.168.77.33", labels={"tier": "db", "zone": "b"},
             availability=availability.get("worker3", "active")),
    ]


ADDR = {"manager1": "192.168.77.11", "worker1": "192.168.77.31", "worker2": "192.168.77.32",
        "worker3": "192.168.77.33"}
# The nodes of the default swarm, sorted.
ALL = ("manager1", "worker1", "worker2")
# The nodes of the labelled swarm, sorted.
LABELLED = ("manager1", "worker1", "worker2", "worker3")


class Swarm:
    """Nodes, services and tasks of one scenario."""

    def __init__(self, nodes=None):
        self.nodes = default_nodes() if nodes is None else nodes
        self.services, self.tasks = [], []

    def node(self, host):
        return next(n for n in self.nodes if n["Description"]["Hostname"] == host)

    def add(self, svc, *hosts, **task_kwargs):
        """Add the service (once) and one task on each host named (tasks do not change the backends)."""
        if svc not in self.services:
            self.services.append(svc)
        self.tasks += [task(svc, self.node(h), **task_kwargs) for h in hosts]
        return svc

    def info(self):
        """What community.docker.docker_swarm_info registers (verbose), as the filter receives it."""
        return {
            "changed": False,
            "can_talk_to_docker": True,
            "docker_swarm_active": True,
            "docker_swarm_manager": True,
            "swarm_facts": {},
            "services": self.services,
            "tasks": self.tasks,
            "nodes": self.nodes,
        }

    def frontends(self, **kwargs):
        before = copy.deepcopy((self.services, self.tasks, self.nodes, kwargs))
        result = lb_frontends(self.services, self.nodes, **kwargs)
        assert (self.services, self.tasks, self.nodes, kwargs) == before, "lb_frontends changed its inputs"
        return result


def servers(*hosts, port=8080, maintenance=()):
    """The expected servers on *hosts*, at their default address; those in *maintenance* are drained or paused."""
    return [{"name": h, "address": ADDR[h], "port": port, "maintenance": h in maintenance} for h in hosts]


def frontend(service_name, published, servers_, *, bind=None, publish_mode="host", mode="http", check_path="/"):
    return {
        "name": f"{service_name}_{published}",
        "service": service_name,
        "published_port": published,
        "bind_port": published if bind is None else bind,
        "publish_mode": publish_mode,
        "mode": mode,
        "check_path": check_path,
        "servers": servers_,
    }


def web_swarm(*hosts, mode="host", constraints=None, nodes=None, **task_kwargs):
    """demo_web publishing 8080 (in *mode*, placed by *constraints*) with one task on each of *hosts*."""
    swarm = Swarm(nodes)
    swarm.add(service("demo_web", port(8080, mode), constraints=constraints), *hosts, **task_kwargs)
    return swarm


def only(frontends):
    assert len(frontends) == 1, frontends
    return frontends[0]


def hosts_of(front):
    return [s["name"] for s in front["servers"]]


def overlap_message(*problems):
    """The refusal of host ports two services share on a node: *problems* are (first, second, port, nodes)."""
    return "; ".join(
        f"{first} and {second} both publish port {published} in host mode and may both run on {', '.join(nodes)}"
        for first, second, published, nodes in problems
    ) + (": a health check on such a node can not tell the two services apart. Give them placement constraints "
         "that no node satisfies for both, or publish different ports.")


CLASH_8080 = "Two frontends would listen on port(s) [8080]: set bind_port for one of the services"


# --------------------------------------------------------------------------- node_address


class TestNodeAddress:
    def test_status_addr(self):
        assert node_address(node("worker1", "192.168.77.31")) == "192.168.77.31"

    def test_status_addr_wins_over_the_manager_addr(self):
        assert node_address(node("manager2", "192.168.77.12", manager_addr="10.9.9.12:2377")) == "192.168.77.12"

    @pytest.mark.parametrize("status", [
        pytest.param({"State": "ready", "Addr": "0.0.0.0"}, id="0.0.0.0"),
        pytest.param({"State": "ready", "Addr": ""}, id="empty"),
        pytest.param({"State": "ready", "Addr": None}, id="none"),
        pytest.param({"State": "ready"}, id="no-addr"),
        pytest.param(None, id="no-status"),
    ])
    def test_falls_back_to_the_host_part_of_the_manager_addr(self, status):
        manager = node("manager1", manager_addr="192.168.77.11:2377")
        manager["Status"] = status
        assert node_address(manager) == "192.168.77.11"

    def test_manager_addr_without_port(self):
        assert node_address(node("manager1", "0.0.0.0", manager_addr="192.168.77.11")) == "192.168.77.11"

    def test_no_address_at_all_is_empty(self):
        assert node_address({"ID": "x"}) == ""
        assert node_address(node("worker1", "")) == ""
        assert node_address(node("manager1", "", manager_addr="")) == ""

    def test_0000_without_a_manager_addr_is_no_address(self):
        # 0.0.0.0 would send the traffic to the load balancer itself.
        assert node_address(node("worker1", "0.0.0.0")) == ""


# --------------------------------------------------------------------------- server_name


class TestServerName:
    @pytest.mark.parametrize("hostname, expected", [
        pytest.param("worker1", "worker1", id="plain"),
        pytest.param("ok-host_3.lab", "ok-host_3.lab", id="dash-underscore-dot-kept"),
        pytest.param("Bravo", "Bravo", id="case-kept"),
        pytest.param("web node#1", "web_node_1", id="space-and-hash"),
        pytest.param("db:2/x", "db_2_x", id="colon-and-slash"),
        pytest.param("nœud", "n_ud", id="non-ascii"),
        pytest.param("a  b", "a__b", id="each-character-replaced"),
        pytest.param("", "", id="empty"),
    ])
    def test_characters_haproxy_refuses_become_underscores(self, hostname, expected):
        assert server_name(hostname) == expected

    def test_frontends_name_their_servers_with_it(self):
        swarm = Swarm([node("web node#1", "192.168.77.41")])
        swarm.add(service("demo_web", port(8080)))
        assert hosts_of(only(swarm.frontends())) == [server_name("web node#1")]


# --------------------------------------------------------------------------- host mode


class TestHostMode:
    """Without placement constraints a host-mode port may answer on any node: every node is a server."""

    @pytest.mark.parametrize("task_hosts", [
        pytest.param((), id="no-task"),
        pytest.param(("worker1",), id="one-task"),
        pytest.param(("worker1", "manager1"), id="two-tasks"),
        pytest.param(ALL, id="a-task-on-every-node"),
        pytest.param(("worker1", "worker1"), id="two-tasks-on-one-node"),
    ])
    def test_every_node_is_a_server_whatever_the_tasks(self, task_hosts):
        swarm = web_swarm(*task_hosts)
        assert swarm.frontends() == [frontend("demo_web", 8080, servers(*ALL))]

    @pytest.mark.parametrize("desired, state", [
        pytest.param("shutdown", "shutdown", id="shut-down"),
        pytest.param("running", "pending", id="pending"),
        pytest.param("running", "failed", id="failed"),
        pytest.param("running", "rejected", id="rejected"),
        pytest.param("remove", "running", id="being-removed"),
    ])
    def test_tasks_that_do_not_run_change_nothing(self, desired, state):
        swarm = web_swarm("worker1", desired=desired, state=state)
        assert only(swarm.frontends())["servers"] == servers(*ALL)

    def test_tasks_are_not_read(self):
        # Tasks on unlisted or no nodes, of unknown services, or not even task-shaped: nothing changes.
        swarm = web_swarm("worker1")
        expected = swarm.frontends()
        swarm.tasks += [task(swarm.services[0], make_id("node-gone")), task(service("ghost"), "x"), {}, "junk"]
        assert swarm.frontends() == expected

    @pytest.mark.parametrize("state", ["down", "unknown", "disconnected", "Down"])
    def test_a_node_that_is_not_ready_is_still_a_server(self, state):
        # The health checks take it out of rotation; listing it keeps the backend valid when it comes back.
        swarm = web_swarm("worker1")
        swarm.node("worker2")["Status"]["State"] = state
        assert only(swarm.frontends())["servers"] == servers(*ALL)

    def test_node_without_status_state_is_still_a_server(self):
        swarm = web_swarm()
        del swarm.node("worker1")["Status"]["State"]
        assert only(swarm.frontends())["servers"] == servers(*ALL)

    def test_swarm_without_nodes_gives_a_frontend_without_servers(self):
        swarm = web_swarm(nodes=[])
        assert swarm.frontends() == [frontend("demo_web", 8080, [])]

    def test_another_service_with_host_ports_gives_its_own_frontend(self):
        swarm = web_swarm("worker1")
        swarm.add(service("demo_api", port(9000)), "worker2")
        assert swarm.frontends() == [
            frontend("demo_api", 9000, servers(*ALL, port=9000)),
            frontend("demo_web", 8080, servers(*ALL)),
        ]

    def test_server_port_is_the_published_port(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, target=80), port(8443, target=443)), "worker1")
        assert [(f["published_port"], f["servers"]) for f in swarm.frontends()] == [
            (8080, servers(*ALL, port=8080)),
            (8443, servers(*ALL, port=8443)),
        ]

    def test_publish_mode_case_is_ignored(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, "Host")), "worker1")
        front = only(swarm.frontends())
        assert (front["publish_mode"], front["servers"]) == ("host", servers(*ALL))

    def test_service_without_task_template_has_no_constraints(self):
        swarm = web_swarm()
        del swarm.services[0]["Spec"]["TaskTemplate"]
        assert only(swarm.frontends())["servers"] == servers(*ALL)

    @pytest.mark.parametrize("placement", [
        pytest.param({}, id="empty-placement"),
        pytest.param({"Constraints": None}, id="constraints-none"),
        pytest.param({"Constraints": []}, id="constraints-empty"),
        pytest.param({"Platforms": [{"OS": "linux", "Architecture": "amd64"}]}, id="platforms-only"),
    ])
    def test_placement_without_constraints_keeps_every_node(self, placement):
        swarm = web_swarm()
        swarm.services[0]["Spec"]["TaskTemplate"]["Placement"] = placement
        assert only(swarm.frontends())["servers"] == servers(*ALL)


# --------------------------------------------------------------------------- placement constraints


class TestConstraints:
    """A host-mode port's servers are the nodes that satisfy every placement constraint of the service."""

    @pytest.mark.parametrize("constraints, expected", [
        pytest.param(["node.labels.tier==web"], ("worker1", "worker2"), id="label"),
        pytest.param(["node.labels.tier!=web"], ("manager1", "worker3"), id="label-not-equal-and-label-missing"),
        pytest.param(["node.labels.zone==b"], ("worker2", "worker3"), id="another-label"),
        pytest.param(["node.labels.rack==r1"], (), id="label-no-node-has"),
        pytest.param(["node.labels.rack!=r1"], LABELLED, id="not-a-label-no-node-has"),
        pytest.param(["node.role==manager"], ("manager1",), id="role-manager"),
        pytest.param(["node.role!=manager"], ("worker1", "worker2", "worker3"), id="role-not-manager"),
        pytest.param(["node.role==worker"], ("worker1", "worker2", "worker3"), id="role-worker"),
        pytest.param(["node.hostname==worker2"], ("worker2",), id="hostname"),
        pytest.param(["node.hostname!=worker2"], ("manager1", "worker1", "worker3"), id="hostname-not-equal"),
        pytest.param([f"node.id=={make_id('node-worker3')}"], ("worker3",), id="node-id"),
        pytest.param(["node.platform.os==linux"], LABELLED, id="platform-os"),
        pytest.param(["node.platform.arch==aarch64"], (), id="platform-arch"),
        pytest.param(["node.labels.tier == web"], ("worker1", "worker2"), id="spaces-around-the-operator"),
    ])
    def test_one_constraint(self, constraints, expected):
        swarm = web_swarm(constraints=constraints, nodes=labelled_nodes())
        assert swarm.frontends() == [frontend("demo_web", 8080, servers(*expected))]

    @pytest.mark.parametrize("constraints, expected", [
        pytest.param(["node.labels.tier==web", "node.labels.zone==b"], ("worker2",), id="two-labels"),
        pytest.param(["node.role!=manager", "node.labels.tier!=web"], ("worker3",), id="two-not-equal"),
        pytest.param(["node.labels.zone==b", "node.hostname!=worker2"], ("worker3",), id="label-and-hostname"),
        pytest.param(["node.role==worker", "node.labels.tier==web", "node.labels.zone==a"], ("worker1",),
                     id="three"),
        pytest.param(["node.labels.tier==web", "node.labels.tier==db"], (), id="contradictory"),
        pytest.param(["node.role==manager", "node.role==manager"], ("manager1",), id="repeated"),
    ])
    def test_every_constraint_must_match(self, constraints, expected):
        swarm = web_swarm(constraints=constraints, nodes=labelled_nodes())
        assert only(swarm.frontends())["servers"] == servers(*expected)

    @pytest.mark.parametrize("constraint, expected", [
        # Like swarmkit: values and keys without regard to case, but for a label's own name.
        pytest.param("node.labels.tier==WEB", ("worker1", "worker2"), id="label-value"),
        pytest.param("NODE.LABELS.tier==web", ("worker1", "worker2"), id="label-prefix"),
        pytest.param("node.labels.Zone==b", (), id="label-name-is-case-sensitive"),
        pytest.param("node.role==Manager", ("manager1",), id="role-value"),
        pytest.param("Node.Role!=MANAGER", ("worker1", "worker2", "worker3"), id="role-key-and-value"),
        pytest.param("node.hostname==WORKER2", ("worker2",), id="hostname-value"),
        pytest.param("node.platform.os==Linux", LABELLED, id="platform-value"),
    ])
    def test_case_is_ignored_as_constraint_matches_does(self, constraint, expected):
        swarm = web_swarm(constraints=[constraint], nodes=labelled_nodes())
        assert only(swarm.frontends())["servers"] == servers(*expected)

    def test_a_label_name_spelt_in_another_case_on_the_node_does_not_match(self):
        # swarmkit looks the label name up as it is written: Tier is not tier (its value may differ in case).
        nodes = labelled_nodes()
        nodes[3]["Spec"]["Labels"] = {"Tier": "Web"}
        swarm = web_swarm(constraints=["node.labels.tier==web"], nodes=nodes)
        assert only(swarm.frontends())["servers"] == servers("worker1", "worker2")

    def test_a_label_name_spelt_in_another_case_on_the_node_reads_as_missing(self):
        # For != the node has no label tier at all, so it matches.
        nodes = labelled_nodes()
        nodes[3]["Spec"]["Labels"] = {"Tier": "db"}
        swarm = web_swarm(constraints=["node.labels.tier!=web"], nodes=nodes)
        assert only(swarm.frontends())["servers"] == servers("manager1", "worker3")

    @pytest.mark.parametrize("constraint, expected", [
        # Swarm reads node.ip from Status.Addr: manager1 reports 0.0.0.0 there (its servers use ManagerStatus.Addr).
        pytest.param("node.ip==192.168.77.31", ("worker1",), id="address"),
        pytest.param("node.ip!=192.168.77.31", ("manager1", "worker2", "worker3"), id="not-address"),
        pytest.param("node.ip==192.168.77.0/24", ("worker1", "worker2", "worker3"), id="network"),
        pytest.param("node.ip!=192.168.77.0/24", ("manager1",), id="not-network"),
        pytest.param("node.ip==192.168.77.32/31", ("worker2", "worker3"), id="network-31"),
        pytest.param("node.ip==192.168.77.33/24", ("worker1", "worker2", "worker3"), id="network-with-host-bits"),
        pytest.param("node.ip==192.168.77.11", (), id="manager-addr-is-not-read"),
        pytest.param("node.ip==0.0.0.0", ("manager1",), id="status-addr-0000"),
        pytest.param("NODE.IP==192.168.77.31", ("worker1",), id="key-case"),
        pytest.param("node.ip == 192.168.77.33", ("worker3",), id="spaces-around-the-operator"),
        pytest.param("node.ip==2001:db8::31", (), id="ipv6-address"),
        pytest.param("node.ip!=2001:db8::/32", LABELLED, id="not-ipv6-network"),
    ])
    def test_node_ip(self, constraint, expected):
        swarm = web_swarm(constraints=[constraint], nodes=labelled_nodes())
        assert swarm.frontends() == [frontend("demo_web", 8080, servers(*expected))]

    @pytest.mark.parametrize("constraint", [
        "node.ip==192.168.77.300", "node.ip!=192.168.77.300", "node.ip==worker1", "node.ip!=worker1",
        "node.ip==192.168.77.0/33", "node.ip!=192.168.77.0/33", "node.ip==", "node.ip!=",
    ])
    def test_a_malformed_node_ip_matches_no_node(self, constraint):
        swarm = web_swarm(constraints=[constraint], nodes=labelled_nodes())
        assert only(swarm.frontends())["servers"] == []

    def test_node_ip_of_a_node_without_status_addr(self):
        # Reached through an address override: it has no address of its own to be inside any network.
        nodes = labelled_nodes()
        nodes[3]["Status"]["Addr"] = ""
        addresses = {"worker3": "10.0.0.33"}
        inside = web_swarm(constraints=["node.ip==0.0.0.0/0"], nodes=nodes).frontends(addresses=addresses)
        outside = web_swarm(constraints=["node.ip!=192.168.77.31"], nodes=nodes).frontends(addresses=addresses)
        assert hosts_of(only(inside)) == ["manager1", "worker1", "worker2"]
        assert only(outside)["servers"] == servers("manager1", "worker2") + [
            {"name": "worker3", "address": "10.0.0.33", "port": 8080, "maintenance": False},
        ]

    def test_node_ip_and_a_label_together(self):
        swarm = web_swarm(constraints=["node.ip==192.168.77.32/30", "node.labels.zone==b"], nodes=labelled_nodes())
        assert only(swarm.frontends())["servers"] == servers("worker2", "worker3")

    @pytest.mark.parametrize("constraint", [
        "node.zone==a", "node.zone!=a", "node.labels==web", "node.labels!=web", "node.name==worker1",
        "node.name!=worker1", "labels.tier==web", "labels.tier!=web",
    ])
    def test_a_key_swarm_does_not_know_matches_no_node(self, constraint):
        swarm = web_swarm(constraints=[constraint], nodes=labelled_nodes())
        assert only(swarm.frontends())["servers"] == []

    @pytest.mark.parametrize("constraint, expected", [
        pytest.param("engine.labels.storage==ssd", (), id="equal"),
        pytest.param("engine.labels.storage!=ssd", LABELLED, id="not-equal"),
    ])
    def test_engine_labels_no_node_has(self, constraint, expected):
        swarm = web_swarm(constraints=[constraint], nodes=labelled_nodes())
        assert only(swarm.frontends())["servers"] == servers(*expected)

    @pytest.mark.parametrize("constraint", ["node.labels.zone", "node.role=manager", "node.hostname", ""])
    def test_a_constraint_that_can_not_be_read_raises(self, constraint):
        swarm = web_swarm(constraints=["node.role!=manager", constraint], nodes=labelled_nodes())
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == f"placement constraint {constraint!r} has no == or != operator"
        cause = excinfo.value.__cause__
        assert isinstance(cause, ValueError) and not isinstance(cause, BackendError)

    def test_a_constraint_that_can_not_be_read_raises_next_to_other_services(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_api", port(9000), constraints=["node.labels.tier==db"]))
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web", "node.labels.zone"]))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == "placement constraint 'node.labels.zone' has no == or != operator"

    def test_a_constraint_that_can_not_be_read_in_a_service_left_out_is_not_read(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_api", port(9000), constraints=["node.labels.zone"]))
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]))
        assert swarm.frontends(only=["demo_web"]) == [frontend("demo_web", 8080, servers("worker1", "worker2"))]

    def test_matching_nodes_are_servers_whatever_their_state_and_tasks(self):
        # worker2 is down and has no task, worker1 runs the only task: both may run one, both are listed.
        swarm = web_swarm("worker1", constraints=["node.labels.tier==web"], nodes=labelled_nodes())
        swarm.node("worker2")["Status"]["State"] = "down"
        assert only(swarm.frontends())["servers"] == servers("worker1", "worker2")

    def test_a_task_on_a_node_the_constraints_exclude_adds_no_server(self):
        # A task left over from before the constraint changed (or being shut down) is not a reason to list the node.
        swarm = web_swarm("manager1", "worker3", constraints=["node.labels.tier==web"], nodes=labelled_nodes())
        assert only(swarm.frontends())["servers"] == servers("worker1", "worker2")

    def test_relabelling_a_node_changes_the_servers(self):
        swarm = web_swarm(constraints=["node.labels.tier==web"], nodes=labelled_nodes())
        swarm.node("worker3")["Spec"]["Labels"]["tier"] = "web"
        swarm.node("worker1")["Spec"]["Labels"]["tier"] = "db"
        assert only(swarm.frontends())["servers"] == servers("worker2", "worker3")

    def test_node_without_labels(self):
        nodes = labelled_nodes()
        del nodes[1]["Spec"]["Labels"]
        nodes[2]["Spec"]["Labels"] = None
        swarm = web_swarm(constraints=["node.labels.tier!=db"], nodes=nodes)
        assert only(swarm.frontends())["servers"] == servers("manager1", "worker1", "worker2")

    def test_each_service_has_its_own_constraints(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]))
        swarm.add(service("demo_db", port(5432), constraints=["node.labels.tier==db"]))
        swarm.add(service("demo_admin", port(9090), constraints=["node.role==manager"]))
        assert swarm.frontends() == [
            frontend("demo_admin", 9090, servers("manager1", port=9090)),
            frontend("demo_db", 5432, servers("worker3", port=5432)),
            frontend("demo_web", 8080, servers("worker1", "worker2")),
        ]

    def test_ingress_port_ignores_the_constraints(self):
        # The routing mesh answers on every node, wherever the tasks may run.
        swarm = web_swarm(mode="ingress", constraints=["node.labels.tier==db"], nodes=labelled_nodes())
        assert swarm.frontends() == [frontend("demo_web", 8080, servers(*LABELLED), publish_mode="ingress")]

    def test_host_and_ingress_ports_of_a_constrained_service(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080, "host"), port(8081, "ingress"), constraints=["node.labels.zone==a"]))
        assert swarm.frontends() == [
            frontend("demo_web", 8080, servers("manager1", "worker1")),
            frontend("demo_web", 8081, servers(*LABELLED, port=8081), publish_mode="ingress"),
        ]

    def test_a_matching_node_without_an_address_is_left_out(self):
        nodes = labelled_nodes()
        nodes[2]["Status"]["Addr"] = ""
        swarm = web_swarm(constraints=["node.labels.tier==web"], nodes=nodes)
        assert only(swarm.frontends())["servers"] == servers("worker1")


# --------------------------------------------------------------------------- drained and paused nodes


class TestMaintenance:
    """A drained or paused node stays a server, in maintenance: out of rotation until it is active again."""

    @pytest.mark.parametrize("availability, maintenance", [
        pytest.param("active", False, id="active"),
        pytest.param("Active", False, id="Active"),
        pytest.param("drain", True, id="drain"),
        pytest.param("DRAIN", True, id="DRAIN"),
        pytest.param("pause", True, id="pause"),
        pytest.param("Pause", True, id="Pause"),
        pytest.param("", False, id="empty-means-active"),
        pytest.param(None, False, id="none-means-active"),
    ])
    def test_maintenance_follows_the_availability(self, availability, maintenance):
        nodes = default_nodes()
        nodes[1]["Spec"]["Availability"] = availability
        swarm = web_swarm(nodes=nodes)
        assert only(swarm.frontends())["servers"] == servers(*ALL, maintenance=("worker1",) if maintenance else ())

    def test_node_without_availability_is_active(self):
        nodes = default_nodes()
        del nodes[1]["Spec"]["Availability"]
        assert only(web_swarm(nodes=nodes).frontends())["servers"] == servers(*ALL)

    def test_node_without_spec_is_active(self):
        nodes = default_nodes()
        del nodes[2]["Spec"]
        assert only(web_swarm(nodes=nodes).frontends())["servers"] == servers(*ALL)

    def test_drained_and_paused_nodes_in_host_mode(self):
        swarm = web_swarm("worker1", nodes=labelled_nodes(worker1="drain", worker3="pause"))
        assert only(swarm.frontends())["servers"] == servers(*LABELLED, maintenance=("worker1", "worker3"))

    def test_drained_and_paused_nodes_in_ingress_mode(self):
        swarm = web_swarm(mode="ingress", nodes=labelled_nodes(manager1="drain", worker2="pause"))
        assert swarm.frontends() == [
            frontend("demo_web", 8080, servers(*LABELLED, maintenance=("manager1", "worker2")), publish_mode="ingress"),
        ]

    def test_a_drained_node_the_constraints_exclude_is_not_listed(self):
        swarm = web_swarm(constraints=["node.labels.tier==web"], nodes=labelled_nodes(worker2="drain", worker3="drain"))
        assert only(swarm.frontends())["servers"] == servers("worker1", "worker2", maintenance=("worker2",))

    def test_every_node_drained(self):
        swarm = web_swarm(nodes=labelled_nodes(manager1="drain", worker1="drain", worker2="pause", worker3="drain"))
        assert only(swarm.frontends())["servers"] == servers(*LABELLED, maintenance=LABELLED)

    def test_a_drained_node_that_is_down(self):
        nodes = labelled_nodes(worker1="drain")
        nodes[1]["Status"]["State"] = "down"
        assert only(web_swarm(nodes=nodes).frontends())["servers"] == servers(*LABELLED, maintenance=("worker1",))

    def test_maintenance_of_the_same_node_in_every_frontend(self):
        swarm = Swarm(labelled_nodes(worker2="drain"))
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]))
        swarm.add(service("demo_api", port(9000, "ingress")))
        assert swarm.frontends() == [
            frontend("demo_api", 9000, servers(*LABELLED, port=9000, maintenance=("worker2",)), publish_mode="ingress"),
            frontend("demo_web", 8080, servers("worker1", "worker2", maintenance=("worker2",))),
        ]


# --------------------------------------------------------------------------- ingress


class TestIngress:
    def test_every_node_is_a_server(self):
        swarm = web_swarm("worker1", mode="ingress")
        assert swarm.frontends() == [frontend("demo_web", 8080, servers(*ALL), publish_mode="ingress")]

    def test_without_any_task(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, "ingress")))
        assert only(swarm.frontends())["servers"] == servers(*ALL)

    def test_a_node_that_is_down_is_still_a_server(self):
        swarm = web_swarm(mode="ingress")
        swarm.node("worker1")["Status"]["State"] = "down"
        assert only(swarm.frontends())["servers"] == servers(*ALL)

    def test_publish_mode_defaults_to_ingress(self):
        swarm = Swarm()
        unset = port(8080)
        del unset["PublishMode"]
        swarm.add(service("demo_web", unset))
        front = only(swarm.frontends())
        assert (front["publish_mode"], front["servers"]) == ("ingress", servers(*ALL))

    def test_host_and_ingress_ports_of_one_service(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, "host"), port(8081, "ingress")), "worker2")
        assert swarm.frontends() == [
            frontend("demo_web", 8080, servers(*ALL)),
            frontend("demo_web", 8081, servers(*ALL, port=8081), publish_mode="ingress"),
        ]


# --------------------------------------------------------------------------- server addresses


class TestServers:
    def test_manager_reporting_0000_is_reached_on_its_manager_addr(self):
        swarm = web_swarm(nodes=[node("manager1", "0.0.0.0", manager_addr="192.168.77.11:2377", leader=True)])
        assert only(swarm.frontends())["servers"] == [
            {"name": "manager1", "address": "192.168.77.11", "port": 8080, "maintenance": False},
        ]

    def test_addresses_override_by_hostname(self):
        swarm = web_swarm("worker1", "manager1")
        result = swarm.frontends(addresses={"worker1": "10.0.0.31", "manager1": "10.0.0.11", "ghost": "10.0.0.99"})
        assert only(result)["servers"] == [
            {"name": "manager1", "address": "10.0.0.11", "port": 8080, "maintenance": False},
            {"name": "worker1", "address": "10.0.0.31", "port": 8080, "maintenance": False},
            {"name": "worker2", "address": "192.168.77.32", "port": 8080, "maintenance": False},
        ]

    def test_empty_override_falls_back_to_the_swarm_address(self):
        swarm = web_swarm("worker1")
        assert only(swarm.frontends(addresses={"worker1": ""}))["servers"] == servers(*ALL)

    def test_override_keeps_the_maintenance_flag(self):
        swarm = web_swarm(nodes=[node("worker1", "192.168.77.31", availability="drain")])
        assert only(swarm.frontends(addresses={"worker1": "10.0.0.31"}))["servers"] == [
            {"name": "worker1", "address": "10.0.0.31", "port": 8080, "maintenance": True},
        ]

    def test_override_is_keyed_by_the_hostname_not_the_sanitised_name(self):
        swarm = Swarm([node("web node", "192.168.77.40")])
        swarm.add(service("demo_web", port(8080)), "web node")
        assert only(swarm.frontends(addresses={"web node": "10.0.0.40", "web_node": "10.0.0.41"}))["servers"] == [
            {"name": "web_node", "address": "10.0.0.40", "port": 8080, "maintenance": False},
        ]

    @pytest.mark.parametrize("mode", ["host", "ingress"])
    def test_node_without_any_address_is_not_a_server(self, mode):
        swarm = Swarm(default_nodes() + [node("worker3", "")])
        swarm.add(service("demo_web", port(8080, mode)))
        assert only(swarm.frontends())["servers"] == servers(*ALL)

    def test_override_gives_a_node_without_address_its_server(self):
        swarm = Swarm(default_nodes() + [node("worker3", "", availability="pause")])
        swarm.add(service("demo_web", port(8080, "ingress")))
        assert only(swarm.frontends(addresses={"worker3": "10.0.0.33"}))["servers"][-1] == {
            "name": "worker3", "address": "10.0.0.33", "port": 8080, "maintenance": True,
        }

    def test_node_with_only_0000_is_not_a_server(self):
        swarm = Swarm(default_nodes() + [node("worker3", "0.0.0.0")])
        swarm.add(service("demo_web", port(8080, "ingress")))
        assert [s["address"] for s in only(swarm.frontends())["servers"]] == [
            ADDR["manager1"], ADDR["worker1"], ADDR["worker2"],
        ]

    def test_servers_sorted_by_name(self):
        nodes = [node(h, f"192.168.77.{i}") for i, h in enumerate(["zeta", "alpha", "mike", "Bravo"], start=50)]
        swarm = Swarm(nodes)
        swarm.add(service("demo_web", port(8080)), "zeta", "mike")
        assert hosts_of(only(swarm.frontends())) == ["Bravo", "alpha", "mike", "zeta"]

    def test_servers_sorted_by_the_sanitised_name(self):
        nodes = [node("web node#1", "192.168.77.41"), node("db:2/x", "192.168.77.42"),
                 node("ok-host_3.lab", "192.168.77.43")]
        swarm = Swarm(nodes)
        swarm.add(service("demo_web", port(8080)))
        assert hosts_of(only(swarm.frontends())) == ["db_2_x", "ok-host_3.lab", "web_node_1"]

    def test_server_names_are_sanitised(self):
        nodes = [node("web node#1", "192.168.77.41"), node("db:2/x", "192.168.77.42"),
                 node("ok-host_3.lab", "192.168.77.43")]
        swarm = Swarm(nodes)
        swarm.add(service("demo_web", port(8080, "ingress")))
        assert hosts_of(only(swarm.frontends())) == ["db_2_x", "ok-host_3.lab", "web_node_1"]

    @pytest.mark.parametrize("mode", ["host", "ingress"])
    def test_two_hostnames_that_make_one_server_name_raise(self, mode):
        nodes = default_nodes() + [node("web node", "192.168.77.41"), node("web#node", "192.168.77.42")]
        swarm = Swarm(nodes)
        swarm.add(service("demo_web", port(8080, mode)))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == (
            "demo_web: nodes web node, web#node would all be server web_node: give the nodes hostnames that differ "
            "in more than the characters HAProxy does not allow"
        )

    def test_the_old_entry_of_a_host_that_joined_again_gives_no_second_server(self):
        # worker1 left and joined again: its old node (down) stays in the list until it is removed.
        ghost = node("worker1", "192.168.77.31", state="down", node_id=make_id("node-worker1-old"))
        swarm = Swarm(default_nodes() + [ghost])
        swarm.add(service("demo_web", port(8080)))
        assert only(swarm.frontends())["servers"] == servers("manager1", "worker1", "worker2")

    def test_of_two_entries_of_one_hostname_the_ready_one_is_the_server(self):
        old = node("worker3", "192.168.77.99", state="down", node_id=make_id("node-worker3-old"))
        new = node("worker3", "192.168.77.33")
        swarm = Swarm(default_nodes() + [old, new])
        swarm.add(service("demo_web", port(8080)))
        assert only(swarm.frontends())["servers"][-1]["address"] == "192.168.77.33"

    def test_every_shared_server_name_is_named(self):
        nodes = [node("a b", "192.168.77.41"), node("c:d", "192.168.77.42"), node("a#b", "192.168.77.43"),
                 node("c/d", "192.168.77.44"), node("a:b", "192.168.77.45"), node("e", "192.168.77.46")]
        swarm = Swarm(nodes)
        swarm.add(service("demo_web", port(8080)))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == (
            "demo_web: nodes a b, a#b, a:b, c/d, c:d would all be server a_b, c_d: give the nodes hostnames that "
            "differ in more than the characters HAProxy does not allow"
        )

    def test_hostnames_that_make_one_server_name_in_different_backends_are_allowed(self):
        # Only the servers of one backend must have distinct names.
        nodes = [node("web node", "192.168.77.41", labels={"tier": "web"}),
                 node("web#node", "192.168.77.42", labels={"tier": "db"})]
        swarm = Swarm(nodes)
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]))
        swarm.add(service("demo_db", port(5432), constraints=["node.labels.tier==db"]))
        assert [(f["service"], f["servers"]) for f in swarm.frontends()] == [
            ("demo_db", [{"name": "web_node", "address": "192.168.77.42", "port": 5432, "maintenance": False}]),
            ("demo_web", [{"name": "web_node", "address": "192.168.77.41", "port": 8080, "maintenance": False}]),
        ]

    def test_hostnames_that_differ_only_in_case_are_different_server_names(self):
        swarm = Swarm([node("Web", "192.168.77.41"), node("web", "192.168.77.42")])
        swarm.add(service("demo_web", port(8080)))
        assert hosts_of(only(swarm.frontends())) == ["Web", "web"]

    def test_server_name_falls_back_to_the_node_id(self):
        anonymous = node("x", "192.168.77.44", node_id="abcdef0123456789abcdef012")
        del anonymous["Description"]
        swarm = Swarm([anonymous])
        swarm.add(service("demo_web", port(8080)))
        assert only(swarm.frontends())["servers"] == [
            {"name": "abcdef0123456789abcdef012", "address": "192.168.77.44", "port": 8080, "maintenance": False},
        ]


# --------------------------------------------------------------------------- services filter


class TestServicesFilter:
    def swarm(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080)), "worker1")
        swarm.add(service("demo_api", port(9000)), "worker2")
        swarm.add(service("demo_agent"), "manager1", "worker1", "worker2")
        return swarm

    @pytest.mark.parametrize("wanted", [None, [], ()])
    def test_empty_means_every_service_with_a_port(self, wanted):
        assert [f["service"] for f in self.swarm().frontends(only=wanted)] == ["demo_api", "demo_web"]

    def test_only_the_named_services(self):
        assert self.swarm().frontends(only=["demo_web"]) == [frontend("demo_web", 8080, servers(*ALL))]

    def test_named_service_without_ports_gives_no_frontend(self):
        assert self.swarm().frontends(only=["demo_agent"]) == []

    def test_unknown_service_raises_naming_it_and_the_known_services(self):
        with pytest.raises(BackendError) as excinfo:
            self.swarm().frontends(only=["demo_web", "demo_wbe", "amiss"])
        assert str(excinfo.value) == (
            "No service named amiss, demo_wbe in the swarm (services: demo_agent, demo_api, demo_web)"
        )

    def test_unknown_service_in_an_empty_swarm(self):
        with pytest.raises(BackendError, match=r"^No service named demo_web in the swarm \(services: \)$"):
            Swarm().frontends(only=["demo_web"])

    @pytest.mark.parametrize("wanted", ["demo_web", 5, {"demo_web": True}])
    def test_services_must_be_a_list(self, wanted):
        with pytest.raises(BackendError) as excinfo:
            self.swarm().frontends(only=wanted)
        assert str(excinfo.value) == f"services must be a list of service names, not {type(wanted).__name__}"


# --------------------------------------------------------------------------- skipped ports


class TestSkippedPorts:
    @pytest.mark.parametrize("protocol", ["udp", "UDP", "sctp"])
    def test_non_tcp_port_is_skipped(self, protocol):
        swarm = Swarm()
        swarm.add(service("demo_dns", port(53, protocol=protocol), port(5353, "ingress", protocol=protocol)),
                  "worker1")
        assert swarm.frontends() == []

    def test_udp_port_is_skipped_next_to_a_tcp_one(self):
        swarm = Swarm()
        swarm.add(service("demo_dns", port(53, protocol="udp"), port(53, protocol="tcp")), "worker1")
        assert swarm.frontends() == [frontend("demo_dns", 53, servers(*ALL, port=53))]

    @pytest.mark.parametrize("protocol", ["TCP", None])
    def test_protocol_tcp_in_any_case_or_unset(self, protocol):
        swarm = Swarm()
        p = port(8080)
        if protocol is None:
            del p["Protocol"]
        else:
            p["Protocol"] = protocol
        swarm.add(service("demo_web", p), "worker1")
        assert swarm.frontends() == [frontend("demo_web", 8080, servers(*ALL))]

    @pytest.mark.parametrize("published", [None, 0])
    def test_port_without_published_port_is_skipped(self, published):
        swarm = Swarm()
        swarm.add(service("demo_web", port(published, "ingress"), port(8080)), "worker1")
        assert swarm.frontends() == [frontend("demo_web", 8080, servers(*ALL))]

    def test_published_port_as_string(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port("8080")), "worker1")
        assert swarm.frontends() == [frontend("demo_web", 8080, servers(*ALL))]


# --------------------------------------------------------------------------- options


class TestOptions:
    def test_defaults_http_and_slash(self):
        front = only(web_swarm("worker1").frontends())
        assert (front["mode"], front["check_path"], front["bind_port"]) == ("http", "/", 8080)

    def test_options_none(self):
        assert web_swarm("worker1").frontends(options=None, addresses=None) == web_swarm("worker1").frontends()

    @pytest.mark.parametrize("mode", ["tcp", "http"])
    def test_mode(self, mode):
        front = only(web_swarm("worker1").frontends(options={"demo_web": {"mode": mode}}))
        assert front["mode"] == mode

    def test_check_path(self):
        front = only(web_swarm("worker1").frontends(options={"demo_web": {"check_path": "/healthz"}}))
        assert (front["mode"], front["check_path"]) == ("http", "/healthz")

    def test_the_service_labels_set_mode_and_check_path(self):
        swarm = web_swarm("worker1")
        swarm.services[0]["Spec"]["Labels"] = {"io.swarmops.lb.check_path": "/-/ready", "other": "x"}
        front = only(swarm.frontends())
        assert (front["mode"], front["check_path"]) == ("http", "/-/ready")
        swarm.services[0]["Spec"]["Labels"]["io.swarmops.lb.mode"] = "tcp"
        assert only(swarm.frontends())["mode"] == "tcp"

    def test_the_inventory_options_win_over_the_service_labels(self):
        swarm = web_swarm("worker1")
        swarm.services[0]["Spec"]["Labels"] = {"io.swarmops.lb.check_path": "/-/ready", "io.swarmops.lb.mode": "tcp"}
        front = only(swarm.frontends(options={"demo_web": {"check_path": "/healthz", "mode": "http"}}))
        assert (front["mode"], front["check_path"]) == ("http", "/healthz")

    def test_a_label_with_a_wrong_mode_is_refused_by_name(self):
        swarm = web_swarm("worker1")
        swarm.services[0]["Spec"]["Labels"] = {"io.swarmops.lb.mode": "udp"}
        with pytest.raises(BackendError, match="demo_web: mode must be http or tcp, not 'udp'"):
            swarm.frontends()

    def test_options_of_another_service_do_not_apply(self):
        options = {"demo_api": {"mode": "tcp", "check_path": "/x", "bind_port": {8080: 80}}}
        assert web_swarm("worker1").frontends(options=options) == [frontend("demo_web", 8080, servers(*ALL))]

    def test_none_settings_mean_defaults(self):
        assert web_swarm("worker1").frontends(options={"demo_web": None}) == [
            frontend("demo_web", 8080, servers(*ALL)),
        ]

    @pytest.mark.parametrize("bind_port", [
        pytest.param({8080: 80}, id="int-key"),
        pytest.param({"8080": 80}, id="str-key"),
        pytest.param({"8080": "80"}, id="str-key-str-value"),
        pytest.param({8080: "80"}, id="int-key-str-value"),
    ])
    def test_bind_port(self, bind_port):
        front = only(web_swarm("worker1").frontends(options={"demo_web": {"bind_port": bind_port}}))
        assert front == frontend("demo_web", 8080, servers(*ALL), bind=80)

    def test_int_key_wins_over_str_key(self):
        front = only(web_swarm("worker1").frontends(options={"demo_web": {"bind_port": {8080: 80, "8080": 81}}}))
        assert front["bind_port"] == 80

    def test_bind_port_applies_to_its_published_port_only(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080), port(8443)), "worker1")
        result = swarm.frontends(options={"demo_web": {"bind_port": {"8443": 443}}})
        assert [(f["published_port"], f["bind_port"]) for f in result] == [(8080, 8080), (8443, 443)]

    def test_bind_port_does_not_change_the_server_port_or_the_name(self):
        front = only(web_swarm("worker1").frontends(options={"demo_web": {"bind_port": {8080: 80}}}))
        assert (front["name"], [s["port"] for s in front["servers"]]) == ("demo_web_8080", [8080, 8080, 8080])

    @pytest.mark.parametrize("value", [70000, 0, -1, "eighty", None])
    def test_bind_port_that_is_not_a_tcp_port_raises(self, value):
        with pytest.raises(BackendError) as excinfo:
            web_swarm().frontends(options={"demo_web": {"bind_port": {8080: value}}})
        assert str(excinfo.value) == f"demo_web: bind_port {value!r} is not a TCP port"

    @pytest.mark.parametrize("bind_port", [[80], "80", 80])
    def test_bind_port_that_is_not_a_mapping_raises(self, bind_port):
        with pytest.raises(BackendError) as excinfo:
            web_swarm().frontends(options={"demo_web": {"bind_port": bind_port}})
        assert str(excinfo.value) == "demo_web: bind_port must map published ports to listen ports"

    @pytest.mark.parametrize("mode", ["https", "TCP", "", None, "health"])
    def test_invalid_mode_raises(self, mode):
        with pytest.raises(BackendError) as excinfo:
            web_swarm("worker1").frontends(options={"demo_web": {"mode": mode}})
        assert str(excinfo.value) == f"demo_web: mode must be http or tcp, not {mode!r}"

    def test_invalid_mode_of_a_service_without_ports_raises(self):
        swarm = Swarm()
        swarm.add(service("demo_agent"), "worker1")
        with pytest.raises(BackendError, match="^demo_agent: mode must be http or tcp"):
            swarm.frontends(options={"demo_agent": {"mode": "udp"}})

    def test_invalid_mode_of_a_service_left_out_is_ignored(self):
        swarm = web_swarm("worker1")
        swarm.add(service("demo_api", port(9000)), "worker2")
        result = swarm.frontends(only=["demo_web"], options={"demo_api": {"mode": "udp"}})
        assert [f["service"] for f in result] == ["demo_web"]

    @pytest.mark.parametrize("options", [
        pytest.param({"demo_web": "tcp"}, id="str"),
        pytest.param({"demo_web": ["tcp"], "demo_api": 3}, id="list-and-int"),
    ])
    def test_settings_that_are_not_mappings_raise(self, options):
        with pytest.raises(BackendError) as excinfo:
            web_swarm().frontends(options=options)
        names = ", ".join(sorted(options))
        assert str(excinfo.value) == f"options of {names} must be mappings (mode, check_path, bind_port)"

    @pytest.mark.parametrize("options, addresses", [
        pytest.param(["demo_web"], None, id="options-list"),
        pytest.param("tcp", None, id="options-str"),
        pytest.param(None, ["10.0.0.1"], id="addresses-list"),
        pytest.param(None, "10.0.0.1", id="addresses-str"),
    ])
    def test_options_and_addresses_must_be_mappings(self, options, addresses):
        with pytest.raises(BackendError) as excinfo:
            web_swarm("worker1").frontends(options=options, addresses=addresses)
        assert str(excinfo.value) == (
            "options and addresses must be mappings keyed by service name and node hostname"
        )


# --------------------------------------------------------------------------- host ports shared on a node


class TestHostPortOverlap:
    """Two services on one host port must not be able to run on one node: a check could pass on the other one."""

    def test_two_services_without_constraints_overlap_on_every_node(self):
        swarm = web_swarm("worker1")
        swarm.add(service("demo_web2", port(8080)), "worker2")
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == overlap_message(("demo_web", "demo_web2", 8080, ALL))
        assert str(excinfo.value) == (
            "demo_web and demo_web2 both publish port 8080 in host mode and may both run on manager1, worker1, "
            "worker2: a health check on such a node can not tell the two services apart. Give them placement "
            "constraints that no node satisfies for both, or publish different ports."
        )

    def test_tasks_do_not_matter(self):
        # Both may run on every node, even if today their tasks run on different ones.
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080)), "worker1")
        swarm.add(service("demo_web2", port(8080)))
        with pytest.raises(BackendError, match="^demo_web and demo_web2 both publish port 8080"):
            swarm.frontends()

    def test_partially_overlapping_constraints_name_the_shared_nodes(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]))
        swarm.add(service("demo_db", port(8080), constraints=["node.labels.zone==b"]))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == overlap_message(("demo_db", "demo_web", 8080, ("worker2",)))

    def test_one_constrained_and_one_free_service_overlap_on_the_constrained_nodes(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080), constraints=["node.role==manager"]))
        swarm.add(service("demo_api", port(8080)))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == overlap_message(("demo_api", "demo_web", 8080, ("manager1",)))

    def test_a_shared_node_counts_whatever_its_state_and_address(self):
        # worker2 is drained, down and has no address: it is not a server, but it may run both services later.
        nodes = labelled_nodes(worker2="drain")
        nodes[2]["Status"] = {"State": "down", "Addr": ""}
        swarm = Swarm(nodes)
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]))
        swarm.add(service("demo_db", port(8080), constraints=["node.labels.zone==b"]))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == overlap_message(("demo_db", "demo_web", 8080, ("worker2",)))

    def test_shared_nodes_are_named_by_hostname_sorted(self):
        nodes = [node("zeta", "192.168.77.50"), node("web node", "192.168.77.51"), node("Alpha", "192.168.77.52")]
        swarm = Swarm(nodes)
        swarm.add(service("b", port(8080)))
        swarm.add(service("a", port(8080)))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == overlap_message(("a", "b", 8080, ("Alpha", "web node", "zeta")))

    def test_every_pair_and_every_port_is_named(self):
        # Pairs in service name order, ports in numeric order.
        swarm = Swarm(labelled_nodes())
        swarm.add(service("c", port(9000), port(8080), constraints=["node.labels.zone==b"]))
        swarm.add(service("b", port(8080), constraints=["node.labels.tier==web"]))
        swarm.add(service("a", port(9000), port(8080), constraints=["node.hostname==worker3"]))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == overlap_message(
            ("a", "c", 8080, ("worker3",)),
            ("b", "c", 8080, ("worker2",)),
            ("a", "c", 9000, ("worker3",)),
        )

    def test_disjoint_constraints_do_not_overlap_but_still_clash_on_the_bind_port(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]))
        swarm.add(service("demo_db", port(8080), constraints=["node.labels.tier==db"]))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == CLASH_8080

    def test_disjoint_constraints_and_a_bind_port(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]))
        swarm.add(service("demo_db", port(8080), constraints=["node.labels.tier==db"]))
        assert swarm.frontends(options={"demo_db": {"bind_port": {8080: 8081}}}) == [
            frontend("demo_db", 8080, servers("worker3"), bind=8081),
            frontend("demo_web", 8080, servers("worker1", "worker2")),
        ]

    def test_role_constraints_that_exclude_each_other(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080), constraints=["node.role==manager"]))
        swarm.add(service("demo_web2", port(8080), constraints=["node.role!=manager"]))
        result = swarm.frontends(options={"demo_web2": {"bind_port": {8080: 8081}}})
        assert [(f["service"], f["bind_port"], hosts_of(f)) for f in result] == [
            ("demo_web", 8080, ["manager1"]),
            ("demo_web2", 8081, ["worker1", "worker2", "worker3"]),
        ]

    def test_a_bind_port_does_not_resolve_an_overlap(self):
        swarm = web_swarm()
        swarm.add(service("demo_web2", port(8080)))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends(options={"demo_web2": {"bind_port": {8080: 8081}}})
        assert str(excinfo.value) == overlap_message(("demo_web", "demo_web2", 8080, ALL))

    def test_the_overlap_is_checked_before_the_bind_port_clash(self):
        # 8080 overlaps; demo_api's bind port would also clash with 8080.
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080)))
        swarm.add(service("demo_web2", port(8080), constraints=["node.labels.tier==db"]))
        swarm.add(service("demo_api", port(9000, "ingress")))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends(options={"demo_api": {"bind_port": {9000: 8080}}})
        assert str(excinfo.value) == overlap_message(("demo_web", "demo_web2", 8080, ("worker3",)))

    def test_a_service_left_out_does_not_count(self):
        swarm = web_swarm()
        swarm.add(service("demo_web2", port(8080)))
        swarm.add(service("demo_api", port(9000)))
        assert swarm.frontends(only=["demo_web2", "demo_api"]) == [
            frontend("demo_api", 9000, servers(*ALL, port=9000)),
            frontend("demo_web2", 8080, servers(*ALL)),
        ]

    def test_two_of_three_services_chosen(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("a", port(8080), constraints=["node.labels.tier==web"]))
        swarm.add(service("b", port(8080), constraints=["node.labels.zone==b"]))
        swarm.add(service("c", port(8080), constraints=["node.labels.zone==a"]))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends(only=["a", "c"])
        assert str(excinfo.value) == overlap_message(("a", "c", 8080, ("worker1",)))

    @pytest.mark.parametrize("first_mode, second_mode", [
        pytest.param("host", "ingress", id="host-and-ingress"),
        pytest.param("ingress", "host", id="ingress-and-host"),
        pytest.param("ingress", "ingress", id="both-ingress"),
    ])
    def test_ingress_ports_do_not_count(self, first_mode, second_mode):
        # Only the bind port clash remains: the two frontends can not both listen on 8080.
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, first_mode)))
        swarm.add(service("demo_web2", port(8080, second_mode)))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == CLASH_8080

    def test_an_ingress_port_next_to_a_host_port_with_a_bind_port(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, "host")))
        swarm.add(service("demo_mesh", port(8080, "ingress")))
        result = swarm.frontends(options={"demo_mesh": {"bind_port": {8080: 8081}}})
        assert [(f["service"], f["publish_mode"], f["bind_port"]) for f in result] == [
            ("demo_mesh", "ingress", 8081), ("demo_web", "host", 8080),
        ]

    def test_udp_host_ports_do_not_count(self):
        swarm = Swarm()
        swarm.add(service("demo_dns", port(53, protocol="udp")))
        swarm.add(service("demo_dns2", port(53, protocol="udp")))
        assert swarm.frontends() == []

    def test_different_host_ports_do_not_overlap(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080)))
        swarm.add(service("demo_web2", port(8081)))
        assert [f["name"] for f in swarm.frontends()] == ["demo_web_8080", "demo_web2_8081"]

    def test_a_published_port_given_as_text_is_the_same_port(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080)))
        swarm.add(service("demo_web2", port("8080")))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == overlap_message(("demo_web", "demo_web2", 8080, ALL))

    def test_no_node_matches_both_when_one_matches_none(self):
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080)))
        swarm.add(service("demo_web2", port(8080), constraints=["node.labels.tier==cache"]))
        result = swarm.frontends(options={"demo_web2": {"bind_port": {8080: 8081}}})
        assert [(f["service"], hosts_of(f)) for f in result] == [
            ("demo_web", list(LABELLED)), ("demo_web2", []),
        ]


# --------------------------------------------------------------------------- bind port clashes


class TestBindPortClash:
    def swarm(self):
        """demo_web on the web tier and demo_web2 on the db tier, both on host port 8080: no node runs both."""
        swarm = Swarm(labelled_nodes())
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]), "worker1")
        swarm.add(service("demo_web2", port(8080), constraints=["node.labels.tier==db"]), "worker3")
        return swarm

    def test_two_host_mode_services_on_one_port_raise(self):
        with pytest.raises(BackendError) as excinfo:
            self.swarm().frontends()
        assert str(excinfo.value) == CLASH_8080

    def test_bind_port_resolves_the_clash(self):
        result = self.swarm().frontends(options={"demo_web2": {"bind_port": {8080: 8081}}})
        assert [(f["name"], f["bind_port"]) for f in result] == [("demo_web_8080", 8080), ("demo_web2_8080", 8081)]

    def test_bind_port_onto_another_published_port_raises(self):
        swarm = web_swarm("worker1")
        swarm.add(service("demo_api", port(9000, "ingress")))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends(options={"demo_api": {"bind_port": {9000: 8080}}})
        assert str(excinfo.value) == CLASH_8080

    def test_every_clashing_port_is_named_once(self):
        swarm = Swarm()
        for name in ("a", "b", "c"):
            swarm.add(service(name, port(8080), port(9000), constraints=[f"node.hostname=={name}"]))
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == (
            "Two frontends would listen on port(s) [8080, 9000]: set bind_port for one of the services"
        )

    def test_clash_of_a_service_left_out_does_not_count(self):
        assert [f["service"] for f in self.swarm().frontends(only=["demo_web2"])] == ["demo_web2"]


# --------------------------------------------------------------------------- frontends and order


class TestFrontends:
    def test_service_without_ports_gives_no_frontend(self):
        swarm = Swarm()
        swarm.add(service("demo_agent"), "manager1", "worker1")
        no_endpoint = service("demo_job")
        del no_endpoint["Spec"]["EndpointSpec"]
        swarm.add(no_endpoint, "worker2")
        empty_ports = service("demo_cron")
        empty_ports["Spec"]["EndpointSpec"]["Ports"] = []
        swarm.add(empty_ports)
        assert swarm.frontends() == []

    def test_empty_swarm(self):
        assert lb_frontends([], []) == []

    def test_services_and_nodes_are_positional(self):
        swarm = web_swarm()
        assert lb_frontends(swarm.services, swarm.nodes, None, None, None) == swarm.frontends()

    def test_sorted_by_service_name(self):
        swarm = Swarm()
        for name, published in (("web", 8080), ("api", 9000), ("Zulu", 7000), ("db", 5432)):
            swarm.add(service(name, port(published, "ingress")))
        assert [f["service"] for f in swarm.frontends()] == ["Zulu", "api", "db", "web"]

    def test_ports_of_one_service_keep_their_order(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8443, "ingress"), port(8080, "ingress")))
        assert [f["name"] for f in swarm.frontends()] == ["demo_web_8443", "demo_web_8080"]

    def test_frontend_name_is_sanitised(self):
        swarm = Swarm()
        swarm.add(service("demo web/v2", port(8080, "ingress")))
        front = only(swarm.frontends())
        assert (front["name"], front["service"]) == ("demo_web_v2_8080", "demo web/v2")

    def test_service_name_falls_back_to_the_id(self):
        swarm = Swarm()
        nameless = service("x", port(8080, "ingress"), service_id="srv0123456789abcdefghijkl")
        del nameless["Spec"]["Name"]
        swarm.add(nameless)
        assert only(swarm.frontends())["service"] == "srv0123456789abcdefghijkl"

    def test_lab_fixture(self):
        """demo_web (host mode 8080, 3 replicas, no placement constraint) and demo_agent (global, no ports) of the
        5-node lab: every node may run a demo_web task, so all five are servers, although only three run one
        (and the tasks are not even passed)."""
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        addr = {n["Description"]["Hostname"]: n["Status"]["Addr"] for n in data["nodes"]}
        result = lb_frontends(data["services"], data["nodes"])
        assert result == [{
            "name": "demo_web_8080",
            "service": "demo_web",
            "published_port": 8080,
            "bind_port": 8080,
            "publish_mode": "host",
            "mode": "http",
            "check_path": "/",
            "servers": [{"name": h, "address": addr[h], "port": 8080, "maintenance": False}
                        for h in ("manager1", "manager2", "manager3", "worker1", "worker2")],
        }]

    def test_lab_fixture_with_a_drained_node_and_a_constraint(self):
        """The lab's demo_web placed on the app tier (worker1 and worker2), with worker2 drained for maintenance."""
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        web = next(s for s in data["services"] if s["Spec"]["Name"] == "demo_web")
        web["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.labels.tier==app"]
        next(n for n in data["nodes"] if n["Description"]["Hostname"] == "worker2")["Spec"]["Availability"] = "drain"
        result = lb_frontends(data["services"], data["nodes"], only=["demo_web"], options={
            "demo_web": {"check_path": "/healthz", "bind_port": {"8080": 80}},
        })
        assert result == [{
            "name": "demo_web_8080",
            "service": "demo_web",
            "published_port": 8080,
            "bind_port": 80,
            "publish_mode": "host",
            "mode": "http",
            "check_path": "/healthz",
            "servers": [
                {"name": "worker1", "address": "192.168.78.31", "port": 8080, "maintenance": False},
                {"name": "worker2", "address": "192.168.78.32", "port": 8080, "maintenance": True},
            ],
        }]


# --------------------------------------------------------------------------- the load balancers' own settings


LB_HOSTS = ["lb1", "lb2"]


def lab_host_vars():
    """What the lab's inventory says of its hosts: the container as ansible_host, the address to advertise."""
    result = {}
    for host, address in (("manager1", "192.168.77.11"), ("manager2", "192.168.77.12"),
                          ("manager3", "192.168.77.13"), ("worker1", "192.168.77.31"),
                          ("worker2", "192.168.77.32"), ("lb1", "192.168.77.51"), ("lb2", "192.168.77.52")):
        result[host] = {"ansible_host": f"swarmops-lab-{host}", "swarm_advertise_addr": address}
    return result


def lab_settings(**changes):
    """The loadbalancer role's variables in the lab (its defaults, and the virtual address the lab role writes)."""
    settings = {
        "loadbalancer_vip": "192.168.77.50",
        "loadbalancer_vip_prefix": 24,
        "loadbalancer_vrrp_router_id": 51,
        "loadbalancer_vrrp_advert_int": 1,
        "loadbalancer_vrrp_password": "swarmops",
        "loadbalancer_check_fall": 2,
        "loadbalancer_check_rise": 1,
        "loadbalancer_service_options": {},
        "loadbalancer_stats_bind": "127.0.0.1:8404",
        "loadbalancer_metrics_bind": "",
    }
    settings.update(changes)
    return settings


def check(settings, lb_hosts=None, host_vars=None):
    """check_lb_settings on the lab (or the hosts given), checking that it changes none of its inputs."""
    lb_hosts = list(LB_HOSTS) if lb_hosts is None else lb_hosts
    host_vars = lab_host_vars() if host_vars is None else host_vars
    before = copy.deepcopy((settings, lb_hosts, host_vars))
    result = check_lb_settings(settings, lb_hosts, host_vars)
    assert (settings, lb_hosts, host_vars) == before, "check_lb_settings changed its inputs"
    return result


class TestHostAddress:
    @pytest.mark.parametrize("host_vars, expected", [
        pytest.param({"loadbalancer_vrrp_address": "10.0.0.51", "swarm_advertise_addr": "192.168.77.51",
                      "ansible_host": "192.168.1.51", "default_ipv4": "172.16.0.51"}, "10.0.0.51",
                     id="vrrp-address-wins"),
        pytest.param({"loadbalancer_vrrp_address": "", "swarm_advertise_addr": "192.168.77.51",
                      "ansible_host": "192.168.1.51", "default_ipv4": "172.16.0.51"}, "192.168.77.51",
                     id="empty-vrrp-address-then-advertise-addr"),
        pytest.param({"loadbalancer_vrrp_address": None, "swarm_advertise_addr": "192.168.77.51"}, "192.168.77.51",
                     id="none-vrrp-address"),
        pytest.param({"ansible_host": "192.168.1.51", "default_ipv4": "172.16.0.51"}, "192.168.1.51",
                     id="ansible-host-ipv4-before-default-ipv4"),
        pytest.param({"swarm_advertise_addr": "", "ansible_host": "192.168.1.51"}, "192.168.1.51",
                     id="empty-advertise-addr-then-ansible-host"),
        pytest.param({"ansible_host": "swarmops-lab-lb1", "default_ipv4": "172.16.0.51"}, "172.16.0.51",
                     id="ansible-host-name-is-skipped"),
        pytest.param({"ansible_host": "lb1.example.org", "default_ipv4": "172.16.0.51"}, "172.16.0.51",
                     id="ansible-host-fqdn-is-skipped"),
        pytest.param({"ansible_host": "2001:db8::51", "default_ipv4": "172.16.0.51"}, "172.16.0.51",
                     id="ansible-host-ipv6-is-skipped"),
        pytest.param({"ansible_host": "192.168.77.300", "default_ipv4": "172.16.0.51"}, "172.16.0.51",
                     id="ansible-host-not-an-address-is-skipped"),
        pytest.param({"ansible_host": "swarmops-lab-lb1"}, "", id="ansible-host-name-only"),
        pytest.param({"default_ipv4": "172.16.0.51"}, "172.16.0.51", id="default-ipv4-only"),
        pytest.param({"default_ipv4": {"address": "172.16.0.51", "interface": "eth0"}}, "",
                     id="default-ipv4-facts-dict-is-not-an-address"),
        pytest.param({"swarm_advertise_addr": 5, "default_ipv4": "172.16.0.51"}, "172.16.0.51",
                     id="not-a-string-is-skipped"),
        pytest.param({"loadbalancer_vrrp_address": "", "swarm_advertise_addr": "", "ansible_host": "",
                      "default_ipv4": ""}, "", id="all-empty"),
        pytest.param({}, "", id="nothing"),
        pytest.param({"ansible_user": "debian", "loadbalancer_vip": "192.168.77.50"}, "", id="other-variables"),
    ])
    def test_precedence(self, host_vars, expected):
        assert host_address(host_vars) == expected

    def test_lab_hosts(self):
        assert {h: host_address(v) for h, v in lab_host_vars().items()} == {
            "manager1": "192.168.77.11", "manager2": "192.168.77.12", "manager3": "192.168.77.13",
            "worker1": "192.168.77.31", "worker2": "192.168.77.32", "lb1": "192.168.77.51", "lb2": "192.168.77.52",
        }


def vrrp(lb_hosts, host_vars):
    before = copy.deepcopy((lb_hosts, host_vars))
    result = vrrp_peers(lb_hosts, host_vars)
    assert (lb_hosts, host_vars) == before, "vrrp_peers changed its inputs"
    return result


def unknown_message(hosts):
    return (f"the VRRP address of {hosts} is not known: set loadbalancer_vrrp_address (or swarm_advertise_addr) for "
            "it in the inventory (a run limited to some hosts, or with a host that does not answer, has no facts of "
            "the others)")


def not_ipv4_message(host, address):
    return (f"the VRRP address of {host} is {address!r}, not an IPv4 address: set loadbalancer_vrrp_address (or "
            "swarm_advertise_addr) to the address, without a port")


class TestVrrpPeers:
    def test_lab(self):
        assert vrrp(LB_HOSTS, lab_host_vars()) == {
            "hosts": {
                "lb1": {"priority": 200, "address": "192.168.77.51", "peers": ["192.168.77.52"]},
                "lb2": {"priority": 190, "address": "192.168.77.52", "peers": ["192.168.77.51"]},
            },
            "errors": [],
        }

    def test_three_hosts_priorities_by_sorted_name_and_peers_without_self(self):
        host_vars = {"lb-c": {"loadbalancer_vrrp_address": "10.0.0.3"}, "lb-a": {"swarm_advertise_addr": "10.0.0.1"},
                     "lb-b": {"ansible_host": "10.0.0.2"}}
        assert vrrp(["lb-c", "lb-a", "lb-b"], host_vars) == {
            "hosts": {
                "lb-a": {"priority": 200, "address": "10.0.0.1", "peers": ["10.0.0.2", "10.0.0.3"]},
                "lb-b": {"priority": 190, "address": "10.0.0.2", "peers": ["10.0.0.1", "10.0.0.3"]},
                "lb-c": {"priority": 180, "address": "10.0.0.3", "peers": ["10.0.0.1", "10.0.0.2"]},
            },
            "errors": [],
        }

    @pytest.mark.parametrize("order", [
        pytest.param(list(p), id="-".join(p)) for p in itertools.permutations(["lb1", "lb2", "lb3"])
    ])
    def test_the_order_of_the_hosts_does_not_matter(self, order):
        host_vars = {f"lb{i}": {"swarm_advertise_addr": f"192.168.77.5{i}"} for i in (1, 2, 3)}
        result = vrrp(order, host_vars)
        assert result == vrrp(["lb1", "lb2", "lb3"], host_vars)
        assert [(h, v["priority"]) for h, v in sorted(result["hosts"].items())] == [
            ("lb1", 200), ("lb2", 190), ("lb3", 180),
        ]

    def test_a_tuple_of_hosts(self):
        assert vrrp(("lb2", "lb1"), lab_host_vars()) == vrrp(LB_HOSTS, lab_host_vars())

    def test_names_sort_as_text(self):
        # The sorted host names, as text: lb10 comes before lb2.
        host_vars = {"lb2": {"swarm_advertise_addr": "10.0.0.2"}, "lb10": {"swarm_advertise_addr": "10.0.0.10"}}
        result = vrrp(["lb2", "lb10"], host_vars)
        assert {h: v["priority"] for h, v in result["hosts"].items()} == {"lb10": 200, "lb2": 190}

    def test_one_host_has_no_peers(self):
        assert vrrp(["lb1"], lab_host_vars()) == {
            "hosts": {"lb1": {"priority": 200, "address": "192.168.77.51", "peers": []}},
            "errors": [],
        }

    def test_no_host(self):
        assert vrrp([], lab_host_vars()) == {"hosts": {}, "errors": []}

    def test_other_hosts_of_the_inventory_are_not_peers(self):
        assert [v["peers"] for v in vrrp(LB_HOSTS, lab_host_vars())["hosts"].values()] == [
            ["192.168.77.52"], ["192.168.77.51"],
        ]

    def test_vrrp_address_wins_over_the_advertise_address(self):
        host_vars = lab_host_vars()
        host_vars["lb2"]["loadbalancer_vrrp_address"] = "10.0.0.52"
        assert vrrp(LB_HOSTS, host_vars)["hosts"] == {
            "lb1": {"priority": 200, "address": "192.168.77.51", "peers": ["10.0.0.52"]},
            "lb2": {"priority": 190, "address": "10.0.0.52", "peers": ["192.168.77.51"]},
        }

    @pytest.mark.parametrize("lb2_vars", [
        pytest.param(None, id="not-in-host-vars"),
        pytest.param({}, id="no-variables"),
        pytest.param({"ansible_host": "swarmops-lab-lb2"}, id="ansible-host-is-a-name"),
        pytest.param({"loadbalancer_vrrp_address": "", "swarm_advertise_addr": ""}, id="empty"),
    ])
    def test_unknown_address_is_an_error_never_an_empty_peer(self, lb2_vars):
        host_vars = lab_host_vars()
        if lb2_vars is None:
            del host_vars["lb2"]
        else:
            host_vars["lb2"] = lb2_vars
        assert vrrp(LB_HOSTS, host_vars) == {
            "hosts": {
                "lb1": {"priority": 200, "address": "192.168.77.51", "peers": []},
                "lb2": {"priority": 190, "address": "", "peers": ["192.168.77.51"]},
            },
            "errors": [unknown_message("lb2")],
        }

    def test_every_unknown_address_is_named_in_one_error(self):
        host_vars = {"lb1": {"swarm_advertise_addr": "192.168.77.51"}}
        result = vrrp(["lb3", "lb1", "lb2"], host_vars)
        assert result["errors"] == [unknown_message("lb2, lb3")]
        assert [h["priority"] for h in result["hosts"].values()] == [200, 190, 180]

    def test_a_shared_address_is_an_error(self):
        host_vars = lab_host_vars()
        host_vars["lb2"]["loadbalancer_vrrp_address"] = "192.168.77.51"
        assert vrrp(LB_HOSTS, host_vars)["errors"] == ["lb1, lb2 have the same VRRP address 192.168.77.51"]

    def test_each_shared_address_is_an_error(self):
        host_vars = {"lb1": {"swarm_advertise_addr": "10.0.0.1"}, "lb2": {"swarm_advertise_addr": "10.0.0.2"},
                     "lb3": {"ansible_host": "10.0.0.1"}, "lb4": {"default_ipv4": "10.0.0.2"},
                     "lb5": {"swarm_advertise_addr": "10.0.0.1"}}
        assert vrrp(["lb1", "lb2", "lb3", "lb4", "lb5"], host_vars)["errors"] == [
            "lb1, lb3, lb5 have the same VRRP address 10.0.0.1",
            "lb2, lb4 have the same VRRP address 10.0.0.2",
        ]

    def test_unknown_and_shared_addresses_together(self):
        host_vars = {"lb1": {"swarm_advertise_addr": "10.0.0.1"}, "lb2": {"swarm_advertise_addr": "10.0.0.1"}}
        assert vrrp(["lb1", "lb2", "lb3", "lb4"], host_vars)["errors"] == [
            unknown_message("lb3, lb4"),
            "lb1, lb2 have the same VRRP address 10.0.0.1",
        ]

    @pytest.mark.parametrize("lb2_vars, address", [
        pytest.param({"swarm_advertise_addr": "eth1"}, "eth1", id="interface-name"),
        pytest.param({"swarm_advertise_addr": "192.168.77.52:2377"}, "192.168.77.52:2377", id="address-and-port"),
        pytest.param({"loadbalancer_vrrp_address": "2001:db8::52"}, "2001:db8::52", id="ipv6"),
        pytest.param({"loadbalancer_vrrp_address": "192.168.77.52/24"}, "192.168.77.52/24", id="with-prefix"),
        pytest.param({"loadbalancer_vrrp_address": "192.168.77.300"}, "192.168.77.300", id="out-of-range"),
        pytest.param({"default_ipv4": "lb2.example.org"}, "lb2.example.org", id="default-ipv4-a-name"),
    ])
    def test_an_address_that_is_not_ipv4_is_an_error(self, lb2_vars, address):
        host_vars = lab_host_vars()
        host_vars["lb2"] = lb2_vars
        assert vrrp(LB_HOSTS, host_vars) == {
            "hosts": {
                "lb1": {"priority": 200, "address": "192.168.77.51", "peers": [address]},
                "lb2": {"priority": 190, "address": address, "peers": ["192.168.77.51"]},
            },
            "errors": [not_ipv4_message("lb2", address)],
        }

    def test_each_address_that_is_not_ipv4_is_its_own_error_after_the_unknown_ones(self):
        host_vars = {"lb1": {"swarm_advertise_addr": "eth1"}, "lb2": {"loadbalancer_vrrp_address": "eth1"},
                     "lb4": {"swarm_advertise_addr": "10.0.0.4:2377"}, "lb5": {"swarm_advertise_addr": "10.0.0.5"}}
        assert vrrp(["lb5", "lb4", "lb3", "lb2", "lb1"], host_vars)["errors"] == [
            unknown_message("lb3"),
            not_ipv4_message("lb1", "eth1"),
            not_ipv4_message("lb2", "eth1"),
            not_ipv4_message("lb4", "10.0.0.4:2377"),
            "lb1, lb2 have the same VRRP address eth1",
        ]

    def test_an_ansible_host_that_is_not_ipv4_is_skipped_not_an_error(self):
        host_vars = lab_host_vars()
        host_vars["lb2"] = {"ansible_host": "swarmops-lab-lb2", "default_ipv4": "192.168.77.52"}
        assert vrrp(LB_HOSTS, host_vars) == vrrp(LB_HOSTS, lab_host_vars())

    def test_twenty_hosts_are_allowed(self):
        hosts = [f"lb{i:02d}" for i in range(1, 21)]
        result = vrrp(hosts, {h: {"swarm_advertise_addr": f"10.0.0.{i}"} for i, h in enumerate(hosts, start=1)})
        assert result["errors"] == []
        assert [result["hosts"][h]["priority"] for h in hosts] == list(range(200, 0, -10))
        assert len(result["hosts"]["lb01"]["peers"]) == 19

    def test_more_than_twenty_hosts_is_an_error(self):
        hosts = [f"lb{i:02d}" for i in range(1, 22)]
        result = vrrp(hosts, {h: {"swarm_advertise_addr": f"10.0.0.{i}"} for i, h in enumerate(hosts, start=1)})
        assert result["errors"] == ["21 load balancer hosts: VRRP priorities are given for 20 at most"]


class TestCheckLbSettings:
    def test_lab_settings_are_valid(self):
        assert check(lab_settings()) == []

    def test_role_defaults_without_a_virtual_address_are_valid(self):
        assert check(lab_settings(loadbalancer_vip="")) == []

    @pytest.mark.parametrize("changes, message", [
        # the virtual address
        pytest.param({"loadbalancer_vip": "300.1.1.1"},
                     "loadbalancer_vip is '300.1.1.1': it must be an IPv4 address such as 192.0.2.10",
                     id="vip-not-an-address"),
        pytest.param({"loadbalancer_vip": "vip.example.org"},
                     "loadbalancer_vip is 'vip.example.org': it must be an IPv4 address such as 192.0.2.10",
                     id="vip-a-name"),
        pytest.param({"loadbalancer_vip": "2001:db8::50"},
                     "loadbalancer_vip is '2001:db8::50': it must be an IPv4 address such as 192.0.2.10",
                     id="vip-ipv6"),
        pytest.param({"loadbalancer_vip": "192.168.77.50/24"},
                     "loadbalancer_vip is '192.168.77.50/24': it must be an IPv4 address such as 192.0.2.10",
                     id="vip-with-prefix"),
        pytest.param({"loadbalancer_vip": "192.168.77.11"},
                     "loadbalancer_vip is 192.168.77.11, the address of manager1: the virtual address must be one "
                     "no host has", id="vip-of-a-swarm-node"),
        pytest.param({"loadbalancer_vip": "192.168.77.52"},
                     "loadbalancer_vip is 192.168.77.52, the address of lb2: the virtual address must be one "
                     "no host has", id="vip-of-a-load-balancer"),
        pytest.param({"loadbalancer_vip": "10.0.0.50"},
                     "loadbalancer_vip 10.0.0.50 is outside the subnet of lb1 (192.168.77.51/24), lb2 "
                     "(192.168.77.52/24): the virtual address must be on the load balancers' own network",
                     id="vip-outside-the-subnet"),
        pytest.param({"loadbalancer_vip": "192.168.77.0"},
                     "loadbalancer_vip 192.168.77.0 is the network address of 192.168.77.0/24: it must be an "
                     "address a host can hold", id="vip-network-address"),
        pytest.param({"loadbalancer_vip": "192.168.77.255"},
                     "loadbalancer_vip 192.168.77.255 is the broadcast address of 192.168.77.0/24: it must be an "
                     "address a host can hold", id="vip-broadcast-address"),
        pytest.param({"loadbalancer_vip": "192.168.77.0", "loadbalancer_vip_prefix": " 24 "},
                     "loadbalancer_vip 192.168.77.0 is the network address of 192.168.77.0/24: it must be an "
                     "address a host can hold", id="vip-network-address-prefix-as-text"),
        # the prefix
        pytest.param({"loadbalancer_vip_prefix": 0},
                     "loadbalancer_vip_prefix is 0: it must be a number from 1 to 32", id="prefix-0"),
        pytest.param({"loadbalancer_vip_prefix": 33},
                     "loadbalancer_vip_prefix is 33: it must be a number from 1 to 32", id="prefix-33"),
        pytest.param({"loadbalancer_vip_prefix": "x"},
                     "loadbalancer_vip_prefix is 'x': it must be a number from 1 to 32", id="prefix-x"),
        pytest.param({"loadbalancer_vip_prefix": None},
                     "loadbalancer_vip_prefix is None: it must be a number from 1 to 32", id="prefix-none"),
        pytest.param({"loadbalancer_vip_prefix": True},
                     "loadbalancer_vip_prefix is True: it must be a number from 1 to 32", id="prefix-bool"),
        pytest.param({"loadbalancer_vip_prefix": 24.5},
                     "loadbalancer_vip_prefix is 24.5: it must be a number from 1 to 32", id="prefix-float"),
        # the router id
        pytest.param({"loadbalancer_vrrp_router_id": 0},
                     "loadbalancer_vrrp_router_id is 0: it must be a number from 1 to 255", id="router-id-0"),
        pytest.param({"loadbalancer_vrrp_router_id": 256},
                     "loadbalancer_vrrp_router_id is 256: it must be a number from 1 to 255", id="router-id-256"),
        pytest.param({"loadbalancer_vrrp_router_id": "fifty"},
                     "loadbalancer_vrrp_router_id is 'fifty': it must be a number from 1 to 255", id="router-id-text"),
        pytest.param({"loadbalancer_vrrp_router_id": None},
                     "loadbalancer_vrrp_router_id is None: it must be a number from 1 to 255", id="router-id-none"),
        # the advert interval
        pytest.param({"loadbalancer_vrrp_advert_int": 0},
                     "loadbalancer_vrrp_advert_int is 0: it must be a whole number of seconds "
                     "from 1 to 255", id="advert-0"),
        pytest.param({"loadbalancer_vrrp_advert_int": -1},
                     "loadbalancer_vrrp_advert_int is -1: it must be a whole number of seconds "
                     "from 1 to 255", id="advert-minus-1"),
        pytest.param({"loadbalancer_vrrp_advert_int": "x"},
                     "loadbalancer_vrrp_advert_int is 'x': it must be a whole number of seconds "
                     "from 1 to 255", id="advert-x"),
        pytest.param({"loadbalancer_vrrp_advert_int": "0"},
                     "loadbalancer_vrrp_advert_int is '0': it must be a whole number of seconds "
                     "from 1 to 255", id="advert-text-0"),
        pytest.param({"loadbalancer_vrrp_advert_int": None},
                     "loadbalancer_vrrp_advert_int is None: it must be a whole number of seconds "
                     "from 1 to 255", id="advert-none"),
        pytest.param({"loadbalancer_vrrp_advert_int": False},
                     "loadbalancer_vrrp_advert_int is False: it must be a whole number of seconds "
                     "from 1 to 255", id="advert-bool"),
        pytest.param({"loadbalancer_vrrp_advert_int": 256},
                     "loadbalancer_vrrp_advert_int is 256: it must be a whole number of seconds "
                     "from 1 to 255", id="advert-256"),
        pytest.param({"loadbalancer_vrrp_advert_int": "256"},
                     "loadbalancer_vrrp_advert_int is '256': it must be a whole number of seconds "
                     "from 1 to 255", id="advert-text-256"),
        # keepalived speaks VRRPv2 here: whole seconds only.
        pytest.param({"loadbalancer_vrrp_advert_int": 1.5},
                     "loadbalancer_vrrp_advert_int is 1.5: it must be a whole number of seconds "
                     "from 1 to 255", id="advert-1.5"),
        pytest.param({"loadbalancer_vrrp_advert_int": 255.5},
                     "loadbalancer_vrrp_advert_int is 255.5: it must be a whole number of seconds "
                     "from 1 to 255", id="advert-255.5"),
        # the password
        pytest.param({"loadbalancer_vrrp_password": "swarmops!"},
                     "loadbalancer_vrrp_password has 9 characters: VRRP uses 1 to 8 characters (a longer one would "
                     "be cut without a word)", id="password-9-characters"),
        pytest.param({"loadbalancer_vrrp_password": ""},
                     "loadbalancer_vrrp_password has 0 characters: VRRP uses 1 to 8 characters (a longer one would "
                     "be cut without a word)", id="password-empty"),
        # the health checks
        pytest.param({"loadbalancer_check_fall": 0},
                     "loadbalancer_check_fall is 0: it must be a number from 1 to 1000", id="fall-0"),
        pytest.param({"loadbalancer_check_rise": 0},
                     "loadbalancer_check_rise is 0: it must be a number from 1 to 1000", id="rise-0"),
        pytest.param({"loadbalancer_check_fall": "two"},
                     "loadbalancer_check_fall is 'two': it must be a number from 1 to 1000", id="fall-text"),
        pytest.param({"loadbalancer_check_rise": -3},
                     "loadbalancer_check_rise is -3: it must be a number from 1 to 1000", id="rise-negative"),
        pytest.param({"loadbalancer_check_fall": 1001},
                     "loadbalancer_check_fall is 1001: it must be a number from 1 to 1000", id="fall-1001"),
        pytest.param({"loadbalancer_check_rise": "1001"},
                     "loadbalancer_check_rise is '1001': it must be a number from 1 to 1000", id="rise-text-1001"),
        pytest.param({"loadbalancer_check_fall": None},
                     "loadbalancer_check_fall is None: it must be a number from 1 to 1000", id="fall-none"),
        # the bind ports
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 80}},
                                                       "demo_api": {"bind_port": {9000: 80}}}},
                     "loadbalancer_service_options binds port 80 more than once (demo_api:9000, demo_web:8080): each "
                     "bind_port must be unique", id="bind-port-twice"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 80, 8081: "80"}}}},
                     "loadbalancer_service_options binds port 80 more than once (demo_web:8080, demo_web:8081): each "
                     "bind_port must be unique", id="bind-port-twice-in-one-service"),
        pytest.param({"loadbalancer_service_options": {"c": {"bind_port": {3: 80}}, "a": {"bind_port": {1: 80}},
                                                       "b": {"bind_port": {2: "80"}}}},
                     "loadbalancer_service_options binds port 80 more than once (a:1, b:2, c:3): each bind_port "
                     "must be unique", id="bind-port-three-times"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 70000}}}},
                     "loadbalancer_service_options.demo_web.bind_port.8080 is 70000: it must be a TCP port "
                     "(1 to 65535)", id="bind-port-70000"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {"8080": "eighty"}}}},
                     "loadbalancer_service_options.demo_web.bind_port.8080 is 'eighty': it must be a TCP port "
                     "(1 to 65535)", id="bind-port-eighty"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 0}}}},
                     "loadbalancer_service_options.demo_web.bind_port.8080 is 0: it must be a TCP port "
                     "(1 to 65535)", id="bind-port-0"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: None}}}},
                     "loadbalancer_service_options.demo_web.bind_port.8080 is None: it must be a TCP port "
                     "(1 to 65535)", id="bind-port-none"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: True}}}},
                     "loadbalancer_service_options.demo_web.bind_port.8080 is True: it must be a TCP port "
                     "(1 to 65535)", id="bind-port-bool"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 8404}}}},
                     "loadbalancer_service_options binds port 8404 (demo_web:8080), the port of "
                     "loadbalancer_stats_bind 127.0.0.1:8404", id="bind-port-of-the-stats-page"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: "8404"}}}},
                     "loadbalancer_service_options binds port 8404 (demo_web:8080), the port of "
                     "loadbalancer_stats_bind 127.0.0.1:8404", id="bind-port-of-the-stats-page-as-text"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 9000}}},
                      "loadbalancer_stats_bind": ":9000"},
                     "loadbalancer_service_options binds port 9000 (demo_web:8080), the port of "
                     "loadbalancer_stats_bind :9000", id="bind-port-of-a-stats-page-on-every-address"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 8405}}},
                      "loadbalancer_metrics_bind": "192.168.77.151:8405"},
                     "loadbalancer_service_options binds port 8405 (demo_web:8080), the port of "
                     "loadbalancer_metrics_bind 192.168.77.151:8405", id="bind-port-of-the-metrics-page"),
        pytest.param({"loadbalancer_metrics_bind": "192.168.77.151"},
                     "loadbalancer_metrics_bind is '192.168.77.151': it must be ADDRESS:PORT (such as "
                     "192.0.2.10:8405), or empty for none", id="metrics-page-without-port"),
        pytest.param({"loadbalancer_metrics_bind": 8405},
                     "loadbalancer_metrics_bind is 8405: it must be ADDRESS:PORT (such as 192.0.2.10:8405), or "
                     "empty for none", id="metrics-page-a-number"),
        pytest.param({"loadbalancer_stats_bind": "127.0.0.1:70000"},
                     "loadbalancer_stats_bind is '127.0.0.1:70000': it must be ADDRESS:PORT (such as "
                     "192.0.2.10:8405), or empty for none", id="stats-page-port-out-of-range"),
        pytest.param({"loadbalancer_metrics_bind": "0.0.0.0:8404"},
                     "loadbalancer_metrics_bind 0.0.0.0:8404 and loadbalancer_stats_bind 127.0.0.1:8404 use the same "
                     "port: each page needs a port of its own", id="metrics-page-on-the-stats-port"),
        pytest.param({"loadbalancer_service_options": ["demo_web"]},
                     "loadbalancer_service_options is a list: it must map service names to settings",
                     id="service-options-list"),
        pytest.param({"loadbalancer_service_options": "demo_web"},
                     "loadbalancer_service_options is a str: it must map service names to settings",
                     id="service-options-str"),
        pytest.param({"loadbalancer_service_options": {"demo_web": "tcp"}},
                     "loadbalancer_service_options.demo_web must be a mapping (mode, check_path, bind_port)",
                     id="service-settings-str"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": [80]}}},
                     "loadbalancer_service_options.demo_web.bind_port must map published ports to listen ports",
                     id="bind-port-list"),
    ])
    def test_each_bad_value_gives_one_message(self, changes, message):
        assert check(lab_settings(**changes)) == [message]

    def test_vip_of_a_host_by_its_ansible_host(self):
        # The bastion is reached on 192.168.77.60 and advertises another address: the virtual address is still taken.
        host_vars = lab_host_vars()
        host_vars["bastion"] = {"ansible_host": "192.168.77.60", "swarm_advertise_addr": "192.168.77.61"}
        assert check(lab_settings(loadbalancer_vip="192.168.77.60"), host_vars=host_vars) == [
            "loadbalancer_vip is 192.168.77.60, the address of bastion: the virtual address must be one no host has",
        ]

    def test_vip_of_a_host_by_its_vrrp_address(self):
        host_vars = lab_host_vars()
        host_vars["lb1"]["loadbalancer_vrrp_address"] = "192.168.77.151"
        assert check(lab_settings(loadbalancer_vip="192.168.77.151"), host_vars=host_vars) == [
            "loadbalancer_vip is 192.168.77.151, the address of lb1: the virtual address must be one no host has",
        ]

    def test_vip_of_several_hosts_names_them_all(self):
        host_vars = lab_host_vars()
        host_vars["worker2"]["ansible_host"] = "192.168.77.50"
        host_vars["bastion"] = {"default_ipv4": "192.168.77.50"}
        assert check(lab_settings(), host_vars=host_vars) == [
            "loadbalancer_vip is 192.168.77.50, the address of bastion, worker2: the virtual address must be one "
            "no host has",
        ]

    def test_vip_outside_the_subnet_of_one_host(self):
        host_vars = lab_host_vars()
        host_vars["lb2"]["swarm_advertise_addr"] = "192.168.78.52"
        assert check(lab_settings(), host_vars=host_vars) == [
            "loadbalancer_vip 192.168.77.50 is outside the subnet of lb2 (192.168.78.52/24): the virtual address "
            "must be on the load balancers' own network",
        ]

    def test_a_narrower_prefix_puts_the_vip_outside(self):
        # 192.168.77.48/30 holds .48 to .51, 192.168.77.52/30 holds .52 to .55.
        assert check(lab_settings(loadbalancer_vip_prefix=30)) == [
            "loadbalancer_vip 192.168.77.50 is outside the subnet of lb2 (192.168.77.52/30): the virtual address "
            "must be on the load balancers' own network",
        ]

    @pytest.mark.parametrize("prefix", [1, 16, 24, 25, 26, "24", " 24 "])
    def test_prefixes_that_hold_the_vip(self, prefix):
        assert check(lab_settings(loadbalancer_vip_prefix=prefix)) == []

    @pytest.mark.parametrize("vip, kind", [
        pytest.param("192.168.77.48", "network", id="network"),
        pytest.param("192.168.77.51", "broadcast", id="broadcast"),
    ])
    def test_network_and_broadcast_of_a_narrower_prefix(self, vip, kind):
        # 192.168.77.48/30 holds .48 to .51: .49 and .50 may be held by a host, .48 and .51 not.
        host_vars = lab_host_vars()
        host_vars["lb1"]["swarm_advertise_addr"] = "192.168.77.49"
        assert check(lab_settings(loadbalancer_vip=vip, loadbalancer_vip_prefix=30), lb_hosts=["lb1"],
                     host_vars=host_vars) == [
            f"loadbalancer_vip {vip} is the {kind} address of 192.168.77.48/30: it must be an address a host can hold",
        ]

    @pytest.mark.parametrize("vip, lb1_address", [
        pytest.param("192.168.77.50", "192.168.77.51", id="first-of-the-31"),
        pytest.param("192.168.77.51", "192.168.77.50", id="second-of-the-31"),
    ])
    def test_a_31_has_no_network_or_broadcast_address(self, vip, lb1_address):
        # RFC 3021: both addresses of a /31 are for hosts.
        host_vars = lab_host_vars()
        host_vars["lb1"]["swarm_advertise_addr"] = lb1_address
        assert check(lab_settings(loadbalancer_vip=vip, loadbalancer_vip_prefix=31), lb_hosts=["lb1"],
                     host_vars=host_vars) == []

    @pytest.mark.parametrize("vip", ["192.168.77.0", "192.168.77.255", "192.168.77.50"])
    def test_a_32_has_no_network_or_broadcast_address(self, vip):
        # Without load balancer hosts whose address is known, a /32 leaves nothing to refuse.
        assert check(lab_settings(loadbalancer_vip=vip, loadbalancer_vip_prefix=32), lb_hosts=[]) == []

    def test_a_bad_prefix_skips_the_network_and_broadcast_check(self):
        assert check(lab_settings(loadbalancer_vip="192.168.77.0", loadbalancer_vip_prefix=0)) == [
            "loadbalancer_vip_prefix is 0: it must be a number from 1 to 32",
        ]

    def test_a_network_address_outside_the_subnet_gives_both_messages(self):
        # 192.168.77.0/25 is the network of .0 to .127; lb1 and lb2 are in it, .128 is not.
        assert check(lab_settings(loadbalancer_vip="192.168.77.128", loadbalancer_vip_prefix=25)) == [
            "loadbalancer_vip 192.168.77.128 is the network address of 192.168.77.128/25: it must be an address a "
            "host can hold",
            "loadbalancer_vip 192.168.77.128 is outside the subnet of lb1 (192.168.77.51/25), lb2 "
            "(192.168.77.52/25): the virtual address must be on the load balancers' own network",
        ]

    def test_a_prefix_of_32_puts_the_vip_outside_every_host(self):
        assert check(lab_settings(loadbalancer_vip_prefix="32")) == [
            "loadbalancer_vip 192.168.77.50 is outside the subnet of lb1 (192.168.77.51/32), lb2 "
            "(192.168.77.52/32): the virtual address must be on the load balancers' own network",
        ]

    @pytest.mark.parametrize("changes", [
        pytest.param({"loadbalancer_vrrp_router_id": 1}, id="router-id-1"),
        pytest.param({"loadbalancer_vrrp_router_id": 255}, id="router-id-255"),
        pytest.param({"loadbalancer_vrrp_router_id": "51"}, id="router-id-text"),
        pytest.param({"loadbalancer_vrrp_advert_int": "1"}, id="advert-text"),
        pytest.param({"loadbalancer_vrrp_advert_int": 3}, id="advert-3"),
        pytest.param({"loadbalancer_vrrp_advert_int": 255}, id="advert-255"),
        pytest.param({"loadbalancer_vrrp_advert_int": "255"}, id="advert-text-255"),
        pytest.param({"loadbalancer_vrrp_password": 12345678}, id="password-8-digits-as-int"),
        pytest.param({"loadbalancer_vrrp_password": "x"}, id="password-1-character"),
        pytest.param({"loadbalancer_vrrp_password": "12345678"}, id="password-8-characters"),
        pytest.param({"loadbalancer_check_fall": "3", "loadbalancer_check_rise": "2"}, id="fall-and-rise-text"),
        pytest.param({"loadbalancer_check_fall": 1000}, id="fall-1000"),
        pytest.param({"loadbalancer_check_fall": 1, "loadbalancer_check_rise": "1000"}, id="fall-1-rise-1000"),
        pytest.param({"loadbalancer_vip": "192.168.77.1"}, id="vip-first-host-address"),
        pytest.param({"loadbalancer_vip": "192.168.77.254"}, id="vip-last-host-address"),
        pytest.param({"loadbalancer_service_options": None}, id="service-options-none"),
        pytest.param({"loadbalancer_service_options": ""}, id="service-options-empty-text"),
        pytest.param({"loadbalancer_service_options": {"demo_web": None}}, id="service-settings-none"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"mode": "tcp"}}}, id="no-bind-port"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 80, 8443: 443}},
                                                       "demo_api": {"bind_port": {"9000": "9001"}}}},
                     id="distinct-bind-ports"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 8404}}},
                      "loadbalancer_stats_bind": ""}, id="no-stats-page"),
        pytest.param({"loadbalancer_service_options": {"demo_web": {"bind_port": {8080: 8404}}},
                      "loadbalancer_stats_bind": "127.0.0.1:9404"}, id="stats-page-elsewhere"),
        pytest.param({"loadbalancer_vip": "192.168.77.250"}, id="another-free-vip"),
        pytest.param({"loadbalancer_metrics_bind": "192.168.77.151:8405"}, id="metrics-page-on-the-host-address"),
        pytest.param({"loadbalancer_metrics_bind": "[::]:8405", "loadbalancer_stats_bind": ""}, id="metrics-page-ipv6"),
    ])
    def test_accepted_values(self, changes):
        assert check(lab_settings(**changes)) == []

    def test_without_a_virtual_address_the_vrrp_checks_are_skipped(self):
        settings = lab_settings(loadbalancer_vip="", loadbalancer_vrrp_router_id=0, loadbalancer_vrrp_advert_int=0,
                                loadbalancer_vrrp_password="far too long")
        assert check(settings) == []

    @pytest.mark.parametrize("vip", ["", None])
    def test_without_a_virtual_address_the_rest_is_still_checked(self, vip):
        settings = lab_settings(loadbalancer_vip=vip, loadbalancer_vip_prefix=0, loadbalancer_check_rise=0,
                                loadbalancer_service_options={"demo_web": {"bind_port": {8080: 8404}}})
        assert check(settings) == [
            "loadbalancer_vip_prefix is 0: it must be a number from 1 to 32",
            "loadbalancer_check_rise is 0: it must be a number from 1 to 1000",
            "loadbalancer_service_options binds port 8404 (demo_web:8080), the port of loadbalancer_stats_bind "
            "127.0.0.1:8404",
        ]

    def test_a_load_balancer_whose_address_is_unknown_is_not_checked_for_the_subnet(self):
        host_vars = lab_host_vars()
        host_vars["lb2"] = {"ansible_host": "swarmops-lab-lb2"}
        assert check(lab_settings(), host_vars=host_vars) == []
        assert check(lab_settings(loadbalancer_vip="10.0.0.50"), host_vars=host_vars) == [
            "loadbalancer_vip 10.0.0.50 is outside the subnet of lb1 (192.168.77.51/24): the virtual address "
            "must be on the load balancers' own network",
        ]

    def test_a_load_balancer_missing_from_host_vars_is_not_checked_for_the_subnet(self):
        host_vars = lab_host_vars()
        del host_vars["lb2"]
        assert check(lab_settings(loadbalancer_vip="10.0.0.50"), lb_hosts=["lb1", "lb2", "lb3"],
                     host_vars=host_vars) == [
            "loadbalancer_vip 10.0.0.50 is outside the subnet of lb1 (192.168.77.51/24): the virtual address "
            "must be on the load balancers' own network",
        ]

    def test_swarm_nodes_are_not_checked_for_the_subnet(self):
        host_vars = lab_host_vars()
        host_vars["worker1"]["swarm_advertise_addr"] = "10.9.0.31"
        assert check(lab_settings(), host_vars=host_vars) == []

    def test_a_vip_that_is_not_an_address_gives_no_other_vip_message(self):
        assert check(lab_settings(loadbalancer_vip="192.168.77.5O")) == [
            "loadbalancer_vip is '192.168.77.5O': it must be an IPv4 address such as 192.0.2.10",
        ]

    def test_a_bad_prefix_skips_the_subnet_check(self):
        assert check(lab_settings(loadbalancer_vip="10.0.0.50", loadbalancer_vip_prefix=40)) == [
            "loadbalancer_vip_prefix is 40: it must be a number from 1 to 32",
        ]

    def test_a_vip_of_a_host_outside_the_subnet_gives_both_messages(self):
        host_vars = lab_host_vars()
        host_vars["bastion"] = {"swarm_advertise_addr": "10.0.0.50"}
        assert check(lab_settings(loadbalancer_vip="10.0.0.50"), host_vars=host_vars) == [
            "loadbalancer_vip is 10.0.0.50, the address of bastion: the virtual address must be one no host has",
            "loadbalancer_vip 10.0.0.50 is outside the subnet of lb1 (192.168.77.51/24), lb2 (192.168.77.52/24): "
            "the virtual address must be on the load balancers' own network",
        ]

    def test_every_problem_in_order(self):
        settings = lab_settings(
            loadbalancer_vip="192.168.77.11",
            loadbalancer_vip_prefix="24",
            loadbalancer_vrrp_router_id=256,
            loadbalancer_vrrp_advert_int=0,
            loadbalancer_vrrp_password="swarmops-lab",
            loadbalancer_check_fall=0,
            loadbalancer_check_rise=0,
            loadbalancer_service_options={
                "demo_web": {"bind_port": {8080: 80, 8443: 70000}},
                "demo_api": {"bind_port": {9000: 80}},
                "demo_admin": {"bind_port": {9090: 8404}},
                "demo_bad": "tcp",
            },
        )
        assert check(settings) == [
            "loadbalancer_vip is 192.168.77.11, the address of manager1: the virtual address must be one no host has",
            "loadbalancer_vrrp_router_id is 256: it must be a number from 1 to 255",
            "loadbalancer_vrrp_advert_int is 0: it must be a whole number of seconds from 1 to 255",
            "loadbalancer_vrrp_password has 12 characters: VRRP uses 1 to 8 characters (a longer one would be cut "
            "without a word)",
            "loadbalancer_check_fall is 0: it must be a number from 1 to 1000",
            "loadbalancer_check_rise is 0: it must be a number from 1 to 1000",
            "loadbalancer_service_options.demo_bad must be a mapping (mode, check_path, bind_port)",
            "loadbalancer_service_options.demo_web.bind_port.8443 is 70000: it must be a TCP port (1 to 65535)",
            "loadbalancer_service_options binds port 80 more than once (demo_api:9000, demo_web:8080): each "
            "bind_port must be unique",
            "loadbalancer_service_options binds port 8404 (demo_admin:9090), the port of loadbalancer_stats_bind "
            "127.0.0.1:8404",
        ]

    @pytest.mark.parametrize("password", [
        pytest.param(None, id="none"),
        pytest.param(["swarmops"], id="list"),
        pytest.param({"swarmops": 1}, id="dict"),
        pytest.param(True, id="bool-true"),
        pytest.param(False, id="bool-false"),
    ])
    def test_a_password_that_is_not_text_is_refused(self, password):
        assert check(lab_settings(loadbalancer_vrrp_password=password)) == [
            "loadbalancer_vrrp_password is not set to a text: VRRP needs 1 to 8 characters",
        ]

    @pytest.mark.parametrize("password", [
        pytest.param(12345678, id="int-8-digits"),
        pytest.param(7, id="int-1-digit"),
        pytest.param(0, id="int-0"),
        pytest.param(1.5, id="float"),
    ])
    def test_a_password_given_as_a_number_is_taken_as_its_text(self, password):
        # A password of digits written without quotes: YAML makes it a number, keepalived gets its text.
        assert check(lab_settings(loadbalancer_vrrp_password=password)) == []

    def test_a_password_given_as_a_long_number_is_counted_as_its_text(self):
        assert check(lab_settings(loadbalancer_vrrp_password=123456789)) == [
            "loadbalancer_vrrp_password has 9 characters: VRRP uses 1 to 8 characters (a longer one would be cut "
            "without a word)",
        ]

    def test_a_password_that_is_not_text_is_not_checked_without_a_virtual_address(self):
        assert check(lab_settings(loadbalancer_vip="", loadbalancer_vrrp_password=None)) == []

    def test_the_password_is_never_shown(self):
        messages = check(lab_settings(loadbalancer_vrrp_password="s3cr3t-password"))
        assert len(messages) == 1 and "s3cr3t" not in messages[0]

    def test_no_settings_at_all(self):
        # The role passes every variable; the ones without a default of their own are reported.
        assert check({}) == [
            "loadbalancer_vip_prefix is None: it must be a number from 1 to 32",
            "loadbalancer_check_fall is None: it must be a number from 1 to 1000",
            "loadbalancer_check_rise is None: it must be a number from 1 to 1000",
        ]
