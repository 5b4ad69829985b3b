# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the load balancer frontends and backends (``_swarm_lb``).

Scenarios are small swarms built by the helpers below, in the shape of the
objects Docker Engine's API returns (``GET /nodes``, ``GET /services``,
``GET /tasks``, as community.docker.docker_swarm_info hands them over with
``verbose_output: true``), with only the fields ``lb_frontends`` reads:

- a node: ``ID``, ``Description.Hostname``, ``Status.State``/``Status.Addr``
  and, on a manager, ``ManagerStatus`` (``Leader``, ``Reachability``, ``Addr``);
- a service: ``ID``, ``Spec.Name``, ``Spec.EndpointSpec.Ports`` (Protocol,
  TargetPort, PublishedPort, PublishMode host or ingress);
- a task: ``ID``, ``ServiceID``, ``NodeID``, ``DesiredState``, ``Status.State``.

The default swarm is manager1 (which reports ``Status.Addr`` 0.0.0.0, as
managers often do, and 192.168.77.11:2377 in ``ManagerStatus.Addr``), worker1
(192.168.77.31) and worker2 (192.168.77.32).  One end-to-end case uses the
objects of ``fixtures/swarm_services.json``.
The filter wrapper is tested in ``tests/unit/plugins/filter/test_swarm_lb_filter.py``
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
    lb_frontends,
    node_address,
)

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_services.json"

_task_numbers = itertools.count(1)


# --------------------------------------------------------------------------- API-shaped objects


def make_id(seed: str) -> str:
    """A stable 25-character lowercase ID, like swarmkit's."""
    return hashlib.sha1(seed.encode("utf-8")).hexdigest()[:25]


