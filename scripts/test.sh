#!/usr/bin/env bash
# Set up the course environment if needed, then run every test.
# Extra arguments go to pytest, for example: bash scripts/test.sh -k grading
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"

# Debian packages the tests need: Chromium for the browser tests (Playwright cannot download a
# browser here) and bubblewrap, which sandboxes student code during autograding.
install_debian_package() {  # install_debian_package PACKAGE WHY
  if [ "$(id -u)" = 0 ]; then
    echo "Installing Debian's $1 ($2) ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "Installing Debian's $1 ($2) ..."
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
  else
    echo "The tests need $1 ($2). Install it with: sudo apt-get install $1" >&2
    exit 1
  fi
}
if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  install_debian_package chromium "for the browser tests; or set CHROMIUM=/path/to/chromium"
fi
if ! command -v bwrap >/dev/null 2>&1; then
  install_debian_package bubblewrap "to sandbox student code while grading"
fi

# The hub's own environment (tests/test_hub.py, as root only): built once, a minute or two, then
# only brought up to date, before the tests start rather than inside them.
if [ "$(id -u)" = 0 ]; then
  hub_home="${NNFS_HUB_TEST_HOME:-/var/tmp/nnfs-hub-test}"
  NNFS_HUB_HOME="$hub_home" NNFS_EXCHANGE="$hub_home/exchange" bash hub/setup.sh >/dev/null
fi

# One pytest worker more than the cores: the tests wait a good part of the time (kernels
# starting, a browser redrawing, time limits running out), and a third worker on two cores fills
# those waits. Each worker gets its share of the cores for BLAS (NumPy's matrix products), as the
# grader gives its kernels; more threads than cores make everything slower.
cores=$(nproc)
workers=$(( cores + 1 ))
blas_threads=$(( cores / workers > 0 ? cores / workers : 1 ))
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$blas_threads}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-$blas_threads}"
export MKL_NUM_THREADS="${MKL_NUM_THREADS:-$blas_threads}"

# Whole test modules go to the workers in the order tests/conftest.py gives (heaviest first).
exec .venv/bin/python -m pytest -n "$workers" --dist loadfile --no-loadscope-reorder "$@"
