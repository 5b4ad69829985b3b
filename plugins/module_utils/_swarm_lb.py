# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module util is PRIVATE to the swarmops.ha collection: it is not a public
# API, and it may change or disappear without notice in any release.

"""Load balancer frontends and backends from the swarm's services and nodes.

The backends must not go stale between playbook runs: Swarm moves tasks by
itself, and the load balancer's health checks, not a list rendered at some
moment, decide which servers get traffic. So a backend lists every node that
may run a task of the service (its placement constraints match), and the
checks find where a task answers now. A port published in host mode answers
only where a task runs; one published through the ingress routing mesh
answers on every node. Nodes that are drained or paused stay listed, in
maintenance (out of rotation). Only a change of the node set (a node joins,
leaves or is relabelled) needs the backends rendered again.
Pure: no I/O.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_convergence import matching_nodes
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import (
    SwarmOpsError,
    node_availability,
    node_name,
    service_name,
)

_NAME = re.compile(r"[^A-Za-z0-9_.-]")


class BackendError(SwarmOpsError):
    pass


def node_address(node: dict) -> str:
    """The address other hosts reach the node on (a manager may report 0.0.0.0 in Status.Addr)."""
    address = (node.get("Status") or {}).get("Addr") or ""
    if address in ("", "0.0.0.0"):
        # No address to send traffic to is better than 0.0.0.0 (the load balancer itself).
        address = ((node.get("ManagerStatus") or {}).get("Addr") or "").rsplit(":", 1)[0]
    return address


def server_name(hostname: str) -> str:
    """The name of a node's servers in every backend (HAProxy allows letters, digits, '_', '.' and '-')."""
    return _NAME.sub("_", hostname)


def _host_ports(service: dict) -> list[int]:
    ports = ((service.get("Spec") or {}).get("EndpointSpec") or {}).get("Ports") or []
    return [int(p["PublishedPort"]) for p in ports
            if (p.get("Protocol") or "tcp").lower() == "tcp" and p.get("PublishedPort")
            and (p.get("PublishMode") or "ingress").lower() == "host"]


def _one_per_hostname(nodes: list) -> list:
    """One node per hostname: a host that left and joined again leaves an old entry (down) until it is removed."""
    chosen = {}
    for node in nodes:
        name = node_name(node)
        ready = ((node.get("Status") or {}).get("State") or "").lower() == "ready"
        if name not in chosen or (ready and not chosen[name][0]):
            chosen[name] = (ready, node)
    return [node for _ready, node in chosen.values()]


def _check_host_port_overlaps(services: list, nodes: list) -> None:
    """Two services on one host port must never be able to share a node: a check could pass on the other one."""
    seen = {}
    for service in sorted(services, key=service_name):
        for published in _host_ports(service):
            seen.setdefault(published, []).append((service_name(service), {n.get("ID") for n in matching_nodes(service, nodes)}))
    problems = []
    for published, users in sorted(seen.items()):
        for i, (first, first_nodes) in enumerate(users):
            for second, second_nodes in users[i + 1:]:
                shared = first_nodes & second_nodes
                if shared:
                    names = sorted(node_name(n) for n in nodes if n.get("ID") in shared)
                    problems.append(f"{first} and {second} both publish port {published} in host mode and may both "
                                    f"run on {', '.join(names)}")
    if problems:
        raise BackendError(
            "; ".join(problems) + ": a health check on such a node can not tell the two services apart. "
            "Give them placement constraints that no node satisfies for both, or publish different ports."
        )


def _port(value, service: str) -> int:
    number = _number(value)
    port = number if isinstance(number, int) else 0
    if not 0 < port < 65536:
        raise BackendError(f"{service}: bind_port {value!r} is not a TCP port")
    return port


# A stack may say how its service is balanced, in the service's (deploy) labels;
# the inventory's loadbalancer_service_options win over them.
LABEL_PREFIX = "io.swarmops.lb."


def label_settings(service: dict) -> dict:
    """The mode and check_path a service's labels set (io.swarmops.lb.mode, io.swarmops.lb.check_path)."""
    labels = (service.get("Spec") or {}).get("Labels") or {}
    return {key: labels[LABEL_PREFIX + key] for key in ("mode", "check_path") if labels.get(LABEL_PREFIX + key)}


