#!/usr/bin/env bash
# Run make targets one after the other, stop at the first failure, print a timing summary.
set -uo pipefail
summary=()
total_start=$(date +%s)
for step in "$@"; do
  printf '\n===== make %s =====\n' "$step"
  start=$(date +%s)
  if make --no-print-directory "$step"; then
    summary+=("$(printf 'ok    %-28s %4ss' "$step" "$(( $(date +%s) - start ))")")
  else
    summary+=("$(printf 'FAIL  %-28s %4ss' "$step" "$(( $(date +%s) - start ))")")
    printf '\n===== summary =====\n'; printf '%s\n' "${summary[@]}"
    printf 'stopped at the first failure: make %s\n' "$step"
    exit 1
  fi
done
printf '\n===== summary =====\n'; printf '%s\n' "${summary[@]}"
printf 'all %d steps passed in %ss\n' "$#" "$(( $(date +%s) - total_start ))"
