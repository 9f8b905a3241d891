#!/usr/bin/env bash
# Runs the role integration targets (tests/integration/targets/<target>/tasks/main.yml: one per module or module
# family, each depending on setup_nomad_api_double, which starts a fresh Nomad API double for it) in one
# ansible-playbook run at -vvv, one play per target, then fails if any secret a double issued appears in
# the output.
#   tests/integration/run.sh                  every target
#   tests/integration/run.sh nomad_job ...    the named targets (make api-integration TARGETS="nomad_job ...")
# The doubles record their requests when NOMAD_API_DOUBLE_RECORD is set (make contract-record).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
targets_dir="$here/targets"
if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  # Role targets only (tasks/main.yml); a target with a runme.sh (eda_rulebooks) has its own make target.
  mapfile -t targets < <(find "$targets_dir" -mindepth 3 -maxdepth 3 -path '*/tasks/main.yml' ! -path '*/setup_*' \
    | sed 's#.*/targets/\([^/]*\)/tasks/main.yml#\1#' | sort)
fi
for target in "${targets[@]}"; do
  [ -f "$targets_dir/$target/tasks/main.yml" ] || { echo "no integration target $target in $targets_dir" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/nomad-api-it.XXXXXX")"
chmod 0700 "$work"
mkdir "$work/doubles"
cleanup() {  # a double a failed run left behind (the handler normally stops them)
  local pid_file
  for pid_file in "$work"/doubles/*/*.pid; do
    if [ -f "$pid_file" ]; then kill "$(cat "$pid_file")" 2>/dev/null || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

{
  echo "---"
  for target in "${targets[@]}"; do
    printf -- '- name: Integration target %s\n  hosts: localhost\n  gather_facts: false\n  roles:\n    - %s\n' "$target" "$target"
  done
} >"$work/targets.yml"

export ANSIBLE_ROLES_PATH="$targets_dir" ANSIBLE_FORCE_HANDLERS=1 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
export NOMAD_API_DOUBLE_RUN_DIR="$work/doubles" NOMAD_API_DOUBLE_SECRETS="$work/secrets.txt"
: >"$work/secrets.txt"
start=$(date +%s)
set +e
ansible-playbook -vvv -i "$here/inventory.ini" "$work/targets.yml" >"$work/playbook.log" 2>&1
rc=$?
set -e
grep -E '^localhost +:' "$work/playbook.log" || tail -n 40 "$work/playbook.log"
if [ "$rc" -ne 0 ]; then
  echo "FAILED: ansible-playbook exited $rc; failing tasks:" >&2
  grep -n -B2 -A12 'fatal:' "$work/playbook.log" | grep -v '^\s*$' | head -n 80 >&2 || true
  exit "$rc"
fi
echo "integration: ${#targets[@]} targets passed in $(( $(date +%s) - start )) s: ${targets[*]}"

# Leak check: no secret any double issued (bootstrap secret, created and rotated tokens, introduction
# tokens) may appear in the -vvv output, the output of the nested ansible-playbook/ansible-inventory included.
count="$(sort -u "$work/secrets.txt" | grep -c . || true)"
[ "$count" -ge "${#targets[@]}" ] || { echo "FAILED: expected a secret per target from the doubles, found $count" >&2; exit 1; }
if grep -F -f "$work/secrets.txt" "$work/playbook.log" >/dev/null; then
  echo "FAILED: a Nomad token secret appears in the -vvv output:" >&2
  grep -n -F -f "$work/secrets.txt" "$work/playbook.log" | cut -c1-160 | sed 's/[0-9a-f]\{8\}-[0-9a-f-]\{27\}/<uuid>/g' >&2
  exit 1
fi
echo "leak check: none of $count secrets appears in $(wc -l <"$work/playbook.log") lines of -vvv output"
