"""swarm_stack on a real lab swarm: every deploy is healthy when it returns, or rolled back.

Runs as molecule's verify step of the stacks scenario, after site.yml deployed
the demo stack (web: 3 replicas with an HTTP health check, redis). The tests
run in file order; each leaves the demo on a healthy version.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jinja2
import pytest
import yaml

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
BIN = Path(sys.executable).parent
LAB = "swarmops-molecule"
NODES = ["manager1", "manager2", "manager3", "worker1", "worker2"]
FORWARD_BASE = 28080
TIMEOUT = 60
# A revision the demo has not run yet, so that the first deploy changes it also when the scenario runs again.
REVISION = str(int(time.time()))


def demo_definition(**overrides):
    text = (PROJECT / "examples/demo/stack.yml.j2").read_text()
    return yaml.safe_load(jinja2.Template(text).render(**overrides))


def run_stack_module(tmp_path, check_mode=False, **args):
    """Run swarmops.ha.swarm_stack on manager2 through a playbook; return its result and the wall time."""
    args.setdefault("name", "demo")
    args.setdefault("resolve_image", "never")
    args.setdefault("wait_timeout", TIMEOUT)
    args.setdefault("poll_interval", 1)
    args.setdefault("min_healthy_time", 3)
    result_file = tmp_path / "result.json"
    play = [{
        "name": "Run swarm_stack",
        "hosts": "manager2",
        "gather_facts": False, "become": True,
        "tasks": [
            {"name": "Deploy", "swarmops.ha.swarm_stack": args, "register": "stack_result",
             "ignore_errors": True, "check_mode": check_mode, "diff": True},
            {"name": "Keep the result", "ansible.builtin.copy": {
                "content": "{{ stack_result | to_json }}", "dest": str(result_file), "mode": "0600"},
             "delegate_to": "localhost"},
        ],
    }]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"))
    start = time.monotonic()
    completed = subprocess.run([str(BIN / "ansible-playbook"), "-i", INVENTORY, str(playbook)], cwd=PROJECT, env=env,
                               capture_output=True, text=True, timeout=900, check=False)
    elapsed = time.monotonic() - start
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    return json.loads(result_file.read_text()), elapsed


def docker(node, *command, check=True):
    return subprocess.run(["docker", "exec", f"{LAB}-{node}", "docker", *command],
                          capture_output=True, text=True, timeout=120, check=check).stdout


def service(name="demo_web"):
    return json.loads(docker("manager1", "service", "inspect", name))[0]


def running_tasks(name="demo_web"):
    ids = docker("manager1", "service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running", name).split()
    return json.loads(docker("manager1", "inspect", *ids)) if ids else []


def container_health_of(tasks):
    """Health status of each task's container, read on the node that runs it."""
    nodes = {n["ID"]: n["Description"]["Hostname"]
             for n in json.loads(docker("manager1", "node", "inspect", *docker("manager1", "node", "ls", "-q").split()))}
    health = {}
    for task in tasks:
        container = task["Status"]["ContainerStatus"]["ContainerID"]
        health[task["ID"]] = docker(nodes[task["NodeID"]], "inspect", "--format", "{{.State.Health.Status}}", container).strip()
    return health


def web_answers():
    """How many of the nodes' forwarded ports answer 200 (bounded: one request each)."""
    answered = 0
    for index in range(1, len(NODES) + 1):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{FORWARD_BASE + index}/", timeout=2) as response:
                answered += response.status == 200
        except OSError:
            pass
    return answered


def assert_demo_healthy(image="swarmops/demo-web:1"):
    tasks = running_tasks()
    assert len(tasks) == 3
    assert all(t["Status"]["State"] == "running" for t in tasks)
    assert set(container_health_of(tasks).values()) == {"healthy"}
    assert service()["Spec"]["TaskTemplate"]["ContainerSpec"]["Image"].split("@")[0] == image
    assert web_answers() == 3


