# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""Whether the engine's Debian packages already are as the docker_engine role wants them.

A rerun that would change nothing should not ask apt: each apt call (refresh
the lists, ask for a package, install, hold) costs seconds per host, and the
answer is in dpkg's own database.  The role reads it once per host with

    dpkg-query --show --showformat='${Package}\\t${db:Status-Abbrev}\\t${Version}\\n' <packages>

(a package dpkg never heard of prints nothing), plus whether a ``docker`` command
exists, and this decides which apt steps can be left out.  Anything it can not
read as settled sends the run down the full path, where apt stays the judge:
the shortcut can skip work, never change what is done.  Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.swarmops.ha.plugins.module_utils._host_read import read_text, split_host_read, unit_needs_step
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError


def parse_dpkg(text: str) -> dict:
    """{package: {selection, installed, version}} from dpkg-query's lines (Package, db:Status-Abbrev, Version)."""
    if not isinstance(text, str):
        raise SwarmOpsError(f"the dpkg-query output must be a string, got {type(text).__name__}")
    seen = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise SwarmOpsError(f"unexpected dpkg-query line (want package, status and version, tab-separated): {line!r}")
        package, status, version = (f.strip() for f in fields)
        # db:Status-Abbrev: the wanted selection (u, i, h, r, p), then the status (n, i, c, u, f, h, W, t).
        seen[package.split(":", 1)[0]] = {"selection": status[:1], "installed": status[1:2] == "i",
                                          "version": version}
    return seen


def packages_settled(dpkg: str, packages, pinned, version: str = "", hold: bool = False, cli_command: bool = True,
                     cli_package: str = "docker-cli") -> dict:
    """Which apt steps a run needs, from what dpkg says of the packages.

    packages: every package the role installs (the engine's, the SDK's); pinned: those held and pinned to
    ``version`` (when it is set); cli_command: whether a ``docker`` command exists (Debian 13 ships it in
    docker-cli, apart from the engine; when the command is missing, only the package lists can say whether
    that package exists, so the run asks them).

    Returns {install: apt must install or change a package, hold: a pinned package's selection is not the one
    wanted, why: what is not settled ('' when nothing is)}.
    """
    for name, value in (("packages", packages), ("pinned", pinned)):
        if not isinstance(value, (list, tuple)) or not all(isinstance(p, str) and p for p in value):
            raise SwarmOpsError(f"{name} must be a list of package names, got {value!r}")
    if not isinstance(version, str):
        raise SwarmOpsError(f"version must be a string, got {version!r}")
    if not isinstance(hold, bool):
        raise SwarmOpsError(f"hold must be a boolean, got {hold!r}")
    seen = parse_dpkg(dpkg)
    why = []
    for package in packages:
        state = seen.get(package)
        if state is None or not state["installed"]:
            why.append(f"{package} is not installed")
        elif version and package in pinned and state["version"] != version:
            why.append(f"{package} is at {state['version']}, not the pinned {version}")
    cli = seen.get(cli_package)
    if not cli_command and not (cli and cli["installed"]):
        why.append(f"no docker command ({cli_package} may be needed)")
    install = bool(why)
    selection = "h" if hold else "i"
    unheld = [p for p in pinned if p in seen and seen[p]["selection"] != selection]
    if unheld:
        why.append(f"{', '.join(unheld)} {'not' if hold else 'still'} held")
    return {"install": install, "hold": bool(unheld), "why": "; ".join(why)}


# The lines of the role's one read of a host that are not dpkg-query's: "key<TAB>value".
HOST_KEYS = ("dockerd", "daemon-json", "service")
# What daemon.json's owner, group and mode must be (the role writes it so).
CONFIG_OWNERSHIP = "root:root:644"


def host_steps(query: Mapping, config_sha1: str, service_enabled: bool) -> dict:
    """Which of the role's steps on the engine's configuration and service a run needs, from its one read of the host.

    The read prints ``dockerd<TAB>`` dockerd's version (empty without an engine), ``daemon-json<TAB>`` the file's
    owner:group:mode and the output of sha1sum (empty without a file), and ``service<TAB>`` what systemctl says of
    the docker unit (is-enabled, then is-active). config_sha1: the SHA-1 of the daemon.json the role renders;
    service_enabled: whether the unit is to be enabled.

    Returns {installed: an engine was there before the run, config: daemon.json must be written (with its
    directory and validator), service: the unit must be enabled or started, why: what is not settled}. Anything
    the read does not show as settled (a read that did not run, a line missing) takes the role's steps, which
    judge for themselves: the answer can leave steps out, never change what they do.
    """
    text = read_text(query)
    if not isinstance(config_sha1, str) or not config_sha1:
        raise SwarmOpsError(f"config_sha1 must be the SHA-1 of the rendered daemon.json, got {config_sha1!r}")
    if not isinstance(service_enabled, bool):
        raise SwarmOpsError(f"service_enabled must be a boolean, got {service_enabled!r}")
    if text is None:
        return {"installed": False, "config": True, "service": True, "why": "the host was not read"}
    fields = split_host_read(text, HOST_KEYS)[0]
    why = []
    config = fields.get("daemon-json", "").split()
    config_needed = config[:2] != [CONFIG_OWNERSHIP, config_sha1]
    if not config:
        why.append("no daemon.json")
    elif config_needed:
        why.append("daemon.json differs" if config[0] == CONFIG_OWNERSHIP else f"daemon.json is {config[0]}")
    unit = unit_needs_step(fields.get("service", ""), service_enabled)
    if unit:
        why.append(f"the docker unit {unit}")
    return {"installed": bool(fields.get("dockerd")), "config": config_needed, "service": bool(unit),
            "why": "; ".join(why)}


def settled_from_results(query: Mapping, packages, pinned, version="", hold=False) -> dict:
    """packages_settled from the registered result of the role's one read of the host (dpkg-query, then the
    docker command; split_host_read's other lines are left out)."""
    text = read_text(query)
    if text is None:
        return {"install": True, "hold": True, "why": "the packages were not read"}
    text = split_host_read(text, HOST_KEYS)[1]
    marker = "\ndocker-command\t"
    head, found, tail = ("\n" + text).rpartition(marker)
    if not found:
        return {"install": True, "hold": True, "why": "the package query said nothing of the docker command"}
    return packages_settled(head, packages, pinned, version or "", hold,
                            cli_command=bool(tail.strip()))
