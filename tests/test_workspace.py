"""A student's work is never overwritten: not by make release, make autograde or a course update.

Students work in my_work/<lesson>/, fetched once from release/ (helpers.workspace, which lab.sh
runs); the instructor commands refuse to regenerate a release notebook that holds student work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbgrader_course import QUIZ, REPO, Course, assignments, lessons, notebook_path, solved_release

from helpers.workspace import FETCHED_FROM, fetch, student_work_in

LESSON = lessons()[0]


def student_edits(path) -> bytes:
    """Write a student's work into the notebook at ``path`` (answers and outputs); return it."""
    notebook = solved_release(LESSON)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.execution_count = 1
            cell.outputs = [nbformat.v4.new_output("stream", text="my run\n")]
            break
    nbformat.write(notebook, path)
    return path.read_bytes()


def git(*args, cwd):
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_generated_release_holds_no_student_work_and_an_edited_one_does(tmp_path):
    assert student_work_in(notebook_path(REPO, "release", LESSON)) is None
    edited = tmp_path / "edited.ipynb"
    student_edits(edited)
    assert "been run" in student_work_in(edited)
    answered = solved_release(LESSON)
    nbformat.write(answered, edited)
    assert "written in" in student_work_in(edited)
    # The quiz's answers are released as `q01_answer = None`: answering one is work too.
    assert student_work_in(notebook_path(REPO, "release", QUIZ)) is None
    nbformat.write(solved_release(QUIZ, {"q01": 'q01_answer = "b"'}), edited)
    assert "cell q01 has been written in" in student_work_in(edited)


@pytest.mark.slow
def test_work_in_my_work_survives_release_and_autograde(tmp_path):
    course = Course.copy_of_repo(tmp_path / "course", cell_timeout=15)
    assert fetch(course.root) == [f"{name}: fetched into my_work/{name}/" for name in assignments()]
    mine = notebook_path(course.root, "my_work", LESSON)
    work = student_edits(mine)

    course.submit("someone", LESSON, solved_release(LESSON))
    for command in ("release", "autograde"):  # the lesson whose copy is in my_work: enough
        done = course.run(command, LESSON)
        assert done.returncode == 0, done.stdout + done.stderr
    assert mine.read_bytes() == work
    assert fetch(course.root)[0] == f"{LESSON}: your copy in my_work/{LESSON}/ is kept"
    assert mine.read_bytes() == work


@pytest.mark.slow
def test_release_refuses_to_overwrite_work_done_in_release(tmp_path):
    course = Course.copy_of_repo(tmp_path / "course")
    released = notebook_path(course.root, "release", LESSON)
    work = student_edits(released)
    done = course.run("release", LESSON)
    assert done.returncode == 1
    assert f"{LESSON}" in done.stdout and "NOT released" in done.stdout
    assert f"Move it to my_work/{LESSON}/" in done.stdout
    assert released.read_bytes() == work


def test_a_course_update_never_touches_a_fetched_copy(tmp_path):
    upstream, student = tmp_path / "upstream", tmp_path / "student"
    git("clone", "--quiet", "--no-hardlinks", str(REPO), str(upstream), cwd=tmp_path)
    git("clone", "--quiet", str(upstream), str(student), cwd=tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    fetch_command = [sys.executable, "-m", "helpers.workspace", "--course", str(student)]
    subprocess.run(fetch_command, check=True, env=env, capture_output=True)
    mine = notebook_path(student, "my_work", LESSON)
    work = student_edits(mine)
    assert git("status", "--porcelain", cwd=student) == ""  # my_work/ is ignored by git

    # The course changes the lesson upstream; the student pulls the update.
    released = notebook_path(upstream, "release", LESSON)
    content = json.loads(released.read_text())
    content["cells"].append(nbformat.v4.new_markdown_cell("An erratum."))
    released.write_text(json.dumps(content, indent=1) + "\n")
    git("-c", "user.name=Course", "-c", "user.email=c@example.org", "commit", "-qam", "Update",
        cwd=upstream)  # fmt: skip
    git("pull", "--quiet", "--ff-only", cwd=student)

    assert mine.read_bytes() == work
    again = subprocess.run(fetch_command, env=env, capture_output=True, text=True, check=True)
    assert "the course has updated this lesson since you fetched it" in again.stdout
    assert mine.read_bytes() == work
    assert (mine.parent / FETCHED_FROM).is_file()
