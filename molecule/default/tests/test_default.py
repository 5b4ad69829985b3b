"""Checks of the swarm that site.yml leaves on bare lab nodes (molecule verify)."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import testinfra.utils.ansible_runner
import yaml

RUNNER = testinfra.utils.ansible_runner.AnsibleRunner(os.environ["MOLECULE_INVENTORY_FILE"])
MANAGERS = RUNNER.get_hosts("swarm_managers")
WORKERS = RUNNER.get_hosts("swarm_workers")
testinfra_hosts = MANAGERS + WORKERS
PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
BIN = Path(sys.executable).parent

EXPECTED_LABELS = {
    "manager1": {"zone": "a"},
    "manager2": {"zone": "b"},
    "manager3": {"zone": "c"},
    "worker1": {"zone": "a", "tier": "web"},
    "worker2": {"zone": "b", "tier": "web"},
}


def nodes_seen_by(host):
    # The lab's login user is unprivileged: the engine's socket is root's.
    with host.sudo():
        ids = host.check_output("docker node ls -q").split()
        return json.loads(host.check_output("docker node inspect " + " ".join(ids)))


def test_the_node_is_reached_over_ssh_as_an_unprivileged_user(host):
    """So every root step of the converge went through the become the playbooks declare."""
    assert RUNNER.get_variables(host.backend.get_hostname())["ansible_connection"] == "ssh"
    user = host.user()
    assert user.name == "swarmops" and user.uid != 0
    assert "docker" not in user.groups
    assert host.run("docker info").rc != 0, "the login user reaches the engine without become"


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
    with host.sudo():
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


def run_engine_role(tmp_path, host, *extra):
    play = tmp_path / "engine.yml"
    play.write_text(yaml.safe_dump([{"name": "The engine role alone", "hosts": host, "gather_facts": False,
                                     "become": True, "roles": [{"role": "swarmops.ha.docker_engine"}]}]))
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", NO_COLOR="1")
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(play), *extra],
                            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return result


def changed_on(result, host):
    recap = re.search(rf"^{host}\s*:\s*ok=\d+\s+changed=(\d+)", result.stdout, re.MULTILINE)
    assert recap, result.stdout[-2000:]
    return int(recap.group(1))


def test_a_pinned_and_held_engine_changes_nothing_on_a_rerun(tmp_path):
    # The hold used to be released and set again on every run, the release hidden by changed_when: false.
    host = RUNNER.get_host("worker2")
    status = "dpkg-query --show --showformat='${Status}' docker.io"
    version = host.check_output("dpkg-query --show --showformat='${Version}' docker.io")
    pin = ["-e", f"docker_engine_version={version}", "-e", "docker_engine_hold=true"]
    try:
        run_engine_role(tmp_path, "worker2", *pin)
        assert host.check_output(status).startswith("hold ")
        rerun = run_engine_role(tmp_path, "worker2", *pin)
        assert changed_on(rerun, "worker2") == 0, rerun.stdout[-4000:]
        assert host.check_output(status).startswith("hold ")
    finally:
        # As docker_engine_hold: false leaves it (a role run would say the same, a minute later).
        with host.sudo():
            host.run("echo 'docker.io install' | dpkg --set-selections")
    assert host.check_output(status).startswith("install ")


def test_a_settled_rerun_still_finds_a_disabled_engine_unit(tmp_path):
    """The role's one read of the host lets a settled rerun skip its service step; drift made by hand does not."""
    host = RUNNER.get_host("worker2")
    with host.sudo():
        host.run_expect([0], "systemctl disable docker")
    try:
        assert host.run("systemctl is-enabled docker").stdout.strip() == "disabled"
        fixed = run_engine_role(tmp_path, "worker2")
        assert "TASK [swarmops.ha.docker_engine : Enable and start the engine]" in fixed.stdout
        assert changed_on(fixed, "worker2") == 1, fixed.stdout[-4000:]
        assert host.run("systemctl is-enabled docker").stdout.strip() == "enabled"
        assert changed_on(run_engine_role(tmp_path, "worker2"), "worker2") == 0
    finally:
        with host.sudo():
            host.run("systemctl enable docker")


def test_without_become_the_first_play_names_every_host_and_changes_nothing():
    """-e ansible_become=false as the unprivileged user: refused before any change, each host named."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", NO_COLOR="1")
    result = subprocess.run([str(BIN / "ansible-playbook"), "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                             str(PROJECT / "site.yml"), "-e", "ansible_become=false"],
                            cwd=PROJECT, env=env, capture_output=True, text=True, timeout=600, check=False)
    text = result.stdout + result.stderr
    assert result.returncode != 0, text[-4000:]
    said = " ".join(text.split())  # the callback folds long messages
    lbs = RUNNER.get_hosts("swarm_lbs")
    for name in MANAGERS + WORKERS + lbs:
        assert re.search(rf"{name} runs the tasks as uid \d+, not root", said), f"{name} not named:\n{text[-4000:]}"
    assert "Nothing was changed." in said
    # The refusal comes from the play that checks, before the engine play starts.
    assert "PLAY [Install the Docker engine]" not in text, text[-4000:]
    changed = [int(n) for n in re.findall(r"changed=(\d+)", text.split("PLAY RECAP", 1)[-1])]
    assert changed and not any(changed), text[-3000:]


# -- the monitoring exporter, on a real manager ------------------------------------------------------------------
EXPORTER_DIR = "/tmp/swarmops-exporter"


def lab_exec(node, *command, check=False, timeout=60, **kwargs):
    return subprocess.run(["docker", "exec", *kwargs.pop("options", []), f"swarmops-molecule-{node}", *command],
                          capture_output=True, text=True, timeout=timeout, check=check, **kwargs)


def put_exporter(node):
    """The exporter and the collection's module_utils, as the monitoring stack ships them to a manager."""
    files = subprocess.run(
        ["tar", "-C", str(PROJECT), "-c", "--transform", "s|^plugins|ansible_collections/swarmops/ha/plugins|",
         "plugins/module_utils", "--transform", "s|^roles/monitoring/files/||", "roles/monitoring/files/swarm_exporter.py"],
        capture_output=True, check=True, timeout=60).stdout
    lab_exec(node, "mkdir", "-p", EXPORTER_DIR, check=True)
    subprocess.run(["docker", "exec", "-i", f"swarmops-molecule-{node}", "tar", "-C", EXPORTER_DIR, "-x"],
                   input=files, capture_output=True, check=True, timeout=60)


