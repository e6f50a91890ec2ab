#!/usr/bin/env bash
# Known advisories in the production dependencies (what the services ship), high and critical:
#   deploy/local/audit.sh
# runs `pnpm audit --prod --audit-level high`, ignoring the advisories listed with a reason in
# deploy/local/audit-allowlist.txt. Exit codes: 0 clean, 1 an advisory (or an allow-list entry
# without a reason), 2 the advisory database could not be asked (nothing was checked).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
cd "$ROOT"
[[ -x .tools/node/bin/node ]] && PATH="$ROOT/.tools/node/bin:$PATH"
ALLOWLIST="deploy/local/audit-allowlist.txt"

ignores=()
if [[ -f "$ALLOWLIST" ]]; then
  while IFS= read -r line; do
    line="${line%%#*}"
    read -r id reason <<<"$line" || true
    [[ -z "${id:-}" ]] && continue
    if [[ ! "$id" =~ ^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$ ]]; then
      echo "audit.sh: $ALLOWLIST: \"$id\" is not a GHSA id" >&2
      exit 1
    fi
    if [[ -z "${reason:-}" ]]; then
      echo "audit.sh: $ALLOWLIST: $id has no reason; say why it cannot be fixed and until when" >&2
      exit 1
    fi
    ignores+=(--ignore "$id")
  done <"$ALLOWLIST"
fi

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
set +e
pnpm audit --prod --audit-level high "${ignores[@]}" >"$out" 2>&1
rc=$?
set -e
cat "$out"
if ((rc != 0)) && grep -q "ERR_PNPM_AUDIT_BAD_RESPONSE\|ERR_PNPM_AUDIT_ENDPOINT\|ENOTFOUND\|ECONNREFUSED" "$out"; then
  echo "audit.sh: the registry's advisory endpoint did not answer: nothing was checked" >&2
  exit 2
fi
exit "$rc"
