from course.checks import answered, report


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
