# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the monitoring filters (swarm_monitoring_check, swarm_scrape_targets)."""

from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter.swarm_monitoring import swarm_monitoring_check, swarm_scrape_targets

HOSTS = {
    "manager1": {"swarm_advertise_addr": "192.0.2.11", "docker_engine_metrics_addr": "0.0.0.0:9323", "other": 1},
    "worker4": {"ansible_host": "192.0.2.34", "docker_engine_metrics_addr": "[::]:9323"},
}


def test_the_check_names_each_problem():
    assert swarm_monitoring_check({"monitoring_retention": "15d"}) == []
    assert len(swarm_monitoring_check({"monitoring_retention": "never", "monitoring_prometheus_port": 0})) == 2


def test_the_filters_refuse_what_is_not_their_input():
    with pytest.raises(AnsibleFilterError, match="mapping"):
        swarm_monitoring_check(["monitoring_retention"])
    with pytest.raises(AnsibleFilterError, match="list of inventory hostnames"):
        swarm_scrape_targets("manager1", HOSTS, "docker_engine_metrics_addr")
    with pytest.raises(AnsibleFilterError, match="key"):
        swarm_scrape_targets(["manager1"], HOSTS, "")


def test_the_filter_reads_only_the_hosts_asked_and_the_hosts_missing_from_hostvars():
    assert swarm_scrape_targets(["worker4", "manager1", "ghost"], HOSTS, "docker_engine_metrics_addr") == [
        "192.0.2.34:9323", "192.0.2.11:9323"]
