#!/usr/bin/env bash
# Set up the course environment if needed, then run every test.
# Extra arguments go to pytest, for example: bash scripts/test.sh -k grading
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"

exec .venv/bin/python -m pytest -n 2 --dist loadfile "$@"
