# Secrets in apply mode and runs that survive interruption.
#   integration-secrets  shellcheck of the test scripts (the scanner's own tests run in
#                        `make integration-tools`: tests/tools/secret_scan/tests)
# The tests themselves run on the demo's cluster and containers inside `demo-e2e` (mk/demo.mk), through
# tests/e2e/secrets/e2e.sh: tests/e2e/secrets/apply_test.sh, tests/e2e/interrupt/apiserver_restart_test.sh and
# tests/e2e/interrupt/client_kill_test.sh (each script's header says what it checks).
INTEGRATION_STEPS += integration-secrets

.PHONY: integration-secrets

integration-secrets:
	shellcheck -x tests/e2e/secrets/*.sh tests/e2e/interrupt/*.sh
