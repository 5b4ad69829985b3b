# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""Load balancer frontends and backends from the swarm's services, tasks and nodes.

A port published in host mode answers only on the nodes that run a task of the
service; one published through the ingress routing mesh answers on every node.
Pure: no I/O.
"""

from __future__ import annotations

import re

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import service_name

_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class BackendError(ValueError):
    pass


def node_address(node: dict) -> str:
    """The address other hosts reach the node on (a manager may report 0.0.0.0 in Status.Addr)."""
    address = (node.get("Status") or {}).get("Addr") or ""
    if address in ("", "0.0.0.0"):
        # No address to send traffic to is better than 0.0.0.0 (the load balancer itself).
        address = ((node.get("ManagerStatus") or {}).get("Addr") or "").rsplit(":", 1)[0]
    return address


def _node_name(node: dict) -> str:
    return (node.get("Description") or {}).get("Hostname") or node.get("ID") or "?"


def _port(value, service: str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536:
        raise BackendError(f"{service}: bind_port {value!r} is not a TCP port")
    return port


def lb_frontends(services: list, tasks: list, nodes: list, only=None, options=None, addresses=None) -> list[dict]:
    """One frontend per published TCP port of each service, with its backend servers.

    ``only``: service names to include (all services with a published port when empty).
    ``options``: per service name, ``mode`` (http or tcp), ``check_path`` and ``bind_port``
    (a mapping of published port to the port the load balancer listens on).
    ``addresses``: per node hostname, the address to use instead of the swarm's.
    """
    options = options or {}
    addresses = addresses or {}
    if not isinstance(options, dict) or not isinstance(addresses, dict):
        raise BackendError("options and addresses must be mappings keyed by service name and node hostname")
    if only is not None and not isinstance(only, (list, tuple)):
        raise BackendError(f"services must be a list of service names, not {type(only).__name__}")
    bad = sorted(str(name) for name, value in options.items() if value is not None and not isinstance(value, dict))
    if bad:
        raise BackendError(f"options of {', '.join(bad)} must be mappings (mode, check_path, bind_port)")
    wanted = set(only or [])
    known = {service_name(s) for s in services}
    missing = sorted(wanted - known)
    if missing:
        raise BackendError(f"No service named {', '.join(missing)} in the swarm (services: {', '.join(sorted(known))})")
    nodes_by_id = {n.get("ID"): n for n in nodes}
    frontends = []
    for service in sorted(services, key=service_name):
        name = service_name(service)
        if wanted and name not in wanted:
            continue
        ports = ((service.get("Spec") or {}).get("EndpointSpec") or {}).get("Ports") or []
        settings = options.get(name) or {}
        mode = settings.get("mode", "http")
        if mode not in ("http", "tcp"):
            raise BackendError(f"{name}: mode must be http or tcp, not {mode!r}")
        running_nodes = sorted({
            t.get("NodeID") for t in tasks
            if t.get("ServiceID") == service.get("ID") and (t.get("DesiredState") or "").lower() == "running"
            and ((t.get("Status") or {}).get("State") or "").lower() == "running"
        } - {None})
        for port in ports:
            if (port.get("Protocol") or "tcp").lower() != "tcp" or not port.get("PublishedPort"):
                continue
            published = int(port["PublishedPort"])
            publish_mode = (port.get("PublishMode") or "ingress").lower()
            if publish_mode == "host":
                members = [nodes_by_id[i] for i in running_nodes if i in nodes_by_id]
            else:
                members = list(nodes)
            servers = sorted(
                ({"name": _NAME.sub("_", _node_name(n)),
                  "address": addresses.get(_node_name(n)) or node_address(n),
                  "port": published} for n in members),
                key=lambda s: s["name"],
            )
            bind_ports = settings.get("bind_port") or {}
            if not isinstance(bind_ports, dict):
                raise BackendError(f"{name}: bind_port must map published ports to listen ports")
            frontends.append({
                "name": _NAME.sub("_", f"{name}_{published}"),
                "service": name,
                "published_port": published,
                "bind_port": _port(bind_ports.get(published, bind_ports.get(str(published), published)), name),
                "publish_mode": publish_mode,
                "mode": mode,
                "check_path": settings.get("check_path", "/"),
                "servers": [s for s in servers if s["address"]],
            })
    binds = [f["bind_port"] for f in frontends]
    clashes = sorted({p for p in binds if binds.count(p) > 1})
    if clashes:
        raise BackendError(f"Two frontends would listen on port(s) {clashes}: set bind_port for one of the services")
    return frontends
