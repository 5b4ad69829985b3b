"""Both Ansible worlds and check mode, on the real lab swarm the default scenario formed.

Runs as molecule's verify step of the interop scenario, right after the default
scenario (the swarm is converged, spare1 is still a bare host). The newest
world (ansible-core 2.21 with community.docker 5, scripts/worlds.sh) runs the
real playbooks: site.yml changes nothing on the converged swarm, a stack is
deployed, checked and removed through swarm_stack and swarm_wait, and a worker
goes through rolling_maintenance.yml (swarm_node_drain). Then check mode, which
must change nothing: site.yml --check --diff, the day-2 playbooks (which print
their plans), and site.yml --check on the bare host. The tests run in file
order; each leaves the swarm as it found it.
"""

import hashlib
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))
from labtest import (  # noqa: E402  (the scenarios' shared helpers)
    MANAGERS,
    NODES,
    PROJECT,
    container,
    docker_exec,
    mark_world,
    output,
    playbook,
    recap,
    wait_for,
)

LBS = ["lb1", "lb2"]
NEWEST_PASSED = set()
DRAIN_LABELS = ("io.swarmops.drain.excluded-nodes", "io.swarmops.drain.saved")


def swarm(*command):
    """A docker command on the first manager that answers with the node list."""
    for node in MANAGERS:
        if docker_exec(node, "docker", "node", "ls", "-q").stdout.strip():
            result = docker_exec(node, "docker", *command)
            assert result.returncode == 0, result.stderr
            return result.stdout
    pytest.fail("no manager answers with the node list")


def inspect(kind, ids):
    return json.loads(swarm(kind, "inspect", *ids)) if ids else []


def snapshot():
    """What a run that changes nothing leaves exactly as it was: specs, nodes, running tasks, LB configuration."""
    services = inspect("service", swarm("service", "ls", "-q").split())
    nodes = inspect("node", swarm("node", "ls", "-q").split())
    tasks = swarm("node", "ps", *[n["ID"] for n in nodes], "--filter", "desired-state=running",
                  "--format", "{{.ID}} {{.Name}} {{.Image}}").split("\n")
    lb_files = {}
    for lb in LBS:
        for path in ("/etc/haproxy/haproxy.cfg", "/etc/keepalived/keepalived.conf"):
            content = docker_exec(lb, "cat", path).stdout
            lb_files[f"{lb}:{path}"] = hashlib.sha256(content.encode()).hexdigest()
    return {
        "services": {s["Spec"]["Name"]: (s["ID"], s["Version"]["Index"]) for s in services},
        "nodes": {n["Description"]["Hostname"]: (n["ID"], n["Spec"]["Role"], n["Spec"]["Availability"],
                                                 n["Status"]["State"]) for n in nodes},
        "tasks": sorted(t for t in tasks if t),
        "lb": lb_files,
    }


def said(result):
    """The run's output with its line wrapping undone (the callback folds long messages)."""
    return " ".join(result.stdout.split())


def assert_unchanged(result, before, hosts=None):
    """rc 0, changed=0 on every host of the recap, and the swarm as it was."""
    assert result.returncode == 0, output(result)
    counts = recap(result)
    changed = {h: c["changed"] for h, c in counts.items() if c.get("changed") or c.get("failed")}
    assert not changed, f"hosts reported changes: {changed}\n{output(result)}"
    if hosts:
        assert set(hosts) <= set(counts), counts
    assert snapshot() == before


@pytest.fixture(scope="module")
def settled():
    """The swarm as the default scenario left it, every node ready and active."""
    def ready():
        seen = {n: v[2:] for n, v in snapshot()["nodes"].items()}
        return all(v == ("active", "ready") for v in seen.values()) and set(NODES) <= set(seen), seen
    wait_for(ready, "every node ready and active")
    return snapshot()


# -- the newest world, for real -----------------------------------------------------------------------------
def test_newest_world_site_changes_nothing_on_the_converged_swarm(settled):
    result = playbook("site.yml", world="newest")
    assert_unchanged(result, settled, hosts=NODES + LBS)
    NEWEST_PASSED.add("site")


PROBE = {
    "version": "3.8",
    "services": {
        "probe": {
            "image": "swarmops/demo-web:1",
            "healthcheck": {"test": ["CMD", "curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1/"],
                            "interval": "2s", "timeout": "2s", "retries": 3, "start_period": "2s"},
            "deploy": {"replicas": 2, "restart_policy": {"condition": "any", "delay": "2s"}},
        }
    },
}


