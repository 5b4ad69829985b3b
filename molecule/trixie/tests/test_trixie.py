"""Checks of the Debian 13 swarm that site.yml leaves on bare nodes over SSH (molecule verify -s trixie).

The converge and its idempotence run (molecule's) formed the swarm and deployed
the demo from bare nodes; these checks look at what they left, then run what
only a newer engine has (job modes, a health check's start interval, a CLI
whose stack deploy knows --detach) through the deploy gate, build an image on
a manager for a controller without Docker, and, last, recreate a node.
"""

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import yaml

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
sys.path.insert(0, str(PROJECT / "molecule" / "shared"))
from labtest import output, playbook, recap, wait_for  # noqa: E402  (the scenarios' shared helpers)

LAB = "swarmops-trixie"
MANAGERS = ["manager1", "manager2", "manager3"]
ADDRESSES = {"manager1": "192.168.79.11", "manager2": "192.168.79.12", "manager3": "192.168.79.13"}
# lab_forward_base of lab_vars.yml: node n's port 8080 on 127.0.0.1:29080+n.
FORWARDED = {"manager1": 29081, "manager2": 29082, "manager3": 29083}
SSH_DIR = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / ".ssh-lab"
BASE = "swarmops/lab-node:trixie-3"


def node(name, *command, timeout=120, stdin=None):
    return subprocess.run(["docker", "exec", *(["-i"] if stdin is not None else []), f"{LAB}-{name}", *command],
                          input=stdin, capture_output=True, timeout=timeout, check=False,
                          text=stdin is None or isinstance(stdin, str))


