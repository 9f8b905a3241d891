# Playbooks, inventories, edge jobs and `make demo`.
#   integration-playbooks  syntax check of every playbook (by FQCN), job files against Nomad's jobspec
#                          schema
#   demo-e2e               the demo playbooks end to end twice (second run changed=0) against the local
#                          API server and containers (the same ones `make demo` uses), then the pull path
#                          (edge_client_local) in a fourth container, compared with a pushed client, then
#                          snapshot/restore/upgrade_clients (tests/e2e/demo/day2_test.sh) and a secret leak check,
#                          then the lifecycle scenarios on three more containers and the double's clock
#                          (tests/e2e/lifecycle/run.sh: site on fresh hosts, re-runs changed=0, a config roll with
#                          drain_on_shutdown, a site offline for 3 days, one for 30 days brought back by
#                          reintroduce); `make demo-lifecycle [SCENARIO=...]` runs them on a running demo
#                          then the secrets in apply mode and interruption tests (tests/e2e/secrets/e2e.sh:
#                          -vvv --diff and process-list scan, API server restart, SIGKILL during the client install)
#                          then the fleet report with one container stopped on purpose (tests/e2e/demo/report_test.sh:
#                          the page rendered by headless Chromium, its numbers checked against the run's recap; page,
#                          DOM and screenshot kept in demo-output/report-e2e/)
#   demo / demo-clean      demo-up demo-run demo-summary demo-report / demo-down
#   demo-report            the fleet report of the demo's rollout: demo-output/fleet-report/fleet-report.html
#   fleet-report-screenshot  docs/images/fleet-report.png from the page demo-e2e's report test kept
INTEGRATION_STEPS += integration-playbooks
MOLECULE_STEPS += demo-e2e
DEMO_STEPS += demo-up demo-run demo-summary demo-report
DEMO_CLEAN_STEPS += demo-down

.PHONY: integration-playbooks demo-e2e demo-up demo-run demo-summary demo-report demo-down demo-lifecycle fleet-report-screenshot

integration-playbooks:
	shellcheck tests/e2e/demo/*.sh tests/e2e/lifecycle/*.sh
	ansible-playbook -i inventories/example/hosts.yml --syntax-check $(patsubst playbooks/%.yml,edgeops.nomad.%,$(wildcard playbooks/*.yml)) >/dev/null
	ansible-playbook -i inventories/local --syntax-check edgeops.nomad.site edgeops.nomad.deploy_jobs >/dev/null
	@echo "syntax check: $(words $(wildcard playbooks/*.yml)) playbooks called by FQCN"
	ansible-inventory -i inventories/example/hosts.yml --graph nomad_clients >/dev/null
	python tests/e2e/demo/check_jobs.py playbooks/files/jobs/*.nomad.hcl

demo-up:
	@bash tests/e2e/demo/up.sh

demo-run:
	@bash tests/e2e/demo/run.sh run

demo-summary:
	@python tests/e2e/demo/summary.py

demo-report:
	@bash tests/e2e/demo/report.sh

demo-down:
	@bash tests/e2e/demo/down.sh

# The lifecycle scenarios alone, on a running demo (make demo-up demo-run first); SCENARIO=site|rerun|drain|offline
demo-lifecycle:
	@bash tests/e2e/lifecycle/run.sh $(SCENARIO)

# The screenshot in docs/fleet.md: the top of the page that demo-e2e's report test kept (run it first).
fleet-report-screenshot:
	@[ -s demo-output/report-e2e/fleet-report.html ] || { echo "no demo-output/report-e2e/fleet-report.html: run make demo-e2e (or tests/e2e/demo/report_test.sh on a converged demo) first"; exit 1; }
	python tests/e2e/demo/fleet_report_check.py render demo-output/report-e2e/fleet-report.html demo-output/screenshot --width 1280 --height 1250
	cp demo-output/screenshot/fleet-report.png docs/images/fleet-report.png
	@echo "docs/images/fleet-report.png: $$(stat -c %s docs/images/fleet-report.png) bytes"

# Reuses a running demo; otherwise brings it up and takes it down again afterwards.
demo-e2e:
	@was_up=0; [ -f .cache/demo/env ] && was_up=1; \
	bash tests/e2e/demo/up.sh && bash tests/e2e/demo/run.sh e2e-1 && bash tests/e2e/demo/run.sh e2e-2 --expect-unchanged \
	  && bash tests/e2e/demo/pull_test.sh && bash tests/e2e/demo/day2_test.sh && bash tests/e2e/lifecycle/run.sh \
	  && bash tests/e2e/secrets/e2e.sh && bash tests/e2e/demo/report_test.sh \
	  && python tests/e2e/demo/summary.py; rc=$$?; \
	[ $$was_up = 1 ] || bash tests/e2e/demo/down.sh >/dev/null; exit $$rc
