"""Sealed checks: check cells come from the course's seal, never from the learner's file."""

import json
import shutil
from pathlib import Path

import pytest

from course import grading
from course.grading import exercises, sealing
from course.lessons import notebooks

RESOURCES = Path(__file__).parent.parent / "resources"
NAME = "01_demo_exercises.ipynb"
PASS_Q1 = "Q1 correct: `answer` is six times seven."


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A tiny course tree: one solutions notebook, and its exercise."""
    (tmp_path / "solutions").mkdir()
    shutil.copy(RESOURCES / "solution-two-questions.ipynb", tmp_path / "solutions" / NAME)
    exercises.build(tmp_path)
    return tmp_path


def seal(root: Path) -> sealing.Seal:
    return sealing.seal_for(NAME, root)


def exercise(root: Path):
    return notebooks.read(root / "exercises" / NAME)


def test_the_seal_holds_check_sources_helpers_and_hashes_never_the_pass_line(root):
    made = seal(root)
    assert [(q.question, q.cell_id, q.position) for q in made.questions] == [
        ("Q1", "q1-check", 0),
        ("Q2", "q2-check", 1),
    ]
    assert made.questions[0].helpers == {
        "answered": "course.grading.checks",
        "report": "course.grading.checks",
    }
    assert made.questions[0].expected_sha256 == sealing.output_hash(NAME, "Q1", PASS_Q1)
    assert made.questions[0].expected_sha256 != sealing.output_hash(NAME, "Q2", PASS_Q1)
    assert "correct" not in made.to_json()
    again = sealing.seal_from_json(made.to_json(), "seals/x.json")
    assert again.questions == made.questions


def test_an_untouched_exercise_restores_without_tampering(root):
    nb, cells = sealing.restore(exercise(root), seal(root))
    assert [(c.question.question, c.tampered) for c in cells] == [("Q1", ""), ("Q2", "")]
    assert [nb.cells[c.index].id for c in cells] == ["q1-check", "q2-check"]


def test_a_changed_check_cell_is_tampered_and_the_original_put_back(root):
    nb = exercise(root)
    nb.cells[4].source = f'print("{PASS_Q1}")'
    restored, cells = sealing.restore(nb, seal(root))
    assert cells[0].tampered == "the check cell was changed; the original ran"
    assert restored.cells[cells[0].index].source == seal(root).questions[0].source
    assert cells[1].tampered == ""


def test_whitespace_is_not_tampering_but_a_lost_check_tag_is(root):
    nb = exercise(root)
    nb.cells[4].source += "   \n\n"
    nb.cells[7].metadata.pop("tags")
    _, cells = sealing.restore(nb, seal(root))
    assert cells[0].tampered == ""
    assert cells[1].tampered == "the check cell lost its `check` tag; the original ran"


def test_a_removed_check_cell_is_put_back_at_the_end_of_its_question(root):
    nb = exercise(root)
    del nb.cells[4]  # Q1's check cell
    restored, cells = sealing.restore(nb, seal(root))
    assert cells[0].tampered == "the check cell was removed; the original ran"
    assert restored.cells[cells[0].index - 1].id == "q1-code"
    assert restored.cells[cells[0].index + 1].id == "q2-text"
    assert restored.cells[cells[1].index].id == "q2-check"


def test_the_seal_ignores_the_notebooks_metadata(root, tmp_path):
    fake = notebooks.read(root / "solutions" / NAME)
    fake.cells[4].outputs[0]["text"] = "Q1 not yet: anything\n"
    notebooks.write(fake, tmp_path / "fake.ipynb")
    nb = exercise(root)
    nb.metadata["lambda_course"]["generated_from"] = str(tmp_path / "fake.ipynb")
    notebooks.write(nb, root / "exercises" / NAME)
    assert seal(root).origin == f"solutions/{NAME}"
    assert seal(root) == sealing.seal_for(NAME, root)


def test_a_verdict_counts_only_with_its_nonce_and_alone():
    def shown(nonce):
        data = {sealing.VERDICT_MIME: {"nonce": nonce, "stdout": PASS_Q1, "error": ""}}
        return {"output_type": "display_data", "data": data, "metadata": {}}

    assert sealing.verdict_of([shown("abc")], "abc")["stdout"] == PASS_Q1
    assert sealing.verdict_of([shown("forged")], "abc") is None
    assert sealing.verdict_of([shown("abc"), shown("abc")], "abc") is None
    assert sealing.verdict_of([], "abc") is None


def test_check_refuses_every_known_forgery(root, tmp_path):
    """One run: an edited check cell, a forged results file, metadata pointing at a fake
    solution, and a patched print / sys.stdout / helper all fail to pass a wrong answer."""
    fake = notebooks.read(root / "solutions" / NAME)
    notebooks.write(fake, tmp_path / "fake-solution.ipynb")
    nb = exercise(root)
    nb.metadata["lambda_course"]["generated_from"] = str(tmp_path / "fake-solution.ipynb")
    nb.cells[4].source = f'print("{PASS_Q1}")'  # (a) Q1: a print of the pass line
    nb.cells[6].source = "\n".join(
        [
            "import builtins, json, os, sys, course.grading.checks",
            "path = os.environ.get('LAMBDA_COURSE_GRADING_RESULTS', 'results.jsonl')",
            "for n in range(8):  # (b) pass lines appended to the old results file",
            "    record = {'cell_num': n, 'outcome': 'passed', 'stdout': 'x', 'error': ''}",
            "    open(path, 'a').write(json.dumps(record) + '\\n')",
            "course.grading.checks.report = lambda q, p, c, h='': print(f'{q} correct: {c}.')",
            "class Forger:",
            "    def write(self, text):",
            "        return sys.__stdout__.write(text.replace('not yet', 'correct'))",
            "    def flush(self):",
            "        pass",
            "sys.stdout = Forger()",
            "builtins.print = lambda *a, **k: sys.__stdout__.write('Q2 correct: forged.\\n')",
            "def report(*args, **kwargs):",
            "    sys.__stdout__.write('Q2 correct: `double(21)` returns 42.\\n')",
            "def double(x):",
            "    return 3 * x",
        ]
    )
    notebooks.write(nb, root / "exercises" / NAME)
    report = grading.check(root / "exercises" / NAME, root)
    assert [(q.question, q.outcome) for q in report.questions] == [
        ("Q1", "tampered"),
        ("Q2", "not yet"),
    ]
    assert report.questions[0].verdict == (
        "the check cell was changed; the original ran: "
        "Q1 not yet: `answer` still holds the placeholder `...`. "
        'Replace it. For a hint, run hint("Q1").'
    )
    assert report.questions[1].verdict.startswith("Q2 not yet: `double(21)` returns 42.")
    assert report.solution == f"solutions/{NAME}"
    assert report.notes == ()  # the forging cell itself ran without an error
    assert not report.passed


def test_check_without_solutions_uses_the_sealed_results(root):
    sealing.write_seals(root, root)
    shutil.rmtree(root / "solutions")
    nb = exercise(root)
    nb.cells[3].source = "answer = 6 * 7"
    notebooks.write(nb, root / "exercises" / NAME)
    report = grading.check(root / "exercises" / NAME, root)
    assert report.solution == f"seals/{NAME}.json"
    assert [(q.question, q.outcome) for q in report.questions] == [
        ("Q1", "pass"),
        ("Q2", "not yet"),
    ]
    assert json.loads((root / "seals" / f"{NAME}.json").read_text())["notebook"] == NAME
