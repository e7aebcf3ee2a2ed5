"""JupyterHub for a class on one machine: local users, the course's environment, nbgrader.

Installed by hub/setup.sh; started by hub/up.sh. Who may log in: the members of the Unix groups
nnfs-students and nnfs-instructors (with their system passwords, through PAM). Students' servers
have nbgrader's assignment list and Validate; instructors' have the formgrader too.

    NNFS_HUB_HOME   where setup.sh installed (default /opt/nnfs-hub)
    NNFS_HUB_IP     the address the hub listens on (default: all)
    NNFS_HUB_PORT   its port (default 8000); the hub's own API and the proxy's use the next two
"""

import grp
import os
import pwd

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

hub_home = os.environ.get("NNFS_HUB_HOME", "/opt/nnfs-hub")
port = int(os.environ.get("NNFS_HUB_PORT", "8000"))
STUDENTS, INSTRUCTORS = "nnfs-students", "nnfs-instructors"

c.JupyterHub.ip = os.environ.get("NNFS_HUB_IP", "")
c.JupyterHub.port = port
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = port + 1
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{port + 2}"
c.ConfigurableHTTPProxy.command = [f"{hub_home}/proxy/node_modules/.bin/configurable-http-proxy"]
c.JupyterHub.db_url = f"sqlite:///{hub_home}/state/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{hub_home}/state/cookie_secret"
c.ConfigurableHTTPProxy.pid_file = f"{hub_home}/state/proxy.pid"

c.JupyterHub.authenticator_class = "pam"
c.LocalAuthenticator.allowed_groups = {STUDENTS, INSTRUCTORS}

c.Spawner.cmd = [f"{hub_home}/venv/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"


def member_of(username: str, group: str) -> bool:
    try:
        members = grp.getgrnam(group).gr_mem
        primary = pwd.getpwnam(username).pw_gid == grp.getgrnam(group).gr_gid
    except KeyError:
        return False
    return username in members or primary


def configure_server(spawner) -> None:
    """Every server gets the class's nbgrader settings and the course's PATH (`nbgrader` in a
    terminal is the course's); students' also the student configuration (no formgrader)."""
    name = spawner.user.name
    config = [f"{hub_home}/config"]  # the course id and the exchange (hub/setup.sh)
    if not member_of(name, INSTRUCTORS):
        config.insert(0, f"{hub_home}/student-config")
    spawner.environment.update(
        {
            "PATH": f"{hub_home}/venv/bin:/usr/local/bin:/usr/bin:/bin",
            "JUPYTER_CONFIG_PATH": os.pathsep.join(config),
        }
    )


c.Spawner.pre_spawn_hook = configure_server
