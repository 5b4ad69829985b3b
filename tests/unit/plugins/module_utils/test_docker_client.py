# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the one import of community.docker's API client (``_docker_client``).

The layout that is installed here (4.x in the project's venv, 5.x on the newest
Ansible) must be the one found; with neither importable, building a client
fails the task with one message naming community.docker and the versions
supported, whatever options the task was given.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import json
import sys

import pytest

from ansible.module_utils import basic

SHIM = "ansible_collections.swarmops.ha.plugins.module_utils._docker_client"
CD_UTILS = "ansible_collections.community.docker.plugins.module_utils"


def _has(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False


@contextlib.contextmanager
def module_args(args):
    """Hand ``args`` to the next AnsibleModule, on every ansible-core from 2.17."""
    try:
        from ansible.module_utils.testing import patch_module_args  # ansible-core >= 2.19
    except ImportError:
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved
    else:
        with patch_module_args(args):
            yield


@contextlib.contextmanager
def shim_without_community_docker():
    """The shim as loaded where neither layout of community.docker imports."""
    blocked = [f"{CD_UTILS}._common_api", f"{CD_UTILS}.common_api", f"{CD_UTILS}._api.errors"]
    saved = {name: sys.modules.get(name) for name in blocked + [SHIM]}
    for name in blocked:
        sys.modules[name] = None  # an import of it raises ImportError
    try:
        sys.modules.pop(SHIM, None)
        yield importlib.import_module(SHIM)
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
        sys.modules.pop(SHIM, None)
        importlib.import_module(SHIM)


class Exited(Exception):
    def __init__(self, result):
        super().__init__(result.get("msg"))
        self.result = result


@pytest.fixture
def exits(monkeypatch):
    def fail_json(self, **result):
        raise Exited(dict(result, failed=True))

    def exit_json(self, **result):
        raise Exited(result)

    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)


def test_the_installed_layout_is_found():
    shim = importlib.import_module(SHIM)
    if _has(f"{CD_UTILS}._common_api"):
        assert shim.LAYOUT.startswith("community.docker 5.x")
    elif _has(f"{CD_UTILS}.common_api"):
        assert shim.LAYOUT.startswith("community.docker 4.x")
    else:
        pytest.skip("community.docker is not installed here")
    assert shim.IMPORT_ERROR is None
    assert shim.AnsibleDockerClient is not None
    # The errors the modules catch are the client's own, not stand-ins.
    assert shim.DockerException.__module__ == f"{CD_UTILS}._api.errors"


def test_the_newer_layout_wins_when_both_import(monkeypatch):
    """A 5.x install is used as 5.x, even if a 4.x name were importable too."""
    if not (_has(f"{CD_UTILS}._common_api") or _has(f"{CD_UTILS}.common_api")):
        pytest.skip("community.docker is not installed here")
    real = importlib.import_module(f"{CD_UTILS}._common_api" if _has(f"{CD_UTILS}._common_api") else f"{CD_UTILS}.common_api")
    monkeypatch.setitem(sys.modules, f"{CD_UTILS}._common_api", real)
    monkeypatch.setitem(sys.modules, f"{CD_UTILS}.common_api", real)
    sys.modules.pop(SHIM, None)
    try:
        shim = importlib.import_module(SHIM)
        assert shim.LAYOUT.startswith("community.docker 5.x")
    finally:
        sys.modules.pop(SHIM, None)


def test_without_either_layout_the_import_error_names_both():
    with shim_without_community_docker() as shim:
        assert shim.AnsibleDockerClient is None
        assert shim.LAYOUT is None
        assert "5.x layout:" in shim.IMPORT_ERROR and "4.x layout:" in shim.IMPORT_ERROR
        # The except clauses of the modules stay valid.
        assert issubclass(shim.DockerException, Exception)
        assert issubclass(shim.RequestException, Exception)


@pytest.mark.parametrize("args", [
    {},
    {"wait_timeout": 5, "stack": "demo"},
    # community.docker's own options, which nothing can check without it.
    {"docker_host": "unix:///run/docker.sock", "tls_verify": True, "timeout": 30},
])
def test_without_either_layout_a_module_fails_with_one_clear_message(exits, args):
    with shim_without_community_docker() as shim, module_args(args):
        with pytest.raises(Exited) as caught:
            shim.docker_api_client("swarmops.ha.swarm_wait", argument_spec={"stack": {"type": "str"}},
                                   supports_check_mode=True)
    result = caught.value.result
    assert result["failed"] is True
    assert result["msg"].startswith("swarmops.ha.swarm_wait needs the collection community.docker >=4.0.0,<6.0.0")
    assert "neither the 5.x nor the 4.x layout" in result["msg"]
    assert "Traceback" not in result["msg"]


def test_the_supported_range_is_the_one_galaxy_yml_declares():
    import os
    import yaml

    shim = importlib.import_module(SHIM)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
    with open(os.path.join(root, "galaxy.yml")) as handle:
        galaxy = yaml.safe_load(handle)
    with open(os.path.join(root, "requirements.yml")) as handle:
        requirements = yaml.safe_load(handle)
    assert galaxy["dependencies"]["community.docker"] == shim.SUPPORTED
    assert {"name": "community.docker", "version": shim.SUPPORTED} in requirements["collections"]
