# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The lab's node images come from the Debian mirror of the machine's own apt sources (roles/lab/files/debian_mirror.py)."""

from __future__ import annotations

import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
_SPEC = importlib.util.spec_from_file_location("debian_mirror", ROOT / "roles" / "lab" / "files" / "debian_mirror.py")
debian_mirror = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(debian_mirror)

# As on the machines this project is built on: deb822 files, a snapshot URL in a comment, another vendor's repository.
DEB822 = """Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
# http://snapshot.debian.org/archive/debian-security/20250520T000000Z
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""
NODESOURCE = """Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
"""


def write(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


@pytest.mark.parametrize("files, expected", [
    pytest.param({"sources.list.d/debian.sources": DEB822, "sources.list.d/nodesource.sources": NODESOURCE},
                 ("http://deb.debian.org/debian", "http://deb.debian.org/debian-security"), id="deb822"),
    # A company mirror in the one-line format, with options; no security line: Debian's layout is assumed.
    pytest.param({"sources.list": "# a comment\ndeb-src http://src.example.com/debian bookworm main\n"
                                  "deb [arch=amd64 signed-by=/k.gpg] https://mirror.corp.example/debian/ trixie main\n"
                                  "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"},
                 ("https://mirror.corp.example/debian", "https://mirror.corp.example/debian-security"), id="one-line"),
    pytest.param({"sources.list": "deb http://m.example/debian bullseye main\n"
                                  "deb http://m.example/security bullseye-security main\n"},
                 ("http://m.example/debian", "http://m.example/security"), id="own-security"),
    # A disabled stanza does not count.
    pytest.param({"sources.list.d/a.sources": "Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\n"
                                              "Enabled: no\n\nTypes: deb\nURIs: http://on.example/debian\n"
                                              "Suites: bookworm\n"},
                 ("http://on.example/debian", "http://on.example/debian-security"), id="disabled"),
])
def test_mirrors(tmp_path, files, expected):
    assert debian_mirror.mirrors(debian_mirror.entries(str(write(tmp_path, files)))) == expected


def test_no_debian_archive_is_one_clear_error(tmp_path, capsys):
    # An Ubuntu machine: its suites are no Debian release.
    write(tmp_path, {"sources.list": "deb http://archive.ubuntu.com/ubuntu noble main\n"})
    assert debian_mirror.main(["debian_mirror.py", str(tmp_path)]) == 1
    assert "set SWARMOPS_DEBIAN_MIRROR" in capsys.readouterr().err


def test_prints_both(tmp_path, capsys):
    write(tmp_path, {"sources.list.d/debian.sources": DEB822})
    assert debian_mirror.main(["debian_mirror.py", str(tmp_path)]) == 0
    assert capsys.readouterr().out == "http://deb.debian.org/debian\nhttp://deb.debian.org/debian-security\n"
