# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the health checks the gate reads through the API (``_swarm_api``).

A fake client answers ``get_json`` from ``fixtures/swarm_services.json`` (the
``demo`` stack) and from a table of image configs (``GET /images/{name}/json``),
and records every call: images are read once each, whatever the polls.
"""

from __future__ import annotations

import copy
import json
import pathlib

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils import _swarm_api
from ansible_collections.swarmops.ha.plugins.module_utils._docker_client import DockerException
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_api import (
    ImageHealth,
    health_windows,
    healthy_times,
    wait_for_services,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import summary

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_services.json"
DATA = json.loads(FIXTURE.read_text(encoding="utf-8"))
SECOND = 1_000_000_000

HEALTH_WEB = {"interval": 5.0, "timeout": 3.0, "retries": 3, "start_period": 10.0}  # demo_web's spec
# the image's HEALTHCHECK as GET /images/{name}/json gives it (Config.Healthcheck), and in seconds
AGENT_IMAGE_HEALTHCHECK = {"Test": ["CMD", "/agent", "ping"], "Interval": 10 * SECOND, "Timeout": 5 * SECOND,
                           "Retries": 2}
AGENT_IMAGE_HEALTH = {"interval": 10.0, "timeout": 5.0, "retries": 2, "start_period": 0.0}
# 2026-11-27T04:12:01.123456Z: two minutes after the fixture's last task started
NOW = 1795752721.123456
# Every watch below is window + retries x (interval + timeout) + timeout + the stop grace period: both services of
# the fixture set StopGracePeriod 10s (Docker's default). Without a health check: the 10s floor, no grace.


class FakeClient:
    """get_json of the Docker API client: the fixture's swarm, and image configs by name."""

    def __init__(self, images=None):
        self.images = images or {}
        self.calls = []

    def get_json(self, path, *args, params=None):
        self.calls.append((path,) + args)
        if path == "/images/{0}/json":
            image = self.images.get(args[0])
            if isinstance(image, Exception):
                raise image
            return image
        return copy.deepcopy({"/services": DATA["services"], "/tasks": DATA["tasks"], "/nodes": DATA["nodes"]}[path])

    def image_reads(self):
        return [call[1] for call in self.calls if call[0] == "/images/{0}/json"]


def services():
    return copy.deepcopy(DATA["services"])


