# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the swarm_maintenance_plan filter, the wrapper of ``_swarm_maintenance``.

The scenarios and their helpers are those of the module util's own tests
(``tests/unit/plugins/module_utils/test_swarm_maintenance.py``).
"""

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter import swarm_maintenance as plugin
from ansible_collections.swarmops.ha.plugins.filter.swarm_maintenance import (
    FilterModule,
    swarm_maintenance_plan,
    swarm_node_loss_check,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_maintenance import plan_maintenance
from ansible_collections.swarmops.ha.tests.unit.plugins.module_utils.test_swarm_maintenance import (
    HEALTHY_ORDER,
    ID,
    MANAGERS,
    WORKERS,
    find,
    hosts,
    nodes,
)

BAD_INPUT = "swarm_maintenance_plan expects a list of nodes and a mapping of hosts"
WORKER_IN_MANAGERS = "{host} is in the managers group but is a worker of the swarm: run site.yml first"


class TestFilter:
    def test_registered(self):
        assert FilterModule().filters() == {
            "swarm_maintenance_plan": swarm_maintenance_plan, "swarm_node_loss_check": swarm_node_loss_check}

    def test_same_plan_as_module_util(self):
        assert swarm_maintenance_plan(nodes(), hosts(), MANAGERS) == plan_maintenance(nodes(), hosts(), MANAGERS)
        assert swarm_maintenance_plan(nodes(), hosts(), MANAGERS) == {
            "order": HEALTHY_ORDER, "node_ids": ID, "errors": [],
            "hostnames": {h: h for h in ID}, "availability": {h: "active" for h in ID},
        }

    def test_passes_the_arguments_through_as_lists(self, monkeypatch):
        calls = []
        monkeypatch.setattr(plugin, "plan_maintenance", lambda *args: calls.append(args) or "sentinel")
        node_list, host_infos = nodes(), hosts()
        assert swarm_maintenance_plan(node_list, host_infos, ("manager1",), ("worker1",)) == "sentinel"
        (call,) = calls
        assert call[0] is node_list and call[1] is host_infos
        assert call[2:] == (["manager1"], ["worker1"])

    def test_selected(self):
        result = swarm_maintenance_plan(nodes(), hosts(), MANAGERS, ["manager1", "worker2"])
        assert result["order"] == ["worker2", "manager1"]

    @pytest.mark.parametrize("selected", [None, []])
    def test_no_selection_is_every_host(self, selected):
        assert swarm_maintenance_plan(nodes(), hosts(), MANAGERS, selected)["order"] == HEALTHY_ORDER

    def test_no_managers_group(self):
        node_list = nodes()
        del find(node_list, "manager3")["ManagerStatus"]
        assert swarm_maintenance_plan(node_list, hosts(), None)["errors"] == []
        assert swarm_maintenance_plan(node_list, hosts(), MANAGERS)["errors"] == [
            WORKER_IN_MANAGERS.format(host="manager3"),
        ]

    def test_errors_are_returned_not_raised(self):
        host_infos = hosts()
        host_infos["worker1"] = None
        result = swarm_maintenance_plan(nodes(), host_infos, MANAGERS)
        assert result["errors"] == ["worker1 does not answer"]

    def test_empty_inputs(self):
        assert swarm_maintenance_plan([], {}, []) == {
            "order": [], "node_ids": {}, "errors": [], "hostnames": {}, "availability": {}}

    @pytest.mark.parametrize("node_list, host_infos", [
        pytest.param(None, {}, id="nodes-none"),
        pytest.param({"nodes": []}, {}, id="nodes-dict"),
        pytest.param("manager1", {}, id="nodes-str"),
        pytest.param([], None, id="hosts-none"),
        pytest.param([], [], id="hosts-list"),
        pytest.param([], "worker1", id="hosts-str"),
    ])
    def test_bad_input_raises_filter_error(self, node_list, host_infos):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_maintenance_plan(node_list, host_infos, MANAGERS)
        assert excinfo.value.message == BAD_INPUT

    def test_string_selected_is_one_host_or_rejected(self):
        try:
            result = swarm_maintenance_plan(nodes(), hosts(), MANAGERS, "worker1")
        except AnsibleFilterError:
            return
        assert (result["order"], result["errors"]) == (["worker1"], [])

    def test_string_managers_is_one_host_or_rejected(self):
        try:
            result = swarm_maintenance_plan(nodes(), hosts(), "worker1")
        except AnsibleFilterError:
            return
        assert result["errors"] == [WORKER_IN_MANAGERS.format(host="worker1")]

    @pytest.mark.parametrize("node_list, managers", [
        pytest.param([None], MANAGERS, id="node-none"),
        pytest.param(["manager1"], MANAGERS, id="node-str"),
        pytest.param([], 5, id="managers-int"),
    ])
    def test_malformed_values_become_filter_errors(self, node_list, managers):
        with pytest.raises(AnsibleFilterError):
            swarm_maintenance_plan(node_list, hosts(*WORKERS), managers)


def test_documentation_file():
    doc_path = pathlib.Path(plugin.__file__).with_name("swarm_maintenance_plan.yml")
    doc = yaml.safe_load(doc_path.read_text(encoding="utf-8"))
    assert sorted(doc) == ["DOCUMENTATION", "EXAMPLES", "RETURN"]
    documentation = doc["DOCUMENTATION"]
    assert documentation["name"] == "swarm_maintenance_plan"
    assert documentation["version_added"] == "0.1.0"
    assert documentation["short_description"]
    assert documentation["positional"].split(", ")[0] == "_input"
    options = documentation["options"]
    assert options["_input"]["required"] is True
    # Every documented option is an argument of the filter, and back.
    assert sorted(options) == ["_input", "hosts", "managers", "selected"]
    assert [name for name in options if options[name].get("required")] == ["_input", "hosts", "managers"]
    assert "_value" in doc["RETURN"]
    assert "swarmops.ha.swarm_maintenance_plan" in doc["EXAMPLES"]


class TestNodeLossFilter:
    def test_same_refusals_as_module_util(self):
        lost = nodes()
        find(lost, "manager1")["ManagerStatus"]["Reachability"] = "unreachable"
        assert swarm_node_loss_check(lost, ID["manager2"]) == [
            "stopping manager manager2 would leave 1 of the swarm's 3 managers reachable, below the quorum of 2 "
            "(manager1 already unreachable)"
        ]
        assert swarm_node_loss_check(nodes(), ID["manager2"]) == []

    @pytest.mark.parametrize("node_list, node_id, message", [
        pytest.param({"a": 1}, "x", "swarm_node_loss_check expects a list of nodes", id="nodes-dict"),
        pytest.param([None], "x", "swarm_node_loss_check expects a list of nodes", id="node-none"),
        pytest.param([], None, "node_id must be a node ID, not NoneType", id="id-none"),
    ])
    def test_bad_input(self, node_list, node_id, message):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_node_loss_check(node_list, node_id)
        assert message in str(excinfo.value)


def test_node_loss_documentation_file():
    doc = yaml.safe_load(pathlib.Path(plugin.__file__).with_name("swarm_node_loss_check.yml").read_text(encoding="utf-8"))
    assert sorted(doc) == ["DOCUMENTATION", "EXAMPLES", "RETURN"]
    assert doc["DOCUMENTATION"]["name"] == "swarm_node_loss_check"
