#!/usr/bin/env bash
# Builds Terraform from its Go module into .tools/bin/terraform; later releases cannot be built
# from the module proxy (their replace directives point at folders the module archive lacks).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

go_install_tool "${TERRAFORM_BIN}" github.com/hashicorp/terraform "${TERRAFORM_VERSION}"
"${TERRAFORM_BIN}" version
