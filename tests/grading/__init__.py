"""Tests of course.grading: exercise build, notebook checks and the per-lesson checks."""
