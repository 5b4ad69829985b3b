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
from collections.abc import Mapping
from datetime import datetime, timezone
from types import MappingProxyType

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import (
    DEFAULT_STOP_GRACE,
    MIN_HEALTHY_FLOOR,
    REVISION_FAILURES,
    WaitResult,
    constraint_matches,
    constraints_of,
    describe_task,
    desired_replicas,
    detection_delay,
    diagnosis,
    eligible_nodes,
    evaluate_service,
    evaluate_services,
    failing_tasks,
    health_from_api,
    healthy_window,
    may_finish,
    merge_healthchecks,
    node_is_up,
    parse_timestamp,
    restart_condition,
    running_health,
    service_image,
    service_mode,
    service_name,
    service_watch,
    service_window,
    spec_healthcheck,
    stop_grace_period,
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
    "container_id": "49d1d27c4383627b3bad2617be7828d4850f9215854b4e1d0b3144f2b3fc6af2",
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
    "container_id": "ac4e2a76a22fea3747d7c7023ed8f8ad4e1b2d3b55dbd65f3b9c889d3005363d",
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
    "container_id": "",
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
    "container_id": "",
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
            "replicas_done": 0,
            "min_healthy_time": 0.0,
            "replicas_previous": 0,
            "replicas_settling": 0,
            "tasks_starting": 0,
            "containers_starting": 0,
            "tasks_on_down_nodes": 0,
            "tasks_per_node": {"manager1": 1, "worker1": 1, "worker2": 1},
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
            "replicas_done": 0,
            "min_healthy_time": 0.0,
            "replicas_previous": 0,
            "replicas_settling": 0,
            "tasks_starting": 0,
            "containers_starting": 0,
            "tasks_on_down_nodes": 0,
            "tasks_per_node": {host: 1 for host in NODE_ID},
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
        assert (result["tasks_starting"], result["containers_starting"]) == (1, 1)
        assert result["tasks_per_node"] == {"worker1": 1, "worker2": 1}

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
            "demo_agent": {"replicas_wanted": 5, "replicas_running": 5, "replicas_done": 0, "min_healthy_time": 0.0,
                           "image": "swarmops/demo-agent:2", "update_state": None, "converged": True},
            "demo_web": {"replicas_wanted": 3, "replicas_running": 3, "replicas_done": 0, "min_healthy_time": 0.0,
                         "image": "swarmops/demo-web:1", "update_state": "completed", "converged": True},
        }
        assert diagnosis(evaluation) == ""

    def test_one_not_converged(self):
        swarm = Swarm()
        swarm.replace_task(WEB3, swarm.task_variants["web_starting"])
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW)
        assert evaluation["converged"] is False
        assert evaluation["failed"] == []
        assert summary(evaluation)["demo_web"] == {
            "replicas_wanted": 3, "replicas_running": 2, "replicas_done": 0, "min_healthy_time": 0.0,
            "image": "swarmops/demo-web:1", "update_state": "completed", "converged": False}
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


# -- the deploy gate: health checks and windows --------------------------------
# 2026-11-27T04:09:00Z: a deploy that began 2.17s before the failed attempt of slot 2 was created
DEPLOY = 1795752540.0
CREATED_WEB2_FAILED = 1795752542.170583  # its CreatedAt, 04:09:02.170583391Z
FAILED_WEB2_AT = 1795752577.4612  # its Status.Timestamp, 04:09:37.46120045Z
EXIT_1 = "task: non-zero exit (1)"
UNHEALTHY_ON_WORKER2 = f"a task of the new spec failed on worker2, exit code 137: {UNHEALTHY}"
NO_IMAGE_ON_WORKER1 = f"a task of the new spec rejected on worker1: {NO_IMAGE}"

SECOND = 1_000_000_000  # the API's durations are in nanoseconds
# Health checks in seconds, as health_from_api gives them.
HEALTH_WEB = {"interval": 5.0, "timeout": 3.0, "retries": 3, "start_period": 10.0}  # demo_web's spec
IMAGE_10S = {"interval": 10.0, "timeout": 5.0, "retries": 2, "start_period": 0.0}  # an image's HEALTHCHECK
IMAGE_60S = {"interval": 60.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}
# The same image checks as GET /images/{name}/json gives them (Config.Healthcheck): what running_health,
# service_window and service_watch take.
IMAGE_10S_HEALTHCHECK = {"Test": ["CMD-SHELL", "curl -f http://127.0.0.1/ || exit 1"], "Interval": 10 * SECOND,
                         "Timeout": 5 * SECOND, "Retries": 2}
IMAGE_60S_HEALTHCHECK = {"Test": ["CMD", "/probe"], "Interval": 60 * SECOND, "Timeout": 30 * SECOND, "Retries": 3}


def iso(seconds):
    """An API timestamp (nanosecond digits, as the engine prints them) of epoch seconds."""
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def container_id(task_id):
    return (task_id * 3)[:64]


def clone_task(swarm, base_id, new_id, *, state, desired, timestamp, created=None, exit_code=0, err=None,
               node=None, slot=None, message=None):
    """A copy of a fixture task (its spec, service, slot and node unless given) in another state."""
    task = copy.deepcopy(swarm.task(base_id))
    task["ID"] = new_id
    task["DesiredState"] = desired
    task["CreatedAt"] = created or timestamp
    task["Status"]["State"] = state
    task["Status"]["Timestamp"] = timestamp
    task["Status"]["Message"] = message or {"running": "started", "complete": "finished"}.get(state, state)
    task["Status"]["ContainerStatus"] = {"ContainerID": container_id(new_id), "PID": 0, "ExitCode": exit_code}
    task["Status"].pop("Err", None)
    if err is not None:
        task["Status"]["Err"] = err
    if node is not None:
        task["NodeID"] = NODE_ID[node]
    if slot is not None:
        task["Slot"] = slot
    return task


def web_template_healthcheck(swarm):
    return swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]


class TestGateFixture:
    def test_times(self):
        swarm = Swarm()
        assert parse_timestamp("2026-11-27T04:09:00Z") == DEPLOY
        assert parse_timestamp(swarm.task(WEB2_FAILED)["CreatedAt"]) == pytest.approx(CREATED_WEB2_FAILED, abs=1e-6)
        failed_at = parse_timestamp(swarm.task(WEB2_FAILED)["Status"]["Timestamp"])
        assert failed_at == pytest.approx(FAILED_WEB2_AT, abs=1e-6)
        assert iso(T_WEB1) == "2026-11-27T04:10:01.123456000Z"
        assert parse_timestamp(iso(NOW - 12.5)) == pytest.approx(NOW - 12.5, abs=1e-6)

    def test_restart_policies(self):
        swarm = Swarm()
        # demo_web restarts on failure only: a task of it that exits 0 is done
        assert swarm.web["Spec"]["TaskTemplate"]["RestartPolicy"]["Condition"] == "on-failure"
        assert swarm.agent["Spec"]["TaskTemplate"]["RestartPolicy"]["Condition"] == "any"

    def test_constants(self):
        assert MIN_HEALTHY_FLOOR == 10.0
        assert REVISION_FAILURES == ("failed", "rejected")


class TestHealthFromApi:
    def test_fixture_health_check(self):
        assert health_from_api(web_template_healthcheck(Swarm())) == HEALTH_WEB

    @pytest.mark.parametrize("healthcheck, expected", [
        pytest.param({"Test": ["CMD-SHELL", "true"]},
                     {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}, id="engine-defaults"),
        pytest.param({"Test": ["CMD", "true"], "Interval": 0, "Timeout": 0, "Retries": 0, "StartPeriod": 0},
                     {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}, id="zeros-are-defaults"),
        pytest.param({"Test": ["CMD-SHELL", "curl -f http://127.0.0.1/ || exit 1"], "Interval": 10 * SECOND,
                      "Timeout": 5 * SECOND, "Retries": 2}, IMAGE_10S, id="image-config"),
        pytest.param({"Test": ["CMD", "true"], "Interval": 1_500_000_000, "Timeout": 250_000_000, "Retries": 7,
                      "StartPeriod": 90 * SECOND},
                     {"interval": 1.5, "timeout": 0.25, "retries": 7, "start_period": 90.0}, id="fractions"),
        pytest.param({"Test": ["CMD", "true"], "Interval": 60 * SECOND, "StartInterval": 1 * SECOND},
                     {"interval": 60.0, "timeout": 30.0, "retries": 3, "start_period": 0.0},
                     id="start-interval-ignored"),
    ])
    def test_health_check(self, healthcheck, expected):
        result = health_from_api(healthcheck)
        assert result == expected
        assert [type(result[k]) for k in ("interval", "timeout", "retries", "start_period")] == [
            float, float, int, float]

    @pytest.mark.parametrize("healthcheck", [
        pytest.param(None, id="none"),
        pytest.param({}, id="empty"),
        pytest.param({"Test": []}, id="empty-test"),
        pytest.param({"Test": None, "Interval": 5 * SECOND}, id="no-test"),
        pytest.param({"Test": ["NONE"]}, id="test-none"),
        pytest.param({"Test": ["none"], "Interval": 5 * SECOND}, id="test-none-lowercase"),
    ])
    def test_no_health_check(self, healthcheck):
        assert health_from_api(healthcheck) is None