def test_newest_world_deploys_gates_and_removes_a_stack(tmp_path, settled):
    play = [{
        "name": "A stack through swarm_stack and swarm_wait, on the newest Ansible",
        "hosts": MANAGERS[1],
        "gather_facts": False, "become": True,
        "tasks": [
            {"name": "Deploy", "swarmops.ha.swarm_stack": {"name": "compat", "definition": PROBE,
                                                           "resolve_image": "never", "wait_timeout": 180},
             "register": "deployed"},
            {"name": "Deploy again", "swarmops.ha.swarm_stack": {"name": "compat", "definition": PROBE,
                                                                 "resolve_image": "never", "wait_timeout": 180},
             "register": "again"},
            {"name": "Gate", "swarmops.ha.swarm_wait": {"stack": "compat", "wait_timeout": 60},
             "register": "gated"},
            {"name": "Removal in check mode", "swarmops.ha.swarm_stack": {"name": "compat", "state": "absent"},
             "check_mode": True, "register": "would_remove"},
            {"name": "Still there", "swarmops.ha.swarm_wait": {"stack": "compat", "wait_timeout": 60},
             "register": "still"},
            {"name": "Remove", "swarmops.ha.swarm_stack": {"name": "compat", "state": "absent"},
             "register": "removed"},
            {"name": "Judge", "ansible.builtin.assert": {"that": [
                "deployed is changed",
                "deployed.plan.created == ['probe']",
                "deployed.services.compat_probe.replicas_running == 2",
                "again is not changed",
                "gated.services.compat_probe.converged",
                "would_remove is changed",
                "still.services.compat_probe.replicas_running == 2",
                "removed is changed",
            ]}},
        ],
    }]
    path = tmp_path / "stack.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    try:
        result = playbook(path, world="newest", timeout=600)
        assert result.returncode == 0, output(result)
    finally:
        if "compat_probe" in swarm("service", "ls", "--format", "{{.Name}}").split():
            swarm("stack", "rm", "compat")
    wait_for(lambda: ("compat_probe" not in swarm("service", "ls", "--format", "{{.Name}}").split(), "still listed"),
             "the probe stack to be gone")
    NEWEST_PASSED.add("stack")


def test_newest_world_maintains_a_worker(settled):
    result = playbook("playbooks/rolling_maintenance.yml", "-e", '{"rolling_maintenance_nodes": ["worker2"]}',
                      "-e", "rolling_maintenance_upgrade=false", world="newest")
    assert result.returncode == 0, output(result)
    assert "Maintained, one at a time: worker2" in said(result), output(result)
    node = inspect("node", ["worker2"])[0]
    assert (node["Spec"]["Availability"], node["Status"]["State"]) == ("active", "ready")
    for service in inspect("service", swarm("service", "ls", "-q").split()):
        labels = service["Spec"].get("Labels") or {}
        assert not set(DRAIN_LABELS) & set(labels), service["Spec"]["Name"]
        constraints = service["Spec"]["TaskTemplate"].get("Placement", {}).get("Constraints") or []
        assert not [c for c in constraints if c.startswith("node.id!=")], service["Spec"]["Name"]
    NEWEST_PASSED.add("maintenance")
    assert NEWEST_PASSED == {"site", "stack", "maintenance"}, NEWEST_PASSED
    mark_world("newest", "lab")


# -- check mode on the formed swarm ------------------------------------------------------------------------
def test_site_check_diff_changes_nothing(settled):
    before = snapshot()
    result = playbook("site.yml", "--check", "--diff")
    assert_unchanged(result, before, hosts=NODES + LBS)
    assert "Swarm plan: no change to the members of the swarm" in said(result), output(result)


def test_rolling_maintenance_check_prints_the_order_and_drains_nothing(settled):
    before = snapshot()
    result = playbook("playbooks/rolling_maintenance.yml", "--check")
    assert result.returncode == 0, output(result)
    text = said(result)
    leader = next(line.split()[0] for line in swarm("node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}")
                  .splitlines() if line.endswith("Leader"))
    match = re.search(r"would maintain, one node at a time: ([^'\"]+)", text)
    assert match, output(result)
    order = [h.strip() for h in match.group(1).split(",")]
    assert order[:2] == ["worker1", "worker2"] and order[-1] == leader and sorted(order) == sorted(NODES), order
    # Each node's drain plan, in that order, and no drain.
    plans = re.findall(r"Check mode, nothing is changed: the drain would (.+?); then drain (\w+)", text)
    assert [node for _summary, node in plans] == order, plans
    assert snapshot() == before


