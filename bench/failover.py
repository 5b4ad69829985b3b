#!/usr/bin/env python
"""Zero failed requests through maintenance, deploys and node loss: the collection against plain Swarm.

On a bench lab of 3 managers, 2 workers and 2 load balancer hosts (HAProxy and
keepalived with the virtual address 192.168.76.50), with the demo stack (web: 3
replicas with an HTTP health check, host-mode port 8080; redis), a bounded
load generator sends steady HTTP GETs to the virtual address while, in turn:

  a. rolling_maintenance.yml drains, maintains and reactivates every node;
  b. a rolling deploy of a new image version (site.yml with demo-web:2);
  c. a worker node is hard-killed (docker kill of its container);
  d. the load balancer host that holds the virtual address is hard-killed;
  e. unattended node loss: two nodes that run web are hard-killed one after
     the other and no playbook runs; beside it, in the same run and through the
     same load balancers, a hand-written static backend (port 8090) that lists
     the nodes that ran web when it was written, as most operators have it.
     For both: requests sent and failed, the share of the running healthy web
     tasks that receive traffic at the end, and for each replacement task the
     time from its being healthy to its first served request.

Then, in the same run, the baseline: the same events done the plain way, with a
second client aimed at one node (no load balancer):

  a'. `docker node update --availability drain` of every node in turn;
  b'. `docker stack deploy` of another image version with Swarm's default update_config;
  c'. a hard kill of the worker that client is aimed at;
  d'. a client aimed at the address of the load balancer host that is killed.

For each it prints requests sent, failed, p50 and p99 latency, and the recovery
time: until every service is back at its full healthy replica count (tasks
running on ready nodes), or until the virtual address answers again. The lab
is removed at the end, also on failure.

    .venv/bin/python bench/failover.py              every event, then the baselines
    .venv/bin/python bench/failover.py --events e   only these events (the baselines run with a, b, c, d)
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import jinja2
import yaml

import benchlab
from benchlab import LAB, PROJECT, Load, ReplicaWatch, Sampler, playbook

VIP = "192.168.76.50"
NODES = ["manager1", "manager2", "manager3", "worker1", "worker2"]
ADDRESSES = {"manager1": "192.168.76.11", "manager2": "192.168.76.12", "manager3": "192.168.76.13",
             "worker1": "192.168.76.31", "worker2": "192.168.76.32", "lb1": "192.168.76.51", "lb2": "192.168.76.52"}
ROWS = []


def docker(node, *command, check=True, stdin=None, timeout=120):
    return subprocess.run(["docker", "exec", "-i", f"{LAB}-{node}", "docker", *command], input=stdin,
                          capture_output=True, text=True, timeout=timeout, check=check).stdout


def manager():
    for node in ("manager1", "manager2", "manager3"):
        try:
            if docker(node, "node", "ls", "-q", check=False, timeout=10).strip():
                return node
        except subprocess.TimeoutExpired:
            continue
    raise SystemExit("no manager answers")


def leader():
    """The Raft leader, whose view is authoritative (a manager that just restarted may read a stale store)."""
    for line in docker(manager(), "node", "ls", "--format", "{{.Hostname}} {{.ManagerStatus}}", check=False).splitlines():
        if line.endswith(" Leader"):
            return line.split(" ", 1)[0]
    return manager()


def whole(lost=None):
    """Every replicated service has its desired count of running tasks on ready nodes (none on the lost node)."""
    via = manager()
    ready = {n.split()[0] for n in docker(via, "node", "ls", "--format", "{{.Hostname}} {{.Status}}").splitlines()
             if n.split()[1] == "Ready" and n.split()[0] != lost}
    for line in docker(via, "service", "ls", "--format", "{{.Name}} {{.Replicas}}").splitlines():
        name, replicas = line.split(" ", 1)
        desired = int(replicas.split(" ")[0].split("/")[1])
        tasks = docker(via, "service", "ps", name, "--filter", "desired-state=running",
                       "--format", "{{.Node}} {{.CurrentState}}").splitlines()
        if sum(1 for t in tasks if t.split(" ", 1)[0] in ready and t.split(" ", 1)[1].startswith("Running")) < desired:
            return False
    return True


def busiest_worker():
    """The worker that runs the most tasks, web tasks first: the one whose loss hurts most."""
    via = manager()

    def count(service):
        nodes = docker(via, "service", "ps", service, "--filter", "desired-state=running", "--format", "{{.Node}}")
        return [n for n in nodes.split() if n.startswith("worker")]
    web, redis = count("demo_web"), count("demo_redis")
    return max(["worker1", "worker2"], key=lambda w: (web.count(w), redis.count(w)))


def web_runs(image):
    tasks = docker(manager(), "service", "ps", "demo_web", "--filter", "desired-state=running",
                   "--format", "{{.Image}} {{.CurrentState}}").splitlines()
    return len(tasks) == 3 and all(t.startswith(f"{image} Running") for t in tasks)


def web_nodes():
    return sorted({line.split()[0] for line in docker(manager(), "service", "ps", "demo_web", "--filter",
                                                      "desired-state=running", "--format", "{{.Node}}").splitlines()})


def until(predicate, timeout, interval=0.25):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    return None


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=0.5) as response:
            return response.status == 200
    except OSError:
        return False


def on_leader(*args):
    try:
        via = leader()
    except SystemExit:
        return None, ""
    return via, docker(via, *args, check=False)


def record(event, load, recovery=None, note=""):
    row = {"event": event, **load.figures(), "recovery_s": None if recovery is None else round(recovery, 1),
           "note": note}
    ROWS.append(row)
    print(json.dumps(row), flush=True)


def restart_node(name):
    subprocess.run(["docker", "start", f"{LAB}-{name}"], check=True, capture_output=True, timeout=120)
    until(lambda: docker(name, "info", "--format", "{{.Swarm.LocalNodeState}}", check=False).strip() == "active", 180, 1)


def demo_compose(image, default_update_config):
    text = (PROJECT / "examples/demo/stack.yml.j2").read_text()
    definition = yaml.safe_load(jinja2.Template(text).render(demo_web_image=image))
    if default_update_config:
        for service in definition["services"].values():
            service.get("deploy", {}).pop("update_config", None)
            service.get("deploy", {}).pop("rollback_config", None)
    return yaml.safe_dump(definition)


_SHOW_STAT = ("import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock'); "
              "s.sendall(b'show stat\\n'); print(s.makefile().read())")


def served(lb):
    """{(backend, server): sessions served so far} from lb's HAProxy statistics (its admin socket)."""
    out = subprocess.run(["docker", "exec", f"{LAB}-{lb}", "python3", "-c", _SHOW_STAT], capture_output=True,
                         text=True, timeout=30, check=False).stdout
    rows = csv.DictReader(io.StringIO(out.lstrip("# ")))
    return {(r["pxname"], r["svname"]): int(r["stot"] or 0) for r in rows if r.get("svname") not in ("FRONTEND", "BACKEND")}


