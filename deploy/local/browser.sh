#!/usr/bin/env bash
# Makes sure Debian's Chromium is at /usr/bin/chromium for the browser tests (tests/browser).
# Playwright's own browser download cannot work on a closed network; the distribution's package can.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "browser: $("$CHROMIUM" --version 2>/dev/null || echo chromium) at $CHROMIUM"
  exit 0
fi

if [[ "$(id -u)" != "0" ]]; then
  echo "browser: $CHROMIUM is missing and installing it needs root;" >&2
  echo "browser: run as root: apt-get update && apt-get install -y chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "browser: $CHROMIUM is missing and this system has no apt-get; install Chromium at $CHROMIUM" >&2
  exit 1
fi

echo "browser: installing Debian's chromium: apt-get update -qq && apt-get install -y -qq chromium"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
if [[ ! -x "$CHROMIUM" ]]; then
  echo "browser: apt-get finished but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "browser: $("$CHROMIUM" --version 2>/dev/null) at $CHROMIUM"
