"""The built collection, installed and run the way its users run it, on a real lab swarm.

Runs as molecule's verify step of the packaging scenario, on the lab the
default scenario created, after converge ran the checkout's site.yml. The
artifact is built from the work tree with ansible-galaxy, checked for what it
holds, installed offline into an empty collections path and run from a
directory outside the checkout, with an environment that names neither the
checkout nor its ansible.cfg: once with ansible-playbook swarmops.ha.site, once
as an AWX job runs a project (collections/requirements.yml installed into the
job's directory, the playbook started through ansible-runner). The swarm is
converged already, so each run must change nothing. The execution
environment's build context (ansible-builder create, no lab and no network
needed) must carry the requirements the collection is tested with.

Everything is written under one temporary directory, removed at the end
(the build context under pytest's tmp_path).
"""

import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import ansible_collections
import ansible_runner
import pytest
import yaml

PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[3]))
BIN = Path(sys.executable).parent
VENV = Path(sys.prefix)
GALAXY = yaml.safe_load((PROJECT / "galaxy.yml").read_text())
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"
TIMEOUT_TOOL = 120
TIMEOUT_PLAYBOOK = 900
TIMEOUT_BUILDER = 300
DEPLOY_TASK = "swarmops.ha.swarm_stacks : Deploy the stacks, each done only when healthy"

# What the artifact may hold at its top level. Anything new in the work tree
# lands here only when galaxy.yml's build_ignore lets it through: decide then
# whether it belongs to the collection (add it below) or not (build_ignore).
ALLOWED_TOP_LEVEL = {
    "MANIFEST.json", "FILES.json", "README.md", "LICENSE", "COPYING", "CHANGELOG.rst",
    "changelogs", "docs", "examples", "execution-environment.yml", "inventories", "meta",
    "playbooks", "plugins", "requirements.yml", "roles", "site.yml", "tests",
}
# Development and CI of this repository, never part of the collection.
CLUTTER = {
    ".git", ".gitignore", ".ansible", ".ansible-lint", ".ci", ".config", ".collections", ".venv",
    ".cache", ".pytest_cache", "Makefile", "ansible.cfg", "bench", "molecule", "scripts",
    "pytest.ini", "requirements.txt", "requirements-dev.txt", ".venv-newest", "constraints-newest.txt",
}
# Of tests/, only what ansible-test reads from an installed collection: the
# sanity ignore files (Galaxy's importer runs sanity on the artifact with them)
# and the unit tests.
ALLOWED_UNDER_TESTS = {"sanity", "unit"}
# The collection proper: every file of the work tree under these must ship.
SHIPPED_TREES = ("plugins", "roles", "playbooks", "meta")


def molecule_lab():
    """The molecule lab's inventory as .config/molecule/config.yml describes it.

    Returns (groups, host_vars, group_vars) with ${MOLECULE_PROJECT_DIRECTORY}
    and ${MOLECULE_EPHEMERAL_DIRECTORY} (where the lab keeps its ssh key and
    known_hosts) resolved, so that the inventory written here is the one the
    default scenario formed the swarm with.
    """
    # Outside molecule (the ansible-builder check alone) no lab is reached: a path that reaches nothing.
    ephemeral = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent/molecule-ephemeral-directory")
    text = (PROJECT / ".config/molecule/config.yml").read_text().replace("${MOLECULE_PROJECT_DIRECTORY}", str(PROJECT))
    text = text.replace("${MOLECULE_EPHEMERAL_DIRECTORY}", ephemeral)
    config = yaml.safe_load(text)
    groups = {}
    for platform in config["platforms"]:
        for group in platform.get("groups", []):
            groups.setdefault(group, []).append(platform["name"])
    inventory = config["provisioner"]["inventory"]
    host_vars = inventory.get("host_vars", {})
    group_vars = inventory.get("group_vars", {})
    assert "${" not in json.dumps([host_vars, group_vars]), "an unresolved ${...} in the molecule inventory"
    return groups, host_vars, group_vars