def vip_holder():
    return next((lb for lb in ("lb1", "lb2") if VIP in subprocess.run(
        ["docker", "exec", f"{LAB}-{lb}", "ip", "-4", "-o", "addr"], capture_output=True, text=True,
        check=False).stdout), None)


def add_static_backend(nodes):
    """The baseline: a listen section on both load balancers with the given nodes, written once and never again."""
    servers = "".join(f"    server {n} {ADDRESSES[n]}:8080 check\n" for n in nodes)
    section = (f"\n# bench baseline: a static list, as written by hand\nlisten static_web\n    mode http\n"
               f"    bind *:8090\n    balance roundrobin\n    option httpchk GET /\n    http-check expect status 200\n"
               f"    retry-on conn-failure empty-response response-timeout\n{servers}")
    for lb in ("lb1", "lb2"):
        subprocess.run(["docker", "exec", "-i", f"{LAB}-{lb}", "sh", "-c",
                        "cat >> /etc/haproxy/haproxy.cfg && haproxy -c -q -f /etc/haproxy/haproxy.cfg && "
                        "systemctl reload haproxy"], input=section, text=True, check=True, timeout=60)


class TrafficWatch(Sampler):
    """Which nodes run a healthy web task and which servers serve, sampled four times a second."""

    def __init__(self, max_seconds=600):
        super().__init__(max_seconds)
        self.healthy_since = {}   # node -> first time seen running a healthy web task (after the start)
        self.first_served = {}    # (backend, node) -> first time its session count grew
        self.last = {}            # (backend, node) -> sessions at the last sample
        self.initial = set()

    def _run(self):
        started = time.monotonic()
        first = True
        while self.sampling(started):
            now = time.monotonic()
            try:
                nodes = set(web_nodes())
                holder = vip_holder()
                counts = served(holder) if holder else {}
            except (SystemExit, subprocess.SubprocessError):
                self._stop.wait(0.25)
                continue
            if first:
                self.initial, first = nodes, False
            for node in nodes - self.initial:
                self.healthy_since.setdefault(node, now)
            for (backend, server), count in counts.items():
                if count > self.last.get((backend, server), count):
                    self.first_served.setdefault((backend, server), now)
                self.last[(backend, server)] = count
            self._stop.wait(0.25)


