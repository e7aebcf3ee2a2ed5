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

# The course's environment, from the repository's pins (the image, hub/Dockerfile, runs the same).
bash "$repo/hub/install-course.sh" "$repo" "$hub_home" "$python"

if [ ! -x "$hub_home/proxy/node_modules/.bin/configurable-http-proxy" ]; then
  echo "Installing configurable-http-proxy $proxy_version ..."
  npm install --silent --prefix "$hub_home/proxy" "configurable-http-proxy@$proxy_version"
fi

getent group nnfs-students >/dev/null || groupadd nnfs-students
getent group nnfs-instructors >/dev/null || groupadd nnfs-instructors

# nbgrader's exchange, made here so that no student can take a part of it first. Only root writes
# the exchange's root. The course's folder and its parts belong to root and the instructors'
# group (setgid: what instructors make in them stays the group's): instructors release
# (outbound), collect (inbound) and release feedback (feedback); students read a release,
# submit into inbound without seeing (or, sticky bit, removing) anyone else's submission, and
# read their own feedback by its name. nbgrader's usual modes assume the instructor owns these
# folders; "groupshared" in hub/configure.sh's settings lets instructors use their group's.
install -d -m 0755 "$exchange"
chmod 0755 "$exchange"
course_exchange="$exchange/nnfs"
install -d -o root -g nnfs-instructors -m 2775 "$course_exchange" "$course_exchange/outbound"
install -d -o root -g nnfs-instructors -m 3773 "$course_exchange/inbound"
install -d -o root -g nnfs-instructors -m 2771 "$course_exchange/feedback"

# Every user's nbgrader settings and the students' configuration (the image does the same).
bash "$repo/hub/configure.sh" "$hub_home" "$exchange"

install -d -m 0700 "$hub_home/state"
echo "The hub is installed in $hub_home; users in the groups nnfs-students and nnfs-instructors may log in."