class TestHealthyWindow:
    @pytest.mark.parametrize("health, window", [
        pytest.param(None, 10.0, id="none"),
        pytest.param({}, 10.0, id="empty"),
        pytest.param(HEALTH_WEB, 30.0, id="web-2x5sx3"),
        pytest.param(IMAGE_10S, 40.0, id="2x10sx2"),
        pytest.param(IMAGE_60S, 360.0, id="2x60sx3"),
        pytest.param({"interval": 30.0, "retries": 3}, 180.0, id="engine-defaults"),
        pytest.param({"interval": 1.0, "retries": 3}, 10.0, id="floor"),
        pytest.param({"interval": 1.0, "retries": 5}, 10.0, id="exactly-the-floor"),
        pytest.param({"interval": 1.5, "retries": 4}, 12.0, id="fractional-interval"),
        pytest.param({"interval": 5.0, "retries": 1}, 10.0, id="one-retry"),
    ])
    def test_window(self, health, window):
        assert healthy_window(health) == window

    # retries x (interval + timeout) + timeout, without a stop grace (the default 0)
    @pytest.mark.parametrize("health, delay", [
        pytest.param(None, 0.0, id="none"),
        pytest.param({}, 0.0, id="empty"),
        pytest.param(HEALTH_WEB, 27.0, id="web-3x(5s+3s)+3s"),
        pytest.param(IMAGE_10S, 35.0, id="2x(10s+5s)+5s"),
        pytest.param(IMAGE_60S, 300.0, id="3x(60s+30s)+30s"),
        pytest.param({"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}, 210.0,
                     id="engine-defaults"),
        pytest.param({"interval": 1.0, "timeout": 1.0, "retries": 1, "start_period": 0.0}, 3.0, id="one-retry"),
        pytest.param({"interval": 1.5, "timeout": 0.5, "retries": 3, "start_period": 0.0}, 6.5,
                     id="fractional-interval"),
        pytest.param({"interval": 2.0, "timeout": 10.0, "retries": 3, "start_period": 0.0}, 46.0,
                     id="timeout-longer-than-interval"),
        pytest.param({"interval": 5.0, "timeout": 3.0, "retries": 3, "start_period": 90.0}, 27.0,
                     id="start-period-does-not-count"),
    ])
    def test_detection_delay(self, health, delay):
        assert detection_delay(health) == delay

    def test_detection_delay_of_the_fixture_check(self):
        assert detection_delay(health_from_api(web_template_healthcheck(Swarm()))) == 27.0
        # with demo_web's stop grace period (10s in its spec): 27s + 10s
        assert detection_delay(health_from_api(web_template_healthcheck(Swarm())), 10.0) == 37.0

    # retries x (interval + timeout) + timeout + stop_grace: Swarm stops the unhealthy container, which may take
    # its whole grace period (an application that ignores SIGTERM is killed when it ends)
    @pytest.mark.parametrize("health, stop_grace, delay", [
        pytest.param(HEALTH_WEB, 10.0, 37.0, id="web-27s+10s"),
        pytest.param(HEALTH_WEB, 3.0, 30.0, id="web-27s+3s"),
        pytest.param(HEALTH_WEB, 0.0, 27.0, id="web-no-grace"),
        pytest.param(IMAGE_10S, 10.0, 45.0, id="2x(10s+5s)+5s+10s"),
        pytest.param(IMAGE_60S, 10.0, 310.0, id="3x(60s+30s)+30s+10s"),
        pytest.param(IMAGE_60S, 120.0, 420.0, id="3x(60s+30s)+30s+2m"),
        pytest.param({"interval": 1.5, "timeout": 0.5, "retries": 3, "start_period": 0.0}, 2.5, 9.0,
                     id="fractional-interval-and-grace"),
        pytest.param({"interval": 5.0, "timeout": 3.0, "retries": 3, "start_period": 90.0}, 10.0, 37.0,
                     id="start-period-does-not-count"),
    ])
    def test_detection_delay_with_stop_grace(self, health, stop_grace, delay):
        assert detection_delay(health, stop_grace) == delay
        assert detection_delay(health, stop_grace=stop_grace) == delay

    @pytest.mark.parametrize("health", [pytest.param(None, id="none"), pytest.param({}, id="empty")])
    @pytest.mark.parametrize("stop_grace", [0.0, 3.0, 10.0, 120.0])
    def test_no_stop_grace_without_health_check(self, health, stop_grace):
        # no health check: Swarm never stops a container for being unhealthy, so its grace does not count
        assert detection_delay(health, stop_grace) == 0.0


class TestSpecHealthcheck:
    def test_fixture(self):
        swarm = Swarm()
        assert spec_healthcheck(swarm.web) == {
            "Test": ["CMD-SHELL", "wget -qO- http://127.0.0.1/healthz || exit 1"], "Interval": 5 * SECOND,
            "Timeout": 3 * SECOND, "Retries": 3, "StartPeriod": 10 * SECOND}
        assert spec_healthcheck(swarm.web) is web_template_healthcheck(swarm)
        assert spec_healthcheck(swarm.agent) is None
        assert spec_healthcheck({}) is None

    @pytest.mark.parametrize("healthcheck, expected", [
        # the spec's own check, raw: NONE is not read here (merge_healthchecks and health_from_api do)
        pytest.param({"Test": ["NONE"]}, {"Test": ["NONE"]}, id="disabled"),
        pytest.param({"Test": ["none"], "Interval": 5 * SECOND}, {"Test": ["none"], "Interval": 5 * SECOND},
                     id="disabled-lowercase"),
        pytest.param({"Interval": 2 * SECOND}, {"Interval": 2 * SECOND}, id="interval-only"),
        pytest.param({"Test": ["CMD", "true"]}, {"Test": ["CMD", "true"]}, id="test-only"),
        pytest.param({}, None, id="empty"),
        pytest.param(None, None, id="null"),
    ])
    def test_spec(self, healthcheck, expected):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = healthcheck
        assert spec_healthcheck(swarm.web) == expected

    def test_no_healthcheck_key(self):
        swarm = Swarm()
        del swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
        assert spec_healthcheck(swarm.web) is None

    @pytest.mark.parametrize("service", [
        pytest.param({"Spec": None}, id="null-spec"),
        pytest.param({"Spec": {"TaskTemplate": None}}, id="null-template"),
        pytest.param({"Spec": {"TaskTemplate": {"ContainerSpec": None}}}, id="null-container-spec"),
    ])
    def test_missing_parts(self, service):
        assert spec_healthcheck(service) is None


class TestMergeHealthchecks:
    """The engine's merge (moby daemon/commit.go): each field the spec sets wins, the image gives the rest."""

    @pytest.mark.parametrize("own, image, merged", [
        pytest.param({"Interval": 4 * SECOND}, IMAGE_10S_HEALTHCHECK,
                     {"Test": IMAGE_10S_HEALTHCHECK["Test"], "Interval": 4 * SECOND, "Timeout": 5 * SECOND,
                      "StartPeriod": None, "Retries": 2}, id="interval-only-over-the-image"),
        pytest.param({"Test": ["CMD", "/healthz"]}, IMAGE_10S_HEALTHCHECK,
                     {"Test": ["CMD", "/healthz"], "Interval": 10 * SECOND, "Timeout": 5 * SECOND,
                      "StartPeriod": None, "Retries": 2}, id="test-only-gets-the-image-s-timings"),
        pytest.param({"Test": ["NONE"]}, IMAGE_10S_HEALTHCHECK,
                     {"Test": ["NONE"], "Interval": 10 * SECOND, "Timeout": 5 * SECOND, "StartPeriod": None,
                      "Retries": 2}, id="test-none-over-the-image"),
        pytest.param({"Test": ["CMD", "true"], "Interval": 0, "Timeout": 0, "Retries": 0, "StartPeriod": 0},
                     IMAGE_10S_HEALTHCHECK,
                     {"Test": ["CMD", "true"], "Interval": 10 * SECOND, "Timeout": 5 * SECOND, "StartPeriod": None,
                      "Retries": 2}, id="zeros-are-unset"),
        pytest.param({"Test": [], "Retries": 5}, IMAGE_10S_HEALTHCHECK,
                     {"Test": IMAGE_10S_HEALTHCHECK["Test"], "Interval": 10 * SECOND, "Timeout": 5 * SECOND,
                      "StartPeriod": None, "Retries": 5}, id="empty-test-is-the-image-s"),
        pytest.param({"Test": ["CMD", "true"], "Interval": 5 * SECOND, "Timeout": 3 * SECOND, "Retries": 3,
                      "StartPeriod": 10 * SECOND}, IMAGE_60S_HEALTHCHECK,
                     {"Test": ["CMD", "true"], "Interval": 5 * SECOND, "Timeout": 3 * SECOND,
                      "StartPeriod": 10 * SECOND, "Retries": 3}, id="every-field-set-wins"),
        pytest.param(None, IMAGE_10S_HEALTHCHECK,
                     {"Test": IMAGE_10S_HEALTHCHECK["Test"], "Interval": 10 * SECOND, "Timeout": 5 * SECOND,
                      "StartPeriod": None, "Retries": 2}, id="no-spec-check-the-image-s"),
        pytest.param({}, IMAGE_10S_HEALTHCHECK,
                     {"Test": IMAGE_10S_HEALTHCHECK["Test"], "Interval": 10 * SECOND, "Timeout": 5 * SECOND,
                      "StartPeriod": None, "Retries": 2}, id="empty-spec-check-the-image-s"),
        pytest.param({"Test": ["CMD", "true"], "Interval": 2 * SECOND}, None,
                     {"Test": ["CMD", "true"], "Interval": 2 * SECOND, "Timeout": None, "StartPeriod": None,
                      "Retries": None}, id="no-image-check"),
        pytest.param({"Interval": 2 * SECOND}, None,
                     {"Test": [], "Interval": 2 * SECOND, "Timeout": None, "StartPeriod": None, "Retries": None},
                     id="interval-only-no-test-anywhere"),
    ])
    def test_merge(self, own, image, merged):
        assert merge_healthchecks(copy.deepcopy(own), copy.deepcopy(image)) == merged

    @pytest.mark.parametrize("own, image", [
        pytest.param(None, None, id="none"),
        pytest.param({}, None, id="empty-spec-check"),
        pytest.param(None, {}, id="empty-image-check"),
        pytest.param({}, {}, id="both-empty"),
    ])
    def test_nothing_set(self, own, image):
        assert merge_healthchecks(own, image) is None

    def test_inputs_not_changed(self):
        own, image = {"Interval": 4 * SECOND}, copy.deepcopy(IMAGE_10S_HEALTHCHECK)
        merge_healthchecks(own, image)
        assert (own, image) == ({"Interval": 4 * SECOND}, IMAGE_10S_HEALTHCHECK)

    @pytest.mark.parametrize("own, image, health", [
        # interval from the spec; timeout and retries from the image
        pytest.param({"Interval": 4 * SECOND}, IMAGE_10S_HEALTHCHECK,
                     {"interval": 4.0, "timeout": 5.0, "retries": 2, "start_period": 0.0},
                     id="interval-only-over-the-image"),
        pytest.param({"Test": ["CMD", "/healthz"]}, IMAGE_10S_HEALTHCHECK, IMAGE_10S,
                     id="test-only-gets-the-image-s-timings"),
        pytest.param({"Test": ["NONE"]}, IMAGE_10S_HEALTHCHECK, None, id="test-none-disables-the-image-s"),
        pytest.param({"Test": ["none"], "Interval": 4 * SECOND}, IMAGE_10S_HEALTHCHECK, None,
                     id="test-none-lowercase-disables-the-image-s"),
        pytest.param({"Retries": 6, "StartPeriod": 20 * SECOND}, IMAGE_60S_HEALTHCHECK,
                     {"interval": 60.0, "timeout": 30.0, "retries": 6, "start_period": 20.0},
                     id="retries-and-start-period-over-the-image"),
        pytest.param({"Interval": 4 * SECOND}, {"Test": ["NONE"]}, None, id="image-disables-and-spec-sets-no-test"),
        # no test anywhere: nothing runs, whatever the timings
        pytest.param({"Interval": 4 * SECOND}, None, None, id="interval-only-without-image-check"),
        pytest.param({"Test": ["CMD", "true"]}, None,
                     {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0},
                     id="engine-defaults-for-what-neither-sets"),
    ])
    def test_health_of_the_merge(self, own, image, health):
        assert health_from_api(merge_healthchecks(own, image)) == health


def disable_web_healthcheck(swarm):
    swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Test": ["NONE"]}
    return swarm.web


class TestServiceWindow:
    # watch = window + retries x (interval + timeout) + timeout + stop grace period (the fixture's services set
    # StopGracePeriod 10s; without a health check no delay, so no grace either)
    @pytest.mark.parametrize("service, image_healthcheck, health, window, watch", [
        # the spec sets every field: it wins over the image's; 30s + 27s + 10s
        pytest.param("demo_web", None, HEALTH_WEB, 30.0, 67.0, id="spec"),
        pytest.param("demo_web", IMAGE_60S_HEALTHCHECK, HEALTH_WEB, 30.0, 67.0, id="spec-over-image"),
        # no health check in the spec: the image's; 40s + 2 x (10s + 5s) + 5s + 10s
        pytest.param("demo_agent", IMAGE_10S_HEALTHCHECK, IMAGE_10S, 40.0, 85.0, id="image"),
        # 360s + 3 x (60s + 30s) + 30s + 10s
        pytest.param("demo_agent", IMAGE_60S_HEALTHCHECK, IMAGE_60S, 360.0, 670.0, id="image-slow"),
        pytest.param("demo_agent", None, None, 10.0, 10.0, id="none"),
        pytest.param("demo_agent", {}, None, 10.0, 10.0, id="empty-image-healthcheck"),
        pytest.param("demo_agent", {"Test": ["NONE"]}, None, 10.0, 10.0, id="image-disables-its-check"),
    ])
    def test_window_and_watch(self, service, image_healthcheck, health, window, watch):
        swarm = Swarm()
        assert running_health(swarm.service(service), image_healthcheck) == health
        assert service_window(swarm.service(service), image_healthcheck) == window
        assert service_watch(swarm.service(service), image_healthcheck) == watch

    def test_spec_disables_the_image_s(self):
        web = disable_web_healthcheck(Swarm())
        assert running_health(web, IMAGE_60S_HEALTHCHECK) is None
        assert service_window(web, IMAGE_60S_HEALTHCHECK) == 10.0
        assert service_watch(web, IMAGE_60S_HEALTHCHECK) == 10.0

    def test_spec_with_only_an_interval_over_the_image_s(self):
        # interval 4s from the spec, timeout 5s and 2 retries from the image:
        # window max(10, 2 x 4 x 2) = 16s, then 2 x (4 + 5) + 5 = 23s and the 10s stop grace
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Interval": 4 * SECOND}
        assert running_health(swarm.web, IMAGE_10S_HEALTHCHECK) == {
            "interval": 4.0, "timeout": 5.0, "retries": 2, "start_period": 0.0}
        assert (service_window(swarm.web, IMAGE_10S_HEALTHCHECK), service_watch(swarm.web, IMAGE_10S_HEALTHCHECK)) == (
            16.0, 49.0)
        # without the image's check there is no test to run
        assert running_health(swarm.web) is None
        assert (service_window(swarm.web), service_watch(swarm.web)) == (10.0, 10.0)

    def test_spec_with_only_a_test_gets_the_image_s_timings(self):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Test": ["CMD", "/healthz"]}
        assert running_health(swarm.web, IMAGE_10S_HEALTHCHECK) == IMAGE_10S
        assert (service_window(swarm.web, IMAGE_10S_HEALTHCHECK), service_watch(swarm.web, IMAGE_10S_HEALTHCHECK)) == (
            40.0, 85.0)
        # without an image's check: the engine's defaults, 30s, 30s, 3 retries (window 180s, then
        # 3 x (30 + 30) + 30 = 210s, then the 10s stop grace)
        assert running_health(swarm.web) == {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}
        assert (service_window(swarm.web), service_watch(swarm.web)) == (180.0, 400.0)

    def test_spec_s_retries_over_the_image_s(self):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Retries": 4}
        assert running_health(swarm.web, IMAGE_10S_HEALTHCHECK) == {
            "interval": 10.0, "timeout": 5.0, "retries": 4, "start_period": 0.0}
        # window 2 x 10 x 4 = 80s, then 4 x (10 + 5) + 5 = 65s, then the 10s stop grace
        assert service_watch(swarm.web, IMAGE_10S_HEALTHCHECK) == 155.0

    def test_image_healthcheck_not_changed(self):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Interval": 4 * SECOND}
        image = copy.deepcopy(IMAGE_10S_HEALTHCHECK)
        service_watch(swarm.web, image)
        assert image == IMAGE_10S_HEALTHCHECK
        assert swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] == {"Interval": 4 * SECOND}

    def test_defaults_without_image_health(self):
        swarm = Swarm()
        assert (service_window(swarm.web), service_watch(swarm.web)) == (30.0, 67.0)
        assert (service_window(swarm.agent), service_watch(swarm.agent)) == (10.0, 10.0)

    def test_fast_health_check_keeps_the_floor(self):
        swarm = Swarm()
        web_template_healthcheck(swarm).update(Interval=1 * SECOND, Retries=2)
        # max(10, 2 x 1 x 2) = 10s window, then 2 x (1s + 3s) + 3s = 11s until a bad check shows, then the 10s
        # stop grace
        assert (service_window(swarm.web), service_watch(swarm.web)) == (10.0, 31.0)


