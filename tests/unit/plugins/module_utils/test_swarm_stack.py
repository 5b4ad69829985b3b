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
import json
import pathlib
import re

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_stack import (
    DEFINITION_LABEL,
    HASH_LABEL,
    StackDefinitionError,
    apply_update_defaults,
    default_update_config,
    deployed_definition,
    fingerprint,
    format_duration,
    health_interval,
    parse_duration,
    plan_stack,
    stamp,
    validate_definition,
)

FIXTURE = pathlib.Path(__file__).parent / "fixtures" / "swarm_services.json"

SAFE_WEB = {"parallelism": 1, "order": "start-first", "failure_action": "rollback", "monitor": "20s"}
SAFE_5S = {"parallelism": 1, "order": "start-first", "failure_action": "rollback", "monitor": "5s"}
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


# -- health_interval / default_update_config -----------------------------------
class TestDefaultUpdateConfig:
    def test_web(self):
        # 5s interval * 2 + 10s start period
        assert default_update_config(compose()["services"]["web"]) == SAFE_WEB

    @pytest.mark.parametrize("healthcheck, monitor", [
        (None, "5s"),
        ({}, "5s"),
        ({"test": ["CMD", "true"], "interval": "10s"}, "20s"),
        ({"test": ["CMD", "true"], "interval": "10s", "start_period": "15s"}, "35s"),
        ({"test": ["CMD", "true"], "interval": "1m", "start_period": "30s"}, "150s"),
        ({"test": ["CMD", "true"], "interval": "1s"}, "5s"),
        ({"test": ["CMD", "true"], "interval": "2s"}, "5s"),
        ({"test": ["CMD", "true"], "interval": "2s", "start_period": "1500ms"}, "5500ms"),
        ({"test": ["CMD", "true"], "interval": "2500ms"}, "5s"),
        ({"test": ["CMD", "true"], "interval": "3s"}, "6s"),
        ({"test": ["CMD", "true"], "interval": 4}, "8s"),
        ({"test": ["CMD", "true"]}, "60s"),  # Docker's default interval is 30s
        ({"test": ["CMD", "true"], "interval": "10s", "disable": True}, "5s"),
        ({"test": ["NONE"], "interval": "10s"}, "5s"),
        ({"test": "NONE", "interval": "10s"}, "5s"),
    ])
    def test_monitor(self, healthcheck, monitor):
        service = {"image": "nginx:1.25"}
        if healthcheck is not None:
            service["healthcheck"] = healthcheck
        assert default_update_config(service) == {
            "parallelism": 1, "order": "start-first", "failure_action": "rollback", "monitor": monitor}

    @pytest.mark.parametrize("healthcheck, seconds", [
        ({"test": ["CMD", "true"], "interval": "5s"}, 5.0),
        ({"test": ["CMD", "true"]}, 30.0),
        ({"test": ["NONE"]}, 0.0),
        ({"disable": True}, 0.0),
        ({}, 0.0),
    ])
    def test_health_interval(self, healthcheck, seconds):
        assert health_interval({"image": "x", "healthcheck": healthcheck}) == seconds

    def test_bad_interval_raises(self):
        with pytest.raises(StackDefinitionError):
            default_update_config({"image": "x", "healthcheck": {"test": ["CMD", "true"], "interval": "5 seconds"}})


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
            "update_config": SAFE_5S, "rollback_config": SAFE_ROLLBACK,
        }
        assert services["cron"]["deploy"] == {"update_config": SAFE_5S, "rollback_config": SAFE_ROLLBACK}
        # an explicit rollback_config stays
        assert services["batch"]["deploy"] == {
            "rollback_config": {"parallelism": 2, "order": "stop-first"}, "update_config": SAFE_5S}
        # agent has its own update_config: untouched, and no rollback_config added
        assert services["agent"] == compose()["services"]["agent"]

    def test_second_run_changes_nothing(self):
        definition = compose()
        apply_update_defaults(definition)
        once = copy.deepcopy(definition)
        assert apply_update_defaults(definition) == []
        assert definition == once

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
