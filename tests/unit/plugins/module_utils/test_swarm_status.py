# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the swarm's status report and its metrics (``_swarm_status``).

Built on the convergence tests' fixture (``fixtures/swarm_services.json``: the
demo stack on the 5-node lab swarm, converged, with task history), changed the
way the swarm changes when a node dies, a manager is lost, a task crash-loops.
"""

from __future__ import annotations

import copy
import json
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import evaluate_service, parse_timestamp
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_status import (
    METRICS,
    exposition,
    metrics,
    quorum_report,
    render_text,
    service_report,
    swarm_status,
    task_failures,
)

DATA = json.loads((pathlib.Path(__file__).parent / "fixtures" / "swarm_services.json").read_text(encoding="utf-8"))
WEB2_FAILED = "nfhulh1gt6jeqmjqu8yyhzu8s"  # slot 2's first attempt: failed its health check, exit 137
WEB3 = "czgpxic3uvu8tgm1rhnpt0krq"  # slot 3, running on manager1
WEB3_STARTING = "og6sf02etvtt5e4znrjbfy27m"
T_WEB2_FAILED = parse_timestamp("2026-11-27T04:09:37.46120045Z")
NOW = parse_timestamp("2026-11-27T04:10:01.123456789Z") + 120.0


class Lab:
    def __init__(self):
        data = copy.deepcopy(DATA)
        self.nodes, self.services, self.tasks = data["nodes"], data["services"], data["tasks"]
        self.task_variants = data["task_variants"]

    def node(self, host):
        return next(n for n in self.nodes if n["Description"]["Hostname"] == host)

    def service(self, name):
        return next(s for s in self.services if s["Spec"]["Name"] == name)

    def kill(self, host):
        """What a manager reports soon after a node died: down, and a manager unreachable too."""
        node = self.node(host)
        node["Status"] = {"State": "down", "Addr": node["Status"]["Addr"], "Message": "heartbeat failure"}
        if node.get("ManagerStatus"):
            node["ManagerStatus"]["Reachability"] = "unreachable"
            node["ManagerStatus"].pop("Leader", None)

    def status(self, now=NOW, window=600):
        return swarm_status(self.services, self.tasks, self.nodes, now, window)


def by_name(report):
    return {s["name"]: s for s in report["services"]}


class TestQuorum:
    def test_three_managers_reachable_have_a_margin_of_one(self):
        assert quorum_report(Lab().nodes) == {"managers": 3, "reachable": 3, "quorum": 2, "margin": 1,
                                              "leader": "manager1", "unreachable": []}

    def test_an_unreachable_manager_takes_the_margin_to_zero(self):
        lab = Lab()
        lab.kill("manager2")
        assert quorum_report(lab.nodes)["margin"] == 0
        assert quorum_report(lab.nodes)["unreachable"] == ["manager2"]

    def test_workers_only(self):
        lab = Lab()
        assert quorum_report([lab.node("worker1")])["managers"] == 0


class TestVerdict:
    def test_the_converged_fixture_is_healthy(self):
        report = Lab().status()
        assert report["verdict"] == "healthy", report["reasons"]
        assert report["reasons"] == []
        web = by_name(report)["demo_web"]
        assert (web["desired"], web["running"], web["healthy"]) == (3, 3, 3)
        assert web["tasks_per_node"] == {"manager1": 1, "worker1": 1, "worker2": 1}
        assert web["stack"] == "demo"
        assert web["update_state"] == "completed" and web["rolled_back"] is False
        assert [n["name"] for n in report["nodes"]] == ["manager1", "manager2", "manager3", "worker1", "worker2"]

    def test_a_dead_worker_is_degraded_with_its_tasks_short(self):
        lab = Lab()
        lab.kill("worker1")
        report = lab.status()
        assert report["verdict"] == "degraded"
        assert report["reasons"][0] == "node worker1 is down (heartbeat failure)"
        web = by_name(report)["demo_web"]
        assert web["healthy"] == 2 and web["tasks_on_down_nodes"] == 1
        assert web["verdict"] == "degraded"
        assert any(r.startswith("service demo_web: 2 of 3 healthy") for r in report["reasons"])
        # The global service wants one task fewer: the dead node is no longer eligible.
        agent = by_name(report)["demo_agent"]
        assert agent["desired"] == 4

    def test_a_dead_manager_leaves_no_margin(self):
        lab = Lab()
        lab.kill("manager3")
        report = lab.status()
        assert report["verdict"] == "at_risk"
        assert report["reasons"][0].startswith("no manager to spare: 2 of 3 managers reachable, 2 needed")
        assert "node manager3 is down (heartbeat failure)" in report["reasons"]

    def test_without_a_leader(self):
        lab = Lab()
        lab.node("manager1")["ManagerStatus"].pop("Leader")
        report = lab.status()
        assert report["verdict"] == "at_risk"
        assert "no manager is the Raft leader" in report["reasons"]

    def test_a_service_with_no_healthy_task_is_at_risk(self):
        lab = Lab()
        web_id = lab.service("demo_web")["ID"]
        lab.tasks = [t for t in lab.tasks if not (t["ServiceID"] == web_id and t["Status"]["State"] == "running")]
        report = lab.status()
        assert report["verdict"] == "at_risk"
        assert by_name(report)["demo_web"]["verdict"] == "at_risk"
        assert "service demo_web: 0 of 3 healthy (0 of 3 tasks running and healthy)" in report["reasons"]

    def test_a_task_waiting_for_its_health_check_runs_but_is_not_healthy(self):
        lab = Lab()
        lab.tasks = [lab.task_variants["web_starting"] if t["ID"] == WEB3 else t for t in lab.tasks]
        web = by_name(lab.status())["demo_web"]
        assert (web["running"], web["healthy"], web["verdict"]) == (3, 2, "degraded")

    def test_a_manager_that_is_ready_but_unreachable_degrades(self):
        lab = Lab()
        lab.node("manager2")["ManagerStatus"]["Reachability"] = "unknown"
        report = lab.status()
        assert "manager manager2 is unknown" in report["reasons"]
        assert report["verdict"] == "at_risk"  # and the margin is 0

    def test_a_drained_node_is_planned_not_degraded(self):
        lab = Lab()
        lab.node("worker2")["Spec"]["Availability"] = "drain"
        report = lab.status()
        assert [n["availability"] for n in report["nodes"] if n["name"] == "worker2"] == ["drain"]
        # The global service no longer wants a task there; its task there still runs, so it is not converged.
        assert "node worker2" not in " ".join(report["reasons"])

    def test_a_rolled_back_service_runs_its_previous_spec_and_says_so(self):
        lab = Lab()
        lab.service("demo_web")["UpdateStatus"] = {"State": "rollback_completed", "Message": "rollback completed"}
        web = by_name(lab.status())["demo_web"]
        assert web["rolled_back"] is True and web["verdict"] == "healthy"

    def test_a_paused_update_degrades(self):
        lab = Lab()
        lab.service("demo_web")["UpdateStatus"] = {"State": "paused", "Message": "update paused due to failure"}
        report = lab.status()
        assert report["verdict"] == "degraded"
        assert by_name(report)["demo_web"]["reasons"][0] == "update paused: update paused due to failure"

    def test_no_services(self):
        lab = Lab()
        report = swarm_status([], [], lab.nodes, NOW)
        assert report["verdict"] == "healthy" and report["services"] == []

    @pytest.mark.parametrize("window", [-1, "600", True, float("nan")])
    def test_a_bad_window_is_refused(self, window):
        with pytest.raises(SwarmOpsError, match="failure window"):
            Lab().status(window=window)


class TestFailures:
    def test_the_failed_attempt_is_reported_within_the_window(self):
        lab = Lab()
        web = lab.service("demo_web")
        failures = task_failures(web, lab.tasks, lab.nodes, NOW, 600)
        assert [(f["id"], f["node"], f["exit_code"]) for f in failures] == [(WEB2_FAILED, "worker2", 137)]
        assert "unhealthy container" in failures[0]["error"]

    def test_and_forgotten_after_it(self):
        lab = Lab()
        window = NOW - T_WEB2_FAILED - 1
        assert task_failures(lab.service("demo_web"), lab.tasks, lab.nodes, NOW, window) == []

    def test_a_task_moved_by_a_placement_change_is_no_failure(self):
        lab = Lab()
        moved = copy.deepcopy(next(t for t in lab.tasks if t["ID"] == WEB2_FAILED))
        moved.update(ID="moved")
        moved["Status"].update(State="rejected", Err="assigned node no longer meets constraints")
        lab.tasks.append(moved)
        ids = [f["id"] for f in task_failures(lab.service("demo_web"), lab.tasks, lab.nodes, NOW, 600)]
        assert ids == [WEB2_FAILED]

    def test_a_crash_loop_counts_each_exit(self):
        lab = Lab()
        web = lab.service("demo_web")
        failed = next(t for t in lab.tasks if t["ID"] == WEB2_FAILED)
        for number in range(4):
            task = copy.deepcopy(failed)
            task["ID"] = f"crash{number}"
            # Each attempt is created after the previous one failed (the restart delay), then fails.
            task["CreatedAt"] = "2026-11-27T04:11:0%d.1Z" % number
            task["Status"]["Timestamp"] = "2026-11-27T04:11:0%d.9Z" % number
            task["Status"]["ContainerStatus"]["ExitCode"] = 1
            task["Status"]["Err"] = "task: non-zero exit (1)"
            lab.tasks.append(task)
        failures = by_name(lab.status())["demo_web"]["failures"]
        assert len(failures) == 5
        assert failures[0]["id"] == "crash3"  # newest first
        assert len(task_failures(web, lab.tasks, lab.nodes, NOW, 600)) == 5

    def test_a_task_replaced_before_its_failure_was_reported_lost_its_node_and_is_no_failure(self):
        """A node dies: Swarm replaces its task at once; the node, back, reports the dead container (exit 255)."""
        lab = Lab()
        web = lab.service("demo_web")
        web3 = next(t for t in lab.tasks if t["ID"] == WEB3)
        orphan = copy.deepcopy(web3)
        orphan.update(ID="orphaned", DesiredState="shutdown", CreatedAt="2026-11-27T04:09:00Z")
        orphan["Status"].update(State="failed", Timestamp="2026-11-27T04:11:30Z", Err="task: non-zero exit (255)")
        orphan["Status"]["ContainerStatus"]["ExitCode"] = 255
        lab.tasks.append(orphan)
        assert parse_timestamp(orphan["CreatedAt"]) < parse_timestamp(web3["CreatedAt"]) < parse_timestamp(
            orphan["Status"]["Timestamp"])
        assert "orphaned" not in [f["id"] for f in task_failures(web, lab.tasks, lab.nodes, NOW, 600)]

    @pytest.mark.parametrize("state, exit_code, error", [
        ("failed", 255, "task: non-zero exit (255)"),
        ("rejected", None, "cannot create a swarm scoped network when swarm is not active"),
    ])
    def test_what_a_dead_node_reports_when_it_comes_back_is_no_failure(self, state, exit_code, error):
        lab = Lab()
        web = lab.service("demo_web")
        back = copy.deepcopy(next(t for t in lab.tasks if t["ID"] == WEB2_FAILED))
        back.update(ID="back", CreatedAt="2026-11-27T04:11:00Z")
        back["Status"].update(State=state, Timestamp="2026-11-27T04:11:05Z", Err=error)
        back["Status"]["ContainerStatus"]["ExitCode"] = exit_code
        lab.tasks.append(back)
        assert [f["id"] for f in task_failures(web, lab.tasks, lab.nodes, NOW, 600)] == [WEB2_FAILED]

    def test_a_service_that_exits_zero_by_itself_failed_unless_it_may_finish(self):
        lab = Lab()
        web = lab.service("demo_web")
        done = copy.deepcopy(next(t for t in lab.tasks if t["ID"] == WEB2_FAILED))
        done.update(ID="exited0")
        done["Status"].update(State="complete", Err="")
        done["Status"]["ContainerStatus"]["ExitCode"] = 0
        lab.tasks.append(done)
        web["Spec"]["TaskTemplate"]["RestartPolicy"] = {"Condition": "any"}
        assert "exited0" in [f["id"] for f in task_failures(web, lab.tasks, lab.nodes, NOW, 600)]
        web["Spec"]["TaskTemplate"]["RestartPolicy"] = {"Condition": "on-failure"}
        assert "exited0" not in [f["id"] for f in task_failures(web, lab.tasks, lab.nodes, NOW, 600)]


class TestSameRulesAsTheGate:
    """The report, and the metrics made from it, say what swarm_wait's rule says, fed the same API objects."""

    @pytest.mark.parametrize("change", ["none", "kill_worker1", "starting", "paused", "no_tasks"])
    def test_converged_and_healthy_match_evaluate_service(self, change):
        lab = Lab()
        if change == "kill_worker1":
            lab.kill("worker1")
        elif change == "starting":
            lab.tasks = [lab.task_variants["web_starting"] if t["ID"] == WEB3 else t for t in lab.tasks]
        elif change == "paused":
            lab.service("demo_web")["UpdateStatus"] = {"State": "paused", "Message": "paused"}
        elif change == "no_tasks":
            lab.tasks = []
        report = lab.status()
        samples = {(name, labels.get("service")): value for name, labels, value in metrics(report)
                   if "service" in labels and "node" not in labels}
        for service in lab.services:
            gate = evaluate_service(service, lab.tasks, lab.nodes, NOW, accept_rollback=True)
            name = service["Spec"]["Name"]
            mine = by_name(report)[name]
            assert mine["converged"] == gate["converged"]
            assert mine["desired"] == gate["replicas_wanted"]
            assert mine["healthy"] == gate["replicas_running"] + gate["replicas_previous"] + gate["replicas_settling"]
            assert samples[("swarmops_service_converged", name)] == float(gate["converged"])
            assert samples[("swarmops_service_desired_tasks", name)] == float(gate["replicas_wanted"])
            assert samples[("swarmops_service_healthy_tasks", name)] == float(mine["healthy"])

    def test_a_service_report_alone_matches_the_whole(self):
        lab = Lab()
        web = lab.service("demo_web")
        alone = service_report(web, [t for t in lab.tasks if t["ServiceID"] == web["ID"]], lab.nodes, NOW)
        assert alone == by_name(lab.status())["demo_web"]