def set_stop_grace(service, seconds):
    """Set the service's ContainerSpec.StopGracePeriod (nanoseconds); None removes it."""
    container = service["Spec"]["TaskTemplate"]["ContainerSpec"]
    if seconds is None:
        container.pop("StopGracePeriod", None)
    else:
        container["StopGracePeriod"] = int(seconds * SECOND)
    return service


class TestStopGracePeriod:
    def test_constant(self):
        assert DEFAULT_STOP_GRACE == 10.0

    def test_fixture(self):
        swarm = Swarm()
        # both services carry Docker's default, 10s, in their spec
        assert swarm.web["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] == 10 * SECOND
        assert stop_grace_period(swarm.web) == 10.0
        assert stop_grace_period(swarm.agent) == 10.0

    @pytest.mark.parametrize("seconds, grace", [
        pytest.param(3, 3.0, id="3s"),
        pytest.param(30, 30.0, id="30s"),
        pytest.param(1.5, 1.5, id="1500ms"),
        pytest.param(120, 120.0, id="2m"),
    ])
    def test_from_the_spec(self, seconds, grace):
        service = set_stop_grace(Swarm().web, seconds)
        result = stop_grace_period(service)
        assert result == grace
        assert isinstance(result, float)

    def test_without_the_spec_field(self):
        service = set_stop_grace(Swarm().web, None)
        assert "StopGracePeriod" not in service["Spec"]["TaskTemplate"]["ContainerSpec"]
        assert stop_grace_period(service) == DEFAULT_STOP_GRACE == 10.0

    def test_null_field(self):
        service = Swarm().web
        service["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] = None
        assert stop_grace_period(service) == 10.0

    @pytest.mark.parametrize("service", [
        pytest.param({}, id="empty"),
        pytest.param({"Spec": None}, id="null-spec"),
        pytest.param({"Spec": {"TaskTemplate": None}}, id="null-template"),
        pytest.param({"Spec": {"TaskTemplate": {"ContainerSpec": None}}}, id="null-container-spec"),
        pytest.param({"Spec": {"TaskTemplate": {"ContainerSpec": {"Image": "x"}}}}, id="no-field"),
    ])
    def test_missing_parts(self, service):
        assert stop_grace_period(service) == 10.0


class TestServiceWatchStopGrace:
    @pytest.mark.parametrize("seconds, watch", [
        # 30s window + 3 x (5s + 3s) + 3s + the spec's grace
        pytest.param(3, 60.0, id="3s"),
        pytest.param(10, 67.0, id="10s"),
        pytest.param(1.5, 58.5, id="1500ms"),
        pytest.param(60, 117.0, id="1m"),
        # no StopGracePeriod in the spec: Docker's 10s
        pytest.param(None, 67.0, id="not-set"),
    ])
    def test_spec_s_grace(self, seconds, watch):
        web = set_stop_grace(Swarm().web, seconds)
        assert service_window(web) == 30.0
        assert service_watch(web) == watch

    def test_spec_s_grace_over_an_image_check(self):
        # demo_agent runs its image's check: 40s window + 2 x (10s + 5s) + 5s + the spec's 3s
        agent = set_stop_grace(Swarm().agent, 3)
        assert service_watch(agent, IMAGE_10S_HEALTHCHECK) == 78.0
        assert service_watch(set_stop_grace(agent, None), IMAGE_10S_HEALTHCHECK) == 85.0

    @pytest.mark.parametrize("seconds", [pytest.param(3, id="3s"), pytest.param(120, id="2m"),
                                         pytest.param(None, id="not-set")])
    def test_no_grace_without_health_check(self, seconds):
        # no health check: the 10s floor, and no grace added, whatever the spec sets
        swarm = Swarm()
        agent = set_stop_grace(swarm.agent, seconds)
        assert running_health(agent) is None
        assert (service_window(agent), service_watch(agent)) == (10.0, 10.0)
        web = set_stop_grace(disable_web_healthcheck(swarm), seconds)
        assert (service_window(web, IMAGE_60S_HEALTHCHECK), service_watch(web, IMAGE_60S_HEALTHCHECK)) == (10.0, 10.0)

    def test_service_not_changed(self):
        web = set_stop_grace(Swarm().web, 3)
        before = copy.deepcopy(web)
        service_watch(web)
        stop_grace_period(web)
        assert web == before


# -- modes and restart policies ------------------------------------------------
JOB_ID = "wq6k2n0v8j3xh5c7r1t9m4b2z"
JOB_ITERATION = 12


def add_job(swarm, mode, iteration=JOB_ITERATION):
    """demo_migrate: a job with demo_web's task template, in ``mode`` (Spec.Mode), at job iteration ``iteration``."""
    job = copy.deepcopy(swarm.web)
    for key in ("UpdateStatus", "PreviousSpec", "UpdateConfig"):
        job.pop(key, None)
    job["ID"] = JOB_ID
    job["Spec"]["Name"] = "demo_migrate"
    job["Spec"]["Mode"] = mode
    if iteration is not None:
        job["JobStatus"] = {"JobIteration": {"Index": iteration}, "LastExecution": "2026-11-27T04:20:00.118898412Z"}
    swarm.services.append(job)
    return job


def job_task(swarm, number, node="worker1", state="complete", iteration=JOB_ITERATION, exit_code=0, err=None,
             slot=True):
    """Task ``number`` of demo_migrate (a copy of web.1's spec, so of the job's)."""
    task_id = f"jobtask{number:02d}" + "k" * 16
    task = clone_task(swarm, WEB1, task_id, state=state, desired="complete",
                      timestamp=f"2026-11-27T04:20:{10 + number:02d}.5Z", created="2026-11-27T04:20:00.2Z",
                      exit_code=exit_code, err=err, node=node, slot=number)
    task["ServiceID"] = JOB_ID
    if not slot:
        del task["Slot"]
    if iteration is not None:
        task["JobIteration"] = {"Index": iteration}
    swarm.tasks.append(task)
    return task


def set_restart(swarm, condition):
    """Change demo_web's restart condition, and its tasks of the current spec with it (they carry the spec)."""
    templates = [swarm.web["Spec"]["TaskTemplate"]] + [swarm.task(i)["Spec"] for i in (WEB1, WEB2, WEB2_FAILED, WEB3)]
    for target in templates:
        target["RestartPolicy"]["Condition"] = condition


def complete(swarm, task_id, exit_code=0, timestamp="2026-11-27T04:11:30.25Z", desired=None):
    """The task's container exited ``exit_code``: complete when 0 (Swarm does not restart it), else failed.

    ``desired`` is the DesiredState it is left with: by default running when complete, shutdown when failed.
    A complete task counts as done at any DesiredState but remove (a scale-down); Swarm's restart supervisor
    leaves a finished one desired shutdown.
    """
    task = swarm.task(task_id)
    task["DesiredState"] = desired or ("running" if exit_code == 0 else "shutdown")
    task["Status"]["Timestamp"] = timestamp
    if exit_code == 0:
        task["Status"].update(State="complete", Message="finished")
    else:
        task["Status"].update(State="failed", Message="started", Err=f"task: non-zero exit ({exit_code})")
    task["Status"]["ContainerStatus"].update(PID=0, ExitCode=exit_code)
    return task


class TestModes:
    @pytest.mark.parametrize("mode, expected", [
        ({"Replicated": {"Replicas": 3}}, "replicated"),
        ({"Global": {}}, "global"),
        ({"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 5}}, "replicated-job"),
        ({"ReplicatedJob": {}}, "replicated-job"),
        ({"GlobalJob": {}}, "global-job"),
        ({}, "replicated"),
    ])
    def test_service_mode(self, mode, expected):
        assert service_mode({"Spec": {"Mode": mode}}) == expected

    def test_service_mode_without_spec(self):
        assert service_mode({}) == "replicated"

    @pytest.mark.parametrize("policy, condition", [
        ({"Condition": "on-failure"}, "on-failure"),
        ({"Condition": "none"}, "none"),
        ({"Condition": "NONE"}, "none"),
        ({"Condition": "any"}, "any"),
        ({"Condition": ""}, "any"),
        ({}, "any"),
        (None, "any"),
    ])
    def test_restart_condition(self, policy, condition):
        swarm = Swarm()
        swarm.web["Spec"]["TaskTemplate"]["RestartPolicy"] = policy
        assert restart_condition(swarm.web) == condition

    def test_restart_condition_of_the_fixture(self):
        swarm = Swarm()
        assert (restart_condition(swarm.web), restart_condition(swarm.agent)) == ("on-failure", "any")
        assert restart_condition({}) == "any"

    @pytest.mark.parametrize("mode, condition, expected", [
        ({"Replicated": {"Replicas": 3}}, "any", False),
        ({"Replicated": {"Replicas": 3}}, "on-failure", True),
        ({"Replicated": {"Replicas": 3}}, "none", True),
        ({"Global": {}}, "any", False),
        ({"Global": {}}, "none", True),
        ({"ReplicatedJob": {}}, "any", True),
        ({"GlobalJob": {}}, "any", True),
        ({"ReplicatedJob": {}}, "on-failure", True),
    ])
    def test_may_finish(self, mode, condition, expected):
        swarm = Swarm()
        swarm.web["Spec"]["Mode"] = mode
        swarm.web["Spec"]["TaskTemplate"]["RestartPolicy"]["Condition"] = condition
        assert may_finish(swarm.web) is expected

    def test_may_finish_of_the_fixture(self):
        swarm = Swarm()
        assert (may_finish(swarm.web), may_finish(swarm.agent)) == (True, False)


class TestJobReplicas:
    @pytest.mark.parametrize("mode, wanted", [
        pytest.param({"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 5}}, 5, id="total-completions"),
        pytest.param({"ReplicatedJob": {"MaxConcurrent": 2}}, 2, id="defaults-to-max-concurrent"),
        pytest.param({"ReplicatedJob": {"MaxConcurrent": 2, "TotalCompletions": 0}}, 2, id="zero-completions"),
        pytest.param({"ReplicatedJob": {}}, 1, id="defaults-to-one"),
        pytest.param({"ReplicatedJob": None}, 1, id="null"),
        pytest.param({"GlobalJob": {}}, 5, id="global-job-every-node"),
    ])
    def test_desired(self, mode, wanted):
        swarm = Swarm()
        assert desired_replicas(add_job(swarm, mode), swarm.nodes) == wanted

    def test_replicated_job_ignores_nodes(self):
        swarm = Swarm()
        job = add_job(swarm, {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": 3}})
        for node in swarm.nodes:
            node["Status"]["State"] = "down"
        assert desired_replicas(job, swarm.nodes) == 3

    def test_global_job_eligible_nodes(self):
        swarm = Swarm()
        job = add_job(swarm, {"GlobalJob": {}})
        swarm.node("worker2")["Spec"]["Availability"] = "drain"
        swarm.node("manager3")["Status"]["State"] = "down"
        assert desired_replicas(job, swarm.nodes) == 3
        job["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.role==worker"]
        assert hostnames(eligible_nodes(job, swarm.nodes)) == ["worker1"]
        assert desired_replicas(job, swarm.nodes) == 1


class TestJobs:
    def replicated(self, swarm, completions=3):
        return add_job(swarm, {"ReplicatedJob": {"MaxConcurrent": 1, "TotalCompletions": completions}})

    def test_all_completed(self):
        swarm = Swarm()
        self.replicated(swarm)
        for number in (1, 2, 3):
            job_task(swarm, number)
        result = swarm.evaluate("demo_migrate")
        assert {k: result[k] for k in ("mode", "replicas_wanted", "replicas_running", "replicas_done", "converged",
                                       "failed", "reasons", "failing_tasks", "starting_tasks")} == {
            "mode": "replicated-job", "replicas_wanted": 3, "replicas_running": 0, "replicas_done": 3,
            "converged": True, "failed": None, "reasons": [], "failing_tasks": [], "starting_tasks": []}

    def test_more_completed_than_wanted(self):
        swarm = Swarm()
        self.replicated(swarm, completions=2)
        for number in (1, 2, 3):
            job_task(swarm, number)
        result = swarm.evaluate("demo_migrate")
        assert (result["converged"], result["replicas_done"], result["reasons"]) == (True, 3, [])

    def test_running_job_task(self):
        # a job's tasks run towards desired state "complete": a running one is not done yet
        swarm = Swarm()
        self.replicated(swarm)
        job_task(swarm, 1)
        job_task(swarm, 2)
        job_task(swarm, 3, state="running")
        result = swarm.evaluate("demo_migrate")
        assert result["converged"] is False
        assert result["reasons"] == ["2 of 3 job tasks completed"]
        assert (result["replicas_done"], result["replicas_running"]) == (2, 0)

    def test_nothing_completed_yet(self):
        swarm = Swarm()
        self.replicated(swarm)
        assert swarm.evaluate("demo_migrate")["reasons"] == ["0 of 3 job tasks completed"]

    def test_only_the_current_iteration_counts(self):
        swarm = Swarm()
        self.replicated(swarm)
        for number in (1, 2, 3):
            job_task(swarm, number, iteration=JOB_ITERATION - 1)
        job_task(swarm, 4)
        result = swarm.evaluate("demo_migrate")
        assert result["reasons"] == ["1 of 3 job tasks completed"]
        assert result["replicas_done"] == 1

    def test_task_without_iteration_counts(self):
        swarm = Swarm()
        self.replicated(swarm)
        for number in (1, 2, 3):
            job_task(swarm, number, iteration=None)
        assert swarm.evaluate("demo_migrate")["converged"] is True

    def test_service_without_job_status_counts_every_iteration(self):
        swarm = Swarm()
        self.replicated(swarm)
        del swarm.service("demo_migrate")["JobStatus"]
        job_task(swarm, 1, iteration=JOB_ITERATION - 1)
        job_task(swarm, 2, iteration=JOB_ITERATION - 2)
        job_task(swarm, 3)
        result = swarm.evaluate("demo_migrate")
        assert (result["converged"], result["replicas_done"]) == (True, 3)

    def test_completed_on_the_previous_spec_does_not_count(self):
        swarm = Swarm()
        job = self.replicated(swarm)
        for number in (1, 2, 3):
            job_task(swarm, number)
        job["Spec"]["TaskTemplate"]["ContainerSpec"]["Env"].append("MIGRATION=2")
        result = swarm.evaluate("demo_migrate")
        assert result["reasons"] == ["0 of 3 job tasks completed"]
        assert result["replicas_done"] == 0

    def test_failed_job_task_fails_the_deploy(self):
        swarm = Swarm()
        self.replicated(swarm)
        job_task(swarm, 1)
        failed = job_task(swarm, 2, node="worker2", state="failed", exit_code=1, err=EXIT_1)
        result = swarm.evaluate("demo_migrate", attempt_since=DEPLOY)
        assert result["converged"] is False
        assert result["failed"] == f"a task of the new spec failed on worker2, exit code 1: {EXIT_1}"
        assert result["reasons"] == ["1 of 3 job tasks completed"]
        assert [t["id"] for t in result["failing_tasks"]] == [failed["ID"]]
        assert result["failing_tasks"][0]["container_id"] == container_id(failed["ID"])
        # without a deploy to judge, it is only reported
        assert swarm.evaluate("demo_migrate")["failed"] is None

    def test_global_job(self):
        swarm = Swarm()
        add_job(swarm, {"GlobalJob": {}})
        for number, host in enumerate(NODE_ID, start=1):
            job_task(swarm, number, node=host, slot=False)
        result = swarm.evaluate("demo_migrate")
        assert (result["mode"], result["replicas_wanted"], result["replicas_done"]) == ("global-job", 5, 5)
        assert result["converged"] is True

    def test_global_job_missing_a_node(self):
        swarm = Swarm()
        add_job(swarm, {"GlobalJob": {}})
        for number, host in enumerate(["manager1", "manager2", "manager3", "worker1"], start=1):
            job_task(swarm, number, node=host, slot=False)
        job_task(swarm, 5, node="worker2", slot=False, state="running")
        result = swarm.evaluate("demo_migrate")
        assert result["converged"] is False
        assert result["reasons"] == ["4 of 5 job tasks completed"]

    def test_global_job_with_no_eligible_node(self):
        # the same reason as a global service's (not a silent "0 of 0 job tasks completed")
        swarm = Swarm()
        job = add_job(swarm, {"GlobalJob": {}})
        job["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.labels.zone==d"]
        result = swarm.evaluate("demo_migrate")
        assert (result["mode"], result["replicas_wanted"], result["replicas_done"]) == ("global-job", 0, 0)
        assert result["converged"] is False
        assert result["failed"] is None
        assert result["reasons"] == ["no eligible node matches the constraints node.labels.zone==d"]

    def test_global_job_with_several_constraints_and_no_eligible_node(self):
        swarm = Swarm()
        job = add_job(swarm, {"GlobalJob": {}})
        job["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.role==worker", "node.labels.zone==c"]
        result = swarm.evaluate("demo_migrate")
        assert result["reasons"] == [
            "no eligible node matches the constraints node.role==worker, node.labels.zone==c"]

    def test_global_job_whose_matching_nodes_are_all_down(self):
        swarm = Swarm()
        job = add_job(swarm, {"GlobalJob": {}})
        job["Spec"]["TaskTemplate"]["Placement"]["Constraints"] = ["node.role==worker"]
        for host in ("worker1", "worker2"):
            swarm.node(host)["Status"]["State"] = "down"
        result = swarm.evaluate("demo_migrate")
        assert (result["replicas_wanted"], result["converged"]) == (0, False)
        assert result["reasons"] == ["no eligible node matches the constraints node.role==worker"]

    def test_global_job_without_constraints_and_no_eligible_node(self):
        # every node drained: nothing to run, nothing to wait for
        swarm = Swarm()
        add_job(swarm, {"GlobalJob": {}})
        del swarm.service("demo_migrate")["Spec"]["TaskTemplate"]["Placement"]
        for node in swarm.nodes:
            node["Spec"]["Availability"] = "drain"
        result = swarm.evaluate("demo_migrate")
        assert (result["replicas_wanted"], result["converged"], result["reasons"]) == (0, True, [])

    @pytest.mark.parametrize("desired", ["remove", "REMOVE"])
    def test_job_task_desired_remove_does_not_count(self, desired):
        swarm = Swarm()
        self.replicated(swarm)
        job_task(swarm, 1)
        job_task(swarm, 2)
        job_task(swarm, 3)["DesiredState"] = desired
        result = swarm.evaluate("demo_migrate")
        assert (result["replicas_done"], result["converged"]) == (2, False)
        assert result["reasons"] == ["2 of 3 job tasks completed"]

    def test_job_task_desired_shutdown_counts(self):
        # a job task that completed with exit 0 and was left desired shutdown is done
        swarm = Swarm()
        self.replicated(swarm)
        job_task(swarm, 1)
        job_task(swarm, 2)
        job_task(swarm, 3)["DesiredState"] = "shutdown"
        result = swarm.evaluate("demo_migrate")
        assert (result["replicas_done"], result["converged"], result["reasons"]) == (3, True, [])

    def test_job_task_desired_shutdown_of_an_earlier_iteration_does_not_count(self):
        swarm = Swarm()
        self.replicated(swarm)
        job_task(swarm, 1)
        job_task(swarm, 2)
        job_task(swarm, 3, iteration=JOB_ITERATION - 1)["DesiredState"] = "shutdown"
        result = swarm.evaluate("demo_migrate")
        assert (result["replicas_done"], result["converged"]) == (2, False)
        assert result["reasons"] == ["2 of 3 job tasks completed"]

    def test_global_job_on_a_drained_node(self):
        swarm = Swarm()
        add_job(swarm, {"GlobalJob": {}})
        swarm.node("worker2")["Spec"]["Availability"] = "drain"
        for number, host in enumerate(["manager1", "manager2", "manager3", "worker1"], start=1):
            job_task(swarm, number, node=host, slot=False)
        result = swarm.evaluate("demo_migrate")
        assert (result["replicas_wanted"], result["replicas_done"], result["converged"]) == (4, 4, True)


class TestTasksThatMayFinish:
    @pytest.mark.parametrize("condition", ["on-failure", "none"])
    def test_exit_0_is_done(self, condition):
        swarm = Swarm()
        set_restart(swarm, condition)
        complete(swarm, WEB3)
        result = swarm.evaluate()
        assert result["converged"] is True
        assert (result["replicas_wanted"], result["replicas_running"], result["replicas_done"]) == (3, 2, 1)
        assert result["reasons"] == []

    def test_exit_0_with_restart_any_is_a_missing_replica(self):
        swarm = Swarm()
        set_restart(swarm, "any")
        complete(swarm, WEB3)
        result = swarm.evaluate()
        assert result["converged"] is False
        assert (result["replicas_running"], result["replicas_done"]) == (2, 0)
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]

    def test_global_service_with_restart_any(self):
        swarm = Swarm()
        agent_on_worker2 = next(t for t in swarm.tasks
                                if t["ServiceID"] == AGENT_ID and t["NodeID"] == NODE_ID["worker2"])
        agent_on_worker2["DesiredState"] = "shutdown"
        agent_on_worker2["Status"]["State"] = "complete"
        result = swarm.evaluate("demo_agent")
        assert (result["replicas_running"], result["replicas_done"]) == (4, 0)
        assert result["reasons"] == ["4 of 5 tasks running and healthy"]

    def test_reason_counts_the_completed(self):
        swarm = Swarm()
        swarm.drop_task(WEB2)
        complete(swarm, WEB3)
        result = swarm.evaluate()
        assert result["reasons"] == ["1 of 3 tasks running and healthy, 1 completed"]
        assert (result["replicas_running"], result["replicas_done"]) == (1, 1)

    def test_all_completed(self):
        swarm = Swarm()
        for task_id in (WEB1, WEB2, WEB3):
            complete(swarm, task_id)
        result = swarm.evaluate()
        assert (result["converged"], result["replicas_running"], result["replicas_done"]) == (True, 0, 3)

    def test_a_slot_counts_once_done_and_running(self):
        """A finished task left in a slot's history beside a running one of the same slot is not a second replica."""
        swarm = Swarm()
        set_restart(swarm, "on-failure")
        swarm.drop_task(WEB2)
        done = copy.deepcopy(swarm.task(WEB3))
        done["ID"] = "donetask00000000000000000"
        swarm.tasks.append(done)
        complete(swarm, "donetask00000000000000000", desired="shutdown")
        result = swarm.evaluate()
        assert (result["replicas_running"], result["replicas_done"]) == (2, 0)
        assert result["converged"] is False
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]

    def test_two_finished_tasks_of_one_slot_count_once(self):
        swarm = Swarm()
        set_restart(swarm, "none")
        swarm.drop_task(WEB2)
        complete(swarm, WEB3)
        again = copy.deepcopy(swarm.task(WEB3))
        again["ID"] = "againtask0000000000000000"
        swarm.tasks.append(again)
        result = swarm.evaluate()
        assert (result["replicas_running"], result["replicas_done"]) == (1, 1)
        assert result["converged"] is False

    def test_completed_without_exit_code_is_done(self):
        swarm = Swarm()
        del complete(swarm, WEB3)["Status"]["ContainerStatus"]
        result = swarm.evaluate()
        assert (result["converged"], result["replicas_done"]) == (True, 1)

    def test_completed_task_is_not_held_by_min_healthy_time(self):
        swarm = Swarm()
        complete(swarm, WEB3, timestamp=iso(NOW - 1))
        result = swarm.evaluate(min_healthy_time=30)
        assert (result["converged"], result["replicas_done"], result["reasons"]) == (True, 1, [])

    def test_completed_on_the_previous_spec_is_not_done(self):
        swarm = Swarm()
        complete(swarm, WEB3)["Spec"] = copy.deepcopy(swarm.web["PreviousSpec"]["TaskTemplate"])
        result = swarm.evaluate()
        assert result["replicas_done"] == 0
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]

    @pytest.mark.parametrize("desired", ["running", "complete", "RUNNING", "Complete"])
    def test_done_at_desired_running_or_complete(self, desired):
        swarm = Swarm()
        complete(swarm, WEB3, desired=desired)
        result = swarm.evaluate()
        assert (result["converged"], result["replicas_running"], result["replicas_done"]) == (True, 2, 1)

    @pytest.mark.parametrize("condition", ["on-failure", "none"])
    @pytest.mark.parametrize("desired", [
        # shutdown is the DesiredState the engine leaves a task of a restart none / on-failure service at once it
        # exited 0 (swarmkit's restart supervisor sets it before it decides not to restart)
        pytest.param("shutdown", id="shutdown"),
        pytest.param("SHUTDOWN", id="shutdown-upper-case"),
        # only remove (a scale-down) takes a completed task away
        pytest.param("", id="empty"),
        pytest.param(None, id="null"),
    ])
    def test_finished_task_left_desired_shutdown_is_done(self, desired, condition):
        swarm = Swarm()
        set_restart(swarm, condition)
        complete(swarm, WEB3)["DesiredState"] = desired
        result = swarm.evaluate()
        assert (result["converged"], result["replicas_running"], result["replicas_done"]) == (True, 2, 1)
        assert result["reasons"] == []

    def test_finished_task_desired_shutdown_with_restart_any_is_a_missing_replica(self):
        swarm = Swarm()
        set_restart(swarm, "any")
        complete(swarm, WEB3, desired="shutdown")
        result = swarm.evaluate()
        assert (result["converged"], result["replicas_running"], result["replicas_done"]) == (False, 2, 0)
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]

    def test_finished_task_desired_shutdown_on_the_previous_spec_is_not_done(self):
        swarm = Swarm()
        complete(swarm, WEB3, desired="shutdown")["Spec"] = copy.deepcopy(swarm.web["PreviousSpec"]["TaskTemplate"])
        result = swarm.evaluate()
        assert (result["converged"], result["replicas_done"]) == (False, 0)
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]

    def test_non_zero_exit_desired_shutdown_is_not_done(self):
        swarm = Swarm()
        task = complete(swarm, WEB3, exit_code=1)
        assert task["DesiredState"] == "shutdown"
        result = swarm.evaluate()
        assert (result["converged"], result["replicas_done"]) == (False, 0)
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]

    @pytest.mark.parametrize("desired", ["remove", "REMOVE", "Remove"])
    def test_scaled_away_done_task_is_not_done(self, desired):
        # web.3 completed, and Swarm took its slot away
        swarm = Swarm()
        complete(swarm, WEB3)["DesiredState"] = desired
        result = swarm.evaluate()
        assert (result["converged"], result["replicas_running"], result["replicas_done"]) == (False, 2, 0)
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]

    def test_scaled_down_from_3_to_2(self):
        # demo_web scaled down to 2 replicas: the completed web.3 Swarm removes is not counted done
        swarm = Swarm()
        swarm.web["Spec"]["Mode"]["Replicated"]["Replicas"] = 2
        complete(swarm, WEB3, desired="remove")
        result = swarm.evaluate()
        assert (result["replicas_wanted"], result["replicas_running"], result["replicas_done"]) == (2, 2, 0)
        assert (result["converged"], result["reasons"]) == (True, [])

    def test_scaled_away_done_tasks_do_not_fill_missing_replicas(self):
        # two running, one completed then removed: one replica is still missing
        swarm = Swarm()
        swarm.drop_task(WEB2)
        complete(swarm, WEB3, desired="remove")
        result = swarm.evaluate()
        assert result["reasons"] == ["1 of 3 tasks running and healthy"]
        assert (result["replicas_running"], result["replicas_done"]) == (1, 0)

    def test_non_zero_exit_fails_through_the_attempt(self):
        # the attempt began after slot 2's failed task was created (04:09:02), before web.3 was (04:09:49)
        swarm = Swarm()
        failed = complete(swarm, WEB3, exit_code=1)
        result = swarm.evaluate(attempt_since=CREATED_WEB2_FAILED + 5)
        assert result["failed"] == f"a task of the new spec failed on manager1, exit code 1: {EXIT_1}"
        assert result["replicas_done"] == 0
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]
        assert WEB3 in [t["id"] for t in result["failing_tasks"]]
        assert failed["Status"]["State"] == "failed"

    def test_non_zero_exit_before_the_attempt_is_only_missing(self):
        swarm = Swarm()
        complete(swarm, WEB3, exit_code=1)
        result = swarm.evaluate(attempt_since=T_WEB1 + 60)
        assert result["failed"] is None
        assert result["reasons"] == ["2 of 3 tasks running and healthy"]


