#!/usr/bin/env bash
# Installs what the project needs from the registries: Node (node.sh), the pinned pnpm, then the workspace's
# dependencies from the lock file. Safe to run again; fast when nothing is missing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

# The pinned Node first (see node.sh); everything below runs on it.
deploy/local/node.sh
export PATH="$PWD/.tools/node/bin:$PATH"

PNPM_VERSION="$(node -p 'require("./package.json").packageManager.split("@")[1]')"
if ! command -v pnpm >/dev/null 2>&1 || [[ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]]; then
  echo "installing pnpm@$PNPM_VERSION"
  npm install -g -E "pnpm@$PNPM_VERSION" >/dev/null
fi
CI=true pnpm install --frozen-lockfile --reporter=append-only 2>&1 | grep -vE '^(Progress|Packages:|\+|$)' || true
test -d node_modules/.pnpm || { echo "pnpm install failed" >&2; exit 1; }