def docker_json(name, *args):
    result = node(name, "docker", *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def tasks_of(service):
    ids = node("manager1", "docker", "service", "ps", "-q", "--no-trunc", service).stdout.split()
    return docker_json("manager1", "inspect", *ids) if ids else []


def stack_play(tmp_path, name, tasks, **play):
    path = tmp_path / f"{name}.yml"
    path.write_text(yaml.safe_dump([{"name": name, "hosts": "manager1", "gather_facts": False, "become": True,
                                     "tasks": tasks, **play}], sort_keys=False))
    return path


def test_engine_26_from_the_distribution_with_its_separate_cli():
    for name in MANAGERS:
        release = node(name, "sh", "-c", ". /etc/os-release && echo $VERSION_CODENAME").stdout.strip()
        assert release == "trixie", (name, release)
        packages = node(name, "dpkg-query", "-W", "-f", "${Package} ${Status} ${Version}\n", "docker.io",
                        "docker-cli").stdout.splitlines()
        assert len(packages) == 2 and all(" install ok installed 26." in p for p in packages), (name, packages)
        server = node(name, "docker", "version", "--format", "{{.Server.Version}}").stdout.strip()
        assert server.startswith("26."), (name, server)


def test_the_nodes_are_reached_over_ssh_as_an_unprivileged_user():
    result = subprocess.run(["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "swarm_managers", "-m",
                             "ansible.builtin.command", "-a", "id -un"],
                            cwd=PROJECT, env=dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg")),
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("swarmops") == len(MANAGERS), result.stdout


def test_three_reachable_managers_and_one_leader():
    ids = node("manager1", "docker", "node", "ls", "-q").stdout.split()
    nodes = {n["Description"]["Hostname"]: n for n in docker_json("manager1", "node", "inspect", *ids)}
    assert sorted(nodes) == MANAGERS
    assert all(n["ManagerStatus"]["Reachability"] == "reachable" for n in nodes.values())
    assert sum(1 for n in nodes.values() if n["ManagerStatus"].get("Leader")) == 1
    assert {name: n["Spec"]["Labels"] for name, n in nodes.items()} == {
        "manager1": {"zone": "a"}, "manager2": {"zone": "b"}, "manager3": {"zone": "c"}}


def test_the_demo_runs_healthy_and_serves_on_every_node():
    running = [t for t in tasks_of("demo_web") if t["Status"]["State"] == "running"]
    assert len(running) == 3, [t["Status"] for t in tasks_of("demo_web")]
    assert len({t["NodeID"] for t in running}) == 3
    for name, port in FORWARDED.items():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/version", timeout=5) as response:
            assert response.status == 200 and response.read().decode().strip() == "1", name
    redis = [t for t in tasks_of("demo_redis") if t["Status"]["State"] == "running"]
    assert len(redis) == 1


def test_job_modes_and_a_start_interval_pass_the_deploy_gate(tmp_path):
    """What engine 26 adds, through swarm_stack: a replicated job that must finish with exit 0, and a service whose
    health check probes every second while it starts; a CLI whose stack deploy knows --detach is told not to wait."""
    definition = {
        # The Compose schema that knows start_interval (the CLI of engine 25 and later).
        "version": "3.12",
        "services": {
            "warm": {
                "image": "swarmops/demo-web:trixie-1",
                "healthcheck": {"test": ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1/"],
                                "interval": "30s", "timeout": "2s", "retries": 3, "start_period": "60s",
                                "start_interval": "1s"},
                "deploy": {"replicas": 1, "endpoint_mode": "dnsrr"},
            },
            "once": {
                "image": "swarmops/demo-redis:trixie-1",
                "command": ["redis-cli", "--version"],
                "deploy": {"mode": "replicated-job", "replicas": 2},
            },
        },
    }
    play = stack_play(tmp_path, "features", [
        {"name": "Deploy", "register": "deployed",
         "swarmops.ha.swarm_stack": {"name": "features", "definition": definition, "resolve_image": "never",
                                     "wait_timeout": 240, "min_healthy_time": 5}},
        {"name": "Show", "ansible.builtin.debug": {"var": "deployed.services"}},
    ])
    try:
        result = playbook(play)
        assert result.returncode == 0, output(result)
        assert recap(result)["manager1"]["changed"] == 1, output(result)
        spec = docker_json("manager1", "service", "inspect", "features_warm")[0]["Spec"]
        health = spec["TaskTemplate"]["ContainerSpec"]["Healthcheck"]
        assert health["StartInterval"] == 1_000_000_000, health
        once = docker_json("manager1", "service", "inspect", "features_once")[0]
        assert "ReplicatedJob" in once["Spec"]["Mode"], once["Spec"]["Mode"]
        states = [t["Status"]["State"] for t in tasks_of("features_once")]
        assert states.count("complete") == 2, states
        # The warm service was healthy long before its 30 s interval would have said so.
        warm = [t for t in tasks_of("features_warm") if t["Status"]["State"] == "running"]
        assert len(warm) == 1
    finally:
        removed = playbook(stack_play(tmp_path, "features-gone", [
            {"name": "Remove", "swarmops.ha.swarm_stack": {"name": "features", "state": "absent"}}]))
        assert removed.returncode == 0, output(removed)


def test_an_image_built_on_a_manager_for_a_controller_without_docker(tmp_path):
    """swarm_stacks_image_builder: manager, with no Docker engine the controller can reach (as an AWX execution
    node): built on the manager, its archive through the controller onto the other managers, deployed healthy."""
    # The base image, as a registry mirror would provide it to a real manager.
    saved = subprocess.run(["docker", "save", BASE], capture_output=True, timeout=300, check=True).stdout
    loaded = node("manager1", "sudo", "docker", "load", "-q", stdin=saved, timeout=300)
    assert loaded.returncode == 0, loaded.stderr
    context = tmp_path / "context"
    context.mkdir()
    (context / "Dockerfile").write_text(
        f"FROM {BASE}\nCOPY serve.py /serve.py\n"
        "HEALTHCHECK --interval=2s --timeout=2s --retries=3 CMD python3 -c "
        "\"import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/', timeout=1)\"\n"
        "CMD [\"python3\", \"/serve.py\"]\n")
    (context / "serve.py").write_text(
        "import http.server\n"
        "http.server.ThreadingHTTPServer(('', 8000), http.server.SimpleHTTPRequestHandler).serve_forever()\n")
    tag = "swarmops/built-on-a-manager:1"
    play = tmp_path / "built.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Build on a manager and deploy", "hosts": "swarm_managers", "gather_facts": False, "become": True,
        "roles": [{"role": "swarmops.ha.swarm_stacks", "vars": {
            "swarm_stacks_image_builder": "manager",
            "swarm_stacks_image_cache_dir": str(tmp_path / "cache"),
            "swarm_stacks_images": [{"name": tag, "path": str(context)}],
            "swarm_stacks": [{"name": "built", "resolve_image": "never", "definition": {
                "version": "3.8",
                "services": {"app": {"image": tag, "deploy": {
                    "replicas": 3, "endpoint_mode": "dnsrr", "placement": {"max_replicas_per_node": 1}}}}}}],
        }}],
    }]))
    try:
        # No Docker engine for the controller: any step that would use one there fails.
        result = playbook(play, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
        assert result.returncode == 0, output(result)
        assert "Build the images on a manager" in result.stdout
        ids = {name: node(name, "docker", "image", "inspect", "--format", "{{.Id}}", tag).stdout.strip()
               for name in MANAGERS}
        assert len(set(ids.values())) == 1 and all(ids.values()), ids
        assert subprocess.run(["docker", "image", "inspect", tag], capture_output=True, timeout=60,
                              check=False).returncode != 0, "the image was built on the controller"
        running = [t for t in tasks_of("built_app") if t["Status"]["State"] == "running"]
        assert len(running) == 3, [t["Status"] for t in tasks_of("built_app")]
        # Nothing left behind on the manager that built it.
        assert node("manager1", "test", "-e", "/var/lib/swarmops/build").returncode != 0
    finally:
        removed = playbook(stack_play(tmp_path, "built-gone", [
            {"name": "Remove", "swarmops.ha.swarm_stack": {"name": "built", "state": "absent"}}]))
        assert removed.returncode == 0, output(removed)


def test_a_recreated_node_gets_its_new_host_key_trusted_and_the_old_one_refused(tmp_path):
    """Last: recreating manager3 (new root file system, new host keys) leaves its swarm node down."""
    known_hosts = SSH_DIR / "known_hosts"
    before = known_hosts.read_text()
    line = next(entry for entry in before.splitlines() if entry.startswith(ADDRESSES["manager3"] + " "))
    old = tmp_path / "known_hosts.old"
    shutil.copy(known_hosts, old)
    removed = subprocess.run(["docker", "rm", "-f", f"{LAB}-manager3"], capture_output=True, text=True,
                             timeout=120, check=False)
    assert removed.returncode == 0, removed.stderr
    up = playbook("playbooks/lab_up.yml", "-e", f"@{PROJECT / 'molecule' / 'trixie' / 'lab_vars.yml'}")
    assert up.returncode == 0, output(up)
    after = known_hosts.read_text()
    new = next(entry for entry in after.splitlines() if entry.startswith(ADDRESSES["manager3"] + " "))
    assert new != line and line not in after
    # The inventory's connection trusts the new key, and checks it strictly.
    ping = subprocess.run(["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"], "manager3", "-m",
                           "ansible.builtin.ping"], cwd=PROJECT,
                          env=dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg")),
                          capture_output=True, text=True, timeout=120, check=False)
    assert ping.returncode == 0, ping.stdout + ping.stderr
    # With the old known_hosts, ssh refuses the node: no host is trusted on first use or on a changed key.
    stale = subprocess.run(["ssh", "-i", str(SSH_DIR / "id_ed25519"), "-o", f"UserKnownHostsFile={old}",
                            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
                            f"swarmops@{ADDRESSES['manager3']}", "true"],
                           capture_output=True, text=True, timeout=60, check=False)
    assert stale.returncode != 0 and "HOST IDENTIFICATION HAS CHANGED" in stale.stderr, stale.stderr


@pytest.fixture(autouse=True, scope="module")
def _wait_for_the_swarm():
    """The demo is whole before the first check (the converge's gate said so; a restart since may not have)."""
    def whole():
        running = [t for t in tasks_of("demo_web") if t["Status"]["State"] == "running"]
        return len(running) == 3, len(running)
    wait_for(whole, "3 running demo_web tasks", timeout=120)
