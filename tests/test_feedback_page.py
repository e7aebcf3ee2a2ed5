"""Feedback pages rewritten to read offline: MathML outside code, names in the score list."""

from __future__ import annotations

from helpers.grading.feedback_page import exercise_names, math_as_mathml, readable


def test_math_becomes_mathml_but_code_and_prices_stay():
    page = (
        "<p>The rule $w \\leftarrow w + \\eta e x$ and</p>\n$$z = Xw + b$$\n"
        "<pre>print('$5 and $6')</pre><code>$HOME</code><p>costs $5 and $6</p>"
    )
    out = math_as_mathml(page)
    assert out.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="inline">') == 1
    assert out.count('display="block"') == 1
    assert "<pre>print('$5 and $6')</pre><code>$HOME</code>" in out
    assert "costs $5 and $6" in out
    assert "\\leftarrow" not in out


def test_escaped_html_in_math_is_read_as_tex():
    assert "&#x0003E;" in math_as_mathml("<p>$z &gt; 0$</p>")


def test_score_list_names_exercises_and_mathjax_is_gone():
    page = (
        '<head><script type="text/javascript" src="https://cdn/mathjax/latest.js"></script>'
        '</head><li><a href="#test_train_perceptron_exact_run">Test cell</a></li>'
    )
    out = readable(page, ["perceptron_predict", "train_perceptron"])
    assert "mathjax" not in out.lower().replace("feedback_page", "")
    assert ">Exercise 2, train_perceptron: exact run</a>" in out
    assert "white-space: pre-wrap" in out
    assert exercise_names("test_unknown_cell", []) == "unknown cell"
    assert exercise_names("test_q07_answer", ["q06", "q07"]) == "Question 7"


def test_feedback_keeps_only_what_the_course_wrote():
    import io
    from contextlib import redirect_stdout

    import nbformat

    from helpers.checks import passed
    from helpers.grading.feedback import HIDDEN_FAILED, PASSED_LINES, HideHiddenTests

    shown = io.StringIO()
    with redirect_stdout(shown):
        passed()
    assert shown.getvalue().strip() in PASSED_LINES

    secret = "check_equal(predict(X_secret), [1, 0, 1], 'a secret hidden check')"
    source = f"check_one()\n### BEGIN HIDDEN TESTS\n{secret}\n### END HIDDEN TESTS\npassed()"
    test = nbformat.v4.new_code_cell(source)
    test.metadata.nbgrader = {"grade": True, "solution": False, "grade_id": "t", "points": 1}

    def failed_at(line, message):
        return nbformat.v4.new_output(
            "error", ename="CheckFailed", evalue=message,
            traceback=[f"\x1b[36mThe test stopped at line {line}:\x1b[0m ...", "CheckFailed: ..."],
        )  # fmt: skip

    printed = nbformat.v4.new_output(
        "stream", name="stdout", text=source + "\n" + next(iter(PASSED_LINES))
    )
    visible_fail = nbformat.v4.new_code_cell(
        source, outputs=[printed, failed_at(1, "p(...) raised ValueError: " + secret)]
    )
    visible_fail.metadata = test.metadata
    hidden_fail = nbformat.v4.new_code_cell(source, outputs=[failed_at(3, "values differ: b")])
    hidden_fail.metadata = test.metadata
    solution = nbformat.v4.new_code_cell(
        "print(In)", outputs=[nbformat.v4.new_output("stream", name="stdout", text=secret)]
    )
    notebook = nbformat.v4.new_notebook(cells=[visible_fail, hidden_fail, solution])

    graded, _ = HideHiddenTests().preprocess(notebook, {})
    text = nbformat.writes(graded)
    assert "X_secret" not in text
    first, second, third = (c.outputs for c in graded.cells)
    assert first[0]["text"].strip() in PASSED_LINES and len(first) == 2
    assert first[1]["evalue"] == "p(...) raised ValueError: (its message is not shown in feedback)"
    assert second[0]["evalue"] == HIDDEN_FAILED
    assert third == []


def test_a_quiz_question_gets_its_explanation_from_the_source_right_or_wrong():
    import nbformat

    from helpers.grading.feedback import WRONG_ANSWER, HideHiddenTests
    from helpers.quiz import FORMAT_OK

    source = (
        'check_choice_format(q01_answer, "q01")\n### BEGIN HIDDEN TESTS\n'
        'explain("q01", r"""Scaling $w$ and $b$ keeps the sign of every $z$.""")\n'
        'grade_choice(q01_answer, "c", "q01")\n### END HIDDEN TESTS'
    )
    forged = nbformat.v4.new_output(  # what student code could display while the cell runs
        "display_data", data={"text/markdown": "**Why.** The answer is d, trust me."}
    )
    failed = nbformat.v4.new_output(
        "error", ename="CheckFailed", evalue="q01: not the right answer.",
        traceback=["\x1b[36mThe test stopped at line 4:\x1b[0m ...", "CheckFailed: ..."],
    )  # fmt: skip
    printed = nbformat.v4.new_output("stream", name="stdout", text=FORMAT_OK + "\n")
    cell = nbformat.v4.new_code_cell(source, outputs=[printed, forged, failed])
    cell.metadata.nbgrader = {"grade": True, "solution": False, "grade_id": "test_q01_answer"}
    graded, _ = HideHiddenTests().preprocess(nbformat.v4.new_notebook(cells=[cell]), {})
    outputs = graded.cells[0].outputs
    # "Answer recorded" is left out: above "not the right answer" it would only confuse
    assert [o.output_type for o in outputs] == ["error", "display_data"]
    assert outputs[0].evalue == WRONG_ANSWER
    assert outputs[1].data["text/markdown"] == (
        "**Why.** Scaling $w$ and $b$ keeps the sign of every $z$."
    )
    assert (
        "trust me" not in nbformat.writes(graded) and "grade_choice" not in graded.cells[0].source
    )
