# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the one observation of the hosts and the choice of a manager (``_swarm_observe``).

The ``.Swarm`` objects are those of ``fixtures/swarm_nodes.json`` (a manager,
a worker and an inactive host of the 5-node lab), wrapped as
community.docker's docker_host_info returns them (``host_info.Swarm``).
"""

from __future__ import annotations

import copy
import json
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_observe import (
    choose_manager,
    explain,
    has_quorum,
    host_swarm,
    manager_lost,
    not_root,
    manager_refusal,
    managers_left,
    qualifying_managers,
    role_of,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_nodes.json"
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))

NO_LEADER = "rpc error: code = Unknown desc = The swarm does not have a leader."
MANAGERS = ["manager1", "manager2", "manager3"]

# What steps delegated to a manager register, one loop item each (without the loop variables).
ANSWERED = {"changed": True, "failed": False}
REFUSED = {"changed": False, "failed": True, "msg": "Refusing the drain: worker1 runs the last replica of demo_web"}
UNREACHABLE = {
    "changed": False,
    "unreachable": True,
    "msg": "Failed to connect to the host via ssh: ssh: connect to host 10.0.0.11 port 22: Connection timed out",
}
DIED = {
    "changed": False,
    "failed": True,
    "msg": "MODULE FAILURE\nSee stdout/stderr for the exact error",
    "module_stdout": "",
    "module_stderr": "Killed\n",
    "rc": 137,
}
LEADERLESS = {"changed": False, "failed": True, "msg": f"Error while draining worker1: {NO_LEADER}"}
CONNECTING = "Error connecting: Error while fetching server API version: ('Connection aborted.', FileNotFoundError(2))"
NOT_MANAGER = ('This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node '
               'to swarm and try again.')


def manager(**change) -> dict:
    return dict(copy.deepcopy(DATA["swarm_info"]["manager"]), **change)


def worker() -> dict:
    return copy.deepcopy(DATA["swarm_info"]["worker"])


def inactive() -> dict:
    return copy.deepcopy(DATA["swarm_info"]["inactive"])


def result(swarm: dict) -> dict:
    """A docker_host_info result as registered."""
    return {"changed": False, "failed": False, "can_talk_to_docker": True, "host_info": {"Swarm": swarm}}


class TestHostSwarm:
    def test_the_swarm_section(self):
        assert host_swarm(result(manager())) == manager()

    @pytest.mark.parametrize("observed", [
        pytest.param(None, id="not-observed"),
        pytest.param({"unreachable": True, "msg": "Failed to connect"}, id="unreachable"),
        pytest.param({"failed": True, "can_talk_to_docker": False, "msg": "Error connecting"}, id="engine-down"),
        pytest.param({"failed": False, "can_talk_to_docker": False, "msg": "Error connecting"}, id="engine-down-ignored"),
        pytest.param({"failed": False, "can_talk_to_docker": True}, id="no-host-info"),
        pytest.param("manager", id="not-a-result"),
    ])
    def test_no_answer(self, observed):
        assert host_swarm(observed) is None

    def test_skipped_is_in_no_swarm(self):
        # Check mode, before the engine is installed.
        assert host_swarm({"skipped": True, "changed": False}) == {}

    def test_no_swarm_section(self):
        assert host_swarm({"can_talk_to_docker": True, "host_info": {"ID": "x"}}) == {}


class TestRole:
    @pytest.mark.parametrize("swarm, role", [
        pytest.param(manager(), "manager", id="manager"),
        pytest.param(worker(), "worker", id="worker"),
        pytest.param(inactive(), "inactive", id="inactive"),
        pytest.param({}, "inactive", id="empty"),
        pytest.param(manager(LocalNodeState="locked"), "locked", id="locked"),
        pytest.param(manager(LocalNodeState="pending"), "pending", id="pending"),
        pytest.param(None, "unanswered", id="unanswered"),
    ])
    def test_role(self, swarm, role):
        assert role_of(swarm) == role


class TestQuorum:
    def test_a_manager_that_lists_the_nodes(self):
        assert has_quorum(manager())

    @pytest.mark.parametrize("swarm", [
        pytest.param(manager(Error=NO_LEADER, Nodes=0, Managers=0), id="no-leader"),
        pytest.param(manager(Nodes=0), id="no-nodes"),
        pytest.param(manager(Nodes="5"), id="nodes-not-a-count"),
        pytest.param(worker(), id="worker"),
        pytest.param(inactive(), id="inactive"),
        pytest.param(None, id="none"),
    ])
    def test_no_quorum(self, swarm):
        assert not has_quorum(swarm)


class TestRefusal:
    @pytest.mark.parametrize("swarm, quorum, why", [
        pytest.param(manager(), True, None, id="manager"),
        pytest.param(None, True, "does not answer", id="silent"),
        pytest.param(inactive(), True, "is in no swarm", id="inactive"),
        pytest.param(worker(), True, "is a worker", id="worker"),
        pytest.param(manager(LocalNodeState="locked"), True, "is locked in the swarm", id="locked"),
        pytest.param(manager(LocalNodeState="error", Error="boom"), True, "is error in the swarm (boom)", id="error"),
        pytest.param(manager(Error=NO_LEADER, Nodes=0), True, f"is a manager without quorum ({NO_LEADER})", id="no-leader"),
        pytest.param(manager(Error=NO_LEADER, Nodes=0), False, None, id="no-leader-allowed"),
        pytest.param(worker(), False, "is a worker", id="worker-without-quorum-rule"),
    ])
    def test_refusal(self, swarm, quorum, why):
        assert manager_refusal(swarm, quorum=quorum) == why


class TestChooseManager:
    def test_first_candidate_that_qualifies(self):
        swarms = {"manager1": manager(), "manager2": manager()}
        assert choose_manager(["manager1", "manager2"], swarms) == ("manager1", {})

    def test_reasons_of_those_passed_over(self):
        swarms = {"manager2": manager(Error=NO_LEADER, Nodes=0), "worker1": worker(), "manager3": manager()}
        host, reasons = choose_manager(["manager1", "manager2", "worker1", "manager3"], swarms)
        assert host == "manager3"
        assert explain(reasons) == (
            f"manager1 does not answer; manager2 is a manager without quorum ({NO_LEADER}); worker1 is a worker"
        )

    def test_excluded_never_chosen(self):
        host, reasons = choose_manager(["manager1"], {"manager1": manager()}, exclude=["manager1"])
        assert (host, reasons) == (None, {"manager1": "is excluded"})

    def test_avoided_only_when_no_other(self):
        swarms = {"manager1": manager(), "manager2": manager()}
        assert choose_manager(["manager1", "manager2"], swarms, avoid=["manager1"])[0] == "manager2"
        assert choose_manager(["manager1", "manager2"], {"manager1": manager()}, avoid=["manager1"]) == (
            "manager1", {"manager2": "does not answer"})

    def test_recovery_takes_a_manager_without_quorum(self):
        swarms = {"manager1": manager(Error=NO_LEADER, Nodes=0)}
        assert choose_manager(["manager1"], swarms)[0] is None
        assert choose_manager(["manager1"], swarms, quorum=False)[0] == "manager1"

    def test_unobserved(self):
        host, reasons = choose_manager(["manager1", "manager2"], {"manager2": manager()}, unobserved=["manager1"])
        assert (host, reasons) == ("manager2", {"manager1": "was not observed in this play"})

    def test_each_candidate_once(self):
        host, reasons = choose_manager(["manager1", "manager1"], {})
        assert (host, reasons) == (None, {"manager1": "does not answer"})


class TestQualifyingManagers:
    def test_order_kept(self):
        swarms = {"manager1": manager(), "manager2": manager(), "manager3": manager()}
        assert qualifying_managers(["manager3", "manager1", "manager2"], swarms) == (
            ["manager3", "manager1", "manager2"], {})

    def test_refused_with_reasons(self):
        swarms = {
            "manager1": manager(), "manager2": manager(), "manager3": manager(Error=NO_LEADER, Nodes=0),
            "worker1": worker(), "manager5": manager(),
        }
        hosts, reasons = qualifying_managers(
            ["manager1", "manager2", "manager3", "worker1", "manager4", "manager5"], swarms,
            exclude=["manager1"], unobserved=["manager2"])
        assert hosts == ["manager5"]
        assert list(reasons.items()) == [
            ("manager1", "is excluded"),
            ("manager2", "was not observed in this play"),
            ("manager3", f"is a manager without quorum ({NO_LEADER})"),
            ("worker1", "is a worker"),
            ("manager4", "does not answer"),
        ]

    def test_every_refused_one_even_after_the_first_that_qualifies(self):
        # Unlike choose_manager, which keeps only the reasons of those before its choice.
        swarms = {"manager2": manager(), "worker1": worker()}
        candidates = ["manager1", "manager2", "worker1"]
        assert qualifying_managers(candidates, swarms) == (
            ["manager2"], {"manager1": "does not answer", "worker1": "is a worker"})
        assert choose_manager(candidates, swarms) == ("manager2", {"manager1": "does not answer"})

    def test_excluded_before_unobserved(self):
        assert qualifying_managers(["manager1"], {}, exclude=["manager1"], unobserved=["manager1"]) == (
            [], {"manager1": "is excluded"})

    def test_avoided_last(self):
        swarms = {"manager1": manager(), "manager2": manager(), "manager3": manager(), "manager4": manager()}
        hosts, reasons = qualifying_managers(
            ["manager1", "manager2", "manager3", "manager4"], swarms, avoid=["manager3", "manager1"])
        # The avoided ones keep the candidates' order, not avoid's.
        assert (hosts, reasons) == (["manager2", "manager4", "manager1", "manager3"], {})

    def test_avoided_and_refused(self):
        swarms = {"manager2": manager()}
        assert qualifying_managers(["manager1", "manager2"], swarms, avoid=["manager1"]) == (
            ["manager2"], {"manager1": "does not answer"})

    def test_only_the_avoided_one(self):
        assert qualifying_managers(["manager1", "manager2"], {"manager1": manager()}, avoid=["manager1"]) == (
            ["manager1"], {"manager2": "does not answer"})

    def test_without_quorum(self):
        swarms = {"manager1": manager(Error=NO_LEADER, Nodes=0), "worker1": worker()}
        assert qualifying_managers(["manager1", "worker1"], swarms, quorum=False) == (
            ["manager1"], {"worker1": "is a worker"})

    def test_duplicates_once(self):
        swarms = {"manager1": manager(), "manager2": manager()}
        assert qualifying_managers(["manager1", "manager3", "manager2", "manager1", "manager3"], swarms) == (
            ["manager1", "manager2"], {"manager3": "does not answer"})
        assert qualifying_managers(["manager1", "manager2", "manager1"], swarms, avoid=["manager1"]) == (
            ["manager2", "manager1"], {})

    def test_no_candidates(self):
        assert qualifying_managers([], {"manager1": manager()}) == ([], {})


class TestManagerLost:
    @pytest.mark.parametrize("registered, why", [
        pytest.param(ANSWERED, "", id="answered"),
        pytest.param({"changed": False}, "", id="answered-without-failed"),
        pytest.param(REFUSED, "", id="refusal"),
        pytest.param({"failed": True, "msg": "Node worker1 did not drain within 300s"}, "", id="failed-gate"),
        pytest.param({"failed": True}, "", id="failed-without-msg"),
        pytest.param(UNREACHABLE, f"does not answer ({UNREACHABLE['msg']})", id="unreachable"),
        pytest.param({"unreachable": True, "msg": "Failed to connect\nssh: debug1: ..."},
                     "does not answer (Failed to connect)", id="unreachable-first-line"),
        pytest.param({"unreachable": True}, "does not answer (unreachable)", id="unreachable-without-msg"),
        pytest.param(DIED, "died in the middle of the step (rc 137: Killed)", id="module-killed"),
        # The docker connection with pipelining, to a stopped container: the module never started.
        pytest.param({"failed": True, "rc": 1, "module_stdout": "",
                      "module_stderr": "Error response from daemon: Container 1648d0 is not running\n",
                      "msg": "Module result deserialization failed: No start of json char found"},
                     "died in the middle of the step (rc 1: Error response from daemon: Container 1648d0 is not running)",
                     id="container-stopped-pipelining"),
        pytest.param({"failed": True, "msg": "MODULE FAILURE"}, "died in the middle of the step (rc ?)",
                     id="module-failure-without-rc"),
        pytest.param(LEADERLESS, f"could not serve the step (Error while draining worker1: {NO_LEADER})",
                     id="no-leader"),
        pytest.param({"failed": True, "msg": CONNECTING}, f"could not serve the step ({CONNECTING})", id="engine-down"),
        pytest.param({"failed": True, "msg": NOT_MANAGER}, f"could not serve the step ({NOT_MANAGER})",
                     id="not-a-manager"),
        pytest.param({"failed": True, "msg": f"  {NO_LEADER}\nmore detail"}, f"could not serve the step ({NO_LEADER})",
                     id="no-leader-first-line"),
        # ansible-core 2.19 and later: a killed module's output can not be read.
        pytest.param({"failed": True, "rc": 137, "msg": "Module result deserialization failed: Expecting value: line 1"},
                     "died in the middle of the step (rc 137)", id="module-killed-2.19"),
        # The step's failed_when turned failed off for a lost manager: its message still says so.
        pytest.param({"failed": False, "failed_when_result": False, "msg": NO_LEADER},
                     f"could not serve the step ({NO_LEADER})", id="no-leader-after-failed-when"),
        pytest.param({"failed": False, "failed_when_result": False, "rc": 137, "msg": "MODULE FAILURE\nSee stdout"},
                     "died in the middle of the step (rc 137)", id="killed-after-failed-when"),
        pytest.param({"failed": False, "failed_when_result": False, "changed": True}, "", id="answered-after-failed-when"),
        pytest.param({"failed": True, "msg": "CANNOT CONNECT TO THE DOCKER DAEMON at unix:///var/run/docker.sock"},
                     "could not serve the step (CANNOT CONNECT TO THE DOCKER DAEMON at unix:///var/run/docker.sock)",
                     id="any-case"),
    ])
    def test_lost(self, registered, why):
        assert manager_lost(registered) == why

    @pytest.mark.parametrize("registered", [
        pytest.param(None, id="none"),
        pytest.param("unreachable", id="str"),
        pytest.param([UNREACHABLE], id="list"),
    ])
    def test_not_a_result(self, registered):
        assert manager_lost(registered) == ""


class TestNotRoot:
    """site.yml's first play: every host that answers must be root or become root (id -u with become)."""

    @pytest.mark.parametrize("registered, why", [
        pytest.param({"changed": False, "rc": 0, "stdout": "0", "stderr": ""}, "", id="root"),
        pytest.param({"changed": False, "rc": 0, "stdout": "0\n"}, "", id="root-newline"),
        pytest.param({"skipped": True, "changed": False}, "", id="skipped"),
        pytest.param({"rc": 0, "stdout": "1000", "stderr": ""},
                     "runs the tasks as uid 1000, not root: become is off for it (ansible_become false?) or makes it "
                     "another user (become_user)", id="become-off"),
        # sudo wants a password: ansible-core fails the task before the command runs.
        pytest.param({"failed": True, "msg": "Missing sudo password"}, "could not become root (Missing sudo password)",
                     id="sudo-password"),
        pytest.param({"failed": True, "msg": "Timeout (12s) waiting for privilege escalation prompt: \nmore"},
                     "could not become root (Timeout (12s) waiting for privilege escalation prompt:)",
                     id="prompt-timeout"),
        pytest.param({"failed": True, "rc": 1, "module_stderr": "/bin/sh: 1: sudo: not found\n", "msg": ""},
                     "could not become root (/bin/sh: 1: sudo: not found)", id="no-sudo"),
        pytest.param({"failed": True, "rc": 127}, "could not become root (rc 127)", id="rc-only"),
        pytest.param({"unreachable": True, "msg": "ssh: connect to host 192.168.78.31 port 22: No route to host"},
                     "does not answer (ssh: connect to host 192.168.78.31 port 22: No route to host)", id="unreachable"),
        pytest.param(None, "", id="none"),
    ])
    def test_not_root(self, registered, why):
        assert not_root(registered) == why