def samples(text):
    """{(name, frozenset of label pairs): value} of an exposition."""
    found = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        head, value = line.rsplit(" ", 1)
        name, _brace, labels = head.partition("{")
        pairs = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
        found[(name, pairs)] = float(value)
    return found


def test_the_exporter_publishes_what_status_reports(tmp_path):
    """roles/monitoring/files/swarm_exporter.py, run on a manager outside Ansible, publishes the numbers status.yml
    reports (the same rules, read at the same time); on a worker it says it can not read the swarm; it serves HTTP."""
    put_exporter("manager1")
    put_exporter("worker1")
    try:
        report = tmp_path / "status.json"
        env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"))
        run = subprocess.run([str(BIN / "ansible-playbook"), "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                              "playbooks/status.yml", "-e", f"status_output={report}"],
                             cwd=PROJECT, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
        status = json.loads(report.read_text())
        once = lab_exec("manager1", "python3", f"{EXPORTER_DIR}/swarm_exporter.py", "--module-utils", EXPORTER_DIR,
                        "--once")
        assert once.returncode == 0, once.stderr
        seen = samples(once.stdout)
        assert seen[("swarmops_exporter_up", frozenset())] == 1
        assert seen[("swarmops_swarm_verdict", frozenset({("verdict", status["verdict"])}))] == 1
        assert seen[("swarmops_swarm_quorum_margin", frozenset())] == status["quorum"]["margin"]
        for node in status["nodes"]:
            key = frozenset({("node", node["name"]), ("role", node["role"]), ("state", node["state"])})
            assert seen[("swarmops_node_state", key)] == 1, node
        for service in status["services"]:
            labels = {("service", service["name"]), ("stack", service["stack"]), ("mode", service["mode"])}
            assert seen[("swarmops_service_desired_tasks", frozenset(labels))] == service["desired"]
            assert seen[("swarmops_service_healthy_tasks", frozenset(labels))] == service["healthy"]
            assert seen[("swarmops_service_converged", frozenset(labels))] == float(service["converged"])

        worker = lab_exec("worker1", "python3", f"{EXPORTER_DIR}/swarm_exporter.py", "--module-utils", EXPORTER_DIR,
                          "--once")
        assert worker.returncode == 1 and "swarmops_exporter_up 0" in worker.stdout, worker
        assert "not a swarm manager" in worker.stderr, worker.stderr

        # As a server, bounded: it stops by itself after 60 s if the test dies first.
        lab_exec("manager1", "sh", "-c", f"timeout 60 python3 {EXPORTER_DIR}/swarm_exporter.py --module-utils "
                 f"{EXPORTER_DIR} --listen 127.0.0.1:19490 >/dev/null 2>&1 &", check=True)
        scrape = "import urllib.request,time\nfor i in range(50):\n    try:\n        print(urllib.request.urlopen(" \
                 "'http://127.0.0.1:19490/metrics', timeout=5).read().decode()); break\n    except OSError:\n" \
                 "        time.sleep(0.2)\n"
        served = lab_exec("manager1", "python3", "-c", scrape)
        assert "swarmops_exporter_up 1" in served.stdout, served
    finally:
        for node in ("manager1", "worker1"):
            lab_exec(node, "pkill", "-f", "swarm_exporter.py")
            lab_exec(node, "rm", "-rf", EXPORTER_DIR)


def test_each_load_balancer_serves_its_prometheus_endpoint_to_the_swarm_nodes():
    """HAProxy's own /metrics on the load balancer's address (loadbalancer_metrics_bind), reached from a manager,
    where the monitoring stack's Prometheus runs; other paths are refused."""
    for lb in RUNNER.get_hosts("swarm_lbs"):
        address = RUNNER.get_variables(lb)["ansible_host"]
        fetch = ("import sys, urllib.request, urllib.error\n"
                 "try:\n"
                 "    print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())\n"
                 "except urllib.error.HTTPError as error:\n"
                 "    print('HTTP', error.code)\n")
        metrics = lab_exec("manager1", "python3", "-c", fetch, f"http://{address}:8405/metrics", check=True).stdout
        assert 'haproxy_backend_active_servers{proxy="be_demo_web_8080"} 3' in metrics, metrics[:2000]
        other = lab_exec("manager1", "python3", "-c", fetch, f"http://{address}:8405/stats", check=True).stdout
        assert other.strip() == "HTTP 403", other
