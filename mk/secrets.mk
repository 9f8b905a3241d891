# Secrets in apply mode and runs that survive interruption (issue 14 sections 2 and 3).
#   integration-secrets  shellcheck of the test scripts (the scanner's own tests run in
#                        `make integration-tools`: tests/secrets/tests)
# The tests themselves run on the demo's cluster and containers inside `demo-e2e` (mk/demo.mk), through
# tests/secrets/e2e.sh: tests/secrets/apply_test.sh, tests/interrupt/apiserver_restart_test.sh and
# tests/interrupt/client_kill_test.sh (each script's header says what it checks).
INTEGRATION_STEPS += integration-secrets

.PHONY: integration-secrets

integration-secrets:
	shellcheck -x tests/secrets/*.sh tests/interrupt/*.sh
