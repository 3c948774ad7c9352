"""`lambda-course grade`: a synthetic class built from the real pricing exercise, every row checked.

The class is graded once (real sandboxed kernels, 2 workers) by a module fixture; each test
then checks one student's rows, the files written, or that nothing outside was touched.
"""

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course import cli
from course.grading import classroom, exercises, sandbox
from course.lessons import notebooks

NAME = "03_pricing_exercises.ipynb"
EXERCISE = notebooks.ROOT / exercises.TARGET_DIR / NAME
SOLUTION = notebooks.ROOT / exercises.SOURCE_DIR / NAME
QUESTIONS = [f"Q{n}" for n in range(1, 9)]
VARIABLE = {
    "Q1": "total",
    "Q2": "seconds",
    "Q3": "extra_usd",
    "Q4": "saving_usd",
    "Q5": "requests_to_tier2",
    "Q6": "cheapest_mb",
    "Q7": "pc_total",
    "Q8": "break_even_requests",
}
PASS = {
    "Q1": "Q1 correct: the bill in USD to the cent.",
    "Q2": "Q2 correct: the free tier's seconds of compute at this memory size.",
}
TIMEOUT_S = 6
SLEEP_MARK = "987.654"  # the hostile student's daemon: `sleep 987.654`


def placeholder(question: str) -> str:
    return (
        f"{question} not yet: `{VARIABLE[question]}` still holds the placeholder `...`. "
        f'Replace it. For a hint, run hint("{question}").'
    )


def answers() -> dict[str, str]:
    """Question -> the solution's answer code."""
    nb = notebooks.read(SOLUTION)
    return {
        exercises.question_of(nb.cells, i): cell.source
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and exercises.is_solution_cell(cell)
    }


