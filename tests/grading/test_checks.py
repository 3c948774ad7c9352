from course.grading.checks import answered, handler_code, report
from course.lessons import handler_magic


def test_report_passes_with_what_was_checked(capsys):
    assert report("Q1", True, "the total matches the bill", "ignored when passing") is True
    assert capsys.readouterr().out == "Q1 correct: the total matches the bill.\n"


def test_report_fails_with_what_is_wrong_and_where_the_hints_are(capsys):
    assert report("Q2", False, "the total matches the bill", "a line was not rounded.") is False
    assert capsys.readouterr().out == (
        "Q2 not yet: the total matches the bill. A line was not rounded. "
        'For a hint, run hint("Q2").\n'
    )


def test_placeholder_is_not_an_answer(capsys):
    assert answered("Q3", ..., "total") is False
    assert "Q3 not yet: `total` still holds the placeholder `...`" in capsys.readouterr().out
    assert answered("Q3", 0, "total") is True


def test_handler_answers_must_be_code_defining_handler(capsys):
    assert handler_code("Q4", ..., "source") is None
    assert handler_code("Q4", {"statusCode": 200}, "source") is None
    assert "Q4 not yet: `source` should be Python code that defines" in capsys.readouterr().out
    code = "def handler(event, context):\n    pass\n"
    assert handler_code("Q4", code, "source") == code
    assert capsys.readouterr().out == ""


def test_a_handler_cell_is_named_by_its_function_and_read_back_from_the_lab(capsys, lab):
    code = "def handler(event, context):\n    return 1\n"
    handler_magic.deploy("q4-cell", code, memory_mb=256)
    capsys.readouterr()
    assert handler_code("Q4", "q4-cell", "source") == code
    assert handler_code("Q4", "q4-other", "source") is None
    assert "not in the lab yet: run its `%%handler q4-other` cell" in capsys.readouterr().out


def test_the_code_comes_from_the_lab_so_a_fresh_import_still_finds_it(lab):
    # Sealed checks import course.lessons afresh: only the lab (kept) may hold the code.
    import importlib

    lab.deploy("q4-fresh", "def handler(event, context):\n    return 2\n", handler="main.handler")
    fresh = importlib.reload(handler_magic)
    assert fresh.source("q4-fresh") == "def handler(event, context):\n    return 2\n"
