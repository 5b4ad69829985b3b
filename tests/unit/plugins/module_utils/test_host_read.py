# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One read of a host: which package and unit steps a role still needs."""

from __future__ import annotations

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._host_read import (
    installed_packages,
    packages_and_units,
    unit_needs_step,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError

PACKAGES = ["haproxy", "keepalived"]
DPKG = "haproxy\tii \t2.6.12-1+deb12u2\nkeepalived\tii \t1:2.2.7-1+b2\n"


def read(haproxy="enabled active", keepalived="enabled active", dpkg=DPKG):
    return {"stdout": f"unit haproxy\t{haproxy}\nunit keepalived\t{keepalived}\n{dpkg}", "rc": 0}


def test_a_settled_host_needs_no_step():
    assert packages_and_units(read(), PACKAGES, PACKAGES) == {"install": False, "start": [], "why": ""}


def test_a_missing_or_removed_package_is_installed():
    steps = packages_and_units(read(dpkg="haproxy\tii \t2.6\nkeepalived\trc \t1:2.2.7\n"), PACKAGES, PACKAGES)
    assert steps["install"] is True and steps["why"] == "keepalived is not installed"
    assert packages_and_units(read(dpkg=""), PACKAGES, ["haproxy"])["why"] == (
        "haproxy is not installed; keepalived is not installed")


@pytest.mark.parametrize("state, start", [
    ("disabled active", ["haproxy"]),
    ("enabled inactive", ["haproxy"]),
    ("enabled failed", ["haproxy"]),
    ("", ["haproxy"]),
])
def test_a_unit_that_is_not_enabled_and_active_is_started(state, start):
    steps = packages_and_units(read(haproxy=state), PACKAGES, PACKAGES)
    assert steps["start"] == start and steps["install"] is False
    assert steps["why"].startswith("haproxy is ")


def test_only_the_units_asked_about_are_judged():
    assert packages_and_units(read(keepalived=""), ["haproxy"], ["haproxy"])["start"] == []


def test_a_read_that_did_not_run_needs_every_step():
    assert packages_and_units({"skipped": True}, PACKAGES, PACKAGES) == {
        "install": True, "start": PACKAGES, "why": "the host was not read"}


def test_the_unit_rule():
    assert unit_needs_step("enabled active") == ""
    assert unit_needs_step("disabled active", enabled=False) == ""
    assert unit_needs_step("masked inactive") == "is masked inactive, not enabled active"
    assert unit_needs_step("") == "is unknown, not enabled active"


def test_dpkg_lines_that_say_installed():
    assert installed_packages("a\tii \t1\nb\tun \t\nc:amd64\thi \t2\nnot a dpkg line\n") == {"a", "c"}


@pytest.mark.parametrize("args, words", [
    (("text", PACKAGES, PACKAGES), "the input must be the registered result of the host read"),
    ((read(), "haproxy", PACKAGES), "packages must be a list"),
    ((read(), PACKAGES, [""]), "units must be a list"),
])
def test_bad_arguments_are_refused(args, words):
    with pytest.raises(SwarmOpsError, match=words):
        packages_and_units(*args)
