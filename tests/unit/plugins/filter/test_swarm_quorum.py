# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import pathlib

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter import swarm_quorum as plugin
from ansible_collections.swarmops.ha.plugins.filter.swarm_quorum import (
    FilterModule,
    swarm_fault_tolerance,
    swarm_quorum,
    swarm_topology_check,
)

FILTER_NAMES = ["swarm_quorum", "swarm_fault_tolerance", "swarm_topology_check"]

# managers -> (quorum, fault tolerance)
TABLE = {
    0: (0, 0),
    1: (1, 0),
    2: (2, 0),
    3: (2, 1),
    4: (3, 1),
    5: (3, 2),
    6: (4, 2),
    7: (4, 3),
    8: (5, 3),
    9: (5, 4),
}

BAD_COUNTS = [
    pytest.param(-1, "manager count must not be negative, got -1", id="negative"),
    pytest.param(1.5, "manager count must be an integer, got float 1.5", id="float"),
    pytest.param(True, "manager count must be an integer, not a boolean (True)", id="bool"),
    pytest.param("x", "manager count must be an integer, got the string 'x'", id="string"),
    pytest.param(None, "manager count must be an integer, got NoneType None", id="none"),
]


def test_filter_module_exposes_filters():
    filters = FilterModule().filters()
    assert sorted(filters) == sorted(FILTER_NAMES)
    assert filters["swarm_quorum"] is swarm_quorum
    assert filters["swarm_fault_tolerance"] is swarm_fault_tolerance
    assert filters["swarm_topology_check"] is swarm_topology_check


@pytest.mark.parametrize("managers, expected", [(n, q) for n, (q, _ft) in TABLE.items()])
def test_swarm_quorum(managers, expected):
    assert swarm_quorum(managers) == expected
    assert swarm_quorum(str(managers)) == expected


@pytest.mark.parametrize("managers, expected", [(n, ft) for n, (_q, ft) in TABLE.items()])
def test_swarm_fault_tolerance(managers, expected):
    assert swarm_fault_tolerance(managers) == expected
    assert swarm_fault_tolerance(str(managers)) == expected


@pytest.mark.parametrize("value, message", BAD_COUNTS)
@pytest.mark.parametrize("func", [swarm_quorum, swarm_fault_tolerance])
def test_bad_counts_raise_filter_error(func, value, message):
    with pytest.raises(AnsibleFilterError) as exc:
        func(value)
    assert exc.value.message == message


def test_topology_check_clean():
    assert swarm_topology_check(["m1", "m2", "m3"], ["w1"]) == {"errors": [], "warnings": []}


def test_topology_check_even_warning_and_strict():
    message = (
        "4 managers need a quorum of 3 and tolerate 1 failure, the same as 3 managers (quorum 2), "
        "so group 'mgr' should have an odd number of managers."
    )
    managers = ["m1", "m2", "m3", "m4"]
    assert swarm_topology_check(managers, [], manager_group="mgr") == {"errors": [], "warnings": [message]}
    assert swarm_topology_check(managers, [], strict=True, manager_group="mgr") == {
        "errors": [message],
        "warnings": [],
    }


@pytest.mark.parametrize("strict, is_error", [("yes", True), ("false", False), (1, True), (0, False)])
def test_topology_check_strict_accepts_ansible_booleans(strict, is_error):
    result = swarm_topology_check(["m1", "m2"], [], strict=strict)
    assert (len(result["errors"]), len(result["warnings"])) == ((1, 0) if is_error else (0, 1))


def test_topology_check_group_names_in_messages():
    result = swarm_topology_check([], ["w1"], manager_group="mgrs", worker_group="wrks")
    assert result["errors"] == ["at least one manager is required in group 'mgrs', but it has 0 hosts."]
    result = swarm_topology_check(["b", "a"], ["a", "b"], manager_group="mgrs", worker_group="wrks")
    assert result["errors"] == [
        "2 hosts are in both group 'mgrs' and group 'wrks', but a Swarm node is either a manager or a worker: a, b."
    ]


def test_topology_check_max_recommended_managers():
    result = swarm_topology_check(["m1", "m2", "m3"], [], max_recommended_managers=1)
    assert result["warnings"] == [
        "3 managers exceed the recommended maximum of 1 in group 'swarm_managers', "
        "and every Raft write must wait for a quorum of 2 managers, which increases write latency."
    ]


@pytest.mark.parametrize(
    "managers, workers, kwargs, message",
    [
        ("m1", [], {}, "the hosts of group 'swarm_managers' must be a list of inventory hostnames, got str"),
        (["m1"], [None], {}, "group 'swarm_workers' contains None, which is not a non-empty inventory hostname"),
        (["m1"], [], {"max_recommended_managers": -1}, "max_recommended_managers must not be negative, got -1"),
        (["m1"], [], {"strict": "maybe"}, None),  # TypeError from boolean()
    ],
)
def test_topology_check_errors(managers, workers, kwargs, message):
    with pytest.raises(AnsibleFilterError) as exc:
        swarm_topology_check(managers, workers, **kwargs)
    if message is None:
        assert "is not a valid boolean" in exc.value.message
    else:
        assert exc.value.message == message


@pytest.mark.parametrize("name", FILTER_NAMES)
def test_documentation_file(name):
    doc_path = pathlib.Path(plugin.__file__).with_name(f"{name}.yml")
    doc = yaml.safe_load(doc_path.read_text(encoding="utf-8"))
    assert sorted(doc) == ["DOCUMENTATION", "EXAMPLES", "RETURN"]
    documentation = doc["DOCUMENTATION"]
    assert documentation["name"] == name
    assert documentation["version_added"] == "0.1.0"
    assert documentation["short_description"]
    assert documentation["description"]
    assert documentation["positional"].split(", ")[0] == "_input"
    assert documentation["options"]["_input"]["required"] is True
    assert "_value" in doc["RETURN"]
    assert f"swarmops.ha.{name}" in doc["EXAMPLES"]
