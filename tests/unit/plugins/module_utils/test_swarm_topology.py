# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import ast
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils import _swarm_topology
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_topology import (
    SwarmTopologyError,
    fault_tolerance,
    quorum,
    validate_topology,
)

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
    pytest.param(-1, id="negative"),
    pytest.param("-1", id="negative-string"),
    pytest.param(1.5, id="float"),
    pytest.param(3.0, id="integral-float"),
    pytest.param(True, id="true"),
    pytest.param(False, id="false"),
    pytest.param("x", id="word"),
    pytest.param("", id="empty-string"),
    pytest.param("3.0", id="float-string"),
    pytest.param("0x3", id="hex-string"),
    pytest.param("\u00b2", id="superscript-digit"),
    pytest.param(None, id="none"),
    pytest.param([3], id="list"),
]


def hosts(prefix, count):
    return [f"{prefix}{i}" for i in range(1, count + 1)]


class TestQuorum:
    @pytest.mark.parametrize("managers, expected", [(n, q) for n, (q, _ft) in TABLE.items()])
    def test_table(self, managers, expected):
        assert quorum(managers) == expected

    @pytest.mark.parametrize("managers, expected", [(str(n), q) for n, (q, _ft) in TABLE.items()])
    def test_integer_strings(self, managers, expected):
        assert quorum(managers) == expected

    def test_whitespace_around_integer_string(self):
        assert quorum(" 5\n") == 3

    def test_large(self):
        assert quorum(101) == 51

    def test_returns_plain_int(self):
        # The exact type: bool is a subclass of int and must not come back.
        assert type(quorum("7")) is int  # pylint: disable=unidiomatic-typecheck

    @pytest.mark.parametrize("value", BAD_COUNTS)
    def test_rejects(self, value):
        with pytest.raises(SwarmTopologyError):
            quorum(value)

    def test_error_is_value_error(self):
        assert issubclass(SwarmTopologyError, ValueError)

    @pytest.mark.parametrize(
        "value, message",
        [
            (-1, "manager count must not be negative, got -1"),
            ("-4", "manager count must not be negative, got -4"),
            (True, "manager count must be an integer, not a boolean (True)"),
            (1.5, "manager count must be an integer, got float 1.5"),
            (None, "manager count must be an integer, got NoneType None"),
            ("x", "manager count must be an integer, got the string 'x'"),
        ],
    )
    def test_messages(self, value, message):
        with pytest.raises(SwarmTopologyError) as exc:
            quorum(value)
        assert str(exc.value) == message


class TestFaultTolerance:
    @pytest.mark.parametrize("managers, expected", [(n, ft) for n, (_q, ft) in TABLE.items()])
    def test_table(self, managers, expected):
        assert fault_tolerance(managers) == expected

    @pytest.mark.parametrize("managers, expected", [(str(n), ft) for n, (_q, ft) in TABLE.items()])
    def test_integer_strings(self, managers, expected):
        assert fault_tolerance(managers) == expected

    @pytest.mark.parametrize("value", BAD_COUNTS)
    def test_rejects(self, value):
        with pytest.raises(SwarmTopologyError):
            fault_tolerance(value)

    @pytest.mark.parametrize("managers", range(1, 50))
    def test_quorum_plus_tolerance_is_cluster_size(self, managers):
        assert quorum(managers) + fault_tolerance(managers) == managers

    @pytest.mark.parametrize("managers", range(2, 50, 2))
    def test_even_adds_no_tolerance(self, managers):
        assert fault_tolerance(managers) == fault_tolerance(managers - 1)


