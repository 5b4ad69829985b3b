# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The hosts' swarm state and the manager to work through; the documentation lives in swarm_hosts.yml, swarm_manager.yml,
swarm_manager_lost.yml, swarm_managers_left.yml, swarm_not_root.yml, swarm_role.yml and swarm_unobserved.yml."""

from __future__ import annotations

from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.swarmops.ha.plugins.module_utils._swarm_observe import (
    OBSERVED_VAR,
    choose_manager,
    explain,
    host_swarm,
    manager_lost,
    managers_left,
    not_root,
    qualifying_managers,
    role_of,
)
from ansible_collections.swarmops.ha.plugins.module_utils._swarm_objects import SwarmOpsError


def _hosts(name, value):
    # -e 'x=manager1' gives a string: one host.
    if isinstance(value, str):
        return [value] if value else []
    if value is None:
        return []
    if not isinstance(value, (list, tuple)) or not all(isinstance(h, str) for h in value):
        raise AnsibleFilterError(f"{name} must be a list of inventory hostnames, got {value!r}")
    return list(value)


def _observations(hostvars, hosts):
    """({host: swarm section} of the hosts that answered, [hosts never observed])."""
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(f"the input must be hostvars, got {type(hostvars).__name__}")
    swarms, unobserved = {}, []
    for host in hosts:
        result = (hostvars[host] if host in hostvars else {}).get(OBSERVED_VAR)
        if result is None:
            unobserved.append(host)
        swarm = host_swarm(result)
        if swarm is not None:
            swarms[host] = swarm
    return swarms, unobserved


def swarm_hosts(hostvars, hosts):
    """{host: its swarm section, or None when it did not answer}."""
    hosts = _hosts("hosts", hosts)
    swarms, _unobserved = _observations(hostvars, hosts)
    return {host: swarms.get(host) for host in hosts}


def swarm_unobserved(hostvars, hosts):
    """The hosts that have no observation yet in this run, in order."""
    hosts = _hosts("hosts", hosts)
    return _observations(hostvars, hosts)[1]


def swarm_manager(hostvars, candidates, exclude=None, avoid=None, quorum=True):
    """{host: the manager to work through ('' when none qualifies), why: the reasons of the refused candidates}."""
    candidates = _hosts("candidates", candidates)
    try:
        quorum = boolean(quorum, strict=True)
    except TypeError as exc:
        raise AnsibleFilterError(f"swarm_manager: quorum must be a boolean, got {quorum!r}") from exc
    swarms, unobserved = _observations(hostvars, candidates)
    options = {"exclude": _hosts("exclude", exclude), "avoid": _hosts("avoid", avoid), "quorum": quorum,
               "unobserved": unobserved}
    host, reasons = choose_manager(candidates, swarms, **options)
    if not candidates:
        reasons = {"the candidate list": "is empty"}
    return {"host": host or "", "why": explain(reasons), "hosts": qualifying_managers(candidates, swarms, **options)[0]}


def swarm_manager_lost(result):
    """Why a step through a manager got no answer from it; '' when it answered (even with a refusal)."""
    if not isinstance(result, Mapping):
        raise AnsibleFilterError(f"swarm_manager_lost expects a registered result, got {type(result).__name__}")
    return manager_lost(result)


def swarm_managers_left(step, managers):
    """The managers to go on through after a step that tried them in turn; fails when none answered."""
    if not isinstance(step, Mapping):
        raise AnsibleFilterError(f"swarm_managers_left expects a registered result, got {type(step).__name__}")
    try:
        return managers_left(step, _hosts("managers", managers))
    except SwarmOpsError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def swarm_not_root(hostvars, hosts, result_var="_site_root"):
    """{host: why it can not do the roles' work as root} of the hosts that can not, from each one's id -u with become."""
    if not isinstance(hostvars, Mapping):
        raise AnsibleFilterError(f"swarm_not_root: the input must be hostvars, got {type(hostvars).__name__}")
    refusals = {}
    for host in _hosts("hosts", hosts):
        result = (hostvars[host] if host in hostvars else {}).get(result_var)
        if result is not None and not isinstance(result, Mapping):
            raise AnsibleFilterError(f"swarm_not_root: {result_var} of {host} must be a registered result, got "
                                     f"{type(result).__name__}")
        why = not_root(result)
        if why:
            refusals[host] = why
    return refusals


def swarm_role(result):
    """manager, worker, inactive, pending, locked, error or unanswered, from one docker_host_info result."""
    if result is not None and not isinstance(result, Mapping):
        raise AnsibleFilterError(f"swarm_role expects a docker_host_info result, got {type(result).__name__}")
    return role_of(host_swarm(result))


class FilterModule:
    def filters(self):
        return {
            "swarm_hosts": swarm_hosts,
            "swarm_manager": swarm_manager,
            "swarm_manager_lost": swarm_manager_lost,
            "swarm_managers_left": swarm_managers_left,
            "swarm_not_root": swarm_not_root,
            "swarm_role": swarm_role,
            "swarm_unobserved": swarm_unobserved,
        }
