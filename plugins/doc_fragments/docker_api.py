# Copyright (c) 2026 swarmops.ha contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # The connection options of community.docker's Docker API client, which the
    # modules of this collection use (plugins/module_utils/_docker_client.py).
    # community.docker 4.x and 5.x name their own fragment differently, so the
    # collection documents the options itself; names, types, defaults and
    # aliases must stay those of the client's argument spec.
    DOCUMENTATION = r"""
options:
  docker_host:
    description:
      - Where the Docker API answers, as a URL or a Unix socket path, for example V(unix:///var/run/docker.sock) or
        V(tcp://192.0.2.10:2376). With TLS, C(tcp) is taken as C(https).
      - When not set in the task, E(DOCKER_HOST) is used, then the default.
    type: str
    default: unix:///var/run/docker.sock
    aliases:
      - docker_url
  tls_hostname:
    description:
      - The name the Docker host's TLS certificate must carry.
      - When not set in the task, E(DOCKER_TLS_HOSTNAME) is used.
    type: str
  api_version:
    description:
      - The Docker API version to speak; V(auto) takes the newest both sides know.
      - When not set in the task, E(DOCKER_API_VERSION) is used, then the default.
    type: str
    default: auto
    aliases:
      - docker_api_version
  timeout:
    description:
      - Seconds to wait for an answer to each Docker API call.
      - When not set in the task, E(DOCKER_TIMEOUT) is used, then the default.
    type: int
    default: 60
  ca_path:
    description:
      - A CA certificate file to check the Docker host's certificate with.
      - When not set and E(DOCKER_CERT_PATH) is, C(ca.pem) in that directory is used.
    type: path
    aliases:
      - ca_cert
      - tls_ca_cert
      - cacert_path
  client_cert:
    description:
      - The client's TLS certificate file.
      - When not set and E(DOCKER_CERT_PATH) is, C(cert.pem) in that directory is used.
    type: path
    aliases:
      - tls_client_cert
      - cert_path
  client_key:
    description:
      - The client's TLS key file.
      - When not set and E(DOCKER_CERT_PATH) is, C(key.pem) in that directory is used.
    type: path
    aliases:
      - tls_client_key
      - key_path
  tls:
    description:
      - Use TLS without checking who the Docker host is. O(validate_certs=true) takes precedence.
      - When not set in the task, E(DOCKER_TLS) is used, then the default.
    type: bool
    default: false
  use_ssh_client:
    description:
      - For C(ssh://) hosts, use the C(ssh) command instead of paramiko.
    type: bool
    default: false
  validate_certs:
    description:
      - Use TLS and check the Docker host's certificate.
      - When not set in the task, E(DOCKER_TLS_VERIFY) is used, then the default.
    type: bool
    default: false
    aliases:
      - tls_verify
  debug:
    description:
      - Debug output of the API client.
    type: bool
    default: false
requirements:
  - community.docker >= 4.0.0, < 6.0.0 (its Docker API client; the C(ansible) package carries it)
  - requests (Python, where the module runs)
notes:
  - The modules talk to the Docker API with community.docker's own client, not the Docker SDK for Python.
"""
