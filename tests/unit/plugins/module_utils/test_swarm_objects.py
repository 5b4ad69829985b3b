# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the collection's one error and its accessors of API objects (``_swarm_objects``)."""

from __future__ import annotations

import json
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils import _swarm_objects as objects
from ansible_collections.swarmops.ha.plugins.module_utils._haproxy import HAProxyError
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_drain import DrainError
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_lb import BackendError
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_plan import SwarmPlanError
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_stack import StackDefinitionError
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_topology import SwarmTopologyError

NODES = json.loads((pathlib.Path(__file__).parent / "fixtures" / "swarm_nodes.json").read_text(encoding="utf-8"))["nodes"]
BY_NAME = {n["Description"]["Hostname"]: n for n in NODES}


@pytest.mark.parametrize("error", [HAProxyError, DrainError, BackendError, SwarmPlanError, StackDefinitionError,
                                   SwarmTopologyError])
def test_every_rule_files_error_is_the_collections_error(error):
    assert issubclass(error, objects.SwarmOpsError) and issubclass(error, ValueError)


def test_the_error_carries_what_a_module_returns_with_it():
    error = objects.SwarmOpsError("Refusing to drain worker1", plan={"moves": []})
    assert str(error) == "Refusing to drain worker1" and error.extra == {"plan": {"moves": []}}


def test_nodes_of_the_lab():
    manager1, worker1 = BY_NAME["manager1"], BY_NAME["worker1"]
    assert (objects.node_hostname(manager1), objects.node_name(manager1)) == ("manager1", "manager1")
    assert (objects.node_role(manager1), objects.node_role(worker1)) == ("manager", "worker")
    assert objects.is_manager(manager1) and not objects.is_manager(worker1)
    assert objects.manager_reachable(manager1) and objects.manager_reachability(worker1) == ""
    assert objects.is_leader(manager1) and not objects.is_leader(BY_NAME["manager2"])
    assert objects.node_is_up(worker1) and objects.node_state(worker1) == "ready"
    assert objects.node_availability(worker1) == "active"
    assert objects.node_labels(worker1) == {"zone": "lab-a"}


def test_what_an_empty_object_reads_as():
    assert objects.node_hostname({}) == "" and objects.node_name({"ID": "abc"}) == "abc" and objects.node_name({}) == "?"
    assert objects.node_role({}) == "worker" and objects.node_state({}) == "unknown" and not objects.node_is_up({})
    assert objects.node_availability({}) == "active" and objects.node_labels({}) == {}
    assert not objects.is_manager({}) and not objects.manager_reachable({}) and not objects.is_leader({})
    assert objects.service_name({"ID": "s1"}) == "s1" and objects.service_spec({}) == {}
    assert objects.service_name({"Spec": {"Name": "demo_web"}}) == "demo_web"
