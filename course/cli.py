"""The `lambda-course` command: lab, build, check and execute.

lambda-course lab                 open JupyterLab on the start-here notebook (127.0.0.1)
lambda-course build               regenerate exercises/ from solutions/
lambda-course build --classroom OUT   write the learners' copy: no solutions/, sealed checks
lambda-course check FILE          check an exercise notebook with sealed checks
lambda-course hint FILE Q3        the next hint for one question of an exercise notebook
lambda-course grade DIR --out grades.csv   grade DIR/<student>/<exercise>.ipynb
lambda-course execute FILE...     re-run notebooks in a real kernel and store outputs
lambda-course start NN            copy lesson NN's exercises into work/ (never replaces yours)
lambda-course quiz | review | progress | coverage --exam X      exam prep (course.exam)
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import sys
from pathlib import Path
from typing import NoReturn

from nbclient.exceptions import CellExecutionError

from course import grading
from course.exam import commands as exam_commands
from course.exam import progress
from course.grading import classroom, exercises, hints, notebook_check, sealing, workspace
from course.lessons import notebooks

START_NOTEBOOK = "notebooks/00_start_here.ipynb"
DEFAULT_PORT = 8888


def free_port(preferred: int = DEFAULT_PORT) -> int:
    """`preferred` if nothing listens on it on 127.0.0.1, otherwise a free port."""
    for port in (preferred, 0):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise OSError("No free port on 127.0.0.1.")


TOKEN_VARIABLE = "JUPYTER_TOKEN"  # read by Jupyter Server; /proc/PID/environ is owner-only


def lab_command(port: int, root: Path | None = None) -> list[str]:
    """The JupyterLab command line: 127.0.0.1 only, opened on the start-here notebook.

    `root` is the folder served (default: this course's own); it must hold notebooks/. It holds
    no token: every local user can read a command line in `ps`, so the token goes in the
    environment variable TOKEN_VARIABLE, which only the owner can read.
    """
    root = root or notebooks.ROOT
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        str(root / START_NOTEBOOK),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        command.append("--no-browser")
    return command


def lab(port: int | None, token: str | None, root: Path | None = None) -> NoReturn:
    """Replace this process with JupyterLab, so stopping it stops the server too."""
    port = port or free_port()
    token = token or secrets.token_hex(16)
    print(
        f"JupyterLab on http://127.0.0.1:{port}/lab/tree/{START_NOTEBOOK}?token={token}\n"
        "Open that address in your browser. Press Ctrl+C twice to stop.",
        flush=True,
    )
    command = lab_command(port, root)
    os.execve(command[0], command, {**os.environ, TOKEN_VARIABLE: token})


def build(classroom: str | None = None) -> int:
    """Regenerate exercises/ and say what changed, or write the classroom copy."""
    if classroom:
        return build_classroom(classroom)
    for step in exercises.build():
        print(step)
    return 0


def check(path: str, root: Path | None = None) -> int:
    """Check an exercise notebook (or each in a folder); exit code 0 only when all pass."""
    if Path(path).is_dir():
        found = workspace.notebooks_in(Path(path))
        if not found:
            print(
                f"No exercise notebooks in {path}: start one with `.venv/bin/lambda-course start "
                "03` (or `lambda-course start 03` where the course's environment is active)."
            )
            return 2
        return max(check(str(notebook), root) for notebook in found)
    try:
        report = grading.check(Path(path), root)
    except grading.CheckError as error:
        print(f"Cannot check {path}: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    record_check(report)
    return 0 if report.passed else 1


def hint(path: str, question: str) -> int:
    """Show the next hint level for one question of an exercise notebook."""
    try:
        print(hints.reveal(hints.lesson_of(path), question, "run this command again"))
    except hints.HintNotFoundError as error:
        print(f"Cannot give a hint: {error}", file=sys.stderr)
        return 2
    return 0


def execute(paths: list[str]) -> int:
    """Re-execute notebooks in place (outputs stored, volatile metadata stripped)."""
    for path in paths:
        try:
            notebooks.execute(Path(path))
        except notebooks.NotebookFileError as error:
            print(f"Cannot execute {path}: {error}", file=sys.stderr)
            return 2
        except CellExecutionError as error:
            print(f"{path}: a cell raised an error; nothing was saved.\n{error}", file=sys.stderr)
            return 1
        print(f"{path}: executed and saved.")
    return 0


# --- the learner's loop: start, progress of checks, and the exam verbs (course.exam) ----------


def start(lesson: str) -> int:
    """Copy a lesson's exercise notebook into work/ (never over the learner's copy)."""
    try:
        started = workspace.start(lesson)
    except workspace.ResourceNotFoundException as error:
        print(f"ResourceNotFoundException: {error}", file=sys.stderr)
        return 2
    print(started.message(notebooks.ROOT))
    return 0


def record_check(report: grading.CheckReport) -> None:
    """Keep each question's verdict in the learner's progress file."""
    verdicts = [(q.question, q.passed, q.verdict) for q in report.questions]
    with exam_commands.showing_warnings():
        progress.record_checks(report.notebook, verdicts)


def add_learner_verbs(verbs: argparse._SubParsersAction) -> None:
    """The `start` verb and the exam verbs."""
    start_parser = verbs.add_parser("start", help="copy a lesson's exercises into work/")
    start_parser.add_argument("lesson", help="the lesson number, e.g. 03")
    exam_commands.add_verbs(verbs)


# --- end of the learner's loop ----------------------------------------------------------------


# --- classroom kit: `build --classroom OUT` and `grade` (course.grading.sealing, .classroom)


def build_classroom(out: str) -> int:
    """Write the learners' copy of the course into OUT."""
    try:
        seals = sealing.build_classroom(Path(out))
    except sealing.SealError as error:
        print(f"Cannot build the classroom copy: {error}", file=sys.stderr)
        return 2
    print(f"{out}: the learners' copy, without solutions/, with {len(seals)} sealed notebooks.")
    return 0


