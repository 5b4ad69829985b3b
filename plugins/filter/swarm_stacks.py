# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The stack list checked before anything changes, the health output of a failed deploy, and which images to build and
to load where; the documentation lives in swarm_stacks_check.yml, swarm_stacks_health_report.yml,
swarm_stacks_images_to_build.yml and swarm_stacks_images_missing.yml."""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_stack import (
    StackDefinitionError,
    check_stacks,
    health_report,
    images_missing,
    images_to_build,
)

RENDERED_FACT = "_swarm_stacks_rendered"


def _load(text, source):
    if not isinstance(text, str):
        return text
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return StackDefinitionError(f"{source} does not parse as YAML: {' '.join(str(exc).split())}")


def _definitions(stacks, renders):
    definitions = {}
    for result in renders or []:
        if not isinstance(result, Mapping) or result.get("skipped") or not isinstance(result.get("item"), Mapping):
            continue
        item = result["item"]
        text = (result.get("ansible_facts") or {}).get(RENDERED_FACT)
        source = f"the Compose file {item.get('compose')}"
        if not text:
            definitions[item.get("name")] = StackDefinitionError(f"{source} can not be read or rendered (see the warning above)")
        else:
            definitions[item.get("name")] = _load(text, source)
    for entry in stacks if isinstance(stacks, list) else []:
        if isinstance(entry, Mapping) and "definition" in entry and "compose" not in entry:
            definitions[entry.get("name")] = _load(entry["definition"], "the inline definition")
    return definitions


def swarm_stacks_check(stacks, renders=None):
    if renders is not None and not isinstance(renders, list):
        raise AnsibleFilterError(f"swarm_stacks_check: renders must be the results of the rendering loop, got {type(renders).__name__}")
    return check_stacks(stacks, _definitions(stacks, renders))


def swarm_stacks_health_report(results):
    if not isinstance(results, list):
        raise AnsibleFilterError(f"swarm_stacks_health_report expects the results of a loop, got {type(results).__name__}")
    return health_report(results)


def _image_list(value, what):
    """The ``images`` of a docker_image_info result (or that list itself)."""
    if isinstance(value, Mapping):
        value = value.get("images", [])
    if not isinstance(value, list) or not all(isinstance(image, Mapping) for image in value):
        raise AnsibleFilterError(f"{what} must be a docker_image_info result or its images, got {type(value).__name__}")
    return value


def swarm_stacks_images_to_build(images, present):
    if not isinstance(images, list) or not all(isinstance(i, Mapping) and isinstance(i.get("name"), str) for i in images):
        raise AnsibleFilterError("swarm_stacks_images_to_build expects swarm_stacks_images, a list of {name, path}")
    return images_to_build([image["name"] for image in images], _image_list(present, "present"))


def swarm_stacks_images_missing(hostvars, hosts, built, images, result_var="_swarm_stacks_on_node"):
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(f"swarm_stacks_images_missing: the input must be hostvars, got {type(hostvars).__name__}")
    if not isinstance(hosts, list) or not all(isinstance(host, str) for host in hosts):
        raise AnsibleFilterError(f"swarm_stacks_images_missing: hosts must be a list of inventory hostnames, got {hosts!r}")
    on_nodes = {}
    for host in hosts:
        result = (hostvars[host] if host in hostvars else {}).get(result_var)
        if isinstance(result, Mapping) and not result.get("skipped"):
            on_nodes[host] = _image_list(result, f"{result_var} of {host}")
    if not isinstance(images, list) or not all(isinstance(i, Mapping) and isinstance(i.get("name"), str) for i in images):
        raise AnsibleFilterError("swarm_stacks_images_missing: images must be swarm_stacks_images, a list of {name, path}")
    return images_missing(_image_list(built, "built"), on_nodes, [image["name"] for image in images])


class FilterModule:
    def filters(self):
        return {
            "swarm_stacks_check": swarm_stacks_check,
            "swarm_stacks_health_report": swarm_stacks_health_report,
            "swarm_stacks_images_missing": swarm_stacks_images_missing,
            "swarm_stacks_images_to_build": swarm_stacks_images_to_build,
        }