GROUPS, HOST_VARS, GROUP_VARS = molecule_lab()
MANAGERS = GROUPS.get("swarm_managers", [])
WORKERS = GROUPS.get("swarm_workers", [])
STACKS = [stack["name"] for stack in GROUP_VARS.get("all", {}).get("swarm_stacks", [])
          if stack.get("state", "present") == "present"]


def write_inventory(directory):
    """hosts.yml with the hosts, their groups and host variables; group_vars/ beside it."""
    directory.mkdir(parents=True)
    children = {group: {"hosts": {host: HOST_VARS.get(host, {}) for host in hosts}} for group, hosts in GROUPS.items()}
    (directory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": children}}, sort_keys=False))
    (directory / "group_vars").mkdir()
    for group, variables in GROUP_VARS.items():
        (directory / "group_vars" / f"{group}.yml").write_text(yaml.safe_dump(variables, sort_keys=False))
    return directory


def site_packages_collections():
    """The directory that holds ansible_collections/community/docker (the venv's `ansible` package)."""
    for base in ansible_collections.__path__:
        if (Path(base) / "community" / "docker").is_dir():
            return Path(base).parent
    pytest.fail("community.docker is not installed in this Python environment: pip install ansible")


def clean_env(cwd, **extra):
    """os.environ less everything that points Ansible at the checkout.

    molecule passes its own ANSIBLE_CONFIG, ANSIBLE_COLLECTIONS_PATH (the
    checkout's .collections), ANSIBLE_ROLES_PATH and so on: all ANSIBLE_* and
    MOLECULE_* variables go. What is left may name the venv's tools, not the
    checkout.
    """
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "MOLECULE_")) and k not in ("PWD", "OLDPWD", "_")}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", PWD=str(cwd),
               ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", **extra)
    leaks = sorted(k for k, v in env.items() if str(PROJECT) in v.replace(str(VENV), ""))
    assert not leaks, f"these variables still point at the checkout: {leaks}"
    return env


def run(command, cwd, env, timeout=TIMEOUT_TOOL):
    return subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def output_of(result, tail=6000):
    return (result.stdout + result.stderr)[-tail:]


def full_output(result):
    return result.stdout + result.stderr


def container(host):
    """The lab node's container (the lab role's naming: <lab_name>-<node>)."""
    return f"swarmops-molecule-{host}"


def docker_exec(container, *command):
    return subprocess.run(["docker", "exec", container, *command], capture_output=True, text=True,
                          timeout=TIMEOUT_TOOL, check=False)


def service_versions():
    """Version index of every swarm service: it moves on any change of a service's spec."""
    manager = container(MANAGERS[0])
    names = docker_exec(manager, "docker", "service", "ls", "--format", "{{.Name}}")
    assert names.returncode == 0, names.stderr
    services = names.stdout.split()
    for stack in STACKS:
        assert any(s.startswith(f"{stack}_") for s in services), f"stack {stack} is not deployed: {services}"
    if not services:
        return {}
    inspected = docker_exec(manager, "docker", "service", "inspect", *services)
    assert inspected.returncode == 0, inspected.stderr
    return {s["Spec"]["Name"]: s["Version"]["Index"] for s in json.loads(inspected.stdout)}


def recap(output):
    """{host: {ok: n, changed: n, ...}} from the PLAY RECAP of the default callback."""
    counts = {}
    for line in output.split("PLAY RECAP", 1)[-1].splitlines():
        match = re.match(r"^(\S+)\s+:\s+((?:\w+=\d+\s*)+)$", line.strip())
        if match:
            counts[match.group(1)] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", match.group(2))}
    return counts


def task_section(output, banner):
    start = output.find(f"TASK [{banner}]")
    assert start >= 0, f"task {banner!r} did not run:\n{output[-4000:]}"
    ends = [i for i in (output.find("\nTASK [", start + 1), output.find("\nPLAY ", start + 1)) if i >= 0]
    end = min(ends) if ends else len(output)
    return output[start:end]


