# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the pure half of HAProxy's runtime API (``_haproxy``).

The input is what ``show servers state`` prints (format 1, the 25 fields of
HAProxy 2.6's management guide), built by ``state_text`` from rows of
(backend, server, operational state, admin mask).
"""

from __future__ import annotations

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._haproxy import (
    CMAINT,
    FDRAIN,
    FMAINT,
    HAProxyError,
    admin_state,
    parse_servers_state,
    plan_commands,
    summarize,
)

HEADER = ("# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
          "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state "
          "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port "
          "srv_check_addr srv_agent_addr srv_agent_port")
ADDR = {"manager1": "192.168.77.11", "worker1": "192.168.77.31", "worker2": "192.168.77.32", "web_node_1": "10.0.0.9"}


def state_text(*rows):
    lines = ["1", HEADER]
    for number, (backend, server, op_state, admin) in enumerate(rows, start=1):
        lines.append(f"3 {backend} {number} {server} {ADDR[server]} {op_state} {admin} 1 1 42 6 3 4 6 0 0 0 - 8080 - "
                     "0 0 - - 0")
    return "\n".join(lines) + "\n"


LAB = state_text(
    ("be_demo_web_8080", "manager1", 2, 0),
    ("be_demo_web_8080", "worker1", 2, 0),
    ("be_demo_web_8080", "worker2", 0, 0),
    ("be_demo_api_9000", "worker1", 2, 0),
)


class TestParse:
    def test_fields(self):
        first = parse_servers_state(LAB)[0]
        assert first == {
            "backend": "be_demo_web_8080", "server": "manager1", "address": "192.168.77.11", "port": 8080,
            "operational": "UP", "admin": 0, "state": "ready", "configured_maint": False, "seconds_since_change": 42,
        }

    def test_every_server_in_order(self):
        assert [(s["backend"], s["server"], s["operational"]) for s in parse_servers_state(LAB)] == [
            ("be_demo_web_8080", "manager1", "UP"), ("be_demo_web_8080", "worker1", "UP"),
            ("be_demo_web_8080", "worker2", "DOWN"), ("be_demo_api_9000", "worker1", "UP"),
        ]

    @pytest.mark.parametrize("op_state, shown", [(0, "DOWN"), (1, "STARTING"), (2, "UP"), (3, "STOPPING")])
    def test_operational_states(self, op_state, shown):
        assert parse_servers_state(state_text(("be", "worker1", op_state, 0)))[0]["operational"] == shown

    def test_no_server_at_all(self):
        assert parse_servers_state("1\n" + HEADER + "\n") == []

    @pytest.mark.parametrize("text, message", [
        ("", "answered nothing"),
        ("2\n" + HEADER + "\n", "format '2'"),
        ("1\n3 be 1 s 1.2.3.4 2 0\n", "no header line"),
        ("1\n" + HEADER + "\n3 be 1 worker1 1.2.3.4 up 0\n", "can not be read"),
    ])
    def test_what_can_not_be_read_is_an_error(self, text, message):
        with pytest.raises(HAProxyError, match=message):
            parse_servers_state(text)


class TestAdminState:
    @pytest.mark.parametrize("mask, state", [
        (0, "ready"), (FMAINT, "maint"), (CMAINT | FMAINT, "maint"), (0x02, "maint"), (0x20, "maint"),
        (FDRAIN, "drain"), (0x10, "drain"), (FMAINT | FDRAIN, "maint"), (0x40, "ready"),
    ])
    def test_mask(self, mask, state):
        assert admin_state(mask) == state


class TestPlan:
    def test_maint_in_every_backend_of_the_node(self):
        plan = plan_commands(parse_servers_state(LAB), ["worker1"], "maint")
        assert plan == {
            "commands": ["set server be_demo_web_8080/worker1 state maint", "set server be_demo_api_9000/worker1 state maint"],
            "changed": ["be_demo_web_8080/worker1", "be_demo_api_9000/worker1"],
            "kept": [],
            "absent": [],
        }

    def test_maint_again_changes_nothing(self):
        servers = parse_servers_state(state_text(("be", "worker1", 0, FMAINT)))
        assert plan_commands(servers, ["worker1"], "maint")["commands"] == []

    def test_ready_lifts_forced_maintenance_and_drain(self):
        servers = parse_servers_state(state_text(("a", "worker1", 0, FMAINT), ("b", "worker1", 2, FDRAIN),
                                                 ("c", "worker1", 2, 0)))
        assert plan_commands(servers, ["worker1"], "ready")["commands"] == [
            "set server a/worker1 state ready", "set server b/worker1 state ready",
        ]

    def test_ready_leaves_the_maintenance_of_the_configuration(self):
        """A drained node's server is 'disabled' in the configuration; the next render lifts it, not this."""
        servers = parse_servers_state(state_text(("be", "worker1", 0, CMAINT | FMAINT)))
        plan = plan_commands(servers, ["worker1"], "ready")
        assert (plan["commands"], plan["kept"]) == ([], ["be/worker1"])

    def test_maint_of_a_configured_maintenance_is_already_done(self):
        servers = parse_servers_state(state_text(("be", "worker1", 0, CMAINT | FMAINT)))
        assert plan_commands(servers, ["worker1"], "maint")["commands"] == []

    def test_drain_from_maintenance(self):
        servers = parse_servers_state(state_text(("be", "worker1", 0, FMAINT)))
        assert plan_commands(servers, ["worker1"], "drain")["commands"] == ["set server be/worker1 state drain"]

    def test_maint_from_drain(self):
        servers = parse_servers_state(state_text(("be", "worker1", 2, FDRAIN)))
        assert plan_commands(servers, ["worker1"], "maint")["commands"] == ["set server be/worker1 state maint"]

    def test_other_nodes_are_left_alone(self):
        plan = plan_commands(parse_servers_state(LAB), ["manager1"], "maint")
        assert plan["changed"] == ["be_demo_web_8080/manager1"]

    def test_a_node_without_servers_here_is_absent_not_an_error(self):
        plan = plan_commands(parse_servers_state(LAB), ["worker1", "worker9"], "maint")
        assert plan["absent"] == ["worker9"]

    def test_node_names_are_matched_as_the_backends_name_servers(self):
        servers = parse_servers_state(state_text(("be", "web_node_1", 2, 0)))
        assert plan_commands(servers, ["web node#1"], "maint")["changed"] == ["be/web_node_1"]

    def test_an_unknown_state_is_refused(self):
        with pytest.raises(HAProxyError, match="state must be one of ready, drain, maint"):
            plan_commands([], ["worker1"], "up")


def test_summary_is_what_the_statistics_page_shows():
    servers = parse_servers_state(state_text(("be", "manager1", 2, 0), ("be", "worker1", 0, FMAINT),
                                             ("be", "worker2", 2, FDRAIN), ("fe", "worker2", 0, 0)))
    assert summarize(servers) == {"be": {"manager1": "UP", "worker1": "MAINT", "worker2": "DRAIN"},
                                  "fe": {"worker2": "DOWN"}}