# -- revision failures ---------------------------------------------------------
class TestRevisionFailures:
    def test_unhealthy_exit_137(self):
        # the fixture's history: slot 2's first task of demo-web:1 was killed for being unhealthy
        swarm = Swarm()
        result = swarm.evaluate(attempt_since=DEPLOY)
        assert result["converged"] is False
        assert result["failed"] == UNHEALTHY_ON_WORKER2
        # all three replicas run: only the failure holds the service
        assert result["reasons"] == []
        assert result["replicas_running"] == 3
        assert result["failing_tasks"] == [FAILED_WEB2]

    def test_non_zero_exit(self):
        swarm = Swarm()
        swarm.task(WEB2_FAILED)["Status"].update(Err=EXIT_1)
        swarm.task(WEB2_FAILED)["Status"]["ContainerStatus"]["ExitCode"] = 1
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] == (
            f"a task of the new spec failed on worker2, exit code 1: {EXIT_1}")

    def test_rejected_image_missing(self):
        swarm = Swarm()
        variant = swarm.use_service_variant("demo_web_bad_image")
        swarm.tasks.append(swarm.task_variants["web_rejected"])
        started = parse_timestamp(variant["UpdateStatus"]["StartedAt"])
        result = swarm.evaluate(attempt_since=started)
        assert result["converged"] is False
        assert result["failed"] == NO_IMAGE_ON_WORKER1
        assert result["reasons"] == [
            "0 of 3 tasks running and healthy",
            "3 running task(s) still on the previous spec",
            "update updating",
        ]
        assert result["failing_tasks"] == [REJECTED_WEB1]

    def test_exit_0_of_a_service_not_meant_to_finish(self):
        """Stopped for being unhealthy, an application that handles SIGTERM exits 0: still the revision failing."""
        swarm = Swarm()
        set_restart(swarm, "any")
        status = swarm.task(WEB2_FAILED)["Status"]
        status.update(State="complete", Message="finished")
        del status["Err"]
        status["ContainerStatus"]["ExitCode"] = 0
        result = swarm.evaluate(attempt_since=DEPLOY)
        assert result["failed"] == "a task of the new spec complete on worker2: finished"
        assert [t["id"] for t in result["failing_tasks"]] == [WEB2_FAILED]

    @pytest.mark.parametrize("condition", ["none", "on-failure"])
    def test_exit_0_of_a_service_that_may_finish_is_not_a_failure(self, condition):
        swarm = Swarm()
        set_restart(swarm, condition)
        status = swarm.task(WEB2_FAILED)["Status"]
        status.update(State="complete", Message="finished")
        del status["Err"]
        status["ContainerStatus"]["ExitCode"] = 0
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] is None

    def test_message_without_error_uses_the_status_message(self):
        swarm = Swarm()
        del swarm.task(WEB2_FAILED)["Status"]["Err"]
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] == (
            "a task of the new spec failed on worker2, exit code 137: started")

    @pytest.mark.parametrize("status", [
        pytest.param({"Err": None, "Message": None}, id="null"),
        pytest.param({"Err": "", "Message": ""}, id="empty"),
    ])
    def test_message_without_error_nor_message_has_no_colon(self, status):
        swarm = Swarm()
        swarm.task(WEB2_FAILED)["Status"].update(status)
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] == (
            "a task of the new spec failed on worker2, exit code 137")

    def test_message_without_error_nor_message_exit_code_1(self):
        swarm = Swarm()
        swarm.task(WEB2_FAILED)["Status"].update(Err="")
        del swarm.task(WEB2_FAILED)["Status"]["Message"]
        swarm.task(WEB2_FAILED)["Status"]["ContainerStatus"]["ExitCode"] = 1
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] == "a task of the new spec failed on worker2, exit code 1"

    def test_diagnosis_of_a_failure_without_error_nor_message(self):
        swarm = Swarm()
        swarm.task(WEB2_FAILED)["Status"].update(Err="", Message="")
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW, attempt_since=DEPLOY)
        assert diagnosis(evaluation).splitlines()[0] == (
            "service demo_web: a task of the new spec failed on worker2, exit code 137.")

    @pytest.mark.parametrize("attempt_since, failed", [
        pytest.param(DEPLOY, UNHEALTHY_ON_WORKER2, id="created-after"),
        pytest.param(CREATED_WEB2_FAILED - 30, UNHEALTHY_ON_WORKER2, id="long-after"),
        pytest.param(CREATED_WEB2_FAILED + 0.5, UNHEALTHY_ON_WORKER2, id="within-the-second-of-slack"),
        pytest.param(CREATED_WEB2_FAILED + 1.5, None, id="created-1.5s-before"),
        pytest.param(T_WEB1, None, id="created-a-minute-before"),
        pytest.param(None, None, id="no-attempt"),
    ])
    def test_only_tasks_created_since_the_attempt(self, attempt_since, failed):
        result = Swarm().evaluate(attempt_since=attempt_since)
        assert result["failed"] == failed
        assert result["converged"] is (failed is None)
        # counted or not, the task is reported
        assert [t["id"] for t in result["failing_tasks"]] == [WEB2_FAILED]

    @pytest.mark.parametrize("created", [
        pytest.param(None, id="no-created-at"),
        pytest.param("0001-01-01T00:00:00Z", id="zero-created-at"),
    ])
    def test_without_created_at_the_status_timestamp_counts(self, created):
        # the attempt began at 04:09:30, after the task was created (04:09:02) and before it failed (04:09:37)
        swarm = Swarm()
        since = DEPLOY + 30
        assert swarm.evaluate(attempt_since=since)["failed"] is None
        if created is None:
            del swarm.task(WEB2_FAILED)["CreatedAt"]
        else:
            swarm.task(WEB2_FAILED)["CreatedAt"] = created
        assert swarm.evaluate(attempt_since=since)["failed"] == UNHEALTHY_ON_WORKER2
        assert swarm.evaluate(attempt_since=FAILED_WEB2_AT + 1.5)["failed"] is None

    def test_without_any_timestamp_not_counted(self):
        swarm = Swarm()
        del swarm.task(WEB2_FAILED)["CreatedAt"]
        swarm.task(WEB2_FAILED)["Status"]["Timestamp"] = "0001-01-01T00:00:00Z"
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] is None

    @pytest.mark.parametrize("node_state", ["down", "unknown", "disconnected"])
    def test_on_a_node_that_is_not_up_not_counted(self, node_state):
        # lost with its node: not the revision's fault; its replacement is waited for
        swarm = Swarm()
        swarm.node("worker2")["Status"]["State"] = node_state
        result = swarm.evaluate(attempt_since=DEPLOY)
        assert result["failed"] is None
        assert result["reasons"] == ["2 of 3 tasks running and healthy", "1 task(s) on nodes that are down"]

    def test_on_a_drained_node_counted(self):
        # a drained node is up: the task failed by itself
        swarm = Swarm()
        swarm.node("worker2")["Spec"]["Availability"] = "drain"
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] == UNHEALTHY_ON_WORKER2

    def test_on_a_node_the_api_no_longer_lists_counted(self):
        swarm = Swarm()
        swarm.task(WEB2_FAILED)["NodeID"] = "gone0node0id0000000000000"
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] == (
            f"a task of the new spec failed on gone0node0id0000000000000, exit code 137: {UNHEALTHY}")

    def test_previous_spec_task_not_counted(self):
        swarm = Swarm()
        swarm.task(WEB2_FAILED)["Spec"] = copy.deepcopy(swarm.web["PreviousSpec"]["TaskTemplate"])
        result = swarm.evaluate(attempt_since=DEPLOY)
        assert (result["failed"], result["converged"], result["failing_tasks"]) == (None, True, [])

    @pytest.mark.parametrize("state", ["shutdown", "orphaned", "remove"])
    def test_other_end_states_not_counted(self, state):
        # stopped by Swarm (an update, a scale-down, a lost node): reported, not the revision's failure
        swarm = Swarm()
        swarm.task(WEB2_FAILED)["Status"]["State"] = state
        result = swarm.evaluate(attempt_since=DEPLOY)
        assert (result["failed"], result["converged"]) == (None, True)
        assert [t["id"] for t in result["failing_tasks"]] == [WEB2_FAILED]

    def test_rejected_counted(self):
        swarm = Swarm()
        swarm.task(WEB2_FAILED)["Status"].update(State="rejected", Err=NO_IMAGE)
        del swarm.task(WEB2_FAILED)["Status"]["ContainerStatus"]
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] == (
            f"a task of the new spec rejected on worker2: {NO_IMAGE}")

    def test_the_first_failure_is_named(self):
        swarm = Swarm()
        later = clone_task(swarm, WEB2_FAILED, "w7m1xq5yb9d3kz0ce4hs8ua2p", state="failed", desired="shutdown",
                           timestamp="2026-11-27T04:09:44.108316553Z", created="2026-11-27T04:09:40.5Z",
                           exit_code=1, err=EXIT_1, node="worker1", slot=1, message="started")
        swarm.tasks.append(later)
        result = swarm.evaluate(attempt_since=DEPLOY)
        assert result["failed"] == UNHEALTHY_ON_WORKER2
        assert [t["id"] for t in result["failing_tasks"]] == ["w7m1xq5yb9d3kz0ce4hs8ua2p", WEB2_FAILED]
        # once the first is older than the attempt, the later one is named
        assert swarm.evaluate(attempt_since=DEPLOY + 20)["failed"] == (
            f"a task of the new spec failed on worker1, exit code 1: {EXIT_1}")

    @pytest.mark.parametrize("state, message, failed", [
        ("paused", f"update paused due to failure or early termination of task {WEB2_FAILED}",
         f"update paused: update paused due to failure or early termination of task {WEB2_FAILED}"),
        ("rollback_paused", "rollback paused", "update rollback_paused: rollback paused"),
        ("rollback_started", f"update rolled back due to failure or early termination of task {WEB2_FAILED}",
         "Swarm rolled the update back (rollback_started): update rolled back due to failure or early termination"
         f" of task {WEB2_FAILED}"),
        ("rollback_completed", "rollback completed",
         "Swarm rolled the update back (rollback_completed): rollback completed"),
    ])
    def test_swarm_s_own_verdict_comes_first(self, state, message, failed):
        swarm = Swarm()
        swarm.web["UpdateStatus"] = {"State": state, "StartedAt": "2026-11-27T04:09:20.481917301Z", "Message": message}
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] == failed

    def test_accept_rollback_after_swarm_rolled_back(self):
        # Swarm rolled back to demo-web:1; the attempted spec (DEMO_REVISION=3) failed its health check
        swarm = Swarm()
        swarm.web["UpdateStatus"] = {"State": "rollback_completed", "Message": "rollback completed",
                                     "StartedAt": "2026-11-27T04:09:40.5Z"}
        swarm.task(WEB2_FAILED)["Spec"]["ContainerSpec"]["Env"] = ["DEMO_REVISION=3"]
        result = swarm.evaluate(attempt_since=DEPLOY, accept_rollback=True)
        assert (result["converged"], result["failed"], result["reasons"]) == (True, None, [])
        # the attempt's failed task is still named
        assert [t["id"] for t in result["failing_tasks"]] == [WEB2_FAILED]
        assert result["failing_tasks"][0]["current_spec"] is False
        # without accept_rollback, the rollback is the failure
        assert swarm.evaluate(attempt_since=DEPLOY)["failed"] == (
            "Swarm rolled the update back (rollback_completed): rollback completed")

    def test_accept_rollback_but_the_restored_spec_fails(self):
        swarm = Swarm()
        swarm.web["UpdateStatus"] = {"State": "rollback_completed", "Message": "rollback completed",
                                     "StartedAt": "2026-11-27T04:09:40.5Z"}
        result = swarm.evaluate(attempt_since=DEPLOY, accept_rollback=True)
        assert (result["converged"], result["failed"]) == (False, UNHEALTHY_ON_WORKER2)

    def test_through_evaluate_services(self):
        swarm = Swarm()
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW, attempt_since=DEPLOY)
        assert evaluation["converged"] is False
        assert [(r["name"], r["failed"]) for r in evaluation["failed"]] == [("demo_web", UNHEALTHY_ON_WORKER2)]
        assert diagnosis(evaluation) == "\n".join([
            f"service demo_web: {UNHEALTHY_ON_WORKER2}.",
            f"  task nfhulh1gt6je slot 2 on worker2 (ready): failed, exit code 137: {UNHEALTHY}",
        ])


