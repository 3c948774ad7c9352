"""The question bank: load the questions, render their placeholders, draw a deterministic quiz.

Each file in `course/exam/bank/` is a JSON list of questions. Numbers never appear typed in a
question: `{fact:ID}`, `{value:ID}`, `{was:ID}`, `{param:NAME}` and `{calc:NAME}` placeholders
are filled from `course/facts.json`, the question's parameters and `course.exam.formulas`, so a
price change updates every question. A numeric question's answer is computed the same way,
and `variant` re-draws its parameters (from its `variants`) to give the same question with new
numbers.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from course import pricing
from course.facts import fact

BANK_DIR = Path(__file__).with_name("bank")
BANK_ENV = "LAMBDA_COURSE_BANK"
KINDS = ("single", "multiple", "numeric")
MONEY_UNITS = ("USD", "$")
PLACEHOLDER = re.compile(r"\{(fact|value|was|param|calc):([^{}\s]+)\}")
TAG = re.compile(r"^[A-Z]{3}-C\d\d:\d+\.\d+$")

Formulas = Mapping[str, Callable[..., Decimal | int]]


class QuestionBankError(ValueError):
    """A bank file or question is malformed (named with its file and question id)."""


class InvalidParameterValueException(ValueError):
    """A draw asked for an exam, task statement, lesson or count that matches nothing."""


@dataclass(frozen=True)
class NumericAnswer:
    """A numeric question's answer: the formula, its parameters, the value and the tolerance."""

    formula: str
    params: Mapping[str, Any]
    value: Decimal | int
    tolerance: Decimal
    unit: str

    def matches(self, given: Decimal) -> bool:
        """Whether `given` is within the tolerance of the value."""
        return abs(Decimal(given) - Decimal(self.value)) <= self.tolerance

    def __str__(self) -> str:
        return format_value(self.value, self.unit)


@dataclass(frozen=True)
class Question:
    """One rendered question: placeholders filled in and, for numeric ones, the answer computed."""

    id: str
    kind: str
    prompt: str
    choices: tuple[str, ...]
    correct: tuple[int, ...]
    explanation: str
    tags: tuple[str, ...]
    lesson: str
    facts: tuple[str, ...]
    answer: NumericAnswer | None = None
    variants: Mapping[str, tuple] = field(default_factory=dict)
    lab_verified: str = ""  # the lab scenario that shows the answer
    verified_by: str = ""  # the test that runs that scenario ('' while it waits for the lab)
    source: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    formulas: Formulas = field(default_factory=dict, repr=False, compare=False)

    @property
    def lesson_number(self) -> str:
        """The two-digit lesson number of the notebook that teaches it ('' when unknown)."""
        found = re.search(r"(?:^|/)(\d\d)_", self.lesson)
        return found.group(1) if found else ""

    @property
    def exams(self) -> tuple[str, ...]:
        """The exams it prepares for, e.g. ('DVA-C02',)."""
        return tuple(dict.fromkeys(tag.split(":")[0] for tag in self.tags))


def format_value(value: Any, unit: str = "") -> str:
    """A value for learners: money to the cent with $, other numbers with thousands separators."""
    if isinstance(value, bool) or not isinstance(value, (int, Decimal, float)):
        return f"{value} {unit}".strip()
    if unit in MONEY_UNITS:
        return f"${pricing.usd(Decimal(value)):,}"
    return f"{pricing.number(Decimal(str(value)))} {unit}".strip()


def _calc(value: Decimal | int) -> str:
    # As the formula gives it (money comes rounded to the cent), with thousands separators;
    # the question's text says the unit ("{calc:monthly_cost} USD").
    return f"{value:,}"


def render_text(text: str, params: Mapping[str, Any], formulas: Formulas, where: str) -> str:
    """Fill every placeholder of `text` (`where` names the question in errors)."""

    def fill(found: re.Match) -> str:
        kind, name = found.groups()
        try:
            if kind == "fact":
                return str(fact(name))
            if kind == "value":
                return format_value(fact(name).value)
            if kind == "was":
                return fact(name).was()
            if kind == "param":
                return format_value(params[name])
            formula = formulas[name]
        except KeyError as error:
            raise QuestionBankError(f"{where}: {found.group(0)} names nothing ({error}).") from None
        try:
            return _calc(formula(**params))
        except (TypeError, ValueError, KeyError, ArithmeticError) as error:
            raise QuestionBankError(f"{where}: {found.group(0)} failed: {error}") from error

    return PLACEHOLDER.sub(fill, text)


