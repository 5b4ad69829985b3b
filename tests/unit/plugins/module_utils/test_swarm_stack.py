# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the Compose stack rules (``_swarm_stack``).

``compose()`` is the ``demo`` stack as a Compose file loads: ``web`` (health
check every 5s, start period 10s, dict labels), ``agent`` (global, with its own
update_config) and ``worker`` (list-form labels, no health check), on a shared
overlay network.  ``plan_stack`` and ``deployed_definition`` get service
objects in the shape ``GET /services`` returns them; one plan test uses the
services of ``fixtures/swarm_services.json``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import pathlib
import re

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_stack import (
    DEFINITION_LABEL,
    HASH_LABEL,
    StackDefinitionError,
    apply_update_defaults,
    check_stacks,
    health_report,
    images_missing,
    images_to_build,
    compose_health,
    default_update_config,
    deployed_definition,
    fingerprint,
    format_duration,
    parse_duration,
    plan_stack,
    service_health,
    stack_deploy_argv,
    stamp,
    validate_definition,
)

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_services.json"

# The monitor of the default update_config is the gate's watch: the healthy window, max(10s, 2 x interval x
# retries), then the detection delay, retries x (interval + timeout) + timeout + the stop grace period (Compose's
# stop_grace_period, Docker's 10s when unset), that a check turned bad takes to show as a failed task.
# web (no stop_grace_period): window 2 x 5s x 3 = 30s, delay 3 x (5s + 3s) + 3s + 10s = 37s.
SAFE_WEB = {"parallelism": 1, "order": "start-first", "failure_action": "rollback", "monitor": "67s"}
# no health check: the 10s floor of the window (MIN_HEALTHY_FLOOR), no delay, no grace
SAFE_10S = {"parallelism": 1, "order": "start-first", "failure_action": "rollback", "monitor": "10s"}
SAFE_ROLLBACK = {"parallelism": 1, "order": "start-first"}


def compose():
    return {
        "version": "3.8",
        "services": {
            "web": {
                "image": "swarmops/demo-web:1",
                "environment": {"APP_VERSION": "1", "LISTEN_PORT": "80"},
                "healthcheck": {
                    "test": ["CMD-SHELL", "wget -qO- http://127.0.0.1/healthz || exit 1"],
                    "interval": "5s",
                    "timeout": "3s",
                    "retries": 3,
                    "start_period": "10s",
                },
                "ports": [{"target": 80, "published": 8080, "protocol": "tcp", "mode": "host"}],
                "networks": ["front"],
                "deploy": {"replicas": 3, "endpoint_mode": "dnsrr", "labels": {"com.example.team": "web"}},
            },
            "agent": {
                "image": "swarmops/demo-agent:2",
                "volumes": ["/var/run/docker.sock:/var/run/docker.sock:ro"],
                "deploy": {
                    "mode": "global",
                    "placement": {"constraints": ["node.platform.os==linux"]},
                    "update_config": {"parallelism": 1, "order": "stop-first", "failure_action": "pause"},
                },
            },
            "worker": {
                "image": "swarmops/demo-worker:1",
                "deploy": {"replicas": 2, "labels": ["com.example.team=jobs", "com.example.batch"]},
            },
        },
        "networks": {"front": {"driver": "overlay"}},
    }


def api_service(name, labels=None):
    """A service as GET /services returns it (only the parts plan_stack and deployed_definition read)."""
    spec = {"Name": name, "Labels": {"com.docker.stack.namespace": "demo"}}
    spec["Labels"].update(labels or {})
    return {"ID": f"id-{name}", "Version": {"Index": 100}, "Spec": spec}


# -- parse_duration / format_duration ------------------------------------------
class TestParseDuration:
    @pytest.mark.parametrize("value, expected", [
        ("30s", 30.0),
        ("1m30s", 90.0),
        ("500ms", 0.5),
        ("1h", 3600.0),
        ("1h2m3s", 3723.0),
        ("1.5s", 1.5),
        ("2m", 120.0),
        ("0s", 0.0),
        (" 30s ", 30.0),
        ("250us", 0.00025),
        ("250µs", 0.00025),
        ("1500000ns", 0.0015),
        (5, 5.0),
        (0, 0.0),
        (2.5, 2.5),
    ])
    def test_good(self, value, expected):
        assert parse_duration(value) == pytest.approx(expected)
        assert isinstance(parse_duration(value), float)

    @pytest.mark.parametrize("value", ["", "   ", "abc", "5x", "5", "s", "-5s", "5 s", "1m 30s", "30S", "1d", None])
    def test_bad(self, value):
        with pytest.raises(StackDefinitionError) as error:
            parse_duration(value)
        assert str(error.value) == f"duration {value!r} is not a duration such as 30s or 1m30s"

    @pytest.mark.parametrize("value", [True, False])
    def test_bool(self, value):
        with pytest.raises(StackDefinitionError) as error:
            parse_duration(value)
        assert str(error.value) == f"duration {value!r} is not a duration"

    def test_error_is_a_value_error(self):
        assert issubclass(StackDefinitionError, ValueError)

    @pytest.mark.parametrize("seconds, text", [(5, "5s"), (20.0, "20s"), (5.5, "5500ms"), (0.25, "250ms")])
    def test_format_duration(self, seconds, text):
        assert format_duration(seconds) == text

    # to the millisecond: whole seconds in s, the rest in ms
    @pytest.mark.parametrize("seconds, text", [
        pytest.param(12.88, "12880ms", id="12.88"),
        pytest.param(12.0, "12s", id="12.0"),
        pytest.param(12, "12s", id="int"),
        pytest.param(0, "0s", id="zero"),
        pytest.param(0.001, "1ms", id="one-millisecond"),
        pytest.param(12.8804, "12880ms", id="rounded-down"),
        pytest.param(12.8806, "12881ms", id="rounded-up"),
        pytest.param(9.9996, "10s", id="rounded-up-to-whole-seconds"),
        pytest.param(12.0004, "12s", id="rounded-down-to-whole-seconds"),
        pytest.param(14.999999, "15s", id="float-error"),
        pytest.param(104.4, "104400ms", id="float-tenths"),
        pytest.param(0.0004, "0s", id="below-half-a-millisecond"),
        pytest.param(3723.0, "3723s", id="over-an-hour"),
    ])
    def test_format_duration_rounds_to_the_millisecond(self, seconds, text):
        assert format_duration(seconds) == text

    @pytest.mark.parametrize("text", ["12880ms", "12s", "1ms", "104400ms", "3723s"])
    def test_format_duration_parses_back(self, text):
        assert format_duration(parse_duration(text)) == text


# -- validate_definition -------------------------------------------------------
def raises(definition, stack="demo"):
    with pytest.raises(StackDefinitionError) as error:
        validate_definition(definition, stack)
    return str(error.value)