# -- min_healthy_time: per service, and a clock per task -----------------------
class ReadOnlyTimes(Mapping):
    """A Mapping that is not a dict."""

    def __init__(self, times):
        self._times = dict(times)

    def __getitem__(self, key):
        return self._times[key]

    def __iter__(self):
        return iter(self._times)

    def __len__(self):
        return len(self._times)


class TestMinHealthyTimePerService:
    def test_mapping(self):
        # at T_WEB1 + 8: web.1 has run 8s, web.3 13.82s, web.2 20.22s; one agent task started 5s ago
        swarm = Swarm()
        now = T_WEB1 + 8
        agent_task = next(t for t in swarm.tasks if t["ServiceID"] == AGENT_ID and t["NodeID"] == NODE_ID["worker1"])
        agent_task["Status"]["Timestamp"] = iso(now - 5)
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, now, {"demo_web": 15})
        web, agent = (next(r for r in evaluation["services"] if r["name"] == n) for n in ("demo_web", "demo_agent"))
        assert web["reasons"] == ["1 of 3 tasks running and healthy", "2 task(s) healthy for less than 15s"]
        # a service the mapping does not name gets the floor
        assert agent["reasons"] == ["4 of 5 tasks running and healthy", "1 task(s) healthy for less than 10s"]
        assert {n: s["min_healthy_time"] for n, s in summary(evaluation).items()} == {
            "demo_agent": MIN_HEALTHY_FLOOR, "demo_web": 15}

    @pytest.mark.parametrize("mapping", [
        pytest.param(MappingProxyType({"demo_web": 15}), id="mapping-proxy"),
        pytest.param(ReadOnlyTimes({"demo_web": 15}), id="a-mapping-not-a-dict"),
    ])
    def test_any_mapping(self, mapping):
        # as test_mapping: 15s for demo_web, the floor for demo_agent (all its tasks ran long enough)
        swarm = Swarm()
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, T_WEB1 + 8, mapping)
        web, agent = (next(r for r in evaluation["services"] if r["name"] == n) for n in ("demo_web", "demo_agent"))
        assert web["reasons"] == ["1 of 3 tasks running and healthy", "2 task(s) healthy for less than 15s"]
        assert (agent["converged"], agent["min_healthy_time"]) == (True, MIN_HEALTHY_FLOOR)
        assert {n: s["min_healthy_time"] for n, s in summary(evaluation).items()} == {
            "demo_agent": MIN_HEALTHY_FLOOR, "demo_web": 15}

    def test_mapping_proxy_through_the_wait(self):
        fake = FakeTime()
        fake.wall_clock = lambda: T_WEB1 + 2 + fake.now
        result, reads = wait(fake, [state_healthy()], poll_interval=1.0,
                             min_healthy_time=lambda services: MappingProxyType({"demo_web": 4.5, "demo_agent": 0}))
        assert (result.converged, reads) == (True, 4)
        assert {n: s["min_healthy_time"] for n, s in summary(result.evaluation).items()} == {
            "demo_agent": 0, "demo_web": 4.5}

    def test_mapping_per_service(self):
        swarm = Swarm()
        now = T_WEB1 + 8
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, now,
                                       {"demo_web": 7.5, "demo_agent": 0})
        assert evaluation["converged"] is True
        assert {n: s["min_healthy_time"] for n, s in summary(evaluation).items()} == {
            "demo_agent": 0, "demo_web": 7.5}

    def test_empty_mapping_is_the_floor_for_all(self):
        swarm = Swarm()
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, T_WEB1 + 8, {})
        web = next(r for r in evaluation["services"] if r["name"] == "demo_web")
        assert web["reasons"] == ["2 of 3 tasks running and healthy", "1 task(s) healthy for less than 10s"]
        assert web["min_healthy_time"] == MIN_HEALTHY_FLOOR

    def test_seconds_for_all(self):
        swarm = Swarm()
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, T_WEB1 + 8, 14)
        assert {n: s["min_healthy_time"] for n, s in summary(evaluation).items()} == {"demo_agent": 14,
                                                                                      "demo_web": 14}
        web = next(r for r in evaluation["services"] if r["name"] == "demo_web")
        assert web["reasons"] == ["1 of 3 tasks running and healthy", "2 task(s) healthy for less than 14s"]

    def test_summary_of_a_done_task(self):
        swarm = Swarm()
        complete(swarm, WEB3)
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW, {"demo_web": 30})
        assert summary(evaluation)["demo_web"] == {
            "replicas_wanted": 3, "replicas_running": 2, "replicas_done": 1, "min_healthy_time": 30,
            "image": "swarmops/demo-web:1", "update_state": "completed", "converged": True}


