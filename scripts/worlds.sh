#!/usr/bin/env bash
# The Ansible worlds the collection is tested in.
#
#   current  the project venv (.venv, the machine's python3): what Python 3.11
#            resolves today, ansible 12 with community.docker 4.
#   newest   .venv-newest, on the lowest Python >= 3.12 found (NEWEST_PYTHON
#            picks another), with the ansible release of constraints-newest.txt
#            (ansible 14.5.0: ansible-core 2.21, community.docker 5).
#
#   scripts/worlds.sh python           the newest world's Python; nothing when there is none
#   scripts/worlds.sh venv [DIR]       create or update the newest world's venv (DIR: .venv-newest);
#                                      UNPINNED=1 takes the newest ansible instead of the constraints
#   scripts/worlds.sh core X.Y         a venv with ansible-core X.Y (newest patch) on the newest
#                                      world's Python, for sanity on older cores; prints its path
#   scripts/worlds.sh list             "NAME VENV" for each world to run here
#   scripts/worlds.sh report           each world's Python, ansible, ansible-core, community.docker
#   scripts/worlds.sh mark WORLD STEP  record that STEP passed in WORLD (in $SWARMOPS_WORLDS_LOG, if set)
#   scripts/worlds.sh check STEP...    fail unless every world that must run here passed every STEP
#
# A machine without Python >= 3.12 runs the current world only, and says so.
# A machine with one must run both: `list` then names both, and `check` fails
# when the newest world's steps did not pass (a missing venv is a failure, not a skip).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
current_venv=${CURRENT_VENV:-$root/.venv}
newest_venv=${NEWEST_VENV:-$root/.venv-newest}

runs() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }

newest_python() {
  if [ -n "${NEWEST_PYTHON:-}" ]; then
    runs "$NEWEST_PYTHON" || { echo "worlds: NEWEST_PYTHON=$NEWEST_PYTHON is not a Python >= 3.12" >&2; exit 1; }
    echo "$NEWEST_PYTHON"; return
  fi
  local v candidate root_dir
  # pyenv's shims answer only for the active versions: look in its versions too.
  root_dir=$( (command -v pyenv >/dev/null 2>&1 && pyenv root) || echo "${PYENV_ROOT:-$HOME/.pyenv}")
  for v in 3.12 3.13 3.14; do
    for candidate in "$(command -v "python$v" 2>/dev/null || true)" "$root_dir"/versions/"$v".*/bin/"python$v"; do
      [ -n "$candidate" ] && [ -x "$candidate" ] && runs "$candidate" && { echo "$candidate"; return; }
    done
  done
}

versions() {
  "$1/bin/python" - <<'EOF'
import json, os, platform
import ansible_collections, ansible.release
def manifest(ns, name):
    for base in ansible_collections.__path__:
        path = os.path.join(base, ns, name, "MANIFEST.json")
        if os.path.exists(path):
            return json.load(open(path))["collection_info"]["version"]
    return "not installed"
try:
    from importlib.metadata import version
    ansible_pkg = version("ansible")
except Exception:
    ansible_pkg = "not installed"
print(f"Python {platform.python_version()}, ansible {ansible_pkg}, ansible-core {ansible.release.__version__}, "
      f"community.docker {manifest('community', 'docker')}")
EOF
}

case ${1:-} in
  python)
    newest_python ;;
  venv)
    dir=${2:-$newest_venv}
    python=$(newest_python)
    if [ -z "$python" ]; then
      echo "worlds: no Python >= 3.12 on this machine: only the current world is tested here" >&2
      exit 0
    fi
    constraints=(-c constraints-newest.txt)
    stamp=$dir/.installed
    [ "${UNPINNED:-0}" = 1 ] && { constraints=(); stamp=$dir/.installed-unpinned; }
    if [ -f "$stamp" ] && [ "$stamp" -nt requirements.txt ] && [ "$stamp" -nt constraints-newest.txt ] &&
       [ "${UNPINNED:-0}" != 1 ]; then
      exit 0
    fi
    echo "worlds: the newest world in $dir ($python, ${constraints[*]:-unpinned})"
    [ -x "$dir/bin/python" ] || "$python" -m venv "$dir"
    "$dir/bin/pip" install --quiet --upgrade pip
    if [ "${UNPINNED:-0}" = 1 ]; then
      "$dir/bin/pip" install --quiet --upgrade --upgrade-strategy eager -r requirements.txt ansible ansible-core
    else
      "$dir/bin/pip" install --quiet -r requirements.txt "${constraints[@]}"
    fi
    touch "$stamp" ;;
  core)
    core=${2:?usage: scripts/worlds.sh core X.Y}
    python=$(newest_python)
    [ -n "$python" ] || { echo "worlds: no Python >= 3.12 here for ansible-core $core" >&2; exit 1; }
    dir=${XDG_CACHE_HOME:-$HOME/.cache}/swarmops/venvs/core-$core
    if [ ! -f "$dir/.installed" ]; then
      echo "worlds: ansible-core $core in $dir" >&2
      [ -x "$dir/bin/python" ] || "$python" -m venv "$dir" >&2
      "$dir/bin/pip" install --quiet --upgrade pip >&2
      "$dir/bin/pip" install --quiet "ansible-core==$core.*" docker requests pyyaml >&2
      # community.docker of the newest world's ansible release, alone (the other
      # collections of that package would warn that they do not support this core).
      unpacked=$(mktemp -d)
      "$dir/bin/pip" install --quiet --no-deps --target "$unpacked" "$(grep '^ansible==' constraints-newest.txt)" >&2
      site=$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
      mkdir -p "$site/ansible_collections/community"
      rm -rf "$site/ansible_collections/community/docker"
      cp -a "$unpacked/ansible_collections/community/docker" "$site/ansible_collections/community/docker"
      rm -rf "$unpacked"
      touch "$dir/.installed"
    fi
    echo "$dir" ;;
  list)
    echo "current $current_venv"
    if [ -n "$(newest_python)" ]; then echo "newest $newest_venv"; fi ;;
  report)
    echo "current world: $(versions "$current_venv")"
    if [ -n "$(newest_python)" ]; then
      if [ -x "$newest_venv/bin/python" ]; then echo "newest world:  $(versions "$newest_venv")"
      else echo "newest world:  MISSING ($newest_venv was not made, though $(newest_python) exists)"; fi
    else
      echo "newest world:  none (no Python >= 3.12 on this machine)"
    fi ;;
  mark)
    [ -n "${SWARMOPS_WORLDS_LOG:-}" ] && echo "$2 $3" >>"$SWARMOPS_WORLDS_LOG"
    exit 0 ;;
  check)
    shift
    [ -n "${SWARMOPS_WORLDS_LOG:-}" ] || { echo "worlds: SWARMOPS_WORLDS_LOG is not set" >&2; exit 1; }
    rc=0
    while read -r world _; do
      for step in "$@"; do
        if ! grep -qx "$world $step" "$SWARMOPS_WORLDS_LOG" 2>/dev/null; then
          echo "worlds: the $world world did not pass '$step'" >&2; rc=1
        fi
      done
    done < <("$0" list)
    [ $rc = 0 ] && echo "worlds: every world passed: $*"
    exit $rc ;;
  *)
    sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
esac
