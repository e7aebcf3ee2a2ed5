"""Instructor tools: release the lessons, autograde submissions, hand back feedback, export grades.

The command line lives in ``helpers.grading.cli`` (``python -m helpers.grading``); the Makefile's
instructor targets call it.
"""
