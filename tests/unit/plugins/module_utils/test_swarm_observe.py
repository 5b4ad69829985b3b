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
    manager_refusal,
    role_of,
)

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_nodes.json"
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))

NO_LEADER = "rpc error: code = Unknown desc = The swarm does not have a leader."


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
