"""Tests of course.lessons: the lesson map and the helpers lesson notebooks call."""
