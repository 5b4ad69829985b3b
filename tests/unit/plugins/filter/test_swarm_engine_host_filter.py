# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The swarm_engine_host filter: the role's registered read in, the steps out, errors as filter errors."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter.swarm_host_read import FilterModule

FILTER = FilterModule().filters()["swarm_engine_host"]
SHA1 = "ac4e005d82efed59005adf0cbbc9e6857a1f0f02"
READ = {"stdout": f"dockerd\tDocker version 26.1.5\ndaemon-json\troot:root:644 {SHA1}  /etc/docker/daemon.json\n"
                  "service\tdisabled active\ndocker-command\t/usr/bin/docker", "rc": 0}


def test_a_settled_host_needs_no_step_and_the_setting_is_read_as_ansible_reads_a_boolean():
    assert FILTER(READ, SHA1, "no") == {"installed": True, "config": False, "service": False, "why": ""}
    assert FILTER(READ, SHA1)["service"] is True
    with pytest.raises(AnsibleFilterError, match="^swarm_engine_host: service_enabled must be a boolean, got 'maybe'"):
        FILTER(READ, SHA1, "maybe")


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="^swarm_engine_host: the input must be the registered result"):
        FILTER("dockerd", SHA1)
