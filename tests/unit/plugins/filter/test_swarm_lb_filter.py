# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the load balancer filters, the wrappers of ``_swarm_lb``.

- ``swarm_lb_frontends``: the registered result of community.docker.docker_swarm_info
  (verbose) in, frontends out; it reads only ``services`` and ``nodes``;
- ``swarm_lb_settings_check``: the loadbalancer_* variables, the load balancer
  group and per host its address variables in, the problems out;
- ``swarm_lb_vrrp``: the load balancer group and per host its address
  variables in, each host's VRRP priority, address and peers (and the errors) out.

The scenarios and their helpers are those of the module util's own tests
(``tests/unit/plugins/module_utils/test_swarm_lb.py``); ``Swarm.info()`` is
the registered result of community.docker.docker_swarm_info (verbose).
"""

from __future__ import annotations

import inspect
import pathlib

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter import swarm_lb as plugin
from ansible_collections.swarmops.ha.plugins.filter.swarm_lb import (
    FilterModule,
    swarm_lb_frontends,
    swarm_lb_settings_check,
    swarm_lb_vrrp,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_lb import (
    BackendError,
    address_vars,
    check_lb_settings,
    lb_frontends,
    vrrp_peers,
)
from ansible_collections.swarmops.ha.tests.unit.plugins.module_utils.test_swarm_lb import (
    ALL,
    LB_HOSTS,
    Swarm,
    default_nodes,
    frontend,
    hosts_of,
    lab_host_vars,
    lab_settings,
    labelled_nodes,
    node,
    not_ipv4_message,
    overlap_message,
    port,
    servers,
    service,
    web_swarm,
)

NOT_SWARM_INFO = "swarm_lb_frontends expects the result of community.docker.docker_swarm_info"
NOT_SETTINGS = "swarm_lb_settings_check expects a mapping of the loadbalancer_* variables"


def not_hosts(name):
    return f"{name}: the load balancer hosts must be a list of inventory hostnames"


def not_host_vars(name):
    return f"{name}: host_vars must map inventory hostnames to their variables (hostvars)"


def only_frontend(frontends):
    assert len(frontends) == 1, frontends
    return frontends[0]


def lab() -> Swarm:
    swarm = web_swarm("worker1", "manager1")
    swarm.add(service("demo_api", port(9000, "ingress")), "worker2")
    swarm.add(service("demo_agent"), "manager1", "worker1", "worker2")
    return swarm


class TestFilterModule:
    def test_registered(self):
        assert FilterModule().filters() == {
            "swarm_lb_frontends": swarm_lb_frontends,
            "swarm_lb_settings_check": swarm_lb_settings_check,
            "swarm_lb_vrrp": swarm_lb_vrrp,
        }


class TestFrontendsFilter:
    def test_same_frontends_as_module_util(self):
        swarm = lab()
        assert swarm_lb_frontends(swarm.info()) == lb_frontends(swarm.services, swarm.nodes)
        assert swarm_lb_frontends(swarm.info()) == [
            frontend("demo_api", 9000, servers(*ALL, port=9000), publish_mode="ingress"),
            frontend("demo_web", 8080, servers(*ALL)),
        ]

    def test_constraints_and_maintenance_come_through(self):
        swarm = Swarm(labelled_nodes(worker2="drain"))
        swarm.add(service("demo_web", port(8080), constraints=["node.labels.tier==web"]), "worker1")
        assert swarm_lb_frontends(swarm.info()) == [
            frontend("demo_web", 8080, servers("worker1", "worker2", maintenance=("worker2",))),
        ]

    def test_passes_the_services_and_nodes_and_the_arguments_through(self, monkeypatch):
        calls = []

        def fake(services, nodes, only=None, options=None, addresses=None):
            calls.append((services, nodes, only, options, addresses))
            return ["sentinel"]

        monkeypatch.setattr(plugin, "lb_frontends", fake)
        swarm = lab()
        info = swarm.info()
        options = {"demo_web": {"mode": "tcp"}}
        addresses = {"worker1": "10.0.0.31"}
        assert swarm_lb_frontends(info, ["demo_web"], options, addresses) == ["sentinel"]
        (call,) = calls
        assert call[0] is info["services"] and call[1] is info["nodes"]
        assert call[2:] == (["demo_web"], options, addresses)

    def test_keyword_arguments(self):
        result = swarm_lb_frontends(
            lab().info(),
            services=["demo_web"],
            options={"demo_web": {"mode": "tcp", "check_path": "/healthz", "bind_port": {"8080": 80}}},
            addresses={"worker1": "10.0.0.31"},
        )
        assert result == [
            frontend("demo_web", 8080,
                     [servers("manager1")[0], {"name": "worker1", "address": "10.0.0.31", "port": 8080,
                                               "maintenance": False}, servers("worker2")[0]],
                     bind=80, mode="tcp", check_path="/healthz"),
        ]

    @pytest.mark.parametrize("info", [
        pytest.param({}, id="empty"),
        pytest.param({"services": None, "tasks": None, "nodes": None}, id="none"),
        pytest.param({"changed": False, "can_talk_to_docker": True, "docker_swarm_active": False}, id="no-lists"),
    ])
    def test_missing_lists_are_empty(self, info):
        assert swarm_lb_frontends(info) == []

    def test_services_without_nodes_have_no_servers(self):
        info = lab().info()
        del info["nodes"]
        assert [(f["name"], f["servers"]) for f in swarm_lb_frontends(info)] == [
            ("demo_api_9000", []), ("demo_web_8080", []),
        ]

    @pytest.mark.parametrize("tasks", [
        pytest.param(None, id="no-tasks-key"),
        pytest.param([], id="empty"),
        pytest.param("not a list", id="str"),
        pytest.param([1, 2], id="not-api-objects"),
    ])
    def test_tasks_are_not_needed(self, tasks):
        # docker_swarm_info without tasks=true (or anything in its place): the same frontends, every node a server.
        swarm = lab()
        expected = swarm_lb_frontends(swarm.info())
        info = swarm.info()
        if tasks is None:
            del info["tasks"]
        else:
            info["tasks"] = tasks
        assert swarm_lb_frontends(info) == expected
        assert [(f["name"], len(f["servers"])) for f in expected] == [("demo_api_9000", 3), ("demo_web_8080", 3)]

    @pytest.mark.parametrize("value", [
        pytest.param(None, id="none"),
        pytest.param([], id="list"),
        pytest.param("swarm", id="str"),
        pytest.param(42, id="int"),
    ])
    def test_input_that_is_not_a_mapping(self, value):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_frontends(value)
        assert excinfo.value.message == NOT_SWARM_INFO

    @pytest.mark.parametrize("change, wrong", [
        pytest.param({"services": {"demo_web": {}}}, "services", id="services-dict"),
        pytest.param({"nodes": "manager1"}, "nodes", id="nodes-str"),
        pytest.param({"nodes": ["manager1"]}, "nodes", id="nodes-of-str"),
        pytest.param({"services": [1], "nodes": "x"}, "services, nodes", id="both"),
    ])
    def test_lists_that_are_not_api_objects(self, change, wrong):
        info = lab().info()
        info.update(change)
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_frontends(info)
        assert excinfo.value.message == (
            f"swarm_lb_frontends: {wrong} must be lists of API objects (docker_swarm_info with verbose_output=true)"
        )

    @pytest.mark.parametrize("kwargs, message", [
        pytest.param({"services": ["demo_wbe"]},
                     "No service named demo_wbe in the swarm (services: demo_agent, demo_api, demo_web)",
                     id="unknown-service"),
        pytest.param({"options": {"demo_web": {"mode": "https"}}},
                     "demo_web: mode must be http or tcp, not 'https'", id="mode"),
        pytest.param({"options": {"demo_api": {"bind_port": {9000: 8080}}}},
                     "Two frontends would listen on port(s) [8080]: set bind_port for one of the services",
                     id="clash"),
        pytest.param({"options": ["demo_web"]},
                     "options and addresses must be mappings keyed by service name and node hostname",
                     id="options-list"),
        pytest.param({"addresses": "10.0.0.1"},
                     "options and addresses must be mappings keyed by service name and node hostname",
                     id="addresses-str"),
        pytest.param({"options": {"demo_web": {"bind_port": {8080: "eighty"}}}},
                     "demo_web: bind_port 'eighty' is not a TCP port", id="bind-port-not-int"),
        pytest.param({"services": 5}, "services must be a list of service names, not int", id="services-int"),
    ])
    def test_backend_error_becomes_a_filter_error(self, kwargs, message):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_frontends(lab().info(), **kwargs)
        assert excinfo.value.message == message
        assert isinstance(excinfo.value.__cause__, BackendError)

    def test_host_port_overlap_becomes_a_filter_error(self):
        swarm = lab()
        swarm.add(service("demo_web2", port(8080)))
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_frontends(swarm.info())
        assert excinfo.value.message == overlap_message(("demo_web", "demo_web2", 8080, ALL))
        assert isinstance(excinfo.value.__cause__, BackendError)

    def test_node_ip_constraints_come_through(self):
        swarm = web_swarm("worker2", constraints=["node.ip==192.168.77.32/31"], nodes=labelled_nodes())
        assert hosts_of(only_frontend(swarm_lb_frontends(swarm.info()))) == ["worker2", "worker3"]

    @pytest.mark.parametrize("constraint", ["node.labels.zone", "node.role=manager"])
    def test_a_constraint_that_can_not_be_read_becomes_a_filter_error(self, constraint):
        swarm = web_swarm(constraints=["node.labels.tier==web", constraint], nodes=labelled_nodes())
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_frontends(swarm.info())
        assert excinfo.value.message == f"placement constraint {constraint!r} has no == or != operator"
        assert isinstance(excinfo.value.__cause__, BackendError)

    def test_hostnames_that_make_one_server_name_become_a_filter_error(self):
        swarm = Swarm(default_nodes() + [node("web node", "192.168.77.41"), node("web#node", "192.168.77.42")])
        swarm.add(service("demo_web", port(8080)))
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_frontends(swarm.info())
        assert excinfo.value.message == (
            "demo_web: nodes web node, web#node would all be server web_node: give the nodes hostnames that differ "
            "in more than the characters HAProxy does not allow"
        )
        assert isinstance(excinfo.value.__cause__, BackendError)

    @pytest.mark.parametrize("kwargs", [
        pytest.param({"options": {"demo_web": "tcp"}}, id="settings-str"),
        pytest.param({"options": {"demo_web": {"bind_port": [80]}}}, id="bind_port-list"),
    ])
    def test_malformed_values_become_filter_errors(self, kwargs):
        with pytest.raises(AnsibleFilterError):
            swarm_lb_frontends(lab().info(), **kwargs)

    def test_string_services_is_one_name_or_rejected_as_not_a_list(self):
        try:
            result = swarm_lb_frontends(lab().info(), services="demo_web")
        except AnsibleFilterError as e:
            assert "No service named _, " not in e.message, e.message
            return
        assert [f["service"] for f in result] == ["demo_web"]

    def test_services_as_a_tuple(self):
        assert [f["service"] for f in swarm_lb_frontends(lab().info(), services=("demo_api",))] == ["demo_api"]


# --------------------------------------------------------------------------- swarm_lb_settings_check


BAD_SETTINGS = lab_settings(loadbalancer_vip="192.168.77.11", loadbalancer_vrrp_router_id=0,
                            loadbalancer_service_options={"demo_web": {"bind_port": {8080: 8404}}})


class TestSettingsCheckFilter:
    def test_valid_lab_settings(self):
        assert swarm_lb_settings_check(lab_settings(), LB_HOSTS, lab_host_vars()) == []

    @pytest.mark.parametrize("settings", [
        pytest.param(lab_settings(), id="valid"),
        pytest.param(lab_settings(loadbalancer_vip=""), id="no-vip"),
        pytest.param(BAD_SETTINGS, id="bad"),
        pytest.param({}, id="empty"),
        pytest.param(lab_settings(loadbalancer_vip="192.168.77.0"), id="network-vip"),
        pytest.param(lab_settings(loadbalancer_vrrp_advert_int=256), id="advert-256"),
        pytest.param(lab_settings(loadbalancer_vrrp_password=12345678), id="password-int"),
        pytest.param(lab_settings(loadbalancer_vrrp_password=None), id="password-none"),
    ])
    def test_same_problems_as_module_util(self, settings):
        assert swarm_lb_settings_check(settings, LB_HOSTS, lab_host_vars()) == check_lb_settings(
            settings, LB_HOSTS, lab_host_vars())

    def test_problems_are_returned_not_raised(self):
        assert swarm_lb_settings_check(BAD_SETTINGS, LB_HOSTS, lab_host_vars()) == [
            "loadbalancer_vip is 192.168.77.11, the address of manager1: the virtual address must be one no host has",
            "loadbalancer_vrrp_router_id is 0: it must be a number from 1 to 255",
            "loadbalancer_service_options binds port 8404 (demo_web:8080), the port of loadbalancer_stats_bind "
            "127.0.0.1:8404",
        ]

    @pytest.mark.parametrize("changes, expected", [
        pytest.param({"loadbalancer_vip": "192.168.77.0"},
                     ["loadbalancer_vip 192.168.77.0 is the network address of 192.168.77.0/24: it must be an address "
                      "a host can hold"], id="network-vip"),
        pytest.param({"loadbalancer_vip": "192.168.77.255"},
                     ["loadbalancer_vip 192.168.77.255 is the broadcast address of 192.168.77.0/24: it must be an "
                      "address a host can hold"], id="broadcast-vip"),
        pytest.param({"loadbalancer_vrrp_advert_int": 255}, [], id="advert-255"),
        pytest.param({"loadbalancer_vrrp_advert_int": 256},
                     ["loadbalancer_vrrp_advert_int is 256: it must be a whole number of seconds from 1 to 255"],
                     id="advert-256"),
        pytest.param({"loadbalancer_vrrp_password": 12345678}, [], id="password-int"),
        pytest.param({"loadbalancer_vrrp_password": None},
                     ["loadbalancer_vrrp_password is not set to a text: VRRP needs 1 to 8 characters"],
                     id="password-none"),
        pytest.param({"loadbalancer_check_fall": 1001},
                     ["loadbalancer_check_fall is 1001: it must be a number from 1 to 1000"], id="fall-1001"),
    ])
    def test_the_new_checks_come_through(self, changes, expected):
        assert swarm_lb_settings_check(lab_settings(**changes), LB_HOSTS, lab_host_vars()) == expected

    def test_hosts_as_a_tuple(self):
        assert swarm_lb_settings_check(lab_settings(loadbalancer_vip="10.0.0.50"), ("lb1",), lab_host_vars()) == [
            "loadbalancer_vip 10.0.0.50 is outside the subnet of lb1 (192.168.77.51/24): the virtual address "
            "must be on the load balancers' own network",
        ]

    def test_passes_a_list_of_the_hosts_and_the_host_vars_through(self, monkeypatch):
        calls = []

        def fake(settings, lb_hosts, host_vars):
            calls.append((settings, lb_hosts, host_vars))
            return ["sentinel"]

        monkeypatch.setattr(plugin, "check_lb_settings", fake)
        settings, host_vars = lab_settings(), lab_host_vars()
        assert swarm_lb_settings_check(settings, ("lb1", "lb2"), host_vars) == ["sentinel"]
        (call,) = calls
        assert call[0] is settings and call[2] == {host: address_vars(v) for host, v in host_vars.items()}
        assert call[1] == ["lb1", "lb2"] and isinstance(call[1], list)

    @pytest.mark.parametrize("settings", [
        pytest.param(None, id="none"),
        pytest.param([], id="list"),
        pytest.param("loadbalancer_vip", id="str"),
        pytest.param(42, id="int"),
    ])
    def test_settings_that_are_not_a_mapping(self, settings):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_settings_check(settings, LB_HOSTS, lab_host_vars())
        assert excinfo.value.message == NOT_SETTINGS

    @pytest.mark.parametrize("lb_hosts", [
        pytest.param(None, id="none"),
        pytest.param("lb1", id="str"),
        pytest.param({"lb1": {}}, id="dict"),
        pytest.param(["lb1", 2], id="not-all-str"),
        pytest.param([None], id="none-in-list"),
    ])
    def test_hosts_that_are_not_a_list_of_names(self, lb_hosts):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_settings_check(lab_settings(), lb_hosts, lab_host_vars())
        assert excinfo.value.message == not_hosts("swarm_lb_settings_check")

    @pytest.mark.parametrize("host_vars", [
        pytest.param(None, id="none"),
        pytest.param([], id="list"),
        pytest.param({"lb1": "192.168.77.51"}, id="value-str"),
        pytest.param({"lb1": None}, id="value-none"),
    ])
    def test_host_vars_that_are_not_a_mapping_of_mappings(self, host_vars):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_settings_check(lab_settings(), LB_HOSTS, host_vars)
        assert excinfo.value.message == not_host_vars("swarm_lb_settings_check")

    def test_settings_are_checked_before_the_hosts(self):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_settings_check(None, None, None)
        assert excinfo.value.message == NOT_SETTINGS

    def test_empty_hosts_and_host_vars(self):
        assert swarm_lb_settings_check(lab_settings(), [], {}) == []


# --------------------------------------------------------------------------- swarm_lb_vrrp


class TestVrrpFilter:
    def test_lab(self):
        assert swarm_lb_vrrp(LB_HOSTS, lab_host_vars()) == {
            "hosts": {
                "lb1": {"priority": 200, "address": "192.168.77.51", "peers": ["192.168.77.52"]},
                "lb2": {"priority": 190, "address": "192.168.77.52", "peers": ["192.168.77.51"]},
            },
            "errors": [],
        }

    @pytest.mark.parametrize("lb_hosts, host_vars", [
        pytest.param(LB_HOSTS, lab_host_vars(), id="lab"),
        pytest.param(["lb2", "lb1"], lab_host_vars(), id="reversed"),
        pytest.param(["lb1", "lb2", "lb3"], lab_host_vars(), id="unknown-address"),
        pytest.param(LB_HOSTS, {"lb1": {"ansible_host": "10.0.0.1"}, "lb2": {"default_ipv4": "10.0.0.1"}},
                     id="shared-address"),
        pytest.param(LB_HOSTS, {"lb1": {"swarm_advertise_addr": "eth1"},
                                "lb2": {"swarm_advertise_addr": "192.168.77.52:2377"}}, id="not-ipv4"),
        pytest.param([], {}, id="empty"),
    ])
    def test_same_result_as_module_util(self, lb_hosts, host_vars):
        assert swarm_lb_vrrp(lb_hosts, host_vars) == vrrp_peers(lb_hosts, host_vars)

    def test_errors_are_returned_not_raised(self):
        result = swarm_lb_vrrp(["lb1", "lb2", "lb3"], lab_host_vars())
        assert result["errors"] == [
            "the VRRP address of lb3 is not known: set loadbalancer_vrrp_address (or swarm_advertise_addr) for it in "
            "the inventory (a run limited to some hosts, or with a host that does not answer, has no facts of the "
            "others)",
        ]
        assert result["hosts"]["lb3"] == {"priority": 180, "address": "", "peers": ["192.168.77.51", "192.168.77.52"]}

    def test_addresses_that_are_not_ipv4_are_returned_as_errors(self):
        host_vars = lab_host_vars()
        host_vars["lb1"]["loadbalancer_vrrp_address"] = "eth1"
        host_vars["lb2"]["swarm_advertise_addr"] = "192.168.77.52:2377"
        assert swarm_lb_vrrp(LB_HOSTS, host_vars)["errors"] == [
            "the VRRP address of lb1 is 'eth1', not an IPv4 address: set loadbalancer_vrrp_address (or "
            "swarm_advertise_addr) to the address, without a port",
            not_ipv4_message("lb2", "192.168.77.52:2377"),
        ]

    def test_hosts_as_a_tuple(self):
        assert swarm_lb_vrrp(("lb2", "lb1"), lab_host_vars()) == swarm_lb_vrrp(LB_HOSTS, lab_host_vars())

    def test_passes_a_list_of_the_hosts_and_the_host_vars_through(self, monkeypatch):
        calls = []

        def fake(lb_hosts, host_vars):
            calls.append((lb_hosts, host_vars))
            return {"hosts": {}, "errors": ["sentinel"]}

        monkeypatch.setattr(plugin, "vrrp_peers", fake)
        host_vars = lab_host_vars()
        assert swarm_lb_vrrp(("lb1",), host_vars) == {"hosts": {}, "errors": ["sentinel"]}
        (call,) = calls
        assert call == (["lb1"], {host: address_vars(v) for host, v in host_vars.items()}) and isinstance(call[0], list)

    def test_reads_the_addresses_from_hostvars_and_the_facts(self):
        # hostvars as Ansible hands it: each host's variables, the gathered facts under ansible_facts.
        hostvars = {host: dict(v, unrelated="x") for host, v in lab_host_vars().items()}
        hostvars["lb1"] = {"ansible_host": "swarmops-lab-lb1", "ansible_facts": {"default_ipv4": {"address": "192.168.77.51"}}}
        assert swarm_lb_vrrp(LB_HOSTS, hostvars) == swarm_lb_vrrp(LB_HOSTS, lab_host_vars())
        assert address_vars(hostvars["lb1"]) == {"loadbalancer_vrrp_address": "", "swarm_advertise_addr": "",
                                                 "ansible_host": "swarmops-lab-lb1", "default_ipv4": "192.168.77.51"}

    @pytest.mark.parametrize("lb_hosts", [
        pytest.param(None, id="none"),
        pytest.param("lb1", id="str"),
        pytest.param({"lb1": {}}, id="dict"),
        pytest.param(["lb1", 2], id="not-all-str"),
    ])
    def test_hosts_that_are_not_a_list_of_names(self, lb_hosts):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_vrrp(lb_hosts, lab_host_vars())
        assert excinfo.value.message == not_hosts("swarm_lb_vrrp")

    @pytest.mark.parametrize("host_vars", [
        pytest.param(None, id="none"),
        pytest.param(["lb1"], id="list"),
        pytest.param({"lb1": "192.168.77.51"}, id="value-str"),
        pytest.param({"lb1": {"swarm_advertise_addr": "192.168.77.51"}, "lb2": []}, id="one-value-list"),
    ])
    def test_host_vars_that_are_not_a_mapping_of_mappings(self, host_vars):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_vrrp(LB_HOSTS, host_vars)
        assert excinfo.value.message == not_host_vars("swarm_lb_vrrp")


# --------------------------------------------------------------------------- documentation


def test_documentation_file():
    doc_path = pathlib.Path(plugin.__file__).with_name("swarm_lb_frontends.yml")
    doc = yaml.safe_load(doc_path.read_text(encoding="utf-8"))
    assert sorted(doc) == ["DOCUMENTATION", "EXAMPLES", "RETURN"]
    documentation = doc["DOCUMENTATION"]
    assert documentation["name"] == "swarm_lb_frontends"
    assert documentation["version_added"] == "0.1.0"
    assert documentation["short_description"]
    assert documentation["positional"].split(", ")[0] == "_input"
    assert documentation["options"]["_input"]["required"] is True
    # Every documented option is a keyword argument of the filter, and back.
    assert sorted(documentation["options"]) == ["_input", "addresses", "options", "services"]
    assert "_value" in doc["RETURN"]
    assert "swarmops.ha.swarm_lb_frontends" in doc["EXAMPLES"]


@pytest.mark.parametrize("name, function, positional", [
    pytest.param("swarm_lb_settings_check", swarm_lb_settings_check, "_input, lb_hosts, host_vars", id="settings"),
    pytest.param("swarm_lb_vrrp", swarm_lb_vrrp, "_input, host_vars", id="vrrp"),
])
def test_documentation_of_the_settings_filters(name, function, positional):
    doc_path = pathlib.Path(plugin.__file__).with_name(f"{name}.yml")
    doc = yaml.safe_load(doc_path.read_text(encoding="utf-8"))
    assert sorted(doc) == ["DOCUMENTATION", "EXAMPLES", "RETURN"]
    documentation = doc["DOCUMENTATION"]
    assert documentation["name"] == name
    assert documentation["version_added"]
    assert documentation["short_description"]
    assert documentation["positional"] == positional
    # Every documented option is an argument of the filter (the input first), and back; all are required.
    parameters = list(inspect.signature(function).parameters)
    assert ["_input"] + parameters[1:] == positional.split(", ")
    assert sorted(documentation["options"]) == sorted(positional.split(", "))
    assert all(option["required"] is True for option in documentation["options"].values())
    assert "_value" in doc["RETURN"]
    assert f"swarmops.ha.{name}" in doc["EXAMPLES"]
