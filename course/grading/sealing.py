"""Sealed checks: a submission's check cells come from the course, never from the learner.

The seal of an exercise notebook lists, for each question, its check cell (id, position,
source and the source's SHA-256, as nbgrader checksums its test cells), the check helpers the
cell calls (and the `course` module each comes from), and the SHA-256 of the line the check
prints when the answer is right. It is made from solutions/ in the full repository, or read
from seals/ in a classroom copy (`lambda-course build --classroom OUT`), which has no
solutions/: the hashes say whether a line is the pass line without revealing any answer.

Before a submission runs, every check cell is put back from the seal; a changed or removed
check cell is reported `tampered`, and the original runs. A sealed check cell does not trust
the kernel's state: it imports the check helpers afresh from the course's files (so a learner
who patched `print`, `sys.stdout`, a helper or a `course` module changes nothing), captures
what they print itself, and publishes the verdict as one display message stamped with a
random nonce that the grader makes when it sends that cell. The grader reads the verdict from
the kernel's message stream and compares its hash with the seal.

What it cannot stop: code in the same kernel that rewrites Python's import machinery or
IPython's execution hooks could still learn the nonce. Grading runs each submission in a
sandboxed kernel (course.grading.sandbox) so it cannot change the course's files.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import inspect
import json
import re
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from course.grading import exercises
from course.lessons import notebooks

SEALS_DIR = "seals"
SANITIZE_FILE = Path(__file__).parents[1] / "nbval_sanitize.cfg"
VERDICT_MIME = "application/vnd.lambda-course.verdict+json"
SEAL_VERSION = 1
# The wing that holds the running lab's state: a sealed check reuses it (never re-imported).
LAB_MODULES = frozenset({"lab"})


class SealError(Exception):
    """No sealed checks can be found or made for a notebook."""


@dataclass(frozen=True)
class SealedQuestion:
    """One question's check cell as the course ships it, and the hash of its pass output."""

    question: str
    cell_id: str
    position: int
    source: str
    source_sha256: str
    helpers: dict[str, str]  # name the cell calls -> course module it is imported from
    expected_sha256: str


@dataclass(frozen=True)
class Seal:
    """Every sealed check cell of one exercise notebook."""

    notebook: str
    origin: str  # where the seal came from, for reports: solutions/X.ipynb or seals/X.json
    questions: tuple[SealedQuestion, ...]

    def to_json(self) -> str:
        """The seals/ file text (it holds hashes of pass lines, never answers)."""
        body = {
            "version": SEAL_VERSION,
            "notebook": self.notebook,
            "questions": [asdict(q) for q in self.questions],
        }
        return json.dumps(body, indent=1, sort_keys=True) + "\n"


def normalized(source: str) -> str:
    """A cell's source without trailing spaces or blank lines (these are not edits)."""
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


def digest(text: str) -> str:
    """The SHA-256 of a text, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@functools.cache
def _patterns() -> list:
    from nbval.plugin import get_sanitize_patterns  # slow to import: only where it is used

    return get_sanitize_patterns(SANITIZE_FILE.read_text(encoding="utf-8"))


def sanitized(text: str) -> str:
    """`text` with the values that change between runs replaced, as nbval compares them."""
    for regex, replace in _patterns():
        text = re.sub(regex, replace, text)
    return text.strip()


def output_hash(notebook: str, question: str, text: str) -> str:
    """The hash a check's printed text is compared by (salted with notebook and question)."""
    return digest(f"{notebook}\n{question}\n{sanitized(text)}")


def check_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indexes of the code cells tagged `check`."""
    return [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and exercises.CHECK_TAG in cell.metadata.get("tags", [])
    ]


def helper_imports(nb: nbformat.NotebookNode) -> dict[str, str]:
    """Names imported from `course` modules by a notebook's cells: name -> module."""
    found: dict[str, str] = {}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course"):
                for alias in node.names:
                    found[alias.asname or alias.name] = node.module
    return found


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


def seal_from_solution(solution: nbformat.NotebookNode, name: str, origin: str) -> Seal:
    """The seal of exercise `name`, made from its solutions notebook and stored outputs."""
    imports = helper_imports(solution)
    questions = []
    for position, index in enumerate(check_cells(solution)):
        cell = solution.cells[index]
        label = exercises.question_of(solution.cells, index) or f"Q{position + 1}"
        used = {n.id for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Name)}
        questions.append(
            SealedQuestion(
                question=label,
                cell_id=cell.get("id", ""),
                position=position,
                source=cell.source,
                source_sha256=digest(normalized(cell.source)),
                helpers={n: imports[n] for n in sorted(used) if n in imports},
                expected_sha256=output_hash(name, label, _stdout(cell)),
            )
        )
    if not questions:
        raise SealError(f"{origin} has no cells tagged `check`: nothing to compare.")
    return Seal(name, origin, tuple(questions))