def lb_frontends(services: list, nodes: list, only=None, options=None, addresses=None) -> list[dict]:
    """One frontend per published TCP port of each service, with its backend servers.

    The servers of a port published in host mode are the nodes whose attributes
    satisfy the service's placement constraints; of an ingress port, every node.
    Each server has ``maintenance`` true when its node is not active (drained
    or paused). Nodes without an address to reach them are left out.
    ``only``: service names to include (all services with a published port when empty).
    ``options``: per service name, ``mode`` (http or tcp), ``check_path`` and ``bind_port``
    (a mapping of published port to the port the load balancer listens on); they win over
    the service's labels io.swarmops.lb.mode and io.swarmops.lb.check_path.
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
    chosen = [s for s in sorted(services, key=service_name) if not wanted or service_name(s) in wanted]
    try:
        return _frontends(chosen, nodes, options, addresses)
    except ValueError as exc:  # a placement constraint that can not be read
        if isinstance(exc, BackendError):
            raise
        raise BackendError(str(exc)) from exc


def _frontends(chosen: list, nodes: list, options: dict, addresses: dict) -> list[dict]:
    _check_host_port_overlaps(chosen, nodes)
    frontends = []
    for service in chosen:
        name = service_name(service)
        ports = ((service.get("Spec") or {}).get("EndpointSpec") or {}).get("Ports") or []
        settings = {**label_settings(service), **(options.get(name) or {})}
        mode = settings.get("mode", "http")
        if mode not in ("http", "tcp"):
            raise BackendError(f"{name}: mode must be http or tcp, not {mode!r}")
        for port in ports:
            if (port.get("Protocol") or "tcp").lower() != "tcp" or not port.get("PublishedPort"):
                continue
            published = int(port["PublishedPort"])
            publish_mode = (port.get("PublishMode") or "ingress").lower()
            members = _one_per_hostname(matching_nodes(service, nodes) if publish_mode == "host" else list(nodes))
            servers = sorted(
                ({"name": server_name(node_name(n)),
                  "address": addresses.get(node_name(n)) or node_address(n),
                  "port": published,
                  "maintenance": node_availability(n) != "active"} for n in members),
                key=lambda s: s["name"],
            )
            names = [s["name"] for s in servers]
            twins = sorted({n for n in names if names.count(n) > 1})
            if twins:
                clashing = sorted(node_name(n) for n in members if server_name(node_name(n)) in twins)
                raise BackendError(f"{name}: nodes {', '.join(clashing)} would all be server {', '.join(twins)}: give "
                                   "the nodes hostnames that differ in more than the characters HAProxy does not allow")
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


# -- the load balancers' own settings ---------------------------------------------------------------------------
ADDRESS_VARS = ("loadbalancer_vrrp_address", "swarm_advertise_addr", "ansible_host")


def address_vars(variables) -> dict:
    """What ``host_address`` reads, from one host's variables (``hostvars[host]``, its facts included)."""
    found = {key: variables.get(key) or "" for key in ADDRESS_VARS}
    facts = variables.get("ansible_facts") or {}
    default = facts.get("default_ipv4") if hasattr(facts, "get") else None
    found["default_ipv4"] = variables.get("default_ipv4") or (default.get("address") if hasattr(default, "get") else "") or ""
    return found


def host_address(host_vars: dict) -> str:
    """The address a load balancer host is reached on for VRRP, from what the inventory (or its facts) says.

    ``host_vars``: ``loadbalancer_vrrp_address``, ``swarm_advertise_addr``,
    ``ansible_host`` (used when it is an IPv4 address) and ``default_ipv4``
    (the address of the default route's interface, from facts). The first that
    is set wins; empty when none is known.
    """
    for key in ("loadbalancer_vrrp_address", "swarm_advertise_addr", "ansible_host", "default_ipv4"):
        value = host_vars.get(key) or ""
        if isinstance(value, str) and value and (key != "ansible_host" or _ipv4(value) is not None):
            return value
    return ""


def _ipv4(value):
    try:
        return ipaddress.IPv4Address(value)
    except (ipaddress.AddressValueError, ValueError, TypeError):
        return None


