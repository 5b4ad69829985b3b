"""The monitoring stack that site.yml deployed on the lab (monitoring_enabled in the molecule inventory).

Prometheus on two nodes and Alertmanager as a two-member cluster, every scrape
target up, the swarm console showing what the swarm says, and a crash-looping
service raising the crash-loop alert, delivered to the lab's webhook receiver.
Everything this file creates is removed at its end.
"""

import html.parser
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

PROJECT = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"])
sys.path.insert(0, str(PROJECT / "molecule" / "shared"))
from labtest import LAB_ADDRESSES as ADDRESSES  # noqa: E402
from labtest import MANAGERS, NODES, docker_exec, first_notice, received_alerts, wait_for  # noqa: E402
JOBS = {"swarm", "node", "engine", "haproxy", "virtual_address", "prometheus", "alertmanager"}


def swarm(*command):
    result = docker_exec("manager1", "docker", *command)
    assert result.returncode == 0, result.stderr
    return result.stdout


def replica_nodes(service):
    out = swarm("service", "ps", service, "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}")
    return sorted(line.split()[0] for line in out.splitlines() if " Running" in line)


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


def query(node, expr):
    url = f"http://{ADDRESSES[node]}:9090/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    return get_json(url)["data"]["result"]


def test_prometheus_and_alertmanager_each_run_twice_on_different_nodes():
    for service in ("monitoring_prometheus", "monitoring_alertmanager"):
        nodes = replica_nodes(service)
        assert len(nodes) == 2 and len(set(nodes)) == 2, (service, nodes)
    # The exporter on every manager, node exporter everywhere.
    assert replica_nodes("monitoring_exporter") == MANAGERS
    assert replica_nodes("monitoring_node-exporter") == sorted(NODES)


def test_the_alertmanagers_form_one_cluster():
    def clustered():
        seen = {}
        for node in replica_nodes("monitoring_alertmanager"):
            status = get_json(f"http://{ADDRESSES[node]}:9093/api/v2/status")["cluster"]
            seen[node] = (status["status"], len(status.get("peers") or []))
        return len(seen) == 2 and all(s == ("ready", 2) for s in seen.values()), seen
    wait_for(clustered, "both Alertmanager members ready, each with 2 peers", timeout=60)


def test_each_prometheus_scrapes_every_target():
    for node in replica_nodes("monitoring_prometheus"):
        def all_up(node=node):
            targets = get_json(f"http://{ADDRESSES[node]}:9090/api/v1/targets?state=active")["data"]["activeTargets"]
            jobs = {t["labels"]["job"] for t in targets}
            down = [(t["labels"]["job"], t["labels"]["instance"], t["lastError"]) for t in targets if t["health"] != "up"]
            return jobs == JOBS and not down, {"jobs": sorted(jobs), "down": down}
        wait_for(all_up, f"every target of the Prometheus on {node} up", timeout=90)
        # The engines and HAProxy of every host, the virtual address answering.
        engines = query(node, 'up{job="engine"}')
        assert sorted(r["metric"]["instance"] for r in engines) == sorted(f"{a}:9323" for a in ADDRESSES.values())
        assert [r["value"][1] for r in query(node, 'probe_success{job="virtual_address"}')] == ["1"]
        assert len(query(node, 'haproxy_process_start_time_seconds{job="haproxy"}')) == 2


class Console(html.parser.HTMLParser):
    """The data-* attributes of the swarm console's rows."""

    def __init__(self):
        super().__init__()
        self.rows = []

    def handle_starttag(self, tag, attrs):
        data = {k[5:]: v for k, v in attrs if k.startswith("data-")}
        if data:
            self.rows.append(data)