REPLACEMENT = "r3p1ac3d0t4sk0s10t3000000"


class TestReplacedTaskRestartsItsClock:
    def replaced(self, running_since):
        """web.3 was killed for being unhealthy; its replacement in slot 3 runs since ``running_since``."""
        swarm = Swarm()
        old = swarm.task(WEB3)
        old["DesiredState"] = "shutdown"
        old["Status"].update(State="failed", Err=UNHEALTHY, Timestamp=iso(running_since - 12))
        old["Status"]["ContainerStatus"]["ExitCode"] = 137
        swarm.tasks.append(clone_task(swarm, WEB3, REPLACEMENT, state="running", desired="running",
                                      timestamp=iso(running_since), created=iso(running_since - 10)))
        return swarm

    @pytest.mark.parametrize("running_for, reasons", [
        (12, ["2 of 3 tasks running and healthy", "1 task(s) healthy for less than 30s"]),
        (29.5, ["2 of 3 tasks running and healthy", "1 task(s) healthy for less than 30s"]),
        (30.5, []),
    ])
    def test_replacement_counts_from_its_own_start(self, running_for, reasons):
        # the old web.3 ran for minutes: that does not count for its replacement
        swarm = self.replaced(NOW - running_for)
        result = swarm.evaluate(min_healthy_time=30)
        assert result["reasons"] == reasons
        assert [t["id"] for t in result["failing_tasks"]] == [WEB3, WEB2_FAILED]

    def test_wait_follows_the_replacement(self):
        # poll 1: web.3 starting; from poll 2 on, its replacement runs since NOW + 5 and must run 12s
        fake = FakeTime()
        later = self.replaced(NOW + 5).read()
        result, reads = wait(fake, [state_starting(), later], poll_interval=5.0, min_healthy_time=12)
        assert (result.converged, result.failed, result.elapsed) == (True, False, 20.0)
        assert reads == 5
        assert fake.sleeps == [5.0, 5.0, 5.0, 5.0]


