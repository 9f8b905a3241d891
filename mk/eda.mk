# Event-Driven Ansible: the edgeops.nomad.nomad_events event source (extensions/eda/plugins/event_source),
# the rulebooks of extensions/eda/rulebooks and the playbooks they run. ansible-rulebook and its rules
# engine come from requirements-dev.txt and bindep.txt's eda profile (Java 17).
#   integration-eda  ansible-rulebook runs the four rulebooks against the Nomad API double (no containers):
#                    an edge node down then ready -> edge_client_recovered makes it eligible again; a failed
#                    deployment -> revert_job; lost allocations at one site -> one site_report; a node in an
#                    unconfigured pool -> node_pool_check; no token in the logs
#                    (tests/integration/targets/eda_rulebooks/runme.sh, 30-50 s here)
#   eda-unit         the source's own tests only (they also run in make unit): its docs read as Galaxy reads
#                    them, and its behaviour against the double's event stream
INTEGRATION_STEPS += integration-eda

.PHONY: integration-eda eda-unit

integration-eda:
	shellcheck tests/integration/targets/eda_rulebooks/runme.sh
	bash tests/integration/targets/eda_rulebooks/runme.sh

eda-unit:
	PYTHONPATH=$(ROOT)/.cache/collections python -m pytest -q -p no:cacheprovider tests/unit/extensions
