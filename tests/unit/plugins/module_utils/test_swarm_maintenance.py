# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the order and the pre-flight refusals of a rolling maintenance (``_swarm_maintenance``).

Scenarios are built from ``fixtures/swarm_nodes.json``: the node list of the
5-node lab swarm (manager1-3, manager1 the leader, worker1-2) as ``GET /nodes``
returns it, and the ``docker info --format '{{json .Swarm}}'`` objects of a
manager, a worker and an inactive host, in the shape playbooks/rolling_maintenance.yml
hands to the filter: ``nodes`` (the swarm's node list), ``hosts``
(``{host: .Swarm or None}``), ``managers`` (the inventory's manager group) and
``selected`` (rolling_maintenance_nodes).
The filter wrapper is tested in ``tests/unit/plugins/filter/test_swarm_maintenance_filter.py``
with these helpers.
"""

from __future__ import annotations

import copy
import json
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_maintenance import node_loss_refusals, plan_maintenance

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_nodes.json"
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))

MANAGERS = ["manager1", "manager2", "manager3"]
WORKERS = ["worker1", "worker2"]
ALL = MANAGERS + WORKERS
ID = {n["Description"]["Hostname"]: n["ID"] for n in DATA["nodes"]}

# A node ID from some other swarm (25 lowercase alphanumerics, like swarmkit's).
FOREIGN_NODE_ID = "men2khvdgaj8gxbenyjqwx4hh"

# The healthy lab: workers in inventory order, the followers, the leader (manager1) last.
HEALTHY_ORDER = ["worker1", "worker2", "manager2", "manager3", "manager1"]


# --------------------------------------------------------------------------- helpers


def nodes() -> list[dict]:
    return copy.deepcopy(DATA["nodes"])


def swarm_info(host: str) -> dict:
    """The ``.Swarm`` of *host* as ``docker info`` prints it on the healthy lab."""
    info = copy.deepcopy(DATA["swarm_info"]["manager" if host in MANAGERS else "worker"])
    info["NodeID"] = ID[host]
    return info


def hosts(*names: str) -> dict:
    """``{host: .Swarm}`` of *names* (all five by default), in that (inventory) order."""
    return {host: swarm_info(host) for host in (names or ALL)}


def find(node_list: list, host: str) -> dict:
    return next(n for n in node_list if n["Description"]["Hostname"] == host)


def make_leader(node_list: list, host: str) -> None:
    for n in node_list:
        if "ManagerStatus" in n:
            n["ManagerStatus"].pop("Leader", None)
    find(node_list, host)["ManagerStatus"]["Leader"] = True


def core(result: dict) -> dict:
    """The plan without its per-host names and availability (tested on their own in TestNamesAndAvailability)."""
    return {k: v for k, v in result.items() if k not in ("hostnames", "availability")}


def plan(node_list=None, host_infos=None, managers=None, selected=None) -> dict:
    node_list = nodes() if node_list is None else node_list
    host_infos = hosts() if host_infos is None else host_infos
    managers = list(MANAGERS) if managers is None else managers
    before = copy.deepcopy((node_list, host_infos, managers, selected))
    result = plan_maintenance(node_list, host_infos, managers, selected)
    assert (node_list, host_infos, managers, selected) == before, "plan_maintenance changed its inputs"
    return result


# --------------------------------------------------------------------------- healthy swarm


class TestHealthy:
    def test_no_errors_and_every_host_mapped(self):
        assert core(plan()) == {"order": HEALTHY_ORDER, "node_ids": ID, "errors": []}

    def test_node_ids_map_every_host_to_its_own_node(self):
        assert plan()["node_ids"] == {host: find(DATA["nodes"], host)["ID"] for host in ALL}

    @pytest.mark.parametrize("selected", [None, []])
    def test_empty_selection_is_every_host(self, selected):
        assert plan(selected=selected)["order"] == HEALTHY_ORDER

    def test_workers_then_managers_then_the_leader(self):
        node_list = nodes()
        make_leader(node_list, "manager2")
        assert plan(node_list)["order"] == ["worker1", "worker2", "manager1", "manager3", "manager2"]

    def test_leader_last_even_when_it_comes_first_in_the_inventory(self):
        host_infos = hosts("manager1", "worker1", "manager2", "worker2", "manager3")
        assert plan(host_infos=host_infos)["order"] == HEALTHY_ORDER

    def test_inventory_order_within_a_rank(self):
        host_infos = hosts("manager3", "manager1", "worker2", "manager2", "worker1")
        assert plan(host_infos=host_infos)["order"] == ["worker2", "worker1", "manager3", "manager2", "manager1"]

    def test_no_leader_in_the_node_list(self):
        # During an election: no manager is flagged Leader; managers keep inventory order.
        node_list = nodes()
        find(node_list, "manager1")["ManagerStatus"].pop("Leader")
        assert plan(node_list)["order"] == ["worker1", "worker2", "manager1", "manager2", "manager3"]

    def test_workers_only(self):
        node_list = [find(nodes(), h) for h in WORKERS]
        result = plan(node_list, hosts(*WORKERS), managers=[])
        assert core(result) == {"order": WORKERS, "node_ids": {h: ID[h] for h in WORKERS}, "errors": []}

    def test_single_manager_swarm(self):
        result = plan([find(nodes(), "manager1")], hosts("manager1"), managers=["manager1"])
        assert core(result) == {"order": ["manager1"], "node_ids": {"manager1": ID["manager1"]}, "errors": []}

    def test_swarm_node_outside_the_inventory_is_not_maintained(self):
        result = plan(host_infos=hosts("manager1", "manager2", "manager3", "worker1"))
        assert core(result) == {
            "order": ["worker1", "manager2", "manager3", "manager1"],
            "node_ids": {h: ID[h] for h in ("manager1", "manager2", "manager3", "worker1")},
            "errors": [],
        }

    def test_inventory_manager_list_order_does_not_matter(self):
        assert plan(managers=["manager3", "manager1", "manager2"])["order"] == HEALTHY_ORDER

    def test_drained_node_is_maintained(self):
        node_list = nodes()
        find(node_list, "worker1")["Spec"]["Availability"] = "drain"
        assert core(plan(node_list)) == {"order": HEALTHY_ORDER, "node_ids": ID, "errors": []}

    def test_per_node_check_of_the_maintenance_path(self):
        # roles/docker_engine/tasks/maintain.yml: this host only, every inventory manager.
        assert plan(host_infos=hosts("manager2")) == {
            "order": ["manager2"], "node_ids": {"manager2": ID["manager2"]}, "errors": [],
            "hostnames": {"manager2": "manager2"}, "availability": {"manager2": "active"},
        }


# --------------------------------------------------------------------------- selection


class TestSelected:
    def test_restricts_the_order(self):
        assert plan(selected=["worker2", "manager1"])["order"] == ["worker2", "manager1"]

    def test_restricted_order_still_sorts_by_rank(self):
        assert plan(selected=["manager1", "manager3", "worker1"])["order"] == ["worker1", "manager3", "manager1"]

    def test_node_ids_still_map_every_host(self):
        assert plan(selected=["worker1"])["node_ids"] == ID

    def test_unknown_host_is_an_error(self):
        result = plan(selected=["worker1", "worker9", "lb1"])
        assert result["errors"] == ["not swarm hosts of the inventory: lb1, worker9"]
        assert result["order"] == ["worker1"]

    def test_only_unknown_hosts(self):
        result = plan(selected=["ghost"])
        assert (result["order"], result["errors"]) == ([], ["not swarm hosts of the inventory: ghost"])

    def test_selected_host_that_does_not_answer_is_not_ordered(self):
        host_infos = hosts()
        host_infos["worker1"] = None
        result = plan(host_infos=host_infos, selected=["worker1", "worker2"])
        assert (result["order"], result["errors"]) == (["worker2"], ["worker1 does not answer"])


# --------------------------------------------------------------------------- hosts


class TestHosts:
    @pytest.mark.parametrize("host", ["worker2", "manager3"])
    def test_host_that_does_not_answer(self, host):
        host_infos = hosts()
        host_infos[host] = None
        result = plan(host_infos=host_infos)
        assert result["errors"] == [f"{host} does not answer"]
        assert host not in result["node_ids"] and host not in result["order"]

    def test_host_that_does_not_answer_is_an_error_even_when_not_selected(self):
        host_infos = hosts()
        host_infos["worker2"] = None
        assert plan(host_infos=host_infos, selected=["worker1"])["errors"] == ["worker2 does not answer"]

    def test_every_silent_host_is_named_in_name_order(self):
        host_infos = hosts()
        host_infos["worker2"] = None
        host_infos["manager2"] = None
        assert plan(host_infos=host_infos)["errors"] == ["manager2 does not answer", "worker2 does not answer"]

    @pytest.mark.parametrize("state", ["inactive", "pending", "locked", "error", "", None])
    def test_local_node_state_not_active(self, state):
        host_infos = hosts()
        host_infos["worker1"]["LocalNodeState"] = state
        result = plan(host_infos=host_infos)
        assert result["errors"] == ["worker1 is not a node of this swarm"]
        assert "worker1" not in result["node_ids"] and "worker1" not in result["order"]

    def test_inactive_host(self):
        host_infos = hosts()
        host_infos["worker2"] = copy.deepcopy(DATA["swarm_info"]["inactive"])
        assert plan(host_infos=host_infos)["errors"] == ["worker2 is not a node of this swarm"]

    @pytest.mark.parametrize("node_id", [FOREIGN_NODE_ID, "", None])
    def test_node_id_not_in_the_node_list(self, node_id):
        host_infos = hosts()
        host_infos["worker1"]["NodeID"] = node_id
        result = plan(host_infos=host_infos)
        assert result["errors"] == ["worker1 is not a node of this swarm"]
        assert result["order"] == ["worker2", "manager2", "manager3", "manager1"]

    @pytest.mark.parametrize("info", [{}, "", "active", []])
    def test_swarm_info_that_is_not_a_swarm_object(self, info):
        host_infos = hosts()
        host_infos["worker1"] = info
        assert plan(host_infos=host_infos)["errors"] == ["worker1 is not a node of this swarm"]

    def test_node_removed_from_the_swarm(self):
        node_list = [n for n in nodes() if n["Description"]["Hostname"] != "worker2"]
        assert plan(node_list)["errors"] == ["worker2 is not a node of this swarm"]


# --------------------------------------------------------------------------- managers and nodes


class TestNodes:
    @pytest.mark.parametrize("reachability", ["unreachable", "unknown", "Unreachable"])
    def test_manager_not_reachable(self, reachability):
        node_list = nodes()
        find(node_list, "manager2")["ManagerStatus"]["Reachability"] = reachability
        assert plan(node_list)["errors"] == [f"manager manager2 is {reachability}"]

    def test_manager_without_reachability(self):
        node_list = nodes()
        del find(node_list, "manager3")["ManagerStatus"]["Reachability"]
        assert plan(node_list)["errors"] == ["manager manager3 is not reachable"]

    def test_reachability_case_is_ignored(self):
        node_list = nodes()
        find(node_list, "manager2")["ManagerStatus"]["Reachability"] = "Reachable"
        assert plan(node_list)["errors"] == []

    def test_unreachable_manager_outside_the_selection_and_the_inventory(self):
        # Every manager of the swarm counts for the quorum, maintained or not, in the inventory or not.
        node_list = nodes()
        find(node_list, "manager3")["ManagerStatus"]["Reachability"] = "unreachable"
        host_infos = hosts("manager1", "manager2", "worker1", "worker2")
        result = plan(node_list, host_infos, managers=["manager1", "manager2"], selected=["worker1"])
        assert result["errors"] == ["manager manager3 is unreachable"]

    def test_down_manager_is_named_once(self):
        node_list = nodes()
        manager = find(node_list, "manager3")
        manager["Status"]["State"] = "down"
        manager["ManagerStatus"]["Reachability"] = "unreachable"
        host_infos = hosts()
        host_infos["manager3"] = None
        assert plan(node_list, host_infos)["errors"] == [
            "manager3 does not answer",
            "manager manager3 is unreachable",
        ]

    @pytest.mark.parametrize("state", ["down", "unknown", "disconnected"])
    def test_maintained_node_not_ready(self, state):
        node_list = nodes()
        find(node_list, "worker2")["Status"]["State"] = state
        assert plan(node_list)["errors"] == [f"node worker2 is {state}"]

    def test_maintained_node_down_in_the_selection(self):
        node_list = nodes()
        find(node_list, "worker2")["Status"]["State"] = "down"
        assert plan(node_list, selected=["worker2"])["errors"] == ["node worker2 is down"]

    def test_maintained_node_without_status(self):
        node_list = nodes()
        del find(node_list, "worker1")["Status"]
        (error,) = plan(node_list)["errors"]
        assert error.startswith("node worker1 is ")

    def test_down_node_outside_the_inventory_is_not_an_error(self):
        node_list = nodes()
        find(node_list, "worker2")["Status"]["State"] = "down"
        assert plan(node_list, hosts(*MANAGERS, "worker1"))["errors"] == []

    def test_per_node_check_refuses_a_node_that_is_not_ready(self):
        node_list = nodes()
        find(node_list, "worker1")["Status"]["State"] = "down"
        assert plan(node_list, hosts("worker1"))["errors"] == ["node worker1 is down"]

    def test_per_node_check_ignores_the_other_nodes_states(self):
        node_list = nodes()
        find(node_list, "worker2")["Status"]["State"] = "down"
        assert plan(node_list, hosts("worker1"))["errors"] == []

    def test_down_node_that_is_not_selected_still_refuses(self):
        # The others would carry its load as well as the maintained node's.
        node_list = nodes()
        find(node_list, "worker2")["Status"]["State"] = "down"
        assert plan(node_list, selected=["worker1"])["errors"] == ["node worker2 is down"]

    def test_inventory_manager_that_is_a_worker(self):
        node_list = nodes()
        del find(node_list, "manager3")["ManagerStatus"]
        find(node_list, "manager3")["Spec"]["Role"] = "worker"
        result = plan(node_list)
        assert result["errors"] == ["manager3 is in the managers group but is a worker of the swarm: run site.yml first"]
        # Ordered as what it is in the swarm: a worker.
        assert result["order"] == ["manager3", "worker1", "worker2", "manager2", "manager1"]

    def test_inventory_manager_that_is_a_worker_with_empty_manager_status(self):
        node_list = nodes()
        find(node_list, "manager2")["ManagerStatus"] = {}
        assert plan(node_list)["errors"] == [
            "manager2 is in the managers group but is a worker of the swarm: run site.yml first",
        ]

    def test_every_worker_in_the_managers_group_is_named_in_group_order(self):
        managers = ["worker2", "manager1", "worker1"]
        assert plan(managers=managers)["errors"] == [
            "worker2 is in the managers group but is a worker of the swarm: run site.yml first",
            "worker1 is in the managers group but is a worker of the swarm: run site.yml first",
        ]

    def test_inventory_manager_that_does_not_answer_is_not_called_a_worker(self):
        host_infos = hosts()
        host_infos["manager2"] = None
        assert plan(host_infos=host_infos)["errors"] == ["manager2 does not answer"]

    def test_swarm_manager_outside_the_managers_group_is_no_error(self):
        assert plan(managers=["manager1"])["errors"] == []

    def test_every_error_at_once(self):
        node_list = nodes()
        find(node_list, "manager2")["ManagerStatus"]["Reachability"] = "unreachable"
        find(node_list, "worker1")["Status"]["State"] = "down"
        host_infos = hosts()
        host_infos["worker2"] = None
        host_infos["manager3"]["LocalNodeState"] = "locked"
        result = plan(node_list, host_infos, managers=MANAGERS + ["worker1"], selected=["worker1", "nope"])
        assert core(result) == {
            "order": ["worker1"],
            "node_ids": {h: ID[h] for h in ("manager1", "manager2", "worker1")},
            "errors": [
                "not swarm hosts of the inventory: nope",
                "manager3 is not a node of this swarm",
                "worker2 does not answer",
                "manager manager2 is unreachable",
                "node worker1 is down",
                "worker1 is in the managers group but is a worker of the swarm: run site.yml first",
            ],
        }


# --------------------------------------------------------------------------- node loss (the failover drill)


def _unreachable(all_nodes: list, host: str) -> list:
    node = find(all_nodes, host)
    node["ManagerStatus"]["Reachability"] = "unreachable"
    node["ManagerStatus"].pop("Leader", None)
    node["Status"]["State"] = "down"
    return all_nodes


class TestNodeLoss:
    def test_a_worker_may_go(self):
        assert node_loss_refusals(nodes(), ID["worker1"]) == []

    def test_one_manager_of_three_may_go(self):
        assert node_loss_refusals(nodes(), ID["manager2"]) == []

    def test_a_second_manager_may_not_go_when_one_is_already_unreachable(self):
        # The inventory still says three managers: the swarm's view counts.
        assert node_loss_refusals(_unreachable(nodes(), "manager1"), ID["manager2"]) == [
            "stopping manager manager2 would leave 1 of the swarm's 3 managers reachable, below the quorum of 2 "
            "(manager1 already unreachable)"
        ]

    def test_a_worker_may_go_while_a_manager_is_unreachable(self):
        assert node_loss_refusals(_unreachable(nodes(), "manager1"), ID["worker2"]) == []

    def test_a_single_manager_may_not_go(self):
        only = [n for n in nodes() if n["Description"]["Hostname"] in ("manager1", "worker1")]
        assert node_loss_refusals(only, ID["manager1"]) == [
            "stopping manager manager1 would leave 0 of the swarm's 1 managers reachable, below the quorum of 1"
        ]

    def test_a_node_that_is_not_ready(self):
        all_nodes = nodes()
        find(all_nodes, "worker1")["Status"]["State"] = "down"
        assert node_loss_refusals(all_nodes, ID["worker1"]) == ["node worker1 is down, not ready"]

    def test_an_unknown_node(self):
        assert node_loss_refusals(nodes(), FOREIGN_NODE_ID) == [f"node {FOREIGN_NODE_ID} is not a node of this swarm"]
        assert node_loss_refusals(nodes(), "") == ["node (none) is not a node of this swarm"]


class TestNamesAndAvailability:
    def test_each_mapped_host_has_its_hostname_and_availability(self):
        node_list = nodes()
        find(node_list, "worker2")["Spec"]["Availability"] = "drain"
        find(node_list, "manager3")["Spec"]["Availability"] = "pause"
        result = plan(node_list)
        assert result["hostnames"] == {h: h for h in ID}
        assert result["availability"] == {
            h: {"worker2": "drain", "manager3": "pause"}.get(h, "active") for h in ID}

    def test_a_host_that_does_not_answer_has_neither(self):
        host_infos = hosts()
        host_infos["worker1"] = None
        result = plan(host_infos=host_infos)
        assert "worker1" not in result["hostnames"] and "worker1" not in result["availability"]
        assert sorted(result["hostnames"]) == sorted(set(ID) - {"worker1"})