def _params(raw: Mapping[str, Any]) -> dict[str, Any]:
    answer = raw.get("answer") or {}
    return {**raw.get("params", {}), **answer.get("params", {})}


def render(raw: Mapping[str, Any], formulas: Formulas, where: str = "") -> Question:
    """A question from its JSON entry: validated, placeholders filled, numeric answer computed."""
    where = f"{where}question {raw.get('id', '?')!r}"
    missing = [key for key in ("id", "kind", "prompt", "explanation", "tags") if key not in raw]
    if missing:
        raise QuestionBankError(f"{where} lacks {', '.join(missing)}.")
    kind = raw["kind"]
    if kind not in KINDS:
        raise QuestionBankError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}.")
    params = _params(raw)
    choices = tuple(render_text(c, params, formulas, where) for c in raw.get("choices", []))
    correct = tuple(raw.get("correct", []))
    if kind != "numeric" and (
        not correct or any(not isinstance(i, int) or not 0 <= i < len(choices) for i in correct)
    ):
        raise QuestionBankError(f"{where}: correct {list(correct)} must index its choices.")
    if kind == "single" and len(correct) != 1:
        raise QuestionBankError(f"{where}: a single-answer question has one correct choice.")
    bad_tags = [tag for tag in raw["tags"] if not TAG.match(tag)]
    if bad_tags or not raw["tags"]:
        raise QuestionBankError(f"{where}: tags {bad_tags or '[]'} are not like 'DVA-C02:1.1'.")
    return Question(
        id=raw["id"],
        kind=kind,
        prompt=render_text(raw["prompt"], params, formulas, where),
        choices=choices,
        correct=correct,
        explanation=render_text(raw["explanation"], params, formulas, where),
        tags=tuple(raw["tags"]),
        lesson=raw.get("lesson", ""),
        facts=tuple(raw.get("facts", [])),
        answer=_answer(raw, params, formulas, where) if kind == "numeric" else None,
        variants={name: tuple(values) for name, values in raw.get("variants", {}).items()},
        lab_verified=raw.get("lab_verified", ""),
        verified_by=raw.get("verified_by", ""),
        source=raw,
        formulas=formulas,
    )


def _answer(raw: Mapping, params: Mapping, formulas: Formulas, where: str) -> NumericAnswer:
    answer = raw.get("answer") or {}
    name = answer.get("formula")
    if name not in formulas:
        raise QuestionBankError(f"{where}: formula {name!r} is not in FORMULAS.")
    try:
        value = formulas[name](**params)
        tolerance = Decimal(str(answer.get("tolerance", 0)))
    except (TypeError, ValueError, KeyError, ArithmeticError) as error:
        raise QuestionBankError(f"{where}: formula {name!r} failed: {error}") from error
    return NumericAnswer(name, dict(params), value, tolerance, answer.get("unit", ""))


def bank_folder() -> Path:
    """The bank in use: `course/exam/bank/`, or the folder in $LAMBDA_COURSE_BANK."""
    return Path(os.environ.get(BANK_ENV) or BANK_DIR).absolute()


