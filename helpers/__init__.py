"""Neural Networks from Scratch: the course's own package.

One idea per module:

- ``helpers.checks``   student-friendly checks used by test cells (type, then shape, then values)
- ``helpers.data``     the datasets the course ships (MNIST, toy 2-D sets), verified by checksum
- ``helpers.plots``    plotting (decision boundaries, curves)
- ``helpers.widgets``  the interactive widgets the lessons use
- ``helpers.drawing``  a digit drawn with the mouse, preprocessed like MNIST (lesson 7's pad)
- ``helpers.grading``  instructor tools: release, autograde, feedback, grade export, class report
- ``helpers.tagged_cells`` a notebook's tagged code cells, run outside Jupyter (benchmark, tests)

Nothing here contains the answer to a graded exercise.
"""

import os


def grading_in_progress() -> bool:
    """True while nbgrader validates or autogrades a notebook.

    Lessons use it to skip widgets and shorten long work, so grading stays fast and never
    waits on a slider.
    """
    return bool(os.environ.get("NBGRADER_EXECUTION"))


__all__ = ["grading_in_progress"]
