#!/usr/bin/env bash
# Static checks of the Docker deployment (no Docker engine needed):
#   deploy/check.sh              compose file, Prometheus config, rules and their unit tests,
#                                dashboards (JSON and PromQL), metric names and labels
#   deploy/check.sh --metrics    only print the series names the dashboards and rules query
#   deploy/check.sh --families   the same as metric family names (`name: "..."` in the code)
# Needs docker-compose (or the `docker compose` plugin), promtool and node; installs nothing.
# Exit codes: 0 all good, 1 a check failed, 2 a tool is missing.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
cd "$here/.."

need_node() {
  command -v node >/dev/null 2>&1 || { echo "check.sh: node is required (Node.js 20 or newer)" >&2; exit 2; }
}

case "${1:-}" in
  --metrics | --families)
    need_node
    exec node deploy/check-metrics.mjs "$1"
    ;;
  "") ;;
  *) echo "usage: $0 [--metrics|--families]" >&2; exit 2 ;;
esac

need_node
if command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
elif docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
else
  compose=()
fi
missing=()
((${#compose[@]})) || missing+=("docker-compose (Debian: apt-get install docker-compose; or the docker compose plugin)")
command -v promtool >/dev/null 2>&1 || missing+=("promtool (Debian: apt-get install prometheus)")
if ((${#missing[@]})); then
  printf 'check.sh: missing tool: %s\n' "${missing[@]}" >&2
  exit 2
fi

failed=0
step() {
  local title="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then
    echo "ok    $title"
  else
    echo "FAIL  $title"
    sed 's/^/      /' <<<"$out"
    failed=1
  fi
}

# Compose refuses to render without the Grafana password; a stand-in does for checking the file.
export GRAFANA_ADMIN_PASSWORD="${GRAFANA_ADMIN_PASSWORD:-check-only}"
step "compose file (${compose[*]} config)" "${compose[@]}" -f deploy/docker-compose.yml config -q
step "prometheus config (promtool check config)" promtool check config deploy/prometheus/prometheus.yml
step "prometheus rules (promtool check rules)" promtool check rules deploy/prometheus/rules.yml
step "alert rules unit tests (promtool test rules)" promtool test rules deploy/prometheus/rules.test.yml
dashboard_rules="$(mktemp --suffix=.yml)"
trap 'rm -f "$dashboard_rules"' EXIT
if node deploy/check-metrics.mjs --dashboard-rules >"$dashboard_rules"; then
  step "dashboard queries are valid PromQL (promtool check rules)" promtool check rules "$dashboard_rules"
else
  echo "FAIL  dashboard queries could not be read"
  failed=1
fi
for f in deploy/grafana/dashboards/*.json; do
  step "dashboard $f parses" node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (!d.uid || !d.title || !Array.isArray(d.panels)) throw new Error("uid, title and panels are required");' "$f"
done
step "grafana provisioning files exist" test -s deploy/grafana/provisioning/datasources/datasources.yml \
  -a -s deploy/grafana/provisioning/dashboards/dashboards.yml
step "postgres init script exists" test -s deploy/postgres/init/01-databases.sql
step "every queried metric and label is exported by the code" node deploy/check-metrics.mjs

if ((failed)); then
  echo "deploy checks failed" >&2
  exit 1
fi
echo "deploy checks passed"