class TestMetrics:
    def samples(self, lab):
        return metrics(lab.status())

    def test_node_and_quorum_samples_after_a_manager_died(self):
        lab = Lab()
        lab.kill("manager3")
        samples = {(name, tuple(sorted(labels.items()))): value for name, labels, value in self.samples(lab)}
        assert samples[("swarmops_swarm_quorum_margin", ())] == 0
        assert samples[("swarmops_swarm_verdict", (("verdict", "at_risk"),))] == 1
        assert samples[("swarmops_swarm_verdict", (("verdict", "healthy"),))] == 0
        assert samples[("swarmops_node_state", (("node", "manager3"), ("role", "manager"), ("state", "down")))] == 1
        assert samples[("swarmops_node_state", (("node", "manager3"), ("role", "manager"), ("state", "ready")))] == 0
        assert samples[("swarmops_node_manager_reachable", (("node", "manager3"), ("role", "manager")))] == 0
        assert samples[("swarmops_swarm_leader", (("node", "manager1"),))] == 1

    def test_every_metric_is_declared(self):
        assert {name for name, _labels, _value in self.samples(Lab())} <= set(METRICS)

    def test_exposition_groups_each_metric_under_one_help_and_type(self):
        text = exposition(self.samples(Lab()))
        lines = text.splitlines()
        types = [line.split()[2] for line in lines if line.startswith("# TYPE")]
        assert len(types) == len(set(types))
        # Every sample line follows its metric's TYPE line, with no other metric between.
        current = None
        for line in lines:
            if line.startswith("# TYPE"):
                current = line.split()[2]
            elif not line.startswith("#"):
                assert line.split("{")[0].split(" ")[0] == current, line
        assert 'swarmops_service_healthy_tasks{mode="replicated",service="demo_web",stack="demo"} 3' in lines
        assert text.endswith("\n")

    def test_labels_are_escaped_and_values_formatted(self):
        text = exposition([("swarmops_swarm_managers", {"x": 'a"b\\c\nd'}, 1.5),
                           ("swarmops_swarm_quorum", {}, float("inf"))])
        assert 'swarmops_swarm_managers{x="a\\"b\\\\c\\nd"} 1.5' in text
        assert "swarmops_swarm_quorum +Inf" in text

    def test_a_bad_metric_name_is_refused(self):
        with pytest.raises(SwarmOpsError, match="not a metric name"):
            exposition([("bad name", {}, 1.0)])


