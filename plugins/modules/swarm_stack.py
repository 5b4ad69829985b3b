#!/usr/bin/python
# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: swarm_stack
short_description: Deploy a swarm stack, done only when every task is healthy, rolled back when not
version_added: 0.1.0
description:
  - Deploys a stack from a Compose file or an inline definition with C(docker stack deploy) on a swarm manager,
    then waits until every service of the stack is converged and healthy (see M(swarmops.ha.swarm_wait) for the rules).
  - When that does not happen within O(wait_timeout), or Swarm pauses or rolls back an update, every service the deploy
    changed goes back to its previous spec (services it created are removed), the module waits for that rollback to
    converge, and fails with a diagnosis naming the failing tasks, their nodes, states, errors and exit codes.
  - Each service carries the fingerprint of its Compose definition as a label, so C(changed), check mode and diff
    mode say exactly which services a deploy creates, updates or removes.
  - A service without C(deploy.update_config) gets a safe default when O(update_defaults=true) (order start-first,
    failure_action rollback, parallelism 1, and a monitor as long as the gate watches each new task, so
    that Swarm itself rolls back a revision that fails in that window even when no playbook is watching). The health
    check in the image (its C(HEALTHCHECK)) counts as one in the Compose file; it is read on the manager.
  - From the start of the deploy, a task of the new spec that exits non-zero, is killed for being unhealthy or is
    rejected fails the deploy at once, and the changed services are rolled back. RV(failing_tasks) names their
    nodes and containers, so that the health check output can be read there (the swarmops.ha.swarm_stacks role
    does).
author: swarmops.ha contributors (@swarmops)
extends_documentation_fragment:
  - swarmops.ha.docker_api
  - swarmops.ha.swarm_wait
attributes:
  check_mode:
    support: full
    description: Reports which services would be created, updated or removed, and touches nothing.
  diff_mode:
    support: full
    description: Shows the Compose definitions of the services before and after.
options:
  name:
    description: Name of the stack.
    type: str
    required: true
  state:
    description: Whether the stack should be deployed or removed.
    type: str
    choices: [present, absent]
    default: present
  compose:
    description: Path of a Compose file on the manager. Mutually exclusive with O(definition).
    type: path
  definition:
    description: The Compose definition inline, as a mapping or as YAML text.
    type: raw
  prune:
    description: Remove services of the stack that the definition no longer has.
    type: bool
    default: false
  with_registry_auth:
    description: Send registry authentication details to the swarm agents.
    type: bool
    default: false
  resolve_image:
    description: Query the registry to resolve image digests (C(docker stack deploy --resolve-image)).
    type: str
    choices: [always, changed, never]
    default: always
  wait:
    description: Wait until every service is converged and healthy.
    type: bool
    default: true
  rollback_on_failure:
    description: Put the changed services back on their previous spec when the deploy does not become healthy.
    type: bool
    default: true
  update_defaults:
    description: Give services without C(deploy.update_config) the safe default described above.
    type: bool
    default: true
  docker_cli:
    description: Path of the docker CLI on the manager.
    type: path
    default: docker
requirements:
  - The docker CLI on the manager (for C(docker stack deploy)).
  - PyYAML on the manager.
"""

EXAMPLES = r"""
- name: Deploy the demo stack and wait until it is healthy
  swarmops.ha.swarm_stack:
    name: demo
    compose: /srv/stacks/demo.yml
    wait_timeout: 300

- name: Deploy an inline definition, prune services it no longer has
  swarmops.ha.swarm_stack:
    name: cache
    prune: true
    definition:
      version: "3.8"
      services:
        redis:
          image: redis:7
          deploy:
            replicas: 1

- name: Remove a stack
  swarmops.ha.swarm_stack:
    name: demo
    state: absent
"""

RETURN = r"""
services:
  description: Per service, replicas wanted and running, image, update state and whether it converged.
  returned: always
  type: dict
plan:
  description: The services the deploy creates, updates, removes and leaves alone.
  returned: always
  type: dict
  sample: {"created": [], "updated": ["web"], "removed": [], "kept_extra": [], "unchanged": ["redis"]}
rolled_back:
  description: Whether the deploy was rolled back.
  returned: always
  type: bool
defaults_applied:
  description: Services that got the default update_config.
  returned: state=present
  type: list
  elements: str
diagnosis:
  description: Why the deploy failed, per service with the failing tasks.
  returned: failure
  type: str
