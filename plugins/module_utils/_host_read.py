# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""One read of a host instead of one module call per question.

Each module call of a play costs about a second per host, even when it
changes nothing; a step skipped on the controller costs nothing.  A role reads
what its steps would find (packages, systemd units, files) with one shell step
and decides here which steps are still needed.  Anything the read does not
show as settled is left to the module, which judges as before: a decision
here can leave a step out, never change what the step does.

The read is lines of ``key<TAB>value``; dpkg-query's lines
(``package<TAB>db:Status-Abbrev<TAB>version``) may come between them.
Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError


def split_host_read(text: str, keys) -> tuple[dict, str]:
    """({key: value} of the lines whose key is one of keys, the other lines joined) from a host read's output."""
    if not isinstance(text, str):
        raise SwarmOpsError(f"the host read must be a string, got {type(text).__name__}")
    fields, rest = {}, []
    for line in text.splitlines():
        key, tab, value = line.partition("\t")
        if tab and key in keys:
            fields[key] = value.strip()
        else:
            rest.append(line)
    return fields, "\n".join(rest)


def read_text(query) -> str | None:
    """The output of a registered host read; None when it did not run or said nothing readable."""
    if not isinstance(query, Mapping):
        raise SwarmOpsError(f"the input must be the registered result of the host read, got {type(query).__name__}")
    if query.get("skipped") or not isinstance(query.get("stdout"), str):
        return None
    return query["stdout"]


def unit_needs_step(state: str, enabled: bool = True) -> str:
    """Why a systemd unit needs its enable-and-start step ('' when it does not), from "is-enabled is-active"."""
    wanted = ["enabled" if enabled else "disabled", "active"]
    seen = (state or "").split()
    return "" if seen == wanted else f"is {' '.join(seen) or 'unknown'}, not {' '.join(wanted)}"


def installed_packages(dpkg: str) -> set:
    """The packages dpkg-query's lines (Package, db:Status-Abbrev, Version) show as installed."""
    installed = set()
    for line in dpkg.splitlines():
        fields = line.split("\t")
        if len(fields) == 3 and fields[1].strip()[1:2] == "i":
            installed.add(fields[0].strip().split(":", 1)[0])
    return installed


def packages_and_units(query: Mapping, packages, units) -> dict:
    """Which package and unit steps a role needs, from its host read.

    The read prints ``unit <name><TAB>`` what systemctl says of each unit (is-enabled, then is-active), and
    dpkg-query's lines of the packages. packages: the packages the role installs; units: the units it enables and
    starts. Returns {install: a package is not installed, start: [units to enable or start], why}; a read that did
    not run needs every step.
    """
    for name, value in (("packages", packages), ("units", units)):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
            raise SwarmOpsError(f"{name} must be a list of names, got {value!r}")
    text = read_text(query)
    if text is None:
        return {"install": bool(packages), "start": list(units), "why": "the host was not read"}
    keys = [f"unit {unit}" for unit in units]
    fields, dpkg = split_host_read(text, keys)
    installed = installed_packages(dpkg)
    why = [f"{package} is not installed" for package in packages if package not in installed]
    install = bool(why)
    start = []
    for unit in units:
        said = unit_needs_step(fields.get(f"unit {unit}", ""))
        if said:
            start.append(unit)
            why.append(f"{unit} {said}")
    return {"install": install, "start": start, "why": "; ".join(why)}