def test_deploy_returns_only_when_every_task_is_healthy(tmp_path):
    definition = demo_definition()
    definition["services"]["web"]["environment"] = {"DEMO_REVISION": REVISION}
    result, _elapsed = run_stack_module(tmp_path, definition=definition)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is True
    assert result["plan"]["updated"] == ["web"]
    # Right after the module returned: every task runs the new spec and is healthy.
    tasks = running_tasks()
    assert len(tasks) == 3
    assert all(t["Spec"]["ContainerSpec"].get("Env") == [f"DEMO_REVISION={REVISION}"] for t in tasks)
    assert set(container_health_of(tasks).values()) == {"healthy"}
    assert result["services"]["demo_web"]["replicas_running"] == 3


def test_second_run_changes_nothing(tmp_path):
    definition = demo_definition()
    definition["services"]["web"]["environment"] = {"DEMO_REVISION": REVISION}
    version = service()["Version"]["Index"]
    result, _elapsed = run_stack_module(tmp_path, definition=definition)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] is False
    assert service()["Version"]["Index"] == version


def test_check_mode_reports_and_changes_nothing(tmp_path):
    definition = demo_definition(demo_web_replicas=2)
    definition["services"]["cache"] = {"image": "swarmops/demo-redis:1"}
    version = service()["Version"]["Index"]
    result, _elapsed = run_stack_module(tmp_path, check_mode=True, definition=definition, prune=True)
    assert result["changed"] is True
    assert result["plan"]["created"] == ["cache"]
    assert result["plan"]["updated"] == ["web"]
    assert result["diff"]["after"]["web"]["deploy"]["replicas"] == 2
    assert service()["Version"]["Index"] == version
    assert "demo_cache" not in docker("manager1", "service", "ls", "--format", "{{.Name}}")


def test_failing_health_check_is_rolled_back_and_named(tmp_path):
    before = service()["Spec"]["TaskTemplate"]["ContainerSpec"]
    definition = demo_definition()
    definition["services"]["web"]["environment"] = {"DEMO_REVISION": "3"}
    definition["services"]["web"]["healthcheck"]["test"] = ["CMD", "curl", "-fsS", "http://127.0.0.1:81/"]
    result, elapsed = run_stack_module(tmp_path, definition=definition)
    assert result["failed"] is True
    assert result["rolled_back"] is True
    assert "demo_web" in result["msg"]
    assert "task " in result["diagnosis"]
    # The deploy wait and the rollback wait each have the timeout; the margin is the playbook's start.
    assert elapsed < 2 * TIMEOUT + 30, elapsed
    assert service()["Spec"]["TaskTemplate"]["ContainerSpec"]["Healthcheck"] == before["Healthcheck"]
    assert service()["Spec"]["TaskTemplate"]["ContainerSpec"].get("Env") == before.get("Env")
    assert_demo_healthy()


def test_missing_image_fails_and_the_previous_version_keeps_serving(tmp_path):
    definition = demo_definition(demo_web_image="swarmops/does-not-exist:1")
    result, _elapsed = run_stack_module(tmp_path, definition=definition)
    assert result["failed"] is True
    assert "No such image" in result["msg"] or "does-not-exist" in result["msg"], result["msg"]
    assert_demo_healthy()


def test_constraint_no_node_satisfies_fails_and_says_so(tmp_path):
    definition = demo_definition()
    definition["services"]["web"]["deploy"]["placement"] = {"constraints": ["node.labels.zone==nowhere"]}
    result, _elapsed = run_stack_module(tmp_path, definition=definition, wait_timeout=30)
    assert result["failed"] is True
    assert "no suitable node" in result["msg"] or "no node satisfies" in result["msg"], result["msg"]
    assert_demo_healthy()


@pytest.mark.parametrize(
    "definition, message",
    [
        ("services: [unclosed", "does not parse"),
        ({"services": {"web": {"image": "swarmops/demo-web:1", "deploy": {"replicas": "three"}}}},
         "deploy.replicas must be a whole number"),
        ({"version": "3.8"}, "has no 'services' mapping"),
    ],
    ids=["unparseable", "replicas-not-a-number", "no-services"],
)
def test_bad_definition_fails_before_anything_is_deployed(tmp_path, definition, message):
    version = service()["Version"]["Index"]
    result, _elapsed = run_stack_module(tmp_path, definition=definition)
    assert result["failed"] is True
    assert message in result["msg"], result["msg"]
    assert "Nothing was deployed" in result["msg"]
    assert service()["Version"]["Index"] == version
