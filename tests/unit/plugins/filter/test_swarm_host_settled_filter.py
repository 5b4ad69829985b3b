# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The swarm_host_settled filter: a role's registered host read in, the steps out, errors as filter errors."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter.swarm_host_read import FilterModule

FILTER = FilterModule().filters()["swarm_host_settled"]


def test_a_settled_host_needs_no_step():
    read = {"stdout": "unit haproxy\tenabled active\nhaproxy\tii \t2.6\n", "rc": 0}
    assert FILTER(read, ["haproxy"], ["haproxy"]) == {"install": False, "start": [], "why": ""}


def test_bad_input_is_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="^swarm_host_settled: the input must be the registered result"):
        FILTER("haproxy", ["haproxy"], ["haproxy"])
