"""Shared test set-up: the network guard is on here and in every process tests start."""

import os
from pathlib import Path

import pytest

import course.lab
from course.facts import fact
from course.lab import network_guard
from course.lab.runtime import IDLE_EXPIRY_S
from course.lessons import learner

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_DIR = Path(__file__).resolve().parent / "offline"

network_guard.install()
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(OFFLINE_DIR), os.environ.get("PYTHONPATH", "")) if p
)
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def lab():
    """One lab for the whole test session (course.lab.start() is idempotent)."""
    running = course.lab.start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _clean_lab(request):
    """Tests that use the lab get it wiped, with its knobs at their defaults, before they run.

    Before, not after: tests that drive moto without the fixture (the control-plane tests) also
    run functions in the lab's runtime, and the next lab test must not see their invocations.
    """
    if "lab" in request.fixturenames:
        lab = request.getfixturevalue("lab")
        lab.idle_expiry_s = IDLE_EXPIRY_S
        lab.account_concurrency = fact("concurrency.account_default").value
        lab.reset()
    yield


@pytest.fixture(autouse=True)
def _own_learner_home(monkeypatch, tmp_path_factory):
    """Each test keeps progress and hint levels in a folder of its own: what one test records
    never shows in another, nor in the notebooks nbval runs afterwards (lesson 00 prints it)."""
    monkeypatch.setenv(learner.HOME_ENV, str(tmp_path_factory.mktemp("learner-home")))


@pytest.fixture
def verdict(capsys):
    """verdict(check, answer): run an exercise check and return the one line it printed."""

    def run(check, *answer):
        check(*answer)
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 1, lines
        return lines[0]

    return run