def tried(*items) -> dict:
    """A step that looped over the managers (loop_var _manager): each item is (host, its result)."""
    return {
        "changed": False,
        "msg": "All items completed",
        "results": [dict(res, ansible_loop_var="_manager", _manager=host) for host, res in items],
    }


class TestManagersLeft:
    def test_unreachable_dropped(self):
        step = tried(("manager1", UNREACHABLE), ("manager2", ANSWERED))
        assert managers_left(step, MANAGERS) == ["manager2", "manager3"]

    def test_leaderless_stays_after_the_one_that_answered(self):
        step = tried(("manager1", LEADERLESS), ("manager2", ANSWERED))
        assert managers_left(step, MANAGERS) == ["manager2", "manager1", "manager3"]

    def test_died_dropped_leaderless_kept(self):
        step = tried(("manager1", DIED), ("manager2", LEADERLESS), ("manager3", ANSWERED))
        assert managers_left(step, MANAGERS + ["manager4"]) == ["manager3", "manager2", "manager4"]

    def test_first_answered(self):
        assert managers_left(tried(("manager1", ANSWERED)), MANAGERS) == MANAGERS

    def test_a_refusal_is_an_answer(self):
        step = tried(("manager1", UNREACHABLE), ("manager2", REFUSED))
        assert managers_left(step, MANAGERS) == ["manager2", "manager3"]

    def test_default_loop_var(self):
        step = {"results": [dict(UNREACHABLE, item="manager1"), dict(ANSWERED, item="manager2")]}
        assert managers_left(step, MANAGERS) == ["manager2", "manager3"]

    @pytest.mark.parametrize("step", [
        pytest.param({"changed": False, "skipped": True, "skipped_reason": "Conditional result was False"},
                     id="skipped"),
        pytest.param({"changed": False, "skipped": True, "skipped_reason": "No items in the list", "results": []},
                     id="skipped-empty-loop"),
        pytest.param({"changed": True, "failed": False}, id="no-results"),
        pytest.param(None, id="not-a-result"),
    ])
    def test_unchanged(self, step):
        managers = list(MANAGERS)
        left = managers_left(step, managers)
        assert left == ["manager1", "manager2", "manager3"]
        assert left is not managers

    def test_all_lost(self):
        step = tried(("manager1", UNREACHABLE), ("manager2", LEADERLESS), ("manager3", DIED))
        with pytest.raises(SwarmOpsError) as excinfo:
            managers_left(step, MANAGERS)
        assert str(excinfo.value) == (
            f"no manager with quorum answered: manager1 does not answer ({UNREACHABLE['msg']}); "
            f"manager2 could not serve the step (Error while draining worker1: {NO_LEADER}); "
            "manager3 died in the middle of the step (rc 137: Killed)"
        )

    def test_nothing_tried(self):
        with pytest.raises(SwarmOpsError) as excinfo:
            managers_left({"changed": False, "results": []}, MANAGERS)
        assert str(excinfo.value) == "no manager with quorum answered: there was no manager to ask"

    def test_duplicates(self):
        managers = ["manager1", "manager2", "manager1", "manager3", "manager2"]
        assert managers_left(tried(("manager1", UNREACHABLE), ("manager2", ANSWERED)), managers) == [
            "manager2", "manager3"]
        assert managers_left(tried(("manager1", LEADERLESS), ("manager2", ANSWERED)), managers) == [
            "manager2", "manager1", "manager3"]
        assert managers_left({"skipped": True}, managers) == ["manager1", "manager2", "manager3"]