def formulas_for(bank_dir: Path) -> Formulas:
    """The FORMULAS of the `formulas.py` beside a bank folder (course.exam.formulas by default)."""
    bank_dir = Path(bank_dir).absolute()
    if bank_dir.resolve() == BANK_DIR.resolve():
        from course.exam.formulas import FORMULAS

        return FORMULAS
    path = bank_dir.parent / "formulas.py"
    spec = importlib.util.spec_from_file_location(f"_bank_formulas_{abs(hash(path))}", path)
    if spec is None or not path.is_file():
        raise QuestionBankError(f"No formulas.py beside the bank folder {bank_dir}.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.FORMULAS


def guides_file(bank_dir: Path | None = None) -> Path:
    """The exam guides file beside a bank folder (`exam_guides.json`)."""
    return Path(bank_dir or bank_folder()).absolute().parent / "exam_guides.json"


def load(bank_dir: Path | None = None, formulas: Formulas | None = None) -> list[Question]:
    """Every question of every `*.json` file in `bank_dir`, rendered, in file order."""
    bank_dir = Path(bank_dir or bank_folder()).absolute()
    files = sorted(bank_dir.glob("*.json"))
    if not files:
        raise QuestionBankError(f"No question files (*.json) in {bank_dir}.")
    formulas = formulas_for(bank_dir) if formulas is None else formulas
    found: dict[str, Question] = {}
    for path in files:
        try:
            entries = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)
        except json.JSONDecodeError as error:
            raise QuestionBankError(f"{path.name} is not valid JSON: {error}") from error
        if not isinstance(entries, list):
            raise QuestionBankError(f"{path.name} must hold a JSON list of questions.")
        for raw in entries:
            question = render(raw, formulas, f"{path.name}: ")
            if question.id in found:
                raise QuestionBankError(f"{path.name}: question id {question.id!r} is repeated.")
            found[question.id] = question
    return list(found.values())


@cache
def _cached(bank_dir: Path) -> tuple[Question, ...]:
    return tuple(load(bank_dir))


def questions(bank_dir: Path | None = None) -> list[Question]:
    """The whole bank, rendered (each folder is read once; see `bank_folder` for the default)."""
    return list(_cached(Path(bank_dir or bank_folder()).absolute()))


def by_id(pool: Iterable[Question]) -> dict[str, Question]:
    """The questions keyed by id."""
    return {q.id: q for q in pool}


def select(
    pool: Iterable[Question],
    exam: str | None = None,
    task: str | None = None,
    lesson: str | None = None,
) -> list[Question]:
    """The questions of an exam ('DVA-C02'), a task ('1.2' or 'DVA-C02:1.2') and a lesson ('03')."""
    pool = list(pool)
    if task and ":" in task:
        exam, task = task.split(":", 1)
    chosen = [
        q
        for q in pool
        if (not exam or exam in q.exams)
        and (not task or any(tag.split(":")[1] == task for tag in q.tags if _of(tag, exam)))
        and (not lesson or q.lesson_number == lesson)
    ]
    if not chosen:
        wanted = ", ".join(
            f"{name} {value}"
            for name, value in (("exam", exam), ("task", task), ("lesson", lesson))
            if value
        )
        exams = sorted({e for q in pool for e in q.exams})
        raise InvalidParameterValueException(
            f"No question matches {wanted}. The bank covers the exams {', '.join(exams)}; "
            "`lambda-course coverage --exam EXAM` lists the task statements."
        )
    return chosen


def _of(tag: str, exam: str | None) -> bool:
    return not exam or tag.startswith(f"{exam}:")


def draw(
    exam: str | None = None,
    task: str | None = None,
    count: int = 10,
    seed: int | str | None = None,
    *,
    lesson: str | None = None,
    bank: Iterable[Question] | None = None,
) -> list[Question]:
    """`count` questions drawn at random; the same seed always gives the same list in order.

    Without a seed the draw is new every time. Fewer questions come back when fewer match.
    """
    if count < 1:
        raise InvalidParameterValueException(f"count must be 1 or more, not {count}.")
    pool = sorted(select(questions() if bank is None else bank, exam, task, lesson), key=_id)
    return random.Random(seed).sample(pool, min(count, len(pool)))


def _id(question: Question) -> str:
    return question.id


def variant(question: Question, seed: int | str) -> Question:
    """The question re-parameterised from its `variants`, the answer recomputed (same id).

    Each parameter listed in `variants` takes one of its alternative values, chosen by `seed`
    (the same seed gives the same variant). A question without variants comes back as it is.
    """
    if not question.variants:
        return question
    rng = random.Random(f"{question.id}:{seed}")
    params = {name: rng.choice(list(values)) for name, values in sorted(question.variants.items())}
    raw = copy.deepcopy(dict(question.source))
    answer = raw.get("answer")
    if answer and "params" in answer:
        answer["params"] = {**answer["params"], **params}
    else:
        raw["params"] = {**raw.get("params", {}), **params}
    return render(raw, question.formulas)