class TestValidateDefinition:
    def test_good(self):
        assert validate_definition(compose(), "demo") == compose()

    @pytest.mark.parametrize("stack", ["demo", "Demo_2", "a", "demo-stack", "0demo"])
    def test_good_stack_names(self, stack):
        assert validate_definition(compose(), stack) == compose()

    def test_minimal(self):
        definition = {"services": {"web": {"image": "nginx:1.25"}}}
        assert validate_definition(definition, "demo") == definition

    def test_returns_a_deep_copy(self):
        definition = compose()
        result = validate_definition(definition, "demo")
        assert result is not definition
        assert result["services"]["web"] is not definition["services"]["web"]
        result["services"]["web"]["deploy"]["labels"]["changed"] = "yes"
        result["services"]["worker"]["deploy"]["labels"].append("x=y")
        result["networks"]["front"]["driver"] = "bridge"
        assert definition == compose()

    @pytest.mark.parametrize("definition, kind", [
        (["web"], "list"),
        (None, "NoneType"),
        ("services: {}", "str"),
        (3, "int"),
    ])
    def test_not_a_mapping(self, definition, kind):
        assert raises(definition) == (
            f"the definition of stack demo must be a mapping with a 'services' key, got {kind}")

    @pytest.mark.parametrize("definition", [
        {},
        {"version": "3.8"},
        {"services": {}},
        {"services": None},
        {"services": ["web"]},
        {"services": "web"},
    ])
    def test_no_services(self, definition):
        assert raises(definition) == "the definition of stack demo has no 'services' mapping"

    @pytest.mark.parametrize("service, kind", [("nginx:1.25", "str"), (None, "NoneType"), (["nginx"], "list")])
    def test_service_not_a_mapping(self, service, kind):
        definition = compose()
        definition["services"]["worker"] = service
        assert raises(definition) == f"service worker of stack demo must be a mapping, got {kind}"

    @pytest.mark.parametrize("service", [
        {"build": "."},
        {"image": ""},
        {"image": None},
        {"image": 5},
        {"image": ["nginx"]},
    ])
    def test_no_image(self, service):
        definition = compose()
        definition["services"]["worker"] = service
        assert raises(definition) == (
            "service worker of stack demo has no image (build images first; swarm deploys only images)")

    @pytest.mark.parametrize("key", ["update_config", "rollback_config"])
    def test_a_job_with_update_settings(self, key):
        definition = compose()
        definition["services"]["worker"]["deploy"].update(mode="replicated-job", **{key: {"parallelism": 1}})
        assert raises(definition) == ("service worker: a replicated-job has no update_config or rollback_config "
                                      "(a job runs to its end, it is not updated in place)")

    def test_a_job_without_update_settings(self):
        definition = compose()
        definition["services"]["worker"]["deploy"]["mode"] = "global-job"
        assert validate_definition(definition, "demo") == definition

    @pytest.mark.parametrize("replicas", ["three", "3", -1, True, False, 1.5, None])
    def test_bad_replicas(self, replicas):
        definition = compose()
        definition["services"]["web"]["deploy"]["replicas"] = replicas
        assert raises(definition) == f"service web: deploy.replicas must be a whole number >= 0, got {replicas!r}"

    def test_zero_replicas_is_fine(self):
        definition = compose()
        definition["services"]["web"]["deploy"]["replicas"] = 0
        assert validate_definition(definition, "demo")["services"]["web"]["deploy"]["replicas"] == 0

    @pytest.mark.parametrize("deploy", [["replicas=3"], "replicas: 3", None])
    def test_deploy_not_a_mapping(self, deploy):
        definition = compose()
        definition["services"]["web"]["deploy"] = deploy
        assert raises(definition) == "service web: deploy must be a mapping"

    @pytest.mark.parametrize("key", ["update_config", "rollback_config", "restart_policy", "resources", "placement"])
    @pytest.mark.parametrize("value", [["parallelism=1"], "parallelism: 1", 1])
    def test_deploy_section_not_a_mapping(self, key, value):
        definition = compose()
        definition["services"]["web"]["deploy"][key] = value
        assert raises(definition) == f"service web: deploy.{key} must be a mapping"

    def test_deploy_labels(self):
        definition = compose()
        definition["services"]["web"]["deploy"]["labels"] = "com.example.team=web"
        assert raises(definition) == "service web: deploy.labels must be a mapping"
        # the list form is valid Compose
        assert validate_definition(compose(), "demo")["services"]["worker"]["deploy"]["labels"] == [
            "com.example.team=jobs", "com.example.batch"]

    @pytest.mark.parametrize("section", ["networks", "volumes", "configs", "secrets"])
    def test_shared_sections(self, section):
        definition = compose()
        definition[section] = ["front"]
        assert raises(definition) == f"the '{section}' section of stack demo must be a mapping"
        definition[section] = None
        assert validate_definition(definition, "demo")[section] is None

    @pytest.mark.parametrize("stack", ["", "-demo", "_demo", ".demo", "de mo", "demo/x", "démo", "demo\n", None, 5])
    def test_bad_stack_names(self, stack):
        assert raises(compose(), stack) == f"stack name {stack!r} is not valid: letters and digits, joined by - or _"

    def test_stack_name_checked_first(self):
        assert raises(None, "-demo") == "stack name '-demo' is not valid: letters and digits, joined by - or _"

    # swarmkit accepts service (and network) names matching ^[a-zA-Z0-9](?:[-_]*[A-Za-z0-9]+)*$
    # (manager/controlapi/common.go): a dot in "<stack>_<service>" makes `docker stack deploy` fail
    # with "name must be valid as a DNS name component" (moby/swarmkit#2437, docker/cli#1470).
    @pytest.mark.parametrize("stack, service", [
        pytest.param("my.stack", "web", id="dot-in-stack-name"),
        pytest.param("demo", "web.api", id="dot-in-service-name"),
    ])
    def test_names_swarm_rejects(self, stack, service):
        with pytest.raises(StackDefinitionError):
            validate_definition({"services": {service: {"image": "nginx:1.25"}}}, stack)


# -- compose_health / service_health / default_update_config ------------------
SECOND = 1_000_000_000  # the API's durations are in nanoseconds
# Health checks in seconds, in the shape health_from_api (and service_health) give.
HEALTH_5S = {"interval": 5.0, "timeout": 3.0, "retries": 3, "start_period": 10.0}  # web's, in compose()
IMAGE_10S = {"interval": 10.0, "timeout": 5.0, "retries": 2, "start_period": 0.0}  # a HEALTHCHECK of an image
IMAGE_60S = {"interval": 60.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}
# The same image checks in the API's shape (Config.Healthcheck of GET /images/{name}/json), as swarm_stack hands
# them to service_health, default_update_config and apply_update_defaults.
IMAGE_10S_HEALTHCHECK = {"Test": ["CMD-SHELL", "curl -f http://127.0.0.1/ || exit 1"], "Interval": 10 * SECOND,
                         "Timeout": 5 * SECOND, "Retries": 2}
IMAGE_60S_HEALTHCHECK = {"Test": ["CMD", "/probe"], "Interval": 60 * SECOND, "Timeout": 30 * SECOND, "Retries": 3}
# web's Compose check in the API's shape: what `docker stack deploy` puts in the service's spec
WEB_HEALTHCHECK = {"Test": ["CMD-SHELL", "wget -qO- http://127.0.0.1/healthz || exit 1"], "Interval": 5 * SECOND,
                   "Timeout": 3 * SECOND, "Retries": 3, "StartPeriod": 10 * SECOND}


