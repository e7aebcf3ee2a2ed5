"""Feedback pages a student can read offline: math as MathML, wrapped messages, named exercises.

nbgrader writes each feedback page with MathJax loaded from a CDN (so offline the math shows as
raw LaTeX), error messages in ``<pre>`` blocks that run off the edge, and a score list of
identical "Test cell" links. After ``generate_feedback``, the feedback command rewrites each page:

- every ``$...$`` and ``$$...$$`` outside code becomes MathML (latex2mathml), which browsers
  draw by themselves, and the MathJax scripts are removed;
- preformatted text wraps at the page's width;
- each score line names its exercise and part: "Exercise 1, perceptron_predict: boundary" (in
  the quiz: "Question 7").
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from latex2mathml.converter import convert

from helpers.grading.course import exercise_of

# Parts of the page where a dollar sign is not math: code, preformatted output, scripts, styles.
_VERBATIM = re.compile(r"(<(pre|code|script|style)\b.*?</\2>)", re.S | re.I)
_DISPLAY_MATH = re.compile(r"\$\$(.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\s)([^$]+?)(?<![\s\\])\$(?!\d)")
_MATHJAX = re.compile(
    r"<script[^>]*(?:mathjax|MathJax)[^>]*>.*?</script>\s*", re.S
)  # the CDN loader and its inline configuration
_TOC_ENTRY = re.compile(r'<a href="#(test_[A-Za-z0-9_]+)">Test cell</a>')
WRAP_CSS = (
    "<style>/* feedback_page: messages wrap instead of running off the page */\n"
    "pre { white-space: pre-wrap; overflow-wrap: anywhere; }\n"
    "math[display=block] { margin: 0.6em 0; }\n</style>\n"
)


def _mathml(latex: str, display: str) -> str:
    source = html.unescape(latex).strip()
    try:
        return convert(source, display=display)
    except Exception:  # an expression latex2mathml cannot read stays as it was written
        return html.escape(f"$${source}$$" if display == "block" else f"${source}$")


def math_as_mathml(page: str) -> str:
    """Replace TeX math outside code with MathML."""
    out, start = [], 0
    for verbatim in _VERBATIM.finditer(page):
        out += [_math_in_text(page[start : verbatim.start()]), verbatim.group(0)]
        start = verbatim.end()
    out.append(_math_in_text(page[start:]))
    return "".join(out)


def _math_in_text(text: str) -> str:
    text = _DISPLAY_MATH.sub(lambda m: _mathml(m.group(1), "block"), text)
    return _INLINE_MATH.sub(lambda m: _mathml(m.group(1), "inline"), text)


def exercise_names(test_cell: str, exercises: list[str]) -> str:
    """'Exercise 1, perceptron_predict: boundary' for test_perceptron_predict_boundary."""
    exercise = exercise_of(test_cell, exercises)
    if exercise is None:
        return test_cell.removeprefix("test_").replace("_", " ")
    if re.fullmatch(r"q\d+", exercise):  # a quiz question, one test cell each: "Question 7"
        return f"Question {int(exercise[1:])}"
    part = test_cell.removeprefix(f"test_{exercise}_").replace("_", " ")
    return f"Exercise {list(exercises).index(exercise) + 1}, {exercise}: {part}"


def readable(page: str, exercises: list[str]) -> str:
    """The whole rewrite of one feedback page."""
    page = _MATHJAX.sub("", page)
    page = math_as_mathml(page)
    page = _TOC_ENTRY.sub(
        lambda m: (
            f'<a href="#{m.group(1)}">{html.escape(exercise_names(m.group(1), exercises))}</a>'
        ),
        page,
    )
    return page.replace("</head>", WRAP_CSS + "</head>", 1)


def rewrite_feedback(folder: Path, exercises: list[str]) -> int:
    """Rewrite every feedback page under ``folder``; return how many were rewritten."""
    count = 0
    for page in sorted(folder.glob("*.html")):
        text = page.read_text()
        if "feedback_page:" in text:
            continue  # already rewritten
        page.write_text(readable(text, exercises))
        count += 1
    return count
