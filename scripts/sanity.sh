#!/usr/bin/env bash
# ansible-test sanity and units on a copy of the checkout.
#
# ansible-test wants the collection at .../ansible_collections/<namespace>/<name>,
# so the work tree (committed or not) is copied to a temporary directory of that
# shape and tested there; the directory is removed at the end, also on failure.
# Galaxy is not needed: the collections this one depends on (requirements.yml)
# are copied in from the Python environment's `ansible` package.
#
#   scripts/sanity.sh                 sanity, then units
#   scripts/sanity.sh sanity [ARGS]   only sanity, ARGS passed on (e.g. --test pep8)
#   scripts/sanity.sh units [ARGS]    only units
#
# ansible-test runs from a virtual environment of its own (--venv) and gives
# each sanity test another one (--requirements), with pip installs from PyPI;
# the first run takes a few minutes more. Those environments and pip's
# downloads are kept outside the checkout, in ANSIBLE_TEST_HOME (default
# ~/.cache/swarmops/ansible-test), one set per ansible-core version.
#
# SANITY_VENV picks the Ansible world (default .venv, the project venv): its
# ansible-test, its Python version and its collections (scripts/worlds.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
venv=${SANITY_VENV:-$root/.venv}
what=${1:-all}
[ $# -gt 0 ] && shift

[ -x "$venv/bin/ansible-test" ] || { echo "$venv/bin/ansible-test not found: run 'make venv' (or scripts/worlds.sh venv)" >&2; exit 1; }
python_version=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
# ansible-test looks for pythonX.Y on PATH; pyenv's shims answer only for the
# active version, so put the world's own interpreter first.
base_python_dir=$(dirname "$("$venv/bin/python" -c 'import sys; print(sys._base_executable)')")
export PATH=$venv/bin:$base_python_dir:$PATH
core_version=$("$venv/bin/python" -c 'import ansible.release; print(ansible.release.__version__)')
echo "== sanity world: $venv (Python $python_version, ansible-core $core_version)"

namespace=$(sed -n 's/^namespace: *//p' galaxy.yml)
name=$(sed -n 's/^name: *//p' galaxy.yml)

tmp=$(mktemp -d "${TMPDIR:-/tmp}/swarmops-sanity.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/ansible_collections/$namespace/$name
mkdir -p "$dest"

# The work tree less what is not part of the collection's source.
tar -C "$root" -cf - \
  --exclude=./.git --exclude=./.venv --exclude=./.venv-newest --exclude=./.cache --exclude=./.collections \
  --exclude=./.pytest_cache --exclude=./tests/output --exclude='__pycache__' --exclude='*.pyc' \
  --exclude='./*.tar.gz' --exclude=./inventories/lab/hosts.yml . | tar -C "$dest" -xf -

# Collections from requirements.yml, from the installed `ansible` package.
"$venv/bin/python" - "$tmp/ansible_collections" <<'EOF'
import os, shutil, sys, yaml
import ansible_collections
dest = sys.argv[1]
with open("requirements.yml") as f:
    wanted = [c["name"] if isinstance(c, dict) else c for c in yaml.safe_load(f).get("collections", [])]
for fqcn in wanted:
    ns, coll = fqcn.split(".")
    for base in ansible_collections.__path__:
        src = os.path.join(base, ns, coll)
        if os.path.isdir(src):
            shutil.copytree(src, os.path.join(dest, ns, coll), symlinks=True,
                            ignore=shutil.ignore_patterns("tests", "__pycache__"))
            break
    else:
        sys.exit(f"collection {fqcn} (requirements.yml) is not installed: pip install ansible")
EOF

# ansible-test keeps its test virtual environments under ~/.ansible/test; give
# it a home of its own outside the checkout (kept between runs and between
# clones) so they are made once per ansible-core version and the user's own
# ~/.ansible is not touched. ansible-test passes on no PIP_* variables: pip
# reads /etc/pip.conf and the like, and caches in that home.
test_home=${ANSIBLE_TEST_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/swarmops/ansible-test}
# ansible-test bootstraps pip in each of those environments with a get-pip.py
# that it downloads from a host that only Ansible's CI reaches. Put a stand-in
# where it looks first: ensurepip, then pip installs the versions asked for.
pip_version=$("$venv/bin/python" -c 'import re, ansible_test._internal.python_requirements as m; print(re.search(r"pip=.([0-9.]+).", open(m.__file__).read()).group(1))')
mkdir -p "$test_home/.ansible/test/cache"
cat > "$test_home/.ansible/test/cache/get_pip_${pip_version//./_}.py" <<'EOF_PIP'
"""Stand-in for get-pip.py written by scripts/sanity.sh (see there)."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
# In a subprocess: ensurepip points PIP_CONFIG_FILE at /dev/null in its own process.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"])
subprocess.check_call([sys.executable, "-m", "pip", "install"] + args)
if "--no-setuptools" in sys.argv:
    subprocess.check_call([sys.executable, "-m", "pip", "uninstall", "--yes", "--quiet", "setuptools"])
EOF_PIP

cd "$dest"
run() {
  echo "== ansible-test $*"
  local start=$SECONDS
  if HOME=$test_home ansible-test "$@" --python "$python_version" --venv --requirements --color no; then
    echo "== ansible-test $1: passed in $((SECONDS - start))s"
  else
    echo "== ansible-test $1: FAILED after $((SECONDS - start))s" >&2
    return 1
  fi
}
case $what in
  # Both run, so that one report does not hide the other.
  all) rc=0; run sanity || rc=1; run units || rc=1; exit $rc ;;
  sanity|units) run "$what" "$@" ;;
  *) echo "usage: $0 [all|sanity|units] [ansible-test args]" >&2; exit 2 ;;
esac
