"""edgeops.nomad.nomad_nodes against the Nomad API double (a test double, in a thread).

The plugin is used directly (options set on it) because the unit suite imports collections from
PYTHONPATH; reading options from a real file through ansible-inventory is covered by the
nomad_nodes integration target (tests/integration/targets/nomad_nodes).
"""

import pytest

from ansible.errors import AnsibleError
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.template import trust_as_template

from ansible_collections.edgeops.nomad.plugins.inventory.nomad_nodes import InventoryModule
from ansible_collections.edgeops.nomad.tests.tools.nomad_api_double import DoubleState, NomadAPIDouble

DEFAULTS = {"url": None, "token": None, "ca_cert": None, "client_cert": None, "client_key": None,
            "validate_certs": True, "region": None, "timeout": 30, "retries": 3, "filter": None, "node_pools": [],
            "statuses": [], "hostname": "name", "details": False, "default_groups": True, "strict": False,
            "compose": {}, "groups": {}, "keyed_groups": [], "leading_separator": True, "use_extra_vars": False,
            "cache": False}


@pytest.fixture(scope="module")
def double():
    server = NomadAPIDouble(DoubleState(nodes=12)).start()
    yield server
    server.stop()


def run(**options):
    plugin = InventoryModule()
    opts = dict(DEFAULTS, **options)
    plugin.get_option = opts.get
    inventory = InventoryData()
    BaseInventoryPlugin.parse(plugin, inventory, DataLoader(), "edge.nomad_nodes.yml")
    plugin.populate(plugin.fetch())
    return inventory


def hosts(inventory, group):
    return sorted(h.name for h in inventory.groups[group].get_hosts())


def test_verify_file_names(tmp_path):
    plugin = InventoryModule()
    for name, ok in (("a.nomad_nodes.yml", True), ("nomad_nodes.yaml", True), ("nodes.yml", False)):
        (tmp_path / name).write_text("plugin: edgeops.nomad.nomad_nodes\n")
        assert plugin.verify_file(str(tmp_path / name)) is ok


def test_hosts_vars_and_default_groups(double):
    inv = run(url=double.url)
    assert len(inv.hosts) == 12
    host = inv.hosts["edge-00001"]
    assert host.vars["ansible_host"] == "10.10.0.1"
    assert host.vars["nomad_node_pool"] == "edge-arm" and host.vars["nomad_os"] == "ubuntu"
    assert hosts(inv, "nomad_pool_edge_arm") == ["edge-00001", "edge-00005", "edge-00009"]
    assert hosts(inv, "nomad_class_gpu") == ["edge-00003", "edge-00007", "edge-00011"]
    assert hosts(inv, "nomad_status_down") == ["edge-00006"]
    # Windows nodes report the product name as os.name (client/fingerprint/host.go): the platform
    # group is what matches them robustly.
    assert hosts(inv, "nomad_platform_windows") == ["edge-00004", "edge-00009"]
    assert inv.hosts["edge-00004"].vars["nomad_os"].startswith("Microsoft Windows Server")
    assert "edge-00001" in hosts(inv, "nomad_platform_linux")
    assert "nomad_arch_arm64" not in inv.groups  # architecture needs details


def test_details_add_arch_and_attributes(double):
    inv = run(url=double.url, details=True)
    assert hosts(inv, "nomad_arch_arm64") == ["edge-00001", "edge-00005", "edge-00009"]
    assert inv.hosts["edge-00002"].vars["nomad_meta"] == {"rack": "r2"}


def test_filters_and_constructed(double):
    inv = run(url=double.url, filter='Datacenter == "dc1"', statuses=["ready"], node_pools=["default", "gpu"],
              keyed_groups=[{"key": trust_as_template("nomad_node_pool"), "prefix": "pool"}],
              compose={"site": trust_as_template("nomad_datacenter | upper")},
              groups={"windows": trust_as_template("nomad_platform == 'windows'")})
    assert sorted(inv.hosts) == ["edge-00000", "edge-00004", "edge-00008"]
    assert hosts(inv, "pool_default") == ["edge-00000", "edge-00004", "edge-00008"]
    assert hosts(inv, "windows") == ["edge-00004"]
    assert inv.hosts["edge-00000"].vars["site"] == "DC1"


