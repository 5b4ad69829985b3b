# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the swarm_stacks filters: swarm_stacks_check (the rendered Compose files, parsed, then
``_swarm_stack.check_stacks``), and which images to build and to load where."""

from __future__ import annotations

import hashlib

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.swarmops.ha.plugins.filter.swarm_stacks import (
    FilterModule,
    swarm_stacks_check,
    swarm_stacks_images_missing,
    swarm_stacks_images_to_build,
)

GOOD = "services:\n  web:\n    image: swarmops/demo-web:1\n"


def rendered(item, text):
    """One result of the role's rendering loop (a set_fact of _swarm_stacks_rendered)."""
    return {"item": item, "changed": False, "ansible_facts": {"_swarm_stacks_rendered": text}}


def test_registered():
    assert sorted(FilterModule().filters()) == ["swarm_stacks_check", "swarm_stacks_health_report",
                                                "swarm_stacks_images_missing", "swarm_stacks_images_to_build"]


def test_rendered_files_and_inline_definitions():
    demo = {"name": "demo", "compose": "/srv/demo.yml.j2"}
    stacks = [demo, {"name": "inline", "definition": GOOD}, {"name": "mapping", "definition": yaml.safe_load(GOOD)},
              {"name": "old", "compose": "/srv/old.yml", "state": "absent"}]
    skipped = {"item": stacks[3], "skipped": True, "changed": False}
    assert swarm_stacks_check(stacks, [rendered(demo, GOOD), skipped]) == []


def test_what_can_not_be_read_or_parsed():
    missing = {"name": "gone", "compose": "/srv/gone.yml"}
    broken = {"name": "broken", "compose": "/srv/broken.yml"}
    stacks = [missing, broken, {"name": "inline", "definition": "services: [web"}]
    problems = swarm_stacks_check(stacks, [rendered(missing, None), rendered(broken, "services: {web")])
    assert problems[0] == "stack gone: the Compose file /srv/gone.yml can not be read or rendered (see the warning above)"
    assert problems[1].startswith("stack broken: the Compose file /srv/broken.yml does not parse as YAML: ")
    assert problems[2].startswith("stack inline: the inline definition does not parse as YAML: ")
    assert len(problems) == 3


def test_a_file_that_renders_to_no_compose_definition():
    demo = {"name": "demo", "compose": "/srv/demo.yml"}
    assert swarm_stacks_check([demo], [rendered(demo, "just text")]) == [
        "the definition of stack demo must be a mapping with a 'services' key, got str"]


def test_renders_must_be_a_list():
    with pytest.raises(AnsibleFilterError, match="renders must be the results of the rendering loop"):
        swarm_stacks_check([], {"results": []})


def test_health_report():
    from ansible_collections.swarmops.ha.plugins.filter.swarm_stacks import swarm_stacks_health_report
    item = {"service": "web_app", "node": "worker2", "container_id": "abc", "exit_code": 1}
    container = {"State": {"Health": {"Log": [{"Output": "down"}]}}}
    assert swarm_stacks_health_report([{"item": item, "container": container}]) == [
        "Health check output of web_app on worker2 (container abc, exit code 1): down"]
    with pytest.raises(AnsibleFilterError, match="expects the results of a loop"):
        swarm_stacks_health_report({"results": []})


IMAGES = [{"name": "swarmops/demo-web:1", "path": "/srv/web"}, {"name": "swarmops/demo-redis:1", "path": "/srv/redis"}]
WEB = {"Id": "sha256:aaa", "RepoTags": ["swarmops/demo-web:1"]}
REDIS = {"Id": "sha256:bbb", "RepoTags": ["swarmops/demo-redis:1"]}


def info(*images):
    return {"changed": False, "images": list(images)}


class TestImages:
    def test_to_build_from_a_result_or_its_images(self):
        assert swarm_stacks_images_to_build(IMAGES, info(WEB)) == ["swarmops/demo-redis:1"]
        assert swarm_stacks_images_to_build(IMAGES, [WEB, REDIS]) == []

    def test_missing_from_hostvars(self):
        hostvars = {"manager1": {"_swarm_stacks_on_node": info(WEB, REDIS)},
                    "worker1": {"_swarm_stacks_on_node": info(REDIS)},
                    # check mode before the engine is installed: not compared
                    "worker2": {"_swarm_stacks_on_node": {"skipped": True, "changed": False}},
                    "worker3": {}}
        expected = {"ids": ["sha256:aaa"], "names": ["swarmops/demo-web:1"],
                    "archive": "images-" + hashlib.sha256(b"sha256:aaa").hexdigest()[:20]}
        assert swarm_stacks_images_missing(hostvars, ["manager1", "worker1", "worker2", "worker3", "lb1"],
                                           info(WEB, REDIS), IMAGES) == {"worker1": expected}

    @pytest.mark.parametrize("call, message", [
        pytest.param(lambda: swarm_stacks_images_to_build("swarmops/demo-web:1", []), "expects swarm_stacks_images",
                     id="build-str"),
        pytest.param(lambda: swarm_stacks_images_to_build(IMAGES, "none"), "present must be a docker_image_info result",
                     id="build-present-str"),
        pytest.param(lambda: swarm_stacks_images_missing([], ["m1"], [], IMAGES), "the input must be hostvars",
                     id="missing-list"),
        pytest.param(lambda: swarm_stacks_images_missing({}, "m1", [], IMAGES), "hosts must be a list", id="missing-hosts"),
        pytest.param(lambda: swarm_stacks_images_missing({}, ["m1"], [], [{"path": "x"}]), "images must be swarm_stacks_images",
                     id="missing-images"),
        pytest.param(lambda: swarm_stacks_images_missing({"m1": {"_swarm_stacks_on_node": {"images": "x"}}}, ["m1"], [],
                                                         IMAGES), "_swarm_stacks_on_node of m1 must be", id="missing-result"),
    ])
    def test_bad_input(self, call, message):
        with pytest.raises(AnsibleFilterError, match=message):
            call()
