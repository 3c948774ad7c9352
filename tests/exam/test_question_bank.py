"""The bank: placeholders from the facts, computed numeric answers, seeded draws, variants."""

import json
from decimal import Decimal

import pytest

from course import pricing
from course.exam import question_bank
from course.exam.question_bank import InvalidParameterValueException, QuestionBankError
from course.facts import fact

from .conftest import BANK, RESOURCES


def test_placeholders_are_filled_from_the_facts_file(by_id):
    timeout = by_id["t-timeout-max"]
    assert timeout.choices[0].endswith(f"raised to {fact('timeout.max_s')}.")
    assert f"longest timeout is {fact('timeout.max_s').value:,} seconds" in timeout.choices[1]
    assert f"(it was {fact('timeout.max_s').was()})" in timeout.explanation
    assert by_id["t-free-tier"].choices[0] == f"{fact('pricing.free_tier.requests').value:,}"
    assert "{" not in json.dumps(
        [q.prompt + q.explanation + "".join(q.choices) for q in by_id.values()]
    )


def test_a_numeric_answer_is_computed_by_its_formula_and_shown_to_the_cent(by_id):
    bill = by_id["t-bill"]
    expected = pricing.monthly_cost(3_000_000, 120, 512).total
    assert bill.answer.value == expected and bill.answer.unit == "USD"
    assert bill.explanation.endswith(f"the total is {expected:,} USD.")
    assert "3,000,000 times a month" in bill.prompt
    assert bill.answer.matches(expected + Decimal("0.01"))
    assert not bill.answer.matches(expected + Decimal("0.02"))


def test_questions_reads_the_bank_named_by_the_environment(bank):
    assert [q.id for q in question_bank.questions()] == [q.id for q in bank]


def write_bank(tmp_path, entries) -> object:
    folder = tmp_path / "bank"
    folder.mkdir()
    (folder / "one.json").write_text(json.dumps(entries))
    (tmp_path / "formulas.py").write_text((RESOURCES / "formulas.py").read_text())
    return folder


GOOD = {
    "id": "q1",
    "kind": "single",
    "prompt": "p",
    "choices": ["a", "b"],
    "correct": [1],
    "explanation": "e",
    "tags": ["DVA-C02:1.1"],
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "essay"}, "kind 'essay' is not one of"),
        ({"correct": [2]}, "must index its choices"),
        ({"correct": [0, 1]}, "has one correct choice"),
        ({"tags": ["DVA 1.1"]}, "are not like 'DVA-C02:1.1'"),
        ({"prompt": "{fact:no.such.fact}"}, "{fact:no.such.fact} names nothing"),
        ({"prompt": "{param:memory_mb}"}, "{param:memory_mb} names nothing"),
        ({"prompt": "{calc:nothing}"}, "{calc:nothing} names nothing"),
        ({"prompt": "{calc:concurrency}"}, "{calc:concurrency} failed: concurrency() missing"),
    ],
)
def test_a_malformed_question_is_refused_with_its_file_and_id(tmp_path, change, message):
    folder = write_bank(tmp_path, [{**GOOD, **change}])
    with pytest.raises(QuestionBankError, match="one.json: question 'q1'") as error:
        question_bank.load(folder)
    assert message in str(error.value)


def test_a_repeated_id_is_refused(tmp_path):
    folder = write_bank(tmp_path, [GOOD, GOOD])
    with pytest.raises(QuestionBankError, match="'q1' is repeated"):
        question_bank.load(folder)


def test_literal_braces_in_a_prompt_are_left_alone(tmp_path):
    folder = write_bank(tmp_path, [{**GOOD, "prompt": 'The event is {"Records": []}.'}])
    assert question_bank.load(folder)[0].prompt == 'The event is {"Records": []}.'


def test_the_same_seed_draws_the_same_list_and_other_seeds_differ(bank):
    first = question_bank.draw(count=4, seed=11, bank=bank)
    assert first == question_bank.draw(count=4, seed=11, bank=list(reversed(bank)))
    assert len(first) == 4 and len({q.id for q in first}) == 4
    others = {tuple(q.id for q in question_bank.draw(count=4, seed=s, bank=bank)) for s in range(8)}
    assert len(others) > 1


def test_draw_filters_by_exam_task_and_lesson(bank):
    dva = question_bank.draw(exam="DVA-C02", count=50, seed=1, bank=bank)
    assert {q.id for q in dva} == {q.id for q in bank if any(t.startswith("DVA") for t in q.tags)}
    task = question_bank.draw(exam="DVA-C02", task="1.2", count=50, seed=1, bank=bank)
    assert {q.id for q in task} == {"t-timeout-max", "t-async-sources", "t-concurrency"}
    assert task == question_bank.draw(task="DVA-C02:1.2", count=50, seed=1, bank=bank)
    assert {q.id for q in question_bank.draw(task="4.1", count=9, bank=bank)} == {
        "t-concurrency",
        "t-bill",
        "t-free-tier",
    }
    pricing_lesson = question_bank.draw(lesson="03", count=9, bank=bank)
    assert {q.id for q in pricing_lesson} == {"t-bill", "t-free-tier"}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"exam": "ABC-C01"}, "No question matches exam ABC-C01"),
        ({"exam": "DVA-C02", "task": "9.9"}, "No question matches exam DVA-C02, task 9.9"),
        ({"count": 0}, "count must be 1 or more"),
    ],
)
def test_a_draw_that_matches_nothing_says_so(bank, arguments, message):
    with pytest.raises(InvalidParameterValueException, match=message):
        question_bank.draw(bank=bank, **arguments)


def test_a_variant_takes_new_parameters_and_recomputes_the_answer(by_id):
    bill = by_id["t-bill"]
    seen = set()
    for seed in range(12):
        copy = question_bank.variant(bill, seed)
        params = copy.answer.params
        assert params["requests"] in (5_000_000, 20_000_000)
        assert params["memory_mb"] in (1024, 2048)
        assert params["duration_ms"] == 120  # not in `variants`: kept
        expected = pricing.monthly_cost(params["requests"], 120, params["memory_mb"]).total
        assert copy.answer.value == expected and copy.id == bill.id
        assert f"{params['requests']:,} times a month" in copy.prompt
        assert f"the total is {expected:,} USD." in copy.explanation
        assert copy == question_bank.variant(bill, seed)
        seen.add((params["requests"], params["memory_mb"]))
    assert len(seen) > 1


def test_a_question_without_variants_comes_back_as_it_is(by_id):
    assert question_bank.variant(by_id["t-role"], 5) is by_id["t-role"]


def test_the_test_bank_has_every_kind_and_placeholder():
    text = "".join(path.read_text() for path in BANK.glob("*.json"))
    for needle in (
        "single",
        "multiple",
        "numeric",
        "{fact:",
        "{value:",
        "{was:",
        "{param:",
        "{calc:",
    ):
        assert needle in text