class TestValidateTopology:
    @pytest.mark.parametrize("count", [1, 3, 5, 7])
    def test_odd_counts_are_clean(self, count):
        assert validate_topology(hosts("m", count), hosts("w", 2)) == {"errors": [], "warnings": []}

    @pytest.mark.parametrize("count", [1, 3, 5, 7])
    def test_odd_counts_are_clean_when_strict(self, count):
        assert validate_topology(hosts("m", count), [], strict=True) == {"errors": [], "warnings": []}

    def test_no_managers(self):
        assert validate_topology([], ["w1"]) == {
            "errors": ["at least one manager is required in group 'swarm_managers', but it has 0 hosts."],
            "warnings": [],
        }

    def test_none_means_empty_group(self):
        assert validate_topology(None, None) == validate_topology([], [])
        assert validate_topology(["m1"], None) == {"errors": [], "warnings": []}

    def test_custom_group_names(self):
        result = validate_topology([], ["a"], manager_group="mgrs", worker_group="wrks")
        assert result["errors"] == ["at least one manager is required in group 'mgrs', but it has 0 hosts."]
        result = validate_topology(["a"], ["a"], manager_group="mgrs", worker_group="wrks")
        assert result["errors"] == [
            "1 host is in both group 'mgrs' and group 'wrks', but a Swarm node is either a manager or a worker: a."
        ]

    def test_group_names_are_keyword_only(self):
        with pytest.raises(TypeError):
            validate_topology(["m1"], [], False, 7, "mgrs")  # pylint: disable=too-many-function-args

    def test_hosts_in_both_groups_are_sorted(self):
        result = validate_topology(["m3", "zeta", "m1", "alpha", "m2"], ["zeta", "w1", "alpha"])
        assert result == {
            "errors": [
                "2 hosts are in both group 'swarm_managers' and group 'swarm_workers', "
                "but a Swarm node is either a manager or a worker: alpha, zeta."
            ],
            "warnings": [],
        }

    def test_duplicates(self):
        result = validate_topology(["m2", "m1", "m2", "m3", "m1", "m1"], ["w1", "w1"])
        assert result == {
            "errors": [
                "group 'swarm_managers' lists 2 hosts more than once: m1, m2.",
                "group 'swarm_workers' lists 1 host more than once: w1.",
            ],
            "warnings": [],
        }

    def test_duplicates_do_not_count_as_managers(self):
        # 4 entries but 3 distinct managers: no even-count warning
        result = validate_topology(["m1", "m2", "m3", "m3"], [])
        assert result["warnings"] == []
        assert result["errors"] == ["group 'swarm_managers' lists 1 host more than once: m3."]

    @pytest.mark.parametrize(
        "count, message",
        [
            (
                2,
                "2 managers need a quorum of 2 and tolerate 0 failures, the same as 1 manager (quorum 1), "
                "so group 'swarm_managers' should have an odd number of managers.",
            ),
            (
                4,
                "4 managers need a quorum of 3 and tolerate 1 failure, the same as 3 managers (quorum 2), "
                "so group 'swarm_managers' should have an odd number of managers.",
            ),
            (
                6,
                "6 managers need a quorum of 4 and tolerate 2 failures, the same as 5 managers (quorum 3), "
                "so group 'swarm_managers' should have an odd number of managers.",
            ),
        ],
    )
    def test_even_managers(self, count, message):
        assert validate_topology(hosts("m", count), []) == {"errors": [], "warnings": [message]}
        assert validate_topology(hosts("m", count), [], strict=True) == {"errors": [message], "warnings": []}

    def test_too_many_odd_managers(self):
        assert validate_topology(hosts("m", 9), []) == {
            "errors": [],
            "warnings": [
                "9 managers exceed the recommended maximum of 7 in group 'swarm_managers', "
                "and every Raft write must wait for a quorum of 5 managers, which increases write latency."
            ],
        }

    def test_too_many_even_managers_strict(self):
        result = validate_topology(hosts("m", 8), [], strict=True)
        assert result == {
            "errors": [
                "8 managers need a quorum of 5 and tolerate 3 failures, the same as 7 managers (quorum 4), "
                "so group 'swarm_managers' should have an odd number of managers."
            ],
            "warnings": [
                "8 managers exceed the recommended maximum of 7 in group 'swarm_managers', "
                "and every Raft write must wait for a quorum of 5 managers, which increases write latency."
            ],
        }

    @pytest.mark.parametrize(
        "count, limit, warnings",
        [(5, 5, 0), (5, 3, 1), (5, "3", 1), (3, 0, 1), (7, 7, 0)],
    )
    def test_max_recommended_managers(self, count, limit, warnings):
        result = validate_topology(hosts("m", count), [], max_recommended_managers=limit)
        assert len(result["warnings"]) == warnings
        assert result["errors"] == []

    @pytest.mark.parametrize("limit", [-1, 1.5, True, "x", None])
    def test_bad_max_recommended_managers(self, limit):
        with pytest.raises(SwarmTopologyError, match="max_recommended_managers"):
            validate_topology(["m1"], [], max_recommended_managers=limit)

    @pytest.mark.parametrize(
        "managers, workers, match",
        [
            ("m1", [], "group 'swarm_managers' must be a list"),
            (["m1"], "w1", "group 'swarm_workers' must be a list"),
            ({"m1": {}}, [], "group 'swarm_managers' must be a list"),
            (3, [], "group 'swarm_managers' must be a list"),
            (["m1", None], [], "group 'swarm_managers' contains None"),
            (["m1"], ["w1", 2], "group 'swarm_workers' contains 2"),
            ([""], [], "group 'swarm_managers' contains ''"),
        ],
    )
    def test_malformed_host_lists(self, managers, workers, match):
        with pytest.raises(SwarmTopologyError, match=match):
            validate_topology(managers, workers)

    @pytest.mark.parametrize("strict", ["false", 1, None])
    def test_strict_must_be_bool(self, strict):
        with pytest.raises(SwarmTopologyError, match="strict must be a boolean"):
            validate_topology(["m1"], [], strict=strict)

    def test_accepts_tuples_and_does_not_mutate(self):
        managers = ["m2", "m1", "m3"]
        workers = ("w1",)
        assert validate_topology(managers, workers) == {"errors": [], "warnings": []}
        assert managers == ["m2", "m1", "m3"]

    @pytest.mark.parametrize("count", range(0, 10))
    def test_every_message_is_one_sentence(self, count):
        result = validate_topology(hosts("m", count), ["m1"] if count else [], max_recommended_managers=3)
        for message in result["errors"] + result["warnings"]:
            assert message.endswith(".")
            assert ". " not in message
            assert "\n" not in message


def test_module_util_is_pure():
    """The module util must not import ansible nor do I/O (checked on its imports); the collection's error base is its own."""
    source = pathlib.Path(_swarm_topology.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects":
            imported.add(node.module)
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "re", "typing", "collections",
                        "ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects"}
    assert "# This module util is PRIVATE to the swarmops.ha collection" in source.splitlines()[4]
