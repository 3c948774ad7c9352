"""The quiz widget's logic, driven through its controls without a browser."""

import json

from course.exam import progress
from course.exam.widget import QuizWidget, quiz


def test_the_widget_marks_each_kind_of_answer_and_keeps_the_score(by_id):
    recorded = []
    questions = [by_id["t-role"], by_id["t-async-sources"], by_id["t-bill"]]
    widget = QuizWidget(questions, record=lambda q, right: recorded.append((q.id, right)))
    assert "Question 1 of 3" in widget.prompt.value and widget.single.layout.display == ""
    assert widget.number.layout.display == "none"

    widget.check_button.click()  # nothing chosen yet: asked again, not marked
    assert "one letter from A to C" in widget.feedback.value and recorded == []

    widget.single.index = 0
    widget.check_button.click()
    assert widget.feedback.value.startswith("Right.") and widget.score.value == "Score: 1/1"
    assert widget.check_button.disabled and not widget.next_button.disabled

    widget.next_button.click()
    assert widget.multiple_box.layout.display == "" and widget.single.layout.display == "none"
    widget.multiple[0].value = True  # only one of the two right choices
    assert widget.typed_answer() == "A"
    widget.check_button.click()
    assert widget.feedback.value.startswith("Wrong: the answer is A, C.")

    widget.next_button.click()
    assert widget.number.layout.display == ""
    widget.number.value = f"${by_id['t-bill'].answer.value}"
    widget.check_button.click()
    assert widget.score.value == "Score: 2/3"

    widget.next_button.click()
    assert "Quiz done." in widget.prompt.value and "Score: 2/3" in widget.prompt.value
    assert widget.check_button.layout.display == "none"
    assert recorded == [("t-role", True), ("t-async-sources", False), ("t-bill", True)]


def test_the_lesson_quiz_draws_that_lesson_and_records_answers_in_the_progress_file():
    widget = quiz(lesson="03", count=5, seed=2)
    assert {q.id for q in widget.session.questions} == {"t-bill", "t-free-tier"}
    first = widget.session.current
    if first.kind == "numeric":
        widget.number.value = str(first.answer.value)
    else:
        widget.single.index = first.correct[0]
    widget.check_button.click()
    saved = json.loads(progress.progress_file().read_text())
    assert [(a["question"], a["right"]) for a in saved["answers"]] == [(first.id, True)]
