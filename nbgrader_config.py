"""The course's one nbgrader configuration: instructor commands, Validate and the formgrader."""

import os

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from helpers.grading.answer_stubs import generate_assignment_preprocessors
from helpers.grading.course import CLASS_CONFIG
from helpers.grading.feedback import HideHiddenTests
from helpers.grading.sandbox import sandboxed_autograde_preprocessors

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

course_root = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.course_id = "nnfs"
c.CourseDirectory.root = course_root

# The slowest legitimate cell is MNIST training in lesson 7 (about a minute on 2 cores while
# grading); twice that leaves room for a slow machine, and bounds an endless loop.
c.Execute.timeout = 120
# nbgrader fails the whole notebook if a cell's output arrives more than `iopub_timeout` seconds
# after the kernel's reply (4 s by default): on a machine busy grading a class, a cell that draws a
# figure can take longer than that. A minute is far from any honest cell's delay.
c.Execute.iopub_timeout = 60

# Autograding runs student code in a sandbox (bubblewrap, a user of its own, resource limits) and
# in a kernel that restores its hooks before every cell: see helpers/grading/sandbox.py and
# guarded_kernel.py. `nbgrader validate` (the Validate button) is not affected.
c.Autograde.autograde_preprocessors = sandboxed_autograde_preprocessors()

# Quiz answers are released as `q07_answer = None` (other solutions as nbgrader stubs them).
c.GenerateAssignment.preprocessors = generate_assignment_preprocessors()

# A student who deletes a test cell gets it back, with its points, instead of a silent pass.
c.OverwriteCells.add_missing_cells = True

# `nbgrader validate` cuts lines at 90 characters by default, which would cut off our hints.
c.Validator.width = 10_000

# Feedback shows which checks failed and why, never the hidden tests or their tracebacks.
c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]

# Self-study: a local exchange inside the course so the Assignments tab works offline.
# On JupyterHub, set NBGRADER_EXCHANGE_ROOT to the shared exchange (usually /srv/nbgrader/exchange).
c.Exchange.root = os.environ.get("NBGRADER_EXCHANGE_ROOT", os.path.join(course_root, ".exchange"))

# On a shared exchange anyone can name a submission after another student: collect leaves such a
# forgery out, names it and fails (nbgrader's own collect only warns, and takes it). A submission
# is kept from other students (nbgrader's own leaves it writable by everyone).
c.ExchangeFactory.collect = "helpers.grading.exchange.OwnerCheckedCollect"
c.ExchangeFactory.submit = "helpers.grading.exchange.PrivateSubmit"

# This class's own settings (a late penalty, the exchange of a hub, a longer cell timeout, ...)
# go in nbgrader_class_config.py beside this file: git ignores it, and it is read last, so its
# values win. See README.md, "Running a class".
load_subconfig(CLASS_CONFIG)  # noqa: F821 - provided by the config loader
