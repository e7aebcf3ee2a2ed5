"""The two ways to run the course for a class install the same pinned packages: hub/setup.sh on
one machine and hub/Dockerfile, the image for Zero to JupyterHub. Both leave the installing to
hub/install-course.sh; here, that each runs it on the same files, and what it installs.
(tests/test_hub.py checks the environment setup.sh really built, as root.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from nbgrader_course import REPO

HUB = REPO / "hub"


def pins(requirements: Path) -> dict[str, str]:
    """name -> version of every `name==version` line of a requirements file."""
    found = {}
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            found[name.strip().lower()] = version.strip()
    return found


def course_files() -> list[str]:
    """The repository files hub/install-course.sh copies and installs from."""
    (items,) = re.findall(r"^course_files=\((.*)\)$", (HUB / "install-course.sh").read_text(), re.M)
    return items.split()


def shell_commands(text: str) -> list[list[str]]:
    """The simple commands of a shell script or of a Dockerfile's RUN lines, split into words
    (a pipeline, a list with && or ;, a subshell: each command on its own)."""
    commands = []
    for line in re.sub(r"\\\n", " ", text).splitlines():
        line = line.strip().removeprefix("RUN ")
        if not line or line.startswith("#"):
            continue
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        words: list[str] = []
        for token in [*lexer, ";"]:
            if token and set(token) <= set("();&|<>"):
                if words:
                    commands.append(words)
                words = []
            else:
                words.append(token)
    return commands


def pip_installs(script: str) -> list[list[str]]:
    return [
        c[c.index("install") + 1 :] for c in shell_commands(script) if "pip" in c and "install" in c
    ]


def test_install_course_installs_the_pinned_requirements_and_nothing_else():
    installs = pip_installs((HUB / "install-course.sh").read_text())
    assert installs[0][-2:] == ["--upgrade", "pip"]
    requirement_files = [w for i, w in enumerate(installs[1]) if installs[1][i - 1] == "-r"]
    assert requirement_files == ["requirements.txt", "hub/requirements.txt"]
    assert all(w.startswith("-") or w in requirement_files for w in installs[1]), installs[1]
    assert len(installs) == 2
    # Every requirement is pinned (the course package itself comes from the copy: `-e .`).
    for name in requirement_files:
        lines = [line.split("#")[0].strip() for line in (REPO / name).read_text().splitlines()]
        loose = [line for line in lines if line and "==" not in line and line != "-e ."]
        assert not loose, f"{name} has requirements without a pinned version: {loose}"
    assert "jupyterhub" in pins(REPO / "hub/requirements.txt")
    assert set(requirement_files) <= set(course_files())


def test_the_image_and_one_machine_run_the_same_installer_on_the_same_files():
    dockerfile = (HUB / "Dockerfile").read_text()
    setup = (HUB / "setup.sh").read_text()
    # Nothing installed with pip outside hub/install-course.sh, by either.
    assert pip_installs(setup) == [] and pip_installs(dockerfile) == []
    in_setup = [
        c for c in shell_commands(setup) if c[:2] == ["bash", "$repo/hub/install-course.sh"]
    ]
    assert in_setup, "hub/setup.sh no longer runs hub/install-course.sh"
    in_image = [
        c
        for c in shell_commands(dockerfile)
        if c[0] == "bash" and c[1].endswith("/hub/install-course.sh")
    ]
    assert len(in_image) == 1, "hub/Dockerfile no longer runs hub/install-course.sh"
    # The image runs it on copies of the repository's own files, at the same places.
    source_root = in_image[0][2].rstrip("/") + "/"
    assert in_image[0][1] == f"{source_root}hub/install-course.sh"
    copied = {}  # repository path -> where the image has it
    for line in dockerfile.splitlines():
        if line.startswith("COPY "):
            *sources, destination = line.split()[1:]
            for source in sources:
                # Docker copies a folder's contents into the destination, a file into a folder
                # when the destination ends with "/".
                into = destination.endswith("/") and not (REPO / source).is_dir()
                copied[source] = (destination + Path(source).name if into else destination).rstrip(
                    "/"
                )
    for item in [*course_files(), "hub/install-course.sh"]:
        assert copied.get(item) == source_root + item, f"hub/Dockerfile does not copy {item}"
    # The same Python (3.11) as the single-machine hub's Debian one.
    assert re.search(r"^FROM python:3\.11[-.]", dockerfile, re.M)