class TestImageHealth:
    def test_health_check_of_the_image(self):
        # in the API's shape, as the image carries it: the service's spec is merged over it later
        client = FakeClient({"swarmops/demo-agent:2": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        assert ImageHealth(client)("swarmops/demo-agent:2") == AGENT_IMAGE_HEALTHCHECK

    def test_read_once_per_image_without_digest(self):
        client = FakeClient({"swarmops/demo-agent:2": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        images = ImageHealth(client)
        assert images("swarmops/demo-agent:2@sha256:" + "0" * 64) == AGENT_IMAGE_HEALTHCHECK
        assert images("swarmops/demo-agent:2") == AGENT_IMAGE_HEALTHCHECK
        assert images("swarmops/demo-agent:2@sha256:" + "1" * 64) == AGENT_IMAGE_HEALTHCHECK
        assert client.image_reads() == ["swarmops/demo-agent:2"]

    @pytest.mark.parametrize("healthcheck", [
        pytest.param({"Test": ["NONE"]}, id="healthcheck-none"),
        pytest.param({"Interval": 10 * SECOND}, id="timings-only"),
        pytest.param({"Test": ["CMD", "true"]}, id="test-only"),
    ])
    def test_raw_health_check(self, healthcheck):
        # what the image sets, as it sets it: NONE and partial checks too
        client = FakeClient({"swarmops/demo-agent:2": {"Config": {"Healthcheck": healthcheck}}})
        assert ImageHealth(client)("swarmops/demo-agent:2") == healthcheck

    @pytest.mark.parametrize("answer", [
        pytest.param({"Config": {"Healthcheck": {}}}, id="empty-healthcheck"),
        pytest.param({"Config": {"Healthcheck": None}}, id="null-healthcheck"),
        pytest.param({"Config": {}}, id="no-healthcheck"),
        pytest.param({"Config": None}, id="null-config"),
        pytest.param({}, id="no-config"),
        pytest.param(None, id="null-answer"),
        pytest.param(DockerException("No such image: swarmops/demo-agent:2"), id="image-missing-on-this-node"),
    ])
    def test_no_health_check(self, answer):
        client = FakeClient({"swarmops/demo-agent:2": answer})
        images = ImageHealth(client)
        assert images("swarmops/demo-agent:2") is None
        assert images("swarmops/demo-agent:2") is None
        # a missing image is not asked for again either
        assert client.image_reads() == ["swarmops/demo-agent:2"]


class TestHealthyTimes:
    def test_explicit_seconds_for_all(self):
        client = FakeClient()
        assert healthy_times(client, 7) == 7
        assert healthy_times(client, 0) == 0
        assert client.calls == []

    def test_from_each_service_s_health_check(self):
        # demo_web: its spec's check (watch: 30s window + 3 x (5s + 3s) + 3s + 10s stop grace);
        # demo_agent: its image's (40s window + 2 x (10s + 5s) + 5s + 10s stop grace)
        client = FakeClient({"swarmops/demo-agent:2": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        times = healthy_times(client)
        assert callable(times)
        assert times(services()) == {"demo_web": 67.0, "demo_agent": 85.0}
        # every poll asks again, the images are read once
        assert times(services()) == {"demo_web": 67.0, "demo_agent": 85.0}
        assert sorted(client.image_reads()) == ["swarmops/demo-agent:2", "swarmops/demo-web:1"]

    def test_without_image_health_checks(self):
        times = healthy_times(FakeClient())
        assert times(services()) == {"demo_web": 67.0, "demo_agent": 10.0}

    def test_image_disabling_its_check(self):
        client = FakeClient({"swarmops/demo-agent:2": {"Config": {"Healthcheck": {"Test": ["NONE"]}}}})
        assert healthy_times(client)(services()) == {"demo_web": 67.0, "demo_agent": 10.0}

    def test_spec_s_interval_over_the_image_s(self):
        # interval 4s from the spec, timeout 5s and 2 retries from the image: 16s window + 2 x (4s + 5s) + 5s + 10s
        client = FakeClient({"swarmops/demo-web:1": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        web = services()[0]
        web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Interval": 4 * SECOND}
        assert healthy_times(client)([web]) == {"demo_web": 49.0}

    def test_spec_s_stop_grace_period(self):
        # demo_web stops in 3s: 30s window + 27s + 3s; demo_agent (its image's check) has none set: Docker's 10s
        client = FakeClient({"swarmops/demo-agent:2": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        web, agent = services()
        web["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] = 3 * SECOND
        del agent["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"]
        assert healthy_times(client)([web, agent]) == {"demo_web": 60.0, "demo_agent": 85.0}

    def test_stop_grace_period_without_health_check(self):
        # demo_agent has no health check (nor its image): the 10s floor, its grace does not count
        web, agent = services()
        agent["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] = 60 * SECOND
        assert healthy_times(FakeClient())([web, agent]) == {"demo_web": 67.0, "demo_agent": 10.0}

    def test_spec_disabling_the_check_hides_the_image_s(self):
        client = FakeClient({"swarmops/demo-web:1": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        web = services()[0]
        web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Test": ["NONE"]}
        assert healthy_times(client)([web]) == {"demo_web": 10.0}


class TestHealthWindows:
    def test_from_the_health_checks(self):
        client = FakeClient({"swarmops/demo-agent:2": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        assert health_windows(client, services()) == {
            "demo_web": {"window": 30.0, "watch": 67.0, "health_check": HEALTH_WEB, "stop_grace": 10.0},
            "demo_agent": {"window": 40.0, "watch": 85.0, "health_check": AGENT_IMAGE_HEALTH, "stop_grace": 10.0},
        }
        assert sorted(client.image_reads()) == ["swarmops/demo-agent:2", "swarmops/demo-web:1"]

    def test_spec_sets_only_an_interval(self):
        # the check that runs: the spec's interval, the image's test, timeout and retries
        client = FakeClient({"swarmops/demo-web:1": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        web = services()[0]
        web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Interval": 4 * SECOND}
        assert health_windows(client, [web]) == {"demo_web": {
            "window": 16.0, "watch": 49.0,
            "health_check": {"interval": 4.0, "timeout": 5.0, "retries": 2, "start_period": 0.0}, "stop_grace": 10.0}}

    def test_spec_sets_only_a_test(self):
        client = FakeClient({"swarmops/demo-web:1": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        web = services()[0]
        web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Test": ["CMD", "/healthz"]}
        assert health_windows(client, [web]) == {
            "demo_web": {"window": 40.0, "watch": 85.0, "health_check": AGENT_IMAGE_HEALTH, "stop_grace": 10.0}}

    def test_spec_s_stop_grace_period(self):
        # the window is the checks' alone; the watch adds the spec's 3s grace: 30s + 27s + 3s
        web = services()[0]
        web["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] = 3 * SECOND
        assert health_windows(FakeClient(), [web]) == {
            "demo_web": {"window": 30.0, "watch": 60.0, "health_check": HEALTH_WEB, "stop_grace": 3.0}}
        del web["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"]
        assert health_windows(FakeClient(), [web]) == {
            "demo_web": {"window": 30.0, "watch": 67.0, "health_check": HEALTH_WEB, "stop_grace": 10.0}}

    def test_spec_test_none_disables_the_image_s(self):
        client = FakeClient({"swarmops/demo-web:1": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        web = services()[0]
        web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = {"Test": ["NONE"]}
        assert health_windows(client, [web]) == {"demo_web": {"window": 10.0, "watch": 10.0, "health_check": None, "stop_grace": 10.0}}

    def test_explicit(self):
        client = FakeClient()
        assert health_windows(client, services(), 20) == {
            "demo_web": {"window": 20.0, "watch": 20.0, "health_check": HEALTH_WEB, "stop_grace": 10.0},
            "demo_agent": {"window": 20.0, "watch": 20.0, "health_check": None, "stop_grace": 10.0},
        }


class TestWaitForServices:
    PARAMS = {"wait_timeout": 0, "poll_interval": 2, "min_healthy_time": None}

    def wait(self, monkeypatch, client, params, now=NOW, **options):
        monkeypatch.setattr(_swarm_api.time, "time", lambda: now)
        monkeypatch.setattr(_swarm_api.time, "sleep", lambda seconds: pytest.fail("a converged wait slept"))
        return wait_for_services(client, params, **options)

    def test_min_healthy_time_from_the_health_checks(self, monkeypatch):
        client = FakeClient({"swarmops/demo-agent:2": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        result = self.wait(monkeypatch, client, self.PARAMS)
        # web.1 has run 120s: more than its 67s watch (and every agent task more than its 85s)
        assert (result.converged, result.failed) == (True, False)
        assert {n: s["min_healthy_time"] for n, s in summary(result.evaluation).items()} == {
            "demo_agent": 85.0, "demo_web": 67.0}

    def test_each_state_read_is_shown_to_seen(self, monkeypatch):
        client = FakeClient({"swarmops/demo-agent:2": {"Config": {"Healthcheck": AGENT_IMAGE_HEALTHCHECK}}})
        shown = []
        result = self.wait(monkeypatch, client, self.PARAMS, seen=lambda *state: shown.append(state))
        assert result.converged and len(shown) == 1
        services, tasks, nodes = shown[0]
        assert sorted(s["Spec"]["Name"] for s in services) == ["demo_agent", "demo_web"] and tasks and nodes

    def test_watch_includes_the_detection_delay(self, monkeypatch):
        # 65s after web.1 started: past its 30s window and past 57s (window and checks without the stop grace), not
        # yet past its 67s watch (web.3 ran 70.8s, web.2 77.2s)
        result = self.wait(monkeypatch, FakeClient(), self.PARAMS, now=NOW - 55)
        assert (result.converged, result.failed) == (False, False)
        web = next(r for r in result.evaluation["services"] if r["name"] == "demo_web")
        assert web["reasons"] == ["2 of 3 tasks running and healthy", "1 task(s) healthy for less than 67s"]

    def test_watch_includes_the_spec_s_stop_grace(self, monkeypatch):
        # demo_web stops in 3s: a 60s watch, so web.1 (65s) counts too
        data = copy.deepcopy(DATA)
        web = next(s for s in data["services"] if s["Spec"]["Name"] == "demo_web")
        web["Spec"]["TaskTemplate"]["ContainerSpec"]["StopGracePeriod"] = 3 * SECOND
        monkeypatch.setitem(DATA, "services", data["services"])
        result = self.wait(monkeypatch, FakeClient(), self.PARAMS, now=NOW - 55)
        assert (result.converged, result.failed) == (True, False)
        assert summary(result.evaluation)["demo_web"]["min_healthy_time"] == 60.0

    def test_explicit_min_healthy_time(self, monkeypatch):
        result = self.wait(monkeypatch, FakeClient(), dict(self.PARAMS, min_healthy_time=200))
        assert result.converged is False
        web = next(r for r in result.evaluation["services"] if r["name"] == "demo_web")
        assert web["reasons"] == ["0 of 3 tasks running and healthy", "3 task(s) healthy for less than 200s"]
        assert {n: s["min_healthy_time"] for n, s in summary(result.evaluation).items()} == {
            "demo_agent": 200, "demo_web": 200}

    def test_attempt_since(self, monkeypatch):
        # 2026-11-27T04:09:00Z: slot 2's failed attempt (created 04:09:02) belongs to it
        result = self.wait(monkeypatch, FakeClient(), self.PARAMS, attempt_since=1795752540.0)
        assert (result.converged, result.failed) == (False, True)
        assert [r["name"] for r in result.evaluation["failed"]] == ["demo_web"]
