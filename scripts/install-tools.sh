#!/usr/bin/env bash
# Installs the development tools (linter, docs generator, release tool) into .tools/bin.
# With arguments, installs only the named ones: golangci-lint, tfplugindocs, goreleaser.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_one() {
  case "$1" in
    golangci-lint)
      go_install_tool "${GOLANGCI_LINT_BIN}" \
        github.com/golangci/golangci-lint/v2/cmd/golangci-lint "${GOLANGCI_LINT_VERSION}" ;;
    tfplugindocs)
      go_install_tool "${TFPLUGINDOCS_BIN}" \
        github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs "${TFPLUGINDOCS_VERSION}" ;;
    goreleaser)
      go_install_tool "${GORELEASER_BIN}" github.com/goreleaser/goreleaser/v2 "${GORELEASER_VERSION}" ;;
    *) die "unknown tool: $1" ;;
  esac
}

if [[ $# -eq 0 ]]; then
  set -- golangci-lint tfplugindocs goreleaser
fi
for tool in "$@"; do
  install_one "${tool}"
done
