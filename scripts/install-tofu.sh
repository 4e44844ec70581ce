#!/usr/bin/env bash
# Builds OpenTofu into .tools/bin/tofu. `go install` refuses its module (it has replace
# directives), so the module is downloaded and built in place.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tofu_version() {
  [[ -x "${TOFU_BIN}" ]] || return 0
  "${TOFU_BIN}" version -json 2>/dev/null |
    sed -n 's/^[[:space:]]*"terraform_version":[[:space:]]*"\([^"]*\)".*/\1/p'
}

if [[ "$(tofu_version)" == "${TOFU_VERSION}" ]]; then
  log "tofu v${TOFU_VERSION} already installed"
  exit 0
fi

log "downloading github.com/opentofu/opentofu@v${TOFU_VERSION}"
download_json="$(go mod download -json "github.com/opentofu/opentofu@v${TOFU_VERSION}")"
module_dir="$(printf '%s\n' "${download_json}" |
  sed -n 's/^[[:space:]]*"Dir":[[:space:]]*"\(.*\)",\{0,1\}[[:space:]]*$/\1/p' | head -n 1)"
[[ -n "${module_dir}" && -d "${module_dir}" ]] || die "go mod download reported no module directory"

log "building tofu v${TOFU_VERSION}"
# Release builds clear the "dev" marker the same way; the temporary name keeps an interrupted
# build from leaving a broken binary behind.
(cd "${module_dir}" &&
  go build -ldflags "-X github.com/opentofu/opentofu/version.dev=no" -o "${TOFU_BIN}.tmp" ./cmd/tofu)
mv -f "${TOFU_BIN}.tmp" "${TOFU_BIN}"

[[ "$(tofu_version)" == "${TOFU_VERSION}" ]] || die "built tofu does not report v${TOFU_VERSION}"
"${TOFU_BIN}" version