def _number(value):
    """An int or float, also from its text (extra vars given with -e are strings); None for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        for kind in (int, float):
            try:
                return kind(value.strip())
            except ValueError:
                continue
    return None


def _int_in(value, low, high) -> bool:
    number = _number(value)
    return isinstance(number, int) and low <= number <= high


def vrrp_peers(lb_hosts: list, host_vars: dict) -> dict:
    """Each load balancer host's VRRP priority, own address and peers, from the whole inventory group.

    Priorities follow the sorted host names (200, 190, ...), so that a run
    limited to some of the hosts writes the same configuration as a full run.
    Returns ``{"hosts": {host: {"priority", "address", "peers"}}, "errors": [...]}``;
    an address that is not known (a host outside the play whose inventory does
    not name its address) is an error, never an empty peer.
    """
    hosts = sorted(lb_hosts)
    addresses = {h: host_address(host_vars.get(h) or {}) for h in hosts}
    errors = []
    unknown = [h for h in hosts if not addresses[h]]
    if unknown:
        errors.append(
            f"the VRRP address of {', '.join(unknown)} is not known: set loadbalancer_vrrp_address (or "
            "swarm_advertise_addr) for it in the inventory (a run limited to some hosts, or with a host that does not "
            "answer, has no facts of the others)")
    for host in hosts:
        if addresses[host] and _ipv4(addresses[host]) is None:
            errors.append(f"the VRRP address of {host} is {addresses[host]!r}, not an IPv4 address: set "
                          "loadbalancer_vrrp_address (or swarm_advertise_addr) to the address, without a port")
    for address in sorted(set(addresses.values()) - {""}):
        sharing = [h for h in hosts if addresses[h] == address]
        if len(sharing) > 1:
            errors.append(f"{', '.join(sharing)} have the same VRRP address {address}")
    if len(hosts) > 20:
        errors.append(f"{len(hosts)} load balancer hosts: VRRP priorities are given for 20 at most")
    result = {}
    for index, host in enumerate(hosts):
        result[host] = {
            "priority": 200 - 10 * index,
            "address": addresses[host],
            "peers": [addresses[h] for h in hosts if h != host and addresses[h]],
        }
    return {"hosts": result, "errors": errors}


def check_lb_settings(settings: dict, lb_hosts: list, host_vars: dict) -> list[str]:
    """Why the load balancer settings must not be used: one message per problem, naming the variable and value.

    ``settings``: the role's variables (``loadbalancer_vip``, ``loadbalancer_vip_prefix``,
    ``loadbalancer_vrrp_router_id``, ``loadbalancer_vrrp_advert_int``,
    ``loadbalancer_vrrp_password``, ``loadbalancer_check_fall``, ``loadbalancer_check_rise``,
    ``loadbalancer_service_options``, ``loadbalancer_stats_bind``, ``loadbalancer_metrics_bind``).
    ``lb_hosts``: the load balancer group; ``host_vars``: per inventory host, what
    host_address reads. The virtual address must lie in the subnet of every load
    balancer host whose address is known, and be no host's own address.
    """
    errors = []
    prefix = settings.get("loadbalancer_vip_prefix")
    if not _int_in(prefix, 1, 32):
        errors.append(f"loadbalancer_vip_prefix is {prefix!r}: it must be a number from 1 to 32")
    vip = settings.get("loadbalancer_vip") or ""
    if vip:
        address = _ipv4(vip)
        if address is None:
            errors.append(f"loadbalancer_vip is {vip!r}: it must be an IPv4 address such as 192.0.2.10")
        else:
            owners = sorted(h for h, v in host_vars.items() if host_address(v or {}) == vip
                            or (v or {}).get("ansible_host") == vip)
            if owners:
                errors.append(f"loadbalancer_vip is {vip}, the address of {', '.join(owners)}: "
                              "the virtual address must be one no host has")
            if _int_in(prefix, 1, 30):
                network = ipaddress.IPv4Network(f"{address}/{_number(prefix)}", strict=False)
                if address in (network.network_address, network.broadcast_address):
                    errors.append(f"loadbalancer_vip {vip} is the {'network' if address == network.network_address else 'broadcast'} "
                                  f"address of {network}: it must be an address a host can hold")
            if _int_in(prefix, 1, 32):
                outside = []
                for host in sorted(lb_hosts):
                    own = _ipv4(host_address(host_vars.get(host) or {}))
                    if own is not None and address not in ipaddress.IPv4Network(f"{own}/{_number(prefix)}", strict=False):
                        outside.append(f"{host} ({own}/{prefix})")
                if outside:
                    errors.append(f"loadbalancer_vip {vip} is outside the subnet of {', '.join(outside)}: the "
                                  "virtual address must be on the load balancers' own network")
        router_id = settings.get("loadbalancer_vrrp_router_id")
        if not _int_in(router_id, 1, 255):
            errors.append(f"loadbalancer_vrrp_router_id is {router_id!r}: it must be a number from 1 to 255")
        advert = settings.get("loadbalancer_vrrp_advert_int")
        if not _int_in(advert, 1, 255):
            # keepalived speaks VRRPv2 here, whose advert interval is whole seconds.
            errors.append(f"loadbalancer_vrrp_advert_int is {advert!r}: it must be a whole number of seconds from 1 "
                          "to 255")
        password = settings.get("loadbalancer_vrrp_password")
        if isinstance(password, (int, float)) and not isinstance(password, bool):
            password = str(password)  # a password of digits, written without quotes
        if not isinstance(password, str):
            errors.append("loadbalancer_vrrp_password is not set to a text: VRRP needs 1 to 8 characters")
        elif not 1 <= len(password) <= 8:
            errors.append(f"loadbalancer_vrrp_password has {len(password)} characters: VRRP uses 1 to 8 characters "
                          "(a longer one would be cut without a word)")
    for name in ("loadbalancer_check_fall", "loadbalancer_check_rise"):
        value = settings.get(name)
        if not _int_in(value, 1, 1000):
            errors.append(f"{name} is {value!r}: it must be a number from 1 to 1000")
    pages = {name: settings.get(name) for name in ("loadbalancer_stats_bind", "loadbalancer_metrics_bind")}
    errors.extend(_page_problems(pages))
    errors.extend(_bind_port_problems(settings.get("loadbalancer_service_options"), pages))
    return errors


def _page_port(bind) -> int | None:
    """The port of an ADDRESS:PORT (or :PORT) bind, None when it has none."""
    port = str(bind or "").rsplit(":", 1)[-1] if ":" in str(bind or "") else ""
    return int(port) if port.isdigit() and 0 < int(port) < 65536 else None


def _page_problems(pages: dict) -> list[str]:
    """HAProxy's own pages (statistics, Prometheus metrics): ADDRESS:PORT each, on ports of their own."""
    errors = []
    for name, bind in pages.items():
        if bind in (None, ""):
            continue
        if not isinstance(bind, str) or _page_port(bind) is None:
            errors.append(f"{name} is {bind!r}: it must be ADDRESS:PORT (such as 192.0.2.10:8405), or empty for none")
    stats, metrics = (pages.get("loadbalancer_stats_bind"), pages.get("loadbalancer_metrics_bind"))
    if stats and metrics and _page_port(stats) is not None and _page_port(stats) == _page_port(metrics):
        errors.append(f"loadbalancer_metrics_bind {metrics} and loadbalancer_stats_bind {stats} use the same port: "
                      "each page needs a port of its own")
    return errors