def receiving_share(backend, nodes, window=10):
    """Of the nodes that run web, how many get requests through this backend over a window."""
    holder = vip_holder()
    before = served(holder)
    time.sleep(window)
    after = served(holder)
    getting = [n for n in nodes if after.get((backend, n), 0) > before.get((backend, n), 0)]
    return len(getting), len(nodes)


def kill_two_web_nodes():
    """Hard-kill a node that runs web, wait until Swarm has it whole again, then another (one manager at most)."""
    killed = []
    for _round in range(2):
        roles = {line.split()[0]: line.split()[1] for line in docker(
            manager(), "node", "ls", "--format", "{{.Hostname}} {{if .ManagerStatus}}manager{{else}}worker{{end}}"
        ).splitlines()}
        managers_killed = sum(1 for n in killed if roles.get(n) == "manager")
        candidates = sorted((n for n in web_nodes() if n not in killed
                             and (roles.get(n) != "manager" or not managers_killed)),
                            key=lambda n: (roles.get(n) == "manager", n))
        victim = candidates[0]
        subprocess.run(["docker", "kill", f"{LAB}-{victim}"], check=True, capture_output=True)
        killed.append(victim)
        until(lambda: whole(lost=victim) and not set(web_nodes()) & set(killed), 180)
    return killed