health:
  description:
    - Per service, what the gate waited for and why. C(window) is how long every new task's health check had to keep
      passing (O(min_healthy_time), or from the health check that runs, twice C(interval) x C(retries), at least 10
      seconds), C(watch) how long each new task was watched (the window, then as long as a check that turned bad at
      its end takes to make the engine call the task unhealthy), C(health_check) the check that runs (the spec's, else
      the image's C(HEALTHCHECK); seconds) or null.
  returned: success and failure, when services were read
  type: dict
  sample: {"demo_web": {"window": 12.0, "watch": 31.0,
           "health_check": {"interval": 2.0, "timeout": 2.0, "retries": 3, "start_period": 2.0}, "stop_grace": 5.0}}
failing_tasks:
  description: The failing tasks of the services that did not converge, with C(service), C(id), C(node),
    C(container_id), C(state), C(exit_code), C(error) and C(message).
  returned: failure
  type: list
  elements: dict
"""

import os
import tempfile
import time
import traceback

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.swarmops.ha.plugins.module_utils._docker_client import DockerException, RequestException, docker_api_client

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_api import (
    ImageHealth,
    health_windows,
    list_services,
    remove_service,
    rollback_service,
    wait_for_services,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import diagnosis, failing_tasks, summary
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_stack import (
    StackDefinitionError,
    apply_update_defaults,
    deployed_definition,
    plan_stack,
    stack_deploy_argv,
    stamp,
    validate_definition,
)

from ansible.module_utils.basic import missing_required_lib

try:
    import yaml
    YAML_IMPORT_ERROR = None
except ImportError as exc:  # the node's Python may lack PyYAML (python3-yaml)
    yaml = None
    YAML_IMPORT_ERROR = exc


class StackDeployer:
    def __init__(self, client):
        self.client = client
        self.module = client.module
        self.params = client.module.params
        self.name = self.params["name"]
        self.results = {"changed": False, "rolled_back": False, "services": {}, "plan": {}}

    # -- reading -----------------------------------------------------------
    def load_definition(self):
        params = self.params
        if params["compose"]:
            try:
                with open(params["compose"], "rb") as handle:
                    text = handle.read().decode("utf-8")
            except OSError as exc:
                raise StackDefinitionError(f"can not read the Compose file {params['compose']}: {exc}") from exc
            source = params["compose"]
        elif isinstance(params["definition"], str):
            text, source = params["definition"], "the inline definition"
        else:
            return validate_definition(params["definition"], self.name)
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise StackDefinitionError(f"{source} of stack {self.name} does not parse: {exc}") from exc
        return validate_definition(loaded, self.name)

    def wait(self, names=None, **options):
        return wait_for_services(self.client, self.params, stack=None if names else self.name, names=names, **options)

    # -- acting ------------------------------------------------------------
    def deploy(self, definition):
        handle, path = tempfile.mkstemp(prefix=f"stack-{self.name}-", suffix=".yml", dir=self.module.tmpdir)
        with os.fdopen(handle, "w") as stream:
            yaml.safe_dump(definition, stream, default_flow_style=False, sort_keys=False)
        rc, deploy_help, err = self.module.run_command([self.params["docker_cli"], "stack", "deploy", "--help"])
        command = stack_deploy_argv(self.params["docker_cli"], path, self.name, self.params["resolve_image"],
                                    prune=self.params["prune"], with_registry_auth=self.params["with_registry_auth"],
                                    deploy_help=deploy_help if rc == 0 else "")
        rc, out, err = self.module.run_command(command)
        if rc != 0:
            raise SwarmOpsError(f"docker stack deploy of {self.name} failed (rc {rc}): {err.strip() or out.strip()}")

    def remove(self):
        rc, out, err = self.module.run_command([self.params["docker_cli"], "stack", "rm", self.name])
        if rc != 0:
            raise SwarmOpsError(f"docker stack rm {self.name} failed (rc {rc}): {err.strip() or out.strip()}")
        deadline = time.monotonic() + self.params["wait_timeout"]
        while list_services(self.client, stack=self.name):
            if time.monotonic() > deadline:
                raise SwarmOpsError(f"services of stack {self.name} still exist {self.params['wait_timeout']}s after docker stack rm")
            time.sleep(self.params["poll_interval"])

    def roll_back(self, before, plan):
        """Put updated services back on their previous spec, remove created ones. Returns what was done."""
        done = []
        current = {(s.get("Spec") or {}).get("Name"): s for s in list_services(self.client, stack=self.name)}
        for short in plan["updated"]:
            full = f"{self.name}_{short}"
            service = current.get(full)
            if service is None or full not in before:
                continue
            state = ((service.get("UpdateStatus") or {}).get("State") or "")
            if state in ("rollback_started", "rollback_completed", "rollback_paused"):
                done.append(f"{full} (rolled back by Swarm)")
                continue
            if (service.get("Spec") or {}) != (before[full].get("Spec") or {}):
                rollback_service(self.client, service)
                done.append(full)
        for short in plan["created"]:
            service = current.get(f"{self.name}_{short}")
            if service is not None:
                remove_service(self.client, service)
                done.append(f"{self.name}_{short} (removed: it did not exist before)")
        return done

    # -- the two states ----------------------------------------------------
    def absent(self):
        existing = list_services(self.client, stack=self.name)
        self.results["plan"] = {"removed": sorted((s.get("Spec") or {}).get("Name") for s in existing)}
        if existing:
            self.results["changed"] = True
            if self.module._diff:
                self.results["diff"] = {"before": {"services": self.results["plan"]["removed"]}, "after": {"services": []}}
            if not self.module.check_mode:
                self.remove()

    def present(self):
        definition = self.load_definition()
        images = ImageHealth(self.client)
        image_health = {name: images(service["image"]) for name, service in definition["services"].items()}
        applied = apply_update_defaults(definition, image_health) if self.params["update_defaults"] else []
        self.results["defaults_applied"] = applied
        fingerprints = stamp(definition)
        existing = list_services(self.client, stack=self.name)
        plan = plan_stack(self.name, fingerprints, existing, self.params["prune"])
        self.results["plan"] = plan
        changes = plan["created"] + plan["updated"] + plan["removed"]
        self.results["changed"] = bool(changes)
        if self.module._diff:
            before, after = {}, {}
            by_short = {((s.get("Spec") or {}).get("Name") or "")[len(self.name) + 1:]: s for s in existing}
            for short in changes:
                if short in by_short:
                    before[short] = deployed_definition(by_short[short]) or {"image": "(deployed without swarm_stack)"}
                if short in definition["services"]:
                    after[short] = definition["services"][short]
            self.results["diff"] = {"before": before, "after": after}
        if self.module.check_mode:
            return
        before_specs = {(s.get("Spec") or {}).get("Name"): s for s in existing}
        # Engine and module clocks may differ a little: a second of slack.
        attempt_since = time.time() - 1
        if changes:
            self.deploy(definition)
        if not self.params["wait"]:
            return
        # Give the engine a moment to register the new specs before judging them.
        time.sleep(min(1, self.params["poll_interval"]))
        # Nothing deployed now: a rollback Swarm made earlier is history, not this run's failure.
        result = self.wait(attempt_since=attempt_since, accept_rollback=not changes)
        self.results["services"] = summary(result.evaluation)
        self.results["health"] = health_windows(self.client, list_services(self.client, stack=self.name),
                                                self.params["min_healthy_time"])
        self.results["elapsed"] = round(result.elapsed, 1)
        if result.converged:
            return
        text = diagnosis(result.evaluation)
        self.results["diagnosis"] = text
        self.results["failing_tasks"] = failing_tasks(result.evaluation)
        why = "failed" if result.failed else f"did not become healthy within {self.params['wait_timeout']}s"
        if not changes or not self.params["rollback_on_failure"]:
            raise SwarmOpsError(f"Stack {self.name} {why}:\n{text}")
        done = self.roll_back(before_specs, plan)
        self.results["rolled_back"] = True
        self.results["rollback"] = done
        rolled_names = [n for n in before_specs if n in {f"{self.name}_{s}" for s in plan["updated"]}]
        after = self.wait(names=rolled_names, accept_rollback=True, stop_on_failure=False) if rolled_names else None
        if after is not None:
            self.results["services"] = summary(after.evaluation)
        settled = "and the previous version is healthy again" if after is None or after.converged else (
            "but the previous version is not healthy either:\n" + diagnosis(after.evaluation))
        raise SwarmOpsError(
            f"Stack {self.name} {why}; rolled back ({', '.join(done) or 'nothing to undo'}) {settled}.\n"
            f"What failed:\n{text}"
        )


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        compose=dict(type="path"),
        definition=dict(type="raw"),
        prune=dict(type="bool", default=False),
        with_registry_auth=dict(type="bool", default=False),
        resolve_image=dict(type="str", default="always", choices=["always", "changed", "never"]),
        wait=dict(type="bool", default=True),
        rollback_on_failure=dict(type="bool", default=True),
        update_defaults=dict(type="bool", default=True),
        docker_cli=dict(type="path", default="docker"),
        wait_timeout=dict(type="int", default=300),
        poll_interval=dict(type="int", default=2),
        min_healthy_time=dict(type="int"),
    )
    client = docker_api_client(
        "swarmops.ha.swarm_stack",
        argument_spec=argument_spec,
        supports_check_mode=True,
        mutually_exclusive=[("compose", "definition")],
        required_if=[("state", "present", ("compose", "definition"), True)],
    )
    if yaml is None:
        client.fail(missing_required_lib("PyYAML (Debian/Ubuntu: python3-yaml)"), exception=str(YAML_IMPORT_ERROR))
    deployer = StackDeployer(client)
    try:
        if client.module.params["state"] == "present":
            deployer.present()
        else:
            deployer.absent()
    except StackDefinitionError as exc:
        client.fail(f"Nothing was deployed: {exc}", **deployer.results)
    except SwarmOpsError as exc:
        client.fail(str(exc), **deployer.results)
    except (DockerException, RequestException) as exc:
        client.fail(f"Can not deploy stack {deployer.name}: {to_native(exc)}", exception=traceback.format_exc(),
                    **deployer.results)
    client.module.exit_json(**deployer.results)


if __name__ == "__main__":
    main()
