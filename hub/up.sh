#!/usr/bin/env bash
# One command for a class on this machine, as root: install or update (hub/setup.sh), then run
# JupyterHub in the foreground (Ctrl-C stops it). Options as environment variables: see
# hub/setup.sh and hub/jupyterhub_config.py.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/setup.sh"
hub_home="${NNFS_HUB_HOME:-/opt/nnfs-hub}"
cd "$hub_home/state"
exec "$hub_home/venv/bin/jupyterhub" -f "$here/jupyterhub_config.py"
