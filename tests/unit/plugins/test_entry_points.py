# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every tasks_from of a swarmops.ha role names an entry point of its argument spec, so that its inputs are checked.

Ansible checks a role's argument spec only for an entry point named exactly as
tasks_from says: ``tasks_from: backends.yml`` would run the file unchecked.
"""

from __future__ import annotations

import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
ROLE_PREFIX = "swarmops.ha."


def _includes(node):
    """Every include_role/import_role mapping under a parsed YAML document."""
    if isinstance(node, dict):
        for key in ("ansible.builtin.include_role", "ansible.builtin.import_role", "include_role", "import_role"):
            if isinstance(node.get(key), dict):
                yield node[key]
        for value in node.values():
            yield from _includes(value)
    elif isinstance(node, list):
        for value in node:
            yield from _includes(value)


def _tasks_from_uses():
    uses = []
    for top in ("roles", "playbooks", "molecule"):
        for path in sorted((ROOT / top).rglob("*.yml")):
            text = path.read_text(encoding="utf-8")
            if "tasks_from" not in text:
                continue
            for include in _includes(yaml.safe_load(text)):
                name = str(include.get("name", ""))
                if "tasks_from" in include and name.startswith(ROLE_PREFIX):
                    uses.append((path.relative_to(ROOT).as_posix(), name[len(ROLE_PREFIX):], include["tasks_from"]))
    return uses


def _entry_points(role):
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return set(spec["argument_specs"])


def test_the_roles_are_included_with_tasks_from():
    assert {role for _path, role, _entry in _tasks_from_uses()} >= {"docker_engine", "loadbalancer", "swarm_stacks"}


def test_every_tasks_from_is_a_checked_entry_point():
    unchecked = [f"{path}: {role} tasks_from {entry}" for path, role, entry in _tasks_from_uses()
                 if entry not in _entry_points(role)]
    assert unchecked == []