def node(host, addr="", *, manager_addr=None, leader=False, state="ready", node_id=None):
    """A node; a manager when *manager_addr* is given (``host:2377``)."""
    result = {
        "ID": node_id or make_id("node-" + host),
        "Spec": {"Role": "manager" if manager_addr else "worker", "Availability": "active", "Labels": {}},
        "Description": {"Hostname": host},
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


def service(name, *ports, service_id=None):
    spec = {"Name": name, "Labels": {}, "EndpointSpec": {"Mode": "vip"}}
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


ADDR = {"manager1": "192.168.77.11", "worker1": "192.168.77.31", "worker2": "192.168.77.32"}


class Swarm:
    """Nodes, services and tasks of one scenario."""

    def __init__(self, nodes=None):
        self.nodes = default_nodes() if nodes is None else nodes
        self.services, self.tasks = [], []

    def node(self, host):
        return next(n for n in self.nodes if n["Description"]["Hostname"] == host)

    def add(self, svc, *hosts, **task_kwargs):
        """Add the service (once) and one task on each host named."""
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
        result = lb_frontends(self.services, self.tasks, self.nodes, **kwargs)
        assert (self.services, self.tasks, self.nodes, kwargs) == before, "lb_frontends changed its inputs"
        return result


def servers(*hosts, port=8080):
    """The expected servers on *hosts*, at their default address."""
    return [{"name": h, "address": ADDR[h], "port": port} for h in hosts]


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


def web_swarm(*hosts, mode="host", **task_kwargs):
    """demo_web publishing 8080 (in *mode*) with one task on each of *hosts*."""
    swarm = Swarm()
    swarm.add(service("demo_web", port(8080, mode)), *hosts, **task_kwargs)
    return swarm


def only(frontends):
    assert len(frontends) == 1, frontends
    return frontends[0]


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


# --------------------------------------------------------------------------- host mode


class TestHostMode:
    def test_servers_are_the_nodes_with_a_running_task(self):
        swarm = web_swarm("worker1", "manager1")
        assert swarm.frontends() == [frontend("demo_web", 8080, servers("manager1", "worker1"))]

    @pytest.mark.parametrize("desired, state", [
        pytest.param("shutdown", "running", id="shutting-down"),
        pytest.param("shutdown", "shutdown", id="shut-down"),
        pytest.param("remove", "running", id="being-removed"),
        pytest.param("running", "pending", id="pending"),
        pytest.param("running", "assigned", id="assigned"),
        pytest.param("running", "preparing", id="preparing"),
        pytest.param("running", "starting", id="starting"),
        pytest.param("running", "failed", id="failed"),
        pytest.param("running", "rejected", id="rejected"),
        pytest.param("ready", "ready", id="ready"),
        pytest.param("running", None, id="no-state"),
        pytest.param(None, "running", id="no-desired-state"),
    ])
    def test_task_not_desired_and_actually_running_does_not_count(self, desired, state):
        swarm = web_swarm("worker1")
        swarm.add(swarm.services[0], "worker2", desired=desired, state=state)
        assert only(swarm.frontends())["servers"] == servers("worker1")

    def test_task_without_status_does_not_count(self):
        swarm = web_swarm("worker1")
        swarm.add(swarm.services[0], "worker2")
        del swarm.tasks[-1]["Status"]
        assert only(swarm.frontends())["servers"] == servers("worker1")

    def test_state_case_is_ignored(self):
        swarm = web_swarm("worker1", desired="Running", state="RUNNING")
        assert only(swarm.frontends())["servers"] == servers("worker1")

    def test_task_of_another_service_does_not_count(self):
        swarm = web_swarm("worker1")
        swarm.add(service("demo_api"), "worker2", "manager1")
        assert only(swarm.frontends())["servers"] == servers("worker1")

    def test_task_of_another_service_with_host_ports_gives_its_own_servers(self):
        swarm = web_swarm("worker1")
        swarm.add(service("demo_api", port(9000)), "worker2")
        assert swarm.frontends() == [
            frontend("demo_api", 9000, servers("worker2", port=9000)),
            frontend("demo_web", 8080, servers("worker1")),
        ]

    def test_a_replaced_task_and_its_running_successor(self):
        # The update history of a node: the old task shut down, the new one running.
        swarm = web_swarm("worker1", desired="shutdown", state="shutdown")
        swarm.add(swarm.services[0], "worker1")
        assert only(swarm.frontends())["servers"] == servers("worker1")

    def test_two_tasks_on_one_node_give_one_server(self):
        swarm = web_swarm("worker1", "worker1", "worker2")
        assert only(swarm.frontends())["servers"] == servers("worker1", "worker2")

    def test_task_on_a_node_that_is_not_listed_is_ignored(self):
        swarm = web_swarm("worker1")
        swarm.tasks.append(task(swarm.services[0], make_id("node-gone")))
        assert only(swarm.frontends())["servers"] == servers("worker1")

    def test_unassigned_task_is_ignored(self):
        swarm = web_swarm("worker1")
        unassigned = task(swarm.services[0], "x")
        del unassigned["NodeID"]
        swarm.tasks.append(unassigned)
        assert only(swarm.frontends())["servers"] == servers("worker1")

    def test_no_running_task_gives_a_frontend_without_servers(self):
        swarm = web_swarm("worker1", desired="running", state="pending")
        assert swarm.frontends() == [frontend("demo_web", 8080, [])]

    def test_server_port_is_the_published_port(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, target=80), port(8443, target=443)), "worker1")
        assert [(f["published_port"], f["servers"]) for f in swarm.frontends()] == [
            (8080, servers("worker1", port=8080)),
            (8443, servers("worker1", port=8443)),
        ]

    def test_publish_mode_case_is_ignored(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, "Host")), "worker1")
        front = only(swarm.frontends())
        assert (front["publish_mode"], front["servers"]) == ("host", servers("worker1"))


# --------------------------------------------------------------------------- ingress


class TestIngress:
    def test_every_node_is_a_server(self):
        swarm = web_swarm("worker1", mode="ingress")
        assert swarm.frontends() == [
            frontend("demo_web", 8080, servers("manager1", "worker1", "worker2"), publish_mode="ingress"),
        ]

    def test_without_any_task(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, "ingress")))
        assert only(swarm.frontends())["servers"] == servers("manager1", "worker1", "worker2")

    def test_publish_mode_defaults_to_ingress(self):
        swarm = Swarm()
        unset = port(8080)
        del unset["PublishMode"]
        swarm.add(service("demo_web", unset))
        front = only(swarm.frontends())
        assert (front["publish_mode"], front["servers"]) == ("ingress", servers("manager1", "worker1", "worker2"))

    def test_host_and_ingress_ports_of_one_service(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port(8080, "host"), port(8081, "ingress")), "worker2")
        assert swarm.frontends() == [
            frontend("demo_web", 8080, servers("worker2")),
            frontend("demo_web", 8081, servers("manager1", "worker1", "worker2", port=8081), publish_mode="ingress"),
        ]


