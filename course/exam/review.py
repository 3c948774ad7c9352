"""Spaced review in Leitner boxes: questions come back less often as you get them right.

Each question answered at least once sits in a box. A right answer moves it to the next box,
a wrong one back to box 1; box N is due `INTERVALS_DAYS[N-1]` days after the last answer. The
boxes are replayed from the answers in the progress file, so they need no file of their own.
Numeric questions come back as variants: the same question with new numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from course.exam.progress import Progress
from course.exam.question_bank import Question, variant

INTERVALS_DAYS = (1, 2, 4, 8, 16)


@dataclass(frozen=True)
class Card:
    """Where one question stands: its box, when it is due and how often it was answered."""

    question: str
    box: int
    due: datetime
    answers: int


def schedule(progress: Progress) -> dict[str, Card]:
    """Every answered question's card, from its answers in time order."""
    cards: dict[str, Card] = {}
    for answer in sorted(progress.answers, key=lambda a: a.when):
        before = cards.get(answer.question)
        # Wrong: back to box 1. Right: one box up (so a first right answer lands in box 2).
        box = min((before.box if before else 1) + 1, len(INTERVALS_DAYS)) if answer.right else 1
        due = answer.when + timedelta(days=INTERVALS_DAYS[box - 1])
        answers = (before.answers if before else 0) + 1
        cards[answer.question] = Card(answer.question, box, due, answers)
    return cards


def due(
    progress: Progress, bank: Iterable[Question], now: datetime, count: int | None = None
) -> list[Question]:
    """The questions due at `now`, longest overdue first; numeric ones as new variants.

    The variant depends on how often the question was answered, so a given progress file
    and clock always give the same review.
    """
    pool = {q.id: q for q in bank}
    cards = sorted(
        (c for c in schedule(progress).values() if c.due <= now and c.question in pool),
        key=lambda c: (c.due, c.question),
    )
    chosen = [variant(pool[c.question], c.answers) for c in cards]
    return chosen if count is None else chosen[:count]


def next_due(progress: Progress, bank: Iterable[Question], now: datetime) -> datetime | None:
    """When the next question falls due after `now` (None when nothing was answered)."""
    ids = {q.id for q in bank}
    later = [c.due for c in schedule(progress).values() if c.due > now and c.question in ids]
    return min(later, default=None)
