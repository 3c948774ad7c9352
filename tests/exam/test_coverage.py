"""Coverage of the exam guides: every in-scope task statement has lessons, exercises, questions."""

import json

import pytest

from course import cli
from course.exam import coverage, question_bank
from course.exam.question_bank import InvalidParameterValueException
from course.lessons import notebooks

from .conftest import RESOURCES

SHIPPED_BANK = question_bank.BANK_DIR


def test_each_in_scope_statement_lists_its_lessons_exercises_and_questions(bank):
    rows = coverage.coverage("DVA-C02", bank, coverage.guides(RESOURCES / "exam_guides.json"))
    assert [row.statement.id for row in rows] == ["DVA-C02:1.1", "DVA-C02:1.2", "DVA-C02:2.1"]
    lambda_code = rows[1]
    assert lambda_code.questions == 3
    assert lambda_code.lessons == (
        "notebooks/02_lambda_fundamentals.ipynb#Concurrency",
        "notebooks/02_lambda_fundamentals.ipynb#Errors and timeouts",
        "notebooks/04_integrations.ipynb#Sync, async and pollers",
    )
    expected = sorted(
        f"exercises/{p.name}"
        for number in ("02", "04")
        for p in (notebooks.ROOT / "exercises").glob(f"{number}_*_exercises.ipynb")
    )
    assert list(lambda_code.exercises) == expected and expected
    assert coverage.uncovered(rows) == []


def test_an_in_scope_statement_without_a_question_is_reported_and_fails_the_command(
    bank, tmp_path, monkeypatch, capsys
):
    guides = json.loads((RESOURCES / "exam_guides.json").read_text())
    guides.append(
        {"id": "DVA-C02:4.1", "title": "Assist in a root cause analysis", "in_scope": True}
    )
    statements = [coverage.TaskStatement(g["id"], g["title"], g["in_scope"]) for g in guides]
    rows = coverage.coverage("DVA-C02", bank, statements)
    assert [s.id for s in coverage.uncovered(rows)] == ["DVA-C02:4.1"]

    (tmp_path / "bank").symlink_to(RESOURCES / "bank")
    (tmp_path / "formulas.py").symlink_to(RESOURCES / "formulas.py")
    (tmp_path / "exam_guides.json").write_text(json.dumps(guides))
    monkeypatch.setenv(question_bank.BANK_ENV, str(tmp_path / "bank"))
    assert cli.main(["coverage", "--exam", "DVA-C02"]) == 1
    out = capsys.readouterr().out
    assert "DVA-C02:4.1  Assist in a root cause analysis: 0 questions\n    lessons: none" in out
    assert out.endswith(
        "3 of 4 in-scope task statements have questions.\nNo question yet for: DVA-C02:4.1.\n"
    )


def test_out_of_scope_statements_are_left_out_and_an_unknown_exam_is_refused(bank, capsys):
    statements = coverage.guides(RESOURCES / "exam_guides.json")
    assert "DVA-C02:3.1" not in [
        r.statement.id for r in coverage.coverage("DVA-C02", bank, statements)
    ]
    with pytest.raises(InvalidParameterValueException, match="Exam guides: DVA-C02, SAA-C03"):
        coverage.coverage("DVA-C01", bank, statements)
    assert cli.main(["coverage", "--exam", "SAA-C03"]) == 0
    assert (
        "SAA-C03:4.1  Design cost-optimized storage solutions: 3 questions"
        in capsys.readouterr().out
    )


@pytest.mark.skipif(
    not any(SHIPPED_BANK.glob("*.json")),
    reason="the shipped bank (course/exam/bank/) is not here yet",
)
@pytest.mark.parametrize("exam", ["DVA-C02", "SAA-C03"])
def test_every_in_scope_statement_of_the_shipped_guides_has_a_question(exam):
    statements = coverage.guides(question_bank.guides_file(SHIPPED_BANK))
    rows = coverage.coverage(exam, question_bank.questions(SHIPPED_BANK), statements)
    assert rows and coverage.uncovered(rows) == []