class TestText:
    def test_the_report_reads_as_lines(self):
        lab = Lab()
        lab.kill("worker1")
        lines = render_text(lab.status())
        assert lines[0] == "swarm: DEGRADED"
        assert lines[1] == "managers: 3 of 3 reachable, quorum 2, margin 1, leader manager1"
        assert "  ! node worker1 is down (heartbeat failure)" in lines
        web = next(line for line in lines if line.strip().startswith("demo_web"))
        assert "desired 3, running 2, healthy 2" in web and "update completed" in web
        assert any("failed on worker2" in line and "exit 137" in line for line in lines)


class TestMinHealthyTime:
    """The exporter's --min-healthy-time: swarm_wait's rule for when a task counts as healthy."""

    def test_a_task_running_for_less_than_the_time_is_running_not_healthy(self):
        lab = Lab()
        web3 = next(t for t in lab.tasks if t["ID"] == WEB3)
        since = parse_timestamp(web3["Status"]["Timestamp"])
        report = swarm_status(lab.services, lab.tasks, lab.nodes, since + 4, 600, min_healthy_time=10)
        web = by_name(report)["demo_web"]
        started = [parse_timestamp(t["Status"]["Timestamp"]) for t in lab.tasks
                   if t["ServiceID"] == lab.service("demo_web")["ID"] and t["DesiredState"] == "running"]
        assert (web["desired"], web["running"]) == (3, 3), web
        assert web["healthy"] == sum(since + 4 - start >= 10 for start in started) < 3, web
        assert report["verdict"] == "degraded"
        later = by_name(swarm_status(lab.services, lab.tasks, lab.nodes, max(started) + 10, 600, min_healthy_time=10))
        assert (later["demo_web"]["running"], later["demo_web"]["healthy"]) == (3, 3)

    def test_without_it_a_running_task_is_healthy_at_once(self):
        lab = Lab()
        web3 = next(t for t in lab.tasks if t["ID"] == WEB3)
        since = parse_timestamp(web3["Status"]["Timestamp"])
        web = by_name(swarm_status(lab.services, lab.tasks, lab.nodes, since + 1, 600))["demo_web"]
        assert web["healthy"] == 3

    @pytest.mark.parametrize("bad", [-1, float("nan"), True, "10"])
    def test_a_bad_time_is_refused(self, bad):
        lab = Lab()
        with pytest.raises(SwarmOpsError, match="the minimum healthy time must be a number of seconds"):
            swarm_status(lab.services, lab.tasks, lab.nodes, NOW, 600, min_healthy_time=bad)
