# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The swarm_engine_packages filter: the role's registered query in, the apt steps out, errors as filter errors."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter.swarm_host_read import FilterModule

FILTER = FilterModule().filters()["swarm_engine_packages"]


def test_a_settled_host_needs_no_apt_step():
    query = {"stdout": "docker.io\thi \t1.0\ndocker-command\t/usr/bin/docker", "rc": 0}
    assert FILTER(query, ["docker.io"], ["docker.io"], "1.0", True) == {"install": False, "hold": False, "why": ""}


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="^swarm_engine_packages: the input must be the registered result"):
        FILTER("docker.io", ["docker.io"], ["docker.io"])


def test_the_hold_setting_is_read_as_ansible_reads_a_boolean():
    query = {"stdout": "docker.io\thi \t1.0\ndocker-command\t/usr/bin/docker", "rc": 0}
    assert FILTER(query, ["docker.io"], ["docker.io"], "1.0", "yes")["hold"] is False
    with pytest.raises(AnsibleFilterError, match="^swarm_engine_packages: hold must be a boolean, got 'maybe'"):
        FILTER(query, ["docker.io"], ["docker.io"], "1.0", "maybe")
