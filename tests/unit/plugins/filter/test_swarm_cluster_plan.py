# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the swarm_cluster_plan filter, the wrapper of ``_swarm_plan``.

The scenarios and their helpers are those of the planner's own tests
(``tests/unit/plugins/module_utils/test_swarm_plan.py``), handed to the filter
as the swarm_cluster role does: each host's swarm section (``swarm_hosts``)
and the node list read through one manager.
"""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter.swarm_cluster_plan import (
    FilterModule,
    swarm_cluster_plan,
    swarm_node_settings,
)
from ansible_collections.swarmops.ha.tests.unit.plugins.module_utils.test_swarm_plan import (
    ID,
    MANAGERS,
    STRAY_WARNING,
    WORKERS,
    expected_plan,
    fresh,
    healthy,
    labelled,
)
from ansible_collections.swarmops.ha.tests.unit.plugins.module_utils.test_swarm_observe import result, worker
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_plan import choose_entry, observed_hosts


def observed(hosts):
    """(swarms, nodes, nodes_from) of a planner-shaped scenario, as the role hands them to the filter."""
    swarms = {host: info["swarm"] if info["reachable"] else None for host, info in hosts.items()}
    via = choose_entry(MANAGERS, hosts)
    return swarms, (hosts[via]["nodes"] if via else None), via


def plan_of(hosts, managers, workers, *args):
    swarms, nodes, via = observed(hosts)
    return swarm_cluster_plan(swarms, managers, workers, *args, nodes=nodes, nodes_from=via)


# --------------------------------------------------------------------------- filter wrapper


class TestFilter:
    def test_registered(self):
        assert FilterModule().filters() == {"swarm_cluster_plan": swarm_cluster_plan,
                                            "swarm_node_settings": swarm_node_settings}

    def test_same_plan_as_module_util(self):
        assert plan_of(healthy(), MANAGERS, WORKERS) == dict(
            expected_plan(), summary="no change to the members of the swarm")

    def test_none_groups_are_empty(self):
        result = plan_of(fresh(*WORKERS), None, WORKERS)
        assert result["errors"] == ["no manager in the inventory: nothing can initialise the swarm"]

    @pytest.mark.parametrize(
        "prune, removed",
        [
            pytest.param("yes", True, id="yes"),
            pytest.param("no", False, id="no"),
            pytest.param("true", True, id="true-str"),
            pytest.param(True, True, id="true"),
            pytest.param(False, False, id="false"),
        ],
    )
    def test_prune_as_ansible_boolean(self, prune, removed):
        hosts = healthy()
        del hosts["worker2"]
        result = plan_of(hosts, MANAGERS, ["worker1"], prune)
        expected_remove = (
            [{"hostname": "worker2", "node_id": ID["worker2"], "role": "worker", "state": "ready"}] if removed else []
        )
        assert result["remove"] == expected_remove
        assert result["changes"] == (1 if removed else 0)
        assert result["warnings"] == ([] if removed else [STRAY_WARNING.format(strays="worker2 (worker, ready)")])

    def test_prune_defaults_to_false(self):
        hosts = healthy()
        del hosts["worker2"]
        assert plan_of(hosts, MANAGERS, ["worker1"])["remove"] == []

    @pytest.mark.parametrize(
        "hosts, managers, workers, prune, message",
        [
            pytest.param(None, MANAGERS, WORKERS, False, "swarm_cluster_plan: hosts must be a dict", id="hosts-none"),
            pytest.param([], MANAGERS, WORKERS, False, "swarm_cluster_plan: hosts must be a dict", id="hosts-list"),
            pytest.param({"manager1": []}, MANAGERS, WORKERS, False, "swarm_cluster_plan: swarm state of manager1", id="state-list"),
            pytest.param({}, ["manager1", 2], WORKERS, False, "swarm_cluster_plan: managers must be a list", id="managers-int"),
            pytest.param({}, MANAGERS, 5, False, "swarm_cluster_plan: ", id="workers-int"),
            pytest.param({}, MANAGERS, WORKERS, "maybe", "swarm_cluster_plan: ", id="prune-maybe"),
        ],
    )
    def test_bad_input_raises_filter_error(self, hosts, managers, workers, prune, message):
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_cluster_plan(hosts, managers, workers, prune)
        assert excinfo.value.message.startswith(message)

    def test_string_group_is_rejected(self):
        try:
            result = plan_of(fresh(), "manager1", WORKERS)
        except AnsibleFilterError:
            return
        raise AssertionError(f"accepted a string as the manager group: {result['errors']}")


class TestObservedHosts:
    def test_round_trip_keeps_the_planners_view(self):
        hosts = healthy()
        swarms, nodes, via = observed(hosts)
        assert via == "manager1"
        rebuilt = observed_hosts(swarms, nodes, via)
        assert rebuilt["manager1"] == hosts["manager1"]
        assert rebuilt["manager2"] == dict(hosts["manager2"], nodes=None)
        assert rebuilt["worker1"] == hosts["worker1"]

    def test_a_host_that_did_not_answer_is_unreachable(self):
        assert observed_hosts({"manager1": None}) == {"manager1": {"reachable": False, "swarm": {}, "nodes": None}}

    def test_nodes_without_a_manager_are_ignored(self):
        assert observed_hosts({"manager1": {}}, nodes=[{"ID": "x"}])["manager1"]["nodes"] is None


# --------------------------------------------------------------------------- swarm_node_settings


def worker_vars(host, **host_vars):
    """A worker's hostvars: its observation (naming its node ID) and these host variables."""
    return dict(host_vars, docker_engine_observed=result(dict(worker(), NodeID=ID[host])))


class TestNodeSettings:
    def test_only_the_hosts_that_differ(self):
        hostvars = {"worker1": worker_vars("worker1", swarm_labels={"zone": "a"}),
                    "worker2": worker_vars("worker2", swarm_labels={"zone": "b"}, swarm_availability="active")}
        nodes = labelled({"zone": "a"}, "active", worker2=({}, "drain"))
        steps = swarm_node_settings(hostvars, ["worker1", "worker2"], nodes)
        assert [(s["host"], s["node_id"], s["why"]) for s in steps] == [
            ("worker2", ID["worker2"], "labels {'zone': 'b'} to set, availability drain to be active")]

    def test_hosts_not_observed_only_checked(self):
        hostvars = {"worker1": {"swarm_labels": {"zone": "a"}}, "worker2": {}}
        assert swarm_node_settings(hostvars, "worker1") == []
        assert swarm_node_settings(hostvars, ["worker1", "worker2", "gone"], None, "replace") == []

    def test_bad_input_is_one_filter_error(self):
        hostvars = {"worker1": {"swarm_availability": "off"}, "worker2": {"swarm_labels": "zone=a"}}
        with pytest.raises(AnsibleFilterError, match=r"swarm_node_settings: worker1: swarm_availability .*; worker2: "):
            swarm_node_settings(hostvars, ["worker1", "worker2"])
        with pytest.raises(AnsibleFilterError, match="hosts must be a list of inventory hostnames"):
            swarm_node_settings(hostvars, {"worker1": 1})