def exercise(answered=(), replace=None, check_source=None):
    """The shipped exercise with some questions answered; `replace` sets a question's answer
    cell to other code, `check_source` a question's check cell."""
    nb = notebooks.read(EXERCISE)
    solved = answers()
    for index, cell in enumerate(nb.cells):
        question = exercises.question_of(nb.cells, index)
        if cell.cell_type != "code" or question is None:
            continue
        is_check = exercises.CHECK_TAG in cell.metadata.get("tags", [])
        if is_check and check_source and question in check_source:
            cell.source = check_source[question]
        elif not is_check and replace and question in replace:
            cell.source = replace[question]
        elif not is_check and question in answered:
            cell.source = solved[question]
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Write the class, grade it with `lambda-course grade`, and keep what it needs."""
    base = tmp_path_factory.mktemp("class")
    subs = base / "submissions"
    canary = base / "outside" / "canary.txt"

    def add(student: str, nb=None, text=None, name=NAME):
        folder = subs / student
        folder.mkdir(parents=True, exist_ok=True)
        if nb is not None:
            notebooks.write(nb, folder / name)
        else:
            (folder / name).write_text(text, encoding="utf-8")

    add("ada", exercise(QUESTIONS))
    add("bob", exercise(["Q1", "Q2", "Q3"]))
    add("cyd", exercise())
    add("dan", exercise(check_source={"Q1": f'print("{PASS["Q1"]}")'}))
    results_forgery = "\n".join(
        [
            "import json, os",
            "path = os.environ.get('LAMBDA_COURSE_GRADING_RESULTS', 'results.jsonl')",
            "for n in range(30):",
            "    record = {'cell_num': n, 'outcome': 'passed', 'stdout': 'x', 'error': ''}",
            "    open(path, 'a').write(json.dumps(record) + '\\n')",
            "total = ...",
        ]
    )
    add("eve", exercise(replace={"Q1": results_forgery}))
    fake = notebooks.read(SOLUTION)
    for cell in fake.cells:
        if exercises.CHECK_TAG in cell.metadata.get("tags", []):
            question = cell.source.split("(")[0].split("_")[1].upper()
            cell.outputs[0]["text"] = placeholder(question) + "\n"
    add("fay", fake, name="my_solution.ipynb")
    metadata_forgery = exercise()
    metadata_forgery.metadata["lambda_course"]["generated_from"] = str(
        subs / "fay" / "my_solution.ipynb"
    )
    add("fay", metadata_forgery)
    patcher = "\n".join(
        [
            "import builtins, sys, course.grading.checks, course.grading.checks.pricing",
            "course.grading.checks.report = lambda q, p, c, h='': print(f'{q} correct: {c}.')",
            "course.grading.checks.pricing.expected_q2 = lambda: 0",
            "def check_q3(value):",
            "    print('Q3 correct: the extra USD per month under the old billing steps.')",
            "class Forger:",
            "    def write(self, text):",
            "        return sys.__stdout__.write(text.replace('not yet', 'correct'))",
            "    def flush(self):",
            "        pass",
            "sys.stdout = Forger()",
            "builtins.print = lambda *a, **k: None",
            "seconds = 0",
        ]
    )
    add("gus", exercise(["Q1"], replace={"Q2": patcher}))
    add("hal", text='{"cells": [ this is not json')
    add("ivy", exercise(["Q1", "Q2"], replace={"Q3": "while True:\n    pass"}))
    add("jon", exercise(["Q1"], replace={"Q2": "import os\nos.kill(os.getpid(), 9)"}))
    add("kim", exercise(["Q1"], replace={"Q2": "while True:\n    print('x' * 100_000)"}))
    hostile = "\n".join(
        [
            "import os, signal, subprocess",
            "tried = []",
            f"for target in [{str(canary)!r}, {str(subs / 'ada' / NAME)!r},",
            f"               {str(subs / 'len' / NAME)!r}]:",
            "    try:",
            "        os.makedirs(os.path.dirname(target), exist_ok=True)",
            "        open(target, 'w').write('owned')",
            "        tried.append('wrote ' + target)",
            "    except OSError as error:",
            "        tried.append(type(error).__name__)",
            "try:",
            "    os.kill(os.getppid(), signal.SIGKILL)",
            "except OSError as error:",
            "    tried.append(type(error).__name__)",
            f"subprocess.Popen(['sleep', '{SLEEP_MARK}'], start_new_session=True)",
            "print(tried)",
            "seconds = ...",
        ]
    )
    add("len", exercise(["Q1"], replace={"Q2": hostile}))
    removed = exercise(["Q1"])
    removed.cells = [c for c in removed.cells if c.get("id") != "pricing-ex-08"]  # Q2's check
    add("mia", removed)
    add("ned", exercise(), name="99_unknown_exercises.ipynb")
    hider = "import IPython.display\nIPython.display.publish_display_data = print\nseconds = ..."
    add("oli", exercise(["Q1"], replace={"Q2": hider}))

    before = {path: path.read_bytes() for path in sorted(subs.rglob("*")) if path.is_file()}
    out = base / "grades" / "grades.csv"
    out.parent.mkdir()
    command = [
        sys.executable,
        "-m",
        "course.cli",
        "grade",
        str(subs),
        "--out",
        str(out),
        "--workers",
        "2",
        "--timeout",
        str(TIMEOUT_S),
    ]
    done = subprocess.run(
        command, cwd=notebooks.ROOT, capture_output=True, text=True, timeout=240, check=False
    )
    with open(out, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    by_student = {}
    for row in rows:
        by_student.setdefault(row["student"], []).append(row)
    return {
        "done": done,
        "rows": rows,
        "by": by_student,
        "subs": subs,
        "before": before,
        "canary": canary,
        "out": out,
    }


def verdicts(graded, student):
    return [(r["question"], r["verdict"]) for r in graded["by"][student]]


def details(graded, student):
    return {r["question"]: r["detail"] for r in graded["by"][student]}


def test_grade_exits_0_with_a_progress_bar_and_one_row_per_question(graded):
    done = graded["done"]
    assert done.returncode == 0, done.stderr
    assert "[####################] 15/15 students graded" in done.stderr
    assert list(graded["rows"][0]) == ["student", "notebook", "question", "verdict", "detail"]
    assert sorted(graded["by"]) == sorted(
        [
            "ada",
            "bob",
            "cyd",
            "dan",
            "eve",
            "fay",
            "gus",
            "hal",
            "ivy",
            "jon",
            "kim",
            "len",
            "mia",
            "ned",
            "oli",
        ]
    )
    assert f"{len(graded['rows'])} rows (" in done.stdout


def test_honest_full_pass(graded):
    assert verdicts(graded, "ada") == [(q, "pass") for q in QUESTIONS]
    assert details(graded, "ada")["Q2"] == PASS["Q2"]


def test_partial_and_untouched(graded):
    assert verdicts(graded, "bob") == [(q, "pass" if q <= "Q3" else "not yet") for q in QUESTIONS]
    assert details(graded, "bob")["Q4"] == placeholder("Q4")
    assert details(graded, "cyd") == {q: placeholder(q) for q in QUESTIONS}
    assert {v for _, v in verdicts(graded, "cyd")} == {"not yet"}


def test_forgery_a_print_of_the_pass_line_is_tampered(graded):
    assert verdicts(graded, "dan")[0] == ("Q1", "tampered")
    assert details(graded, "dan")["Q1"] == (
        "the check cell was changed; the original ran: " + placeholder("Q1")
    )
    assert [v for _, v in verdicts(graded, "dan")[1:]] == ["not yet"] * 7


def test_forgery_b_a_results_file_changes_nothing(graded):
    assert details(graded, "eve") == {q: placeholder(q) for q in QUESTIONS}


def test_forgery_c_metadata_pointing_at_a_fake_solution_changes_nothing(graded):
    rows = [r for r in graded["by"]["fay"] if r["notebook"] == NAME]
    assert {r["question"]: (r["verdict"], r["detail"]) for r in rows} == {
        q: ("not yet", placeholder(q)) for q in QUESTIONS
    }
    [other] = [r for r in graded["by"]["fay"] if r["notebook"] != NAME]
    assert (other["notebook"], other["question"], other["verdict"]) == (
        "my_solution.ipynb",
        "-",
        "error",
    )
    assert other["detail"] == "my_solution.ipynb is not an exercise notebook of this course"


def test_patched_print_stdout_helpers_and_expected_values_do_not_pass(graded):
    assert verdicts(graded, "gus")[:3] == [("Q1", "pass"), ("Q2", "not yet"), ("Q3", "not yet")]
    assert details(graded, "gus")["Q2"].startswith("Q2 not yet: the free tier's seconds")
    assert details(graded, "gus")["Q3"] == placeholder("Q3")


def test_corrupt_file_costs_only_its_rows(graded):
    assert verdicts(graded, "hal") == [(q, "error") for q in QUESTIONS]
    assert "03_pricing_exercises.ipynb is not a Jupyter notebook" in details(graded, "hal")["Q1"]


def test_a_loop_times_out_after_the_questions_before_it(graded):
    assert verdicts(graded, "ivy") == [
        (q, "pass" if q in ("Q1", "Q2") else "timeout") for q in QUESTIONS
    ]
    assert details(graded, "ivy")["Q3"] == f"code cell 6 ran longer than {TIMEOUT_S} s"


def test_a_killed_kernel_is_an_error_after_the_questions_before_it(graded):
    assert verdicts(graded, "jon") == [(q, "pass" if q == "Q1" else "error") for q in QUESTIONS]
    assert details(graded, "jon")["Q5"] == "the kernel died while running code cell 4"


def test_an_output_flood_is_cut_and_an_error(graded):
    assert verdicts(graded, "kim") == [(q, "pass" if q == "Q1" else "error") for q in QUESTIONS]
    assert details(graded, "kim")["Q2"] == "code cell 4 printed more than 2 MB of output"


def test_a_hostile_cell_writes_nothing_outside_kills_nothing_and_leaves_nothing(graded):
    assert verdicts(graded, "len") == [(q, "pass" if q == "Q1" else "not yet") for q in QUESTIONS]
    assert not graded["canary"].exists()
    assert not graded["canary"].parent.exists()
    leftovers = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if SLEEP_MARK.encode() in cmdline:
            leftovers.append(entry.name)
    assert leftovers == []


def test_a_removed_check_cell_is_tampered_and_its_original_runs(graded):
    assert verdicts(graded, "mia")[:2] == [("Q1", "pass"), ("Q2", "tampered")]
    assert details(graded, "mia")["Q2"] == (
        "the check cell was removed; the original ran: " + placeholder("Q2")
    )


def test_an_unknown_notebook_is_one_error_row(graded):
    assert [tuple(r.values()) for r in graded["by"]["ned"]] == [
        (
            "ned",
            "99_unknown_exercises.ipynb",
            "-",
            "error",
            "99_unknown_exercises.ipynb is not an exercise notebook of this course",
        )
    ]


def test_a_hidden_verdict_is_tampered(graded):
    assert verdicts(graded, "oli") == [(q, "pass" if q == "Q1" else "tampered") for q in QUESTIONS]
    assert details(graded, "oli")["Q2"] == "learner code hid or forged the sealed check's output"


def test_submissions_keep_the_same_bytes(graded):
    after = {p: p.read_bytes() for p in sorted(graded["subs"].rglob("*")) if p.is_file()}
    digest = {p: hashlib.sha256(b).hexdigest() for p, b in after.items()}
    assert after == graded["before"], digest


def test_summary_table_and_plot_next_to_the_csv(graded):
    page = graded["out"].with_suffix(".html").read_text(encoding="utf-8")
    plot = graded["out"].with_suffix(".png").read_bytes()
    assert plot.startswith(b"\x89PNG")
    # Q1 has 14 rows (ned's notebook has none): 9 pass (ada bob gus ivy jon kim len mia oli),
    # 3 not yet (cyd eve fay), 1 tampered (dan), 1 error (hal), 0 timeout.
    assert (
        "<tr><td>03_pricing_exercises.ipynb</td><td>Q1</td><td>14</td>"
        "<td>9</td><td>3</td><td>1</td><td>1</td><td>0</td><td>64 %</td></tr>"
    ) in page
    # Q4's placeholder: bob cyd dan eve fay gus len mia
    reason = f"<tr><td>8</td><td>03_pricing_exercises.ipynb</td><td>Q4</td><td>{placeholder('Q4')}"
    assert reason in page.replace("&#x27;", "'").replace("&quot;", '"').replace("&#x60;", "`")


def test_bad_options_are_clear_errors(tmp_path, capsys):
    assert cli.main(["grade", str(tmp_path / "none"), "--out", str(tmp_path / "g.csv")]) == 2
    assert "No such folder of submissions" in capsys.readouterr().err
    (tmp_path / "subs").mkdir()
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "g.csv")]) == 2
    assert "has no <student>/<exercise>.ipynb files to grade" in capsys.readouterr().err


def test_grading_says_plainly_when_there_is_no_sandbox(monkeypatch):
    assert classroom.sandbox_note() == ""  # this machine has Landlock (the hostile test needs it)
    monkeypatch.setattr(sandbox, "landlock_abi", lambda: 0)
    assert classroom.sandbox_note().startswith("Warning: this Linux kernel offers no Landlock")


def test_the_classroom_copy_checks_without_solutions(tmp_path):
    out = tmp_path / "classroom"
    assert cli.main(["build", "--classroom", str(out)]) == 0
    assert not (out / "solutions").exists() and not (out / "tests").exists()
    assert sorted(p.name for p in (out / "seals").iterdir()) == sorted(
        f"{p.name}.json" for p in exercises.sources()
    )
    shipped = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.ipynb"))
    shipped += "\n".join(p.read_text(encoding="utf-8") for p in (out / "seals").iterdir())
    for code in answers().values():
        assert code not in shipped
    assert PASS["Q1"] not in shipped
    learner = out / "exercises" / NAME
    nb = exercise(QUESTIONS)
    notebooks.write(nb, learner)
    env = {**os.environ, "PYTHONPATH": str(out)}
    done = subprocess.run(
        [sys.executable, "-m", "course.cli", "check", f"exercises/{NAME}"],
        cwd=out,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"against seals/{NAME}.json" in done.stdout
    assert done.stdout.strip().endswith("8 of 8 questions pass.")
    shutil.rmtree(out)
