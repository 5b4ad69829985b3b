# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""Compose stack definitions: validate, fingerprint, give safe update defaults, plan.

Each service of a stack carries, as service labels, the fingerprint of its
Compose definition and the definition itself.  Comparing fingerprints tells
which services a deploy creates, updates or removes without touching the
swarm, so check mode, diff mode and ``changed`` are exact.  Nothing here does I/O.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import (
    DEFAULT_STOP_GRACE,
    detection_delay,
    health_from_api,
    healthy_window,
    merge_healthchecks,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError

HASH_LABEL = "io.swarmops.stack.hash"
DEFINITION_LABEL = "io.swarmops.stack.definition"
SHARED_SECTIONS = ("networks", "volumes", "configs", "secrets")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
# Swarm's rule for service and network names (a DNS name component).
_NAME = re.compile(r"[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class StackDefinitionError(SwarmOpsError):
    """The stack definition cannot be deployed as given."""


def parse_duration(value) -> float:
    """Seconds of a Compose duration ("30s", "1m30s", "500ms") or a number of seconds."""
    if isinstance(value, bool):
        raise StackDefinitionError(f"duration {value!r} is not a duration")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip()
    if text == "0":  # the one duration Go accepts without a unit
        return 0.0
    if not text or _DURATION.sub("", text):
        raise StackDefinitionError(f"duration {value!r} is not a duration such as 30s or 1m30s")
    return sum(float(number) * _UNITS[unit] for number, unit in _DURATION.findall(text))


def format_duration(seconds: float) -> str:
    milliseconds = round(float(seconds) * 1000)
    return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"


# Compose's deploy.mode of the services that run to their end (engine 23 and later).
JOB_MODES = ("replicated-job", "global-job")


def validate_definition(definition, stack: str) -> dict:
    """Check the shape of a Compose definition; return a deep copy to work on."""
    if not isinstance(stack, str) or not _NAME.fullmatch(stack or ""):
        raise StackDefinitionError(f"stack name {stack!r} is not valid: letters and digits, joined by - or _")
    if not isinstance(definition, dict):
        raise StackDefinitionError(
            f"the definition of stack {stack} must be a mapping with a 'services' key, got {type(definition).__name__}"
        )
    services = definition.get("services")
    if not isinstance(services, dict) or not services:
        raise StackDefinitionError(f"the definition of stack {stack} has no 'services' mapping")
    for name, service in services.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise StackDefinitionError(f"service name {name!r} of stack {stack} is not valid: letters and digits, joined by - or _")
        if not isinstance(service, dict):
            raise StackDefinitionError(f"service {name} of stack {stack} must be a mapping, got {type(service).__name__}")
        if not isinstance(service.get("image"), str) or not service["image"]:
            raise StackDefinitionError(
                f"service {name} of stack {stack} has no image (build images first; swarm deploys only images)"
            )
        deploy = service.get("deploy", {})
        if not isinstance(deploy, dict):
            raise StackDefinitionError(f"service {name}: deploy must be a mapping")
        replicas = deploy.get("replicas", 1)
        if isinstance(replicas, bool) or not isinstance(replicas, int) or replicas < 0:
            raise StackDefinitionError(f"service {name}: deploy.replicas must be a whole number >= 0, got {replicas!r}")
        if service.get("stop_grace_period") is not None:
            parse_duration(service["stop_grace_period"])
        healthcheck = service.get("healthcheck")
        if healthcheck is not None and not isinstance(healthcheck, dict):
            raise StackDefinitionError(f"service {name}: healthcheck must be a mapping")
        if healthcheck and healthcheck.get("disable") and healthcheck.get("test"):
            raise StackDefinitionError(f"service {name}: healthcheck sets both disable and test (the docker CLI refuses)")
        for key in ("update_config", "rollback_config", "restart_policy", "labels", "resources", "placement"):
            if key in deploy and not isinstance(deploy[key], (dict, list) if key == "labels" else dict):
                raise StackDefinitionError(f"service {name}: deploy.{key} must be a mapping")
        # The engine refuses it, after the deploy has begun ("jobs do not have an update config").
        if deploy.get("mode") in JOB_MODES and ("update_config" in deploy or "rollback_config" in deploy):
            raise StackDefinitionError(
                f"service {name}: a {deploy['mode']} has no update_config or rollback_config (a job runs to its end, "
                f"it is not updated in place)")
    for section in SHARED_SECTIONS:
        if section in definition and not isinstance(definition[section], (dict, type(None))):
            raise StackDefinitionError(f"the '{section}' section of stack {stack} must be a mapping")
    return copy.deepcopy(definition)


def compose_health(service: dict) -> dict | None:
    """The service's Compose health check in the API's shape (Test, and Interval... in nanoseconds, those it sets);
    None when it has none. ``disable: true`` is the test NONE (the image's check does not run then); a test given
    as text is a shell command, as the docker CLI reads it (even the text NONE)."""
    healthcheck = service.get("healthcheck")
    if not healthcheck:
        return None
    if healthcheck.get("disable"):
        return {"Test": ["NONE"]}
    test = healthcheck.get("test")
    if isinstance(test, str):
        test = ["CMD-SHELL", test]
    result = {"Test": list(test or [])}
    for key, name in (("interval", "Interval"), ("timeout", "Timeout"), ("start_period", "StartPeriod")):
        if key in healthcheck:
            result[name] = int(parse_duration(healthcheck[key]) * 1e9)
    if "retries" in healthcheck:
        result["Retries"] = int(healthcheck["retries"])
    return result


def service_health(service: dict, image_healthcheck: dict | None = None) -> dict | None:
    """The health check that runs, in seconds: the Compose file's merged over the image's (HEALTHCHECK in its
    Dockerfile) field by field, as the engine does; None when there is none."""
    return health_from_api(merge_healthchecks(compose_health(service), image_healthcheck))


def default_update_config(service: dict, image_healthcheck: dict | None = None) -> dict:
    """Start the new task first, one at a time, roll back on failure, and watch each new task as long as the
    deploy gate does (its healthy window, then the time a check that turned bad takes to show), so that Swarm
    itself rolls back a revision that fails in that window even when no playbook is watching."""
    health = service_health(service, image_healthcheck)
    grace = DEFAULT_STOP_GRACE if service.get("stop_grace_period") is None else parse_duration(service["stop_grace_period"])
    monitor = healthy_window(health) + detection_delay(health, grace)
    return {
        "parallelism": 1,
        "order": "start-first",
        "failure_action": "rollback",
        "monitor": format_duration(monitor),
    }


def apply_update_defaults(definition: dict, image_health: dict | None = None) -> list[str]:
    """Give every service without an update_config the safe default; return their names. Jobs get none.

    ``image_health``: per service name, the health check of its image in the API's shape (None when it has none).
    """
    changed = []
    for name, service in definition["services"].items():
        deploy = service.setdefault("deploy", {})
        # A job runs to its end and has no update or rollback settings: the engine refuses them.
        if deploy.get("mode") in JOB_MODES:
            continue
        if "update_config" not in deploy:
            deploy["update_config"] = default_update_config(service, (image_health or {}).get(name))
            deploy.setdefault("rollback_config", {"parallelism": 1, "order": "start-first"})
            changed.append(name)
    return changed


def _labels_dict(labels) -> dict:
    if isinstance(labels, list):
        result = {}
        for item in labels:
            key, _separator, value = str(item).partition("=")
            result[key] = value
        return result
    return dict(labels or {})


def fingerprint(definition: dict, service_name: str) -> str:
    service = copy.deepcopy(definition["services"][service_name])
    deploy = service.get("deploy") or {}
    if "labels" in deploy:
        labels = _labels_dict(deploy["labels"])
        labels.pop(HASH_LABEL, None)
        labels.pop(DEFINITION_LABEL, None)
        deploy["labels"] = labels
    shared = {section: definition.get(section) for section in SHARED_SECTIONS if definition.get(section)}
    text = json.dumps({"service": service, "shared": shared}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def stamp(definition: dict) -> dict:
    """Put the fingerprint and the definition of each service in its labels. Returns {service: fingerprint}."""
    prints = {}
    for service_name in definition["services"]:
        prints[service_name] = fingerprint(definition, service_name)
    for name, service in definition["services"].items():
        original = json.dumps(service, sort_keys=True, default=str)
        deploy = service.setdefault("deploy", {})
        labels = _labels_dict(deploy.get("labels"))
        labels[HASH_LABEL] = prints[name]
        labels[DEFINITION_LABEL] = original
        deploy["labels"] = labels
    return prints


def plan_stack(stack: str, fingerprints: dict, existing_services: list, prune: bool) -> dict:
    """Which services a deploy creates, updates, removes, and leaves alone.

    ``existing_services`` are the stack's services as the API returns them.
    """
    existing = {}
    for service in existing_services:
        full = (service.get("Spec") or {}).get("Name") or ""
        short = full[len(stack) + 1:] if full.startswith(stack + "_") else full
        existing[short] = service
    created = sorted(n for n in fingerprints if n not in existing)
    updated = sorted(
        n for n in fingerprints
        if n in existing and ((existing[n].get("Spec") or {}).get("Labels") or {}).get(HASH_LABEL) != fingerprints[n]
    )
    unchanged = sorted(n for n in fingerprints if n in existing and n not in updated)
    extra = sorted(n for n in existing if n not in fingerprints)
    return {
        "created": created,
        "updated": updated,
        "removed": extra if prune else [],
        "kept_extra": [] if prune else extra,
        "unchanged": unchanged,
    }


def deployed_definition(service: dict):
    """The Compose definition a service was deployed from, when swarm_stack deployed it."""
    text = ((service.get("Spec") or {}).get("Labels") or {}).get(DEFINITION_LABEL)
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def check_stacks(stacks, definitions: dict) -> list[str]:
    """Why the stack list can not be deployed, each a sentence; empty when it can.

    ``stacks``: the role's ``swarm_stacks``.  ``definitions``: per stack name,
    its definition as loaded (a Compose file rendered and parsed, or the inline
    definition parsed when it is text), or a ``StackDefinitionError`` saying why
    it could not be read.  Stacks to remove need no definition.
    """
    if not isinstance(stacks, list):
        return [f"swarm_stacks must be a list of stacks, got {type(stacks).__name__}"]
    errors = []
    seen = set()
    for number, entry in enumerate(stacks, start=1):
        if not isinstance(entry, dict):
            errors.append(f"entry {number} of swarm_stacks is not a mapping with a name")
            continue
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            errors.append(f"entry {number} of swarm_stacks has no name")
            continue
        if not _NAME.fullmatch(name):
            errors.append(f"stack name {name!r} is not valid: letters and digits, joined by - or _")
            continue
        if name in seen:
            errors.append(f"stack {name} is listed twice")
            continue
        seen.add(name)
        state = entry.get("state", "present")
        if state not in ("present", "absent"):
            errors.append(f"stack {name}: state is {state!r}, not present or absent")
            continue
        if state == "absent":
            continue
        if ("compose" in entry) == ("definition" in entry):
            errors.append(f"stack {name}: give exactly one of compose (a Compose file) or definition (inline)")
            continue
        definition = definitions.get(name)
        if isinstance(definition, StackDefinitionError):
            errors.append(f"stack {name}: {definition}")
            continue
        try:
            validate_definition(definition, name)
        except StackDefinitionError as exc:
            errors.append(str(exc))
    return errors


def health_report(results) -> list[str]:
    """The last health check output of each failing task, one paragraph per task.

    ``results``: per failing task, ``{"item": {service, node, container_id,
    exit_code}, "container": <its container as inspected on its node>}``; a
    container already removed, or without a health log, has nothing to say.
    The output is that of the last failing check that printed something: the
    very last check of a container being stopped is often cut off, with no
    output.
    """
    lines = []
    for result in results or []:
        if not isinstance(result, dict):
            continue
        log = ((((result.get("container") or {}).get("State") or {}).get("Health") or {}).get("Log")) or []
        said = [e for e in log if isinstance(e, dict) and str(e.get("Output") or "").strip()]
        failing = [e for e in said if e.get("ExitCode") not in (0, None)]
        if not said:
            continue
        item = result.get("item") or {}
        lines.append(
            f"Health check output of {item.get('service')} on {item.get('node')} (container "
            f"{str(item.get('container_id') or '')[:12]}, exit code {item.get('exit_code')}): "
            f"{str((failing or said)[-1].get('Output') or '').strip()}"
        )
    return lines


def _tagged(name: str) -> str:
    """``name:tag`` as the engine lists it: ``:latest`` added to a name without a tag."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def images_to_build(names, present) -> list[str]:
    """The image names (``name:tag``) the builder does not have under that tag, in order.

    ``present``: the ``images`` of docker_image_info on the builder (each with ``RepoTags``).
    """
    tags = {tag for image in present or [] for tag in (image.get("RepoTags") or [])}
    return [name for name in names if _tagged(name) not in tags]


def images_missing(built, on_nodes, names) -> dict[str, dict]:
    """Per host that lacks a built image, the one archive to load there: {host: {ids, names, archive}}.

    ``built``: the ``images`` of docker_image_info on the builder; ``on_nodes``:
    {host: the ``images`` of docker_image_info on that host}; ``names``: the
    image names of swarm_stacks_images. By ID, not by tag: an image rebuilt
    under the same tag is missing where the old one is. A host gets one archive
    of all the images it lacks (images built on one base share its layers once),
    and hosts that lack the same images share it: ``archive`` is a file name
    (without extension) unique to that set of IDs. ``names`` are the names to
    export the images under (an archive of IDs alone loads untagged).
    """
    tags_by_id = {}
    for image in built or []:
        if image.get("Id"):
            tags_by_id.setdefault(image["Id"], set()).update(image.get("RepoTags") or [])
    missing = {}
    for host, images in on_nodes.items():
        have = {image.get("Id") for image in images or []}
        lacking = [image_id for image_id in tags_by_id if image_id not in have]
        if lacking:
            key = ",".join(sorted(lacking))
            missing[host] = {
                "ids": lacking,
                "names": [name for name in names if any(_tagged(name) in tags_by_id[i] for i in lacking)],
                "archive": "images-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:20],
            }
    return missing


def stack_deploy_argv(cli: str, compose_path: str, stack: str, resolve_image: str, prune: bool = False,
                      with_registry_auth: bool = False, deploy_help: str = "") -> list[str]:
    """The ``docker stack deploy`` command line.

    ``deploy_help``: what ``docker stack deploy --help`` printed. A CLI that
    knows ``--detach`` (Docker 26 and later) is told ``--detach=true``
    explicitly: the deploy gate watches the services itself, and a CLI that
    waited (``--detach=false``) would hold the gate's clock and roll nothing back.
    """
    argv = [cli, "stack", "deploy", "--compose-file", compose_path, "--resolve-image", resolve_image]
    if re.search(r"(^|\s)(-d, )?--detach\b", deploy_help or "", re.MULTILINE):
        argv.append("--detach=true")
    if prune:
        argv.append("--prune")
    if with_registry_auth:
        argv.append("--with-registry-auth")
    argv.append(stack)
    return argv
