"""The deploy gate against a revision that dies after its warm-up, on a real lab swarm behind the load balancers.

Runs as molecule's verify step of the stacks scenario (before test_stacks.py).
The stack `flaky` is a small Python HTTP service of its own (molecule/stacks/flaky)
with its HEALTHCHECK in its Dockerfile, 2 replicas on a host-mode port behind
the load balancers' virtual address. Revisions (the one image with another
environment in the stack) whose health check turns bad at
about 0.3x and 0.9x of the window the module prints are deployed over a healthy
one through the swarm_stacks role, under steady requests: the play must fail,
naming the service, a node, the exit code and what the health check printed,
and leave the previous revision healthy, with no request lost. Then one-shot
services: one that completes deploys and returns, one that exits non-zero
fails with its exit code. Everything made here is removed at the end.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
sys.path.insert(0, str(PROJECT / "molecule" / "shared"))
sys.path.insert(0, str(PROJECT / "bench"))
from benchlab import Load  # noqa: E402  (the benches' bounded load generator)
from labtest import (  # noqa: E402
    MANAGERS,
    WORKERS,
    docker_exec,
    haproxy_servers,
    output,
    playbook,
    render_backends,
    wait_for,
)

VIP = "192.168.78.50"
PORT = 8097
# The image's HEALTHCHECK: interval 1s, retries 3 (molecule/stacks/flaky/Dockerfile).
WINDOW = 10.0  # max(10, 2 x interval x retries): what the module must print
# A revision is the image's environment in the stack: one image, built and loaded once.
REVISIONS = {"good": (1, 0), "late": (2, round(0.9 * WINDOW, 1)), "early": (3, round(0.3 * WINDOW, 1))}
IMAGE = "swarmops/flaky-web:1"
IMAGES = [{"name": IMAGE, "path": str(PROJECT / "molecule/stacks/flaky"),
           "args": {"BASE_IMAGE": "swarmops/lab-node:bookworm-3"}}]


def token(revision):
    return f"flaky-token-{revision}"


def definition(revision):
    version, fail_after = REVISIONS[revision]
    return {"version": "3.8", "services": {"app": {
        "image": IMAGE,
        "environment": {"FAIL_AFTER": str(fail_after), "TOKEN": token(revision), "VERSION": str(version)},
        "ports": [{"target": 8000, "published": PORT, "protocol": "tcp", "mode": "host"}],
        "deploy": {"replicas": 2, "endpoint_mode": "dnsrr", "restart_policy": {"condition": "any", "delay": "1s"}},
    }}}


def swarm(*command):
    result = docker_exec("manager1", "docker", *command)
    assert result.returncode == 0, result.stderr
    return result.stdout


def role_play(tmp_path, stacks, name):
    """The swarm_stacks role on the swarm hosts, with these stacks (and the flaky images), as site.yml runs it."""
    play = tmp_path / f"{name}.yml"
    play.write_text(yaml.safe_dump([{
        "name": f"Deploy through the swarm_stacks role: {name}",
        "hosts": ":".join(["swarm_managers", "swarm_workers"]),
        "gather_facts": False, "become": True,
        "roles": [{"role": "swarmops.ha.swarm_stacks",
                   "vars": {"swarm_stacks_images": IMAGES, "swarm_stacks": stacks}}],
    }], sort_keys=False))
    return playbook(play, timeout=900)


def app_tasks():
    """(revision token, state) of the app's tasks that are desired running."""
    ids = swarm("service", "ps", "flaky_app", "--filter", "desired-state=running", "-q", "--no-trunc").split()
    if not ids:
        return []
    tasks = json.loads(swarm("inspect", "--type", "task", *ids))
    return [(next((e.split("=", 1)[1] for e in task["Spec"]["ContainerSpec"].get("Env") or [] if e.startswith("TOKEN=")), ""),
             task["Status"]["State"]) for task in tasks]


def serves(revision):
    def check():
        tasks = app_tasks()
        up = {lb: sorted(n for n, st in haproxy_servers(lb).get(f"be_flaky_app_{PORT}", {}).items() if st == "UP")
              for lb in ("lb1", "lb2")}
        ok = (len(tasks) == 2 and all(t == token(revision) and state == "running" for t, state in tasks)
              and all(len(servers) == 2 for servers in up.values()))
        return ok, {"tasks": tasks, "up": up}
    return check


def wait_result(tmp_path):
    """swarm_wait's result for the app: what the gate waits for (health.window) comes from the image's check."""
    play = tmp_path / "wait.yml"
    result_file = tmp_path / "wait.json"
    play.write_text(yaml.safe_dump([{
        "name": "Wait", "hosts": MANAGERS[1], "gather_facts": False, "become": True,
        "tasks": [{"name": "Wait", "swarmops.ha.swarm_wait": {"services": ["flaky_app"], "wait_timeout": 120},
                   "register": "waited"},
                  {"name": "Keep", "ansible.builtin.copy": {"content": "{{ waited | to_json }}", "dest": str(result_file),
                                                            "mode": "0600"}, "delegate_to": "localhost"}],
    }]))
    result = playbook(play)
    assert result.returncode == 0, output(result)
    return json.loads(result_file.read_text())


