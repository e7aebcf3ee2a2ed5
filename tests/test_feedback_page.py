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
