"""Tests of course.lab: the local AWS (runtime, control plane, triggers, events, guard)."""
