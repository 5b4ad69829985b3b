# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the convergence rules (``_swarm_convergence``).

Scenarios are built from ``fixtures/swarm_services.json``: the objects Docker
Engine 20.10 (API 1.41) returns for the ``demo`` stack on the 5-node lab swarm:

- ``nodes`` (``GET /nodes``): manager1-3 (zone a, b, c) and worker1-2 (zone a, b,
  engine label storage=ssd / storage=hdd), all ready and active;
- ``services`` (``GET /services``): ``demo_web``, replicated x3, after a
  completed update from demo-web:0 to demo-web:1 (image pinned by digest), and
  ``demo_agent``, global, constrained to ``node.platform.os==linux``, never
  updated (no ``UpdateStatus``), image without digest;
- ``tasks`` (``GET /tasks``) in the converged state, with task history: web.1
  running on worker1 (its previous-spec task shut down), web.2 running on
  worker2 (the first attempt failed its health check: exit 137), web.3 running
  on manager1, and one demo_agent task per node;
- ``service_variants``: demo_web mid-update to an image that does not exist, and
  to a constraint no node satisfies; ``task_variants``: a task waiting for its
  health check, the task rejected for the missing image, the task the scheduler
  cannot place.

Every test works on a deep copy.  The clock is passed in, so nothing sleeps.
"""

from __future__ import annotations

import copy
import json
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import (
    WaitResult,
    constraint_matches,
    constraints_of,
    describe_task,
    desired_replicas,
    diagnosis,
    eligible_nodes,
    evaluate_service,
    evaluate_services,
    node_is_up,
    parse_timestamp,
    service_image,
    service_mode,
    service_name,
    summary,
    task_runs_current_spec,
    update_state,
    wait_for_convergence,
)

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_services.json"
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))

WEB_ID = "r8fenbm0tgm0fxui8cx9lsfeh"
AGENT_ID = "g2vvqjw2u49z9bjuzld2r9qj7"

NODE_ID = {
    "manager1": "ujzde8gxd6ncf10epf91dhodz",
    "manager2": "doc9is0j8ht9lgmxg9edn581u",
    "manager3": "33xtplpft75v2seh60kvj50ce",
    "worker1": "9uvw53efr4edt2sywb3wkh5dn",
    "worker2": "sipzz5fk2z9ri19r0wyojfljo",
}

# demo_web tasks of the fixture
WEB1 = "0lghgnuokkqn5f29x6jnx6ioy"  # slot 1, running on worker1 since 04:10:01.123456789
WEB1_OLD = "c9e7k75vtrqzz2fdjj2xkw3wy"  # slot 1, previous spec, shut down
WEB2 = "dkz8isadcix0f913napxcuues"  # slot 2, running on worker2 since 04:09:48.90211375
WEB2_FAILED = "nfhulh1gt6jeqmjqu8yyhzu8s"  # slot 2, failed: unhealthy, exit 137
WEB3 = "czgpxic3uvu8tgm1rhnpt0krq"  # slot 3, running on manager1 since 04:09:55.3016
WEB3_STARTING = "og6sf02etvtt5e4znrjbfy27m"  # task_variants.web_starting
REJECTED = "9mi120p13t1mny4k6fl2ts93k"  # task_variants.web_rejected
PENDING = "g4izym7ono07bbbinh80hp9yf"  # task_variants.web_pending

UNHEALTHY = "task: non-zero exit (137): dockerexec: unhealthy container"
NO_IMAGE = "No such image: swarmops/does-not-exist:1"
NO_NODE = "no suitable node (scheduling constraints not satisfied on 5 nodes)"

# 2026-11-27T04:10:01.123456789Z (the Status.Timestamp of web.1), nanoseconds cut to microseconds
T_WEB1 = 1795752601.123456
NOW = T_WEB1 + 120.0


# -- scenario helpers ----------------------------------------------------------
class Swarm:
    """A deep copy of the fixture, with helpers to reach into it."""

    def __init__(self):
        data = copy.deepcopy(DATA)
        self.nodes = data["nodes"]
        self.services = data["services"]
        self.tasks = data["tasks"]
        self.service_variants = data["service_variants"]
        self.task_variants = data["task_variants"]

    def node(self, host):
        return next(n for n in self.nodes if n["Description"]["Hostname"] == host)

    def service(self, name):
        return next(s for s in self.services if s["Spec"]["Name"] == name)

    def task(self, task_id):
        return next(t for t in self.tasks if t["ID"] == task_id)

    def replace_task(self, task_id, new):
        self.tasks = [new if t["ID"] == task_id else t for t in self.tasks]

    def drop_task(self, task_id):
        self.tasks = [t for t in self.tasks if t["ID"] != task_id]

    def use_service_variant(self, variant):
        new = self.service_variants[variant]
        self.services = [new if s["ID"] == new["ID"] else s for s in self.services]
        return new

    @property
    def web(self):
        return self.service("demo_web")

    @property
    def agent(self):
        return self.service("demo_agent")

    def evaluate(self, name="demo_web", now=NOW, **kwargs):
        return evaluate_service(self.service(name), self.tasks, self.nodes, now, **kwargs)

    def read(self):
        return copy.deepcopy(self.services), copy.deepcopy(self.tasks), copy.deepcopy(self.nodes)


FAILED_WEB2 = {
    "id": WEB2_FAILED,
    "slot": 2,
    "node_id": NODE_ID["worker2"],
    "node": "worker2",
    "node_state": "ready",
    "state": "failed",
    "desired_state": "shutdown",
    "message": "started",
    "error": UNHEALTHY,
    "exit_code": 137,
    "timestamp": "2026-11-27T04:09:37.46120045Z",
    "image": "swarmops/demo-web:1",
    "current_spec": True,
}

STARTING_WEB3 = {
    "id": WEB3_STARTING,
    "slot": 3,
    "node_id": NODE_ID["manager1"],
    "node": "manager1",
    "node_state": "ready",
    "state": "starting",
    "desired_state": "running",
    "message": "starting",
    "error": "",
    "exit_code": 0,
    "timestamp": "2026-11-27T04:11:12.530447091Z",
    "image": "swarmops/demo-web:1",
    "current_spec": True,
}

REJECTED_WEB1 = {
    "id": REJECTED,
    "slot": 1,
    "node_id": NODE_ID["worker1"],
    "node": "worker1",
    "node_state": "ready",
    "state": "rejected",
    "desired_state": "shutdown",
    "message": "preparing",
    "error": NO_IMAGE,
    "exit_code": None,
    "timestamp": "2026-11-27T04:12:43.704155318Z",
    "image": "swarmops/does-not-exist:1",
    "current_spec": True,
}

PENDING_WEB1 = {
    "id": PENDING,
    "slot": 1,
    "node_id": "",
    "node": "(not scheduled)",
    "node_state": "unknown",
    "state": "pending",
    "desired_state": "running",
    "message": "pending task scheduling",
    "error": NO_NODE,
    "exit_code": None,
    "timestamp": "2026-11-27T04:14:05.63104458Z",
    "image": "swarmops/demo-web:1",
    "current_spec": True,
}


# -- the fixture itself --------------------------------------------------------
class TestFixtureShape:
    """The fixture is what the scenarios claim it is."""

    def test_nodes(self):
        swarm = Swarm()
        assert [n["Description"]["Hostname"] for n in swarm.nodes] == [
            "manager1", "manager2", "manager3", "worker1", "worker2"]
        assert {n["Description"]["Hostname"]: n["ID"] for n in swarm.nodes} == NODE_ID
        assert [n["Spec"]["Labels"]["zone"] for n in swarm.nodes] == ["a", "b", "c", "a", "b"]
        assert {n["Status"]["State"] for n in swarm.nodes} == {"ready"}
        assert {n["Spec"]["Availability"] for n in swarm.nodes} == {"active"}

    def test_services(self):
        swarm = Swarm()
        assert [s["ID"] for s in swarm.services] == [WEB_ID, AGENT_ID]
        assert swarm.web["Spec"]["Labels"]["com.docker.stack.namespace"] == "demo"
        assert swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].startswith("swarmops/demo-web:1@sha256:")
        assert swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]["Interval"] == 5_000_000_000
        assert swarm.web["Spec"]["Mode"] == {"Replicated": {"Replicas": 3}}
        assert swarm.agent["Spec"]["Mode"] == {"Global": {}}
        assert "UpdateStatus" not in swarm.agent

    def test_task_specs_are_copies_of_the_task_template(self):
        swarm = Swarm()
        for task_id in (WEB1, WEB2, WEB2_FAILED, WEB3):
            assert swarm.task(task_id)["Spec"] == swarm.web["Spec"]["TaskTemplate"]
        assert swarm.task(WEB1_OLD)["Spec"] == swarm.web["PreviousSpec"]["TaskTemplate"]
        assert swarm.task_variants["web_rejected"]["Spec"] == (
            swarm.service_variants["demo_web_bad_image"]["Spec"]["TaskTemplate"])
        assert swarm.task_variants["web_pending"]["Spec"] == (
            swarm.service_variants["demo_web_unplaceable"]["Spec"]["TaskTemplate"])

    def test_global_tasks_have_no_slot(self):
        swarm = Swarm()
        agent_tasks = [t for t in swarm.tasks if t["ServiceID"] == AGENT_ID]
        assert sorted(t["NodeID"] for t in agent_tasks) == sorted(NODE_ID.values())
        assert all("Slot" not in t for t in agent_tasks)


# -- parse_timestamp -----------------------------------------------------------
class TestParseTimestamp:
    @pytest.mark.parametrize("value, expected", [
        pytest.param("2026-11-27T04:10:01.123456789Z", T_WEB1, id="nanoseconds-cut-to-microseconds"),
        pytest.param("2026-11-27T04:10:01.123456Z", T_WEB1, id="microseconds"),
        pytest.param("2026-11-27T04:10:01Z", 1795752601.0, id="no-fraction"),
        pytest.param("2026-11-27T04:10:01.5Z", 1795752601.5, id="one-digit-fraction"),
        pytest.param("2026-11-27T04:10:01.25Z", 1795752601.25, id="two-digit-fraction"),
        pytest.param("2026-11-27T04:10:01.1234Z", 1795752601.1234, id="four-digit-fraction"),
        pytest.param("2026-11-27T04:10:01.12345Z", 1795752601.12345, id="five-digit-fraction"),
        pytest.param("2026-11-27T04:10:01.1234567Z", T_WEB1, id="seven-digit-fraction"),
        pytest.param("2026-11-27T05:10:01.123456789+01:00", T_WEB1, id="positive-offset"),
        pytest.param("2026-11-26T23:40:01.123456789-04:30", T_WEB1, id="negative-offset"),
        pytest.param("2026-11-27T04:10:01+00:00", 1795752601.0, id="zero-offset"),
        pytest.param("1971-01-01T00:00:00Z", 31536000.0, id="first-accepted-year"),
    ])
    def test_parses(self, value, expected):
        assert parse_timestamp(value) == pytest.approx(expected, abs=1e-6)

    @pytest.mark.parametrize("value", [
        pytest.param("0001-01-01T00:00:00Z", id="docker-zero-time"),
        pytest.param("0001-01-01T00:00:00.000000000Z", id="docker-zero-time-with-fraction"),
        pytest.param(None, id="none"),
        pytest.param("", id="empty"),
        pytest.param("yesterday", id="word"),
        pytest.param("2026-11-27T04:10:01", id="no-zone"),
        pytest.param("2026-11-27 04:10:01Z", id="space-separator"),
        pytest.param("2026-11-27T04:10Z", id="no-seconds"),
        pytest.param("2026-11-27T04:10:01.Z", id="empty-fraction"),
        pytest.param("2026-11-27T04:10:01+0100", id="offset-without-colon"),
    ])
    def test_none(self, value):
        assert parse_timestamp(value) is None

    def test_fixture_timestamps_parse(self):
        swarm = Swarm()
        for task in swarm.tasks + list(swarm.task_variants.values()):
            assert parse_timestamp(task["Status"]["Timestamp"]) is not None
            assert parse_timestamp(task["CreatedAt"]) is not None


# -- small accessors -----------------------------------------------------------
class TestAccessors:
    def test_service_mode_name_image(self):
        swarm = Swarm()
        assert service_mode(swarm.web) == "replicated"
        assert service_mode(swarm.agent) == "global"
        assert service_name(swarm.web) == "demo_web"
        assert service_name({"ID": "abc"}) == "abc"
        assert service_name({}) == "?"
        assert service_image(swarm.web) == "swarmops/demo-web:1"
        assert service_image(swarm.agent) == "swarmops/demo-agent:2"
        assert service_image({}) == ""

    def test_update_state(self):
        swarm = Swarm()
        assert update_state(swarm.web) == "completed"
        assert update_state(swarm.agent) == ""
        swarm.web["UpdateStatus"]["State"] = "ROLLBACK_COMPLETED"
        assert update_state(swarm.web) == "rollback_completed"

    def test_constraints_of(self):
        swarm = Swarm()
        assert constraints_of(swarm.agent) == ["node.platform.os==linux"]
        assert constraints_of(swarm.web) == []
        assert constraints_of(swarm.service_variants["demo_web_unplaceable"]) == ["node.labels.zone==d"]

    @pytest.mark.parametrize("state, up", [("ready", True), ("READY", True), ("down", False),
                                           ("unknown", False), ("disconnected", False), ("", False)])
    def test_node_is_up(self, state, up):
        node = Swarm().node("worker1")
        node["Status"]["State"] = state
        assert node_is_up(node) is up

    def test_node_without_status_is_not_up(self):
        assert node_is_up({"ID": "x"}) is False


# -- constraint_matches --------------------------------------------------------
class TestConstraintMatches:
    @pytest.mark.parametrize("host, constraint, expected", [
        ("manager1", "node.labels.zone==a", True),
        ("worker1", "node.labels.zone==a", True),
        ("manager2", "node.labels.zone==a", False),
        ("manager2", "node.labels.zone!=a", True),
        ("manager1", "node.labels.zone!=a", False),
        ("manager1", "node.labels.zone == a", True),
        ("worker2", "node.labels.tier==app", True),
        ("manager1", "node.role==manager", True),
        ("manager1", "node.role==MANAGER", True),
        ("manager1", "node.role==Manager", True),
        ("worker1", "node.role==manager", False),
        ("worker1", "node.role!=manager", True),
        ("worker1", "node.role!=Worker", False),
        ("worker1", "node.hostname==worker1", True),
        ("worker2", "node.hostname==worker1", False),
        ("worker2", "node.hostname!=worker1", True),
        ("worker2", "node.id==sipzz5fk2z9ri19r0wyojfljo", True),
        ("worker1", "node.id==sipzz5fk2z9ri19r0wyojfljo", False),
        ("manager3", "node.platform.os==linux", True),
        ("manager3", "node.platform.os==Linux", True),
        ("manager3", "node.platform.os!=windows", True),
        ("manager3", "node.platform.arch==x86_64", True),
        ("manager3", "node.platform.arch==X86_64", True),
        ("manager3", "node.platform.arch==aarch64", False),
        ("worker1", "engine.labels.storage==ssd", True),
        ("worker2", "engine.labels.storage==ssd", False),
        ("worker2", "engine.labels.storage!=ssd", True),
    ])
    def test_match(self, host, constraint, expected):
        assert constraint_matches(Swarm().node(host), constraint) is expected

    @pytest.mark.parametrize("constraint, expected", [
        # A label the node does not carry never equals a value, and always differs from one.
        ("node.labels.rack==r1", False),
        ("node.labels.rack!=r1", True),
        # manager1 has no engine labels at all
        ("engine.labels.storage==ssd", False),
        ("engine.labels.storage!=ssd", True),
    ])
    def test_missing_label(self, constraint, expected):
        assert constraint_matches(Swarm().node("manager1"), constraint) is expected

    def test_label_name_is_case_sensitive_like_swarmkit(self):
        # manager/constraint/constraint.go: "label itself is case sensitive"; the prefix and the value are not.
        node = Swarm().node("manager1")
        node["Spec"]["Labels"]["Rack"] = "r1"
        assert constraint_matches(node, "node.labels.Rack==r1") is True
        assert constraint_matches(node, "NODE.LABELS.Rack==R1") is True
        assert constraint_matches(node, "node.labels.rack==r1") is False
        assert constraint_matches(node, "node.labels.rack!=r1") is True
        assert constraint_matches(node, "node.labels.Rack==r2") is False

    @pytest.mark.parametrize("constraint, expected", [
        ("node.ip==192.168.78.11", True),
        ("node.ip!=192.168.78.11", False),
        ("node.ip==192.168.78.12", False),
        ("node.ip==192.168.78.0/24", True),
        ("node.ip!=192.168.78.0/24", False),
        ("node.ip==10.0.0.0/8", False),
        ("NODE.IP!=10.0.0.0/8", True),
        # A malformed address or network matches nothing, with either operator (swarmkit).
        ("node.ip==not-an-address", False),
        ("node.ip!=not-an-address", False),
    ])
    def test_node_ip_by_address_or_network(self, constraint, expected):
        node = Swarm().node("manager1")
        node["Status"]["Addr"] = "192.168.78.11"
        assert constraint_matches(node, constraint) is expected

    @pytest.mark.parametrize("constraint", ["node.name==manager1", "node.name!=manager1", "engine.version==20"])
    def test_a_key_swarm_does_not_know_matches_no_node(self, constraint):
        assert constraint_matches(Swarm().node("manager1"), constraint) is False

    def test_node_without_description(self):
        node = {"ID": "n1", "Spec": {"Role": "worker"}, "Status": {"State": "ready"}}
        assert constraint_matches(node, "node.hostname==worker1") is False
        assert constraint_matches(node, "node.hostname!=worker1") is True
        assert constraint_matches(node, "node.role==worker") is True

    @pytest.mark.parametrize("constraint", [
        "node.labels.zone=a",
        "node.labels.zone",
        "",
        "node.labels.zone>=a",
        "node.labels.zone~=a",
    ])
    def test_bad_constraint_raises(self, constraint):
        with pytest.raises(ValueError) as error:
            constraint_matches(Swarm().node("manager1"), constraint)
        assert str(error.value) == f"placement constraint {constraint!r} has no == or != operator"

    # swarmkit (manager/constraint/constraint.go, Constraint.Match) compares every value with
    # strings.EqualFold, and matches the key case-insensitively too; only the label name itself
    # is case-sensitive.  The module compares labels, hostnames and engine labels
    # case-sensitively, and for a mixed-case key (Node.Role) even the role.
    @pytest.mark.parametrize("host, constraint", [
        pytest.param("manager1", "node.labels.zone==A", id="label-value"),
        pytest.param("worker1", "node.hostname==Worker1", id="hostname"),
        pytest.param("worker1", "engine.labels.storage==SSD", id="engine-label-value"),
        pytest.param("manager1", "Node.Role==Manager", id="mixed-case-key-and-role"),
    ])
    def test_values_match_case_insensitively_like_swarmkit(self, host, constraint):
        assert constraint_matches(Swarm().node(host), constraint) is True


# -- eligible_nodes / desired_replicas -----------------------------------------
def hostnames(nodes):
    return [n["Description"]["Hostname"] for n in nodes]


class TestEligibleNodes:
    def test_all_nodes_eligible_for_the_global_service(self):
        swarm = Swarm()
        assert hostnames(eligible_nodes(swarm.agent, swarm.nodes)) == [
            "manager1", "manager2", "manager3", "worker1", "worker2"]
        assert desired_replicas(swarm.agent, swarm.nodes) == 5

    def test_drained_and_down_nodes_are_excluded(self):
        swarm = Swarm()
        swarm.node("worker2")["Spec"]["Availability"] = "drain"
        swarm.node("manager3")["Status"]["State"] = "down"
        assert hostnames(eligible_nodes(swarm.agent, swarm.nodes)) == ["manager1", "manager2", "worker1"]
        assert desired_replicas(swarm.agent, swarm.nodes) == 3

    def test_paused_node_is_excluded(self):
        # Swarm places no new task on a paused node
        swarm = Swarm()
        swarm.node("worker1")["Spec"]["Availability"] = "pause"
        assert hostnames(eligible_nodes(swarm.agent, swarm.nodes)) == ["manager1", "manager2", "manager3", "worker2"]

    def test_node_without_availability_counts_as_active(self):
        swarm = Swarm()
        del swarm.node("worker2")["Spec"]["Availability"]
        assert desired_replicas(swarm.agent, swarm.nodes) == 5

    @pytest.mark.parametrize("constraints, expected", [
        (["node.role==worker"], ["worker1", "worker2"]),
        (["node.role==manager"], ["manager1", "manager2", "manager3"]),
        (["node.labels.zone==b"], ["manager2", "worker2"]),
        (["node.labels.zone!=a"], ["manager2", "manager3", "worker2"]),
        (["node.role==worker", "node.labels.zone==a"], ["worker1"]),
        (["engine.labels.storage==ssd"], ["worker1"]),
        (["node.hostname!=manager1", "node.role==manager"], ["manager2", "manager3"]),
        (["node.labels.zone==d"], []),
    ])
    def test_constraints(self, constraints, expected):
        swarm = Swarm()
        swarm.agent["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = constraints
        assert hostnames(eligible_nodes(swarm.agent, swarm.nodes)) == expected
        assert desired_replicas(swarm.agent, swarm.nodes) == len(expected)

    def test_constraints_and_down_nodes_combine(self):
        swarm = Swarm()
        swarm.agent["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.role==worker"]
        swarm.node("worker1")["Status"]["State"] = "down"
        assert hostnames(eligible_nodes(swarm.agent, swarm.nodes)) == ["worker2"]

    def test_bad_constraint_on_the_service_raises(self):
        swarm = Swarm()
        swarm.agent["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.labels.zone=a"]
        with pytest.raises(ValueError):
            eligible_nodes(swarm.agent, swarm.nodes)

    def test_replicated_count_ignores_nodes(self):
        swarm = Swarm()
        for node in swarm.nodes:
            node["Status"]["State"] = "down"
        assert desired_replicas(swarm.web, swarm.nodes) == 3
        swarm.web["Spec"]["Mode"]["Replicated"]["Replicas"] = 0
        assert desired_replicas(swarm.web, swarm.nodes) == 0
        swarm.web["Spec"]["Mode"]["Replicated"] = {}
        assert desired_replicas(swarm.web, swarm.nodes) == 1


# -- task_runs_current_spec / describe_task ------------------------------------
class TestCurrentSpec:
    def test_fixture_tasks(self):
        swarm = Swarm()
        assert task_runs_current_spec(swarm.task(WEB1), swarm.web) is True
        assert task_runs_current_spec(swarm.task(WEB2_FAILED), swarm.web) is True
        assert task_runs_current_spec(swarm.task(WEB1_OLD), swarm.web) is False

    def test_image_differs(self):
        swarm = Swarm()
        swarm.task(WEB3)["Spec"]["ContainerSpec"]["Image"] = "swarmops/demo-web:0"
        assert task_runs_current_spec(swarm.task(WEB3), swarm.web) is False

    def test_digest_on_one_side_only_is_current(self):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"] = "swarmops/demo-web:1"
        swarm.task(WEB3)["Spec"]["ContainerSpec"]["Image"] = "swarmops/demo-web:1@sha256:" + "0" * 64
        assert task_runs_current_spec(swarm.task(WEB3), swarm.web) is True
        swarm.task(WEB3)["Spec"]["ContainerSpec"]["Image"] = "swarmops/demo-web:1"
        assert task_runs_current_spec(swarm.task(WEB3), swarm.web) is True

    def test_different_digests_of_the_same_tag_are_stale(self):
        # A re-pushed tag: the service moved to the new digest, the task runs the old one.
        swarm = Swarm()
        swarm.task(WEB3)["Spec"]["ContainerSpec"]["Image"] = "swarmops/demo-web:1@sha256:" + "0" * 64
        assert "@sha256:" in swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"]
        assert task_runs_current_spec(swarm.task(WEB3), swarm.web) is False

    def test_other_container_spec_change(self):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"].append("FEATURE_X=on")
        assert task_runs_current_spec(swarm.task(WEB3), swarm.web) is False

    def test_placement_change(self):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.role==worker"]
        assert task_runs_current_spec(swarm.task(WEB3), swarm.web) is False

    @pytest.mark.parametrize("service_force, task_force, current", [
        (1, 0, False),
        (0, 1, False),
        (2, 2, True),
    ])
    def test_force_update(self, service_force, task_force, current):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["ForceUpdate"] = service_force
        swarm.task(WEB3)["Spec"]["ForceUpdate"] = task_force
        assert task_runs_current_spec(swarm.task(WEB3), swarm.web) is current

    def test_describe_task(self):
        swarm = Swarm()
        nodes_by_id = {n["ID"]: n for n in swarm.nodes}
        assert describe_task(swarm.task(WEB2_FAILED), nodes_by_id, swarm.web) == FAILED_WEB2
        assert describe_task(swarm.task(WEB2_FAILED), nodes_by_id)["current_spec"] is None
        # a task on a node the API no longer lists
        assert describe_task(swarm.task(WEB2_FAILED), {}, swarm.web)["node"] == NODE_ID["worker2"]
        assert describe_task(swarm.task(WEB2_FAILED), {}, swarm.web)["node_state"] == "unknown"


# -- evaluate_service ----------------------------------------------------------
class TestEvaluateService:
    def test_all_healthy(self):
        swarm = Swarm()
        assert swarm.evaluate() == {
            "name": "demo_web",
            "id": WEB_ID,
            "mode": "replicated",
            "image": "swarmops/demo-web:1",
            "replicas_wanted": 3,
            "replicas_running": 3,
            "update_state": "completed",
            "update_message": "update completed",
            "converged": True,
            "failed": None,
            "reasons": [],
            # task history: the failed first attempt of slot 2 is reported, it does not block convergence
            "failing_tasks": [FAILED_WEB2],
            "starting_tasks": [],
        }

    def test_global_all_healthy(self):
        swarm = Swarm()
        assert swarm.evaluate("demo_agent") == {
            "name": "demo_agent",
            "id": AGENT_ID,
            "mode": "global",
            "image": "swarmops/demo-agent:2",
            "replicas_wanted": 5,
            "replicas_running": 5,
            "update_state": None,
            "update_message": "",
            "converged": True,
            "failed": None,
            "reasons": [],
            "failing_tasks": [],
            "starting_tasks": [],
        }

    def test_tasks_of_other_services_are_ignored(self):
        swarm = Swarm()
        only_agent = [t for t in swarm.tasks if t["ServiceID"] == AGENT_ID]
        result = evaluate_service(swarm.web, only_agent, swarm.nodes, NOW)
        assert result["replicas_running"] == 0
        assert result["reasons"] == ["0 of 3 tasks running and healthy"]

    def test_one_task_starting(self):
        swarm = Swarm()
        swarm.replace_task(WEB3, swarm.task_variants["web_starting"])
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["failed"] is None
        assert result["replicas_running"] == 2
        assert result["reasons"] == [
            "2 of 3 tasks running and healthy",
            "1 task(s) starting or waiting for their health check",
        ]
        assert result["starting_tasks"] == [STARTING_WEB3]
        assert result["failing_tasks"] == [FAILED_WEB2]

    def test_one_task_fewer(self):
        swarm = Swarm()
        swarm.drop_task(WEB3)
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["replicas_running"] == 2
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]

    def test_more_tasks_than_wanted(self):
        swarm = Swarm()
        swarm.web["Spec"]["Mode"]["Replicated"]["Replicas"] = 2
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["reasons"] == ["3 tasks running where 2 are wanted"]

    def test_scaled_to_zero(self):
        swarm = Swarm()
        swarm.web["Spec"]["Mode"]["Replicated"]["Replicas"] = 0
        for task_id in (WEB1, WEB2, WEB3):
            swarm.task(task_id)["DesiredState"] = "shutdown"
            swarm.task(task_id)["Status"]["State"] = "shutdown"
        result = swarm.evaluate()
        assert (result["converged"], result["replicas_wanted"], result["replicas_running"]) == (True, 0, 0)

    def test_task_on_previous_spec(self):
        swarm = Swarm()
        swarm.task(WEB3)["Spec"] = copy.deepcopy(swarm.web["PreviousSpec"]["TaskTemplate"])
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["replicas_running"] == 2
        assert result["reasons"] == [
            "2 of 3 tasks running and healthy",
            "1 running task(s) still on the previous spec",
        ]

    def test_digest_on_one_side_only_is_still_current(self):
        swarm = Swarm()
        swarm.task(WEB2)["Spec"]["ContainerSpec"]["Image"] = "swarmops/demo-web:1"
        result = swarm.evaluate()
        assert result["converged"] is True
        assert result["replicas_running"] == 3

    def test_force_update_makes_every_task_stale(self):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["ForceUpdate"] = 1
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["replicas_running"] == 0
        assert result["reasons"] == [
            "0 of 3 tasks running and healthy",
            "3 running task(s) still on the previous spec",
        ]
        # the failed attempt belonged to the spec before the forced update
        assert result["failing_tasks"] == []

    def test_task_on_down_node_not_counted(self):
        swarm = Swarm()
        swarm.node("worker1")["Status"]["State"] = "down"
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["replicas_running"] == 2
        assert result["reasons"] == [
            "2 of 3 tasks running and healthy",
            "1 task(s) on nodes that are down",
        ]

    def test_global_task_on_down_node(self):
        swarm = Swarm()
        swarm.node("manager3")["Status"]["State"] = "down"
        result = swarm.evaluate("demo_agent")
        assert result["converged"] is False
        assert (result["replicas_wanted"], result["replicas_running"]) == (4, 4)
        assert result["reasons"] == ["1 task(s) on nodes that are down"]

    def test_global_on_drained_node_once_swarm_moved_the_task(self):
        swarm = Swarm()
        swarm.node("worker2")["Spec"]["Availability"] = "drain"
        agent_on_worker2 = next(t for t in swarm.tasks
                                if t["ServiceID"] == AGENT_ID and t["NodeID"] == NODE_ID["worker2"])
        agent_on_worker2["DesiredState"] = "shutdown"
        agent_on_worker2["Status"]["State"] = "shutdown"
        result = swarm.evaluate("demo_agent")
        assert result["converged"] is True
        assert (result["replicas_wanted"], result["replicas_running"]) == (4, 4)

    def test_global_with_no_eligible_node(self):
        swarm = Swarm()
        swarm.agent["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.labels.zone==d"]
        swarm.tasks = [t for t in swarm.tasks if t["ServiceID"] != AGENT_ID]
        result = swarm.evaluate("demo_agent")
        assert result["converged"] is False
        assert result["replicas_wanted"] == 0
        assert result["reasons"] == ["no eligible node matches the constraints node.labels.zone==d"]

    def test_global_with_mixed_case_constraint_value_converges(self):
        # Swarm places demo_agent on manager1 and worker1 (zone "a") for node.labels.zone==A.
        swarm = Swarm()
        swarm.agent["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.labels.zone==A"]
        zone_a = {NODE_ID["manager1"], NODE_ID["worker1"]}
        swarm.tasks = [t for t in swarm.tasks if t["ServiceID"] != AGENT_ID or t["NodeID"] in zone_a]
        for task in swarm.tasks:
            if task["ServiceID"] == AGENT_ID:
                task["Spec"]["Placement"]["Constraints"] = ["node.labels.zone==A"]
        result = swarm.evaluate("demo_agent")
        assert (result["replicas_wanted"], result["replicas_running"]) == (2, 2)
        assert result["converged"] is True

    @pytest.mark.parametrize("now, min_healthy, reasons", [
        pytest.param(T_WEB1 + 2, 5, ["2 of 3 tasks running and healthy", "1 task(s) healthy for less than 5s"],
                     id="2s-of-5s"),
        pytest.param(T_WEB1 + 4.9, 5, ["2 of 3 tasks running and healthy", "1 task(s) healthy for less than 5s"],
                     id="4.9s-of-5s"),
        pytest.param(T_WEB1 + 5.1, 5, [], id="5.1s-of-5s"),
        pytest.param(T_WEB1 + 2, 2.5, ["2 of 3 tasks running and healthy", "1 task(s) healthy for less than 2.5s"],
                     id="fractional-minimum"),
        pytest.param(T_WEB1 + 7, 13, ["1 of 3 tasks running and healthy", "2 task(s) healthy for less than 13s"],
                     id="two-settling"),
        pytest.param(T_WEB1, 0, [], id="no-minimum"),
    ])
    def test_min_healthy_time(self, now, min_healthy, reasons):
        # web.1 runs since T_WEB1, web.3 since T_WEB1 - 5.82s, web.2 since T_WEB1 - 12.22s
        result = Swarm().evaluate(now=now, min_healthy_time=min_healthy)
        assert result["reasons"] == reasons
        assert result["converged"] is (reasons == [])

    def test_min_healthy_time_with_zero_timestamp(self):
        # a task without a usable timestamp is not held back
        swarm = Swarm()
        assert swarm.evaluate(now=T_WEB1 + 1, min_healthy_time=5)["reasons"] == [
            "2 of 3 tasks running and healthy", "1 task(s) healthy for less than 5s"]
        swarm.task(WEB1)["Status"]["Timestamp"] = "0001-01-01T00:00:00Z"
        assert swarm.evaluate(now=T_WEB1 + 1, min_healthy_time=5)["reasons"] == []

    @pytest.mark.parametrize("state, message, reasons", [
        ("updating", "update in progress", ["update updating"]),
    ])
    def test_update_in_progress(self, state, message, reasons):
        swarm = Swarm()
        swarm.web["UpdateStatus"] = {"State": state, "StartedAt": "2026-11-27T04:09:20.481917301Z", "Message": message}
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["failed"] is None
        assert result["reasons"] == reasons
        assert (result["update_state"], result["update_message"]) == (state, message)

    @pytest.mark.parametrize("state, message, failed", [
        ("paused", f"update paused due to failure or early termination of task {WEB2_FAILED}",
         f"update paused: update paused due to failure or early termination of task {WEB2_FAILED}"),
        ("rollback_paused", f"rollback paused due to failure or early termination of task {WEB2_FAILED}",
         f"update rollback_paused: rollback paused due to failure or early termination of task {WEB2_FAILED}"),
        ("rollback_completed", "rollback completed", "Swarm rolled the update back (rollback_completed): rollback completed"),
    ])
    def test_update_failed(self, state, message, failed):
        swarm = Swarm()
        swarm.web["UpdateStatus"] = {"State": state, "Message": message}
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["failed"] == failed
        assert result["reasons"] == []

    def test_rollback_started_is_a_failure_while_it_runs(self):
        # Swarm has judged the update failed: a deploy need not wait for the rollback to end.
        swarm = Swarm()
        message = f"update rolled back due to failure or early termination of task {WEB2_FAILED}"
        swarm.web["UpdateStatus"] = {"State": "rollback_started", "Message": message}
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["failed"] == f"Swarm rolled the update back (rollback_started): {message}"
        assert result["reasons"] == ["update rollback_started"]
        assert swarm.evaluate(accept_rollback=True)["failed"] is None

    def test_after_a_rollback_the_failed_tasks_of_the_attempt_are_named(self):
        # The engine drops the attempted spec on rollback: the tasks created since
        # the update started are the attempt.
        swarm = Swarm()
        swarm.web["UpdateStatus"] = {"State": "rollback_completed", "Message": "rollback completed",
                                     "StartedAt": "2026-11-27T04:09:00.5Z"}
        failed_task = swarm.task(WEB2_FAILED)
        failed_task["Spec"]["ContainerSpec"]["Env"] = ["DEMO_REVISION=3"]
        failed_task["CreatedAt"] = "2026-11-27T04:09:10.25Z"
        result = swarm.evaluate()
        assert WEB2_FAILED in [t["id"] for t in result["failing_tasks"]]
        failed_task["CreatedAt"] = "2026-11-27T04:08:10.25Z"  # older than the update: not part of it
        assert WEB2_FAILED not in [t["id"] for t in swarm.evaluate()["failing_tasks"]]

    def test_rollback_completed_accepted(self):
        swarm = Swarm()
        swarm.web["UpdateStatus"] = {"State": "rollback_completed", "Message": "rollback completed"}
        result = swarm.evaluate(accept_rollback=True)
        assert result["converged"] is True
        assert result["failed"] is None

    def test_paused_is_failed_even_with_accept_rollback(self):
        swarm = Swarm()
        swarm.web["UpdateStatus"] = {"State": "rollback_paused", "Message": "rollback paused"}
        assert swarm.evaluate(accept_rollback=True)["failed"] == "update rollback_paused: rollback paused"

    def test_rejected_image(self):
        swarm = Swarm()
        swarm.use_service_variant("demo_web_bad_image")
        swarm.tasks.append(swarm.task_variants["web_rejected"])
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["failed"] is None
        assert result["image"] == "swarmops/does-not-exist:1"
        assert result["update_state"] == "updating"
        assert result["reasons"] == [
            "0 of 3 tasks running and healthy",
            "3 running task(s) still on the previous spec",
            "update updating",
        ]
        # only the failure of the current spec: the old exit-137 task ran the previous image
        assert result["failing_tasks"] == [REJECTED_WEB1]
        assert result["starting_tasks"] == []

    def test_unschedulable(self):
        swarm = Swarm()
        swarm.use_service_variant("demo_web_unplaceable")
        swarm.tasks.append(swarm.task_variants["web_pending"])
        result = swarm.evaluate()
        assert result["converged"] is False
        assert result["reasons"] == [
            "0 of 3 tasks running and healthy",
            "1 task(s) starting or waiting for their health check",
            "3 running task(s) still on the previous spec",
            "update updating",
            "no node satisfies the placement: no suitable node (scheduling constraints not satisfied on 5 nodes)"
            " (constraints: node.labels.zone==d)",
        ]
        assert result["failing_tasks"] == [PENDING_WEB1]
        assert result["starting_tasks"] == [PENDING_WEB1]

    def test_unschedulable_without_constraints(self):
        # e.g. not enough memory for the reservations: no constraint list to show
        swarm = Swarm()
        pending = swarm.task_variants["web_pending"]
        pending["Spec"] = copy.deepcopy(swarm.web["Spec"]["TaskTemplate"])
        pending["Status"]["Err"] = "no suitable node (insufficient resources on 5 nodes)"
        swarm.replace_task(WEB3, pending)
        assert swarm.evaluate()["reasons"] == [
            "2 of 3 tasks running and healthy",
            "1 task(s) starting or waiting for their health check",
            "no node satisfies the placement: no suitable node (insufficient resources on 5 nodes)",
        ]

    def test_failing_tasks_newest_first(self):
        swarm = Swarm()
        older = copy.deepcopy(swarm.task(WEB2_FAILED))
        older["ID"] = "q0c2rd8ni4wh6tbmv3ye5xj1k"
        older["Slot"] = 3
        older["NodeID"] = NODE_ID["manager1"]
        older["Status"]["Timestamp"] = "2026-11-27T04:08:59.734019925Z"
        newer = copy.deepcopy(swarm.task(WEB2_FAILED))
        newer["ID"] = "w7m1xq5yb9d3kz0ce4hs8ua2p"
        newer["Slot"] = 1
        newer["NodeID"] = NODE_ID["worker1"]
        newer["Status"]["Timestamp"] = "2026-11-27T04:09:44.108316553Z"
        swarm.tasks += [older, newer]
        failing = swarm.evaluate()["failing_tasks"]
        assert [(t["id"], t["node"], t["slot"]) for t in failing] == [
            ("w7m1xq5yb9d3kz0ce4hs8ua2p", "worker1", 1),
            (WEB2_FAILED, "worker2", 2),
            ("q0c2rd8ni4wh6tbmv3ye5xj1k", "manager1", 3),
        ]

    def test_failing_tasks_newest_first_with_trimmed_fraction(self):
        swarm = Swarm()
        older = copy.deepcopy(swarm.task(WEB2_FAILED))
        older["ID"] = "q0c2rd8ni4wh6tbmv3ye5xj1k"
        older["Slot"] = 3
        older["NodeID"] = NODE_ID["manager1"]
        older["Status"]["Timestamp"] = "2026-11-27T04:09:37.4Z"  # 0.400000000 s, printed by Go as .4
        swarm.tasks.append(older)
        failing = swarm.evaluate()["failing_tasks"]
        # WEB2_FAILED failed at 04:09:37.46120045, after the other one
        assert [t["id"] for t in failing] == [WEB2_FAILED, "q0c2rd8ni4wh6tbmv3ye5xj1k"]

    def test_failing_tasks_capped_at_ten(self):
        swarm = Swarm()
        for i in range(12):
            extra = copy.deepcopy(swarm.task(WEB2_FAILED))
            extra["ID"] = f"extra{i:02d}" + "x" * 18
            extra["Status"]["Timestamp"] = f"2026-11-27T04:0{i // 10}:{10 + i:02d}.500000001Z"
            swarm.tasks.append(extra)
        failing = swarm.evaluate()["failing_tasks"]
        assert len(failing) == 10
        assert failing[0]["id"] == WEB2_FAILED

    def test_shutdown_with_exit_code_zero_is_not_failing(self):
        swarm = Swarm()
        swarm.task(WEB1_OLD)["Spec"] = copy.deepcopy(swarm.web["Spec"]["TaskTemplate"])
        assert [t["id"] for t in swarm.evaluate()["failing_tasks"]] == [WEB2_FAILED]


# -- evaluate_services / summary / diagnosis ----------------------------------
class TestEvaluateServices:
    def test_all_converged(self):
        swarm = Swarm()
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW)
        assert evaluation["converged"] is True
        assert evaluation["failed"] == []
        assert [r["name"] for r in evaluation["services"]] == ["demo_agent", "demo_web"]
        assert summary(evaluation) == {
            "demo_agent": {"replicas_wanted": 5, "replicas_running": 5, "image": "swarmops/demo-agent:2",
                           "update_state": None, "converged": True},
            "demo_web": {"replicas_wanted": 3, "replicas_running": 3, "image": "swarmops/demo-web:1",
                         "update_state": "completed", "converged": True},
        }
        assert diagnosis(evaluation) == ""

    def test_one_not_converged(self):
        swarm = Swarm()
        swarm.replace_task(WEB3, swarm.task_variants["web_starting"])
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW)
        assert evaluation["converged"] is False
        assert evaluation["failed"] == []
        assert summary(evaluation)["demo_web"] == {
            "replicas_wanted": 3, "replicas_running": 2, "image": "swarmops/demo-web:1",
            "update_state": "completed", "converged": False}
        assert summary(evaluation)["demo_agent"]["converged"] is True
        assert diagnosis(evaluation) == "\n".join([
            "service demo_web: 2 of 3 tasks running and healthy;"
            " 1 task(s) starting or waiting for their health check.",
            f"  task nfhulh1gt6je slot 2 on worker2 (ready): failed, exit code 137: {UNHEALTHY}",
            "  task og6sf02etvtt slot 3 on manager1 (ready): starting: starting",
        ])

    def test_failed_service_listed(self):
        swarm = Swarm()
        swarm.use_service_variant("demo_web_bad_image")
        swarm.service("demo_web")["UpdateStatus"] = {
            "State": "paused",
            "StartedAt": "2026-11-27T04:12:40.118898412Z",
            "Message": f"update paused due to failure or early termination of task {REJECTED}",
        }
        swarm.tasks.append(swarm.task_variants["web_rejected"])
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW)
        assert evaluation["converged"] is False
        assert [r["name"] for r in evaluation["failed"]] == ["demo_web"]
        assert diagnosis(evaluation) == "\n".join([
            "service demo_web: update paused: update paused due to failure or early termination of task"
            f" {REJECTED}; 0 of 3 tasks running and healthy; 3 running task(s) still on the previous spec.",
            f"  task 9mi120p13t1m slot 1 on worker1 (ready): rejected: {NO_IMAGE}",
        ])

    def test_diagnosis_of_a_task_on_a_down_node(self):
        swarm = Swarm()
        swarm.node("worker2")["Status"]["State"] = "down"
        evaluation = evaluate_services([swarm.web], swarm.tasks, swarm.nodes, NOW)
        assert diagnosis(evaluation) == "\n".join([
            "service demo_web: 2 of 3 tasks running and healthy; 1 task(s) on nodes that are down.",
            f"  task nfhulh1gt6je slot 2 on worker2 (down): failed, exit code 137: {UNHEALTHY}",
        ])

    def test_diagnosis_uses_the_message_without_error(self):
        evaluation = {"services": [{
            "name": "demo_web", "converged": False, "failed": None, "reasons": [],
            "failing_tasks": [],
            "starting_tasks": [{"id": None, "slot": 1, "node": "worker1", "node_state": "ready",
                                "state": "preparing", "exit_code": None, "error": "",
                                "message": "preparing"}],
        }]}
        assert diagnosis(evaluation) == "\n".join([
            "service demo_web: not converged.",
            "  task ? slot 1 on worker1 (ready): preparing: preparing",
        ])

    def test_diagnosis_lists_an_unschedulable_task_once(self):
        swarm = Swarm()
        swarm.use_service_variant("demo_web_unplaceable")
        swarm.tasks.append(swarm.task_variants["web_pending"])
        text = diagnosis(evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW))
        assert text.count("task g4izym7ono07 slot 1 on (not scheduled) (unknown): pending: " + NO_NODE) == 1


# -- wait_for_convergence ------------------------------------------------------
class FakeTime:
    """A monotonic clock that only moves when something sleeps or reads."""

    def __init__(self, read_cost=0.0):
        self.now = 0.0
        self.read_cost = read_cost
        self.sleeps = []
        self.sleep_started = []

    def clock(self):
        return self.now

    def wall_clock(self):
        return NOW + self.now

    def sleep(self, seconds):
        self.sleep_started.append(self.now)
        self.sleeps.append(seconds)
        self.now += seconds


class Reader:
    """read() for wait_for_convergence: hands out the given states, repeating the last one."""

    def __init__(self, fake, states):
        self.fake = fake
        self.states = states
        self.calls = 0

    def __call__(self):
        state = self.states[min(self.calls, len(self.states) - 1)]
        self.calls += 1
        self.fake.now += self.fake.read_cost
        return copy.deepcopy(state)


def state_healthy():
    return Swarm().read()


def state_starting():
    swarm = Swarm()
    swarm.replace_task(WEB3, swarm.task_variants["web_starting"])
    return swarm.read()


def state_one_fewer():
    swarm = Swarm()
    swarm.drop_task(WEB3)
    return swarm.read()


def state_web_update(update_state_, message):
    swarm = Swarm()
    swarm.web["UpdateStatus"] = {"State": update_state_, "Message": message}
    return swarm.read()


def wait(fake, states, timeout=60.0, poll_interval=5.0, min_healthy_time=0.0, **kwargs):
    reader = Reader(fake, states)
    result = wait_for_convergence(
        read=reader, timeout=timeout, poll_interval=poll_interval, min_healthy_time=min_healthy_time,
        clock=fake.clock, sleep=fake.sleep, wall_clock=fake.wall_clock, **kwargs)
    return result, reader.calls


class TestWaitForConvergence:
    def test_converges_on_the_third_read(self):
        fake = FakeTime()
        result, reads = wait(fake, [state_starting(), state_starting(), state_healthy()])
        assert isinstance(result, WaitResult)
        assert (result.converged, result.failed, result.elapsed) == (True, False, 10.0)
        assert reads == 3
        assert fake.sleeps == [5.0, 5.0]
        assert result.evaluation["converged"] is True
        assert summary(result.evaluation)["demo_web"]["replicas_running"] == 3

    def test_converged_at_once_never_sleeps(self):
        fake = FakeTime()
        result, reads = wait(fake, [state_healthy()])
        assert (result.converged, result.failed, result.elapsed, reads, fake.sleeps) == (True, False, 0.0, 1, [])

    def test_min_healthy_time_uses_the_wall_clock(self):
        # wall clock starts 2s after web.1 started: healthy for 4.5s after 3 more seconds
        fake = FakeTime()
        fake.wall_clock = lambda: T_WEB1 + 2 + fake.now
        result, reads = wait(fake, [state_healthy()], poll_interval=1.0, min_healthy_time=4.5)
        assert result.converged is True
        assert fake.sleeps == [1.0, 1.0, 1.0]
        assert reads == 4

    def test_times_out_with_the_last_evaluation(self):
        fake = FakeTime()
        states = [state_starting(), state_starting(), state_starting(), state_one_fewer()]
        result, reads = wait(fake, states, timeout=12.0, poll_interval=5.0)
        assert (result.converged, result.failed, result.elapsed) == (False, False, 12.0)
        assert reads == 4
        assert fake.sleeps == [5.0, 5.0, 2.0]
        web = next(r for r in result.evaluation["services"] if r["name"] == "demo_web")
        assert web["reasons"] == ["2 of 3 tasks running and healthy"]
        assert web["starting_tasks"] == []

    def test_zero_timeout_reads_once(self):
        fake = FakeTime()
        result, reads = wait(fake, [state_starting()], timeout=0.0)
        assert (result.converged, result.failed, reads, fake.sleeps) == (False, False, 1, [])

    def test_stops_early_on_failure(self):
        fake = FakeTime()
        paused = state_web_update("paused", f"update paused due to failure or early termination of task {WEB2_FAILED}")
        result, reads = wait(fake, [state_starting(), paused, state_healthy()])
        assert (result.converged, result.failed, result.elapsed) == (False, True, 5.0)
        assert reads == 2
        assert fake.sleeps == [5.0]
        assert [r["name"] for r in result.evaluation["failed"]] == ["demo_web"]

    def test_keeps_waiting_on_failure_without_stop_on_failure(self):
        fake = FakeTime()
        paused = state_web_update("paused", "update paused")
        result, reads = wait(fake, [paused, paused, state_healthy()], stop_on_failure=False)
        assert (result.converged, result.failed, result.elapsed, reads) == (True, False, 10.0, 3)

    def test_timeout_without_stop_on_failure_is_not_failed(self):
        fake = FakeTime()
        paused = state_web_update("paused", "update paused")
        result, reads = wait(fake, [paused], timeout=10.0, poll_interval=5.0, stop_on_failure=False)
        assert (result.converged, result.failed, result.elapsed, reads) == (False, False, 10.0, 3)
        assert [r["name"] for r in result.evaluation["failed"]] == ["demo_web"]

    def test_accept_rollback(self):
        fake = FakeTime()
        rolled_back = state_web_update("rollback_completed", "rollback completed")
        result, reads = wait(fake, [rolled_back], accept_rollback=True)
        assert (result.converged, result.failed, reads) == (True, False, 1)
        fake = FakeTime()
        result, reads = wait(fake, [rolled_back])
        assert (result.converged, result.failed, reads) == (False, True, 1)

    @pytest.mark.parametrize("timeout, poll_interval, read_cost, expected_sleeps", [
        (12.0, 5.0, 0.0, [5.0, 5.0, 2.0]),
        (10.0, 5.0, 0.0, [5.0, 5.0]),
        (10.0, 3.0, 0.5, [3.0, 3.0, 2.5]),
        (3.0, 10.0, 0.0, [3.0]),
        (1.0, 0.25, 0.0, [0.25, 0.25, 0.25, 0.25]),
    ])
    def test_never_sleeps_past_the_timeout(self, timeout, poll_interval, read_cost, expected_sleeps):
        fake = FakeTime(read_cost=read_cost)
        result, _reads = wait(fake, [state_starting()], timeout=timeout, poll_interval=poll_interval)
        assert result.converged is False
        assert fake.sleeps == pytest.approx(expected_sleeps)
        for started, seconds in zip(fake.sleep_started, fake.sleeps):
            assert started + seconds <= timeout + 1e-9

    def test_never_sleeps_past_the_timeout_when_little_time_is_left(self):
        # reads take 0.24s: after the 4th read 9.96s have passed, 0.04s are left
        fake = FakeTime(read_cost=0.24)
        result, _reads = wait(fake, [state_starting()], timeout=10.0, poll_interval=3.0)
        assert result.converged is False
        for started, seconds in zip(fake.sleep_started, fake.sleeps):
            assert started + seconds <= 10.0 + 1e-9
