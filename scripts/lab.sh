#!/usr/bin/env bash
# Set up the course environment if needed, then start JupyterLab in the course folder.
# Extra arguments go to JupyterLab, for example: bash scripts/lab.sh --no-browser --port 8890
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"

mkdir -p .exchange
extra=()
if [ "$(id -u)" = 0 ]; then
  extra+=(--allow-root)  # Jupyter refuses to run as root without it
fi
echo "Starting JupyterLab. Open notebooks/00_getting_started.ipynb first."
exec .venv/bin/jupyter lab --notebook-dir="$PWD" "${extra[@]}" "$@"
