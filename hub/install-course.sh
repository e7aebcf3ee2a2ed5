#!/usr/bin/env bash
# Install the course's environment for a hub: a copy of the course's package, data and pins in
# HUB_HOME/course, readable by everyone, and HUB_HOME/venv made from them with PYTHON. hub/setup.sh
# runs it on one machine, hub/Dockerfile in the image: both install the same pinned packages
# (tests/test_hub_recipes.py). Run again, it reinstalls only when the pins changed.
#
#   bash hub/install-course.sh REPO HUB_HOME PYTHON
set -euo pipefail
repo="$1"
hub_home="$2"
python="$3"
course_files=(pyproject.toml helpers data requirements.txt hub/requirements.txt)

install -d -m 0755 "$hub_home" "$hub_home/course" "$hub_home/course/hub"
for item in "${course_files[@]}"; do
  rm -rf "${hub_home:?}/course/$item"
  cp -a "$repo/$item" "$hub_home/course/$item"
done
chmod -R a+rX "$hub_home/course"

wanted=$(cat "$repo/requirements.txt" "$repo/hub/requirements.txt" "$repo/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$hub_home/venv/.installed" 2>/dev/null)" != "$wanted" ]; then
  echo "Installing the course environment for the hub in $hub_home/venv (a minute or two) ..."
  rm -rf "$hub_home/venv"
  "$python" -m venv "$hub_home/venv"
  "$hub_home/venv/bin/python" -m pip install --quiet --no-cache-dir --upgrade pip
  # From the course's copy: requirements.txt's `-e .` installs the copy's helpers package.
  (cd "$hub_home/course" && PYTHONWARNINGS=ignore "$hub_home/venv/bin/python" -m pip install \
    --quiet --no-cache-dir -r requirements.txt -r hub/requirements.txt)
  echo "$wanted" > "$hub_home/venv/.installed"
fi
