"""What the benchmarks share: running ansible-playbook from the checkout, and the bench lab."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LAB = "swarmops-bench"
SUBNET = "192.168.76.0/24"


def env():
    return dict(os.environ, ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"), PATH=f"{BIN}:{os.environ['PATH']}")


def playbook(*args, check=True):
    result = subprocess.run([str(BIN / "ansible-playbook"), *args], cwd=PROJECT, env=env(),
                            capture_output=True, text=True, timeout=1800, check=False)
    if check and result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-2000:])
        raise SystemExit(f"ansible-playbook {' '.join(args)} failed with {result.returncode}")
    return result


def lab(state, inventory, **lab_vars):
    """lab_up (state "up") or lab_down of the bench lab, its inventory written to ``inventory``."""
    extra = [f"lab_name={LAB}", f"lab_subnet={SUBNET}", f"lab_inventory_file={inventory}"]
    extra += [f"{key}={value}" for key, value in lab_vars.items()]
    playbook(str(PROJECT / f"playbooks/lab_{state}.yml"), *[arg for pair in (("-e", e) for e in extra) for arg in pair])
