# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Which daemon.json and service steps the docker_engine role needs, from its one read of the host."""

from __future__ import annotations

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._engine_packages import (
    HOST_KEYS,
    host_steps,
    settled_from_results,
)
from ansible_collections.swarmops.ha.plugins.module_utils._host_read import split_host_read
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError

SHA1 = "ac4e005d82efed59005adf0cbbc9e6857a1f0f02"
DPKG = "docker.io\tii \t20.10.24+dfsg1-1+deb12u1\n"


def read(dockerd="Docker version 20.10.24+dfsg1, build 297e128", config=f"root:root:644 {SHA1}  /etc/docker/daemon.json",
         service="enabled active", dpkg=DPKG, command="/usr/bin/docker"):
    """The role's read, as the shell prints it (the lines main.yml's task writes, in its order)."""
    return {"stdout": f"dockerd\t{dockerd}\ndaemon-json\t{config}\nservice\t{service}\n{dpkg}docker-command\t{command}",
            "rc": 0, "changed": False}


def test_a_settled_host_needs_no_step():
    assert host_steps(read(), SHA1, True) == {"installed": True, "config": False, "service": False, "why": ""}


def test_the_read_is_split_into_its_own_lines_and_dpkgs():
    fields, rest = split_host_read(read()["stdout"], HOST_KEYS)
    assert fields == {"dockerd": "Docker version 20.10.24+dfsg1, build 297e128",
                      "daemon-json": f"root:root:644 {SHA1}  /etc/docker/daemon.json", "service": "enabled active"}
    assert rest == DPKG + "docker-command\t/usr/bin/docker"


def test_the_packages_are_judged_on_the_same_read():
    assert settled_from_results(read(), ["docker.io"], ["docker.io"])["install"] is False
    assert settled_from_results(read(dpkg=""), ["docker.io"], ["docker.io"])["why"] == "docker.io is not installed"


@pytest.mark.parametrize("config, why", [
    ("", "no daemon.json"),
    (" ", "no daemon.json"),
    (f"root:root:644 {'0' * 40}  /etc/docker/daemon.json", "daemon.json differs"),
    (f"root:root:666 {SHA1}  /etc/docker/daemon.json", "daemon.json is root:root:666"),
    (f"admin:root:644 {SHA1}  /etc/docker/daemon.json", "daemon.json is admin:root:644"),
    ("root:root:644", "daemon.json differs"),
])
def test_a_missing_changed_or_loosened_daemon_json_is_written(config, why):
    steps = host_steps(read(config=config), SHA1, True)
    assert (steps["config"], steps["service"], steps["why"]) == (True, False, why)


@pytest.mark.parametrize("service, enabled, needed", [
    ("enabled active", True, False),
    ("disabled active", False, False),
    ("disabled active", True, True),
    ("enabled active", False, True),
    ("enabled inactive", True, True),
    ("enabled failed", True, True),
    ("masked inactive", True, True),
    ("", True, True),
])
def test_the_unit_is_started_or_enabled_unless_it_is_as_wanted(service, enabled, needed):
    steps = host_steps(read(service=service), SHA1, enabled)
    assert steps["service"] is needed and steps["config"] is False
    assert ("the docker unit" in steps["why"]) is needed


def test_a_host_without_an_engine_takes_every_step():
    steps = host_steps(read(dockerd="", config="", service="", dpkg="", command=""), SHA1, True)
    assert steps == {"installed": False, "config": True, "service": True,
                     "why": "no daemon.json; the docker unit is unknown, not enabled active"}


def test_a_read_that_did_not_run_or_says_nothing_takes_every_step():
    every = {"installed": False, "config": True, "service": True}
    assert host_steps({"skipped": True, "changed": False}, SHA1, True).items() >= every.items()
    assert host_steps({"unreachable": True, "msg": "gone"}, SHA1, True).items() >= every.items()
    assert host_steps({"stdout": "", "rc": 127}, SHA1, True).items() >= every.items()


@pytest.mark.parametrize("args, words", [
    (("text", SHA1, True), "the input must be the registered result of the host read"),
    ((read(), "", True), "config_sha1 must be the SHA-1"),
    ((read(), None, True), "config_sha1 must be the SHA-1"),
    ((read(), SHA1, "yes"), "service_enabled must be a boolean"),
])
def test_bad_arguments_are_refused(args, words):
    with pytest.raises(SwarmOpsError, match=words):
        host_steps(*args)


def test_the_read_must_be_text():
    with pytest.raises(SwarmOpsError, match="the host read must be a string"):
        split_host_read(None, HOST_KEYS)
