"""Lesson 7 checks the parts a student brings from lessons 1 to 6 (``helpers.parts``): every
correct alternative of those lessons passes, and their realistic mistakes are caught, except the
ones listed here, in functions or paths lesson 7 never uses."""

import contextlib
import io
import re

import nbformat
import pytest
from nbgrader_course import FIXTURES, REPO, lessons, notebook_path, solution_cells

from helpers.checks import CheckFailed
from helpers.parts import LESSON_OF, PARTS, check_parts

LESSON_7 = "07_mnist_classifier"

# Mistakes that do not touch what lesson 7 runs, so its checks need not catch them.
NOT_USED_BY_LESSON_7 = {
    # derivatives and the Jacobian of lesson 2: lesson 7 uses the layers' backward passes
    "02_activation_functions/sigmoid/wrong_grad_of_output",
    "02_activation_functions/sigmoid/wrong_naive_grad",
    "02_activation_functions/softmax/wrong_jacobian_diagonal",
    "02_activation_functions/softmax/wrong_jacobian_dot",
    "02_activation_functions/softmax/wrong_jacobian_sign",
    "02_activation_functions/softmax/wrong_power_after_exp",
    # errors for bad arguments that lesson 7 never passes
    "03_multilayer_networks/init_params/wrong_no_error",
    "03_multilayer_networks/mlp_forward/wrong_no_value_error",
    "05_training_loop/train_val_test_split/wrong_count_check",
    "05_training_loop/train_val_test_split/wrong_no_checks",
    # ties between logits (never exact on real data)
    "03_multilayer_networks/mlp_forward/wrong_predict_last_max",
    # sizes rounded: lesson 7 splits 60,000 by 0.1, which rounding does not change
    "05_training_loop/train_val_test_split/wrong_round",
    # a list instead of a generator gives the same batches
    "05_training_loop/iterate_minibatches/wrong_list",
    # L2, early stopping and the progress flag: train_mnist trains without them
    "05_training_loop/early_stopping/wrong_min_delta",
    "05_training_loop/l2_regularization/wrong_lam0_shortcut_none",
    "05_training_loop/train/wrong_bar_over_batches",
    "05_training_loop/train/wrong_history_with_penalty",
    "05_training_loop/train/wrong_ignores_patience",
    "05_training_loop/train/wrong_keeps_last",
    "05_training_loop/train/wrong_l2_ignored",
    "05_training_loop/train/wrong_progress_ignored",
    "05_training_loop/train/wrong_stopping_on_train_loss",
}


# Alternatives with leftover lines that read a variable of their own notebook: not pasteable.
LEFTOVERS = {"alt_leftover_augassign", "alt_leftover_experiment"}


def _fixtures():
    earlier = [lesson for lesson in lessons() if lesson < LESSON_7]
    for path in sorted(p for lesson in earlier for p in (FIXTURES / lesson).glob("*/*.py")):
        defined = set(re.findall(r"^(?:def|class) (\w+)", path.read_text(), re.M))
        if defined & set(LESSON_OF) and path.stem not in LEFTOVERS:
            yield path


@pytest.fixture(scope="module")
def course_parts() -> str:
    """The lesson 7 reference's part cells, and the solutions of lessons 1 to 6 under them (for
    a fixture's helpers, such as lesson 2's relu in a relu_forward)."""

    def answers(lesson):
        return solution_cells(nbformat.read(notebook_path(REPO, "source", lesson), 4))

    earlier = "\n".join(
        code for lesson in lessons() if lesson < LESSON_7 for code in answers(lesson).values()
    )
    parts = "\n".join(code for k, code in answers(LESSON_7).items() if k.startswith("parts_"))
    return "import math\nimport numpy as np\nfrom tqdm.auto import tqdm\n" + earlier + "\n" + parts


def _verdict(namespace: dict) -> str:
    """'' when every part passes its checks, else the first failure."""
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            for lesson in PARTS:
                check_parts(lesson, namespace)
    except CheckFailed as failed:
        return str(failed)
    return ""


def test_the_course_parts_pass(course_parts):
    namespace = {}
    exec(course_parts, namespace)
    assert _verdict(namespace) == ""


@pytest.mark.parametrize(
    "path", list(_fixtures()), ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}/{p.stem}"
)
def test_earlier_fixtures_are_judged_as_in_their_lesson(course_parts, path):
    name = f"{path.parent.parent.name}/{path.parent.name}/{path.stem}"
    namespace = {}
    exec(course_parts, namespace)
    exec(path.read_text(), namespace)
    verdict = _verdict(namespace)
    if path.stem.startswith("alt_"):
        assert verdict == "", f"{name}, a correct alternative, fails lesson 7's checks: {verdict}"
    elif name in NOT_USED_BY_LESSON_7:
        assert verdict == "", f"{name} is caught now: remove it from NOT_USED_BY_LESSON_7"
    else:
        assert verdict, f"{name}, a realistic mistake, passes lesson 7's checks of its part"
        assert "does not pass its checks yet" in verdict
