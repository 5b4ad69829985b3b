# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The monitoring role's decisions: which settings can be used, and what Prometheus scrapes.

Pure functions over plain data (the role's variables, hostvars), unit-tested.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t
import urllib.parse

# Prometheus' and Alertmanager's duration syntax: 1d, 90s, 1h30m, 500ms.
_DURATION = re.compile(r"^(?:\d+(?:ms|s|m|h|d|w|y))+$")
_WILDCARDS = ("", "0.0.0.0", "[::]", "::", "*")

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}

DURATIONS = (
    "monitoring_alertmanager_peer_timeout",
    "monitoring_retention",
    "monitoring_scrape_interval",
    "monitoring_evaluation_interval",
    "monitoring_group_wait",
    "monitoring_group_interval",
    "monitoring_repeat_interval",
    "monitoring_watchdog_repeat_interval",
)
PORTS = ("monitoring_prometheus_port", "monitoring_alertmanager_port")
REPLICAS = ("monitoring_prometheus_replicas", "monitoring_alertmanager_replicas")
URLS = ("monitoring_webhook_url", "monitoring_watchdog_url")


def seconds(duration: str) -> float:
    """Seconds of a Prometheus duration (1h30m: 5400.0)."""
    if not isinstance(duration, str) or not _DURATION.match(duration):
        raise ValueError(f"not a duration: {duration!r}")
    return sum(int(number) * _UNITS[unit] for number, unit in re.findall(r"(\d+)(ms|s|m|h|d|w|y)", duration))


def _url_problem(name: str, value: t.Any) -> str | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        return f"{name} is {value!r}: it must be an http:// or https:// URL, or empty for none"
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{name} is {value!r}: it must be an http:// or https:// URL with a host, or empty for none"
    return None


def errors_named(errors: list[str]) -> list[str]:
    """The variable each problem is about (its first word)."""
    return [error.split(" ", 1)[0] for error in errors]


def _integer(value: t.Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def check_settings(settings: t.Mapping[str, t.Any]) -> list[str]:
    """One sentence per monitoring setting that can not be used; empty when all can."""
    errors = []
    for name in DURATIONS:
        if name in settings and not (isinstance(settings[name], str) and _DURATION.match(settings[name])
                                     and re.search(r"[1-9]", settings[name])):
            errors.append(f"{name} is {settings[name]!r}: it must be a duration above 0 such as 30s, 5m, 15d")
    # A cluster member sends what the members before it have not sent after its
    # position x the peer timeout: a group that changes faster than that would be
    # sent again by the next member, its older notification no longer the last one.
    bad = set(errors_named(errors))
    group, peer = settings.get("monitoring_group_interval"), settings.get("monitoring_alertmanager_peer_timeout")
    compared = {"monitoring_group_interval", "monitoring_alertmanager_peer_timeout"}
    if group is not None and peer is not None and not compared & bad and seconds(group) <= seconds(peer):
        errors.append(f"monitoring_group_interval {group} must be longer than monitoring_alertmanager_peer_timeout "
                      f"{peer}: the Alertmanager members would send a changing group's notifications twice")
    for name in URLS:
        problem = _url_problem(name, settings.get(name))
        if problem:
            errors.append(problem)
    for name in REPLICAS:
        if name in settings and (_integer(settings[name]) or 0) < 1:
            errors.append(f"{name} is {settings[name]!r}: it must be 1 or more "
                          "(2 on different nodes keep it watching when one node is lost)")
    ports = {}
    for name in PORTS:
        if name not in settings:
            continue
        port = _integer(settings[name])
        if port is None or not 0 < port < 65536:
            errors.append(f"{name} is {settings[name]!r}: it must be a TCP port (1 to 65535)")
        else:
            ports.setdefault(port, []).append(name)
    for port, names in sorted(ports.items()):
        if len(names) > 1:
            errors.append(f"{' and '.join(names)} are both {port}: each needs a port of its own")
    targets = settings.get("monitoring_probe_targets", [])
    if not isinstance(targets, list):
        errors.append(f"monitoring_probe_targets is {targets!r}: it must be a list of URLs")
    else:
        errors += [problem for problem in (_url_problem("monitoring_probe_targets item", target) or
                                           ("monitoring_probe_targets has an empty item" if target in (None, "") else None)
                                           for target in targets) if problem]
    return errors


def _split(bind: str) -> tuple[str, int] | None:
    host, colon, port = bind.rpartition(":")
    if not colon or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host, int(port)


def _own_address(variables: t.Mapping, host: str) -> str:
    """The host's address: swarm_advertise_addr when it is an IP address (a port after it dropped), else ansible_host."""
    advertise = str(variables.get("swarm_advertise_addr") or "")
    for candidate in (advertise, advertise.rpartition(":")[0]):
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return str(variables.get("ansible_host") or host)


def scrape_targets(host_vars: t.Mapping[str, t.Mapping], hosts: t.Iterable[str], key: str) -> list[str]:
    """ADDRESS:PORT to scrape per host whose variable key says where an endpoint listens.

    A wildcard address (empty, 0.0.0.0, [::]) is replaced by the host's own
    (swarm_advertise_addr, else ansible_host); a loopback one is left out, no
    other machine can reach it. Hosts without the variable are left out.
    """
    targets = []
    for host in hosts:
        variables = host_vars.get(host) or {}
        bind = variables.get(key)
        if not isinstance(bind, str) or not bind:
            continue
        split = _split(bind)
        if split is None:
            continue
        address, port = split
        if address in _WILDCARDS:
            address = _own_address(variables, host)
        try:
            if ipaddress.ip_address(address.strip("[]")).is_loopback:
                continue
        except ValueError:
            if address == "localhost":
                continue
        target = f"{address}:{port}"
        if target not in targets:
            targets.append(target)
    return targets
