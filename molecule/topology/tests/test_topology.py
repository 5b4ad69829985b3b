"""Inventory changes on a real lab swarm, driven through site.yml.

Runs as molecule's verify step of the topology scenario, on the lab the
default scenario created. The tests run in file order and each leaves the swarm
as the next one expects.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
BIN = Path(sys.executable).parent
LAB = "swarmops-molecule"
MANAGERS = ["manager1", "manager2", "manager3"]
WORKERS = ["worker1", "worker2"]

sys.path.insert(0, str(PROJECT / "molecule" / "shared"))
from labtest import wait_for  # noqa: E402  (the scenarios' shared bounded wait)


def container(name):
    return f"{LAB}-{name}"


# The engine settings of the molecule inventory (.config/molecule/config.yml), so that no run here
# rewrites daemon.json and restarts an engine: the engines' metrics on each node's lab address.
ADDRESSES = {"manager1": "192.168.78.11", "manager2": "192.168.78.12", "manager3": "192.168.78.13",
             "worker1": "192.168.78.31", "worker2": "192.168.78.32", "spare1": "192.168.78.61"}


def write_inventory(tmp_path, managers, workers, others=(), **extra_vars):
    hosts = {h: {"ansible_host": container(h), "docker_engine_metrics_addr": f"{ADDRESSES[h]}:9323"}
             for h in set(managers) | set(workers) | set(others)}
    inventory = {
        "all": {
            "vars": {
                "ansible_connection": "community.docker.docker",
                "ansible_python_interpreter": "/usr/bin/python3",
                "docker_engine_source": "distro",
                **extra_vars,
            },
            "children": {
                "swarm_managers": {"hosts": {h: hosts[h] for h in managers}},
                "swarm_workers": {"hosts": {h: hosts[h] for h in workers}},
                "decommissioned": {"hosts": {h: hosts[h] for h in others}},
            },
        }
    }
    path = tmp_path / f"inventory-{len(list(tmp_path.iterdir()))}.yml"
    path.write_text(yaml.safe_dump(inventory))
    return path


def site(inventory, *args):
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", NO_COLOR="1")
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(inventory), str(PROJECT / "site.yml"), *args],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=900, check=False,
    )


def docker_exec(node, *command):
    return subprocess.run(["docker", "exec", container(node), *command],
                          capture_output=True, text=True, timeout=120, check=False)


def nodes(via):
    ids = docker_exec(via, "docker", "node", "ls", "-q").stdout.split()
    assert ids, f"{via} could not list the nodes"
    out = docker_exec(via, "docker", "node", "inspect", *ids)
    return {n["Description"]["Hostname"]: n for n in json.loads(out.stdout)}


def snapshot(via):
    return {name: (n["Spec"]["Role"], n["Spec"].get("Availability"), n["Status"]["State"])
            for name, n in nodes(via).items()}


@pytest.fixture()
def inventories(tmp_path):
    return tmp_path


@pytest.mark.parametrize(
    "managers, workers, extra, message",
    [
        ([], MANAGERS + WORKERS, {}, "at least one manager"),
        (MANAGERS, WORKERS + ["manager3"], {}, "manager3"),
        (["manager1", "manager2"], WORKERS, {"swarm_cluster_strict": True}, "odd number of managers"),
    ],
    ids=["no-managers", "host-in-both-groups", "even-managers-strict"],
)
def test_bad_inventory_fails_before_any_change(inventories, managers, workers, extra, message):
    before = snapshot("manager2")
    result = site(write_inventory(inventories, managers, workers, **extra))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert message in output, output
    # Failed in the first play, on localhost: no host was touched.
    assert "Find the swarm hosts that answer" not in output, output
    assert snapshot("manager2") == before


@pytest.mark.parametrize(
    "extra, message",
    [
        ({"swarm_cluster_dispatcher_heartbeat": "abc"},
         "argument 'swarm_cluster_dispatcher_heartbeat' is of type str and we were unable to convert to int"),
        ({"swarm_stacks": [{"compose": "/nonexistent/stack.yml.j2"}]},
         "missing required arguments: name found in swarm_stacks"),
        ({"swarm_stacks": [{"name": "web", "compose": "/nonexistent/stack.yml.j2"}]},
         "stack web: the Compose file /nonexistent/stack.yml.j2 can not be read or rendered"),
        ({"swarm_stacks": [{"name": "web", "definition": "services: [web"}]},
         "stack web: the inline definition does not parse as YAML"),
    ],
    ids=["heartbeat-not-a-number", "stack-without-a-name", "compose-file-missing", "definition-does-not-parse"],
)
def test_bad_settings_fail_in_the_first_play(inventories, extra, message):
    # These used to be refused only once docker_engine had run on every host.
    before = snapshot("manager2")
    started = time.monotonic()
    result = site(write_inventory(inventories, MANAGERS, WORKERS), "-e", json.dumps(extra))
    print(f"refused after {time.monotonic() - started:.1f} s")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert message in " ".join(output.split()), output
    assert "Find the swarm hosts that answer" not in output, output
    assert snapshot("manager2") == before


def test_rerun_with_the_first_manager_stopped(inventories):
    inventory = write_inventory(inventories, MANAGERS, WORKERS)
    subprocess.run(["docker", "stop", container("manager1")], check=True, capture_output=True, timeout=120)
    try:
        result = site(inventory)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output
        assert "manager1 does not answer" in output, output
        seen = nodes("manager2")
        assert seen["manager1"]["ManagerStatus"]["Reachability"] == "unreachable"
        assert sorted(seen) == sorted(MANAGERS + WORKERS)
    finally:
        subprocess.run(["docker", "start", container("manager1")], check=True, capture_output=True, timeout=120)

    def manager1_back():
        current = nodes("manager2")["manager1"]
        state = (current["Status"]["State"], current["ManagerStatus"]["Reachability"])
        return state == ("ready", "reachable"), state

    wait_for(manager1_back, "manager1 to be Ready and reachable again")


def test_adding_a_worker_joins_it(inventories):
    result = site(write_inventory(inventories, MANAGERS, WORKERS + ["spare1"]))
    assert result.returncode == 0, result.stdout + result.stderr
    seen = nodes("manager1")
    assert seen["spare1"]["Spec"]["Role"] == "worker"
    assert seen["spare1"]["Status"]["State"] == "ready"


def test_moving_a_worker_to_the_managers_promotes_it(inventories):
    result = site(write_inventory(inventories, MANAGERS + ["spare1"], WORKERS))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "odd number of managers" in output  # 4 managers: a warning, not strict
    seen = nodes("manager1")
    assert seen["spare1"]["Spec"]["Role"] == "manager"
    assert seen["spare1"]["ManagerStatus"]["Reachability"] == "reachable"


def test_pruning_removes_a_host_that_left_the_swarm_groups(inventories):
    # spare1 stays in the inventory, outside the swarm groups: it is made to
    # leave, demoted first as it is a manager, then removed from the node list.
    result = site(write_inventory(inventories, MANAGERS, WORKERS, others=["spare1"], swarm_cluster_prune_nodes=True))
    assert result.returncode == 0, result.stdout + result.stderr
    assert docker_exec("spare1", "docker", "info", "--format", "{{.Swarm.LocalNodeState}}").stdout.strip() == "inactive"
    seen = nodes("manager1")
    assert sorted(seen) == sorted(MANAGERS + WORKERS)
    assert sum(1 for n in seen.values() if n["Spec"]["Role"] == "manager") == 3


def test_the_swarm_is_back_to_the_inventory_and_a_rerun_changes_nothing(inventories):
    result = site(write_inventory(inventories, MANAGERS, WORKERS))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    recap = [line for line in output.splitlines() if "changed=" in line and "ok=" in line]
    assert recap and all("changed=0" in line for line in recap), "\n".join(recap)
