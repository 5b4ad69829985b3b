#!/usr/bin/env python
"""Deploy to all-healthy: swarm_stack against `docker stack deploy` plus hand polling.

On a lab of 3 managers and 2 workers with the demo stack (web: 3 replicas with
an HTTP health check; redis), in one run:

1. swarm_stack deploys a new revision of web and returns when every task runs
   the new spec and is healthy: the time to that return.
2. Baseline: `docker stack deploy` of another revision, then polling
   `docker service ls` until it shows 3/3 and the update is completed (what a
   hand-rolled script does): the time until it says done, and the time until
   every task is really running the new spec and healthy (read on the nodes).
3. A bad revision (its health check fails): the time swarm_stack takes to
   detect it, roll it back and return with the previous version healthy.
4. A crash-looping revision (healthy at first, unhealthy 6 s after start, as an
   application that dies after its warm-up), under steady requests through the
   load balancers' virtual address: the time swarm_stack takes to detect it and
   roll it back, and the requests that failed. Baseline: `docker stack deploy`
   of the same revision, then waiting until Swarm reports the update completed
   (what `--detach=false` does on engines that have it), which accepts it; the
   requests that failed over the 40 s after, and how often Swarm restarted its
   tasks meanwhile.
5. The price of the new gate on a healthy revision: swarm_stack with the
   window from the health check against the old default min_healthy_time of 5 s.

The lab is removed at the end, also on failure.

    .venv/bin/python bench/deploy.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import jinja2
import yaml

import benchlab
from benchlab import LAB, PROJECT, Load, playbook

VIP_URL = "http://192.168.76.50:8080/"

NODES = ["manager1", "manager2", "manager3", "worker1", "worker2"]


def lab(state, inventory):
    benchlab.lab(state, inventory, lab_forward_base=0)


def docker(node, *command, check=True, stdin=None):
    return subprocess.run(["docker", "exec", "-i", f"{LAB}-{node}", "docker", *command], input=stdin,
                          capture_output=True, text=True, timeout=300, check=check).stdout


def demo(revision, healthy=True, dies_after=None):
    text = (PROJECT / "examples/demo/stack.yml.j2").read_text()
    definition = yaml.safe_load(jinja2.Template(text).render())
    web = definition["services"]["web"]
    web["environment"] = {"DEMO_REVISION": str(revision)}
    if not healthy:
        web["healthcheck"]["test"] = ["CMD", "curl", "-fsS", "http://127.0.0.1:81/"]
    if dies_after:
        # Healthy from the first check, unhealthy dies_after seconds later: dies after its warm-up.
        # $$ is Compose's escape of $: docker stack deploy interpolates the rest.
        web["healthcheck"]["test"] = ["CMD-SHELL", "[ -f /tmp/born ] || date +%s > /tmp/born; "
                                      f"[ $$(( $$(date +%s) - $$(cat /tmp/born) )) -lt {dies_after} ] && "
                                      "curl -fsS -o /dev/null http://127.0.0.1/"]
    return definition


def all_tasks_healthy(revision):
    """Truth, read on the nodes: 3 running tasks with the revision, each container healthy."""
    ids = docker("manager1", "service", "ps", "-q", "--no-trunc", "--filter", "desired-state=running", "demo_web").split()
    if len(ids) != 3:
        return False
    tasks = json.loads(docker("manager1", "inspect", *ids))
    nodes = {n["ID"]: n["Description"]["Hostname"]
             for n in json.loads(docker("manager1", "node", "inspect", *docker("manager1", "node", "ls", "-q").split()))}
    for task in tasks:
        if task["Status"]["State"] != "running":
            return False
        if f"DEMO_REVISION={revision}" not in (task["Spec"]["ContainerSpec"].get("Env") or []):
            return False
        container = task["Status"]["ContainerStatus"]["ContainerID"]
        status = docker(nodes[task["NodeID"]], "inspect", "--format", "{{.State.Health.Status}}", container, check=False)
        if status.strip() != "healthy":
            return False
    return True


def swarm_stack(inventory, tmp, definition, min_healthy_time=3):
    args = {"name": "demo", "definition": definition, "resolve_image": "never", "wait_timeout": 180,
            "poll_interval": 1}
    if min_healthy_time is not None:
        args["min_healthy_time"] = min_healthy_time
    play = [{"name": "deploy", "hosts": "manager1", "gather_facts": False, "become": True, "tasks": [
        {"name": "deploy", "swarmops.ha.swarm_stack": args,
         "register": "r", "ignore_errors": True},
        {"name": "keep", "ansible.builtin.copy": {"content": "{{ r | to_json }}", "dest": f"{tmp}/r.json", "mode": "0600"},
         "delegate_to": "localhost"}]}]
    path = Path(tmp) / "deploy.yml"
    path.write_text(yaml.safe_dump(play))
    start = time.monotonic()
    playbook("-i", str(inventory), str(path))
    elapsed = time.monotonic() - start
    return elapsed, json.loads((Path(tmp) / "r.json").read_text())


def baseline(revision, tmp):
    """`docker stack deploy`, then poll like a hand-rolled script; bounded to 300 s."""
    compose = yaml.safe_dump(demo(revision))
    subprocess.run(["docker", "exec", "-i", f"{LAB}-manager1", "sh", "-c", "cat > /tmp/demo.yml"], input=compose,
                   text=True, check=True, timeout=60)
    start = time.monotonic()
    subprocess.run(["docker", "exec", f"{LAB}-manager1", "docker", "stack", "deploy", "-c", "/tmp/demo.yml",
                    "--resolve-image", "never", "demo"], check=True, capture_output=True, timeout=120)
    said_done = truly_healthy = None
    while time.monotonic() - start < 300:
        replicas = docker("manager1", "service", "ls", "--filter", "name=demo_web", "--format", "{{.Replicas}}").strip()
        state = docker("manager1", "service", "inspect", "--format",
                       "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}", "demo_web").strip()
        now = time.monotonic() - start
        if said_done is None and replicas.startswith("3/3") and state in ("completed", ""):
            said_done = now
        if truly_healthy is None and all_tasks_healthy(revision):
            truly_healthy = now
        if said_done is not None and truly_healthy is not None:
            break
        time.sleep(0.5)
    return said_done, truly_healthy


def failed_tasks():
    """Tasks of web that Swarm reports failed (its history keeps a few per slot)."""
    out = docker("manager1", "service", "ps", "demo_web", "--no-trunc", "--format", "{{.CurrentState}}")
    return sum(1 for line in out.splitlines() if line.startswith("Failed"))


def crash_loop(inventory, tmp, revision):
    """4. The crash-looping revision through swarm_stack, then the baseline; returns the figures."""
    figures = {}
    with Load(VIP_URL, interval=0.05, timeout=10, max_seconds=300) as load:
        elapsed, result = swarm_stack(inventory, tmp, demo(revision, dies_after=6), min_healthy_time=None)
        time.sleep(10)
    assert result.get("failed") and result.get("rolled_back"), result.get("msg")
    figures["swarm_stack: detected and rolled back"] = (elapsed, load.figures())
    compose = yaml.safe_dump(demo(revision + 1, dies_after=6))
    subprocess.run(["docker", "exec", "-i", f"{LAB}-manager1", "sh", "-c", "cat > /tmp/demo.yml"], input=compose,
                   text=True, check=True, timeout=60)
    with Load(VIP_URL, interval=0.05, timeout=10, max_seconds=300) as load:
        start = time.monotonic()
        subprocess.run(["docker", "exec", f"{LAB}-manager1", "docker", "stack", "deploy", "-c", "/tmp/demo.yml",
                        "--resolve-image", "never", "demo"], check=True, capture_output=True, timeout=120)
        completed = None
        while time.monotonic() - start < 240:
            state = docker("manager1", "service", "inspect", "--format",
                           "{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}", "demo_web").strip()
            if state == "completed":
                completed = time.monotonic() - start
                break
            time.sleep(0.5)
        before = failed_tasks()
        time.sleep(40)
        again = failed_tasks() - before
    figures[f"baseline: stack deploy, Swarm said completed, 40 s after ({again} failed tasks)"] = (completed,
                                                                                                   load.figures())
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "hosts.yml"
        try:
            lab("down", inventory)
            lab("up", inventory)
            demo_vars = Path(tmp) / "demo_vars.json"
            demo_vars.write_text(json.dumps(benchlab.demo_settings()))
            playbook("-i", str(inventory), "-e", f"@{demo_vars}", str(PROJECT / "site.yml"))
            rows = {"swarm_stack": [], "baseline_said_done": [], "baseline_truly_healthy": [], "rollback": [],
                    "gate from health check": [], "old default 5s": []}
            revision = 100
            for _round in range(args.rounds):
                revision += 1
                elapsed, result = swarm_stack(inventory, tmp, demo(revision))
                assert not result.get("failed"), result.get("msg")
                assert all_tasks_healthy(revision), "swarm_stack returned before every task was healthy"
                rows["swarm_stack"].append(elapsed)
                revision += 1
                said, truth = baseline(revision, tmp)
                rows["baseline_said_done"].append(said)
                rows["baseline_truly_healthy"].append(truth)
                elapsed, result = swarm_stack(inventory, tmp, demo(revision + 1000, healthy=False))
                assert result.get("failed") and result.get("rolled_back"), result.get("msg")
                assert all_tasks_healthy(revision), "the previous version is not healthy after the rollback"
                rows["rollback"].append(elapsed)
                print(f"round: swarm_stack {rows['swarm_stack'][-1]:.1f}s | baseline says done {said:.1f}s, "
                      f"really healthy {truth:.1f}s | bad deploy detected and rolled back {elapsed:.1f}s", flush=True)
                revision += 2000
                elapsed, auto = swarm_stack(inventory, tmp, demo(revision), min_healthy_time=None)
                assert not auto.get("failed"), auto.get("msg")
                rows["gate from health check"].append(elapsed)
                revision += 1
                elapsed, result = swarm_stack(inventory, tmp, demo(revision), min_healthy_time=5)
                assert not result.get("failed"), result.get("msg")
                rows["old default 5s"].append(elapsed)
                print(f"round: healthy revision with the gate from its health check {rows['gate from health check'][-1]:.1f}s"
                      f" (window {auto.get('health', {}).get('demo_web', {}).get('window')}), with the old 5 s "
                      f"{elapsed:.1f}s", flush=True)
            # 4. the crash-looping revision, once, then a healthy one again
            revision += 1
            for name, (seconds, load) in crash_loop(inventory, tmp, revision).items():
                print(f"crash loop, {name}: {seconds if seconds is None else round(seconds, 1)}s, requests {load}",
                      flush=True)
            elapsed, result = swarm_stack(inventory, tmp, demo(revision + 10))
            assert not result.get("failed"), result.get("msg")
        finally:
            lab("down", inventory)
    print("\nmedian over", args.rounds, "rounds (seconds, ansible-playbook start-up included for swarm_stack):")
    for name, values in rows.items():
        clean = [v for v in values if v is not None]
        print(f"  {name:24s} {statistics.median(clean):6.1f}  (all: {', '.join(f'{v:.1f}' for v in clean)})")


if __name__ == "__main__":
    main()
