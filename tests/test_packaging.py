"""requirements.txt, pyproject.toml and environment.yml pin the same exact versions."""

import re
import tomllib

from course.lessons import notebooks

ROOT = notebooks.ROOT


def requirement_lines(name: str) -> list[str]:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def test_pyproject_dependencies_equal_requirements_txt():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["dependencies"] == requirement_lines("requirements.txt")


EXACT_PIN = re.compile(r"[A-Za-z0-9_.-]+(\[[a-z0-9,_-]+\])?==[0-9][0-9A-Za-z.]*")


def test_every_pin_is_exact():
    for name in ("requirements.txt", "requirements-dev.txt"):
        for line in requirement_lines(name):
            if not line.startswith("-r "):
                assert EXACT_PIN.fullmatch(line), f"{name}: {line!r} is not an exact pin"


def test_environment_yml_installs_the_same_requirements():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    dependencies = text.split("dependencies:", 1)[1]
    assert re.search(r"^\s*-\s*python=3\.11\s*$", dependencies, re.MULTILINE)
    assert re.search(r"^\s*-\s*pip\s*$", dependencies, re.MULTILINE)
    pip_section = dependencies.split("- pip:", 1)[1]
    entries = re.findall(r"^\s*-\s*(.+?)\s*$", pip_section, re.MULTILINE)
    assert entries == ["-r requirements.txt", "-e ."]


def test_python_version_agrees():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["requires-python"] == ">=3.11"