# -- failing_tasks -------------------------------------------------------------
class TestFailingTasks:
    def test_of_services_not_converged(self):
        swarm = Swarm()
        swarm.replace_task(WEB3, swarm.task_variants["web_starting"])
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW)
        assert failing_tasks(evaluation) == [dict(FAILED_WEB2, service="demo_web")]

    def test_history_of_converged_services_left_out(self):
        swarm = Swarm()
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW)
        assert evaluation["services"][1]["failing_tasks"] == [FAILED_WEB2]
        assert failing_tasks(evaluation) == []

    def test_revision_failure_with_its_container(self):
        swarm = Swarm()
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW, attempt_since=DEPLOY)
        [task] = failing_tasks(evaluation)
        assert (task["service"], task["id"], task["node"], task["container_id"], task["state"], task["exit_code"],
                task["error"], task["message"]) == (
            "demo_web", WEB2_FAILED, "worker2", "49d1d27c4383627b3bad2617be7828d4850f9215854b4e1d0b3144f2b3fc6af2",
            "failed", 137, UNHEALTHY, "started")

    def test_several_services(self):
        swarm = Swarm()
        add_job(swarm, {"ReplicatedJob": {"TotalCompletions": 2}})
        swarm.use_service_variant("demo_web_bad_image")
        swarm.tasks.append(swarm.task_variants["web_rejected"])
        failed = job_task(swarm, 1, node="manager2", state="failed", exit_code=3, err="task: non-zero exit (3)")
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW)
        assert [(t["service"], t["id"]) for t in failing_tasks(evaluation)] == [
            ("demo_migrate", failed["ID"]), ("demo_web", REJECTED)]
        assert failing_tasks(evaluation)[1] == dict(REJECTED_WEB1, service="demo_web")

    def test_unschedulable_task_first(self):
        swarm = Swarm()
        swarm.use_service_variant("demo_web_unplaceable")
        swarm.tasks.append(swarm.task_variants["web_pending"])
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW)
        assert failing_tasks(evaluation) == [dict(PENDING_WEB1, service="demo_web")]

    def test_does_not_change_the_evaluation(self):
        swarm = Swarm()
        swarm.replace_task(WEB3, swarm.task_variants["web_starting"])
        evaluation = evaluate_services(swarm.services, swarm.tasks, swarm.nodes, NOW)
        failing_tasks(evaluation)[0]["node"] = "changed"
        assert "service" not in evaluation["services"][1]["failing_tasks"][0]
        assert evaluation["services"][1]["failing_tasks"] == [FAILED_WEB2]


