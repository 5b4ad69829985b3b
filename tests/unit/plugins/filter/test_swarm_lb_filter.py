# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the swarm_lb_frontends filter, the wrapper of ``_swarm_lb``.

The scenarios and their helpers are those of the module util's own tests
(``tests/unit/plugins/module_utils/test_swarm_lb.py``); ``Swarm.info()`` is
the registered result of community.docker.docker_swarm_info (verbose).
"""

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter import swarm_lb as plugin
from ansible_collections.swarmops.ha.plugins.filter.swarm_lb import FilterModule, swarm_lb_frontends
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_lb import BackendError, lb_frontends
from ansible_collections.swarmops.ha.tests.unit.plugins.module_utils.test_swarm_lb import (
    Swarm,
    frontend,
    port,
    servers,
    service,
    web_swarm,
)

NOT_SWARM_INFO = "swarm_lb_frontends expects the result of community.docker.docker_swarm_info"


def lab() -> Swarm:
    swarm = web_swarm("worker1", "manager1")
    swarm.add(service("demo_api", port(9000, "ingress")), "worker2")
    swarm.add(service("demo_agent"), "manager1", "worker1", "worker2")
    return swarm


class TestFilter:
    def test_registered(self):
        assert FilterModule().filters() == {"swarm_lb_frontends": swarm_lb_frontends}

    def test_same_frontends_as_module_util(self):
        swarm = lab()
        assert swarm_lb_frontends(swarm.info()) == lb_frontends(swarm.services, swarm.tasks, swarm.nodes)
        assert swarm_lb_frontends(swarm.info()) == [
            frontend("demo_api", 9000, servers("manager1", "worker1", "worker2", port=9000), publish_mode="ingress"),
            frontend("demo_web", 8080, servers("manager1", "worker1")),
        ]

    def test_passes_the_services_tasks_and_nodes_and_the_arguments_through(self, monkeypatch):
        calls = []

        def fake(services, tasks, nodes, only=None, options=None, addresses=None):
            calls.append((services, tasks, nodes, only, options, addresses))
            return ["sentinel"]

        monkeypatch.setattr(plugin, "lb_frontends", fake)
        swarm = lab()
        info = swarm.info()
        options = {"demo_web": {"mode": "tcp"}}
        addresses = {"worker1": "10.0.0.31"}
        assert swarm_lb_frontends(info, ["demo_web"], options, addresses) == ["sentinel"]
        (call,) = calls
        assert call[0] is info["services"] and call[1] is info["tasks"] and call[2] is info["nodes"]
        assert call[3:] == (["demo_web"], options, addresses)

    def test_keyword_arguments(self):
        result = swarm_lb_frontends(
            lab().info(),
            services=["demo_web"],
            options={"demo_web": {"mode": "tcp", "check_path": "/healthz", "bind_port": {"8080": 80}}},
            addresses={"worker1": "10.0.0.31"},
        )
        assert result == [
            frontend("demo_web", 8080,
                     [servers("manager1")[0], {"name": "worker1", "address": "10.0.0.31", "port": 8080}],
                     bind=80, mode="tcp", check_path="/healthz"),
        ]

    @pytest.mark.parametrize("info", [
        pytest.param({}, id="empty"),
        pytest.param({"services": None, "tasks": None, "nodes": None}, id="none"),
        pytest.param({"changed": False, "can_talk_to_docker": True, "docker_swarm_active": False}, id="no-lists"),
    ])
    def test_missing_lists_are_empty(self, info):
        assert swarm_lb_frontends(info) == []

    def test_without_tasks_a_host_mode_port_has_no_server(self):
        # docker_swarm_info without tasks=true: the ingress port still has every node.
        info = lab().info()
        del info["tasks"]
        assert [(f["name"], len(f["servers"])) for f in swarm_lb_frontends(info)] == [
            ("demo_api_9000", 3), ("demo_web_8080", 0),
        ]

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
    ])
    def test_backend_error_becomes_a_filter_error(self, kwargs, message):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_lb_frontends(lab().info(), **kwargs)
        assert excinfo.value.message == message
        assert isinstance(excinfo.value.__cause__, BackendError)

    @pytest.mark.parametrize("info_change, kwargs", [
        pytest.param(None, {"options": {"demo_web": "tcp"}}, id="settings-str"),
        pytest.param(None, {"options": {"demo_web": {"bind_port": [80]}}}, id="bind_port-list"),
        pytest.param(None, {"options": {"demo_web": {"bind_port": {8080: "eighty"}}}}, id="bind_port-not-int"),
        pytest.param(None, {"services": 5}, id="services-int"),
        pytest.param({"services": {"demo_web": {}}}, {}, id="swarm-services-dict"),
        pytest.param({"nodes": "manager1"}, {}, id="swarm-nodes-str"),
    ])
    def test_malformed_values_become_filter_errors(self, info_change, kwargs):
        info = lab().info()
        info.update(info_change or {})
        with pytest.raises(AnsibleFilterError):
            swarm_lb_frontends(info, **kwargs)

    def test_string_services_is_one_name_or_rejected_as_not_a_list(self):
        try:
            result = swarm_lb_frontends(lab().info(), services="demo_web")
        except AnsibleFilterError as e:
            assert "No service named _, " not in e.message, e.message
            return
        assert [f["service"] for f in result] == ["demo_web"]

    def test_services_as_a_tuple(self):
        assert [f["service"] for f in swarm_lb_frontends(lab().info(), services=("demo_api",))] == ["demo_api"]


def test_documentation_file():
    doc_path = pathlib.Path(plugin.__file__).with_name("swarm_lb_frontends.yml")
    doc = yaml.safe_load(doc_path.read_text(encoding="utf-8"))
    assert sorted(doc) == ["DOCUMENTATION", "EXAMPLES", "RETURN"]
    documentation = doc["DOCUMENTATION"]
    assert documentation["name"] == "swarm_lb_frontends"
    assert documentation["version_added"] == "1.0.0"
    assert documentation["short_description"]
    assert documentation["positional"].split(", ")[0] == "_input"
    assert documentation["options"]["_input"]["required"] is True
    # Every documented option is a keyword argument of the filter, and back.
    assert sorted(documentation["options"]) == ["_input", "addresses", "options", "services"]
    assert "_value" in doc["RETURN"]
    assert "swarmops.ha.swarm_lb_frontends" in doc["EXAMPLES"]
