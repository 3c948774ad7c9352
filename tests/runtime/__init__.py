"""Tests of the local Lambda runtime (course.lab, course.runtime, course.worker)."""
