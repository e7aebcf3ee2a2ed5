"""The class report as files: one self-contained HTML page and one CSV (``report.py`` counts).

The page needs nothing but a browser: styles inline, the histograms drawn as inline SVG, no
script and no link outside the file, so it opens offline and can be mailed or put on a projector.
The CSV has one row per counted thing (``CSV_COLUMNS``), to filter in a spreadsheet.
"""

from __future__ import annotations

import csv
import html
import statistics
from datetime import datetime
from pathlib import Path

from helpers.grading.feedback_page import exercise_names
from helpers.grading.report import LessonSummary, score_histogram

# One row per counted thing. ``students``: how many students the row counts (a score range: those
# in it; a test cell: those who failed it; a mistake: those who made it), of ``out_of`` graded;
# ``in_hidden_tests``: of a test cell's failures, those in its hidden tests; ``names``: who,
# separated by ";"; ``detail``: one example of what the check said (on one line), or a reason.
CSV_COLUMNS = (
    "lesson", "section", "item", "exercise", "students", "out_of", "in_hidden_tests", "names",
    "detail",
)  # fmt: skip
BINS = 10
# Lists of more students than this are folded (a click opens them).
FOLDED_ABOVE = 12
# In place of a message a hidden test gave.
HIDDEN_EXAMPLE = "(a hidden test: not shown)"

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 72em; padding: 0 1em;
       color: #1d1d1f; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2.2em; border-bottom: 2px solid #ddd; }
