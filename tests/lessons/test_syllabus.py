"""The lesson map lives in one place and the README and notebooks agree with it."""

from course import lessons
from course.lessons import notebooks

EXPECTED = [
    ("00", "Start here", "available"),
    ("01", "Serverless concepts", "available"),
    ("02", "Lambda fundamentals", "available"),
    ("03", "Pricing", "available"),
    ("04", "Integrations and triggers", "available"),
    ("05", "Security", "available"),
    ("06", "Configuration and limits", "planned"),
]


def test_lesson_map_numbers_titles_and_status():
    assert [(x.number, x.title, x.status) for x in lessons.LESSONS] == EXPECTED
    assert all(x.objectives and x.minutes > 0 for x in lessons.LESSONS)


def test_available_lessons_exist_and_planned_ones_do_not_yet():
    for lesson in lessons.LESSONS:
        exists = (notebooks.ROOT / lesson.notebook).is_file()
        assert exists == lesson.available, f"{lesson.notebook}: update its status in syllabus.py"


def test_readme_shows_the_lesson_map_from_lessons_py():
    readme = (notebooks.ROOT / "README.md").read_text(encoding="utf-8")
    assert lessons.markdown_table() in readme


def test_planned_lessons_are_marked_plainly_and_not_linked():
    table = lessons.markdown_table(from_dir="notebooks")
    assert "| 06 | Configuration and limits | 45 min | planned (not written yet) |" in table
    assert "| 05 | [Security](05_security.ipynb) |" in table
    assert "| 03 | [Pricing](03_pricing.ipynb) |" in table


def test_unknown_lesson_is_a_clear_error():
    try:
        lessons.lesson("42")
    except KeyError as error:
        assert "No lesson '42'" in str(error)
    else:
        raise AssertionError("lesson('42') should fail")
