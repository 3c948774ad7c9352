"""One lab for the whole trigger test session, wiped between tests (as in tests/runtime/)."""

from __future__ import annotations

import pytest

import course.lab


@pytest.fixture(scope="session")
def lab():
    running = course.lab.start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _clean_lab(request):
    yield
    if "lab" in request.fixturenames:
        request.getfixturevalue("lab").reset()
