"""JupyterHub for a class on one machine: local users, the course's environment, nbgrader.

Installed by hub/setup.sh; started by hub/up.sh. Who may log in: the members of the Unix groups
nnfs-students and nnfs-instructors (with their system passwords, through PAM). Students' servers
have nbgrader's assignment list and Validate; instructors' have the formgrader too, on their
course in ~/nnfs (hub/servers.py says what each server gets).

    NNFS_HUB_HOME   where setup.sh installed (default /opt/nnfs-hub)
    NNFS_EXCHANGE   nbgrader's exchange, as given to setup.sh (default /srv/nbgrader/exchange)
    NNFS_HUB_IP     the address the hub listens on (default: all)
    NNFS_HUB_PORT   its port (default 8000); the hub's own API and the proxy's use the next two
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import (  # noqa: E402 - hub/servers.py, beside this file
    DEFAULT_EXCHANGE,
    DEFAULT_HUB_HOME,
    INSTRUCTORS,
    STUDENTS,
    server_environment,
)

c = get_config()  # noqa: F821 - provided by JupyterHub when it loads this file

hub_home = os.environ.get("NNFS_HUB_HOME", DEFAULT_HUB_HOME)
exchange = os.environ.get("NNFS_EXCHANGE", DEFAULT_EXCHANGE)
port = int(os.environ.get("NNFS_HUB_PORT", "8000"))

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


def configure_server(spawner) -> None:
    """Every server gets the course's environment and the class's nbgrader settings; students'
    also the student configuration (no formgrader); instructors' their course (hub/servers.py)."""
    spawner.environment.update(server_environment(spawner.user.name, hub_home, exchange))


c.Spawner.pre_spawn_hook = configure_server