def test_failover_drill_check_stops_nothing(settled):
    before = snapshot()
    result = playbook("playbooks/failover_drill.yml", "-e", "failover_drill_node=worker1", "--check")
    assert result.returncode == 0, output(result)
    assert "the drill would stop the Docker engine of worker1" in said(result), output(result)
    assert docker_exec("worker1", "systemctl", "is-active", "docker").stdout.strip() == "active"
    assert snapshot() == before


def test_newest_world_recover_quorum_check_changes_nothing(settled):
    """With quorum there is nothing to rebuild; the site.yml it ends with runs in check mode too."""
    before = snapshot()
    result = playbook("playbooks/recover_quorum.yml", "-e", "recover_quorum_confirm=force-new-cluster", "--check",
                      world="newest")
    assert_unchanged(result, before, hosts=MANAGERS)
    assert "the swarm has quorum" in said(result), output(result)


def test_newest_world_status_reports_the_converged_swarm_healthy(settled, tmp_path):
    """status.yml on the newest Ansible, in check mode, as a script reads it: the JSON file, and the exit code."""
    before = snapshot()
    report = tmp_path / "status.json"
    result = playbook("playbooks/status.yml", "--check", "-e", "status_format=json", "-e", f"status_output={report}",
                      "-e", "status_fail_on=degraded", world="newest")
    assert_unchanged(result, before, hosts=MANAGERS)
    status = json.loads(report.read_text())
    assert status["verdict"] == "healthy", status["reasons"]
    assert {n["name"] for n in status["nodes"]} >= set(NODES), status["nodes"]
    assert {s["name"] for s in status["services"]} >= {"demo_web", "demo_redis"}, status["services"]
    assert '"verdict": "healthy"' in result.stdout, output(result)


# -- check mode on a bare host -------------------------------------------------------------------------------
def bare_inventory(tmp_path):
    """spare1 alone, as the manager of a swarm to be and as a load balancer with a virtual address."""
    host = {"ansible_host": container("spare1")}
    inventory = {"all": {
        "vars": {
            "ansible_connection": "community.docker.docker",
            "ansible_python_interpreter": "/usr/bin/python3",
            "docker_engine_source": "distro",
            "loadbalancer_vip": "192.168.78.60",
            "swarm_stacks_images": [{"name": "swarmops/demo-web:1", "path": str(PROJECT / "examples/demo/web"),
                                     "args": {"BASE_IMAGE": "swarmops/lab-node:bookworm-3", "VERSION": "1"}}],
            "swarm_stacks": [{"name": "demo", "compose": str(PROJECT / "examples/demo/stack.yml.j2"),
                              "resolve_image": "never"}],
        },
        "children": {
            "swarm_managers": {"hosts": {"spare1": host}},
            "swarm_workers": {"hosts": {}},
            "swarm_lbs": {"hosts": {"spare1": host}},
        },
    }}
    path = tmp_path / "bare.yml"
    path.write_text(yaml.safe_dump(inventory, sort_keys=False))
    return path


def bare_state():
    packages = docker_exec("spare1", "dpkg-query", "-W", "-f", "${Package} ${Status}\n", "docker.io", "haproxy",
                           "keepalived").stdout
    paths = docker_exec("spare1", "sh", "-c", "ls -d /etc/docker /etc/haproxy /etc/keepalived 2>/dev/null").stdout
    return packages, paths


@pytest.mark.parametrize("world", ["current", "newest"])
def test_site_check_on_a_bare_host_reports_and_installs_nothing(tmp_path, world):
    before = bare_state()
    assert "install ok installed" not in before[0], f"spare1 is not bare: {before}"
    result = playbook("site.yml", "--check", "--diff", inventory=bare_inventory(tmp_path), world=world)
    assert result.returncode == 0, output(result)
    assert recap(result)["spare1"]["changed"] > 0, output(result)
    text = said(result)
    for words in ("Swarm plan: initialise the swarm on spare1",
                  "Check mode: spare1 has no Docker engine yet",
                  "there is no swarm to check the stacks against. The run would deploy: demo",
                  "there is no swarm to read the frontends and backends from"):
        assert words in text, f"{words!r} not in the output:\n{output(result)}"
    assert bare_state() == before
