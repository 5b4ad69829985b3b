# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the swarm_hosts, swarm_manager, swarm_manager_lost, swarm_managers_left, swarm_not_root and swarm_role filters,
the wrappers of ``_swarm_observe``.

``hostvars`` is a plain mapping here, shaped as Ansible's: host to its
variables, the observation under ``docker_engine_observed``.
"""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter.swarm_observe import (
    FilterModule,
    swarm_hosts,
    swarm_manager,
    swarm_manager_lost,
    swarm_managers_left,
    swarm_not_root,
    swarm_role,
    swarm_unobserved,
)
from ansible_collections.swarmops.ha.tests.unit.plugins.module_utils.test_swarm_observe import (
    ANSWERED,
    LEADERLESS,
    NO_LEADER,
    REFUSED,
    UNREACHABLE,
    manager,
    result,
    tried,
    worker,
)

MANAGERS = ["manager1", "manager2", "manager3"]


def hostvars(**observed) -> dict:
    return {host: ({"docker_engine_observed": value} if value is not None else {}) for host, value in observed.items()}


LAB = hostvars(
    manager1={"unreachable": True, "msg": "Failed to connect"},
    manager2=result(manager(Error=NO_LEADER, Nodes=0)),
    manager3=result(manager()),
    worker1=result(worker()),
    worker2=None,
)


class TestFilters:
    def test_registered(self):
        assert FilterModule().filters() == {
            "swarm_hosts": swarm_hosts, "swarm_manager": swarm_manager, "swarm_manager_lost": swarm_manager_lost,
            "swarm_managers_left": swarm_managers_left, "swarm_not_root": swarm_not_root, "swarm_role": swarm_role,
            "swarm_unobserved": swarm_unobserved}

    def test_unobserved(self):
        # An unreachable host was observed (as not answering); one without the variable, or not in hostvars, was not.
        assert swarm_unobserved(LAB, ["manager1", "worker2", "elsewhere", "manager3"]) == ["worker2", "elsewhere"]
        assert swarm_unobserved(LAB, MANAGERS) == []
        assert swarm_unobserved(LAB, "worker2") == ["worker2"]
        with pytest.raises(AnsibleFilterError, match="hosts must be a list"):
            swarm_unobserved(LAB, [1])

    def test_hosts(self):
        assert swarm_hosts(LAB, ["manager1", "manager3", "worker2", "elsewhere"]) == {
            "manager1": None, "manager3": manager(), "worker2": None, "elsewhere": None}

    def test_manager_with_reasons(self):
        assert swarm_manager(LAB, MANAGERS) == {
            "host": "manager3",
            "why": f"manager1 does not answer; manager2 is a manager without quorum ({NO_LEADER})",
            "hosts": ["manager3"],
        }

    def test_none_qualifies(self):
        assert swarm_manager(LAB, MANAGERS + ["worker1", "worker2"], exclude="manager3") == {
            "host": "",
            "why": (f"manager1 does not answer; manager2 is a manager without quorum ({NO_LEADER}); "
                    "manager3 is excluded; worker1 is a worker; worker2 was not observed in this play"),
            "hosts": [],
        }

    def test_without_quorum_for_a_recovery(self):
        assert swarm_manager(LAB, MANAGERS, quorum="no")["host"] == "manager2"
        assert swarm_manager(LAB, MANAGERS, quorum="no")["hosts"] == ["manager2", "manager3"]

    def test_avoid(self):
        assert swarm_manager(LAB, MANAGERS, avoid=["manager3"])["host"] == "manager3"

    def test_hosts_every_qualifying_one_avoided_last(self):
        lab = hostvars(manager1=result(manager()), manager2=result(manager()), manager3=result(manager()),
                       worker1=result(worker()))
        assert swarm_manager(lab, ["worker1"] + MANAGERS, avoid="manager1") == {
            "host": "manager2",
            "why": "worker1 is a worker",
            "hosts": ["manager2", "manager3", "manager1"],
        }
        assert swarm_manager(lab, MANAGERS + ["manager2"], exclude=["manager3"])["hosts"] == ["manager1", "manager2"]

    def test_empty_candidates(self):
        assert swarm_manager(LAB, []) == {"host": "", "why": "the candidate list is empty", "hosts": []}

    @pytest.mark.parametrize("registered, why", [
        pytest.param(ANSWERED, "", id="answered"),
        pytest.param(REFUSED, "", id="refusal"),
        pytest.param(UNREACHABLE, f"does not answer ({UNREACHABLE['msg']})", id="unreachable"),
        pytest.param(LEADERLESS, f"could not serve the step (Error while draining worker1: {NO_LEADER})",
                     id="no-leader"),
    ])
    def test_manager_lost(self, registered, why):
        assert swarm_manager_lost(registered) == why

    def test_not_root(self):
        hostvars = {"manager1": {"_site_root": {"rc": 0, "stdout": "0"}},
                    "worker1": {"_site_root": {"rc": 0, "stdout": "1001"}},
                    # did not answer: judged by swarm_manager_lost, not here
                    "worker2": {"_site_root": {"skipped": True}},
                    "lb1": {"_root": {"failed": True, "msg": "Missing sudo password"}}}
        refusals = swarm_not_root(hostvars, ["manager1", "worker1", "worker2", "lb1", "elsewhere"])
        assert list(refusals) == ["worker1"]
        assert refusals["worker1"].startswith("runs the tasks as uid 1001, not root")
        assert swarm_not_root(hostvars, ["lb1"], "_root") == {"lb1": "could not become root (Missing sudo password)"}
        assert swarm_not_root(hostvars, "manager1") == {}

    def test_managers_left(self):
        step = tried(("manager1", UNREACHABLE), ("manager2", ANSWERED))
        assert swarm_managers_left(step, MANAGERS) == ["manager2", "manager3"]
        assert swarm_managers_left({"skipped": True}, ("manager1", "manager2")) == ["manager1", "manager2"]

    def test_managers_left_one_host_as_a_string(self):
        # -e 'managers=manager1'
        assert swarm_managers_left(tried(("manager1", ANSWERED)), "manager1") == ["manager1"]
        assert swarm_managers_left({"skipped": True}, "manager1") == ["manager1"]

    def test_no_manager_left(self):
        step = tried(("manager1", UNREACHABLE), ("manager2", LEADERLESS))
        with pytest.raises(AnsibleFilterError) as excinfo:
            swarm_managers_left(step, MANAGERS)
        assert str(excinfo.value) == (
            f"no manager with quorum answered: manager1 does not answer ({UNREACHABLE['msg']}); "
            f"manager2 could not serve the step (Error while draining worker1: {NO_LEADER})"
        )

    @pytest.mark.parametrize("observed, role", [
        pytest.param(result(manager()), "manager", id="manager"),
        pytest.param(result(worker()), "worker", id="worker"),
        pytest.param({"failed": True, "can_talk_to_docker": False}, "unanswered", id="down"),
        pytest.param(None, "unanswered", id="none"),
    ])
    def test_role(self, observed, role):
        assert swarm_role(observed) == role

    @pytest.mark.parametrize("call, message", [
        pytest.param(lambda: swarm_manager(["manager1"], MANAGERS), "the input must be hostvars", id="input-list"),
        pytest.param(lambda: swarm_manager(LAB, [1, 2]), "candidates must be a list", id="candidates-ints"),
        pytest.param(lambda: swarm_manager(LAB, MANAGERS, exclude={"a": 1}), "exclude must be a list", id="exclude-dict"),
        pytest.param(lambda: swarm_manager(LAB, MANAGERS, quorum="maybe"), "quorum must be a boolean", id="quorum-maybe"),
        pytest.param(lambda: swarm_role("manager"), "swarm_role expects a docker_host_info result", id="role-str"),
        pytest.param(lambda: swarm_manager_lost(None), "swarm_manager_lost expects a registered result, got NoneType",
                     id="lost-none"),
        pytest.param(lambda: swarm_manager_lost([UNREACHABLE]),
                     "swarm_manager_lost expects a registered result, got list", id="lost-list"),
        pytest.param(lambda: swarm_not_root(["manager1"], ["manager1"]), "swarm_not_root: the input must be hostvars",
                     id="root-list"),
        pytest.param(lambda: swarm_not_root({"m": {"_site_root": "0"}}, ["m"]),
                     "swarm_not_root: _site_root of m must be a registered result, got str", id="root-str"),
        pytest.param(lambda: swarm_not_root({}, [1]), "hosts must be a list", id="root-ints"),
        pytest.param(lambda: swarm_managers_left("skipped", MANAGERS),
                     "swarm_managers_left expects a registered result, got str", id="left-str"),
        pytest.param(lambda: swarm_managers_left({"skipped": True}, [1]), "managers must be a list", id="left-ints"),
    ])
    def test_bad_input(self, call, message):
        with pytest.raises(AnsibleFilterError) as excinfo:
            call()
        assert message in str(excinfo.value)
