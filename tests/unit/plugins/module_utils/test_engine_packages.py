# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which apt steps the docker_engine role needs, from what dpkg says (the lines dpkg-query prints)."""

from __future__ import annotations

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._engine_packages import (
    packages_settled,
    parse_dpkg,
    settled_from_results,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError

PACKAGES = ["docker.io", "python3-docker", "python3-yaml"]
PINNED = ["docker.io"]
VERSION = "20.10.24+dfsg1-1+deb12u1"
SETTLED = (f"docker.io\tii \t{VERSION}\n"
           "python3-docker\tii \t5.0.3-1\n"
           "python3-yaml\tii \t6.0-3+b2\n")


def query(text, command="/usr/bin/docker"):
    return {"stdout": f"{text}docker-command\t{command}", "rc": 0, "changed": False}


def test_dpkg_lines_give_selection_status_and_version():
    seen = parse_dpkg("docker.io\thi \t26.1.5+dfsg1-9\npython3-docker:all\trc \t5.0.3-1\n\n")
    assert seen == {"docker.io": {"selection": "h", "installed": True, "version": "26.1.5+dfsg1-9"},
                    "python3-docker": {"selection": "r", "installed": False, "version": "5.0.3-1"}}


def test_a_line_that_is_not_dpkgs_is_an_error():
    with pytest.raises(SwarmOpsError, match="unexpected dpkg-query line"):
        parse_dpkg("docker.io ii 1.0\n")


def test_everything_installed_and_no_pin_needs_no_apt_step():
    assert packages_settled(SETTLED, PACKAGES, PINNED) == {"install": False, "hold": False, "why": ""}


def test_a_missing_or_removed_package_is_installed():
    text = SETTLED.replace("python3-yaml\tii ", "python3-yaml\trc ")
    assert packages_settled(text, PACKAGES, PINNED) == {"install": True, "hold": False,
                                                        "why": "python3-yaml is not installed"}
    without = "".join(line + "\n" for line in SETTLED.splitlines() if not line.startswith("python3-docker"))
    assert packages_settled(without, PACKAGES, PINNED)["why"] == "python3-docker is not installed"


def test_a_pinned_package_at_another_version_goes_through_apt():
    result = packages_settled(SETTLED, PACKAGES, PINNED, version="20.10.24+dfsg1-1+deb12u2")
    assert result["install"] and "docker.io is at 20.10.24+dfsg1-1+deb12u1, not the pinned 20.10.24+dfsg1-1+deb12u2" \
        in result["why"]
    assert packages_settled(SETTLED, PACKAGES, PINNED, version=VERSION)["install"] is False


def test_the_hold_follows_the_setting_either_way():
    held = SETTLED.replace("docker.io\tii ", "docker.io\thi ")
    assert packages_settled(held, PACKAGES, PINNED, VERSION, hold=True) == {"install": False, "hold": False, "why": ""}
    assert packages_settled(SETTLED, PACKAGES, PINNED, VERSION, hold=True) == {
        "install": False, "hold": True, "why": "docker.io not held"}
    assert packages_settled(held, PACKAGES, PINNED, VERSION, hold=False) == {
        "install": False, "hold": True, "why": "docker.io still held"}


def test_without_a_docker_command_the_package_lists_are_asked_about_the_cli():
    result = settled_from_results(query(SETTLED, command=""), PACKAGES, PINNED)
    assert result == {"install": True, "hold": False, "why": "no docker command (docker-cli may be needed)"}
    # Debian 13: the CLI is its own package; installed, nothing is asked.
    with_cli = SETTLED + "docker-cli\tii \t26.1.5+dfsg1-9\n"
    assert settled_from_results(query(with_cli, command=""), PACKAGES, PINNED)["install"] is False
    assert settled_from_results(query(SETTLED), PACKAGES, PINNED)["install"] is False


def test_a_query_that_did_not_run_or_says_nothing_of_the_command_takes_the_full_path():
    full = {"install": True, "hold": True}
    assert settled_from_results({"skipped": True, "changed": False}, PACKAGES, PINNED).items() >= full.items()
    assert settled_from_results({"stdout": SETTLED}, PACKAGES, PINNED).items() >= full.items()
    # dpkg printed nothing (none of the packages is known): the command line is still read.
    assert settled_from_results(query(""), PACKAGES, PINNED)["why"].startswith("docker.io is not installed")


@pytest.mark.parametrize("args, words", [
    (("text", "docker.io", PINNED), "packages must be a list"),
    (("text", PACKAGES, [""]), "pinned must be a list"),
    (("text", PACKAGES, PINNED, 3), "version must be a string"),
])
def test_bad_arguments_are_refused(args, words):
    with pytest.raises(SwarmOpsError, match=words):
        packages_settled(*args)


def test_the_hold_setting_must_be_a_boolean():
    with pytest.raises(SwarmOpsError, match="hold must be a boolean"):
        settled_from_results(query(SETTLED), PACKAGES, PINNED, hold="yes")
