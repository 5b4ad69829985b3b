"""Rolling failover on a real lab swarm, with the load balancers in front.

Runs as molecule's verify step of the uptime scenario, after site.yml put the
demo stack (web: 3 replicas, host-mode port 8080, HTTP health check; redis)
behind HAProxy on lb1 and lb2 with the virtual address 192.168.78.50. The tests
run in file order; each leaves the swarm whole for the next. Load goes only to
the virtual address on the lab network this run created, bounded in count and time.
"""

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
INVENTORY = os.environ["MOLECULE_INVENTORY_FILE"]
BIN = Path(sys.executable).parent
LAB = "swarmops-molecule"
MANAGERS = ["manager1", "manager2", "manager3"]
NODES = MANAGERS + ["worker1", "worker2"]
VIP_URL = "http://192.168.78.50:8080/"
DRAIN_LABELS = ("io.swarmops.drain.excluded-nodes", "io.swarmops.drain.saved")

sys.path.insert(0, str(PROJECT / "bench"))
from benchlab import Load, ReplicaWatch  # noqa: E402  (the benches' bounded load generator and replica watch)

sys.path.insert(0, str(PROJECT / "molecule" / "shared"))
from labtest import wait_for  # noqa: E402  (the scenarios' shared bounded wait)


def playbook(*args, timeout=1500):
    env = dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", NO_COLOR="1")
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", INVENTORY, *args], cwd=PROJECT, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)


def output(result):
    return result.stdout[-5000:] + result.stderr[-2000:]


def lab_docker(*args, check=True, timeout=120):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


def swarm(node, *command, check=True):
    return lab_docker("exec", f"{LAB}-{node}", "docker", *command, check=check).stdout


def answering_manager():
    for node in MANAGERS:
        if swarm(node, "node", "ls", "-q", check=False).strip():
            return node
    return None


def leader():
    """The Raft leader, whose view is authoritative (a manager that just restarted may read a stale store)."""
    via = answering_manager()
    if via is None:
        return None
    for line in swarm(via, "node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}", check=False).splitlines():
        if line.endswith(" Leader"):
            return line.split(" ", 1)[0]
    return None


def inspect(kind, *names, via=None):
    via = via or answering_manager()
    return json.loads(swarm(via, kind, "inspect", *names))


def services(via=None):
    via = via or answering_manager()
    return inspect("service", *swarm(via, "service", "ls", "-q").split(), via=via)


def nodes(via=None):
    via = via or answering_manager()
    return inspect("node", *swarm(via, "node", "ls", "-q").split(), via=via)


def running_tasks_per_service(via=None):
    """{service: {node hostname: running tasks}} of the tasks that run (healthy, for a health-checked service)."""
    via = via or answering_manager()
    result = {}
    for svc in swarm(via, "service", "ls", "--format", "{{.Name}}").split():
        lines = swarm(via, "service", "ps", svc, "--filter", "desired-state=running",
                      "--format", "{{.Node}} {{.CurrentState}}").splitlines()
        per_node = {}
        for line in lines:
            node, state = line.split(" ", 1)
            if state.startswith("Running"):
                per_node[node] = per_node.get(node, 0) + 1
        result[svc] = per_node
    return result


def managers_reachable():
    def check():
        try:
            seen = {n["Description"]["Hostname"]: n.get("ManagerStatus", {}).get("Reachability")
                    for n in nodes() if n["Spec"]["Role"] == "manager"}
        except (subprocess.CalledProcessError, json.JSONDecodeError, TypeError):
            return False, "no manager answers"
        return all(seen.get(m) == "reachable" for m in MANAGERS), seen
    return wait_for(check, "every manager reachable")


def settled(samples=4, interval=3, timeout=240):
    """Wait until every service has all its replicas running, seen by the leader on consecutive samples."""
    deadline = time.monotonic() + timeout
    streak, last = 0, None
    while time.monotonic() < deadline:
        via = leader()
        lines = swarm(via, "service", "ls", "--format", "{{.Name}} {{.Replicas}}", check=False).splitlines() if via else []
        full = bool(lines) and all(
            line.split(" ", 1)[1].split(" ")[0].split("/")[0] == line.split(" ", 1)[1].split(" ")[0].split("/")[1]
            for line in lines)
        streak, last = (streak + 1 if full else 0), lines
        if streak >= samples:
            return
        time.sleep(interval)
    pytest.fail(f"The services did not settle within {timeout}s; last seen: {last}")


