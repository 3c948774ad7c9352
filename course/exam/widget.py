"""The quiz as a notebook widget: one question at a time, Check then Next, the score below.

The marking is `course.exam.quiz.QuizSession`'s, the same as the terminal quiz's; this module
only turns the learner's clicks into an answer. Answers are recorded in the progress file.
"""

from __future__ import annotations

import html
import string
from collections.abc import Iterable

import ipywidgets as widgets

from course.exam import progress
from course.exam.question_bank import Question, draw
from course.exam.quiz import InvalidAnswer, QuizSession, Recorder, feedback, parse


def _record(question: Question, right: bool) -> None:
    progress.record_answer(question.id, right)


class QuizWidget:
    """A quiz in a notebook cell; display it with `.box` (or just put it last in a cell)."""

    def __init__(self, questions: Iterable[Question], record: Recorder | None = _record) -> None:
        self.session = QuizSession(questions, record)
        self.prompt = widgets.HTML()
        self.single = widgets.RadioButtons(options=[], value=None, layout={"width": "auto"})
        self.multiple: list[widgets.Checkbox] = []
        self.multiple_box = widgets.VBox()
        self.number = widgets.Text(placeholder="your answer")
        self.check_button = widgets.Button(description="Check", button_style="primary")
        self.next_button = widgets.Button(description="Next", disabled=True)
        self.feedback = widgets.HTML()
        self.score = widgets.HTML()
        self.check_button.on_click(lambda _: self.check())
        self.next_button.on_click(lambda _: self.next())
        self.box = widgets.VBox(
            [
                self.prompt,
                self.single,
                self.multiple_box,
                self.number,
                widgets.HBox([self.check_button, self.next_button]),
                self.feedback,
                self.score,
            ]
        )
        self._show()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.box)

    def _show(self) -> None:
        question = self.session.current
        done, total = len(self.session.outcomes), len(self.session.questions)
        right, _ = self.session.score
        self.score.value = f"Score: {right}/{done}"
        if question is None:
            self.prompt.value = f"<b>Quiz done.</b> {html.escape(self.session.summary())}".replace(
                "\n", "<br>"
            )
            for control in (self.single, self.multiple_box, self.number, self.check_button):
                control.layout.display = "none"
            self.next_button.disabled = True
            return
        self.prompt.value = (
            f"<b>Question {done + 1} of {total}</b> ({', '.join(question.tags)})<br>"
            f"{html.escape(question.prompt)}"
        )
        labels = [f"{string.ascii_uppercase[i]}. {c}" for i, c in enumerate(question.choices)]
        self.single.options, self.single.value = labels, None
        self.multiple = [widgets.Checkbox(description=label, indent=False) for label in labels]
        self.multiple_box.children = self.multiple
        self.number.value = ""
        self.single.layout.display = "" if question.kind == "single" else "none"
        self.multiple_box.layout.display = "" if question.kind == "multiple" else "none"
        self.number.layout.display = "" if question.kind == "numeric" else "none"
        self.check_button.disabled, self.next_button.disabled = False, True
        self.feedback.value = ""

    def typed_answer(self) -> str:
        """The answer the controls hold, as the terminal quiz would read it ('B', 'A,C', '12')."""
        question = self.session.current
        if question is None:
            return ""
        if question.kind == "numeric":
            return self.number.value
        if question.kind == "single":
            index = self.single.index
            return "" if index is None else string.ascii_uppercase[index]
        return ",".join(string.ascii_uppercase[i] for i, c in enumerate(self.multiple) if c.value)

    def check(self) -> None:
        """Mark the current answer and show right or wrong with the explanation."""
        question = self.session.current
        if question is None:
            return
        try:
            outcome = self.session.answer(parse(question, self.typed_answer()))
        except InvalidAnswer as error:
            self.feedback.value = html.escape(str(error))
            return
        self.feedback.value = html.escape(feedback(outcome)).replace("\n", "<br>")
        self.check_button.disabled, self.next_button.disabled = True, False
        right, done = self.session.score
        self.score.value = f"Score: {right}/{done}"

    def next(self) -> None:
        """Show the next question (or the final score)."""
        self._show()


def quiz(
    exam: str | None = None,
    task: str | None = None,
    count: int = 5,
    seed: int | str | None = None,
    *,
    lesson: str | None = None,
) -> QuizWidget:
    """A quiz widget on a deterministic draw, e.g. `quiz(lesson="03", seed=3)` ends lesson 03."""
    return QuizWidget(draw(exam, task, count, seed, lesson=lesson))
