# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""Thin reads and writes of swarm objects through community.docker's API client."""

from __future__ import annotations

import json
import time

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import wait_for_convergence

STACK_LABEL = "com.docker.stack.namespace"


def list_services(client, stack=None, names=None):
    """Services of a stack, or the named ones (name or ID), or all of them."""
    params = {}
    if stack:
        params["filters"] = json.dumps({"label": [f"{STACK_LABEL}={stack}"]})
    services = client.get_json("/services", params=params) or []
    if names:
        wanted = set(names)
        services = [s for s in services if s.get("ID") in wanted or (s.get("Spec") or {}).get("Name") in wanted]
    return services


def list_tasks(client, service_ids):
    if not service_ids:
        return []
    return client.get_json("/tasks", params={"filters": json.dumps({"service": list(service_ids)})}) or []


def list_nodes(client):
    return client.get_json("/nodes") or []


def read_state(client, stack=None, names=None):
    services = list_services(client, stack=stack, names=names)
    return services, list_tasks(client, [s["ID"] for s in services]), list_nodes(client)


def wait_for_services(client, params, stack=None, names=None, **options):
    """Poll the services until converged, failed or out of time, with the modules' wait options.

    ``params`` holds ``wait_timeout``, ``poll_interval`` and ``min_healthy_time``;
    ``options`` go to wait_for_convergence (stop_on_failure, accept_rollback, attempt_since).
    """
    return wait_for_convergence(
        read=lambda: read_state(client, stack=stack, names=names),
        timeout=params["wait_timeout"],
        poll_interval=params["poll_interval"],
        min_healthy_time=params["min_healthy_time"],
        clock=time.monotonic,
        sleep=time.sleep,
        wall_clock=time.time,
        **options,
    )


def rollback_service(client, service):
    """Ask the engine to put the service back on its previous spec."""
    client.post_json(
        "/services/{0}/update",
        service["ID"],
        data=service["Spec"],
        params={"version": service["Version"]["Index"], "rollback": "previous"},
    )


def remove_service(client, service):
    client.delete_call("/services/{0}", service["ID"])
