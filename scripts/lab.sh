#!/usr/bin/env bash
# Set up the course environment if needed, fetch the lessons into my_work/ (never overwriting
# your work there), then start JupyterLab in the course folder.
#   bash scripts/lab.sh                          # as a student
#   bash scripts/lab.sh --instructor             # with nbgrader's Formgrader and Create Assignment
#   bash scripts/lab.sh --no-browser --port 8890 # other arguments go to JupyterLab
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup-env.sh"

role=student
args=()
for arg in "$@"; do
  if [ "$arg" = "--instructor" ]; then role=instructor; else args+=("$arg"); fi
done
if [ "$role" = student ]; then
  # Students see the Validate button and the assignment list, not the instructor's tools.
  export JUPYTER_CONFIG_PATH="$PWD/scripts/jupyter-student${JUPYTER_CONFIG_PATH:+:$JUPYTER_CONFIG_PATH}"
fi

mkdir -p .exchange
.venv/bin/python -m helpers.workspace
if [ "$(id -u)" = 0 ]; then
  args+=(--allow-root)  # Jupyter refuses to run as root without it
fi
echo "Starting JupyterLab ($role). Open notebooks/00_getting_started.ipynb first;"
echo "your lessons are in my_work/ (course commands and updates never touch them)."
exec .venv/bin/jupyter lab --notebook-dir="$PWD" "${args[@]}"
