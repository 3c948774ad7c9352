"""The lesson map lives in one place and the README and notebooks agree with it."""

import re
from pathlib import Path

import pytest

from course import lessons
from course.lessons import notebooks

EXPECTED = [
    ("00", "Start here", "available"),
    ("01", "Serverless concepts", "available"),
    ("02", "Lambda fundamentals", "available"),
    ("03", "Pricing", "available"),
    ("04", "Integrations and triggers", "available"),
    ("05", "Security", "available"),
    ("06", "Configuration and limits", "available"),
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


def test_planned_lessons_are_marked_plainly_and_not_linked(monkeypatch):
    from course.lessons import syllabus

    planned = syllabus.Lesson(
        "07", "Next steps", "notebooks/07_next.ipynb", ("Go further.",), 30, syllabus.PLANNED
    )
    monkeypatch.setattr(syllabus, "LESSONS", (*syllabus.LESSONS, planned))
    table = syllabus.markdown_table(from_dir="notebooks")
    assert "| 07 | Next steps | 30 min | planned (not written yet) |" in table
    assert "| 06 | [Configuration and limits](06_configuration_and_limits.ipynb) |" in table
    assert "| 03 | [Pricing](03_pricing.ipynb) |" in table


def test_unknown_lesson_is_a_clear_error():
    try:
        lessons.lesson("42")
    except KeyError as error:
        assert "No lesson '42'" in str(error)
    else:
        raise AssertionError("lesson('42') should fail")


TIME_BUDGET = re.compile(r"\*\*Time budget:\*\* teaching (\d+) min, exercises (\d+) min\.")
NEXT_LINK = re.compile(r"Next:.*\]\(([^)]+\.ipynb)\)")


def first_and_last_text(lesson):
    cells = [c for c in notebooks.read(notebooks.ROOT / lesson.notebook).cells]
    return cells[0].source, cells[-1].source


AVAILABLE = [x for x in lessons.LESSONS if x.available]


@pytest.mark.parametrize("lesson", AVAILABLE, ids=[x.number for x in AVAILABLE])
def test_a_notebooks_time_budget_agrees_with_the_lesson_map(lesson):
    header, _ = first_and_last_text(lesson)
    found = TIME_BUDGET.search(header)
    if found is None:  # the start-here notebook prints its budget from the map itself
        source = notebooks.read(notebooks.ROOT / lesson.notebook).cells[1].source
        assert f'lesson("{lesson.number}")' in source and "this.minutes" in source
        return
    teaching, exercises = (int(n) for n in found.groups())
    assert teaching + exercises == lesson.minutes, f"{lesson.notebook} or syllabus.py"


@pytest.mark.parametrize("lesson", AVAILABLE, ids=[x.number for x in AVAILABLE])
def test_each_lesson_ends_with_its_exercises_and_a_link_to_the_next(lesson):
    _, last = first_and_last_text(lesson)
    exercise = (
        notebooks.ROOT
        / "exercises"
        / Path(lesson.notebook).name.replace(".ipynb", "_exercises.ipynb")
    )
    if exercise.is_file():
        assert f"exercises/{exercise.name}" in last, lesson.notebook
    later = [x for x in AVAILABLE if x.number > lesson.number]
    links = NEXT_LINK.findall(last)
    if later:
        assert links == [Path(later[0].notebook).name], lesson.notebook
