from course.grading.checks import answered, answered_with_handler, report


def test_report_passes_with_what_was_checked(capsys):
    assert report("Q1", True, "the total matches the bill", "ignored when passing") is True
    assert capsys.readouterr().out == "Q1 correct: the total matches the bill.\n"


def test_report_fails_with_a_hint(capsys):
    assert report("Q2", False, "the total matches the bill", "round each line first.") is False
    assert capsys.readouterr().out == (
        "Q2 not yet: the total matches the bill. Hint: round each line first.\n"
    )


def test_placeholder_is_not_an_answer(capsys):
    assert answered("Q3", ..., "total") is False
    assert "Q3 not yet: `total` still holds the placeholder `...`" in capsys.readouterr().out
    assert answered("Q3", 0, "total") is True


def test_handler_answers_must_be_code_defining_handler(capsys):
    assert answered_with_handler("Q4", ..., "source") is False
    assert answered_with_handler("Q4", {"statusCode": 200}, "source") is False
    assert "Q4 not yet: `source` should be a string of Python code" in capsys.readouterr().out
    assert answered_with_handler("Q4", "def handler(event, context):\n    pass\n", "source")
    assert capsys.readouterr().out == ""