def seal_from_json(text: str, origin: str) -> Seal:
    """A seal read back from a seals/ file."""
    body = json.loads(text)
    questions = tuple(SealedQuestion(**q) for q in body["questions"])
    return Seal(body["notebook"], origin, questions)


def seal_for(name: str, root: Path | None = None) -> Seal:
    """The seal of exercise notebook `name`, from the course's own files only.

    solutions/NAME in the full repository, else seals/NAME.json in a classroom copy. The
    learner's notebook (its metadata included) is never consulted.
    """
    root = root or notebooks.ROOT
    solution = root / exercises.SOURCE_DIR / name
    if solution.is_file():
        origin = f"{exercises.SOURCE_DIR}/{name}"
        return seal_from_solution(notebooks.read(solution), name, origin)
    sealed = root / SEALS_DIR / f"{name}.json"
    if sealed.is_file():
        return seal_from_json(sealed.read_text(encoding="utf-8"), f"{SEALS_DIR}/{name}.json")
    raise SealError(
        f"{name} has no matching solution in {root / exercises.SOURCE_DIR} and no sealed "
        f"checks in {root / SEALS_DIR}. Check an exercise notebook from the exercises/ folder, "
        "e.g. `lambda-course check exercises/03_pricing_exercises.ipynb`."
    )


# --- putting the sealed check cells back -----------------------------------------------------


@dataclass(frozen=True)
class SealedCell:
    """Where a sealed question's check cell sits in the notebook that runs."""

    question: SealedQuestion
    index: int
    tampered: str  # why the learner's check cell was not the original ("" when it was)


def _section_end(cells: list, label: str) -> int:
    """The index just after the last cell of question `label`'s section (end of notebook)."""
    start = None
    for i, cell in enumerate(cells):
        heading = cell.cell_type == "markdown" and exercises.QUESTION.match(cell.source.lstrip())
        if heading and start is None and heading.group(1) == label:
            start = i
        elif heading and start is not None:
            return i
    return len(cells)


def restore(learner: nbformat.NotebookNode, seal: Seal):
    """The learner's notebook with every check cell put back from the seal.

    Returns the notebook to run (outputs cleared) and one SealedCell per sealed question.
    Check cells are matched by cell id, then by their order among cells tagged `check`.
    """
    nb = notebooks.clean(learner)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    by_id = {cell.get("id"): i for i, cell in enumerate(nb.cells)}
    tagged = check_cells(nb)
    ids = {q.cell_id for q in seal.questions}
    found = {
        q.cell_id: by_id[q.cell_id]
        for q in seal.questions
        if q.cell_id in by_id and nb.cells[by_id[q.cell_id]].cell_type == "code"
    }
    free = [i for i in tagged if i not in found.values() and nb.cells[i].get("id") not in ids]
    placed: list[tuple[SealedQuestion, int, str]] = []
    missing = []
    for q in seal.questions:
        index = found.get(q.cell_id)
        if index is None and q.position < len(tagged) and tagged[q.position] in free:
            index = tagged[q.position]  # ids changed: match by order among check cells
        if index is None:
            missing.append(q)
            continue
        cell = nb.cells[index]
        reason = ""
        if digest(normalized(cell.source)) != q.source_sha256:
            reason = "the check cell was changed; the original ran"
        elif exercises.CHECK_TAG not in cell.metadata.get("tags", []):
            reason = "the check cell lost its `check` tag; the original ran"
        placed.append((q, index, reason))
    for q in missing:  # put a removed check cell back at the end of its question
        at = _section_end(nb.cells, q.question)
        nb.cells.insert(at, nbformat.v4.new_code_cell(q.source, id=f"sealed-{q.cell_id}"))
        placed = [(p, i + (i >= at), r) for p, i, r in placed]
        placed.append((q, at, "the check cell was removed; the original ran"))
    cells = []
    for q, index, reason in placed:
        cell = nb.cells[index]
        cell.source = q.source
        cell.metadata["tags"] = sorted({*cell.metadata.get("tags", []), exercises.CHECK_TAG})
        cells.append(SealedCell(q, index, reason))
    cells.sort(key=lambda c: c.question.position)
    return nb, cells


# --- running a sealed check cell in the kernel -----------------------------------------------