def unattended_loss(inv):
    """e. two nodes that run web die, nobody runs Ansible: the collection's backends against a static list."""
    add_static_backend(web_nodes())
    url, static = f"http://{VIP}:8080/", f"http://{VIP}:8090/"
    with TrafficWatch() as watch, Load(url, timeout=15) as load, Load(static, timeout=15) as baseline:
        time.sleep(3)
        killed = kill_two_web_nodes()
        time.sleep(5)
        running = web_nodes()
        ours = receiving_share("be_demo_web_8080", running)
        theirs = receiving_share("static_web", running)
    for name, backend, share, figures_of in (("collection backends", "be_demo_web_8080", ours, load),
                                             ("baseline static list", "static_web", theirs, baseline)):
        delays = {n: (round(watch.first_served[(backend, n)] - t, 1) if (backend, n) in watch.first_served
                      and watch.first_served[(backend, n)] >= t else "never")
                  for n, t in sorted(watch.healthy_since.items()) if n in running}
        record(f"e  unattended loss of {' and '.join(killed)}, {name} via VIP", figures_of,
               note=f"healthy web tasks receiving traffic {share[0]}/{share[1]}; healthy to first served request "
                    f"(s) per replacement: {delays}")
    for victim in killed:
        restart_node(victim)
    for victim in killed:
        subprocess.run(["ansible", *inv, "manager1", "-m", "swarmops.ha.swarm_node_drain", "-a",
                        f"node={victim} state=active"], cwd=PROJECT, env=benchlab.env(), check=True,
                       capture_output=True, timeout=600)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", default="abcde", help="the events to run, of a b c d e (default all)")
    events = set(parser.parse_args().events)
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "hosts.yml"
        try:
            benchlab.lab("down", inventory, lab_lbs=2, lab_forward_base=0)
            benchlab.lab("up", inventory, lab_lbs=2, lab_forward_base=0)
            demo_vars = Path(tmp) / "demo.json"
            demo_vars.write_text(json.dumps(benchlab.demo_settings(web_versions=(1, 2))))
            inv = ["-i", str(inventory), "-e", f"@{demo_vars}"]
            playbook(*inv, str(PROJECT / "site.yml"))
            heartbeat = docker("manager1", "info", "--format", "{{.Swarm.Cluster.Spec.Dispatcher.HeartbeatPeriod}}")
            print(f"lab ready; dispatcher heartbeat {heartbeat.strip()}", flush=True)
            url = f"http://{VIP}:8080/"

            if "e" in events:
                unattended_loss(inv)
            if not events & set("abcd"):
                print_table()
                return

            # a. rolling maintenance of every node
            with ReplicaWatch(on_leader) as watch, Load(url, timeout=15) as load:
                start = time.monotonic()
                playbook(*inv, str(PROJECT / "playbooks/rolling_maintenance.yml"))
            record("a  rolling_maintenance (5 nodes) via LB", load,
                   note=f"took {time.monotonic() - start:.0f}s; lowest running-desired {watch.lowest}")

            # b. rolling deploy of a new image version
            with Load(url, timeout=15) as load:
                start = time.monotonic()
                playbook(*inv, "-e", "demo_web_image=swarmops/demo-web:2", str(PROJECT / "site.yml"))
            record("b  site.yml deploy web:2 via LB", load, note=f"took {time.monotonic() - start:.0f}s (image build and load included)")

            # c. hard kill of a worker that runs web
            victim = busiest_worker()
            running = {svc: docker(manager(), "service", "ps", svc, "--filter", "desired-state=running", "--filter",
                                   f"node={victim}", "-q").split() for svc in ("demo_web", "demo_redis")}
            with Load(url, timeout=15) as load:
                time.sleep(2)
                subprocess.run(["docker", "kill", f"{LAB}-{victim}"], check=True, capture_output=True)
                recovery = until(lambda: whole(lost=victim), 120)
                time.sleep(3)
            record(f"c  hard kill of {victim} via LB", load, recovery,
                   f"recovery: full healthy replica count; it ran web x{len(running['demo_web'])}, "
                   f"redis x{len(running['demo_redis'])}")
            restart_node(victim)
            playbook(*inv, str(PROJECT / "site.yml"))  # node back active, backends re-rendered
            subprocess.run(["ansible", *inv, "manager1", "-m", "swarmops.ha.swarm_node_drain", "-a",
                            f"node={victim} state=active"], cwd=PROJECT, env=benchlab.env(), check=True,
                           capture_output=True, timeout=600)

            # d. hard kill of the load balancer that holds the address
            master = next(lb for lb in ("lb1", "lb2") if VIP in subprocess.run(
                ["docker", "exec", f"{LAB}-{lb}", "ip", "-4", "-o", "addr"], capture_output=True, text=True, check=False).stdout)
            with Load(url, timeout=2) as load:
                time.sleep(2)
                subprocess.run(["docker", "kill", f"{LAB}-{master}"], check=True, capture_output=True)
                recovery = until(lambda: answers(url), 60, 0.1)
                time.sleep(2)
            record(f"d  hard kill of {master} (VIP holder)", load, recovery, "recovery: VIP answers again")
            subprocess.run(["docker", "start", f"{LAB}-{master}"], check=True, capture_output=True)
            until(lambda: answers(f"http://{ADDRESSES[master]}:8080/"), 120, 1)

            # Baselines: plain Swarm operations, a client aimed at one node, no LB.
            target = web_nodes()[0]
            direct = f"http://{ADDRESSES[target]}:8080/"
            with ReplicaWatch(on_leader) as watch, Load(url, timeout=15) as load, Load(direct) as one_node:
                start = time.monotonic()
                for node in NODES:
                    docker("manager1" if node != "manager1" else "manager2", "node", "update", "--availability",
                           "drain", node)
                    until(lambda n=node: not docker(manager(), "node", "ps", n, "--filter", "desired-state=running",
                                                    "-q").strip(), 120)
                    until(whole, 120)
                    docker("manager1" if node != "manager1" else "manager2", "node", "update", "--availability",
                           "active", node)
            note = f"took {time.monotonic() - start:.0f}s; lowest running-desired {watch.lowest}"
            record("a' plain drain of every node, via LB", load, note=note)
            record(f"a' plain drain of every node, client on {target} only", one_node, note=note)

            # site.yml after c. put web back on web:1: web:2 (loaded on every node in b.) is a real change.
            subprocess.run(["docker", "exec", "-i", f"{LAB}-manager1", "sh", "-c", "cat > /tmp/demo.yml"],
                           input=demo_compose("swarmops/demo-web:2", True), text=True, check=True, timeout=60)
            target = web_nodes()[0]
            direct = f"http://{ADDRESSES[target]}:8080/"
            with Load(url, timeout=15) as load, Load(direct) as one_node:
                start = time.monotonic()
                docker("manager1", "stack", "deploy", "-c", "/tmp/demo.yml", "--resolve-image", "never", "demo")
                # Done when every running web task runs web:1 and the services are whole.
                until(lambda: web_runs("swarmops/demo-web:2") and whole(), 300)
                elapsed = time.monotonic() - start
            record("b' docker stack deploy web:2, default update_config, via LB", load, note=f"took {elapsed:.0f}s")
            record(f"b' docker stack deploy web:2, default update_config, client on {target} only", one_node,
                   note=f"took {elapsed:.0f}s")

            victim = next((n for n in web_nodes() if n.startswith("worker")), web_nodes()[0])
            direct = f"http://{ADDRESSES[victim]}:8080/"
            with Load(direct, timeout=2, max_seconds=40) as one_node:
                time.sleep(2)
                subprocess.run(["docker", "kill", f"{LAB}-{victim}"], check=True, capture_output=True)
                recovery = until(lambda: whole(lost=victim), 120)
                time.sleep(max(0.0, 30 - (recovery or 0)))
            record(f"c' hard kill of {victim}, client on {victim} only (30 s window)", one_node, recovery,
                   "recovery: full healthy replica count (Swarm alone)")
            restart_node(victim)

            master = next(lb for lb in ("lb1", "lb2") if VIP in subprocess.run(
                ["docker", "exec", f"{LAB}-{lb}", "ip", "-4", "-o", "addr"], capture_output=True, text=True, check=False).stdout)
            direct = f"http://{ADDRESSES[master]}:8080/"
            with Load(direct, timeout=2, max_seconds=20) as one_lb:
                time.sleep(2)
                subprocess.run(["docker", "kill", f"{LAB}-{master}"], check=True, capture_output=True)
                time.sleep(15)
            record(f"d' hard kill of {master}, client on its own address (15 s window)", one_lb, None,
                   "no virtual address: never answers again until the host is back")
        finally:
            benchlab.lab("down", inventory, lab_lbs=2, lab_forward_base=0)
    print_table()


def print_table():
    print("\nevent | sent | failed | p50 ms | p99 ms | recovery s | note")
    for row in ROWS:
        print(f"{row['event']} | {row['sent']} | {row['failed']} | {row['p50_ms']} | {row['p99_ms']} | "
              f"{row['recovery_s'] if row['recovery_s'] is not None else '-'} | {row['note']}")


if __name__ == "__main__":
    main()
