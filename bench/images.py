#!/usr/bin/env python
"""Time to get a new image version onto every node with swarm_stacks_image_distribution: load.

On a lab of its own (3 managers and 2 workers, bare nodes converged with
site.yml, no stacks), each round builds a new version of one image on the
controller (the lab's Debian base plus a small layer, so about the size of the
demo's images) and times the swarm_stacks role getting it onto the five nodes:

  - over SSH as the lab's unprivileged user (Ansible's default ssh_args, which
    compress with -C), the archive compressed once with gzip -1 (the default);
  - the same with swarm_stacks_image_compress: false;
  - over docker exec (the community.docker.docker connection), gzip -1;
  - baseline, in the same run: `docker save IMAGE | ssh NODE sudo docker load`
    to the five nodes in parallel, by hand (no Ansible, no checks, ssh without
    -C), the fastest a shell loop gets it there.

Every new version lacks only its top layer on a node that has the one before;
the base layers still travel each time (docker save holds them all). A first
round, not counted, puts the base image on every node. The lab is removed at
the end, also on failure.

    .venv/bin/python bench/images.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml

import benchlab
from benchlab import PROJECT, SUBNET, playbook

BASE = "swarmops/lab-node:bookworm-3"
IMAGE = "swarmops/bench-image"
NODES = ["manager1", "manager2", "manager3", "worker1", "worker2"]


def build(version, context):
    """A new version of the bench image on the controller: the base plus a 1 MB layer of its own."""
    (context / "Dockerfile").write_text(
        f"FROM {BASE}\nARG VERSION\nRUN head -c 1000000 /dev/urandom > /version-$VERSION\n"
        "CMD [\"sleep\", \"infinity\"]\n")
    tag = f"{IMAGE}:{version}"
    subprocess.run(["docker", "build", "-q", "--build-arg", f"VERSION={version}", "-t", tag, str(context)],
                   check=True, capture_output=True, text=True, timeout=600)
    return tag


def size_of(tag):
    return int(subprocess.run(["docker", "image", "inspect", "--format", "{{.Size}}", tag], check=True,
                              capture_output=True, text=True, timeout=60).stdout)


def distribute(inventory, tag, context, compress=True):
    """swarm_stacks on the five nodes with no stack: build (skipped: the tag exists) and load."""
    play = context / "distribute.yml"
    play.write_text(yaml.safe_dump([{
        "name": "Distribute one image", "hosts": "swarm_managers:swarm_workers", "gather_facts": False,
        "become": True,
        "roles": [{"role": "swarmops.ha.swarm_stacks", "vars": {
            "swarm_stacks": [], "swarm_stacks_image_compress": compress,
            "swarm_stacks_image_cache_dir": str(context / "cache"),
            "swarm_stacks_images": [{"name": tag, "path": str(context)}]}}],
    }]))
    start = time.monotonic()
    playbook("-i", str(inventory), str(play))
    return time.monotonic() - start


def by_hand(ssh_dir, tag):
    """docker save | ssh node sudo docker load, to every node at once."""
    prefix = SUBNET.split("/", 1)[0].rsplit(".", 1)[0]
    addresses = [f"{prefix}.{11 + i}" for i in range(3)] + [f"{prefix}.{31 + i}" for i in range(2)]
    ssh = ["ssh", "-i", str(ssh_dir / "id_ed25519"), "-o", f"UserKnownHostsFile={ssh_dir / 'known_hosts'}",
           "-o", "StrictHostKeyChecking=yes", "-o", "IdentitiesOnly=yes"]

    def one(address):
        save = subprocess.Popen(["docker", "save", tag], stdout=subprocess.PIPE)
        subprocess.run([*ssh, f"swarmops@{address}", "sudo docker load -q"], stdin=save.stdout, check=True,
                       capture_output=True, timeout=900)
        save.stdout.close()
        if save.wait(timeout=60) != 0:
            raise SystemExit(f"docker save {tag} failed")

    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(addresses)) as pool:
        list(pool.map(one, addresses))
    return time.monotonic() - start


def docker_inventory(ssh_inventory, path):
    """The same lab through docker exec as root: the lab role's inventory with the docker connection."""
    inventory = yaml.safe_load(ssh_inventory.read_text())
    settings = inventory["all"]["vars"]
    for key in ("ansible_user", "ansible_ssh_private_key_file", "ansible_ssh_common_args"):
        settings.pop(key, None)
    settings["ansible_connection"] = "community.docker.docker"
    for group in inventory["all"]["children"].values():
        for name, host in (group.get("hosts") or {}).items():
            host["ansible_host"] = f"{benchlab.LAB}-{name}"
    path.write_text(yaml.safe_dump(inventory))
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    rows = {"ssh, gzip -1 (default)": [], "ssh, no compression": [], "docker exec, gzip -1": [],
            "baseline: docker save | ssh docker load": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inventory = tmp / "hosts.yml"
        ssh_dir = tmp / ".ssh-lab"
        version = 0
        try:
            benchlab.lab("down", inventory)
            benchlab.lab("up", inventory, lab_managers=3, lab_workers=2, lab_lbs=0, lab_ssh_dir=ssh_dir)
            playbook("-i", str(inventory), str(PROJECT / "site.yml"))
            docker = docker_inventory(inventory, tmp / "docker.yml")
            # Not counted: the base image onto every node.
            version += 1
            distribute(inventory, build(version, tmp), tmp)
            for round_ in range(1, args.rounds + 1):
                for label, run in (("ssh, gzip -1 (default)", lambda t: distribute(inventory, t, tmp)),
                                   ("ssh, no compression", lambda t: distribute(inventory, t, tmp, compress=False)),
                                   ("docker exec, gzip -1", lambda t: distribute(docker, t, tmp)),
                                   ("baseline: docker save | ssh docker load", lambda t: by_hand(ssh_dir, t))):
                    version += 1
                    tag = build(version, tmp)
                    seconds = run(tag)
                    rows[label].append(seconds)
                    print(f"round {round_}: {label}: {seconds:.1f}s ({size_of(tag) / 1e6:.0f} MB image)", flush=True)
        finally:
            benchlab.lab("down", inventory)
            subprocess.run(f"docker images -q {IMAGE} | xargs -r docker rmi -f", shell=True, check=False,
                           capture_output=True, timeout=300)
    print(f"\nA new image version onto {len(NODES)} nodes (median of {args.rounds}):")
    for label, values in rows.items():
        print(f"  {label:<42} {statistics.median(values):6.1f}s")


if __name__ == "__main__":
    main()
