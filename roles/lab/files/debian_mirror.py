# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Debian mirror this machine's own apt sources use, for the lab's node images.

People behind a company mirror have it in their apt sources already; the lab
builds its images from the same place, so no mirror host is written into the
project. Prints two lines: the archive mirror and the security mirror (the
security one falls back to the archive mirror's URL with ``-security``
appended, Debian's own layout). Exits 1 with a message when the sources name no
Debian archive (an Ubuntu or non-Debian machine): set SWARMOPS_DEBIAN_MIRROR.

    python3 debian_mirror.py [SOURCES_DIR]        (default /etc/apt)
"""

import glob
import os
import re
import sys

# Debian's release code names (and sid): a suite with exactly this name is the archive,
# one ending in -security the security archive. Ubuntu's suites never match.
_RELEASES = ("buster", "bullseye", "bookworm", "trixie", "forky", "duke", "sid", "stable", "testing", "unstable",
             "oldstable")


def _one_line_entries(text):
    """(uri, suite) of each `deb` line of a one-line style sources file."""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        # Options in brackets ([arch=amd64 signed-by=...]) come before the URI.
        line = re.sub(r"\[[^\]]*\]", " ", line[4:])
        fields = line.split()
        if len(fields) >= 2:
            yield fields[0], fields[1]


def _deb822_entries(text):
    """(uri, suite) of each stanza of a deb822 style .sources file that has Types: deb and is not disabled."""
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        key = None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0].isspace() and key:
                fields[key] += " " + line.strip()
                continue
            if ":" in line:
                key, value = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            for suite in fields.get("suites", "").split():
                yield uri, suite


def entries(sources_dir):
    """Every (uri, suite) the apt sources under sources_dir name, in apt's reading order."""
    found = []
    paths = [os.path.join(sources_dir, "sources.list")]
    paths += sorted(glob.glob(os.path.join(sources_dir, "sources.list.d", "*.list")))
    paths += sorted(glob.glob(os.path.join(sources_dir, "sources.list.d", "*.sources")))
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        parse = _deb822_entries if path.endswith(".sources") else _one_line_entries
        found.extend(parse(text))
    return found


def mirrors(found):
    """(archive, security) mirror URLs from (uri, suite) pairs; archive is None when no Debian archive is named."""
    archive = next((uri for uri, suite in found if suite in _RELEASES), None)
    security = next((uri for uri, suite in found
                     if suite.endswith("-security") and suite.split("-", 1)[0] in _RELEASES
                     or suite.endswith("/updates") and suite.split("/", 1)[0] in _RELEASES), None)
    if archive is None:
        return None, None
    archive = archive.rstrip("/")
    return archive, (security.rstrip("/") if security else archive + "-security")


def main(argv):
    sources_dir = argv[1] if len(argv) > 1 else "/etc/apt"
    archive, security = mirrors(entries(sources_dir))
    if archive is None:
        sys.stderr.write(
            "No Debian archive in the apt sources under %s: set SWARMOPS_DEBIAN_MIRROR to a Debian mirror "
            "(and SWARMOPS_DEBIAN_SECURITY_MIRROR to its security archive).\n" % sources_dir)
        return 1
    sys.stdout.write("%s\n%s\n" % (archive, security))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
