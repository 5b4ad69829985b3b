# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the swarm planner (``_swarm_plan``).

Scenarios are built from ``fixtures/swarm_nodes.json``: the node list of a
5-node lab swarm (manager1-3 at 192.168.78.11-13, worker1-2 at .31-.32) as
``GET /nodes`` returns it, and the ``docker info --format '{{json .Swarm}}'``
objects of a manager, a worker and an inactive host.  Every scenario starts
from a deep copy and is tweaked by the small helpers below, in the shape the
swarm_cluster role's observe.yml hands to the filter:
``{host: {"reachable": bool, "swarm": {...}, "nodes": [...] or None}}``.
The filter wrapper is tested in ``tests/unit/plugins/filter/test_swarm_cluster_plan.py``
with these helpers: ansible-test runs module_utils tests where only
``ansible.module_utils`` of ansible-core can be imported.
"""

from __future__ import annotations

import copy
import json
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_plan import (
    SwarmPlanError,
    check_node_settings,
    choose_entry,
    plan_cluster,
    plan_node_settings,
)

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_nodes.json"
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))

MANAGERS = ["manager1", "manager2", "manager3"]
WORKERS = ["worker1", "worker2"]
ALL = MANAGERS + WORKERS

ID = {n["Description"]["Hostname"]: n["ID"] for n in DATA["nodes"]}
ADDR = {n["Description"]["Hostname"]: n["Status"]["Addr"] for n in DATA["nodes"]}
CLUSTER_ID = DATA["swarm_info"]["manager"]["Cluster"]["ID"]

# A node ID from some other swarm (25 lowercase alphanumerics, like swarmkit's).
FOREIGN_NODE_ID = "men2khvdgaj8gxbenyjqwx4hh"
FOREIGN_CLUSTER_ID = "5344tfjgvq4k7bn7xj8b7tfq7"

UNREACHABLE_WARNING = "{n} inventory host(s) do not answer and are left as they are: {hosts}"
STRAY_WARNING = (
    "node(s) in the swarm but not in the inventory are kept (set swarm_cluster_prune_nodes to remove them): {strays}"
)
QUORUM_STEP_ERROR = (
    "{what} would leave {total} managers with {reachable} reachable, below the quorum of {need}: "
    "refused before any change; bring the unreachable managers back first"
)


# --------------------------------------------------------------------------- helpers


def fixture_nodes() -> list[dict]:
    return copy.deepcopy(DATA["nodes"])


def manager_info(host: str) -> dict:
    info = copy.deepcopy(DATA["swarm_info"]["manager"])
    info["NodeID"] = ID[host]
    info["NodeAddr"] = ADDR[host]
    return info


def worker_info(host: str) -> dict:
    info = copy.deepcopy(DATA["swarm_info"]["worker"])
    info["NodeID"] = ID[host]
    info["NodeAddr"] = ADDR[host]
    return info


def inactive_info() -> dict:
    return copy.deepcopy(DATA["swarm_info"]["inactive"])


def inactive_host() -> dict:
    return {"reachable": True, "swarm": inactive_info(), "nodes": None}


def unreachable_host() -> dict:
    # What observe.yml records for a host that is not in ansible_play_hosts.
    return {"reachable": False, "swarm": {}, "nodes": None}


def healthy() -> dict:
    """The 5-node lab swarm, every host answering, every manager listing the nodes."""
    hosts = {}
    for host in MANAGERS:
        hosts[host] = {"reachable": True, "swarm": manager_info(host), "nodes": fixture_nodes()}
    for host in WORKERS:
        hosts[host] = {"reachable": True, "swarm": worker_info(host), "nodes": None}
    return hosts


def fresh(*names: str) -> dict:
    """Hosts with Docker installed that are in no swarm."""
    return {host: inactive_host() for host in (names or ALL)}


def edit_node(hosts: dict, hostname: str, change) -> None:
    """Apply *change* to the node of *hostname* in every node list of *hosts*."""
    for info in hosts.values():
        for node in info.get("nodes") or []:
            if node["Description"]["Hostname"] == hostname:
                change(node)


def manager_down(hosts: dict, hostname: str) -> None:
    """The managers that still answer see *hostname* as a down, unreachable manager."""

    def change(node):
        node["Status"]["State"] = "down"
        node["ManagerStatus"]["Reachability"] = "unreachable"
        node["ManagerStatus"].pop("Leader", None)

    edit_node(hosts, hostname, change)


def worker_down(hosts: dict, hostname: str) -> None:
    edit_node(hosts, hostname, lambda node: node["Status"].__setitem__("State", "down"))


def make_leader(hosts: dict, hostname: str) -> None:
    for info in hosts.values():
        for node in info.get("nodes") or []:
            if "ManagerStatus" in node:
                node["ManagerStatus"].pop("Leader", None)
                if node["Description"]["Hostname"] == hostname:
                    node["ManagerStatus"]["Leader"] = True


def expected_plan(**overrides) -> dict:
    """The plan of the healthy lab swarm with nothing to do; tests override what differs."""
    plan = {
        "entry": "manager1",
        "manage_via": "manager1",
        "init": None,
        "join": [],
        "promote": [],
        "demote": [],
        "remove": [],
        "node_ids": {host: ID[host] for host in ALL},
        "managers_before": 3,
        "reachable_before": 3,
        "managers_after": 3,
        "errors": [],
        "warnings": [],
        "changes": 0,
    }
    plan.update(overrides)
    return plan


def plan(hosts, managers=None, workers=None, prune=False, summary=False) -> dict:
    """The plan, without its one-line ``summary`` (TestSummary checks that) unless asked for."""
    result = plan_cluster(
        list(MANAGERS if managers is None else managers),
        list(WORKERS if workers is None else workers),
        hosts,
        prune=prune,
    )
    return result if summary else {k: v for k, v in result.items() if k != "summary"}


# --------------------------------------------------------------------------- fixture sanity


class TestFixture:
    def test_lab_layout(self):
        nodes = DATA["nodes"]
        assert [n["Description"]["Hostname"] for n in nodes] == ALL
        assert [n["Spec"]["Role"] for n in nodes] == ["manager"] * 3 + ["worker"] * 2
        assert ADDR == {
            "manager1": "192.168.78.11",
            "manager2": "192.168.78.12",
            "manager3": "192.168.78.13",
            "worker1": "192.168.78.31",
            "worker2": "192.168.78.32",
        }
        assert {n["Description"]["Engine"]["EngineVersion"] for n in nodes} == {"20.10.24"}
        assert len(set(ID.values())) == 5

    def test_manager_status_only_on_managers(self):
        for node in DATA["nodes"]:
            if node["Spec"]["Role"] == "manager":
                host = node["Description"]["Hostname"]
                assert node["ManagerStatus"]["Addr"] == f"{ADDR[host]}:2377"
                assert node["ManagerStatus"]["Reachability"] == "reachable"
            else:
                assert "ManagerStatus" not in node
        assert [n["Description"]["Hostname"] for n in DATA["nodes"] if n.get("ManagerStatus", {}).get("Leader")] == [
            "manager1"
        ]

    def test_swarm_info_objects(self):
        manager = DATA["swarm_info"]["manager"]
        worker = DATA["swarm_info"]["worker"]
        assert (manager["LocalNodeState"], manager["ControlAvailable"], manager["Nodes"], manager["Managers"]) == (
            "active",
            True,
            5,
            3,
        )
        assert sorted(m["Addr"] for m in manager["RemoteManagers"]) == [
            "192.168.78.11:2377",
            "192.168.78.12:2377",
            "192.168.78.13:2377",
        ]
        assert (worker["LocalNodeState"], worker["ControlAvailable"]) == ("active", False)
        assert "Cluster" not in worker
        assert DATA["swarm_info"]["inactive"] == {
            "NodeID": "",
            "NodeAddr": "",
            "LocalNodeState": "inactive",
            "ControlAvailable": False,
            "Error": "",
            "RemoteManagers": None,
        }


# --------------------------------------------------------------------------- choose_entry


class TestChooseEntry:
    def test_first_inventory_manager(self):
        assert choose_entry(MANAGERS, healthy()) == "manager1"

    def test_inventory_order_wins_over_name_order(self):
        assert choose_entry(["manager3", "manager1"], healthy()) == "manager3"

    def test_skips_managers_without_node_list(self):
        hosts = healthy()
        hosts["manager1"]["nodes"] = None
        hosts["manager2"]["nodes"] = []
        assert choose_entry(MANAGERS, hosts) == "manager3"

    def test_falls_back_to_a_non_inventory_manager_host(self):
        # manager1 is in the swarm as a manager, but the inventory only lists workers as managers.
        assert choose_entry(["worker1", "worker2"], healthy()) == "manager1"

    def test_none_when_no_host_can_list(self):
        assert choose_entry(MANAGERS, fresh()) is None


# --------------------------------------------------------------------------- new swarm


class TestNewSwarm:
    def test_fresh_hosts_init_on_first_manager_managers_join_before_workers(self):
        result = plan(fresh())
        assert result == expected_plan(
            init="manager1",
            join=[
                {"host": "manager2", "role": "manager"},
                {"host": "manager3", "role": "manager"},
                {"host": "worker1", "role": "worker"},
                {"host": "worker2", "role": "worker"},
            ],
            node_ids={},
            managers_before=0,
            reachable_before=0,
            managers_after=3,
            changes=5,
        )

    def test_fresh_init_follows_inventory_order(self):
        result = plan(fresh(), managers=["manager2", "manager1", "manager3"])
        assert result["init"] == "manager2"
        assert result["entry"] == result["manage_via"] == "manager2"
        assert [j["host"] for j in result["join"]] == ["manager1", "manager3", "worker1", "worker2"]

    def test_fresh_host_in_both_groups_joins_once_as_manager(self):
        result = plan(fresh(), workers=["manager3", "worker1", "worker2"])
        assert result["join"] == [
            {"host": "manager2", "role": "manager"},
            {"host": "manager3", "role": "manager"},
            {"host": "worker1", "role": "worker"},
            {"host": "worker2", "role": "worker"},
        ]
        assert result["changes"] == 5

    def test_single_manager_no_workers(self):
        result = plan(fresh("manager1"), managers=["manager1"], workers=[])
        assert (result["init"], result["join"], result["managers_after"], result["changes"]) == (
            "manager1",
            [],
            1,
            1,
        )

    def test_unreachable_manager_blocks_init(self):
        hosts = fresh()
        hosts["manager2"] = unreachable_host()
        result = plan(hosts)
        assert result == expected_plan(
            entry=None,
            manage_via=None,
            node_ids={},
            managers_before=0,
            reachable_before=0,
            managers_after=0,
            errors=[
                "no host that answers is in a swarm, and manager(s) manager2 do not answer: they may hold the swarm, "
                "so a second one is not initialised; bring them back or remove them from the inventory"
            ],
            warnings=[UNREACHABLE_WARNING.format(n=1, hosts="manager2")],
        )

    def test_manager_missing_from_observed_counts_as_unreachable(self):
        hosts = fresh()
        del hosts["manager3"]
        result = plan(hosts)
        assert result["init"] is None
        assert result["errors"] == [
            "no host that answers is in a swarm, and manager(s) manager3 do not answer: they may hold the swarm, "
            "so a second one is not initialised; bring them back or remove them from the inventory"
        ]

    def test_no_manager_in_inventory(self):
        result = plan(fresh(*WORKERS), managers=[])
        assert result["errors"] == ["no manager in the inventory: nothing can initialise the swarm"]
        assert (result["init"], result["join"], result["changes"]) == (None, [], 0)

    def test_locked_manager_blocks_init(self):
        hosts = fresh()
        hosts["manager3"]["swarm"]["LocalNodeState"] = "locked"
        result = plan(hosts)
        assert result["errors"] == [
            "manager3 is a locked swarm manager (autolock): unlock it with its unlock key "
            "(docker swarm unlock) before running the play"
        ]
        assert (result["init"], result["entry"], result["join"], result["changes"]) == (None, None, [], 0)

    def test_fresh_unreachable_worker_is_not_joined(self):
        hosts = fresh()
        hosts["worker2"] = unreachable_host()
        result = plan(hosts)
        assert result["warnings"] == [UNREACHABLE_WARNING.format(n=1, hosts="worker2")]
        assert result["join"] == [
            {"host": "manager2", "role": "manager"},
            {"host": "manager3", "role": "manager"},
            {"host": "worker1", "role": "worker"},
        ]
        assert result["changes"] == 4


# --------------------------------------------------------------------------- existing swarm, no role change


class TestExistingSwarm:
    def test_idempotent(self):
        assert plan(healthy()) == expected_plan()

    def test_idempotent_with_prune(self):
        assert plan(healthy(), prune=True) == expected_plan()

    def test_first_manager_unreachable_entry_is_manager2_no_init(self):
        hosts = healthy()
        hosts["manager1"] = unreachable_host()
        manager_down(hosts, "manager1")
        make_leader(hosts, "manager2")
        result = plan(hosts)
        assert result == expected_plan(
            entry="manager2",
            manage_via="manager2",
            node_ids={h: ID[h] for h in ["manager2", "manager3", "worker1", "worker2"]},
            reachable_before=2,
            warnings=[UNREACHABLE_WARNING.format(n=1, hosts="manager1")],
        )

    def test_unreachable_hosts_are_not_strays_even_with_prune(self):
        hosts = healthy()
        hosts["manager1"] = unreachable_host()
        hosts["worker2"] = unreachable_host()
        manager_down(hosts, "manager1")
        worker_down(hosts, "worker2")
        result = plan(hosts, prune=True)
        assert (result["entry"], result["demote"], result["remove"], result["changes"]) == ("manager2", [], [], 0)
        assert result["warnings"] == [UNREACHABLE_WARNING.format(n=2, hosts="manager1, worker2")]

    def test_new_worker_joins_as_worker(self):
        hosts = healthy()
        hosts["worker3"] = inactive_host()
        result = plan(hosts, workers=["worker1", "worker2", "worker3"])
        assert result == expected_plan(join=[{"host": "worker3", "role": "worker"}], changes=1)

    def test_new_manager_joins_before_new_worker(self):
        hosts = healthy()
        hosts["worker3"] = inactive_host()
        hosts["manager4"] = inactive_host()
        result = plan(hosts, managers=MANAGERS + ["manager4"], workers=["worker3"] + WORKERS)
        assert result["join"] == [{"host": "manager4", "role": "manager"}, {"host": "worker3", "role": "worker"}]
        assert (result["managers_before"], result["managers_after"], result["changes"]) == (3, 4, 2)
        assert result["errors"] == []

    def test_replaced_first_manager_rejoins_through_manager2(self):
        # manager1 was reinstalled: it answers but is in no swarm; the swarm still lists its old node as down.
        hosts = healthy()
        hosts["manager1"] = inactive_host()
        manager_down(hosts, "manager1")
        make_leader(hosts, "manager2")
        result = plan(hosts)
        assert result["init"] is None
        assert result["entry"] == "manager2"
        assert result["join"] == [{"host": "manager1", "role": "manager"}]
        assert result["warnings"] == [STRAY_WARNING.format(strays="manager1 (manager, down)")]
        assert (result["managers_before"], result["reachable_before"], result["managers_after"]) == (3, 2, 4)

    def test_replaced_first_manager_old_node_pruned(self):
        hosts = healthy()
        hosts["manager1"] = inactive_host()
        manager_down(hosts, "manager1")
        result = plan(hosts, prune=True)
        assert result["join"] == [{"host": "manager1", "role": "manager"}]
        assert result["demote"] == [{"host": None, "hostname": "manager1", "node_id": ID["manager1"]}]
        assert result["remove"] == [
            {"hostname": "manager1", "node_id": ID["manager1"], "role": "manager", "state": "down"}
        ]
        assert (result["managers_after"], result["changes"], result["errors"]) == (3, 3, [])


# --------------------------------------------------------------------------- role changes


class TestRoleChanges:
    def test_worker_moved_to_managers_is_promoted(self):
        result = plan(healthy(), managers=MANAGERS + ["worker1"], workers=["worker2"])
        assert result == expected_plan(
            promote=[{"host": "worker1", "node_id": ID["worker1"]}],
            managers_after=4,
            changes=1,
        )

    def test_manager_moved_to_workers_is_demoted(self):
        result = plan(healthy(), managers=["manager1", "manager2"], workers=["manager3"] + WORKERS)
        assert result == expected_plan(
            demote=[{"host": "manager3", "node_id": ID["manager3"]}],
            managers_after=2,
            changes=1,
        )

    def test_demotion_is_only_safe_after_the_promotion(self):
        # manager3 is down; manager2 swaps role with worker1.  Demoting manager2 first would leave
        # 2 managers with 1 reachable; promoting worker1 first keeps the quorum all the way.
        hosts = healthy()
        hosts["manager3"] = unreachable_host()
        manager_down(hosts, "manager3")
        result = plan(hosts, managers=["manager1", "worker1", "manager3"], workers=["manager2", "worker2"])
        assert result["errors"] == []
        assert result["promote"] == [{"host": "worker1", "node_id": ID["worker1"]}]
        assert result["demote"] == [{"host": "manager2", "node_id": ID["manager2"]}]
        assert (result["managers_before"], result["reachable_before"], result["managers_after"]) == (3, 2, 3)
        assert result["manage_via"] == "manager1"
        assert result["changes"] == 2

    def test_entry_demoted_manage_via_is_another_manager(self):
        # Replace all managers with the two workers: no inventory manager can list the nodes, so the
        # entry is manager1, which is itself demoted.
        result = plan(healthy(), managers=["worker1", "worker2"], workers=MANAGERS)
        assert result == expected_plan(
            entry="manager1",
            manage_via="worker1",
            promote=[
                {"host": "worker1", "node_id": ID["worker1"]},
                {"host": "worker2", "node_id": ID["worker2"]},
            ],
            demote=[
                {"host": "manager1", "node_id": ID["manager1"]},
                {"host": "manager2", "node_id": ID["manager2"]},
                {"host": "manager3", "node_id": ID["manager3"]},
            ],
            managers_after=2,
            changes=5,
        )

    def test_entry_demoted_manage_via_existing_manager(self):
        # manager2 and manager3 stay managers but could not list the nodes this run.
        hosts = healthy()
        hosts["manager2"]["nodes"] = None
        hosts["manager3"]["nodes"] = None
        result = plan(hosts, managers=["manager2", "manager3"], workers=["manager1"] + WORKERS)
        assert (result["entry"], result["manage_via"]) == ("manager1", "manager2")
        assert result["demote"] == [{"host": "manager1", "node_id": ID["manager1"]}]
        assert result["errors"] == []

    def test_entry_demoted_without_successor_is_an_error(self):
        result = plan(healthy(), managers=[], workers=ALL)
        assert result["errors"] == [
            "manager1 is to be demoted but no other manager of the inventory can take over managing the swarm"
        ]
        assert result["manage_via"] == "manager1"
        assert [d["host"] for d in result["demote"]] == MANAGERS
        assert result["managers_after"] == 0

    def test_promotion_of_a_down_node_counts_as_unreachable(self):
        hosts = healthy()
        hosts["manager3"] = unreachable_host()
        manager_down(hosts, "manager3")
        worker_down(hosts, "worker1")
        result = plan(hosts, managers=MANAGERS + ["worker1"], workers=["worker2"])
        assert result["errors"] == [
            QUORUM_STEP_ERROR.format(what="promoting worker1", total=4, reachable=2, need=3)
        ]
        assert result["promote"] == []
        assert result["managers_after"] == 3


# --------------------------------------------------------------------------- prune


class TestPrune:
    def test_stray_ready_worker_removed(self):
        hosts = healthy()
        del hosts["worker2"]
        result = plan(hosts, workers=["worker1"], prune=True)
        assert result == expected_plan(
            node_ids={h: ID[h] for h in MANAGERS + ["worker1"]},
            remove=[{"hostname": "worker2", "node_id": ID["worker2"], "role": "worker", "state": "ready"}],
            changes=1,
        )

    def test_stray_manager_demoted_then_removed(self):
        hosts = healthy()
        del hosts["manager3"]
        result = plan(hosts, managers=["manager1", "manager2"], prune=True)
        assert result == expected_plan(
            node_ids={h: ID[h] for h in ["manager1", "manager2"] + WORKERS},
            demote=[{"host": None, "hostname": "manager3", "node_id": ID["manager3"]}],
            remove=[{"hostname": "manager3", "node_id": ID["manager3"], "role": "manager", "state": "ready"}],
            managers_after=2,
            changes=2,
        )

    def test_dead_stray_manager_removed(self):
        hosts = healthy()
        del hosts["manager3"]
        manager_down(hosts, "manager3")
        result = plan(hosts, managers=["manager1", "manager2"], prune=True)
        assert result["errors"] == []
        assert result["demote"] == [{"host": None, "hostname": "manager3", "node_id": ID["manager3"]}]
        assert result["remove"] == [
            {"hostname": "manager3", "node_id": ID["manager3"], "role": "manager", "state": "down"}
        ]
        assert (result["reachable_before"], result["managers_after"]) == (2, 2)

    def test_stray_manager_removal_refused_below_quorum(self):
        hosts = healthy()
        del hosts["manager3"]
        hosts["manager2"] = unreachable_host()
        manager_down(hosts, "manager2")
        result = plan(hosts, managers=["manager1", "manager2"], prune=True)
        assert result["errors"] == [
            QUORUM_STEP_ERROR.format(what="removing manager manager3", total=2, reachable=1, need=2)
        ]
        assert (result["demote"], result["remove"], result["managers_after"]) == ([], [], 3)

    def test_prune_false_warns_with_strays(self):
        hosts = healthy()
        del hosts["manager3"]
        del hosts["worker2"]
        result = plan(hosts, managers=["manager1", "manager2"], workers=["worker1"])
        assert result == expected_plan(
            node_ids={h: ID[h] for h in ["manager1", "manager2", "worker1"]},
            warnings=[STRAY_WARNING.format(strays="manager3 (manager, ready), worker2 (worker, ready)")],
        )

    def test_stray_without_hostname_is_named_by_id(self):
        hosts = healthy()
        del hosts["worker2"]
        edit_node(hosts, "worker2", lambda node: node["Description"].__setitem__("Hostname", ""))
        result = plan(hosts, workers=["worker1"])
        assert result["warnings"] == [STRAY_WARNING.format(strays=f"{ID['worker2']} (worker, ready)")]


# --------------------------------------------------------------------------- quorum and refusals


class TestRefusals:
    def test_two_of_three_managers_unreachable(self):
        hosts = healthy()
        for host in ("manager2", "manager3"):
            hosts[host] = unreachable_host()
            manager_down(hosts, host)
        hosts["worker3"] = inactive_host()
        result = plan(hosts, workers=WORKERS + ["worker3"])
        assert result == expected_plan(
            node_ids={h: ID[h] for h in ["manager1", "worker1", "worker2"]},
            reachable_before=1,
            managers_after=0,
            errors=["the swarm has 3 managers with 1 reachable, below the quorum of 2: nothing is changed"],
            warnings=[UNREACHABLE_WARNING.format(n=2, hosts="manager2, manager3")],
        )

    def test_demotion_below_quorum_refused(self):
        hosts = healthy()
        hosts["manager3"] = unreachable_host()
        manager_down(hosts, "manager3")
        result = plan(hosts, managers=["manager1", "manager3"], workers=["manager2"] + WORKERS)
        assert result["errors"] == [
            QUORUM_STEP_ERROR.format(what="demoting manager2", total=2, reachable=1, need=2)
        ]
        assert "below the quorum" in result["errors"][0]
        assert (result["demote"], result["managers_before"], result["reachable_before"], result["managers_after"]) == (
            [],
            3,
            2,
            3,
        )
        assert result["changes"] == 0

    def test_host_in_another_swarm(self):
        # worker2 left and joined some other swarm; ours still lists its old node as down.
        hosts = healthy()
        hosts["worker2"]["swarm"]["NodeID"] = FOREIGN_NODE_ID
        worker_down(hosts, "worker2")
        result = plan(hosts)
        assert result["errors"] == [
            f"worker2 is a member of another swarm (node {FOREIGN_NODE_ID} is not in the swarm of manager1): "
            "refusing to manage two swarms; make it leave (docker swarm leave --force) first"
        ]
        assert result["node_ids"] == {h: ID[h] for h in MANAGERS + ["worker1"]}
        assert result["warnings"] == [STRAY_WARNING.format(strays="worker2 (worker, down)")]

    def test_manager_that_initialised_its_own_swarm(self):
        hosts = healthy()
        own = manager_info("manager3")
        own.update(
            NodeID=FOREIGN_NODE_ID,
            Nodes=1,
            Managers=1,
            RemoteManagers=[{"NodeID": FOREIGN_NODE_ID, "Addr": "192.168.78.13:2377"}],
        )
        own["Cluster"]["ID"] = FOREIGN_CLUSTER_ID
        own_node = copy.deepcopy(DATA["nodes"][2])
        own_node["ID"] = FOREIGN_NODE_ID
        own_node["ManagerStatus"]["Leader"] = True
        manager_down(hosts, "manager3")  # our swarm lost manager3
        hosts["manager3"] = {"reachable": True, "swarm": own, "nodes": [own_node]}
        result = plan(hosts)
        assert result["entry"] == "manager1"
        assert result["errors"] == [
            f"manager3 is a member of another swarm (node {FOREIGN_NODE_ID} is not in the swarm of manager1): "
            "refusing to manage two swarms; make it leave (docker swarm leave --force) first"
        ]
        assert "manager3" not in result["node_ids"]

    def test_locked_manager(self):
        hosts = healthy()
        hosts["manager3"] = {
            "reachable": True,
            "swarm": {
                "NodeID": "",
                "NodeAddr": "",
                "LocalNodeState": "locked",
                "ControlAvailable": False,
                "Error": "",
                "RemoteManagers": None,
            },
            "nodes": None,
        }
        manager_down(hosts, "manager3")
        result = plan(hosts)
        assert result["errors"] == [
            "manager3 is a locked swarm manager (autolock): unlock it with its unlock key "
            "(docker swarm unlock) before running the play"
        ]
        assert (result["entry"], result["join"], result["promote"], result["demote"], result["remove"]) == (
            "manager1",
            [],
            [],
            [],
            [],
        )

    def test_locked_manager_is_not_a_stray(self):
        hosts = healthy()
        hosts["manager3"]["swarm"].update(NodeID="", LocalNodeState="locked", ControlAvailable=False)
        hosts["manager3"]["nodes"] = None
        manager_down(hosts, "manager3")
        result = plan(hosts, prune=True)
        assert len(result["errors"]) == 1
        assert (result["demote"], result["remove"], result["changes"]) == ([], [], 0)

    @pytest.mark.parametrize(
        "state, detail, shown",
        [
            pytest.param("pending", "", "no detail", id="pending"),
            pytest.param(
                "error",
                "manager stopped: can't initialize raft node: rpc error: code = Unknown desc = could not connect "
                "to prospective new cluster member using its advertised address",
                "manager stopped: can't initialize raft node: rpc error: code = Unknown desc = could not connect "
                "to prospective new cluster member using its advertised address",
                id="error",
            ),
        ],
    )
    def test_pending_or_error_host(self, state, detail, shown):
        hosts = healthy()
        hosts["worker3"] = {"reachable": True, "swarm": dict(inactive_info(), LocalNodeState=state, Error=detail), "nodes": None}
        result = plan(hosts, workers=WORKERS + ["worker3"])
        assert result["errors"] == [
            f"worker3 is in swarm state '{state}' ({shown}): make it leave (docker swarm leave --force) or fix it first"
        ]
        assert result["join"] == []

    def test_no_manager_can_list_nodes_points_to_recover_quorum(self):
        hosts = healthy()
        for host in MANAGERS:
            hosts[host]["nodes"] = None
        result = plan(hosts)
        assert result == expected_plan(
            entry=None,
            manage_via=None,
            node_ids={},
            managers_before=0,
            reachable_before=0,
            managers_after=0,
            errors=[
                "host(s) manager1, manager2, manager3, worker1, worker2 are in a swarm but no reachable manager has "
                "quorum (none could list the nodes): nothing is changed; if a majority of managers is lost for good, "
                "run playbooks/recover_quorum.yml"
            ],
        )
        assert "recover_quorum" in result["errors"][0]


# --------------------------------------------------------------------------- input shapes


class TestInputShapes:
    @pytest.mark.parametrize(
        "managers, workers, hosts, message",
        [
            pytest.param("manager1", [], {}, "managers must be a list of inventory hostnames, got 'manager1'", id="managers-str"),
            pytest.param(None, [], {}, "managers must be a list of inventory hostnames, got None", id="managers-none"),
            pytest.param(["manager1", 1], [], {}, "managers must be a list of inventory hostnames, got ['manager1', 1]", id="managers-int"),
            pytest.param(["manager1"], {"worker1": {}}, {}, "workers must be a list of inventory hostnames, got {'worker1': {}}", id="workers-dict"),
            pytest.param(["manager1"], [], [], "hosts must be a dict of hostname to observed state, got list", id="hosts-list"),
            pytest.param(["manager1"], [], None, "hosts must be a dict of hostname to observed state, got NoneType", id="hosts-none"),
            pytest.param(["manager1"], [], {"manager1": "active"}, "observed state of manager1 must be a dict, got str", id="state-str"),
            pytest.param(
                ["manager1"],
                [],
                {"manager1": {"reachable": True, "swarm": {}, "nodes": {"ID": "x"}}},
                "nodes seen by manager1 must be a list or null, got dict",
                id="nodes-dict",
            ),
        ],
    )
    def test_bad_shapes(self, managers, workers, hosts, message):
        with pytest.raises(SwarmPlanError) as excinfo:
            plan_cluster(managers, workers, hosts)
        assert str(excinfo.value) == message
        assert isinstance(excinfo.value, ValueError)

    def test_tuples_are_accepted(self):
        assert plan_cluster(tuple(MANAGERS), tuple(WORKERS), healthy()) == dict(
            expected_plan(), summary="no change to the members of the swarm")

    def test_swarm_not_a_dict(self):
        with pytest.raises(SwarmPlanError):
            plan_cluster(["manager1"], [], {"manager1": {"reachable": True, "swarm": "active", "nodes": None}})

    def test_node_not_a_dict(self):
        hosts = healthy()
        hosts["manager1"]["nodes"].append("sipzz5fk2z9ri19r0wyojfljo")
        with pytest.raises(SwarmPlanError):
            plan(hosts)


# --------------------------------------------------------------------------- summary


class TestSummary:
    """The one line the role prints (check mode included): every change, in the order it is made."""

    def test_nothing_to_do(self):
        assert plan(healthy(), summary=True)["summary"] == "no change to the members of the swarm"

    def test_new_swarm(self):
        assert plan(fresh(), summary=True)["summary"] == (
            "initialise the swarm on manager1; join manager2 as manager, manager3 as manager, "
            "worker1 as worker, worker2 as worker"
        )

    def test_promotion_demotion_and_removal(self):
        hosts = healthy()
        result = plan(hosts, managers=["manager1", "manager2", "worker1"], workers=["manager3", "worker2"],
                      summary=True)
        assert result["summary"] == "promote worker1; demote manager3"

    def test_removal_names_the_node_its_role_and_state(self):
        hosts = healthy()
        result = plan(hosts, workers=["worker1"], prune=True, summary=True)
        assert result["summary"] == "remove worker2 (worker, ready)"

    def test_refusal_says_refused_with_the_reason(self):
        hosts = fresh()
        hosts["manager2"] = unreachable_host()
        result = plan(hosts, summary=True)
        assert result["summary"].startswith("refused: no host that answers is in a swarm, and manager(s) manager2")


# --------------------------------------------------------------------------- labels and availability


def labelled(labels=None, availability="active", **by_host):
    """The fixture's nodes, with these labels and availability on worker1 (or per host: by_host[host] = (labels, av))."""
    nodes = copy.deepcopy(DATA["nodes"])
    wanted = {"worker1": (labels or {}, availability)}
    wanted.update(by_host)
    for node in nodes:
        host = node["Description"]["Hostname"]
        if host in wanted:
            node["Spec"]["Labels"], node["Spec"]["Availability"] = wanted[host]
    return nodes


