"""Lessons: what the lesson notebooks call, beyond the lab and pricing.

Modules: `syllabus` (the lesson map: titles, times, objectives, status), `notebooks` (notebook
I/O, clean metadata, execution, and the pytest plugin that starts nbval's kernels offline),
`architectures` and `diagrams` (lesson 01's reference architectures, built live and drawn),
`services` (workloads and service families), `integrations` (lesson 04's trigger wiring),
`blueprints` (starter templates in `templates/`, paired with sample events), `selfcheck`
(lesson 00's set-up check), `handler_magic` (the `%%handler NAME` cell magic: a cell of Python
deployed to the lab as a function) and `handlers/` (the lessons' own handler code).

Public names: `Lesson`, `LESSONS`, `lesson`, `markdown_table`.
"""

from course.lessons.syllabus import LESSONS, Lesson, lesson, markdown_table

__all__ = ["LESSONS", "Lesson", "lesson", "markdown_table"]
