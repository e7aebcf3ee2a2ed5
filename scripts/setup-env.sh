#!/usr/bin/env bash
# Make sure .venv exists and holds the pinned course environment. Sourced by lab.sh and test.sh.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTHON=${PYTHON:-python3}
if ! command -v "$PYTHON" >/dev/null 2>&1; then
  echo "Python 3.11 or newer is needed, and '$PYTHON' was not found. Install Python 3.11 first." >&2
  exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 or newer is needed; '$PYTHON' is $("$PYTHON" --version 2>&1)." >&2
  echo "Run again with PYTHON=/path/to/python3.11." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creating the virtual environment in .venv ..."
  if ! "$PYTHON" -m venv .venv >/dev/null 2>&1; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing Debian's python3-venv (needed to create .venv) ..."
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
      "$PYTHON" -m venv .venv
    else
      echo "Python cannot create a virtual environment here." >&2
      echo "On Debian or Ubuntu: sudo apt-get install python3-venv, then run this again." >&2
      exit 1
    fi
  fi
fi

# Install again only when the pinned requirements change.
wanted=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
stamp=.venv/.course-requirements
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "Installing the course environment (first run takes a few minutes) ..."
  .venv/bin/python -m pip install --quiet --upgrade pip
  # PYTHONWARNINGS: setuptools warns at length about the editable install of helpers, which is
  # intended (the course's own package, changed in place); students need not read it.
  PYTHONWARNINGS=ignore .venv/bin/python -m pip install --quiet -r requirements.txt
  echo "$wanted" > "$stamp"
fi

# Tools the course runs (jupyter, nbgrader, and the alembic that nbgrader calls) come from .venv.
export PATH="$PWD/.venv/bin:$PATH"

# The course runs offline: JupyterLab should not ask students whether to fetch Jupyter news.
settings=.venv/share/jupyter/lab/settings
mkdir -p "$settings"
echo '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false"}}' > "$settings/overrides.json"
