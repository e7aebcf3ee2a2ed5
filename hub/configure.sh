#!/usr/bin/env bash
# Write the hub's settings for every user's server: hub/setup.sh runs it on one machine, and
# hub/Dockerfile in the image for Zero to JupyterHub. hub/servers.py puts the folders it writes on
# each server's JUPYTER_CONFIG_PATH: config/ for everyone, student-config/ for students too.
#
#   bash hub/configure.sh HUB_HOME EXCHANGE
set -euo pipefail
hub_home="$1"
exchange="$2"

# Every user's nbgrader: an instructor's course settings (~/nnfs/nbgrader_config.py, so that the
# formgrader finds the course), then the class's course id and exchange, a collect that refuses
# a submission made by one user under another's name, and a submit that keeps a submission from
# other students (helpers/grading/exchange.py). "groupshared": the exchange's folders belong to
# root and the instructors' group (hub/setup.sh), not to one instructor as nbgrader expects.
install -d -m 0755 "$hub_home/config"
cat > "$hub_home/config/nbgrader_config.py" <<EOF
# Written by hub/configure.sh: the class's course and exchange, for every user of the hub.
import os

c = get_config()
course = os.environ.get("NNFS_COURSE", "")  # an instructor's course folder (hub/servers.py)
if course and os.path.isfile(os.path.join(course, "nbgrader_config.py")):
    load_subconfig("nbgrader_config.py", path=course)
c.CourseDirectory.course_id = "nnfs"
c.CourseDirectory.groupshared = True
c.Exchange.root = "$exchange"
c.ExchangeFactory.collect = "helpers.grading.exchange.OwnerCheckedCollect"
c.ExchangeFactory.submit = "helpers.grading.exchange.PrivateSubmit"
EOF

# Students' servers: nbgrader's assignment list and Validate, not the formgrader or Create
# Assignment.
student_config="$hub_home/student-config"
install -d -m 0755 "$student_config/jupyter_server_config.d" "$student_config/labconfig"
cat > "$student_config/jupyter_server_config.d/nnfs-student.json" <<'EOF'
{"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": false}}}
EOF
cat > "$student_config/labconfig/page_config.json" <<'EOF'
{"disabledExtensions": {"@jupyter/nbgrader:formgrader": true, "@jupyter/nbgrader:create-assignment": true}}
EOF