def swarm_snapshot():
    return ({n["Description"]["Hostname"]: n["Spec"].get("Availability") for n in nodes()},
            {s["Spec"]["Name"]: s["Version"]["Index"] for s in services()})


def on_leader(*args):
    via = leader()
    return (via, swarm(via, *args, check=False)) if via else (None, "")


def test_load_balancer_serves_through_the_virtual_address():
    with urllib.request.urlopen(VIP_URL, timeout=5) as response:
        assert response.status == 200
    config = lab_docker("exec", f"{LAB}-lb1", "cat", "/etc/haproxy/haproxy.cfg").stdout
    web_nodes = sorted(running_tasks_per_service()["demo_web"])
    servers = sorted(line.split()[1] for line in config.splitlines() if line.strip().startswith("server "))
    assert servers == web_nodes, config
    assert "retry-on conn-failure empty-response response-timeout" in config
    assert "option redispatch" in config


def test_drain_that_does_not_fit_is_refused_before_any_change(tmp_path):
    # Two replicas on host port 8099, only on the two tier=web workers: draining
    # one of them leaves no node that may take its task.
    swarm("manager1", "service", "create", "--detach", "--name", "fit_probe", "--replicas", "2",
          "--constraint", "node.labels.tier==web", "--publish", "mode=host,published=8099,target=80",
          "swarmops/demo-web:1")
    try:
        wait_for(lambda: (running_tasks_per_service().get("fit_probe", {}) == {"worker1": 1, "worker2": 1},
                          running_tasks_per_service().get("fit_probe")), "fit_probe on both workers")
        before = swarm_snapshot()
        play = tmp_path / "drain.yml"
        play.write_text(yaml.safe_dump([{
            "name": "Drain worker1", "hosts": "manager2", "gather_facts": False,
            "tasks": [{"name": "Drain", "swarmops.ha.swarm_node_drain": {"node": "worker1", "wait_timeout": 60}}],
        }]))
        result = playbook(str(play))
        assert result.returncode != 0, output(result)
        text = result.stdout
        assert "Refusing to drain worker1" in text and "nothing was changed" in text, output(result)
        assert "fit_probe (2 replicas): 1 of its 1 task(s) on the node would find no place" in text, output(result)
        assert "1 of them satisfy its constraints and of those 1 already hold host port 8099/tcp" in text, output(result)
        assert swarm_snapshot() == before
    finally:
        swarm("manager1", "service", "rm", "fit_probe", check=False)


def test_maintenance_is_refused_while_a_manager_is_unreachable():
    before = swarm_snapshot()
    lab_docker("stop", "-t", "5", f"{LAB}-manager3")
    try:
        result = playbook("playbooks/rolling_maintenance.yml")
        assert result.returncode != 0, output(result)
        assert "Refusing the rolling maintenance, nothing was changed" in result.stdout, output(result)
        assert "manager3 does not answer" in result.stdout, output(result)
        availability, versions = swarm_snapshot()
        assert availability == {**before[0], "manager3": availability["manager3"]}
        assert versions == before[1]
    finally:
        lab_docker("start", f"{LAB}-manager3")
    managers_reachable()
    # The node that came back settles its tasks: not the maintenance's doing.
    settled()


def test_rolling_maintenance_loses_no_request_and_no_replica():
    managers_reachable()
    settled()
    with ReplicaWatch(on_leader, max_seconds=1500) as watch, Load(VIP_URL, interval=0.05, timeout=10, max_seconds=1500) as load:
        result = playbook("playbooks/rolling_maintenance.yml")
    assert result.returncode == 0, output(result)
    assert "Maintained, one at a time: worker1, worker2, " in result.stdout, output(result)
    figures = load.figures()
    print(f"rolling maintenance under load: {figures}; lowest replica margins {watch.lowest} "
          f"over {watch.samples} samples")
    assert figures["sent"] > 100 and figures["failed"] == 0, figures
    assert watch.samples > 10 and watch.lowest, watch.lowest
    assert all(margin >= 0 for margin in watch.lowest.values()), (watch.lowest, watch.worst)

    availability = swarm_snapshot()[0]
    assert set(availability.values()) == {"active"}, availability
    for svc in services():
        spec = svc["Spec"]
        constraints = (spec["TaskTemplate"].get("Placement") or {}).get("Constraints") or []
        assert not [c for c in constraints if c.startswith("node.id!=")], (spec["Name"], constraints)
        assert not set(DRAIN_LABELS) & set(spec.get("Labels") or {}), spec["Name"]
    per_service = running_tasks_per_service()
    for name, per_node in per_service.items():
        counts = [per_node.get(n, 0) for n in NODES]
        assert max(counts) - min(counts) <= 1, (name, per_node)
    totals = [sum(per_node.get(n, 0) for per_node in per_service.values()) for n in NODES]
    assert max(totals) - min(totals) <= 1, per_service


