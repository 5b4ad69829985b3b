# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""Thin reads and writes of swarm objects through community.docker's API client."""

from __future__ import annotations

import json
import time

from ansible_collections.swarmops.ha.plugins.module_utils._docker_client import DockerException, RequestException
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import (
    service_image,
    running_health,
    service_watch,
    stop_grace_period,
    service_window,
    wait_for_convergence,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import STACK_LABEL, service_name


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


class ImageHealth:
    """The health checks of images (HEALTHCHECK in their Dockerfile, in the API's shape), read on this node once each."""

    def __init__(self, client):
        self.client = client
        self.known = {}

    def __call__(self, image):
        image = (image or "").split("@", 1)[0]
        if image not in self.known:
            try:
                config = (self.client.get_json("/images/{0}/json", image) or {}).get("Config") or {}
            except (DockerException, RequestException):  # an image this node lacks: no known health check
                config = {}
            self.known[image] = config.get("Healthcheck") or None
        return self.known[image]


def healthy_times(client, explicit=None):
    """Seconds each task must have run before it counts: ``explicit`` for all, or per service the gate's watch
    from its own health check (the spec's, else its image's), as a callable for wait_for_convergence."""
    if explicit is not None:
        return explicit
    images = ImageHealth(client)
    return lambda services: {service_name(s): service_watch(s, images(service_image(s))) for s in services}


def health_windows(client, services, explicit=None):
    """Per service, what the gate waits and why: ``window`` (checks must keep passing), ``watch`` (how long each
    new task is watched) and the ``health_check`` that runs (seconds; None when there is none)."""
    images = ImageHealth(client)
    result = {}
    for service in services:
        health = running_health(service, images(service_image(service)))
        window = service_window(service, images(service_image(service)))
        result[service_name(service)] = {
            "window": float(explicit) if explicit is not None else window,
            "watch": float(explicit) if explicit is not None else service_watch(service, images(service_image(service))),
            "health_check": health,
            "stop_grace": stop_grace_period(service),
        }
    return result


def wait_for_services(client, params, stack=None, names=None, seen=None, **options):
    """Poll the services until converged, failed or out of time, with the modules' wait options.

    ``params`` holds ``wait_timeout``, ``poll_interval`` and ``min_healthy_time``
    (None: from each service's health check); ``seen``, when given, is called
    with each state read (services, tasks, nodes) before it is judged;
    ``options`` go to wait_for_convergence (stop_on_failure, accept_rollback,
    attempt_since).
    """
    def read():
        state = read_state(client, stack=stack, names=names)
        if seen is not None:
            seen(*state)
        return state

    return wait_for_convergence(
        read=read,
        timeout=params["wait_timeout"],
        poll_interval=params["poll_interval"],
        min_healthy_time=healthy_times(client, params["min_healthy_time"]),
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
