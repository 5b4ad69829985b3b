# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every variable the lab role writes into its inventory is read by something: no dead settings."""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "roles" / "lab" / "templates" / "inventory.yml.j2"
# A line that sets a variable (a key with a value), not a structure key such as hosts: or children:.
SETTING = re.compile(r"^[ \t]+([a-z][a-z0-9_]*):[ \t]*\S", re.MULTILINE)
READERS = ("roles", "playbooks", "plugins")


def _written():
    return sorted({name for name in SETTING.findall(TEMPLATE.read_text(encoding="utf-8"))
                   if name != "hosts" and not name.startswith("ansible_")})


def _read_elsewhere(name):
    for top in READERS:
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and path != TEMPLATE and path.suffix in (".yml", ".j2", ".py"):
                if re.search(rf"\b{name}\b", path.read_text(encoding="utf-8", errors="replace")):
                    return True
    return False


def test_the_template_writes_settings():
    assert "docker_engine_source" in _written()


def test_every_setting_written_is_read():
    assert [name for name in _written() if not _read_elsewhere(name)] == []
