# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of the swarm_node_drain module's failure paths: what it puts back when a gate fails.

The Docker API is a recorder of the updates the module posts (these are unit
tests of its decisions; the uptime scenario drains real nodes): the module's
names for read_state, wait_for_services and the drain plan are swapped for
fakes that say what the swarm would.
"""

from __future__ import annotations

import pytest

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import WaitResult
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_drain import EXCLUDED_LABEL, SAVED_LABEL
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError
from ansible_collections.swarmops.ha.plugins.modules import swarm_node_drain

NODE = {"ID": "node-w1", "Version": {"Index": 5}, "Spec": {"Availability": "active", "Role": "worker"},
        "Description": {"Hostname": "worker1"}, "Status": {"State": "ready"}}


def service(name):
    return {"ID": f"id-{name}", "Version": {"Index": 1},
            "Spec": {"Name": name, "Labels": {}, "TaskTemplate": {"ContainerSpec": {"Image": "x:1"}, "Placement": {}},
                     "Mode": {"Replicated": {"Replicas": 2}}}}


def converged(ok):
    evaluation = {"services": [{"name": "demo_api", "converged": ok, "failed": "" if ok else "task failed",
                                "reasons": [] if ok else ["1 of 2 running"], "failing_tasks": [], "starting_tasks": []}]}
    return WaitResult(ok, not ok, evaluation, 1.0)


class Client:
    def __init__(self, services, **params):
        self.services = {s["ID"]: s for s in services}
        self.node = dict(NODE)
        self.posted = []
        self.module = type("Module", (), {})()
        self.module.check_mode = False
        self.module.params = dict(dict(node="worker1", state="drained", rebalance=True, wait_timeout=5,
                                       poll_interval=0, min_healthy_time=5), **params)

    def get_json(self, path, *args, **kwargs):
        if path == "/services/{0}":
            return self.services[args[0]]
        if path == "/nodes/{0}":
            return self.node
        raise AssertionError(path)

    def post_json(self, path, *args, data=None, params=None):
        self.posted.append((path, args[0], data))
        if path == "/services/{0}/update":
            self.services[args[0]] = dict(self.services[args[0]], Spec=data)
        else:
            self.node = dict(self.node, Spec=data)

    def excluded(self, service_id):
        return self.services[service_id]["Spec"].get("Labels", {}).get(EXCLUDED_LABEL)


def install(monkeypatch, client, gates, moves):
    plan = {"node": "worker1", "moves": [{"service_id": f"id-{m}", "service": m} for m in moves], "problems": [],
            "remaining_nodes": ["worker2"]}
    monkeypatch.setattr(swarm_node_drain, "read_state",
                        lambda c, **k: (list(client.services.values()), [], [client.node]))
    monkeypatch.setattr(swarm_node_drain, "plan_drain", lambda *a: plan)
    monkeypatch.setattr(swarm_node_drain, "describe_drain", lambda p: "moves")
    results = list(gates)
    monkeypatch.setattr(swarm_node_drain, "wait_for_services", lambda *a, **k: results.pop(0))
    monkeypatch.setattr(swarm_node_drain.time, "sleep", lambda seconds: None)


def test_a_move_that_fails_its_gate_puts_back_every_service_moved_and_leaves_the_node_active(monkeypatch):
    client = Client([service("demo_web"), service("demo_api")])
    # The pre-flight gate, then the gate of the two moves (made together) fails on demo_api.
    install(monkeypatch, client, [converged(True), converged(False)], ["demo_web", "demo_api"])
    with pytest.raises(SwarmOpsError) as excinfo:
        swarm_node_drain.NodeDrain(client).drain()
    assert str(excinfo.value).startswith("Moving demo_web, demo_api off worker1 failed; the services moved were put "
                                         "back and the node is still active:\nservice demo_api: task failed")
    assert client.excluded("id-demo_web") is None and client.excluded("id-demo_api") is None
    assert [p[1] for p in client.posted] == ["id-demo_web", "id-demo_api", "id-demo_web", "id-demo_api"]
    assert client.node["Spec"]["Availability"] == "active"


def test_the_services_to_move_move_together_and_one_gate_waits_for_all(monkeypatch):
    client = Client([service("demo_web"), service("demo_api")])
    gated = []
    install(monkeypatch, client, [converged(True), converged(True), converged(True)], ["demo_web", "demo_api"])
    results = [converged(True), converged(True), converged(True)]

    def wait(*args, **kwargs):
        gated.append(sorted(kwargs["names"]))
        return results.pop(0)

    monkeypatch.setattr(swarm_node_drain, "wait_for_services", wait)
    client.node["Status"] = {"State": "ready"}
    result = swarm_node_drain.NodeDrain(client).drain()
    # The pre-flight gate, the moves (both excluded before the one gate), then the constraints taken back, gated.
    assert gated == [["id-demo_api", "id-demo_web"]] * 3
    paths = [(p[0], p[1]) for p in client.posted]
    assert paths[:2] == [("/services/{0}/update", "id-demo_web"), ("/services/{0}/update", "id-demo_api")]
    assert paths[2] == ("/nodes/{0}/update", "node-w1")
    assert result["moved"] == ["demo_web", "demo_api"] and client.node["Spec"]["Availability"] == "drain"
    assert client.excluded("id-demo_web") is None and client.excluded("id-demo_api") is None


def test_services_not_converged_before_the_drain_stop_it_before_any_change(monkeypatch):
    client = Client([service("demo_web")])
    install(monkeypatch, client, [converged(False)], ["demo_web"])
    with pytest.raises(SwarmOpsError, match="^Not draining worker1: services to move are not converged and healthy now; "
                                            "nothing was changed"):
        swarm_node_drain.NodeDrain(client).drain()
    assert client.posted == []


def test_a_refused_plan_changes_nothing(monkeypatch):
    client = Client([service("demo_web")])
    install(monkeypatch, client, [], ["demo_web"])
    monkeypatch.setattr(swarm_node_drain, "plan_drain", lambda *a: {
        "node": "worker1", "moves": [], "problems": ["demo_web: no node left"], "remaining_nodes": []})
    with pytest.raises(SwarmOpsError) as excinfo:
        swarm_node_drain.NodeDrain(client).drain()
    assert "Refusing to drain worker1: the other active nodes (0: none) can not hold its tasks; nothing was changed." \
        in str(excinfo.value)
    assert excinfo.value.extra["plan"]["problems"] == ["demo_web: no node left"]
    assert client.posted == []


def test_a_rebalance_that_fails_its_gate_still_takes_its_forced_update_back(monkeypatch):
    client = Client([service("demo_api")], state="active")
    install(monkeypatch, client, [converged(False)], [])
    monkeypatch.setattr(swarm_node_drain, "plan_rebalance", lambda *a: [{"service_id": "id-demo_api", "service": "demo_api"}])
    with pytest.raises(SwarmOpsError, match="^Rebalancing demo_api failed"):
        swarm_node_drain.NodeDrain(client).activate()
    assert len(client.posted) == 2  # the forced update, then the spec put back
    forced, restored = (p[2] for p in client.posted)
    assert forced["UpdateConfig"]["Order"] == "start-first" and SAVED_LABEL in forced["Labels"]
    # Its own update settings and labels are back (the replacement counter stays: lowering it would update again).
    assert "UpdateConfig" not in restored and restored["Labels"] == {}


def test_a_rebalance_replaces_every_service_to_spread_at_once_and_takes_each_forced_update_back(monkeypatch):
    client = Client([service("demo_web"), service("demo_api")], state="active")
    install(monkeypatch, client, [converged(False)], [])
    monkeypatch.setattr(swarm_node_drain, "plan_rebalance", lambda *a: [
        {"service_id": "id-demo_web", "service": "demo_web"}, {"service_id": "id-demo_api", "service": "demo_api"}])
    with pytest.raises(SwarmOpsError, match="^Rebalancing demo_web, demo_api failed"):
        swarm_node_drain.NodeDrain(client).activate()
    # Both forced before the one gate, then both put back.
    assert [p[1] for p in client.posted] == ["id-demo_web", "id-demo_api", "id-demo_web", "id-demo_api"]
    assert all("UpdateConfig" not in client.services[i]["Spec"] for i in ("id-demo_web", "id-demo_api"))


def test_a_move_waiting_on_a_lost_node_is_started_again_once_per_task_waited_on(monkeypatch):
    client = Client([service("demo_web"), service("demo_api")])
    install(monkeypatch, client, [], ["demo_web", "demo_api"])
    stalled = [{}, {"id-demo_web": "task-on-worker2"}, {"id-demo_web": "task-on-worker2"}, {}]
    # Before the moves no service is moving: the pre-flight gate looks among none.
    monkeypatch.setattr(swarm_node_drain, "stalled_moves", lambda services, *a: stalled.pop(0) if services else {})
    watched = []

    def wait(*args, **kwargs):
        watched.append(kwargs.get("seen") is not None)
        if kwargs.get("seen") is not None:  # the moves' gate: it sees the swarm four times before it converges
            for _poll in range(4):
                kwargs["seen"](list(client.services.values()), [], [client.node])
        return converged(True)

    monkeypatch.setattr(swarm_node_drain, "wait_for_services", wait)
    result = swarm_node_drain.NodeDrain(client).drain()
    # The pre-flight gate looks only among moves an earlier run left going; not the gate after the constraints go.
    assert watched == [True, True, False]
    nudges = [p for p in client.posted if p[0] == "/services/{0}/update"
              and (p[2].get("Labels") or {}).get("io.swarmops.drain.nudge")]
    assert [(p[1], p[2]["Labels"]["io.swarmops.drain.nudge"]) for p in nudges] == [("id-demo_web", "1")]
    assert result["restarted"] == ["demo_web"] and result["moved"] == ["demo_web", "demo_api"]
    # The restore drops the nudge with the exclusion.
    assert "io.swarmops.drain.nudge" not in client.services["id-demo_web"]["Spec"]["Labels"]
    assert client.excluded("id-demo_web") is None


def test_a_nudge_the_engine_refuses_is_tried_again_at_the_next_read(monkeypatch):
    client = Client([service("demo_web")])
    install(monkeypatch, client, [], ["demo_web"])
    monkeypatch.setattr(swarm_node_drain, "stalled_moves",
                        lambda services, *a: {"id-demo_web": "task-on-worker2"} if services else {})
    refusals = [swarm_node_drain.DockerException("update out of sequence")]
    post = client.post_json

    def refuse_once(path, *args, data=None, params=None):
        if refusals and (data.get("Labels") or {}).get("io.swarmops.drain.nudge"):
            raise refusals.pop()
        post(path, *args, data=data, params=params)

    client.post_json = refuse_once

    def wait(*args, **kwargs):
        if kwargs.get("seen") is not None:
            for _poll in range(3):
                kwargs["seen"](list(client.services.values()), [], [client.node])
        return converged(True)

    monkeypatch.setattr(swarm_node_drain, "wait_for_services", wait)
    result = swarm_node_drain.NodeDrain(client).drain()
    nudges = [p for p in client.posted if (p[2].get("Labels") or {}).get("io.swarmops.drain.nudge")]
    assert len(nudges) == 1 and result["restarted"] == ["demo_web"]


def test_a_run_that_goes_on_after_its_manager_died_mid_move_starts_that_move_again_before_its_own(monkeypatch):
    """The pre-flight gate of a drain done again through another manager: the earlier attempt's move waits on the
    dead manager; it is started again (it carries the temporary exclusion), and no other service is touched."""
    moving = service("demo_web")
    moving["Spec"]["Labels"][EXCLUDED_LABEL] = "node-w1"
    client = Client([moving, service("demo_api")])
    install(monkeypatch, client, [], ["demo_web", "demo_api"])
    looked_at = []

    def stalled(services, *args):
        looked_at.append(sorted(s["ID"] for s in services))
        return {s["ID"]: f"task-of-{s['ID']}" for s in services}

    monkeypatch.setattr(swarm_node_drain, "stalled_moves", stalled)
    first = []

    def wait(*args, **kwargs):
        if not first:  # the pre-flight gate
            first.append(True)
            kwargs["seen"](list(client.services.values()), [], [client.node])
        return converged(True)

    monkeypatch.setattr(swarm_node_drain, "wait_for_services", wait)
    swarm_node_drain.NodeDrain(client).drain()
    assert looked_at[0] == ["id-demo_web"]
    nudges = [p[1] for p in client.posted if (p[2].get("Labels") or {}).get("io.swarmops.drain.nudge") == "1"]
    assert nudges[:1] == ["id-demo_web"] and "id-demo_api" not in nudges
