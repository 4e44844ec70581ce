#!/usr/bin/env bash
# Runs every test with TF_ACC=1 on the pinned Terraform, then the acceptance tests again on the
# pinned OpenTofu, and prints a per-test summary ending in "N passed, N failed[, N skipped]".
#
# Environment:
#   TEST_RUN            -run pattern for the first run (default: every test)
#   TEST_PACKAGES       packages of the first run (default: ./...)
#   TEST_EXTRA_TF_PATHS colon-separated absolute paths of further terraform/tofu binaries to run
#                       the acceptance tests on as well (optional; nothing here needs them)
#   TEST_SKIP_TOFU=1    leave out the OpenTofu run
#   FUZZ_TIME           how long each fuzz target runs after the tests (default 8s; 0 skips)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${ROOT_DIR}"

"${ROOT_DIR}/scripts/install-terraform.sh" >/dev/null
[[ "${TEST_SKIP_TOFU:-}" == "1" ]] || "${ROOT_DIR}/scripts/install-tofu.sh" >/dev/null

export TF_ACC=1
export TF_ACC_PROVIDER_NAMESPACE=hashicorp
# A pinned version makes terraform-plugin-testing download a CLI; the path below is used instead.
unset TF_ACC_TERRAFORM_VERSION

work_dir="$(mktemp -d -t kakaocloud-test.XXXXXX)"
trap 'rm -rf "${work_dir}"' EXIT
results="${work_dir}/results.tsv"
report_bin="${work_dir}/testreport"
go build -o "${report_bin}" ./scripts/testreport
module="$(go list -m)"

status=0

# run_tests LABEL CLI_PATH GO_TEST_ARGS... runs go test with the CLI for acceptance tests.
run_tests() {
  local label="$1" cli="$2"
  shift 2
  log "go test $* (acceptance tests on ${label}: $("${cli}" version | head -n 1))"
  TF_ACC_TERRAFORM_PATH="${cli}" go test -json -v -race -count=1 -timeout 25m "$@" 2>&1 |
    "${report_bin}" -label "${label}" -results "${results}" -trim-prefix "${module}/" || status=1
}

# shellcheck disable=SC2086 # TEST_PACKAGES is a list of package patterns.
run_tests terraform "${TERRAFORM_BIN}" -run "${TEST_RUN:-.}" ${TEST_PACKAGES:-./...}

if [[ "${TEST_SKIP_TOFU:-}" != "1" ]]; then
  run_tests tofu "${TOFU_BIN}" -run 'TestAcc|TestResilience' ./internal/provider/...
fi

# Every fuzz target also runs with the fuzzer for a bounded time (seed corpora run above).
fuzz_time="${FUZZ_TIME:-8s}"
if [[ "${fuzz_time}" != "0" ]]; then
  while read -r pkg target; do
    log "fuzzing ${target} in ${pkg} for ${fuzz_time}"
    go test -json -run '^$' -fuzz "^${target}\$" -fuzztime "${fuzz_time}" "${pkg}" 2>&1 |
      "${report_bin}" -label fuzz -results "${results}" -trim-prefix "${module}/" || status=1
  done < <(grep -rHo --include='*_test.go' --exclude-dir=.tools --exclude-dir=dist '^func Fuzz[A-Za-z0-9_]*' . |
    sed -E 's|^\./(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]*)$|./\1 \2|' | sort -u)
fi

IFS=':' read -r -a extra_paths <<<"${TEST_EXTRA_TF_PATHS:-}"
for cli in "${extra_paths[@]}"; do
  [[ -n "${cli}" ]] || continue
  [[ "${cli}" == /* && -x "${cli}" ]] || die "TEST_EXTRA_TF_PATHS entry is not an absolute executable: ${cli}"
  run_tests "$(basename "${cli}")@${cli}" "${cli}" -run 'TestAcc' ./internal/provider/...
done

"${report_bin}" -summarize "${results}" || status=1
exit "${status}"
