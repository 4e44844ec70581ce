#!/usr/bin/env bash
# The main job end to end: build the provider and the emulator, start the emulator with its
# default fixture, apply examples/demo with the pinned Terraform, show the members, prove a
# second plan is empty, destroy, and check the emulator holds no member for the image.
#
# Environment:
#   DEMO_CLI=tofu   run the demo with the pinned OpenTofu instead of Terraform
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "${ROOT_DIR}"

PROVIDER_VERSION="0.1.0"
# The default fixture's owner credential; the emulator's fixture is public test data.
OWNER_CREDENTIAL_ID="bd0a655cb1f747f584e1035f40495445"
OWNER_CREDENTIAL_SECRET="emulator-owner-secret"

demo_dir="${TOOLS_DIR}/demo"
bin_dir="${demo_dir}/bin"
plugin_dir="${demo_dir}/plugins"
work_dir="${demo_dir}/work"
emulator_log="${demo_dir}/emulator.log"

case "${DEMO_CLI:-terraform}" in
  terraform) "${ROOT_DIR}/scripts/install-terraform.sh" >/dev/null; cli="${TERRAFORM_BIN}" ;;
  tofu) "${ROOT_DIR}/scripts/install-tofu.sh" >/dev/null; cli="${TOFU_BIN}" ;;
  *) die "DEMO_CLI must be terraform or tofu" ;;
esac
command -v curl >/dev/null || die "curl is needed to check the emulator's member list"

# Steps stand out in bold on a terminal and stay plain in CI logs.
if [[ -t 1 ]]; then
  step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
  step() { printf '\n==> %s\n' "$*"; }
fi

step "building the provider v${PROVIDER_VERSION} and the emulator"
rm -rf "${demo_dir}"
mkdir -p "${bin_dir}" "${work_dir}"
go build -ldflags "-X main.version=${PROVIDER_VERSION}" -o "${bin_dir}/terraform-provider-kakaocloud" .
go build -o "${bin_dir}/kakaocloud-emulator" ./cmd/kakaocloud-emulator

# Registry layout for -plugin-dir. OpenTofu resolves a short source address under its own host.
target="$(go env GOOS)_$(go env GOARCH)"
for host in registry.terraform.io registry.opentofu.org; do
  package_dir="${plugin_dir}/${host}/kakaocloud-community/kakaocloud/${PROVIDER_VERSION}/${target}"
  mkdir -p "${package_dir}"
  cp "${bin_dir}/terraform-provider-kakaocloud" "${package_dir}/terraform-provider-kakaocloud_v${PROVIDER_VERSION}"
done

step "starting the emulator with its default fixture"
emulator_pid=""
stop_emulator() {
  if [[ -n "${emulator_pid}" ]] && kill -0 "${emulator_pid}" 2>/dev/null; then
    kill -TERM "${emulator_pid}" 2>/dev/null || true
    wait "${emulator_pid}" 2>/dev/null || true
    echo "emulator stopped"
  fi
  emulator_pid=""
}
trap stop_emulator EXIT
# Created here, since the background job opens its redirection only once it runs.
: >"${emulator_log}"
"${bin_dir}/kakaocloud-emulator" --listen 127.0.0.1:0 >"${emulator_log}" 2>&1 &
emulator_pid=$!

endpoint=""
for _ in $(seq 1 100); do
  endpoint="$(sed -n 's|.*listening on \(http://127\.0\.0\.1:[0-9][0-9]*\).*|\1|p' "${emulator_log}" | head -n 1)"
  [[ -n "${endpoint}" ]] && break
  kill -0 "${emulator_pid}" 2>/dev/null || { cat "${emulator_log}" >&2; die "the emulator exited"; }
  sleep 0.1
done
[[ -n "${endpoint}" ]] || { cat "${emulator_log}" >&2; die "the emulator did not report its URL"; }
echo "emulator at ${endpoint} (log: .tools/demo/emulator.log)"

