# Shared settings for the scripts in this folder; source it, do not run it.
# Every tool lives in .tools/bin of the repository, so nothing depends on what PATH offers.

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${ROOT_DIR}/.tools"
TOOLS_BIN="${TOOLS_DIR}/bin"

TERRAFORM_VERSION="1.5.7"
TOFU_VERSION="1.12.6"
GOLANGCI_LINT_VERSION="2.15.0"
TFPLUGINDOCS_VERSION="0.25.0"
GORELEASER_VERSION="2.17.0"

TERRAFORM_BIN="${TOOLS_BIN}/terraform"
TOFU_BIN="${TOOLS_BIN}/tofu"
GOLANGCI_LINT_BIN="${TOOLS_BIN}/golangci-lint"
TFPLUGINDOCS_BIN="${TOOLS_BIN}/tfplugindocs"
GORELEASER_BIN="${TOOLS_BIN}/goreleaser"

mkdir -p "${TOOLS_BIN}"

# An unset or missing CLI config makes OpenTofu print a warning on stdout of `version -json`,
# which breaks the tools that parse it; an empty file is a valid config.
export TF_CLI_CONFIG_FILE="${TOOLS_DIR}/terraform.rc"
[[ -f "${TF_CLI_CONFIG_FILE}" ]] || : >"${TF_CLI_CONFIG_FILE}"
export CHECKPOINT_DISABLE=1

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# module_version BIN prints the main module version recorded in a Go binary, or nothing.
module_version() {
  [[ -x "$1" ]] || return 0
  go version -m "$1" 2>/dev/null | awk '$1 == "mod" { print $3; exit }'
}

# go_install_tool BIN PACKAGE VERSION installs PACKAGE@vVERSION into .tools/bin unless BIN
# already records that version.
go_install_tool() {
  local bin="$1" pkg="$2" version="$3" have
  have="$(module_version "${bin}")"
  if [[ "${have}" == "v${version}" ]]; then
    log "$(basename "${bin}") v${version} already installed"
    return 0
  fi
  log "installing $(basename "${bin}") v${version} (${pkg})"
  GOBIN="${TOOLS_BIN}" go install "${pkg}@v${version}"
  [[ "$(module_version "${bin}")" == "v${version}" ]] || die "$(basename "${bin}") is not v${version} after install"
}
