"""Tests of the lab runtime (course.lab.local_aws, runtime, worker)."""