@pytest.fixture(scope="module")
def flaky(tmp_path_factory):
    """The healthy revision deployed through the role, behind the load balancers; removed at the end."""
    tmp_path = tmp_path_factory.mktemp("flaky")
    try:
        result = role_play(tmp_path, [{"name": "flaky", "definition": definition("good"), "resolve_image": "never"}],
                           "good")
        assert result.returncode == 0, output(result)
        render_backends(tmp_path)
        wait_for(serves("good"), "the healthy revision behind both load balancers", timeout=60)
        yield tmp_path
    finally:
        role_play(tmp_path, [{"name": "flaky", "state": "absent"}], "cleanup")
        render_backends(tmp_path)
        for node in MANAGERS + WORKERS:
            docker_exec(node, "docker", "image", "rm", IMAGE)
        subprocess.run(["docker", "image", "rm", IMAGE], capture_output=True, timeout=120, check=False)


def test_the_window_follows_the_health_check_of_the_image(flaky):
    health = wait_result(flaky)["health"]["flaky_app"]
    assert health["health_check"] == {"interval": 1.0, "timeout": 1.0, "retries": 3, "start_period": 1.0}, health
    assert health["window"] == WINDOW, health
    assert health["watch"] > health["window"], health
    # Swarm itself watches each new task as long: a revision that fails in the window is rolled back even with
    # no playbook watching.
    monitor = json.loads(swarm("service", "inspect", "flaky_app"))[0]["Spec"]["UpdateConfig"]["Monitor"] / 1e9
    assert monitor >= health["watch"], (monitor, health)


@pytest.mark.parametrize("revision", ["early", "late"])
def test_a_revision_that_dies_after_its_warm_up_is_rolled_back(flaky, revision):
    with Load(f"http://{VIP}:{PORT}/", interval=0.05, timeout=10, max_seconds=600) as load:
        result = role_play(flaky, [{"name": "flaky", "definition": definition(revision), "resolve_image": "never"}],
                           revision)
        assert result.returncode != 0, output(result)
        wait_for(serves("good"), "the previous revision healthy behind both load balancers again", timeout=120)
    said = " ".join(result.stdout.split())
    assert "Stack flaky failed" in said and "rolled back" in said, output(result)
    assert "flaky_app" in said and "exit code 137" in said, output(result)
    assert any(f" on {node}" in said for node in MANAGERS + WORKERS), output(result)
    # What the health check printed, read on the failing task's node.
    assert f"{token(revision)}: unhealthy" in said, output(result)
    figures = load.figures()
    print(f"revision '{revision}' (health turns bad {REVISIONS[revision][1]}s after healthy, window {WINDOW}s): "
          f"{figures}")
    # On a loss, the tasks' history says what Swarm did meanwhile (which task stopped where, and when).
    assert figures["sent"] > 50 and figures["failed"] == 0, (figures, swarm(
        "service", "ps", "flaky_app", "--format", "{{.Name}} {{.Image}} {{.Node}} {{.DesiredState}} {{.CurrentState}}"))


def test_one_shot_services_finish(flaky):
    """Restart condition none: one that exits 0 is done, one that exits non-zero fails with its exit code."""
    def job(exit_code):
        return {"version": "3.8", "services": {"once": {
            "image": "swarmops/demo-web:1",
            "command": ["sh", "-c", f"sleep 1; exit {exit_code}"],
            "deploy": {"replicas": 1, "restart_policy": {"condition": "none"}},
        }}}
    stacks = [{"name": "oneshotok", "definition": job(0), "resolve_image": "never", "timeout": 90},
              {"name": "oneshotbad", "definition": job(3), "resolve_image": "never", "timeout": 90}]
    try:
        result = role_play(flaky, stacks, "oneshot")
        said = " ".join(result.stdout.split())
        assert result.returncode != 0, output(result)
        deploy = result.stdout.split("Deploy the stacks, each done only when healthy", 1)[1]
        assert re.search(r"changed: \[[^]]+\] => \(item=oneshotok\)", deploy), output(result)
        assert "Stack oneshotbad failed" in said and "oneshotbad_once" in said and "exit code 3" in said, output(result)
        done = swarm("service", "ps", "oneshotok_once", "--format", "{{.CurrentState}}").split("\n")[0]
        assert done.startswith("Complete"), done
    finally:
        role_play(flaky, [{"name": "oneshotok", "state": "absent"}, {"name": "oneshotbad", "state": "absent"}],
                  "oneshot-gone")