def settings(nodes, labels_state="merge", **wanted):
    return plan_node_settings({h: {"labels": l, "availability": a} for h, (l, a) in wanted.items()}, ID, nodes,
                              labels_state)


def test_node_settings_that_match_need_no_step():
    nodes = labelled({"zone": "a", "other": "x"}, "active")
    assert not settings(nodes, worker1=({"zone": "a"}, "active"))
    assert not settings(nodes, worker1=({"zone": "a"}, None))
    assert not settings(nodes, worker1=(None, None))


def test_a_missing_or_changed_label_is_a_step_with_what_differs():
    nodes = labelled({"zone": "a"})
    steps = settings(nodes, worker1=({"zone": "b", "rack": 3}, None))
    assert steps == [{"host": "worker1", "node_id": ID["worker1"], "labels": {"zone": "b", "rack": "3"},
                      "availability": None, "why": "labels {'zone': 'b', 'rack': '3'} to set"}]


def test_replace_needs_exactly_the_inventory_labels():
    nodes = labelled({"zone": "a", "other": "x"})
    assert settings(nodes, "replace", worker1=({"zone": "a"}, None))[0]["why"] == (
        "labels {'zone': 'a', 'other': 'x'} to be exactly {'zone': 'a'}")
    assert settings(nodes, "replace", worker1=(None, None))[0]["labels"] == {}
    assert not settings(labelled({"zone": "a"}), "replace", worker1=({"zone": "a"}, None))


