#!/usr/bin/env bash
# Set up the course environment if needed, then run every test.
# Extra arguments go to pytest, for example: bash scripts/test.sh -k grading
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"

# The browser tests drive Debian's Chromium (Playwright cannot download a browser here).
if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's chromium for the browser tests ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "Installing Debian's chromium for the browser tests ..."
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The browser tests need Chromium. Install it with: sudo apt-get install chromium" >&2
    echo "(or set CHROMIUM=/path/to/chromium), then run this again." >&2
    exit 1
  fi
fi

exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
