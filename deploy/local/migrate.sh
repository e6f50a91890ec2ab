#!/usr/bin/env bash
# dbmate for one service: migrate.sh <service> up|down|status|new NAME
# The URL comes from <SERVICE>_DATABASE_URL, else PG_URL + /shop_<service>.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
service="${1:?service}"; shift
if [[ ! -d "db/$service/migrations" ]]; then
  echo "unknown service '$service' (no db/$service/migrations)" >&2
  exit 2
fi
var="$(echo "$service" | tr '[:lower:]' '[:upper:]')_DATABASE_URL"
url="${!var:-${PG_URL:-postgres://postgres@127.0.0.1:5432}/shop_$service}"
[[ "$url" == *"?"* ]] || url="$url?sslmode=disable"
exec node_modules/.bin/dbmate --url "$url" --migrations-dir "db/$service/migrations" --no-dump-schema "$@"
