# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Make ``ansible_collections.swarmops.ha`` importable for the unit tests.

The repository root is the collection root; ``<repo>/.collections`` holds the
``ansible_collections/swarmops/ha -> ../../..`` symlink.  That directory is put
on ``sys.path`` only when the collection is not importable already (for
example under ``ansible-test``, which sets up its own collection tree).
"""

from __future__ import annotations

import importlib.util
import os
import sys


def _collection_importable() -> bool:
    try:
        return importlib.util.find_spec("ansible_collections.swarmops.ha") is not None
    except ImportError:
        return False


if not _collection_importable():
    _COLLECTIONS_DIR = os.path.join(
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), ".collections"
    )
    sys.path.insert(0, _COLLECTIONS_DIR)
