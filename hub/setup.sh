#!/usr/bin/env bash
# Install what a class on this machine needs, as root: a course environment every user can run,
# JupyterHub's proxy, nbgrader's shared exchange and the users' nbgrader configuration. Run again after
# `git pull`: it brings the installed course up to date. hub/up.sh runs it, then starts the hub.
#
#   NNFS_HUB_HOME   where it installs (default /opt/nnfs-hub)
#   NNFS_EXCHANGE   nbgrader's exchange (default /srv/nbgrader/exchange)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
hub_home="${NNFS_HUB_HOME:-/opt/nnfs-hub}"
exchange="${NNFS_EXCHANGE:-/srv/nbgrader/exchange}"
proxy_version="5.3.0"  # configurable-http-proxy, from npm

if [ "$(id -u)" != 0 ]; then
  echo "hub/setup.sh makes users' servers and a shared exchange: run it as root." >&2
  exit 1
fi

# Each user's server runs as that user: the course's Python must be one every user may run. A
# Python in root's home (pyenv) is not, so the hub's environment uses Debian's.
python=/usr/bin/python3
packages=()
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || packages+=(python3)
"$python" -c 'import ensurepip, venv' 2>/dev/null || packages+=(python3-venv)
command -v npm >/dev/null 2>&1 || packages+=(npm)
command -v bwrap >/dev/null 2>&1 || packages+=(bubblewrap)
if [ "${#packages[@]}" -gt 0 ]; then
  echo "Installing Debian's ${packages[*]} ..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

install -d -m 0755 "$hub_home" "$hub_home/course"
# The course's package and data, readable by everyone (helpers is installed from here).
for item in pyproject.toml helpers data; do
  rm -rf "${hub_home:?}/course/$item"
  cp -a "$repo/$item" "$hub_home/course/$item"
done
chmod -R a+rX "$hub_home/course"

wanted=$(cat "$repo/requirements.txt" "$repo/hub/requirements.txt" "$repo/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$hub_home/venv/.installed" 2>/dev/null)" != "$wanted" ]; then
  echo "Installing the course environment for the hub in $hub_home/venv (a minute or two) ..."
  rm -rf "$hub_home/venv"
  "$python" -m venv "$hub_home/venv"
  "$hub_home/venv/bin/python" -m pip install --quiet --upgrade pip
  # requirements.txt installs the course package from the repository (-e .): here, from the copy.
  grep -v '^-e ' "$repo/requirements.txt" > "$hub_home/requirements.txt"
  PYTHONWARNINGS=ignore "$hub_home/venv/bin/python" -m pip install --quiet \
    -r "$hub_home/requirements.txt" -r "$repo/hub/requirements.txt" -e "$hub_home/course"
  echo "$wanted" > "$hub_home/venv/.installed"
fi

if [ ! -x "$hub_home/proxy/node_modules/.bin/configurable-http-proxy" ]; then
  echo "Installing configurable-http-proxy $proxy_version ..."
  npm install --silent --prefix "$hub_home/proxy" "configurable-http-proxy@$proxy_version"
fi

# nbgrader's exchange: everyone may write, nobody may list the inbound submissions (nbgrader
# makes its course folders with the right modes inside).
install -d -m 1777 "$exchange"

# Settings for every user's nbgrader, in the folder the spawner adds to JUPYTER_CONFIG_PATH:
# the course and the exchange; collect refuses a submission made by one user under another's
# name (helpers/grading/exchange.py).
install -d -m 0755 "$hub_home/config"
cat > "$hub_home/config/nbgrader_config.py" <<EOF
# Written by hub/setup.sh: the class's course and exchange, for every user of the hub.
c = get_config()
c.CourseDirectory.course_id = "nnfs"
c.Exchange.root = "$exchange"
c.ExchangeFactory.collect = "helpers.grading.exchange.OwnerCheckedCollect"
EOF

# Students' servers: nbgrader's assignment list and Validate, not the formgrader or Create
# Assignment (the spawner adds this folder to their JUPYTER_CONFIG_PATH).
student_config="$hub_home/student-config"
install -d -m 0755 "$student_config/jupyter_server_config.d" "$student_config/labconfig"
cat > "$student_config/jupyter_server_config.d/nnfs-student.json" <<'EOF'
{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": false}}}
EOF
cat > "$student_config/labconfig/page_config.json" <<'EOF'
{"disabledExtensions": {"@jupyter/nbgrader:formgrader": true, "@jupyter/nbgrader:create-assignment": true}}
EOF

getent group nnfs-students >/dev/null || groupadd nnfs-students
getent group nnfs-instructors >/dev/null || groupadd nnfs-instructors
install -d -m 0700 "$hub_home/state"
echo "The hub is installed in $hub_home; users in the groups nnfs-students and nnfs-instructors may log in."
