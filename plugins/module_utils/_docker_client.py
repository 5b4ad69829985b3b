# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""The one place that imports community.docker's Docker API client.

community.docker 4.x ships it as ``module_utils.common_api``; 5.x renamed it
``module_utils._common_api`` (private, no redirect). Both keep the low-level
client and its errors under ``module_utils._api``. The newer layout is tried
first. The imports sit inside ``try`` blocks, which also tells Ansible's module
packer that each one is optional: it ships whichever layout is installed.

When neither layout imports, :func:`docker_api_client` still answers the task
with one clear error that names community.docker and the versions supported,
instead of an ImportError traceback.
"""

from __future__ import annotations

__all__ = ["AnsibleDockerClient", "DockerException", "RequestException", "docker_api_client", "missing_client_message"]

SUPPORTED = ">=4.0.0,<6.0.0"
"""The community.docker versions this collection is tested with (galaxy.yml)."""

IMPORT_ERROR = None
LAYOUT = None

try:
    from ansible_collections.community.docker.plugins.module_utils._common_api import (  # community.docker 5.x
        AnsibleDockerClient,
        RequestException,
    )
    from ansible_collections.community.docker.plugins.module_utils._api.errors import DockerException
    LAYOUT = "community.docker 5.x (module_utils._common_api)"
except ImportError as exc_5:
    try:
        from ansible_collections.community.docker.plugins.module_utils.common_api import (  # community.docker 4.x
            AnsibleDockerClient,
            RequestException,
        )
        from ansible_collections.community.docker.plugins.module_utils._api.errors import DockerException
        LAYOUT = "community.docker 4.x (module_utils.common_api)"
    except ImportError as exc_4:
        IMPORT_ERROR = f"5.x layout: {exc_5}; 4.x layout: {exc_4}"
        AnsibleDockerClient = None

        class RequestException(Exception):  # type: ignore[no-redef]
            """Stands in so that ``except`` clauses stay valid; never raised."""

        class DockerException(Exception):  # type: ignore[no-redef]
            """Stands in so that ``except`` clauses stay valid; never raised."""


def missing_client_message(module_name, import_error=None):
    """The error a module gives when community.docker's API client does not import."""
    return (
        f"{module_name} needs the collection community.docker {SUPPORTED} (its Docker API client), "
        f"and neither the 5.x nor the 4.x layout of it could be imported: {import_error or IMPORT_ERROR}. "
        "Install a supported release (ansible-galaxy collection install 'community.docker:>=4.0.0,<6.0.0', "
        "or the ansible package, which carries it) where the module runs: the controller or the execution environment."
    )


def docker_api_client(module_name, **kwargs):
    """An AnsibleDockerClient built with ``kwargs`` (argument_spec, supports_check_mode, ...).

    Without community.docker, the task fails here with missing_client_message,
    whatever options it was given (they can not be checked without the client's
    own option list).
    """
    if AnsibleDockerClient is not None:
        return AnsibleDockerClient(**kwargs)
    _fail_without_client(module_name)
    return None  # not reached: fail_json exits


def _fail_without_client(module_name):
    # The docker_* options of the task are community.docker's to define: accept
    # any option as given so that the one error that matters is the one shown.
    from ansible.module_utils import basic

    given = {key: {"type": "raw"} for key in basic._load_params() if not key.startswith("_ansible_")}
    module = basic.AnsibleModule(argument_spec=given, supports_check_mode=True)
    module.fail_json(msg=missing_client_message(module_name))