# --------------------------------------------------------------------------- server addresses


class TestServers:
    def test_manager_reporting_0000_is_reached_on_its_manager_addr(self):
        swarm = web_swarm("manager1")
        assert only(swarm.frontends())["servers"] == [
            {"name": "manager1", "address": "192.168.77.11", "port": 8080},
        ]

    def test_addresses_override_by_hostname(self):
        swarm = web_swarm("worker1", "manager1")
        result = swarm.frontends(addresses={"worker1": "10.0.0.31", "manager1": "10.0.0.11", "ghost": "10.0.0.99"})
        assert only(result)["servers"] == [
            {"name": "manager1", "address": "10.0.0.11", "port": 8080},
            {"name": "worker1", "address": "10.0.0.31", "port": 8080},
        ]

    def test_empty_override_falls_back_to_the_swarm_address(self):
        swarm = web_swarm("worker1")
        assert only(swarm.frontends(addresses={"worker1": ""}))["servers"] == servers("worker1")

    def test_override_is_keyed_by_the_hostname_not_the_sanitised_name(self):
        swarm = Swarm([node("web node", "192.168.77.40")])
        swarm.add(service("demo_web", port(8080)), "web node")
        assert only(swarm.frontends(addresses={"web node": "10.0.0.40"}))["servers"] == [
            {"name": "web_node", "address": "10.0.0.40", "port": 8080},
        ]

    def test_node_without_any_address_is_not_a_server(self):
        swarm = Swarm(default_nodes() + [node("worker3", "")])
        swarm.add(service("demo_web", port(8080, "ingress")))
        assert only(swarm.frontends())["servers"] == servers("manager1", "worker1", "worker2")

    def test_override_gives_a_node_without_address_its_server(self):
        swarm = Swarm(default_nodes() + [node("worker3", "")])
        swarm.add(service("demo_web", port(8080, "ingress")))
        assert only(swarm.frontends(addresses={"worker3": "10.0.0.33"}))["servers"][-1] == {
            "name": "worker3", "address": "10.0.0.33", "port": 8080,
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
        swarm.add(service("demo_web", port(8080)), "zeta", "mike", "alpha", "Bravo")
        assert [s["name"] for s in only(swarm.frontends())["servers"]] == ["Bravo", "alpha", "mike", "zeta"]

    def test_server_names_are_sanitised(self):
        nodes = [node("web node#1", "192.168.77.41"), node("db:2/x", "192.168.77.42"),
                 node("ok-host_3.lab", "192.168.77.43")]
        swarm = Swarm(nodes)
        swarm.add(service("demo_web", port(8080, "ingress")))
        assert [s["name"] for s in only(swarm.frontends())["servers"]] == ["db_2_x", "ok-host_3.lab", "web_node_1"]

    def test_server_name_falls_back_to_the_node_id(self):
        anonymous = node("x", "192.168.77.44", node_id="abcdef0123456789abcdef012")
        del anonymous["Description"]
        swarm = Swarm([anonymous])
        swarm.add(service("demo_web", port(8080)))
        swarm.tasks.append(task(swarm.services[0], anonymous))
        assert only(swarm.frontends())["servers"] == [
            {"name": "abcdef0123456789abcdef012", "address": "192.168.77.44", "port": 8080},
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
        assert self.swarm().frontends(only=["demo_web"]) == [frontend("demo_web", 8080, servers("worker1"))]

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
        assert swarm.frontends() == [frontend("demo_dns", 53, servers("worker1", port=53))]

    @pytest.mark.parametrize("protocol", ["TCP", None])
    def test_protocol_tcp_in_any_case_or_unset(self, protocol):
        swarm = Swarm()
        p = port(8080)
        if protocol is None:
            del p["Protocol"]
        else:
            p["Protocol"] = protocol
        swarm.add(service("demo_web", p), "worker1")
        assert swarm.frontends() == [frontend("demo_web", 8080, servers("worker1"))]

    @pytest.mark.parametrize("published", [None, 0])
    def test_port_without_published_port_is_skipped(self, published):
        swarm = Swarm()
        swarm.add(service("demo_web", port(published, "ingress"), port(8080)), "worker1")
        assert swarm.frontends() == [frontend("demo_web", 8080, servers("worker1"))]

    def test_published_port_as_string(self):
        swarm = Swarm()
        swarm.add(service("demo_web", port("8080")), "worker1")
        assert swarm.frontends() == [frontend("demo_web", 8080, servers("worker1"))]


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

    def test_options_of_another_service_do_not_apply(self):
        options = {"demo_api": {"mode": "tcp", "check_path": "/x", "bind_port": {8080: 80}}}
        assert web_swarm("worker1").frontends(options=options) == [frontend("demo_web", 8080, servers("worker1"))]

    def test_none_settings_mean_defaults(self):
        assert web_swarm("worker1").frontends(options={"demo_web": None}) == [
            frontend("demo_web", 8080, servers("worker1")),
        ]

    @pytest.mark.parametrize("bind_port", [
        pytest.param({8080: 80}, id="int-key"),
        pytest.param({"8080": 80}, id="str-key"),
        pytest.param({"8080": "80"}, id="str-key-str-value"),
        pytest.param({8080: "80"}, id="int-key-str-value"),
    ])
    def test_bind_port(self, bind_port):
        front = only(web_swarm("worker1").frontends(options={"demo_web": {"bind_port": bind_port}}))
        assert front == frontend("demo_web", 8080, servers("worker1"), bind=80)

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
        assert (front["name"], front["servers"][0]["port"]) == ("demo_web_8080", 8080)

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

    @pytest.mark.parametrize("options, addresses", [
        pytest.param(["demo_web"], None, id="options-list"),
        pytest.param("tcp", None, id="options-str"),
        pytest.param(None, ["10.0.0.1"], id="addresses-list"),
        pytest.param(None, "10.0.0.1", id="addresses-str"),
    ])
    def test_options_and_addresses_must_be_mappings(self, options, addresses):
        with pytest.raises(BackendError, match="^options and addresses must be mappings"):
            web_swarm("worker1").frontends(options=options, addresses=addresses)


# --------------------------------------------------------------------------- bind port clashes


class TestBindPortClash:
    def test_two_host_mode_services_on_one_port_raise(self):
        # Possible in host mode: the two services run on different nodes.
        swarm = web_swarm("worker1")
        swarm.add(service("demo_web2", port(8080)), "worker2")
        with pytest.raises(BackendError) as excinfo:
            swarm.frontends()
        assert str(excinfo.value) == (
            "Two frontends would listen on port(s) [8080]: set bind_port for one of the services"
        )

    def test_bind_port_resolves_the_clash(self):
        swarm = web_swarm("worker1")
        swarm.add(service("demo_web2", port(8080)), "worker2")
        result = swarm.frontends(options={"demo_web2": {"bind_port": {8080: 8081}}})
        assert [(f["name"], f["bind_port"]) for f in result] == [("demo_web_8080", 8080), ("demo_web2_8080", 8081)]

    def test_bind_port_onto_another_published_port_raises(self):
        swarm = web_swarm("worker1")
        swarm.add(service("demo_api", port(9000, "ingress")))
        with pytest.raises(BackendError, match=r"port\(s\) \[8080\]"):
            swarm.frontends(options={"demo_api": {"bind_port": {9000: 8080}}})

    def test_every_clashing_port_is_named_once(self):
        swarm = Swarm()
        for name in ("a", "b", "c"):
            swarm.add(service(name, port(8080), port(9000)))
        with pytest.raises(BackendError, match=r"port\(s\) \[8080, 9000\]:"):
            swarm.frontends()

    def test_clash_of_a_service_left_out_does_not_count(self):
        swarm = web_swarm("worker1")
        swarm.add(service("demo_web2", port(8080)), "worker2")
        assert [f["service"] for f in swarm.frontends(only=["demo_web2"])] == ["demo_web2"]


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
        assert lb_frontends([], [], []) == []

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
        """demo_web (host mode 8080, 3 replicas after an update, with a failed and a shut down task) and
        demo_agent (global, no ports) of the lab: the servers are the three nodes that run demo_web."""
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        addr = {n["Description"]["Hostname"]: n["Status"]["Addr"] for n in data["nodes"]}
        result = lb_frontends(data["services"], data["tasks"], data["nodes"])
        assert result == [{
            "name": "demo_web_8080",
            "service": "demo_web",
            "published_port": 8080,
            "bind_port": 8080,
            "publish_mode": "host",
            "mode": "http",
            "check_path": "/",
            "servers": [{"name": h, "address": addr[h], "port": 8080} for h in ("manager1", "worker1", "worker2")],
        }]
