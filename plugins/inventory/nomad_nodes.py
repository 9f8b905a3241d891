# -*- coding: utf-8 -*-
# Copyright: (c) 2026, edgeops.nomad maintainers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: nomad_nodes
short_description: Nomad client nodes as inventory hosts
version_added: 0.1.0
description:
  - Reads Nomad's node list (C(GET /v1/nodes?os=true), following pagination) and makes every node a
    host, with C(ansible_host) set to the node's address.
  - Groups by node pool (C(nomad_pool_<pool>)), datacenter (C(nomad_dc_<dc>)), node class
    (C(nomad_class_<class>)), status (C(nomad_status_<status>)), OS (C(nomad_os_<os.name>)),
    platform (C(nomad_platform_windows), C(nomad_platform_linux); Windows nodes report a product
    name such as C(Microsoft Windows Server 2022 Datacenter) as C(os.name)) and,
    with O(details=true), CPU architecture (C(nomad_arch_<cpu.arch>)); plus the usual
    O(keyed_groups), O(groups) and O(compose).
  - The file name must end with C(nomad_nodes.yml) or C(nomad_nodes.yaml).
author:
  - edgeops.nomad maintainers (@edgeops)
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
  - edgeops.nomad.nomad.retries
options:
  plugin:
    description: Marks this file as an inventory of this plugin.
    type: str
    required: true
    choices: [edgeops.nomad.nomad_nodes]
  url:
    description: Nomad HTTP API address. If not set, E(NOMAD_ADDR) is used, then V(http://127.0.0.1:4646).
    type: str
  token:
    description: ACL token with C(node:read). Prefer the environment variable over writing it in the file. If not set, E(NOMAD_TOKEN) is used.
    type: str
  ca_cert:
    description: CA certificate (PEM) of the agent's HTTPS certificate. If not set, E(NOMAD_CACERT) is used.
    type: path
  client_cert:
    description: Client certificate (PEM) for mutual TLS. If not set, E(NOMAD_CLIENT_CERT) is used.
    type: path
  client_key:
    description: Key of O(client_cert). If not set, E(NOMAD_CLIENT_KEY) is used.
    type: path
  validate_certs:
    description: Verify the agent's TLS certificate.
    type: bool
    default: true
  region:
    description: Nomad region. If not set, E(NOMAD_REGION) is used.
    type: str
  timeout:
    description: Seconds to wait for each HTTP answer.
    type: int
    default: 30
  filter:
    description:
      - Nomad (go-bexpr) filter expression over the node list fields, evaluated by the server,
        for example V(Status == "ready" and NodePool != "gpu").
    type: str
  node_pools:
    description: Only nodes in these node pools (empty = all).
    type: list
    elements: str
    default: []
  statuses:
    description: Only nodes with these statuses (empty = all).
    type: list
    elements: str
    default: []
  hostname:
    description: What becomes the inventory host name.
    type: str
    choices: [name, id]
    default: name
  details:
    description:
      - Also read each node in full (C(GET /v1/node/:id)) for C(nomad_attributes), C(nomad_meta) and the
        architecture groups. One request per node (Nomad's node list carries only C(os.name) of the
        attributes and no meta), O(details_concurrency) of them at a time.
      - A node that is gone between the list and its read (404) keeps the fields of the list.
    type: bool
    default: false
  details_concurrency:
    description:
      - How many node reads of O(details=true) are in flight at once. A bound, so that a large
        cluster's servers are not flooded; 1 reads the nodes one after the other.
    type: int
    default: 16
    version_added: 0.1.0
  default_groups:
    description: Create the C(nomad_pool_*), C(nomad_dc_*), C(nomad_class_*), C(nomad_status_*), C(nomad_os_*), C(nomad_platform_*) groups.
    type: bool
    default: true
"""

EXAMPLES = r"""
# inventory/edge.nomad_nodes.yml
plugin: edgeops.nomad.nomad_nodes
url: https://nomad.example.com:4646
ca_cert: /etc/nomad.d/ca.pem
statuses: [ready]
keyed_groups:
  - key: nomad_node_pool
    prefix: pool
compose:
  ansible_user: "'Administrator' if nomad_platform == 'windows' else 'root'"
groups:
  windows: nomad_platform == 'windows'
"""

from concurrent.futures import ThreadPoolExecutor

from ansible.errors import AnsibleError, AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable

from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
    NomadAPIError, NomadClient, NomadNotFoundError)


def platform_of(attrs):
    """'windows' or 'linux' (or another kernel name) from a node's attributes.

    Nomad's node list (?os=true) carries only os.name, which is the distribution or product name:
    "ubuntu", "debian", "redhat" on Linux, "Microsoft Windows Server 2022 Datacenter" on Windows
    (client/fingerprint/host.go). kernel.name ("linux", "windows") comes with the node's details.
    """
    kernel = (attrs.get("kernel.name") or "").lower()
    if kernel:
        return kernel
    os_name = (attrs.get("os.name") or "").lower()
    if not os_name:
        return ""
    return "windows" if "windows" in os_name else "linux"


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "edgeops.nomad.nomad_nodes"

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(("nomad_nodes.yml", "nomad_nodes.yaml"))

    def _client(self):
        settings = dict((key, self.get_option(key)) for key in (
            "url", "token", "ca_cert", "client_cert", "client_key", "validate_certs", "region", "timeout", "retries"))
        try:
            # unset options fall back to the NOMAD_* variables (one mapping: _nomad_api.ENV_VARS)
            return NomadClient.from_settings(settings)
        except NomadAPIError as exc:
            raise AnsibleParserError("nomad_nodes: %s" % exc)

    def fetch(self):
        client = self._client()
        query = {"os": True, "filter": self.get_option("filter") or None}
        try:
            nodes = client.get_all("/v1/nodes", query=query, namespaced=False)
            if self.get_option("details"):
                nodes = self._read_details(client, nodes)
        except NomadAPIError as exc:
            raise AnsibleError("nomad_nodes: %s" % exc)
        return nodes

    def _read_details(self, client, stubs):
        """GET /v1/node/:id for every node, at most details_concurrency at a time, in list order."""
        def read(stub):
            try:
                return client.get(client.path("v1", "node", stub["ID"]), namespaced=False).data
            except NomadNotFoundError:
                return stub  # garbage-collected since the list was read

        workers = max(1, min(int(self.get_option("details_concurrency") or 1), len(stubs)))
        if workers == 1:
            return [read(stub) for stub in stubs]
        pool = ThreadPoolExecutor(max_workers=workers)
        try:
            return list(pool.map(read, stubs))  # the first error (e.g. a 403) is raised here ...
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # ... and the reads not started yet are dropped

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache)
        self._read_config_data(path)
        cache_key = self.get_cache_key(path)
        use_cache = self.get_option("cache") and cache
        update_cache = self.get_option("cache") and not cache
        nodes = None
        if use_cache:
            try:
                nodes = self._cache[cache_key]
            except KeyError:
                update_cache = True
        if nodes is None:
            nodes = self.fetch()
        if update_cache:
            self._cache[cache_key] = nodes
        self.populate(nodes)

    def populate(self, nodes):
        inventory = self.inventory
        pools = set(self.get_option("node_pools") or [])
        statuses = set(self.get_option("statuses") or [])
        by_id = self.get_option("hostname") == "id"
        default_groups = self.get_option("default_groups")
        strict = self.get_option("strict")
        compose = self.get_option("compose")
        groups = self.get_option("groups")
        keyed = self.get_option("keyed_groups")
        constructed = bool(compose or groups or keyed)
        sanitize = self._sanitize_group_name
        known_groups = {}

        def group(name):
            real = known_groups.get(name)
            if real is None:
                real = inventory.groups[inventory.add_group(sanitize(name))]
                known_groups[name] = real
            return real

        # Speed (10,000 nodes well under a second): Host/Group objects are used directly for the
        # fixed, valid variable names and groups of this plugin; everything user-defined
        # (compose, groups, keyed_groups) goes through Constructable as usual.
        for node in nodes:
            pool = node.get("NodePool") or "default"
            status = node.get("Status") or ""
            if (pools and pool not in pools) or (statuses and status not in statuses):
                continue
            attrs = node.get("Attributes") or {}
            name = node["ID"] if by_id else (node.get("Name") or node["ID"])
            existed = name in inventory.hosts
            host = inventory.add_host(name)
            host_obj = inventory.hosts[host]
            address = node.get("Address") or attrs.get("unique.network.ip-address") or \
                (node.get("HTTPAddr") or "").rsplit(":", 1)[0]
            hostvars = {
                "ansible_host": address,
                "nomad_id": node["ID"],
                "nomad_name": node.get("Name"),
                "nomad_node_pool": pool,
                "nomad_datacenter": node.get("Datacenter"),
                "nomad_node_class": node.get("NodeClass") or "",
                "nomad_status": status,
                "nomad_eligibility": node.get("SchedulingEligibility"),
                "nomad_drain": bool(node.get("Drain") or node.get("DrainStrategy")),
                "nomad_version": node.get("Version") or attrs.get("nomad.version", ""),
                "nomad_os": attrs.get("os.name", ""),
                "nomad_platform": platform_of(attrs),
            }
            if "cpu.arch" in attrs:
                hostvars["nomad_arch"] = attrs["cpu.arch"]
                hostvars["nomad_attributes"] = attrs
                hostvars["nomad_meta"] = node.get("Meta") or {}
            if existed:
                for key, value in hostvars.items():
                    inventory.set_variable(host, key, value)
            else:
                host_obj.vars.update(hostvars)
            if default_groups:
                group("nomad_pool_" + pool).add_host(host_obj)
                if hostvars["nomad_datacenter"]:
                    group("nomad_dc_" + hostvars["nomad_datacenter"]).add_host(host_obj)
                if hostvars["nomad_node_class"]:
                    group("nomad_class_" + hostvars["nomad_node_class"]).add_host(host_obj)
                if status:
                    group("nomad_status_" + status).add_host(host_obj)
                if hostvars["nomad_os"]:
                    group("nomad_os_" + hostvars["nomad_os"]).add_host(host_obj)
                if hostvars["nomad_platform"]:
                    group("nomad_platform_" + hostvars["nomad_platform"]).add_host(host_obj)
                if "nomad_arch" in hostvars:
                    group("nomad_arch_" + hostvars["nomad_arch"]).add_host(host_obj)
            if constructed:
                self._set_composite_vars(compose, hostvars, host, strict=strict)
                self._add_host_to_composed_groups(groups, hostvars, host, strict=strict)
                self._add_host_to_keyed_groups(keyed, hostvars, host, strict=strict)
