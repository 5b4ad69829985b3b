# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the swarm_stack module's failure paths: the rollback of a deploy that did not become healthy.

The Docker API is replaced by a recorder (these are unit tests of the module's
decisions; the molecule scenarios run it against a real swarm): the module's
own names for list_services, wait_for_services, rollback_service,
remove_service and the image health are swapped for fakes that say what the
swarm would, and record what the module asks of it.
"""

from __future__ import annotations

import os

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import WaitResult
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError
from ansible_collections.swarmops.ha.plugins.modules import swarm_stack

DEFINITION = {"services": {"web": {"image": "swarmops/demo-web:2"}, "api": {"image": "swarmops/api:1"}}}


def service(name, image, version=10, update_state=""):
    return {"ID": f"id-{name}", "Version": {"Index": version},
            "Spec": {"Name": name, "Labels": {"com.docker.stack.namespace": "demo"},
                     "TaskTemplate": {"ContainerSpec": {"Image": image}}},
            "UpdateStatus": {"State": update_state} if update_state else {}}


def evaluation(converged, failed=""):
    return {"services": [{"name": "demo_web", "converged": converged, "failed": failed, "reasons": ["0 of 2 running"],
                          "failing_tasks": [], "starting_tasks": [], "replicas_wanted": 2, "replicas_running": 0,
                          "replicas_done": 0, "min_healthy_time": 10.0, "image": "swarmops/demo-web:2",
                          "update_state": "updating"}]}


class Module:
    def __init__(self, **params):
        self.params = dict(dict(name="demo", state="present", compose=None, definition=DEFINITION, prune=False,
                                with_registry_auth=False, resolve_image="never", wait=True, rollback_on_failure=True,
                                update_defaults=False, docker_cli="docker", wait_timeout=30, poll_interval=0,
                                min_healthy_time=None), **params)
        self.check_mode = False
        self._diff = False
        self.tmpdir = None
        self.commands = []

    def run_command(self, command):
        self.commands.append(command)
        return 0, "", ""


class Swarm:
    """What the fakes say and what they were asked."""

    def __init__(self, before, after, waits):
        self.listings = [before, after, after, after]
        self.waits = list(waits)
        self.rolled_back, self.removed = [], []

    def install(self, monkeypatch, tmp_path):
        monkeypatch.setattr(swarm_stack, "list_services", lambda client, stack=None, names=None: self.listings.pop(0)
                            if len(self.listings) > 1 else self.listings[0])
        monkeypatch.setattr(swarm_stack, "wait_for_services", lambda *a, **k: self.waits.pop(0))
        monkeypatch.setattr(swarm_stack, "rollback_service", lambda client, s: self.rolled_back.append(s["Spec"]["Name"]))
        monkeypatch.setattr(swarm_stack, "remove_service", lambda client, s: self.removed.append(s["Spec"]["Name"]))
        monkeypatch.setattr(swarm_stack, "ImageHealth", lambda client: (lambda image: None))
        monkeypatch.setattr(swarm_stack, "health_windows", lambda *a: {})
        monkeypatch.setattr(swarm_stack.time, "sleep", lambda seconds: None)
        path = tmp_path / "stack.yml"
        monkeypatch.setattr(swarm_stack.tempfile, "mkstemp",
                            lambda **k: (os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), str(path)))


def deployer(**params):
    client = type("Client", (), {})()
    client.module = Module(**params)
    return swarm_stack.StackDeployer(client)


def test_a_failed_update_is_rolled_back_and_a_created_service_removed(monkeypatch, tmp_path):
    before = [service("demo_web", "swarmops/demo-web:1")]
    after = [service("demo_web", "swarmops/demo-web:2", version=11), service("demo_api", "swarmops/api:1")]
    swarm = Swarm(before, after, [WaitResult(False, True, evaluation(False, "task failed"), 12.0),
                                  WaitResult(True, False, evaluation(True), 3.0)])
    swarm.install(monkeypatch, tmp_path)
    stack = deployer()
    with pytest.raises(SwarmOpsError) as excinfo:
        stack.present()
    message = str(excinfo.value)
    assert message.startswith("Stack demo failed; rolled back (demo_web, demo_api (removed: it did not exist before)) "
                              "and the previous version is healthy again."), message
    assert "service demo_web: task failed; 0 of 2 running." in message
    assert swarm.rolled_back == ["demo_web"] and swarm.removed == ["demo_api"]
    assert stack.results["rolled_back"] is True and stack.results["changed"] is True
    # The CLI is asked what it knows first (this one: no --detach, as Docker 20.10), then the deploy.
    assert stack.client.module.commands[0] == ["docker", "stack", "deploy", "--help"]
    assert stack.client.module.commands[1][:3] == ["docker", "stack", "deploy"]
    assert "--detach=true" not in stack.client.module.commands[1]


def test_a_rollback_swarm_made_itself_is_not_made_again(monkeypatch, tmp_path):
    before = [service("demo_web", "swarmops/demo-web:1"), service("demo_api", "swarmops/api:0")]
    after = [service("demo_web", "swarmops/demo-web:1", version=12, update_state="rollback_completed"),
             service("demo_api", "swarmops/api:0")]
    swarm = Swarm(before, after, [WaitResult(False, True, evaluation(False, "rolled back by Swarm"), 40.0),
                                  WaitResult(True, False, evaluation(True), 1.0)])
    swarm.install(monkeypatch, tmp_path)
    with pytest.raises(SwarmOpsError, match=r"rolled back \(demo_web \(rolled back by Swarm\)\)"):
        deployer().present()
    assert swarm.rolled_back == [] and swarm.removed == []


def test_without_rollback_the_failure_is_reported_as_it_is(monkeypatch, tmp_path):
    before = [service("demo_web", "swarmops/demo-web:1")]
    swarm = Swarm(before, before, [WaitResult(False, False, evaluation(False), 30.0)])
    swarm.install(monkeypatch, tmp_path)
    stack = deployer(rollback_on_failure=False)
    with pytest.raises(SwarmOpsError, match=r"^Stack demo did not become healthy within 30s:\nservice demo_web"):
        stack.present()
    assert swarm.rolled_back == [] and stack.results["rolled_back"] is False
    assert stack.results["diagnosis"].startswith("service demo_web")


def test_a_previous_version_that_is_not_healthy_either_is_said(monkeypatch, tmp_path):
    before = [service("demo_web", "swarmops/demo-web:1")]
    after = [service("demo_web", "swarmops/demo-web:2", version=11)]
    swarm = Swarm(before, after, [WaitResult(False, True, evaluation(False, "task failed"), 12.0),
                                  WaitResult(False, False, evaluation(False, "still failing"), 30.0)])
    swarm.install(monkeypatch, tmp_path)
    with pytest.raises(SwarmOpsError, match="but the previous version is not healthy either:\nservice demo_web: still failing"):
        deployer(definition={"services": {"web": {"image": "swarmops/demo-web:2"}}}).present()
    assert swarm.rolled_back == ["demo_web"]


def test_a_failed_docker_stack_deploy_changes_nothing_more(monkeypatch, tmp_path):
    swarm = Swarm([], [], [])
    swarm.install(monkeypatch, tmp_path)
    stack = deployer()
    stack.client.module.run_command = lambda command: (1, "", "image not found\n")
    with pytest.raises(SwarmOpsError, match=r"^docker stack deploy of demo failed \(rc 1\): image not found$"):
        stack.present()
    assert swarm.rolled_back == [] and swarm.removed == []


def test_a_cli_that_knows_detach_is_told_not_to_wait(monkeypatch, tmp_path):
    swarm = Swarm([], [service("demo_web", "swarmops/demo-web:1")], [WaitResult(True, False, evaluation(True), 3.0)])
    swarm.install(monkeypatch, tmp_path)
    stack = deployer()
    answers = {True: (0, "Options:\n  -c, --compose-file strings   Path to a Compose file\n"
                         "  -d, --detach                  Exit immediately instead of waiting (default true)\n", "")}
    stack.client.module.run_command = lambda command: (stack.client.module.commands.append(command)
                                                       or answers.get("--help" in command, (0, "", "")))
    stack.present()
    assert stack.client.module.commands[1][-2:] == ["--detach=true", "demo"]
