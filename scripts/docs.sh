#!/usr/bin/env bash
# Generates docs/ with tfplugindocs from the provider schema, examples/ and templates/, offline.
#   docs.sh generate   regenerate docs/ in place
#   docs.sh check      regenerate into a temporary copy and fail if docs/ differs from it, if the
#                      registry would reject the pages, or if an example is not formatted
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${ROOT_DIR}"

mode="${1:-generate}"
"${ROOT_DIR}/scripts/install-terraform.sh" >/dev/null
"${ROOT_DIR}/scripts/install-tools.sh" tfplugindocs >/dev/null

# tfplugindocs downloads a terraform unless one is on PATH; the pinned one goes first.
generate() {
  PATH="${TOOLS_BIN}:${PATH}" "${TFPLUGINDOCS_BIN}" generate \
    --provider-dir "$1" --provider-name kakaocloud
}

case "${mode}" in
  generate)
    generate "${ROOT_DIR}"
    ;;
  check)
    copy="$(mktemp -d -t kakaocloud-docs.XXXXXX)"
    trap 'rm -rf "${copy}"' EXIT
    # The module without tool binaries, build output or git metadata.
    tar -C "${ROOT_DIR}" --exclude=./.tools --exclude=./dist --exclude=./.git -cf - . | tar -C "${copy}" -xf -
    generate "${copy}" >/dev/null
    if ! diff -ru "${ROOT_DIR}/docs" "${copy}/docs" >"${copy}/docs.diff" 2>&1; then
      sed "s|${copy}/|generated/|g; s|${ROOT_DIR}/||g" "${copy}/docs.diff" >&2
      die "docs/ differs from a fresh generation: run 'make docs' and commit the result"
    fi
    PATH="${TOOLS_BIN}:${PATH}" "${TFPLUGINDOCS_BIN}" validate \
      --provider-dir "${copy}" --provider-name kakaocloud >"${copy}/validate.log" 2>&1 ||
      { grep -v '\[DEBUG\]' "${copy}/validate.log" >&2; die "tfplugindocs validate rejects docs/"; }
    "${TERRAFORM_BIN}" fmt -check -recursive -diff "${ROOT_DIR}/examples" ||
      die "examples/ is not formatted: run 'make fmt'"
    log "docs/ is up to date, valid for the registry, and examples/ is formatted"
    ;;
  *)
    die "usage: $0 generate|check"
    ;;
esac
