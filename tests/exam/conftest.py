"""The exam tests run on a small bank of their own (tests/exam/resources/) and a learner home
in a temporary folder, so they never read the shipped bank's changes or write to ~."""

from pathlib import Path

import pytest

from course.exam import question_bank
from course.lessons import learner

RESOURCES = Path(__file__).parent / "resources"
BANK = RESOURCES / "bank"


@pytest.fixture(autouse=True)
def _test_bank_and_home(monkeypatch, tmp_path):
    monkeypatch.setenv(question_bank.BANK_ENV, str(BANK))
    monkeypatch.setenv(learner.HOME_ENV, str(tmp_path / "home"))


@pytest.fixture
def bank() -> list[question_bank.Question]:
    """The test bank, rendered."""
    return question_bank.load(BANK)


@pytest.fixture
def by_id(bank) -> dict[str, question_bank.Question]:
    """The test bank's questions by id."""
    return question_bank.by_id(bank)
