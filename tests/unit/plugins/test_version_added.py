# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""No plugin of the collection says it was added in a release after the collection's own version."""

from __future__ import annotations

import ast
import pathlib

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[3]
VERSION = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"]


def _as_tuple(version: str) -> tuple:
    return tuple(int(part) for part in str(version).split("."))


def _documentations():
    for path in sorted((ROOT / "plugins").rglob("*")):
        if path.suffix == ".yml" and path.parent.name == "filter":
            yield path, yaml.safe_load(path.read_text(encoding="utf-8"))["DOCUMENTATION"]
        elif path.suffix == ".py" and path.parent.name in ("modules", "filter"):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "DOCUMENTATION" for t in node.targets):
                    yield path, yaml.safe_load(node.value.value)


DOCS = list(_documentations())


def test_every_plugin_is_found():
    assert len(DOCS) >= 12


@pytest.mark.parametrize("path, documentation", [pytest.param(p, d, id=p.name) for p, d in DOCS])
def test_version_added_is_not_after_the_collection(path, documentation):
    assert "version_added" in documentation, path
    assert _as_tuple(documentation["version_added"]) <= _as_tuple(VERSION), (path, documentation["version_added"], VERSION)
