"""What each user's server on the class's hub gets, by the Unix group the user is in.

One rule, used by hub/jupyterhub_config.py when it starts a server and by tests/test_hub.py when it
runs a command as a user (what the user would get in a terminal on the hub):

- everyone: the course's environment first on PATH (`nbgrader` and `python` are the course's), the
  class's nbgrader settings ($NNFS_HUB_HOME/config: course id, exchange, checked collect) and
  NBGRADER_EXCHANGE_ROOT, which the course's own nbgrader_config.py reads;
- students also the student configuration ($NNFS_HUB_HOME/student-config: no formgrader, no
  Create Assignment);
- instructors NNFS_COURSE, their course folder (~/nnfs), which the class's settings load, so that
  the formgrader finds the course wherever JupyterLab was started.
"""

from __future__ import annotations

import grp
import os
import pwd

STUDENTS, INSTRUCTORS = "nnfs-students", "nnfs-instructors"
COURSE_FOLDER = "nnfs"  # in an instructor's home
DEFAULT_HUB_HOME = "/opt/nnfs-hub"
DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"


def member_of(username: str, group: str) -> bool:
    """Whether the user is in the Unix group (as a supplementary or as their primary group)."""
    try:
        entry = grp.getgrnam(group)
        primary = pwd.getpwnam(username).pw_gid == entry.gr_gid
    except KeyError:
        return False
    return primary or username in entry.gr_mem


def server_environment(
    username: str,
    hub_home: str = DEFAULT_HUB_HOME,
    exchange: str = DEFAULT_EXCHANGE,
) -> dict[str, str]:
    """The environment variables a user's server (and its terminals and kernels) starts with."""
    config = [f"{hub_home}/config"]
    environment = {
        "PATH": f"{hub_home}/venv/bin:/usr/local/bin:/usr/bin:/bin",
        "NBGRADER_EXCHANGE_ROOT": exchange,
    }
    if member_of(username, INSTRUCTORS):
        home = pwd.getpwnam(username).pw_dir
        environment["NNFS_COURSE"] = os.path.join(home, COURSE_FOLDER)
    else:
        config.insert(0, f"{hub_home}/student-config")
    environment["JUPYTER_CONFIG_PATH"] = os.pathsep.join(config)
    return environment
