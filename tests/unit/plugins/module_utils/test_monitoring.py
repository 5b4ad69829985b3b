# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the monitoring role's decisions (``_monitoring``) and their filters."""

from __future__ import annotations

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._monitoring import check_settings, scrape_targets, seconds

GOOD = {
    "monitoring_retention": "15d",
    "monitoring_scrape_interval": "5s",
    "monitoring_evaluation_interval": "1m30s",
    "monitoring_group_wait": "10s",
    "monitoring_group_interval": "30s",
    "monitoring_alertmanager_peer_timeout": "5s",
    "monitoring_repeat_interval": "4h",
    "monitoring_watchdog_repeat_interval": "5m",
    "monitoring_webhook_url": "https://alerts.example.com/hook?team=ops",
    "monitoring_watchdog_url": "",
    "monitoring_prometheus_replicas": 2,
    "monitoring_alertmanager_replicas": "2",
    "monitoring_prometheus_port": 9090,
    "monitoring_alertmanager_port": 9093,
    "monitoring_probe_targets": ["http://192.0.2.50:8080/"],
}


def test_the_role_defaults_pass():
    assert check_settings(GOOD) == []


@pytest.mark.parametrize("name, value, says", [
    ("monitoring_retention", "15 days", "monitoring_retention is '15 days': it must be a duration"),
    ("monitoring_retention", "0s", "it must be a duration above 0"),
    ("monitoring_scrape_interval", 5, "monitoring_scrape_interval is 5"),
    ("monitoring_group_interval", "", "monitoring_group_interval is ''"),
    ("monitoring_webhook_url", "alerts.example.com/hook", "must be an http:// or https:// URL with a host"),
    ("monitoring_webhook_url", "ftp://example.com/", "must be an http:// or https:// URL with a host"),
    ("monitoring_watchdog_url", "http:///nohost", "monitoring_watchdog_url is 'http:///nohost'"),
    ("monitoring_prometheus_replicas", 0, "monitoring_prometheus_replicas is 0: it must be 1 or more"),
    ("monitoring_alertmanager_replicas", True, "monitoring_alertmanager_replicas is True"),
    ("monitoring_prometheus_port", 70000, "monitoring_prometheus_port is 70000: it must be a TCP port"),
    ("monitoring_probe_targets", "http://192.0.2.50/", "monitoring_probe_targets is 'http://192.0.2.50/': it must be a list"),
    ("monitoring_probe_targets", ["192.0.2.50:8080"], "monitoring_probe_targets item is '192.0.2.50:8080'"),
    ("monitoring_probe_targets", [""], "monitoring_probe_targets has an empty item"),
])
def test_each_bad_setting_is_named_with_its_value(name, value, says):
    problems = check_settings({**GOOD, name: value})
    assert len(problems) == 1, problems
    assert says in problems[0]


def test_prometheus_and_alertmanager_need_ports_of_their_own():
    problems = check_settings({**GOOD, "monitoring_alertmanager_port": "9090"})
    assert problems == ["monitoring_prometheus_port and monitoring_alertmanager_port are both 9090: "
                        "each needs a port of its own"]


def test_every_problem_is_reported_at_once():
    bad = {**GOOD, "monitoring_retention": "forever", "monitoring_webhook_url": "nowhere", "monitoring_prometheus_port": 0}
    assert len(check_settings(bad)) == 3


HOSTS = {
    "manager1": {"swarm_advertise_addr": "192.0.2.11", "ansible_host": "m1.example.com",
                 "docker_engine_metrics_addr": "0.0.0.0:9323"},
    "manager2": {"swarm_advertise_addr": "eth1", "ansible_host": "192.0.2.12",
                 "docker_engine_metrics_addr": ":9323"},
    "manager3": {"swarm_advertise_addr": "192.0.2.13:2377", "docker_engine_metrics_addr": "192.0.2.113:9323"},
    "worker1": {"ansible_host": "192.0.2.31", "docker_engine_metrics_addr": "127.0.0.1:9323"},
    "worker2": {"ansible_host": "192.0.2.32", "docker_engine_metrics_addr": ""},
    "worker3": {"ansible_host": "192.0.2.33"},
    "worker4": {"ansible_host": "192.0.2.34", "docker_engine_metrics_addr": "[::]:9323"},
}


def test_scrape_targets_take_the_hosts_own_address_for_a_wildcard_and_leave_out_loopback_and_unset():
    targets = scrape_targets(HOSTS, list(HOSTS), "docker_engine_metrics_addr")
    assert targets == ["192.0.2.11:9323", "192.0.2.12:9323", "192.0.2.113:9323", "192.0.2.34:9323"]


def test_scrape_targets_advertise_address_with_a_port_is_an_address():
    hosts = {"m": {"swarm_advertise_addr": "192.0.2.13:2377", "bind": "0.0.0.0:8405"}}
    assert scrape_targets(hosts, ["m"], "bind") == ["192.0.2.13:8405"]


def test_scrape_targets_leave_out_what_is_not_address_and_port_and_name_each_target_once():
    hosts = {"a": {"bind": "192.0.2.1"}, "b": {"bind": "192.0.2.1:0"}, "c": {"bind": "localhost:1"},
             "d": {"bind": "192.0.2.9:8405"}, "e": {"bind": "192.0.2.9:8405"}}
    assert scrape_targets(hosts, list(hosts), "bind") == ["192.0.2.9:8405"]


def test_durations_in_seconds():
    assert (seconds("1h30m"), seconds("500ms"), seconds("15d")) == (5400, 0.5, 1296000)
    with pytest.raises(ValueError):
        seconds("15 days")


def test_the_group_interval_must_outlast_the_peer_timeout():
    problems = check_settings({**GOOD, "monitoring_group_interval": "5s"})
    assert problems == ["monitoring_group_interval 5s must be longer than monitoring_alertmanager_peer_timeout 5s: "
                        "the Alertmanager members would send a changing group's notifications twice"]
    assert check_settings({**GOOD, "monitoring_group_interval": "10s"}) == []


def test_a_bad_duration_is_named_once_not_compared():
    problems = check_settings({**GOOD, "monitoring_group_interval": "soon"})
    assert len(problems) == 1 and problems[0].startswith("monitoring_group_interval is 'soon'")