class TestDescribeTaskContainer:
    def test_container_id(self):
        swarm = Swarm()
        nodes_by_id = {n["ID"]: n for n in swarm.nodes}
        assert describe_task(swarm.task(WEB1), nodes_by_id, swarm.web)["container_id"] == (
            "9072a5e4696e6571704927773efddab7762bbd329837f14508d641fd4516752a")

    @pytest.mark.parametrize("status", [
        pytest.param({"State": "pending"}, id="no-container-status"),
        pytest.param({"State": "preparing", "ContainerStatus": {}}, id="empty-container-status"),
        pytest.param({"State": "preparing", "ContainerStatus": None}, id="null-container-status"),
        pytest.param({"State": "preparing", "ContainerStatus": {"ContainerID": None, "ExitCode": 0}}, id="null-id"),
    ])
    def test_no_container_yet(self, status):
        task = {"ID": "t1", "Status": status}
        assert describe_task(task, {})["container_id"] == ""


# -- wait_for_convergence: remembered failures, per-service times --------------
def state_failure_gone():
    """The failed task of slot 2 has left the task history (Swarm keeps a few per slot)."""
    swarm = Swarm()
    swarm.drop_task(WEB2_FAILED)
    return swarm.read()


def state_starting_with_task(task_state):
    """web.3 starting, and slot 1 with a task of the current spec that ended in ``task_state``, exit 137."""
    swarm = Swarm()
    swarm.replace_task(WEB3, swarm.task_variants["web_starting"])
    swarm.tasks.append(clone_task(swarm, WEB2_FAILED, "x1f4i1ed0t4sk0s10t1000000", state=task_state,
                                  desired="shutdown", timestamp="2026-11-27T04:11:02.5Z", exit_code=137,
                                  err=UNHEALTHY, node="worker1", slot=1, message="started"))
    return swarm.read()


def web_result(result):
    return next(r for r in result.evaluation["services"] if r["name"] == "demo_web")


class TestWaitRemembersFailures:
    def test_failure_stops_the_wait_at_once(self):
        fake = FakeTime()
        result, reads = wait(fake, [state_healthy()], attempt_since=DEPLOY)
        assert (result.converged, result.failed, result.elapsed, reads) == (False, True, 0.0, 1)
        assert [r["failed"] for r in result.evaluation["failed"]] == [UNHEALTHY_ON_WORKER2]

    def test_failure_gone_from_the_next_read_is_remembered(self):
        fake = FakeTime()
        result, reads = wait(fake, [state_healthy(), state_failure_gone()], timeout=10.0, attempt_since=DEPLOY,
                             stop_on_failure=False)
        assert (result.converged, result.failed, result.elapsed, reads) == (False, False, 10.0, 3)
        assert web_result(result)["failed"] == UNHEALTHY_ON_WORKER2
        assert web_result(result)["failing_tasks"] == [FAILED_WEB2]
        assert failing_tasks(result.evaluation) == [dict(FAILED_WEB2, service="demo_web")]

    def test_without_the_first_read_it_converges(self):
        # the same later state, never having seen the failure
        fake = FakeTime()
        result, reads = wait(fake, [state_failure_gone()], attempt_since=DEPLOY)
        assert (result.converged, result.failed, reads) == (True, False, 1)

    def test_remembered_task_not_doubled_while_it_is_read(self):
        fake = FakeTime()
        result, reads = wait(fake, [state_healthy()], timeout=10.0, attempt_since=DEPLOY, stop_on_failure=False)
        assert reads == 3
        assert [t["id"] for t in web_result(result)["failing_tasks"]] == [WEB2_FAILED]

    def test_the_newest_read_of_a_task_is_remembered(self):
        # read 1 and 2 show slot 1's failed task (the engine filled in its error by read 2); read 3 no longer does
        first = state_starting_with_task("failed")
        second = copy.deepcopy(first)
        task = next(t for t in second[1] if t["ID"] == "x1f4i1ed0t4sk0s10t1000000")
        task["Status"]["Err"] = "task: non-zero exit (137): dockerexec: unhealthy container (3 failed checks)"
        services, tasks, nodes = copy.deepcopy(second)
        third = (services, [t for t in tasks if t["ID"] != "x1f4i1ed0t4sk0s10t1000000"], nodes)
        fake = FakeTime()
        result, reads = wait(fake, [first, second, third], timeout=10.0, attempt_since=T_WEB1, stop_on_failure=False)
        assert reads == 3
        assert web_result(result)["failed"] == (
            "a task of the new spec failed on worker1, exit code 137:"
            " task: non-zero exit (137): dockerexec: unhealthy container (3 failed checks)")
        assert [t["id"] for t in web_result(result)["failing_tasks"]] == ["x1f4i1ed0t4sk0s10t1000000", WEB2_FAILED]

    @pytest.mark.parametrize("task_state, remembered", [
        ("failed", True),
        ("rejected", True),
        ("shutdown", False),
        ("orphaned", False),
    ])
    def test_only_failed_and_rejected_are_remembered(self, task_state, remembered):
        fake = FakeTime()
        result, reads = wait(fake, [state_starting_with_task(task_state), state_healthy()])
        # no attempt to judge: remembered failures are reported only, and the wait converges
        assert (result.converged, reads) == (True, 2)
        expected = (["x1f4i1ed0t4sk0s10t1000000"] if remembered else []) + [WEB2_FAILED]
        assert [t["id"] for t in web_result(result)["failing_tasks"]] == expected

    def test_remembered_failure_fails_a_later_read(self):
        # read 1: a task of the new spec failed while web.3 starts (stop_on_failure off to see read 2)
        fake = FakeTime()
        result, reads = wait(fake, [state_starting_with_task("failed"), state_failure_gone()], timeout=5.0,
                             attempt_since=T_WEB1, stop_on_failure=False)
        assert reads == 2
        assert web_result(result)["failed"] == f"a task of the new spec failed on worker1, exit code 137: {UNHEALTHY}"
        assert web_result(result)["reasons"] == []


class TestWaitMinHealthyTime:
    def test_callable(self):
        # wall clock starts 2s after web.1 started: 4.5s for demo_web, the floor (10s) for demo_agent
        fake = FakeTime()
        fake.wall_clock = lambda: T_WEB1 + 2 + fake.now
        seen = []

        def healthy_times(services):
            seen.append([service_name(s) for s in services])
            return {"demo_web": 4.5}

        result, reads = wait(fake, [state_healthy()], poll_interval=1.0, min_healthy_time=healthy_times)
        assert result.converged is True
        assert reads == 4
        assert seen == [["demo_web", "demo_agent"]] * 4
        assert {n: s["min_healthy_time"] for n, s in summary(result.evaluation).items()} == {
            "demo_agent": MIN_HEALTHY_FLOOR, "demo_web": 4.5}

    def test_callable_gets_each_read_s_services(self):
        fake = FakeTime()
        with_job = Swarm()
        add_job(with_job, {"ReplicatedJob": {"TotalCompletions": 1}})
        job_task(with_job, 1)
        seen = []

        def healthy_times(services):
            seen.append(sorted(service_name(s) for s in services))
            return {}

        result, reads = wait(fake, [state_starting(), with_job.read()], min_healthy_time=healthy_times)
        assert (result.converged, reads) == (True, 2)
        assert seen == [["demo_agent", "demo_web"], ["demo_agent", "demo_migrate", "demo_web"]]

    def test_mapping(self):
        fake = FakeTime()
        fake.wall_clock = lambda: T_WEB1 + 2 + fake.now
        result, reads = wait(fake, [state_healthy()], poll_interval=1.0,
                             min_healthy_time={"demo_web": 4.5, "demo_agent": 0})
        assert (result.converged, reads) == (True, 4)

    def test_callable_mapping_with_a_long_time_times_out(self):
        fake = FakeTime()
        fake.wall_clock = lambda: T_WEB1 + 2 + fake.now
        result, _reads = wait(fake, [state_healthy()], timeout=6.0, poll_interval=2.0,
                              min_healthy_time=lambda services: {"demo_web": 50})
        assert (result.converged, result.failed, result.elapsed) == (False, False, 6.0)
        # web.1 has run 8s, web.3 13.82s, web.2 20.22s: none 50s yet
        assert web_result(result)["reasons"] == [
            "0 of 3 tasks running and healthy", "3 task(s) healthy for less than 50s"]
