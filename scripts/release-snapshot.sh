#!/usr/bin/env bash
# Builds a snapshot release with goreleaser (offline, unsigned) into dist/ and checks that it
# has the Terraform Registry layout: a zip per OS/arch holding only the versioned binary,
# SHA256SUMS covering every zip and the manifest, and the manifest itself.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${ROOT_DIR}"

git rev-parse --verify --quiet HEAD >/dev/null || die "goreleaser needs a git repository with at least one commit"
"${ROOT_DIR}/scripts/install-tools.sh" goreleaser

log "goreleaser release --snapshot"
"${GORELEASER_BIN}" release --snapshot --clean --skip=sign

dist="${ROOT_DIR}/dist"
version="$(sed -n 's/.*"version":[[:space:]]*"\([^"]*\)".*/\1/p' "${dist}/metadata.json" | head -n 1)"
[[ -n "${version}" ]] || die "no version in dist/metadata.json"
name="terraform-provider-kakaocloud"
sums="${name}_${version}_SHA256SUMS"

# The release step uploads the manifest; a snapshot skips it, so place it as the release would.
cp terraform-registry-manifest.json "${dist}/${name}_${version}_manifest.json"

failures=0
fail() { printf 'FAIL %s\n' "$*" >&2; failures=$((failures + 1)); }

[[ -f "${dist}/${sums}" ]] || die "missing ${sums}"
for os in linux darwin windows; do
  for arch in amd64 arm64; do
    archive="${name}_${version}_${os}_${arch}.zip"
    binary="${name}_v${version}"
    [[ "${os}" == windows ]] && binary+=".exe"
    if [[ ! -f "${dist}/${archive}" ]]; then
      fail "missing ${archive}"
      continue
    fi
    contents="$(unzip -Z1 "${dist}/${archive}")"
    [[ "${contents}" == "${binary}" ]] || fail "${archive} holds '${contents//$'\n'/ }', want only ${binary}"
    grep -q "  ${archive}\$" "${dist}/${sums}" || fail "${sums} does not list ${archive}"
  done
done
grep -q "  ${name}_${version}_manifest.json\$" "${dist}/${sums}" || fail "${sums} does not list the manifest"
if command -v sha256sum >/dev/null; then
  (cd "${dist}" && sha256sum --quiet -c "${sums}") || fail "checksums in ${sums} do not match"
else
  (cd "${dist}" && shasum -a 256 -s -c "${sums}") || fail "checksums in ${sums} do not match"
fi
# The version must be stamped into the binary through -X main.version, or the User-Agent lies.
linux_binary="$(find "${dist}" -path "*linux_amd64*/${name}_v${version}" -type f | head -n 1)"
if [[ -z "${linux_binary}" ]]; then
  fail "no linux_amd64 binary in dist/"
elif ! grep -aqF "${version}" "${linux_binary}"; then
  fail "the linux_amd64 binary does not carry its version ${version}"
fi

[[ ${failures} -eq 0 ]] || die "${failures} problem(s) with the snapshot release in dist/"
log "snapshot ${version} has the registry layout:"
(cd "${dist}" && ls -1 ./*.zip ./*_SHA256SUMS ./*_manifest.json | sed 's|^\./|  |')