def test_an_availability_that_differs_is_a_step():
    steps = settings(labelled({}, "drain"), worker1=(None, "active"), worker2=(None, "active"))
    assert [(s["host"], s["why"]) for s in steps] == [("worker1", "availability drain to be active")]


def test_a_node_not_in_the_list_and_a_host_not_in_the_swarm():
    nodes = [n for n in labelled() if n["Description"]["Hostname"] != "worker2"]
    wanted = {"worker2": {"labels": {}, "availability": None}, "newhost": {"labels": {"a": "b"}, "availability": None}}
    steps = plan_node_settings(wanted, dict(ID, newhost=""), nodes)
    assert [(s["host"], s["why"]) for s in steps] == [("worker2", "not in the node list read before")]
    # No list read (a new swarm): every host in the swarm is set, in the order given.
    assert [s["host"] for s in settings(None, worker2=(None, None), worker1=(None, None))] == ["worker2", "worker1"]


def test_bad_labels_and_availability_are_refused_naming_every_host():
    with pytest.raises(SwarmPlanError) as error:
        check_node_settings({"worker1": {"labels": ["zone=a"]}, "worker2": {"availability": "drained"},
                             "manager1": {"labels": {"zone": {"deep": 1}}}})
    said = str(error.value)
    assert "worker1: swarm_labels must be a mapping" in said
    assert "worker2: swarm_availability must be one of active, pause, drain, got 'drained'" in said
    assert "manager1: swarm_labels values must be strings or numbers" in said
    assert said.endswith("Nothing was changed.")
    with pytest.raises(SwarmPlanError, match="labels_state must be one of merge, replace"):
        check_node_settings({}, "exact")
    with pytest.raises(SwarmPlanError, match="node_ids must be a dict"):
        plan_node_settings({}, [], None)
    with pytest.raises(SwarmPlanError, match="nodes must be a list of node objects"):
        plan_node_settings({}, {}, "nodes")
