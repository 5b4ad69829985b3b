"""Checks of the swarm that site.yml leaves on bare lab nodes (molecule verify)."""

import json
import os

import pytest
import testinfra.utils.ansible_runner

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
MANAGERS = RUNNER.get_hosts("swarm_managers")
WORKERS = RUNNER.get_hosts("swarm_workers")
testinfra_hosts = MANAGERS + WORKERS

EXPECTED_LABELS = {
    "manager1": {"zone": "a"},
    "manager2": {"zone": "b"},
    "manager3": {"zone": "c"},
    "worker1": {"zone": "a", "tier": "web"},
    "worker2": {"zone": "b", "tier": "web"},
}


def nodes_seen_by(host):
    ids = host.check_output("docker node ls -q").split()
    return json.loads(host.check_output("docker node inspect " + " ".join(ids)))


def test_systemd_is_pid_1_and_booted(host):
    assert host.file("/proc/1/comm").content_string.strip() == "systemd"
    assert host.run("systemctl is-system-running").stdout.strip() in ("running", "degraded")


def test_engine_installed_enabled_and_running(host):
    assert host.package("docker.io").is_installed
    docker = host.service("docker")
    assert docker.is_running
    assert docker.is_enabled


def test_daemon_json_has_log_rotation(host):
    config = json.loads(host.file("/etc/docker/daemon.json").content_string)
    assert config["log-driver"] == "json-file"
    assert config["log-opts"] == {"max-size": "10m", "max-file": "3"}
    assert "live-restore" not in config


def test_every_host_is_an_active_swarm_member(host):
    swarm = json.loads(host.check_output("docker info --format '{{json .Swarm}}'"))
    assert swarm["LocalNodeState"] == "active"
    assert swarm["Error"] == ""
    role = "manager" if host.backend.get_hostname() in MANAGERS else "worker"
    assert swarm["ControlAvailable"] is (role == "manager")


@pytest.mark.parametrize("manager", MANAGERS)
def test_swarm_has_three_reachable_managers_and_two_ready_workers(manager):
    host = RUNNER.get_host(manager)
    nodes = {n["Description"]["Hostname"]: n for n in nodes_seen_by(host)}
    assert sorted(nodes) == sorted(MANAGERS + WORKERS)
    for name in MANAGERS:
        assert nodes[name]["Spec"]["Role"] == "manager"
        assert nodes[name]["ManagerStatus"]["Reachability"] == "reachable"
    for name in WORKERS:
        assert nodes[name]["Spec"]["Role"] == "worker"
        assert nodes[name]["Status"]["State"] == "ready"
        assert "ManagerStatus" not in nodes[name]
    assert sum(1 for n in nodes.values() if n.get("ManagerStatus", {}).get("Leader")) == 1


def test_labels_from_the_inventory_are_on_the_nodes():
    host = RUNNER.get_host(MANAGERS[0])
    labels = {n["Description"]["Hostname"]: n["Spec"]["Labels"] for n in nodes_seen_by(host)}
    assert labels == EXPECTED_LABELS