export KAKAOCLOUD_ENDPOINT="${endpoint}"
export KAKAOCLOUD_APPLICATION_CREDENTIAL_ID="${OWNER_CREDENTIAL_ID}"
export KAKAOCLOUD_APPLICATION_CREDENTIAL_SECRET="${OWNER_CREDENTIAL_SECRET}"
export TF_IN_AUTOMATION=1 TF_INPUT=0

# member_list IMAGE_ID prints the image's member list as the emulator's API answers it.
member_list() {
  local token
  token="$(curl -sS --fail -o /dev/null -D - -X POST "${endpoint}/identity/v3/auth/tokens" \
    -H 'Content-Type: application/json' \
    --data "{\"auth\":{\"identity\":{\"methods\":[\"application_credential\"],\"application_credential\":{\"id\":\"${OWNER_CREDENTIAL_ID}\",\"secret\":\"${OWNER_CREDENTIAL_SECRET}\"}}}}" |
    tr -d '\r' | sed -n 's/^[Xx]-[Ss]ubject-[Tt]oken: *//p')"
  [[ -n "${token}" ]] || die "the emulator issued no token"
  curl -sS --fail -H "X-Auth-Token: ${token}" "${endpoint}/api/v1/images/$1/members?limit=1000"
}

step "${cli##*/} init (offline, provider from ${plugin_dir#"${ROOT_DIR}/"})"
cp -R "${ROOT_DIR}/examples/demo/." "${work_dir}/"
cd "${work_dir}"
"${cli}" init -plugin-dir="${plugin_dir}" -no-color

step "${cli##*/} apply"
"${cli}" apply -auto-approve -no-color

step "the members in state"
"${cli}" output -no-color members
image_id="$("${cli}" output -raw image_id)"

step "the emulator's member list for image ${image_id}"
members_json="$(member_list "${image_id}")"
echo "${members_json}"
while read -r project_id; do
  [[ -n "${project_id}" ]] || continue
  tr -d ' \n' <<<"${members_json}" | grep -q "\"id\":\"${project_id}\"" ||
    die "project ${project_id} is missing from the emulator's member list"
done < <("${cli}" output -json shared_member_ids | tr -d '[]" ' | tr ',' '\n')

step "a second plan must be empty"
plan_status=0
"${cli}" plan -detailed-exitcode -no-color || plan_status=$?
case "${plan_status}" in
  0) echo "no changes: the second plan is empty" ;;
  2) die "the second plan is not empty" ;;
  *) die "the second plan failed (exit ${plan_status})" ;;
esac

step "${cli##*/} destroy"
"${cli}" destroy -auto-approve -no-color

step "the emulator must hold no member for image ${image_id}"
# The emulator's own record (its control endpoint, outside the API) must share with no project at
# once. The API keeps listing a removed member with is_shared=false for the removal delay (1s by
# default), as the real cloud does, so its list must only drain.
truth_json="$(curl -sS --fail "${endpoint}/_emulator/v1/images/${image_id}/members")"
echo "emulator record: ${truth_json}"
tr -d ' \n' <<<"${truth_json}" | grep -q '"shared_with":\[\]' ||
  die "the emulator still shares image ${image_id} after destroy"
members_json="$(member_list "${image_id}")"
echo "API member list: ${members_json}"
if tr -d ' \n' <<<"${members_json}" | grep -q '"is_shared":true'; then
  die "the API still lists image ${image_id} as shared after destroy"
fi
for _ in $(seq 1 50); do
  tr -d ' \n' <<<"${members_json}" | grep -q '"members":\[\]' && break
  sleep 0.2
  members_json="$(member_list "${image_id}")"
done
echo "API member list: ${members_json}"
tr -d ' \n' <<<"${members_json}" | grep -q '"members":\[\]' ||
  die "the emulator still lists members for image ${image_id} ten seconds after destroy"

step "stopping the emulator"
stop_emulator
echo "demo passed"