def test_failover_drill_keeps_serving():
    settled()
    with Load(VIP_URL, interval=0.05, timeout=10, max_seconds=900) as load:
        result = playbook("playbooks/failover_drill.yml", "-e", "failover_drill_node=worker2")
    assert result.returncode == 0, output(result)
    figures = load.figures()
    report = result.stdout[result.stdout.index("Report the figures"):]
    print(f"failover drill of worker2 under load: {figures}\n{report[:600]}")
    assert "services_whole_after_seconds" in report
    assert figures["sent"] > 100 and figures["failed"] == 0, figures


def vip_holder():
    for lb in ("lb1", "lb2"):
        addresses = lab_docker("exec", f"{LAB}-{lb}", "ip", "-4", "-o", "addr", "show", check=False).stdout
        if "192.168.78.50/" in addresses:
            return lb
    return None


def vip_answers():
    try:
        with urllib.request.urlopen(VIP_URL, timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def test_virtual_address_moves_when_its_load_balancer_stops():
    master = wait_for(lambda: (vip_holder() is not None, vip_holder()), "a load balancer holding the address")
    backup = "lb2" if master == "lb1" else "lb1"
    lab_docker("kill", f"{LAB}-{master}")
    try:
        stopped = time.monotonic()
        wait_for(lambda: (vip_answers(), "no answer"), "the address to answer again", timeout=30, interval=0.2)
        print(f"virtual address answered {time.monotonic() - stopped:.1f}s after {master} was killed")
        assert vip_holder() == backup
    finally:
        lab_docker("start", f"{LAB}-{master}")
    wait_for(lambda: (lab_docker("exec", f"{LAB}-{master}", "systemctl", "is-active", "haproxy", "keepalived",
                                 check=False).stdout.split() == ["active", "active"], "starting"),
             f"{master} to run HAProxy and keepalived again", timeout=90)


def test_recover_quorum_after_losing_two_of_three_managers():
    web_before = {s["Spec"]["Name"]: s["ID"] for s in services()}
    refused = playbook("playbooks/recover_quorum.yml")
    assert refused.returncode != 0 and "Nothing was changed" in refused.stdout, output(refused)

    for node in ("manager2", "manager3"):
        lab_docker("stop", "-t", "5", f"{LAB}-{node}")
    try:
        wait_for(lambda: (swarm("manager1", "node", "ls", check=False) == "", "manager1 still lists nodes"),
                 "manager1 to lose quorum", timeout=60)
        with urllib.request.urlopen(VIP_URL, timeout=5) as response:
            assert response.status == 200  # tasks keep running without quorum

        first = playbook("playbooks/recover_quorum.yml", "-e", "recover_quorum_confirm=force-new-cluster")
        assert first.returncode == 0, output(first)
        seen = {n["Description"]["Hostname"]: n["Spec"]["Role"] for n in nodes(via="manager1")}
        assert seen.get("manager1") == "manager" and "manager2" not in seen and "manager3" not in seen, seen
    finally:
        for node in ("manager2", "manager3"):
            lab_docker("start", f"{LAB}-{node}")

    # The lost managers come back: a rerun makes them leave the old swarm and join again.
    second = playbook("playbooks/recover_quorum.yml", "-e", "recover_quorum_confirm=force-new-cluster")
    assert second.returncode == 0, output(second)
    rebuild = second.stdout[second.stdout.index("TASK [Rebuild the swarm on the survivor"):]
    assert rebuild.split("TASK [", 2)[1].count("skipping:") == 1, rebuild[:800]  # quorum was back: no second rebuild
    managers_reachable()
    after = {s["Spec"]["Name"]: s["ID"] for s in services()}
    assert after == web_before
    wait_for(lambda: (running_tasks_per_service()["demo_web"] and
                      sum(running_tasks_per_service()["demo_web"].values()) == 3,
                      running_tasks_per_service()), "demo_web back at 3 running tasks")
    with urllib.request.urlopen(VIP_URL, timeout=5) as response:
        assert response.status == 200
