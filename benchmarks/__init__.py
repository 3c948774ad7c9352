"""Speed benchmarks of the course (run with `python -m benchmarks`; not part of the tests)."""
