#!/usr/bin/env python
"""Wall time of site.yml on bare lab nodes, and of its second run, over SSH and over docker exec.

For each lab size (3 nodes: 3 managers; 5 nodes: 3 managers and 2 workers) and
each connection (ssh: as the lab's unprivileged user with become, as real hosts
are reached; docker: docker exec as root), it starts bare nodes (no Docker),
times `ansible-playbook site.yml` from bare to a ready swarm, then times the
second run (which must change nothing). The baseline, in the same run and on
fresh bare nodes of the same size, is a hand-rolled shell sequence: `apt-get
install docker.io` on every node in parallel, then `docker swarm init` and
`docker swarm join` one node at a time. The lab is removed at the end, also on
failure.

    .venv/bin/python bench/converge.py [--sizes 3,5] [--connections ssh,docker] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import benchlab
from benchlab import PROJECT, SUBNET, playbook

LAYOUTS = {3: (3, 0), 5: (3, 2)}


def lab(state, inventory, managers=1, workers=0, connection="ssh"):
    benchlab.lab(state, inventory, lab_managers=max(managers, 1), lab_workers=workers, lab_connection=connection,
                 lab_ssh_dir=inventory.parent / ".ssh-lab")


def changed_total(output):
    return sum(int(n) for n in re.findall(r"changed=(\d+)", output))


def timed_site(inventory):
    start = time.monotonic()
    result = playbook("-i", str(inventory), str(PROJECT / "site.yml"))
    return time.monotonic() - start, changed_total(result.stdout)


def sh(node, script):
    return subprocess.run(["docker", "exec", f"{benchlab.LAB}-{node}", "bash", "-ec", script],
                          capture_output=True, text=True, timeout=900, check=True).stdout


def baseline(managers, workers):
    names = [f"manager{i}" for i in range(1, managers + 1)] + [f"worker{i}" for i in range(1, workers + 1)]
    prefix = SUBNET.split("/", 1)[0].rsplit(".", 1)[0]
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(pool.map(lambda n: sh(n, "apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
                                      "apt-get install -y -qq docker.io >/dev/null && systemctl start docker"), names))
    sh("manager1", f"docker swarm init --advertise-addr {prefix}.11 >/dev/null")
    manager_token = sh("manager1", "docker swarm join-token -q manager").strip()
    worker_token = sh("manager1", "docker swarm join-token -q worker").strip()
    for index, name in enumerate(names[1:], start=2):
        is_manager = name.startswith("manager")
        addr = f"{prefix}.{10 + index}" if is_manager else f"{prefix}.{30 + int(name[6:])}"
        token = manager_token if is_manager else worker_token
        sh(name, f"docker swarm join --advertise-addr {addr} --token {token} {prefix}.11:2377 >/dev/null")
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="3,5")
    parser.add_argument("--connections", default="ssh,docker")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inventory = Path(tmp) / "hosts.yml"
        try:
            for size in (int(s) for s in args.sizes.split(",")):
                managers, workers = LAYOUTS[size]
                row = {"nodes": size, "baseline": None}
                for connection in args.connections.split(","):
                    lab("down", inventory)
                    lab("up", inventory, managers, workers, connection)
                    first, first_changed = timed_site(inventory)
                    second, second_changed = timed_site(inventory)
                    row[connection] = (first, first_changed, second, second_changed)
                    print(f"{size} nodes over {connection}: site.yml bare->swarm {first:6.1f}s (changed={first_changed}), "
                          f"second run {second:6.1f}s (changed={second_changed})", flush=True)
                if not args.skip_baseline:
                    lab("down", inventory)
                    lab("up", inventory, managers, workers)
                    row["baseline"] = baseline(managers, workers)
                    print(f"{size} nodes: hand-rolled shell baseline {row['baseline']:6.1f}s", flush=True)
                rows.append(row)
        finally:
            lab("down", inventory)
    connections = args.connections.split(",")
    print("\nnodes  " + "  ".join(f"{c + ' first':>12}  {c + ' second':>12}" for c in connections)
          + "  baseline (shell, no checks)")
    for row in rows:
        cells = "  ".join(f"{row[c][0]:>11.1f}s  {row[c][2]:>11.1f}s" for c in connections)
        base = f"{row['baseline']:.1f}s" if row["baseline"] else "-"
        print(f"{row['nodes']:>5}  {cells}  {base}")


if __name__ == "__main__":
    main()