def test_statuses_keep_only_the_nodes_in_those_states(double):
    # the plugin filters statuses itself (not through the server-side filter): edge-00006 is the double's down node
    assert sorted(run(url=double.url, statuses=["down"]).hosts) == ["edge-00006"]
    ready = run(url=double.url, statuses=["ready"]).hosts
    assert len(ready) == 11 and "edge-00006" not in ready


def test_api_error_is_reported():
    with pytest.raises(AnsibleError) as err:
        run(url="http://127.0.0.1:9", timeout=2, retries=0)
    assert "cannot reach" in str(err.value)


class _SlowClient(object):
    """Stands in for NomadClient in the details reads: each read takes 20 ms and counts how many
    are in flight at once (the double answers too fast to see that)."""

    def __init__(self, count, missing=(), denied=()):
        import threading
        self.stubs = [{"ID": "id-%03d" % i, "Name": "n%03d" % i, "NodePool": "default", "Status": "ready"}
                      for i in range(count)]
        self.missing, self.denied = set(missing), set(denied)
        self.lock, self.now, self.peak, self.reads = threading.Lock(), 0, 0, 0

    path = staticmethod(lambda *parts: "/" + "/".join(parts))

    def get_all(self, path, query=None, namespaced=True):
        return [dict(s) for s in self.stubs]

    def get(self, path, namespaced=True):
        import time
        from ansible_collections.edgeops.nomad.plugins.module_utils._nomad_api import (
            NomadNotFoundError, NomadPermissionError, NomadResponse)
        node_id = path.rsplit("/", 1)[1]
        with self.lock:
            self.now += 1
            self.reads += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(0.02)
            if node_id in self.missing:
                raise NomadNotFoundError("node not found", status=404)
            if node_id in self.denied:
                raise NomadPermissionError("Permission denied", status=403)
            return NomadResponse(200, {"ID": node_id, "Name": "n" + node_id[3:], "NodePool": "default",
                                       "Status": "ready", "Attributes": {"cpu.arch": "arm64"}, "Meta": {}}, {})
        finally:
            with self.lock:
                self.now -= 1


def run_with(client, **options):
    plugin = InventoryModule()
    plugin.get_option = dict(DEFAULTS, details=True, **options).get
    plugin._client = lambda: client
    inventory = InventoryData()
    BaseInventoryPlugin.parse(plugin, inventory, DataLoader(), "edge.nomad_nodes.yml")
    plugin.populate(plugin.fetch())
    return inventory


def test_details_reads_are_concurrent_and_bounded():
    client = _SlowClient(40)
    inv = run_with(client, details_concurrency=4)
    assert client.peak == 4  # in flight at once: never more than the bound, and not one by one
    assert client.reads == 40
    assert sorted(inv.hosts) == ["n%03d" % i for i in range(40)]
    assert hosts(inv, "nomad_arch_arm64") == ["n%03d" % i for i in range(40)]


def test_details_concurrency_1_reads_one_by_one():
    client = _SlowClient(5)
    run_with(client, details_concurrency=1)
    assert client.peak == 1


def test_details_node_gone_keeps_the_list_fields():
    client = _SlowClient(3, missing={"id-001"})
    inv = run_with(client, details_concurrency=2)
    assert sorted(inv.hosts) == ["n000", "n001", "n002"]
    assert "nomad_arch" not in inv.hosts["n001"].vars and inv.hosts["n000"].vars["nomad_arch"] == "arm64"


def test_details_error_stops_the_reads():
    client = _SlowClient(200, denied={"id-000"})
    with pytest.raises(AnsibleError, match="Permission denied"):
        run_with(client, details_concurrency=4)
    assert client.reads < 200  # reads not started when the 403 came back are dropped