class TestComposeHealth:
    # only what the Compose file sets, in nanoseconds
    @pytest.mark.parametrize("healthcheck, expected", [
        pytest.param({"test": ["CMD", "true"]}, {"Test": ["CMD", "true"]}, id="test-only"),
        pytest.param({"test": "curl -f http://localhost/", "interval": "10s"},
                     {"Test": ["CMD-SHELL", "curl -f http://localhost/"], "Interval": 10 * SECOND}, id="string-test"),
        pytest.param({"test": ["CMD-SHELL", "curl -f http://localhost/"]},
                     {"Test": ["CMD-SHELL", "curl -f http://localhost/"]}, id="cmd-shell-list"),
        pytest.param({"test": ["CMD", "true"], "interval": "1m30s", "timeout": "500ms", "retries": 5,
                      "start_period": "2m"},
                     {"Test": ["CMD", "true"], "Interval": 90 * SECOND, "Timeout": 500_000_000,
                      "StartPeriod": 120 * SECOND, "Retries": 5}, id="every-field"),
        pytest.param({"test": ["CMD", "true"], "interval": 4, "timeout": 2.5, "start_period": 0},
                     {"Test": ["CMD", "true"], "Interval": 4 * SECOND, "Timeout": 2_500_000_000, "StartPeriod": 0},
                     id="numbers"),
        pytest.param({"test": ["CMD", "true"], "retries": 1}, {"Test": ["CMD", "true"], "Retries": 1}, id="one-retry"),
        pytest.param({"test": ["CMD", "true"], "interval": "5s", "disable": False},
                     {"Test": ["CMD", "true"], "Interval": 5 * SECOND}, id="disable-false"),
        # no test: the image's runs (merge_healthchecks)
        pytest.param({"interval": "4s"}, {"Test": [], "Interval": 4 * SECOND}, id="interval-only"),
        pytest.param({"retries": 6, "timeout": "1s"}, {"Test": [], "Timeout": 1 * SECOND, "Retries": 6},
                     id="retries-and-timeout-only"),
    ])
    def test_health_check(self, healthcheck, expected):
        result = compose_health({"image": "x", "healthcheck": healthcheck})
        assert result == expected
        assert all(isinstance(result[k], int) and not isinstance(result[k], bool)
                   for k in ("Interval", "Timeout", "StartPeriod", "Retries") if k in result)

    def test_web(self):
        assert compose_health(compose()["services"]["web"]) == WEB_HEALTHCHECK

    def test_web_is_the_fixture_s_spec(self):
        # demo_web of the fixture was deployed from this Compose check
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        web = next(s for s in data["services"] if s["Spec"]["Name"] == "demo_web")
        spec_healthcheck = web["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
        assert compose_health(compose()["services"]["web"]) == spec_healthcheck

    def test_string_test_is_cmd_shell(self):
        assert compose_health({"image": "x", "healthcheck": {"test": "pg_isready -U app"}}) == {
            "Test": ["CMD-SHELL", "pg_isready -U app"]}

    def test_service_not_changed(self):
        service = {"image": "x", "healthcheck": {"test": "true", "interval": "5s"}}
        compose_health(service)["Test"].append("changed")
        assert service == {"image": "x", "healthcheck": {"test": "true", "interval": "5s"}}

    @pytest.mark.parametrize("service", [
        pytest.param({"image": "x"}, id="no-healthcheck"),
        pytest.param({"image": "x", "healthcheck": None}, id="null"),
        pytest.param({"image": "x", "healthcheck": {}}, id="empty"),
    ])
    def test_none(self, service):
        assert compose_health(service) is None

    @pytest.mark.parametrize("healthcheck", [
        pytest.param({"disable": True}, id="disable"),
        pytest.param({"test": ["CMD", "true"], "interval": "10s", "disable": True}, id="disable-with-test"),
        pytest.param({"test": "curl -f http://localhost/", "retries": 2, "disable": True},
                     id="disable-with-string-test"),
    ])
    def test_disable_is_test_none(self, healthcheck):
        assert compose_health({"image": "x", "healthcheck": healthcheck}) == {"Test": ["NONE"]}

    @pytest.mark.parametrize("healthcheck, expected", [
        pytest.param({"test": ["NONE"]}, {"Test": ["NONE"]}, id="test-none-list"),
        pytest.param({"test": ["NONE"], "interval": "10s"}, {"Test": ["NONE"], "Interval": 10 * SECOND},
                     id="test-none-list-with-timings"),
        # the docker CLI reads any text as a shell command, the text NONE included: only the list disables
        pytest.param({"test": "NONE", "interval": "10s"}, {"Test": ["CMD-SHELL", "NONE"], "Interval": 10 * SECOND},
                     id="test-none-string-is-a-shell-command"),
        pytest.param({"test": "none"}, {"Test": ["CMD-SHELL", "none"]}, id="test-none-lowercase-string"),
    ])
    def test_test_none(self, healthcheck, expected):
        assert compose_health({"image": "x", "healthcheck": healthcheck}) == expected

    def test_test_none_string_is_not_disabled(self):
        # a string NONE runs (and fails: there is no such command), it does not turn the check off
        service = {"image": "x", "healthcheck": {"test": "NONE"}}
        assert compose_health(service) == {"Test": ["CMD-SHELL", "NONE"]}
        assert service_health(service) == {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}
        # the list form does disable it
        assert service_health({"image": "x", "healthcheck": {"test": ["NONE"]}}) is None

    @pytest.mark.parametrize("key", ["interval", "timeout", "start_period"])
    def test_bad_duration_raises(self, key):
        with pytest.raises(StackDefinitionError) as error:
            compose_health({"image": "x", "healthcheck": {"test": ["CMD", "true"], key: "5 seconds"}})
        assert str(error.value) == "duration '5 seconds' is not a duration such as 30s or 1m30s"


class TestServiceHealth:
    @pytest.mark.parametrize("healthcheck, image_healthcheck, expected", [
        pytest.param(None, None, None, id="none-anywhere"),
        pytest.param(None, IMAGE_10S_HEALTHCHECK, IMAGE_10S, id="the-image-s"),
        pytest.param({}, IMAGE_10S_HEALTHCHECK, IMAGE_10S, id="empty-compose-healthcheck-the-image-s"),
        # field by field: what the Compose file sets wins, retries (not set) from the image
        pytest.param({"test": ["CMD", "true"], "interval": "5s", "timeout": "3s", "start_period": "10s"},
                     IMAGE_10S_HEALTHCHECK, {"interval": 5.0, "timeout": 3.0, "retries": 2, "start_period": 10.0},
                     id="compose-wins-field-by-field"),
        pytest.param({"test": ["CMD", "true"], "interval": "5s", "timeout": "3s", "start_period": "10s"},
                     None, HEALTH_5S, id="compose-only"),
        pytest.param({"interval": "4s"}, IMAGE_10S_HEALTHCHECK,
                     {"interval": 4.0, "timeout": 5.0, "retries": 2, "start_period": 0.0},
                     id="interval-only-over-the-image"),
        pytest.param({"interval": "4s"}, None, None, id="interval-only-no-test-anywhere"),
        pytest.param({"test": ["CMD", "/healthz"]}, IMAGE_10S_HEALTHCHECK, IMAGE_10S,
                     id="test-only-gets-the-image-s-timings"),
        pytest.param({"test": "curl -f http://localhost/"}, IMAGE_60S_HEALTHCHECK, IMAGE_60S,
                     id="string-test-gets-the-image-s-timings"),
        pytest.param({"test": ["CMD", "true"]}, None,
                     {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0}, id="engine-defaults"),
        pytest.param({"retries": 5}, IMAGE_60S_HEALTHCHECK,
                     {"interval": 60.0, "timeout": 30.0, "retries": 5, "start_period": 0.0},
                     id="retries-only-over-the-image"),
        pytest.param({"disable": True}, IMAGE_10S_HEALTHCHECK, None, id="disabled-hides-the-image-s"),
        pytest.param({"test": ["NONE"]}, IMAGE_10S_HEALTHCHECK, None, id="test-none-hides-the-image-s"),
        # the text NONE is a shell command: it replaces the image's test, and the image's timings still apply
        pytest.param({"test": "NONE", "interval": "4s"}, IMAGE_10S_HEALTHCHECK,
                     {"interval": 4.0, "timeout": 5.0, "retries": 2, "start_period": 0.0},
                     id="test-none-string-does-not-disable-the-image-s"),
        pytest.param({"test": "NONE"}, IMAGE_60S_HEALTHCHECK, IMAGE_60S,
                     id="test-none-string-with-the-image-s-timings"),
        pytest.param({"test": "NONE"}, None, {"interval": 30.0, "timeout": 30.0, "retries": 3, "start_period": 0.0},
                     id="test-none-string-engine-defaults"),
        pytest.param({"disable": True}, None, None, id="disabled-no-image"),
        pytest.param(None, {}, None, id="empty-image-healthcheck"),
        pytest.param(None, {"Test": ["NONE"]}, None, id="image-disables-its-parent-s"),
        pytest.param({"interval": "4s"}, {"Test": ["NONE"], "Interval": 30 * SECOND}, None,
                     id="interval-only-over-a-disabled-image-check"),
    ])
    def test_service_health(self, healthcheck, image_healthcheck, expected):
        service = {"image": "x"}
        if healthcheck is not None:
            service["healthcheck"] = healthcheck
        assert service_health(service, image_healthcheck) == expected

    def test_image_health_defaults_to_none(self):
        assert service_health({"image": "x"}) is None
        assert service_health(compose()["services"]["web"]) == HEALTH_5S

    def test_web_sets_every_field(self):
        assert service_health(compose()["services"]["web"], IMAGE_60S_HEALTHCHECK) == HEALTH_5S

    def test_image_healthcheck_not_changed(self):
        image = copy.deepcopy(IMAGE_10S_HEALTHCHECK)
        service_health({"image": "x", "healthcheck": {"interval": "4s"}}, image)
        assert image == IMAGE_10S_HEALTHCHECK


class TestDefaultUpdateConfig:
    def test_web(self):
        # window max(10s, 2 x 5s x 3) = 30s, then 3 x (5s + 3s) + 3s = 27s and the 10s stop grace; the start period
        # does not count
        assert default_update_config(compose()["services"]["web"]) == SAFE_WEB

    # monitor = max(10s, 2 x interval x retries) + retries x (interval + timeout) + timeout + 10s (no
    # stop_grace_period: Docker's default); 10s without a health check. What the Compose file leaves unset is the
    # engine's default: interval and timeout 30s, 3 retries.
    @pytest.mark.parametrize("healthcheck, monitor", [
        (None, "10s"),
        ({}, "10s"),
        ({"test": ["CMD", "true"], "interval": "10s"}, "220s"),  # 60s + 3 x (10s + 30s) + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "10s", "start_period": "15s"}, "220s"),
        ({"test": ["CMD", "true"], "interval": "1m", "start_period": "30s"}, "670s"),  # 360s + 3 x 90s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "1s"}, "143s"),  # the 10s floor + 3 x 31s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "2s"}, "148s"),  # 12s + 3 x 32s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "2s", "start_period": "1500ms"}, "148s"),
        ({"test": ["CMD", "true"], "interval": "2500ms"}, "152500ms"),  # 15s + 3 x 32.5s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "1500ms"}, "144500ms"),  # 10s + 3 x 31.5s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "1100ms"}, "143300ms"),  # 10s + 3 x 31.1s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "3s"}, "157s"),  # 18s + 3 x 33s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": 4}, "166s"),  # 24s + 3 x 34s + 30s + 10s
        ({"test": ["CMD", "true"]}, "400s"),  # Docker's defaults: 180s + 3 x 60s + 30s + 10s
        # 2 x 1s x 5 = 10s: the floor + 5 x 31s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "1s", "retries": 5}, "205s"),
        ({"test": ["CMD", "true"], "interval": "1s", "retries": 6}, "238s"),  # 12s + 6 x 31s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "5s", "retries": 1}, "85s"),  # 10s + 35s + 30s + 10s
        ({"test": ["CMD", "true"], "interval": "5s", "retries": 10}, "490s"),  # 100s + 10 x 35s + 30s + 10s
        # the timeout counts: 60s + 3 x 19s + 9s + 10s
        ({"test": ["CMD", "true"], "interval": "10s", "timeout": "9s"}, "136s"),
        ({"test": ["CMD", "true"], "interval": "2s", "timeout": "1s"}, "32s"),  # 12s + 3 x 3s + 1s + 10s
        ({"test": ["CMD", "true"], "interval": "1s", "timeout": "1s", "retries": 3}, "27s"),  # 10s + 3 x 2s + 1s + 10s
        ({"test": ["CMD", "true"], "interval": "2s", "timeout": "10s"}, "68s"),  # 12s + 3 x 12s + 10s + 10s
        ({"test": ["CMD", "true"], "interval": "1100ms", "timeout": "1s"}, "27300ms"),  # 10s + 3 x 2.1s + 1s + 10s
        # rounded to the millisecond
        # 10s + 3 x 1.333333s + 0.333333s + 10s = 24.333332s
        ({"test": ["CMD", "true"], "interval": "1s", "timeout": "333333us"}, "24333ms"),
        # 10s + 3 x 1.499999s + 0.499999s + 10s = 24.999996s: rounded up, not cut to 24999ms
        ({"test": ["CMD", "true"], "interval": "1s", "timeout": "499999us"}, "25s"),
        # 10s + 2.234567s + 1.234567s + 10s = 23.469134s
        ({"test": ["CMD", "true"], "interval": "1s", "timeout": "1234567us", "retries": 1}, "23469ms"),
        ({"test": "curl -f http://localhost/", "interval": "2s", "timeout": "1s"}, "32s"),
        ({"test": ["CMD", "true"], "interval": "10s", "disable": True}, "10s"),
        ({"test": ["NONE"], "interval": "10s"}, "10s"),
        # the text NONE is a shell command that runs, with the engine's timeout and retries: 60s + 3 x 40s + 30s + 10s
        ({"test": "NONE", "interval": "10s"}, "220s"),
        ({"interval": "10s"}, "10s"),  # no test, no image: nothing runs
    ])
    def test_monitor(self, healthcheck, monitor):
        service = {"image": "nginx:1.25"}
        if healthcheck is not None:
            service["healthcheck"] = healthcheck
        assert default_update_config(service) == {
            "parallelism": 1, "order": "start-first", "failure_action": "rollback", "monitor": monitor}

    @pytest.mark.parametrize("healthcheck, image_healthcheck, monitor", [
        # with the 10s stop grace (no stop_grace_period): max(10, 2 x 10 x 2) = 40s + 2 x (10s + 5s) + 5s + 10s
        pytest.param(None, IMAGE_10S_HEALTHCHECK, "85s", id="the-image-s"),
        pytest.param(None, IMAGE_60S_HEALTHCHECK, "670s", id="the-image-s-slow"),  # 360s + 3 x 90s + 30s + 10s
        pytest.param(None, None, "10s", id="image-without-health-check"),
        # interval 5s from Compose, timeout 30s and 3 retries from the image: 30s + 3 x 35s + 30s + 10s
        pytest.param({"test": ["CMD", "true"], "interval": "5s"}, IMAGE_60S_HEALTHCHECK, "175s", id="compose-wins"),
        # interval 4s from Compose, timeout 5s and 2 retries from the image: 16s + 2 x 9s + 5s + 10s
        pytest.param({"interval": "4s"}, IMAGE_10S_HEALTHCHECK, "49s", id="compose-interval-only"),
        pytest.param({"test": ["CMD", "/healthz"]}, IMAGE_10S_HEALTHCHECK, "85s", id="compose-test-only"),
        pytest.param({"test": "curl -f http://localhost/"}, IMAGE_10S_HEALTHCHECK, "85s", id="compose-string-test"),
        pytest.param({"disable": True}, IMAGE_60S_HEALTHCHECK, "10s", id="compose-disables-the-image-s"),
        pytest.param({"test": ["NONE"]}, IMAGE_60S_HEALTHCHECK, "10s", id="test-none-disables-the-image-s"),
        # the text NONE is a shell command: the image's check is not disabled, its timings apply
        pytest.param({"test": "NONE"}, IMAGE_60S_HEALTHCHECK, "670s", id="test-none-string-keeps-the-image-s-timings"),
        pytest.param({}, IMAGE_10S_HEALTHCHECK, "85s", id="empty-compose-healthcheck"),
        pytest.param(None, {"Test": ["NONE"]}, "10s", id="image-disables-its-check"),
    ])
    def test_monitor_with_image_health(self, healthcheck, image_healthcheck, monitor):
        service = {"image": "swarmops/demo-worker:1"}
        if healthcheck is not None:
            service["healthcheck"] = healthcheck
        assert default_update_config(service, image_healthcheck) == {
            "parallelism": 1, "order": "start-first", "failure_action": "rollback", "monitor": monitor}

    def test_web_over_an_image_check(self):
        # web's Compose check sets every field: the image's changes nothing
        assert default_update_config(compose()["services"]["web"], IMAGE_60S_HEALTHCHECK) == SAFE_WEB

    def test_bad_interval_raises(self):
        with pytest.raises(StackDefinitionError):
            default_update_config({"image": "x", "healthcheck": {"test": ["CMD", "true"], "interval": "5 seconds"}})

    # monitor = window + retries x (interval + timeout) + timeout + the Compose stop_grace_period (a duration)
    @pytest.mark.parametrize("stop_grace_period, monitor", [
        pytest.param("3s", "60s", id="3s"),  # web: 30s + 27s + 3s
        pytest.param("10s", "67s", id="10s"),
        pytest.param("1m", "117s", id="1m"),
        pytest.param("1m30s", "147s", id="1m30s"),
        pytest.param("500ms", "57500ms", id="500ms"),
        pytest.param("2500ms", "59500ms", id="2500ms"),
        pytest.param(3, "60s", id="number-of-seconds"),
        pytest.param(1.5, "58500ms", id="fractional-seconds"),
    ])
    def test_web_with_stop_grace_period(self, stop_grace_period, monitor):
        web = compose()["services"]["web"]
        web["stop_grace_period"] = stop_grace_period
        assert default_update_config(web) == dict(SAFE_WEB, monitor=monitor)
        # the Compose file is left as written
        assert web["stop_grace_period"] == stop_grace_period

    def test_without_stop_grace_period_docker_s_10s(self):
        web = compose()["services"]["web"]
        assert "stop_grace_period" not in web
        assert default_update_config(web) == dict(SAFE_WEB, monitor="67s")
        web["stop_grace_period"] = "10s"
        assert default_update_config(web) == dict(SAFE_WEB, monitor="67s")

    def test_stop_grace_period_with_an_image_check(self):
        # the image's check (40s window + 2 x (10s + 5s) + 5s) and the Compose file's 3s grace
        service = {"image": "swarmops/demo-worker:1", "stop_grace_period": "3s"}
        assert default_update_config(service, IMAGE_10S_HEALTHCHECK) == dict(SAFE_10S, monitor="78s")

    @pytest.mark.parametrize("stop_grace_period", ["3s", "1m", "2h", 30, None])
    @pytest.mark.parametrize("healthcheck, image_healthcheck", [
        pytest.param(None, None, id="none-anywhere"),
        pytest.param({"disable": True}, IMAGE_60S_HEALTHCHECK, id="compose-disables-the-image-s"),
        pytest.param({"test": ["NONE"]}, None, id="test-none"),
        pytest.param({"interval": "4s"}, None, id="no-test-anywhere"),
        pytest.param(None, {"Test": ["NONE"]}, id="image-disables-its-check"),
    ])
    def test_no_grace_without_health_check(self, stop_grace_period, healthcheck, image_healthcheck):
        # no health check runs: the 10s floor, and no grace added
        service = {"image": "swarmops/demo-worker:1"}
        if healthcheck is not None:
            service["healthcheck"] = healthcheck
        if stop_grace_period is not None:
            service["stop_grace_period"] = stop_grace_period
        assert default_update_config(service, image_healthcheck) == SAFE_10S

    def test_bad_stop_grace_period_raises(self):
        web = compose()["services"]["web"]
        web["stop_grace_period"] = "5 seconds"
        with pytest.raises(StackDefinitionError) as error:
            default_update_config(web)
        assert str(error.value) == "duration '5 seconds' is not a duration such as 30s or 1m30s"


class TestApplyUpdateDefaults:
    def test_only_services_without_update_config(self):
        definition = compose()
        definition["services"]["cron"] = {"image": "swarmops/demo-cron:1"}
        definition["services"]["batch"] = {
            "image": "swarmops/demo-batch:1",
            "deploy": {"rollback_config": {"parallelism": 2, "order": "stop-first"}},
        }
        assert apply_update_defaults(definition) == ["web", "worker", "cron", "batch"]
        services = definition["services"]
        assert services["web"]["deploy"] == {
            "replicas": 3, "endpoint_mode": "dnsrr", "labels": {"com.example.team": "web"},
            "update_config": SAFE_WEB, "rollback_config": SAFE_ROLLBACK,
        }
        assert services["worker"]["deploy"] == {
            "replicas": 2, "labels": ["com.example.team=jobs", "com.example.batch"],
            "update_config": SAFE_10S, "rollback_config": SAFE_ROLLBACK,
        }
        assert services["cron"]["deploy"] == {"update_config": SAFE_10S, "rollback_config": SAFE_ROLLBACK}
        # an explicit rollback_config stays
        assert services["batch"]["deploy"] == {
            "rollback_config": {"parallelism": 2, "order": "stop-first"}, "update_config": SAFE_10S}
        # agent has its own update_config: untouched, and no rollback_config added
        assert services["agent"] == compose()["services"]["agent"]

    @pytest.mark.parametrize("mode", ["replicated-job", "global-job"])
    def test_jobs_get_no_update_or_rollback_config(self, mode):
        # The engine refuses both for a job ("jobs do not have an update config", seen on engine 26).
        definition = compose()
        definition["services"]["once"] = {"image": "swarmops/demo-redis:1", "deploy": {"mode": mode, "replicas": 2}}
        assert "once" not in apply_update_defaults(definition)
        assert definition["services"]["once"]["deploy"] == {"mode": mode, "replicas": 2}

    def test_second_run_changes_nothing(self):
        definition = compose()
        apply_update_defaults(definition)
        once = copy.deepcopy(definition)
        assert apply_update_defaults(definition) == []
        assert definition == once

    def test_image_health(self):
        # per service name: worker's image has a HEALTHCHECK, web's own Compose check wins over its image's,
        # cron's image has none; agent keeps its update_config whatever its image
        definition = compose()
        definition["services"]["cron"] = {"image": "swarmops/demo-cron:1"}
        image_health = {"web": IMAGE_60S_HEALTHCHECK, "worker": IMAGE_10S_HEALTHCHECK, "cron": None,
                        "agent": IMAGE_60S_HEALTHCHECK}
        assert apply_update_defaults(definition, image_health) == ["web", "worker", "cron"]
        services = definition["services"]
        assert services["web"]["deploy"]["update_config"] == SAFE_WEB
        assert services["worker"]["deploy"]["update_config"] == dict(SAFE_10S, monitor="85s")
        assert services["cron"]["deploy"] == {"update_config": SAFE_10S, "rollback_config": SAFE_ROLLBACK}
        assert services["agent"] == compose()["services"]["agent"]
        # the health checks handed in are not changed
        assert image_health == {"web": IMAGE_60S_HEALTHCHECK, "worker": IMAGE_10S_HEALTHCHECK, "cron": None,
                                "agent": IMAGE_60S_HEALTHCHECK}

    def test_image_health_of_other_services_only(self):
        definition = compose()
        apply_update_defaults(definition, {"db": IMAGE_60S_HEALTHCHECK})
        assert definition["services"]["worker"]["deploy"]["update_config"] == SAFE_10S
        assert definition["services"]["web"]["deploy"]["update_config"] == SAFE_WEB

    def test_image_health_does_not_count_when_compose_disables_it(self):
        definition = compose()
        definition["services"]["worker"]["healthcheck"] = {"disable": True}
        apply_update_defaults(definition, {"worker": IMAGE_60S_HEALTHCHECK})
        assert definition["services"]["worker"]["deploy"]["update_config"] == SAFE_10S

    def test_compose_fields_merged_over_the_image_s(self):
        # worker's Compose file sets only an interval: timeout and retries come from its image
        definition = compose()
        definition["services"]["worker"]["healthcheck"] = {"interval": "4s"}
        apply_update_defaults(definition, {"worker": IMAGE_10S_HEALTHCHECK})
        assert definition["services"]["worker"]["deploy"]["update_config"] == dict(SAFE_10S, monitor="49s")
        # the Compose file itself is left as written
        assert definition["services"]["worker"]["healthcheck"] == {"interval": "4s"}

    def test_compose_test_only_gets_the_image_s_timings(self):
        definition = compose()
        definition["services"]["worker"]["healthcheck"] = {"test": "curl -f http://127.0.0.1/"}
        apply_update_defaults(definition, {"worker": IMAGE_60S_HEALTHCHECK})
        assert definition["services"]["worker"]["deploy"]["update_config"] == dict(SAFE_10S, monitor="670s")

    def test_compose_test_none_string_does_not_disable_the_image_s(self):
        # unlike disable: true (test_image_health_does_not_count_when_compose_disables_it), the text NONE is a shell
        # command that replaces the image's test; the image's timings still give the monitor
        definition = compose()
        definition["services"]["worker"]["healthcheck"] = {"test": "NONE"}
        apply_update_defaults(definition, {"worker": IMAGE_60S_HEALTHCHECK})
        assert definition["services"]["worker"]["deploy"]["update_config"] == dict(SAFE_10S, monitor="670s")

    def test_stop_grace_period(self):
        # web stops in 3s: 30s + 27s + 3s; worker's image check with its 1m grace: 40s + 35s + 60s; cron has no
        # health check: 10s whatever its grace
        definition = compose()
        definition["services"]["web"]["stop_grace_period"] = "3s"
        definition["services"]["worker"]["stop_grace_period"] = "1m"
        definition["services"]["cron"] = {"image": "swarmops/demo-cron:1", "stop_grace_period": "2m"}
        assert apply_update_defaults(definition, {"worker": IMAGE_10S_HEALTHCHECK}) == ["web", "worker", "cron"]
        services = definition["services"]
        assert services["web"]["deploy"]["update_config"] == dict(SAFE_WEB, monitor="60s")
        assert services["worker"]["deploy"]["update_config"] == dict(SAFE_10S, monitor="135s")
        assert services["cron"]["deploy"] == {"update_config": SAFE_10S, "rollback_config": SAFE_ROLLBACK}

    @pytest.mark.parametrize("image_health", [None, {}])
    def test_without_image_health(self, image_health):
        definition = compose()
        assert apply_update_defaults(definition, image_health) == ["web", "worker"]
        assert definition["services"]["worker"]["deploy"]["update_config"] == SAFE_10S

    def test_empty_update_config_is_kept(self):
        definition = {"services": {"web": {"image": "x", "deploy": {"update_config": {}}}}}
        assert apply_update_defaults(definition) == []
        assert definition == {"services": {"web": {"image": "x", "deploy": {"update_config": {}}}}}


# -- fingerprint ---------------------------------------------------------------
def reversed_keys(value):
    if isinstance(value, dict):
        return {k: reversed_keys(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(v) for v in value]
    return value


class TestFingerprint:
    def test_pinned_value(self):
        # The hash labels of every deployed stack depend on this value: if it changes,
        # the next run redeploys (updates) every service of every stack.
        definition = {"services": {"web": {"image": "swarmops/demo-web:1", "deploy": {"replicas": 3}}}}
        assert fingerprint(definition, "web") == "28577e34ce1e9bb16894f4e52adc383b"
        definition["networks"] = {"front": {"driver": "overlay"}}
        assert fingerprint(definition, "web") == "ff2a58c528d2bba6c0d4023e0bccfac8"

    def test_format(self):
        for name in compose()["services"]:
            assert re.fullmatch(r"[0-9a-f]{32}", fingerprint(compose(), name))

    def test_stable_across_key_order(self):
        definition = compose()
        other = reversed_keys(definition)
        assert list(other) != list(definition)
        assert list(other["services"]["web"]) != list(definition["services"]["web"])
        for name in definition["services"]:
            assert fingerprint(other, name) == fingerprint(definition, name)

    def test_services_differ(self):
        prints = {name: fingerprint(compose(), name) for name in compose()["services"]}
        assert len(set(prints.values())) == 3

    @pytest.mark.parametrize("change", [
        pytest.param(lambda s: s.update(image="swarmops/demo-web:2"), id="image"),
        pytest.param(lambda s: s.update(image="swarmops/demo-web:1@sha256:" + "a" * 64), id="image-digest"),
        pytest.param(lambda s: s["environment"].update(APP_VERSION="2"), id="environment"),
        pytest.param(lambda s: s["deploy"].update(replicas=4), id="replicas"),
        pytest.param(lambda s: s["healthcheck"].update(interval="6s"), id="healthcheck"),
        pytest.param(lambda s: s["deploy"]["labels"].update({"com.example.team": "frontend"}), id="label-value"),
        pytest.param(lambda s: s["deploy"].update(update_config={"parallelism": 2}), id="update-config"),
        pytest.param(lambda s: s["ports"][0].update(published=8081), id="port"),
        pytest.param(lambda s: s.update(command=["serve", "--debug"]), id="new-key"),
        pytest.param(lambda s: s["networks"].append("back"), id="service-networks"),
    ])
    def test_any_service_change(self, change):
        definition = compose()
        before = {name: fingerprint(definition, name) for name in definition["services"]}
        change(definition["services"]["web"])
        assert fingerprint(definition, "web") != before["web"]
        # the other services are not touched
        assert fingerprint(definition, "agent") == before["agent"]
        assert fingerprint(definition, "worker") == before["worker"]

    @pytest.mark.parametrize("change", [
        pytest.param(lambda d: d["networks"]["front"].update(attachable=True), id="network-option"),
        pytest.param(lambda d: d["networks"].update(back={"driver": "overlay"}), id="network-added"),
        pytest.param(lambda d: d.update(volumes={"data": {}}), id="volumes"),
        pytest.param(lambda d: d.update(configs={"nginx": {"file": "./nginx.conf"}}), id="configs"),
        pytest.param(lambda d: d.update(secrets={"token": {"external": True}}), id="secrets"),
    ])
    def test_shared_sections_change_every_service(self, change):
        definition = compose()
        before = {name: fingerprint(definition, name) for name in definition["services"]}
        change(definition)
        for name in definition["services"]:
            assert fingerprint(definition, name) != before[name]

    def test_empty_shared_sections_do_not_count(self):
        definition = {"services": {"web": {"image": "nginx:1.25"}}}
        plain = fingerprint(definition, "web")
        definition.update(networks={}, volumes=None, configs={}, secrets=None)
        assert fingerprint(definition, "web") == plain

    def test_version_and_extension_keys_do_not_count(self):
        definition = compose()
        before = fingerprint(definition, "web")
        definition["version"] = "3.9"
        definition["x-common"] = {"logging": {"driver": "json-file"}}
        assert fingerprint(definition, "web") == before

    def test_unaffected_by_hash_and_definition_labels(self):
        definition = compose()
        before = {name: fingerprint(definition, name) for name in definition["services"]}
        definition["services"]["web"]["deploy"]["labels"].update({
            HASH_LABEL: "0" * 32, DEFINITION_LABEL: json.dumps({"image": "old"})})
        definition["services"]["worker"]["deploy"]["labels"] += [f"{HASH_LABEL}={'1' * 32}", f"{DEFINITION_LABEL}={{}}"]
        assert {name: fingerprint(definition, name) for name in definition["services"]} == before

    def test_list_and_dict_labels_are_the_same(self):
        definition = compose()
        before = fingerprint(definition, "worker")
        definition["services"]["worker"]["deploy"]["labels"] = {"com.example.team": "jobs", "com.example.batch": ""}
        assert fingerprint(definition, "worker") == before

    def test_does_not_modify_the_definition(self):
        definition = compose()
        definition["services"]["worker"]["deploy"]["labels"].append(f"{HASH_LABEL}=abc")
        snapshot = copy.deepcopy(definition)
        fingerprint(definition, "worker")
        assert definition == snapshot

    def test_unknown_service(self):
        with pytest.raises(KeyError):
            fingerprint(compose(), "db")


# -- stamp ---------------------------------------------------------------------
class TestStamp:
    def test_labels(self):
        definition = compose()
        original = copy.deepcopy(definition)
        prints = stamp(definition)
        assert prints == {name: fingerprint(original, name) for name in ("web", "agent", "worker")}
        web, agent, worker = (definition["services"][n] for n in ("web", "agent", "worker"))
        assert web["deploy"]["labels"] == {
            "com.example.team": "web",
            HASH_LABEL: prints["web"],
            DEFINITION_LABEL: json.dumps(original["services"]["web"], sort_keys=True),
        }
        # list-form labels become a mapping
        assert worker["deploy"]["labels"] == {
            "com.example.team": "jobs",
            "com.example.batch": "",
            HASH_LABEL: prints["worker"],
            DEFINITION_LABEL: json.dumps(original["services"]["worker"], sort_keys=True),
        }
        assert agent["deploy"]["labels"] == {
            HASH_LABEL: prints["agent"],
            DEFINITION_LABEL: json.dumps(original["services"]["agent"], sort_keys=True),
        }

    def test_only_labels_change(self):
        definition = compose()
        original = copy.deepcopy(definition)
        stamp(definition)
        for name, service in definition["services"].items():
            service = copy.deepcopy(service)
            service["deploy"].pop("labels")
            expected = copy.deepcopy(original["services"][name])
            expected["deploy"].pop("labels", None)
            assert service == expected
        assert definition["networks"] == original["networks"]

    def test_service_without_deploy(self):
        definition = {"services": {"web": {"image": "nginx:1.25"}}}
        prints = stamp(definition)
        assert definition == {"services": {"web": {"image": "nginx:1.25", "deploy": {"labels": {
            HASH_LABEL: prints["web"], DEFINITION_LABEL: '{"image": "nginx:1.25"}'}}}}}

    def test_stamped_labels_do_not_change_the_fingerprint(self):
        definition = compose()
        prints = stamp(definition)
        assert fingerprint(definition, "web") == prints["web"]
        assert fingerprint(definition, "worker") == prints["worker"]

    def test_stamping_again_gives_the_same_prints(self):
        definition = compose()
        first = stamp(definition)
        second = stamp(copy.deepcopy(compose()))
        assert first == second


# -- plan_stack ----------------------------------------------------------------
PRINTS = {"web": "a" * 32, "api": "b" * 32, "worker": "c" * 32}


class TestPlanStack:
    def existing(self):
        return [
            api_service("demo_web", {HASH_LABEL: "a" * 32}),  # unchanged
            api_service("demo_api", {HASH_LABEL: "f" * 32}),  # changed
            api_service("demo_cron", {HASH_LABEL: "e" * 32}),  # no longer in the definition
        ]

    def test_prune(self):
        assert plan_stack("demo", PRINTS, self.existing(), prune=True) == {
            "created": ["worker"],
            "updated": ["api"],
            "removed": ["cron"],
            "kept_extra": [],
            "unchanged": ["web"],
        }

    def test_without_prune(self):
        assert plan_stack("demo", PRINTS, self.existing(), prune=False) == {
            "created": ["worker"],
            "updated": ["api"],
            "removed": [],
            "kept_extra": ["cron"],
            "unchanged": ["web"],
        }

    def test_first_deploy(self):
        assert plan_stack("demo", PRINTS, [], prune=True) == {
            "created": ["api", "web", "worker"], "updated": [], "removed": [], "kept_extra": [], "unchanged": []}

    def test_nothing_to_do(self):
        existing = [api_service(f"demo_{n}", {HASH_LABEL: p}) for n, p in PRINTS.items()]
        assert plan_stack("demo", PRINTS, existing, prune=True) == {
            "created": [], "updated": [], "removed": [], "kept_extra": [], "unchanged": ["api", "web", "worker"]}

    def test_service_deployed_without_swarm_stack_is_updated(self):
        existing = [api_service("demo_web"), {"ID": "x", "Spec": {"Name": "demo_api", "Labels": None}}]
        plan = plan_stack("demo", {"web": "a" * 32, "api": "b" * 32}, existing, prune=False)
        assert (plan["updated"], plan["unchanged"], plan["created"]) == (["api", "web"], [], [])

    def test_stack_prefix(self):
        # only the "<stack>_" prefix is cut: underscores inside the names stay
        existing = [
            api_service("my_demo_web_v2", {HASH_LABEL: "a" * 32}),
            api_service("my_demo_old_api", {HASH_LABEL: "b" * 32}),
        ]
        assert plan_stack("my_demo", {"web_v2": "a" * 32}, existing, prune=True) == {
            "created": [], "updated": [], "removed": ["old_api"], "kept_extra": [], "unchanged": ["web_v2"]}

    def test_name_without_the_stack_prefix_is_kept_whole(self):
        existing = [api_service("demoweb", {HASH_LABEL: "a" * 32})]
        plan = plan_stack("demo", {"web": "a" * 32}, existing, prune=True)
        assert (plan["created"], plan["removed"]) == (["web"], ["demoweb"])

    def test_fixture_services(self):
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        web, agent = data["services"]
        prints = {"web": web["Spec"]["Labels"][HASH_LABEL], "agent": "0" * 32, "cache": "1" * 32}
        assert plan_stack("demo", prints, data["services"], prune=True) == {
            "created": ["cache"], "updated": ["agent"], "removed": [], "kept_extra": [], "unchanged": ["web"]}


# -- deployed_definition -------------------------------------------------------
class TestDeployedDefinition:
    def test_round_trip(self):
        definition = validate_definition(compose(), "demo")
        apply_update_defaults(definition)
        before_stamp = copy.deepcopy(definition)
        stamp(definition)
        for name in ("web", "agent", "worker"):
            service = api_service(f"demo_{name}", definition["services"][name]["deploy"]["labels"])
            assert deployed_definition(service) == before_stamp["services"][name]

    def test_round_trip_keeps_list_labels(self):
        definition = compose()
        stamp(definition)
        service = api_service("demo_worker", definition["services"]["worker"]["deploy"]["labels"])
        assert deployed_definition(service)["deploy"]["labels"] == ["com.example.team=jobs", "com.example.batch"]

    @pytest.mark.parametrize("service", [
        pytest.param(api_service("demo_web"), id="no-label"),
        pytest.param(api_service("demo_web", {DEFINITION_LABEL: ""}), id="empty-label"),
        pytest.param({"ID": "x", "Spec": {"Name": "demo_web", "Labels": None}}, id="labels-null"),
        pytest.param({"ID": "x", "Spec": {"Name": "demo_web"}}, id="no-labels"),
        pytest.param({"ID": "x"}, id="no-spec"),
    ])
    def test_missing(self, service):
        assert deployed_definition(service) is None

    @pytest.mark.parametrize("text", ['{"image": "nginx:1.25"', "not json", "{'image': 'nginx'}"])
    def test_bad_json(self, text):
        assert deployed_definition(api_service("demo_web", {DEFINITION_LABEL: text})) is None

    def test_fixture_services_were_not_stamped_with_a_definition(self):
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        assert [deployed_definition(s) for s in data["services"]] == [None, None]


class TestCheckStacks:
    def test_a_good_list(self):
        stacks = [{"name": "demo", "compose": "stack.yml.j2"}, {"name": "old", "state": "absent"}]
        assert check_stacks(stacks, {"demo": compose()}) == []

    def test_each_problem_once(self):
        stacks = [
            "demo",
            {"compose": "x.yml"},
            {"name": "bad name!"},
            {"name": "web", "compose": "a.yml", "definition": {}},
            {"name": "api", "state": "running"},
            {"name": "db", "definition": {"services": {"db": {}}}},
            {"name": "cache", "compose": "cache.yml"},
            {"name": "cache", "compose": "cache.yml"},
            {"name": "empty"},
        ]
        unreadable = StackDefinitionError("the Compose file cache.yml can not be read or rendered")
        assert check_stacks(stacks, {"db": {"services": {"db": {}}}, "cache": unreadable}) == [
            "entry 1 of swarm_stacks is not a mapping with a name",
            "entry 2 of swarm_stacks has no name",
            "stack name 'bad name!' is not valid: letters and digits, joined by - or _",
            "stack web: give exactly one of compose (a Compose file) or definition (inline)",
            "stack api: state is 'running', not present or absent",
            "service db of stack db has no image (build images first; swarm deploys only images)",
            "stack cache: the Compose file cache.yml can not be read or rendered",
            "stack cache is listed twice",
            "stack empty: give exactly one of compose (a Compose file) or definition (inline)",
        ]

    def test_a_definition_that_is_no_mapping(self):
        assert check_stacks([{"name": "demo", "definition": ["services"]}], {"demo": ["services"]}) == [
            "the definition of stack demo must be a mapping with a 'services' key, got list"]

    def test_not_a_list(self):
        assert check_stacks({"name": "demo"}, {}) == ["swarm_stacks must be a list of stacks, got dict"]


class TestHealthReport:
    ITEM = {"service": "flaky_app", "node": "worker1", "container_id": "0123456789abcdef0123", "exit_code": 137}

    def test_the_last_output_of_each_task(self):
        container = {"State": {"Health": {"Log": [{"Output": "ok\n"}, {"Output": " flaky-token: unhealthy\n"}]}}}
        assert health_report([{"item": self.ITEM, "container": container}]) == [
            "Health check output of flaky_app on worker1 (container 0123456789ab, exit code 137): flaky-token: unhealthy"
        ]

    def test_the_last_failing_check_that_said_something(self):
        # Seen in CI: the container was being stopped, and its last check was cut off with no output.
        container = {"State": {"Health": {"Log": [
            {"ExitCode": 0, "Output": "flaky-token-early: healthy\n"},
            {"ExitCode": 1, "Output": "flaky-token-early: unhealthy 3.0s after the first check\n"},
            {"ExitCode": 1, "Output": "flaky-token-early: unhealthy 4.0s after the first check\n"},
            {"ExitCode": -1, "Output": ""},
            {"ExitCode": 0, "Output": "  "},
        ]}}}
        assert health_report([{"item": self.ITEM, "container": container}]) == [
            "Health check output of flaky_app on worker1 (container 0123456789ab, exit code 137): "
            "flaky-token-early: unhealthy 4.0s after the first check"]
        # No failing check said anything: the last one that did.
        container["State"]["Health"]["Log"] = [{"ExitCode": 0, "Output": "fine"}, {"ExitCode": -1, "Output": ""}]
        assert health_report([{"item": self.ITEM, "container": container}])[0].endswith("exit code 137): fine")

    @pytest.mark.parametrize("result", [
        pytest.param({"item": ITEM, "container": {"State": {"Health": {"Log": [{"ExitCode": -1, "Output": ""}]}}}},
                     id="only-a-cut-off-check"),
        pytest.param({"item": ITEM, "skipped": True}, id="not-an-inventory-node"),
        pytest.param({"item": ITEM, "container": None, "exists": False}, id="removed"),
        pytest.param({"item": ITEM, "container": {"State": {}}}, id="no-health-check"),
        pytest.param({"item": ITEM, "container": {"State": {"Health": {"Log": []}}}}, id="empty-log"),
        pytest.param("text", id="not-a-result"),
    ])
    def test_nothing_to_say(self, result):
        assert health_report([result]) == []


class TestImages:
    """Which images the builder builds, and which node gets which archive (swarm_stacks_image_distribution: load)."""

    WEB = {"Id": "sha256:aaa", "RepoTags": ["swarmops/demo-web:1", "swarmops/demo-web:latest"]}
    REDIS = {"Id": "sha256:bbb", "RepoTags": ["swarmops/demo-redis:1"]}
    PLAIN = {"Id": "sha256:ccc", "RepoTags": ["registry.example.com:5000/tools:latest"]}
    NAMES = ["swarmops/demo-web:1", "swarmops/demo-redis:1", "registry.example.com:5000/tools"]

    def test_to_build_by_name_and_tag(self):
        assert images_to_build(self.NAMES, []) == self.NAMES
        assert images_to_build(self.NAMES, [self.WEB]) == ["swarmops/demo-redis:1", "registry.example.com:5000/tools"]
        # A name without a tag is name:latest; a registry port is no tag.
        assert images_to_build(self.NAMES, [self.WEB, self.REDIS, self.PLAIN]) == []
        assert images_to_build(["swarmops/demo-web:2"], [self.WEB]) == ["swarmops/demo-web:2"]
        assert images_to_build(["swarmops/demo-web:1"], [{"Id": "sha256:x", "RepoTags": None}]) == ["swarmops/demo-web:1"]

    @staticmethod
    def archive(*ids):
        return "images-" + hashlib.sha256(",".join(sorted(ids)).encode()).hexdigest()[:20]

    def test_missing_by_id_one_archive_per_set(self):
        rebuilt = {"Id": "sha256:ddd", "RepoTags": ["swarmops/demo-web:1"]}
        on_nodes = {"manager1": [self.WEB, self.REDIS], "worker1": [self.REDIS],
                    # the same tag, an older build: lacks the new ID
                    "worker2": [rebuilt], "worker3": []}
        web = {"ids": ["sha256:aaa"], "names": ["swarmops/demo-web:1"], "archive": self.archive("sha256:aaa")}
        both = {"ids": ["sha256:aaa", "sha256:bbb"], "names": ["swarmops/demo-web:1", "swarmops/demo-redis:1"],
                "archive": self.archive("sha256:aaa", "sha256:bbb")}
        assert images_missing([self.WEB, self.REDIS], on_nodes, self.NAMES) == {
            "worker1": web, "worker2": both, "worker3": both}
        # The archive's name does not depend on the order the images were listed in.
        assert images_missing([self.REDIS, self.WEB], {"n": []}, self.NAMES)["n"]["archive"] == both["archive"]

    def test_one_image_under_two_names(self):
        both = {"Id": "sha256:eee", "RepoTags": ["a/web:1", "a/web:stable"]}
        assert images_missing([both, both], {"n": []}, ["a/web:1", "a/web:stable", "a/other:1"]) == {
            "n": {"ids": ["sha256:eee"], "names": ["a/web:1", "a/web:stable"], "archive": self.archive("sha256:eee")}}

    def test_nothing_built_nothing_missing(self):
        assert images_missing([], {"n": []}, self.NAMES) == {}
        assert images_missing([{"RepoTags": ["x:1"]}], {"n": []}, ["x:1"]) == {}


class TestStackDeployArgv:
    """docker stack deploy: --detach=true for a CLI that knows the flag (26 and later), nothing for older ones."""

    HELP_26 = ("Usage:  docker stack deploy [OPTIONS] STACK\n\nOptions:\n"
               "  -c, --compose-file strings   Path to a Compose file, or \"-\" to read from stdin\n"
               "  -d, --detach                 Exit immediately instead of waiting for the stack services to converge "
               "(default true)\n      --prune                  Prune services that are no longer referenced\n")
    HELP_20 = ("Usage:  docker stack deploy [OPTIONS] STACK\n\nOptions:\n"
               "  -c, --compose-file strings   Path to a Compose file\n      --prune   Prune services\n")

    def test_old_cli(self):
        assert stack_deploy_argv("docker", "/tmp/s.yml", "demo", "never", deploy_help=self.HELP_20) == [
            "docker", "stack", "deploy", "--compose-file", "/tmp/s.yml", "--resolve-image", "never", "demo"]

    def test_new_cli_with_every_option(self):
        assert stack_deploy_argv("/usr/bin/docker", "/tmp/s.yml", "demo", "always", prune=True, with_registry_auth=True,
                                 deploy_help=self.HELP_26) == [
            "/usr/bin/docker", "stack", "deploy", "--compose-file", "/tmp/s.yml", "--resolve-image", "always",
            "--detach=true", "--prune", "--with-registry-auth", "demo"]

    def test_a_word_in_a_description_is_no_flag(self):
        assert "--detach=true" not in stack_deploy_argv("docker", "f", "s", "never",
                                                        deploy_help="  --prune   Prune services, not --detached ones\n")

    def test_no_help_no_flag(self):
        # docker stack deploy --help failed: the command as for an old CLI.
        assert "--detach=true" not in stack_deploy_argv("docker", "f", "s", "never")
