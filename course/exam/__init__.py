"""The exam wing: certification prep for the AWS exams that test Lambda (DVA-C02, SAA-C03).

A question bank tied to the exam guides' task statements, a quiz for the terminal and for
notebooks, the learner's progress, spaced review and the guides' coverage.

Public names:
- `questions()`: the whole bank, rendered (`Question` objects; numbers from the facts file).
- `draw(exam=None, task=None, count=10, seed=None)`: a draw; the same seed gives the same list.
- `variant(question, seed)`: a numeric question with new parameters, its answer recomputed.
- `Question`, `NumericAnswer`, `QuestionBankError`, `InvalidParameterValueException`.
- `QuizSession`, `InvalidAnswer` (course.exam.quiz): marking and scoring, shared by
  `lambda-course quiz` and `quiz_widget(...)` (course.exam.widget).
- `progress`: the learner's answers and exercise checks (`progress.load()`, `progress.by_lesson`,
  `progress.by_task`, `progress.chart_data`, `progress.plot`).
- `review`: Leitner-box spaced review (`review.due(progress, bank, now)`).
- `coverage`: task statements with their lessons, exercises and question counts.
"""

from course.exam import coverage, progress, review
from course.exam.question_bank import (
    InvalidParameterValueException,
    NumericAnswer,
    Question,
    QuestionBankError,
    draw,
    questions,
    variant,
)
from course.exam.quiz import InvalidAnswer, QuizSession


def quiz_widget(*args, **kwargs):
    """The quiz as an ipywidgets widget (see course.exam.widget.quiz for the arguments)."""
    from course.exam.widget import quiz

    return quiz(*args, **kwargs)


__all__ = [
    "InvalidAnswer",
    "InvalidParameterValueException",
    "NumericAnswer",
    "Question",
    "QuestionBankError",
    "QuizSession",
    "coverage",
    "draw",
    "progress",
    "questions",
    "quiz_widget",
    "review",
    "variant",
]