def _bind_port_problems(options, pages: dict) -> list[str]:
    if options in (None, ""):
        return []
    if not isinstance(options, dict):
        return [f"loadbalancer_service_options is a {type(options).__name__}: it must map service names to settings"]
    errors, used = [], {}
    for service in sorted(options, key=str):
        settings = options[service] or {}
        if not isinstance(settings, dict):
            errors.append(f"loadbalancer_service_options.{service} must be a mapping (mode, check_path, bind_port)")
            continue
        binds = settings.get("bind_port") or {}
        if not isinstance(binds, dict):
            errors.append(f"loadbalancer_service_options.{service}.bind_port must map published ports to listen ports")
            continue
        for published, listen in binds.items():
            number = _number(listen)
            port = number if isinstance(number, int) else 0
            if not 0 < port < 65536:
                errors.append(f"loadbalancer_service_options.{service}.bind_port.{published} is {listen!r}: "
                              "it must be a TCP port (1 to 65535)")
                continue
            used.setdefault(port, []).append(f"{service}:{published}")
    for port, users in sorted(used.items()):
        if len(users) > 1:
            errors.append(f"loadbalancer_service_options binds port {port} more than once ({', '.join(users)}): "
                          "each bind_port must be unique")
        for name, bind in pages.items():
            if isinstance(bind, str) and _page_port(bind) == port:
                errors.append(f"loadbalancer_service_options binds port {port} ({', '.join(users)}), the port of "
                              f"{name} {bind}")
    return errors