def assert_no_change(counts, output):
    expected = {"localhost", *MANAGERS, *WORKERS}
    everyone = {host for hosts in GROUPS.values() for host in hosts} | {"localhost"}
    assert expected <= set(counts) <= everyone, f"recap of {sorted(counts)}, expected {sorted(expected)}"
    assert all(counts[h]["ok"] > 0 for h in expected), counts
    troubled = {h: c for h, c in counts.items() if c["changed"] or c["failed"] or c["unreachable"]}
    assert not troubled, f"the installed collection disagrees with the converged swarm: {troubled}\n{output[-6000:]}"


@pytest.fixture(scope="module")
def workspace():
    with tempfile.TemporaryDirectory(prefix="swarmops-packaging-") as root:
        yield Path(root)


@pytest.fixture(scope="module")
def lab_running():
    """The default scenario's nodes must be there: this scenario only reuses them."""
    assert MANAGERS and WORKERS, f"no swarm_managers or swarm_workers in .config/molecule/config.yml: {GROUPS}"
    for host in sorted({h for hosts in GROUPS.values() for h in hosts}):
        state = subprocess.run(["docker", "inspect", "--format", "{{.State.Running}}", container(host)],
                               capture_output=True, text=True, timeout=TIMEOUT_TOOL, check=False)
        if state.stdout.strip() != "true":
            pytest.fail(f"{container(host)} is not running: form the lab first (molecule converge -s default)")