def test_the_swarm_console_shows_what_the_swarm_says():
    services = {s["Spec"]["Name"]: s for s in json.loads(swarm("service", "inspect", *swarm(
        "service", "ls", "--format", "{{.Name}}").split()))}
    nodes = {n["Description"]["Hostname"]: n["Status"]["State"] for n in json.loads(swarm(
        "node", "inspect", *swarm("node", "ls", "--format", "{{.ID}}").split()))}
    node = replica_nodes("monitoring_prometheus")[0]

    def shown():
        with urllib.request.urlopen(f"http://{ADDRESSES[node]}:9090/consoles/swarm.html", timeout=10) as response:
            page = Console()
            page.feed(response.read().decode())
        rows = {r["service"]: r for r in page.rows if "service" in r}
        states = {r["node"]: r["state"] for r in page.rows if "state" in r}
        verdict = [r["verdict"] for r in page.rows if "verdict" in r]
        ok = (set(rows) == set(services) and states == nodes and verdict == ["healthy"]
              and all(r["desired"] == r["healthy"] for r in rows.values()))
        return ok, {"rows": rows, "states": states, "verdict": verdict}
    seen = wait_for(shown, "the console to list every service healthy and every node", timeout=60)
    replicated = {name for name, s in services.items() if "Replicated" in s["Spec"]["Mode"]}
    for name in replicated:
        assert float(seen["rows"][name]["desired"]) == services[name]["Spec"]["Mode"]["Replicated"]["Replicas"]


def test_the_swarm_console_renders_in_headless_chromium(tmp_path):
    """What a person sees: the page after its scripts ran (the graph drawn), checked, and a screenshot kept."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "headless Chromium is missing (make test installs it: scripts/ensure-chromium.sh)"
    node = replica_nodes("monitoring_prometheus")[0]
    url = f"http://{ADDRESSES[node]}:9090/consoles/swarm.html"
    artifacts = Path(os.environ.get("SWARMOPS_ARTIFACTS", PROJECT / "artifacts"))
    artifacts.mkdir(parents=True, exist_ok=True)
    shot = artifacts / "swarm-console.png"
    shot.unlink(missing_ok=True)
    base = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1400", "--virtual-time-budget=15000"]
    dom = subprocess.run([*base, "--dump-dom", url], capture_output=True, text=True, timeout=180, check=False)
    assert dom.returncode == 0 and "</html>" in dom.stdout, dom.stderr[-2000:]
    page = Console()
    page.feed(dom.stdout)
    services = set(swarm("service", "ls", "--format", "{{.Name}}").split())
    nodes = dict(line.split() for line in swarm("node", "ls", "--format", "{{.Hostname}} {{.Status}}").splitlines())
    assert {r["service"] for r in page.rows if "service" in r} == services
    assert {r["node"]: r["state"] for r in page.rows if "state" in r} == {n: s.lower() for n, s in nodes.items()}
    # The classic UI's scripts ran: Rickshaw drew the graph of healthy tasks in the page.
    graph = dom.stdout[dom.stdout.index('id="healthy_graph"'):]
    assert "rickshaw_graph" in graph[:2000] and "<svg" in graph and "<path" in graph, graph[:3000]
    done = subprocess.run([*base, f"--screenshot={shot}", url], capture_output=True, text=True, timeout=180,
                          check=False)
    assert done.returncode == 0 and shot.exists() and shot.stat().st_size > 20_000, done.stderr[-2000:]
    print(f"the swarm console, as headless Chromium renders it: {shot}")


@pytest.fixture
def crash_loop():
    """A service whose task exits 3 a second after it starts, restarted by Swarm again and again; removed after."""
    started = time.time()
    swarm("service", "create", "--detach", "--name", "crashloop", "--restart-condition", "any",
          "--restart-delay", "1s", "--endpoint-mode", "dnsrr", "--entrypoint", "sh",
          "swarmops/demo-web:1", "-c", "sleep 1; exit 3")
    try:
        yield started
    finally:
        docker_exec("manager1", "docker", "service", "rm", "crashloop")


def test_a_crash_looping_service_raises_the_crash_loop_alert(crash_loop):
    node = replica_nodes("monitoring_prometheus")[0]

    def firing():
        alerts = query(node, 'ALERTS{alertname="SwarmServiceCrashLooping",service="crashloop"}')
        return any(a["metric"]["alertstate"] == "firing" for a in alerts), alerts
    wait_for(firing, "SwarmServiceCrashLooping firing for crashloop", timeout=150, interval=3)

    def notified():
        found = received_alerts(crash_loop)
        return first_notice(found, "firing", "SwarmServiceCrashLooping", service="crashloop") is not None, found
    wait_for(notified, "the receiver to get SwarmServiceCrashLooping for crashloop", timeout=90, interval=3)
    seconds = first_notice(received_alerts(crash_loop), "firing", "SwarmServiceCrashLooping", service="crashloop")
    print(f"crash loop notified {seconds:.1f} s after the service was created")