def add_grade_parser(verbs: argparse._SubParsersAction) -> None:
    """The `grade` sub-command's options."""
    grade_parser = verbs.add_parser("grade", help="grade a class's submitted notebooks")
    grade_parser.add_argument("submissions", help="folder of <student>/<exercise>.ipynb")
    grade_parser.add_argument("--out", required=True, help="the CSV to write (and .html, .png)")
    grade_parser.add_argument("--workers", type=int, default=2, help="students at once (2)")
    grade_parser.add_argument(
        "--timeout", type=float, default=notebook_check.CELL_TIMEOUT_S, help="seconds per cell"
    )


def grade(args: argparse.Namespace) -> int:
    """Grade a class; exit code 0 when it was graded, whatever the verdicts."""
    out = Path(args.out)
    if note := classroom.sandbox_note():
        print(note, file=sys.stderr)
    try:
        rows = classroom.grade(Path(args.submissions), out, args.workers, args.timeout)
    except classroom.GradeError as error:
        print(f"Cannot grade {args.submissions}: {error}", file=sys.stderr)
        return 2
    passed = sum(row.verdict == "pass" for row in rows)
    print(f"{len(rows)} rows ({passed} pass) in {out}; summary in {out.with_suffix('.html')}.")
    return 0


def parser() -> argparse.ArgumentParser:
    """The argument parser, one sub-command per verb."""
    main_parser = argparse.ArgumentParser(
        prog="lambda-course", description="A hands-on AWS Lambda course, offline in Jupyter."
    )
    verbs = main_parser.add_subparsers(dest="verb", required=True)
    lab_parser = verbs.add_parser("lab", help="open JupyterLab on the start-here notebook")
    lab_parser.add_argument("--port", type=int, help=f"default {DEFAULT_PORT}, or a free one")
    lab_parser.add_argument("--token", help="access token (default: a random one)")
    lab_parser.add_argument(
        "--root", type=Path, help="serve this copy of the course (a folder with notebooks/)"
    )
    build_parser = verbs.add_parser("build", help="regenerate exercises/ from solutions/")
    build_parser.add_argument("--classroom", metavar="OUT", help="write the learners' copy")
    check_parser = verbs.add_parser("check", help="check an exercise notebook")
    check_parser.add_argument("file", help="a notebook, or a folder of them such as work/")
    check_parser.add_argument(
        "--root", type=Path, help="the course folder with solutions/ or seals/ (default: this one)"
    )
    hint_parser = verbs.add_parser("hint", help="the next hint for a question of an exercise")
    hint_parser.add_argument("file", help="the exercise notebook, e.g. exercises/03_...ipynb")
    hint_parser.add_argument("question", help="the question, e.g. Q3")
    execute_parser = verbs.add_parser("execute", help="re-run notebooks and store outputs")
    execute_parser.add_argument("files", nargs="+")
    add_learner_verbs(verbs)
    add_grade_parser(verbs)
    return main_parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `lambda-course` console script."""
    main_parser = parser()
    args = main_parser.parse_args(argv)
    if args.verb == "lab":
        if args.root and not (args.root / START_NOTEBOOK).is_file():
            main_parser.error(f"--root {args.root} has no {START_NOTEBOOK}")
        return lab(args.port, args.token, args.root and args.root.resolve())
    if args.verb == "build":
        return build(args.classroom)
    if args.verb == "grade":
        return grade(args)
    if args.verb == "check":
        return check(args.file, args.root)
    if args.verb == "start":
        return start(args.lesson)
    if args.verb in exam_commands.VERBS:
        return exam_commands.run(args)
    if args.verb == "hint":
        return hint(args.file, args.question)
    return execute(args.files)


if __name__ == "__main__":
    sys.exit(main())