@pytest.fixture(scope="module")
def artifact(workspace):
    """The tarball of `ansible-galaxy collection build`, run from outside the checkout."""
    dist = workspace / "dist"
    result = run([BIN / "ansible-galaxy", "collection", "build", "--output-path", dist, PROJECT],
                 cwd=workspace, env=clean_env(workspace))
    assert result.returncode == 0, output_of(result)
    built = list(dist.iterdir())
    assert [p.name for p in built] == [f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"], built
    return built[0]


def install_offline(tarball, collections, site_packages, cwd):
    """ansible-galaxy collection install --offline into an empty collections path."""
    collections.mkdir()
    env = clean_env(cwd, ANSIBLE_COLLECTIONS_PATH=f"{collections}{os.pathsep}{site_packages}")
    result = run([BIN / "ansible-galaxy", "collection", "install", "--offline", "-p", collections, tarball],
                 cwd=cwd, env=env)
    assert result.returncode == 0, output_of(result)
    assert f"{FQCN}:{GALAXY['version']} was installed successfully" in result.stdout, result.stdout
    return env


def test_the_artifact_holds_the_collection_and_no_development_files(artifact):
    with tarfile.open(artifact) as tar:
        names = set(tar.getnames())
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    top = {n.split("/", 1)[0] for n in names}
    extra = sorted(top - ALLOWED_TOP_LEVEL)
    assert not extra, f"not part of the collection (galaxy.yml build_ignore?): {extra}"
    assert not top & CLUTTER, sorted(top & CLUTTER)
    under_tests = {n.split("/")[1] for n in names if n.startswith("tests/")}
    assert under_tests <= ALLOWED_UNDER_TESTS, sorted(under_tests)
    stray = sorted(n for n in names if "__pycache__" in n.split("/") or n.endswith((".pyc", ".tar.gz"))
                   or n.startswith(("tests/output", "inventories/molecule")) or n == "inventories/lab/hosts.yml")
    assert not stray, stray

    info = manifest["collection_info"]
    assert [info[k] for k in ("namespace", "name", "version")] == [GALAXY[k] for k in ("namespace", "name", "version")]
    assert info["dependencies"] == GALAXY["dependencies"]
    assert "meta/runtime.yml" in names
    missing = sorted(
        str(path.relative_to(PROJECT))
        for tree in SHIPPED_TREES
        for path in (PROJECT / tree).rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        and str(path.relative_to(PROJECT)) not in names
    )
    assert not missing, f"files of the collection missing from the artifact: {missing}"
    for role in ("docker_engine", "swarm_cluster", "swarm_stacks"):
        assert f"roles/{role}/meta/argument_specs.yml" in names, role
    assert "playbooks/site.yml" in names


def test_the_installed_artifact_runs_site_from_outside_the_checkout_and_changes_nothing(
        artifact, workspace, lab_running):
    site_packages = site_packages_collections()
    collections = workspace / "cli-collections"
    project = workspace / "cli-project"
    project.mkdir()
    env = install_offline(artifact, collections, site_packages, project)
    write_inventory(project / "inventories" / "lab")

    # The only swarmops.ha Ansible sees is the installed one, and no config file of the checkout is read.
    listed = run([BIN / "ansible-galaxy", "collection", "list", FQCN, "--format", "json"], cwd=project, env=env)
    assert listed.returncode == 0, output_of(listed)
    found = {path: colls[FQCN]["version"] for path, colls in json.loads(listed.stdout).items() if FQCN in colls}
    assert found == {str(collections / "ansible_collections"): GALAXY["version"]}, found
    version = run([BIN / "ansible-playbook", "--version"], cwd=project, env=env)
    config_file = re.search(r"config file = (.*)", version.stdout).group(1).strip()
    assert str(PROJECT) not in config_file, config_file
    syntax = run([BIN / "ansible-playbook", f"{FQCN}.site", "-i", "inventories/lab", "--syntax-check"],
                 cwd=project, env=env)
    assert syntax.returncode == 0, output_of(syntax)
    installed = collections.joinpath("ansible_collections", GALAXY["namespace"], GALAXY["name"])
    assert f"playbook: {installed / 'playbooks' / 'site.yml'}" in syntax.stdout, syntax.stdout

    before = service_versions()
    # The one run of the suite without pipelining: over SSH as the unprivileged
    # user, every module is copied to a temporary directory of that user's and
    # run from there as root (become), as where sudo requires a tty.
    result = run([BIN / "ansible-playbook", f"{FQCN}.site", "-i", "inventories/lab"], cwd=project,
                 env=dict(env, ANSIBLE_PIPELINING="False"), timeout=TIMEOUT_PLAYBOOK)
    output = full_output(result)
    assert result.returncode == 0, output[-6000:]
    assert "does not answer" not in output, output[-6000:]
    assert_no_change(recap(output), output)
    deploy = task_section(output, DEPLOY_TASK)
    for stack in STACKS:
        assert re.search(rf"ok: \[[^\]]+\] => \(item={re.escape(stack)}\)", deploy), deploy
    assert service_versions() == before


def test_an_awx_project_with_the_artifact_runs_through_ansible_runner_and_changes_nothing(
        artifact, workspace, lab_running, monkeypatch):
    site_packages = site_packages_collections()
    job = workspace / "awx-job"  # the job's private data directory
    project = job / "project"  # the project as AWX syncs it
    (project / "collections").mkdir(parents=True)
    # Galaxy is out of reach: the requirement names the built artifact.
    (project / "collections" / "requirements.yml").write_text(yaml.safe_dump(
        {"collections": [{"name": str(artifact), "type": "file"}]}))
    wrapper = [{"name": "From bare hosts to a ready swarm", "ansible.builtin.import_playbook": f"{FQCN}.site"}]
    (project / "site.yml").write_text(yaml.safe_dump(wrapper, sort_keys=False))
    inventory = write_inventory(project / "inventory") / "hosts.yml"

    # Project sync: AWX's own command, from the project, into the job's requirements_collections.
    requirements = job / "requirements_collections"
    install_env = clean_env(project, ANSIBLE_COLLECTIONS_PATH=str(requirements))
    installed = run([BIN / "ansible-galaxy", "collection", "install", "-r", "collections/requirements.yml",
                     "--collections-path", requirements], cwd=project, env=install_env)
    assert installed.returncode == 0, output_of(installed)
    installed_root = requirements / "ansible_collections" / GALAXY["namespace"] / GALAXY["name"]
    assert (installed_root / "MANIFEST.json").is_file(), output_of(installed)

    # The job: ansible-runner, which starts ansible-playbook with this
    # process's environment (made as clean as the others) plus the job's
    # variables: the job's collections first, then the execution environment's
    # (here the venv's, where community.docker lives).
    job_env = clean_env(project)
    for key in set(os.environ) - set(job_env):
        monkeypatch.delenv(key)
    for key, value in job_env.items():
        monkeypatch.setenv(key, value)
    envvars = {"ANSIBLE_COLLECTIONS_PATH": f"{requirements}{os.pathsep}{site_packages}"}
    # The stacks as a job template's extra variables (env/extravars, passed as -e), which outrank every
    # variable of a role: the monitoring role's own stack must still be the one its play deploys.
    extravars = {"swarm_stacks": GROUP_VARS["all"]["swarm_stacks"]}
    before = service_versions()
    runner = ansible_runner.run(private_data_dir=str(job), playbook="site.yml", inventory=str(inventory),
                                envvars=envvars, extravars=extravars, quiet=True, timeout=TIMEOUT_PLAYBOOK)
    stdout = runner.stdout.read()
    assert (runner.status, runner.rc) == ("successful", 0), stdout[-6000:]
    stats = runner.stats
    expected = {"localhost", *MANAGERS, *WORKERS}
    assert expected <= set(stats["processed"]), stats
    assert not stats["failures"] and not stats["dark"], stats
    assert not {h: n for h, n in stats["changed"].items() if n}, f"changed: {stats['changed']}\n{stdout[-6000:]}"

    events = list(runner.events)
    task_paths = {e["event_data"]["task_path"] for e in events if e.get("event_data", {}).get("task_path")}
    assert task_paths, "no task ran"
    elsewhere = sorted(p for p in task_paths if not p.startswith(f"{installed_root}{os.sep}"))
    assert not elsewhere, f"tasks that did not come from the installed artifact: {elsewhere}"
    deployed = [e["event_data"]["res"] for e in events
                if e["event"] == "runner_on_ok" and e["event_data"].get("task") == DEPLOY_TASK.split(" : ", 1)[1]]
    # Once for the stacks of the extra variables, once for the monitoring stack (the monitoring role deploys
    # through the same role, and the extra swarm_stacks must not replace its stack): each stack once, none changed.
    assert len(deployed) == 2, f"the deploy task ran {len(deployed)} times"
    assert [r["item"]["name"] for d in deployed for r in d["results"]] == STACKS + ["monitoring"], deployed
    assert not any(d["changed"] for d in deployed), deployed
    assert service_versions() == before


def test_ansible_builder_create_names_the_tested_requirements(tmp_path):
    """execution-environment.yml gives a build context with the collection's requirements.

    `ansible-builder create` works offline; `build` would need the base image's
    registry, which is out of reach here (docs/awx.md). The instruction file is
    named explicitly: its default name depends on whether podman is installed.
    """
    builder = BIN / "ansible-builder"
    assert builder.is_file(), f"{builder} is missing: pip install -r requirements.txt"
    definition = yaml.safe_load((PROJECT / "execution-environment.yml").read_text())
    base_image = definition["images"]["base_image"]["name"]
    context = tmp_path / "context"
    checkout_before = sorted(os.listdir(PROJECT))

    result = run([builder, "create", "--file", PROJECT / "execution-environment.yml", "--context", context,
                  "--output-filename", "Containerfile"], cwd=PROJECT, env=None, timeout=TIMEOUT_BUILDER)
    assert result.returncode == 0, output_of(result)
    assert sorted(os.listdir(PROJECT)) == checkout_before, "ansible-builder wrote into the checkout"

    galaxy = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    collections = {c["name"]: c.get("version") for c in galaxy["collections"]}
    assert collections.get("community.docker") == ">=4.0.0,<6.0.0", galaxy

    lines = (context / "_build" / "requirements.txt").read_text().splitlines()
    packages = {re.match(r"[A-Za-z0-9._-]+", line.strip()).group(0).lower()
                for line in lines if line.strip() and not line.lstrip().startswith("#")}
    assert {"docker", "requests"} <= packages, lines

    # The base image is a build argument, defaulting to the definition's, that the first stage starts from.
    containerfile = (context / "Containerfile").read_text()
    assert f'ARG EE_BASE_IMAGE="{base_image}"' in containerfile.splitlines(), containerfile[:2000]
    assert re.search(r"^FROM \$EE_BASE_IMAGE\b", containerfile, re.MULTILINE), containerfile[:2000]