h3 { margin-top: 1.6em; }
table { border-collapse: collapse; width: 100%; margin: 0.6em 0; }
th, td { text-align: left; vertical-align: top; padding: 0.35em 0.6em;
         border-bottom: 1px solid #e4e4e4; }
th { background: #f4f4f6; font-weight: 600; }
td.id { white-space: nowrap; }
td.count { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
code { font-size: 0.92em; background: #f4f4f6; padding: 0 0.2em; }
.said { font-size: 0.9em; color: #444; overflow-wrap: anywhere; }
.bar { display: inline-block; height: 0.8em; background: #4a78c2; vertical-align: middle; }
.bar.failed { background: #c8553d; }
.warning { border-left: 5px solid #c8553d; background: #fbeeea; padding: 0.6em 1em; }
.absent { border-left: 5px solid #c9a227; background: #fbf6e6; padding: 0.6em 1em;
          margin-top: 0.6em; }
.note { color: #555; }
details summary { cursor: pointer; color: #2a5db0; }
nav a { margin-right: 1em; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
"""


def write_report(summaries: list[LessonSummary], folder: Path, made_from: str) -> tuple[Path, Path]:
    """Write ``folder/mistakes.html`` and ``folder/mistakes.csv``; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    page, table = folder / "mistakes.html", folder / "mistakes.csv"
    page.write_text(html_page(summaries, made_from), encoding="utf-8")
    with open(table, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(csv_rows(summaries))
    return page, table


# --- CSV ----------------------------------------------------------------------------------


def csv_rows(summaries: list[LessonSummary]) -> list[list]:
    return [row for summary in summaries for row in _lesson_rows(summary)]


def _lesson_rows(summary: LessonSummary) -> list[list]:
    rows: list[list] = []
    results = summary.results
    lesson, graded = results.lesson, len(results.graded)

    def row(section, item, exercise="", students=(), count=None, hidden="", detail=""):
        count = len(students) if count is None else count
        names = ";".join(sorted(students))
        rows.append([lesson, section, item, exercise, count, graded, hidden, names, detail])

    scores = results.score_fractions()
    for index, count in enumerate(score_histogram(scores, BINS)):
        row("score", _bin_label(index), count=count)
    exercises = {t.grade_id: t.exercise or "" for t in results.test_cells}
    for test in results.test_cells:
        failed = [
            g.student
            for g in results.graded
            if test.grade_id in g.cells and not g.cells[test.grade_id].passed
        ]
        hidden = summary.hidden_failures.get(test.grade_id, 0)
        row("test cell", test.grade_id, exercises[test.grade_id], failed, None, hidden,
            _points(test.points))  # fmt: skip
    for group in summary.mistakes + summary.knock_on:
        where = ";".join(sorted({exercises.get(c, "") for c in group.test_cells} - {""}))
        row(group.kind, group.name, where, group.students, detail=group.example or HIDDEN_EXAMPLE)
    for group in summary.unnamed:
        row(group.kind, group.name, exercises.get(group.name, ""), group.students,
            detail=group.example or HIDDEN_EXAMPLE)  # fmt: skip
    for student, reason in sorted(results.not_graded.items()):
        row("not graded", student, students=[student], detail=reason)
    for student in results.no_submission:
        row("no submission", student, students=[student])

    return rows


def _points(points: float) -> str:
    return f"{points:g} point" + ("" if points == 1 else "s")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _bin_label(index: int) -> str:
    width = 100 // BINS
    return f"{index * width}-{(index + 1) * width}%"


# --- HTML ---------------------------------------------------------------------------------


def html_page(summaries: list[LessonSummary], made_from: str) -> str:
    made = datetime.now().strftime("%Y-%m-%d %H:%M")
    links = " ".join(
        f'<a href="#{_e(s.results.lesson)}">{_e(s.results.lesson)}</a>' for s in summaries
    )
    body = "\n".join(_lesson_section(s) for s in summaries)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>What the class got wrong</title>
<style>{STYLE}</style>
</head>
<body>
<h1>What the class got wrong</h1>
<p class="note">Made {made} from {_e(made_from)}. A student counts once for each mistake a check
named for them; a wrong answer that trips two checks counts under both. A failure that a check
says may only follow from another function failing is counted apart. Hidden-test failures are
counted by test cell, without their source. A score range includes its lower end (full marks
count in the last). Submissions that could not be graded are missing
from every count, and listed by name.</p>
<nav>{links}</nav>
{body}
</body>
</html>
"""


def _lesson_section(summary: LessonSummary) -> str:
    results = summary.results
    lesson, graded = results.lesson, len(results.graded)
    exercises = results.exercises
    parts = [f'<section id="{_e(lesson)}">', f"<h2>{_e(lesson)}</h2>"]
    scores = results.score_fractions()
    line = f"{graded} graded"
    if scores:
        line += f", median {statistics.median(scores):.0%}, mean {statistics.mean(scores):.0%}"
    line += f"; {len(results.not_graded)} could not be graded"
    line += f"; {len(results.no_submission)} did not submit"
    parts.append(f'<p class="summary">{line}.</p>')
    if results.not_graded:
        items = "".join(
            f"<li><code>{_e(s)}</code>: {_e(reason)}</li>"
            for s, reason in sorted(results.not_graded.items())
        )
        parts.append(
            f'<div class="warning not-graded"><strong>{_count(len(results.not_graded), "submission")}'
            " could not be graded and are missing from every count below</strong> (grade them"
            f" by hand, or fix and run <code>make autograde</code> again):<ul>{items}</ul></div>"
        )
    if results.no_submission:
        parts.append(
            f'<div class="absent no-submission"><strong>No submission from'
            f" {_count(len(results.no_submission), 'student')}</strong> (students of the"
            " gradebook, or who submitted another lesson, with nothing for this one):"
            f" {_students(set(results.no_submission))}</div>"
        )
    if not graded:
        parts.append("<p>Nothing graded in this lesson yet.</p></section>")
        return "\n".join(parts)

    parts += ["<h3>Scores</h3>", _histogram_svg(score_histogram(scores, BINS), lesson)]

    def label(test_cell: str) -> str:
        return exercise_names(test_cell, exercises)

    parts.append("<h3>Named mistakes, most students first</h3>")
    if summary.mistakes:
        rows = "".join(
            f'<tr><td class="count">{rank}</td><td class="id"><code>{_e(g.name)}</code></td>'
            f'<td class="count">{len(g.students)}</td>'
            f"<td>{_e(_seen_in(g.test_cells, results))}</td>"
            f'<td class="said">{_e(g.example or HIDDEN_EXAMPLE)}</td>'
            f"<td>{_students(g.students)}</td></tr>"
            for rank, g in enumerate(summary.mistakes, start=1)
        )
        parts.append(
            '<table class="mistakes"><tr><th>#</th><th>Mistake</th><th>Students</th>'
            "<th>Seen in</th><th>What the check told them (one example)</th><th>Who</th></tr>"
            f"{rows}</table>"
        )
    else:
        parts.append("<p>No check named a mistake.</p>")

    if summary.knock_on:
        rows = "".join(
            f"<tr><td><code>{_e(g.after)}</code></td>"
            f'<td class="id"><code>{_e(g.mistake or "(none named)")}</code></td>'
            f'<td class="count">{len(g.students)}</td>'
            f"<td>{_e(_seen_in(g.test_cells, results))}</td>"
            f'<td class="said">{_e(g.example or HIDDEN_EXAMPLE)}</td>'
            f"<td>{_students(g.students)}</td></tr>"
            for g in summary.knock_on
        )
        parts.append(
            "<h3>Failures that may only follow from another function</h3>"
            '<p class="note">Here the student\'s code calls a function that fails its own checks,'
            " so the failure may be that function's (counted above as its own mistake) or a"
            " mistake of their own here as well: the checks cannot tell. Not counted above.</p>"
            '<table class="knock-on"><tr><th>Calls the failing</th><th>The check named</th>'
            "<th>Students</th><th>Failed in</th><th>What the check told them (one example)</th>"
            f"<th>Who</th></tr>{rows}</table>"
        )

    parts.append("<h3>Failures no check named, by test cell</h3>")
    if summary.unnamed:
        rows = "".join(
            f"<tr><td>{_e(label(g.name))}</td><td>{_e(g.kind)}</td>"
            f'<td class="count">{len(g.students)}</td>'
            f'<td class="said">{_e(g.example or HIDDEN_EXAMPLE)}</td>'
            f"<td>{_students(g.students)}</td></tr>"
            for g in summary.unnamed
        )
        parts.append(
            '<table class="unnamed"><tr><th>Test cell</th><th>Failed in</th><th>Students</th>'
            "<th>What it said (one example)</th><th>Who</th></tr>"
            f"{rows}</table>"
        )
    else:
        parts.append("<p>None: every failure was named.</p>")

    rows = "".join(
        f'<tr><td>{_e(label(t.grade_id))}</td><td class="count">{t.points:g}</td>'
        f'<td class="count">{summary.passed.get(t.grade_id, 0)} / {graded}</td>'
        f"<td>{_bar(summary.passed.get(t.grade_id, 0), graded)}</td>"
        f'<td class="count">{summary.hidden_failures.get(t.grade_id, 0)}</td></tr>'
        for t in results.test_cells
    )
    parts.append(
        "<h3>Pass rate of each test cell</h3>"
        '<table class="test-cells"><tr><th>Test cell</th><th>Points</th><th>Passed</th>'
        f"<th></th><th>Failed in its hidden tests</th></tr>{rows}</table>"
        '<p class="note">Failed in its hidden tests: every failure at a line of the cell\'s'
        " hidden tests, whichever table above counts it (a named mistake, a failure that may"
        " follow from another function, or one no check named).</p>"
    )
    parts.append("</section>")
    return "\n".join(parts)


def _histogram_svg(counts: list[int], lesson: str) -> str:
    """Bars of students per score range, with the counts above them."""
    width, height, top, bottom, left = 520, 190, 18, 34, 8
    bar_width = (width - 2 * left) / len(counts)
    tallest = max(counts) or 1
    shapes = []
    for index, count in enumerate(counts):
        bar = (height - top - bottom) * count / tallest
        x = left + index * bar_width
        y = height - bottom - bar
        label = _bin_label(index)
        shapes.append(
            f'<rect class="bin" x="{x + 2:.1f}" y="{y:.1f}" width="{bar_width - 4:.1f}"'
            f' height="{bar:.1f}" fill="#4a78c2" data-count="{count}">'
            f"<title>{label}: {_count(count, 'student')}</title></rect>"
            f'<text x="{x + bar_width / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">'
            f"{count}</text>"
            f'<text x="{x + bar_width / 2:.1f}" y="{height - bottom + 14:.1f}"'
            f' text-anchor="middle">{label}</text>'
        )
    return (
        f'<svg class="histogram" role="img" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{_e(lesson)}: students per score range</title>"
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - left}" y2="{height - bottom}"'
        f' stroke="#888"/>{"".join(shapes)}'
        f'<text x="{width / 2:.0f}" y="{height - 4}" text-anchor="middle">score</text></svg>'
    )


def _bar(passed: int, total: int) -> str:
    share = passed / total if total else 0.0
    return (
        f'<span class="bar" style="width:{120 * share:.0f}px"></span>'
        f'<span class="bar failed" style="width:{120 * (1 - share):.0f}px"></span>'
        f" {share:.0%}"
    )


def _students(students: set[str]) -> str:
    names = ", ".join(_e(s) for s in sorted(students))
    if len(students) <= FOLDED_ABOVE:
        return names
    return f"<details><summary>{len(students)} students</summary>{names}</details>"


def _seen_in(test_cells: set[str], results) -> str:
    """'perceptron_predict: basics, boundary; accuracy: values', in notebook order."""
    parts: dict[str, list[str]] = {}
    for test in results.test_cells:
        if test.grade_id in test_cells:
            exercise = test.exercise or ""
            part = test.grade_id.removeprefix(f"test_{exercise}_") if exercise else test.grade_id
            parts.setdefault(exercise, []).append(part.replace("_", " "))
    return "; ".join(
        f"{exercise}: {', '.join(names)}" if exercise else ", ".join(names)
        for exercise, names in parts.items()
    )


def _e(text: str) -> str:
    return html.escape(str(text), quote=True)