def run_in_kernel(nonce, question, source, helpers, lab_modules, user_ns):  # noqa: ANN001, ANN201
    """Run one check cell honestly inside the learner's kernel (sent there as source).

    The helpers are imported afresh from the course's files with every non-lab `course`
    module, their `print` and `sys.stdout` write to a list of ours, and the verdict goes out
    as one display message stamped with `nonce`. Everything it needs is imported inside.
    """
    import importlib
    import sys
    import traceback

    from IPython.display import publish_display_data

    lines = []

    class _Capture:
        def write(self, text):
            lines.append(str(text))
            return len(text)

        def flush(self):
            return None

    def _print(*args, sep=" ", end="\n", file=None, flush=False):
        lines.append(sep.join(str(a) for a in args) + end)

    def _stale(name):
        parts = name.split(".")
        return parts[0] == "course" and len(parts) > 1 and parts[1] not in lab_modules

    kept = {name: module for name, module in sys.modules.items() if _stale(name)}
    for name in kept:
        del sys.modules[name]
    saved_out, saved_err = sys.stdout, sys.stderr
    error = ""
    try:
        namespace = dict(user_ns)
        for name, module_name in helpers.items():
            namespace[name] = getattr(importlib.import_module(module_name), name)
        for name, module in list(sys.modules.items()):
            if _stale(name):  # every such module now is a fresh one
                module.__dict__["print"] = _print
        sys.stdout = sys.stderr = _Capture()
        exec(compile(source, "<sealed check>", "exec"), namespace)
    except BaseException as caught:  # the learner's answer may raise anything
        last = traceback.format_exception_only(type(caught), caught)[-1].strip()
        error = last
    finally:
        sys.stdout, sys.stderr = saved_out, saved_err
        for name in [n for n in sys.modules if _stale(n)]:
            del sys.modules[name]
        sys.modules.update(kept)
    verdict = {"nonce": nonce, "question": question, "stdout": "".join(lines), "error": error}
    publish_display_data({"application/vnd.lambda-course.verdict+json": verdict})


_RUNNER = inspect.getsource(run_in_kernel)


def sealed_source(question: SealedQuestion, nonce: str) -> str:
    """The code sent to the kernel in place of a check cell."""
    args = [nonce, question.question, question.source, question.helpers, sorted(LAB_MODULES)]
    call = ", ".join(json.dumps(a) for a in args)
    return (
        f"exec(compile({_RUNNER!r}, '<lambda-course seal>', 'exec'), __lambda_seal__ := {{}})\n"
        f"__lambda_seal__['run_in_kernel']({call}, globals())\n"
        "del __lambda_seal__"
    )


def new_nonce() -> str:
    """A random stamp for one sealed check run."""
    return secrets.token_hex(16)


def verdict_of(outputs: list, nonce: str) -> dict | None:
    """The verdict a sealed check published with `nonce`, or None when there is none."""
    found = [
        o["data"][VERDICT_MIME]
        for o in outputs
        if o.get("output_type") == "display_data" and VERDICT_MIME in o.get("data", {})
    ]
    genuine = [v for v in found if isinstance(v, dict) and v.get("nonce") == nonce]
    return genuine[0] if len(genuine) == 1 and len(found) == 1 else None


# --- the classroom copy ----------------------------------------------------------------------

CLASSROOM_SKIP = frozenset(
    {exercises.SOURCE_DIR, "tests", "benchmarks", ".git", ".ci", "Makefile", SEALS_DIR}
)
SKIP_NAMES = frozenset({"__pycache__", ".ipynb_checkpoints", ".pytest_cache", ".ruff_cache"})


def write_seals(target: Path, root: Path | None = None) -> list[Path]:
    """Write seals/NAME.json for every exercise notebook into `target`."""
    root = root or notebooks.ROOT
    (target / SEALS_DIR).mkdir(parents=True, exist_ok=True)
    written = []
    for path in exercises.sources(root):
        seal = seal_for(path.name, root)
        out = target / SEALS_DIR / f"{path.name}.json"
        out.write_text(seal.to_json(), encoding="utf-8")
        written.append(out)
    return written


def build_classroom(out: Path, root: Path | None = None) -> list[Path]:
    """Write the learner's copy of the course into `out`: no solutions/, sealed checks instead.

    Returns the seals written. `out` must not exist yet or be empty (nothing is overwritten).
    """
    import shutil

    root = (root or notebooks.ROOT).resolve()
    out = Path(out).resolve()
    if out.exists() and any(out.iterdir()):
        raise SealError(f"{out} already exists and is not empty: choose a new folder.")
    if out == root or out.is_relative_to(root / exercises.SOURCE_DIR):
        raise SealError(f"{out} is inside the course itself: choose a folder outside it.")
    if exercises.stale(root):
        raise SealError("exercises/ is out of date: run `lambda-course build` first.")

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in SKIP_NAMES or exercises.is_backup(Path(n))}
        if Path(folder).resolve() == root:
            skipped |= {n for n in names if n in CLASSROOM_SKIP or n.startswith(".")}
        skipped |= {n for n in names if (Path(folder) / n).resolve() == out}
        return skipped

    shutil.copytree(root, out, ignore=ignore, dirs_exist_ok=True)
    return write_seals(out, root)
