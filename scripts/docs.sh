#!/usr/bin/env bash
# ansible-doc for every plugin and role of the collection, in one Ansible world
# (DOCS_VENV, default .venv; scripts/worlds.sh). Each must render, with no
# error and no warning: a doc fragment or a module_utils import that the
# installed Ansible no longer has shows up here first.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${DOCS_VENV:-$PWD/.venv}
export ANSIBLE_CONFIG=$PWD/ansible.cfg ANSIBLE_NOCOLOR=1
# cryptography (51 here) warns that DSA is deprecated when ansible-core
# imports its ssh-agent support (ansible/_internal/_ssh/_ssh_agent.py), before
# any plugin loads: ansible-core's warning, not one of our docs.
export PYTHONWARNINGS="ignore:DSA is deprecated"
doc=$venv/bin/ansible-doc
[ -x "$doc" ] || { echo "$doc not found: run 'make venv' (or scripts/worlds.sh venv)" >&2; exit 1; }
namespace=$(sed -n 's/^namespace: *//p' galaxy.yml)
name=$(sed -n 's/^name: *//p' galaxy.yml)

# Every plugin file of the collection: a module or filter listed by ansible-doc
# must be each one of them, so a plugin that fails to load is not just missing.
expected() {
  local type=$1 dir=$2
  find "plugins/$dir" -maxdepth 1 -type f \( -name '*.py' -o -name '*.yml' \) ! -name '__init__.py' | sort |
    while read -r file; do
      case $type in
        module) basename "$file" .py ;;
        # A filter's docs are in its .yml, or in the DOCUMENTATION of its .py (the
        # other .py files only hold FilterModule).
        filter) if [ "${file##*.}" = yml ]; then basename "$file" .yml
                elif grep -q '^DOCUMENTATION' "$file"; then basename "$file" .py; fi ;;
      esac
    done | sed "s/^/$namespace.$name./" | sort -u
}

rc=0
check() {  # check TYPE NAME: ansible-doc renders it, with nothing on stderr
  local out err
  err=$(mktemp)
  # ansible-core 2.21's role docs warn about its own internal collection
  # (ansible._protomatter has no MANIFEST.json): not ours, so not counted.
  if ! out=$("$doc" -t "$1" "$2" 2>"$err") || grep -qv "ansible/_protomatter' does not have a MANIFEST.json" "$err" ||
     [ -z "$out" ]; then
    echo "docs: ansible-doc -t $1 $2 FAILED:" >&2; cat "$err" >&2; rc=1
  fi
  rm -f "$err"
}

for type in module filter; do
  dir=$([ $type = module ] && echo modules || echo filter)
  listed=$("$doc" -t "$type" -l "$namespace.$name" 2>/dev/null | awk '{print $1}' | sort -u)
  want=$(expected "$type" "$dir")
  missing=$(comm -23 <(echo "$want") <(echo "$listed"))
  if [ -n "$missing" ]; then echo "docs: ansible-doc -t $type -l does not list: $missing" >&2; rc=1; fi
  for plugin in $want; do check "$type" "$plugin"; done
done
for role in roles/*/; do
  role=$(basename "$role")
  [ -f "roles/$role/meta/argument_specs.yml" ] && check role "$namespace.$name.$role"
done
version=$("$venv/bin/python" -c 'import ansible.release; print(ansible.release.__version__)')
if [ $rc = 0 ]; then
  echo "== ansible-doc (ansible-core $version): every module, filter and role of $namespace.$name renders"
fi
exit $rc
