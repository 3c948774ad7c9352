"""A real browser: `lambda-course lab` served to Debian's Chromium, driven by Playwright.

Lessons 00 and 03 run with Run All in a scratch copy of notebooks/ (the checkout is never
written), the memory-vs-cost explorer's slider is moved with the keyboard, and a `%%handler`
cell deploys a function that the next cell invokes. Without
/usr/bin/chromium or the playwright package the test skips, except in CI (CI=true), where it
fails: CI must run it (.ci/run installs chromium, requirements-dev.txt pins playwright).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from course import cli
from course.lessons import notebooks
from tests.processes import processes_with

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LESSONS = ("00_start_here.ipynb", "03_pricing.ipynb")
HANDLER_NOTEBOOK = "handler_cell.ipynb"  # a %%handler cell, written into the scratch copy
HANDLER_CELLS = (
    "%load_ext course.lessons.handler_magic",
    "%%handler browser-hello --memory 256\n"
    'def handler(event, context):\n    return "hi " + event["name"]',
    'import boto3\nresponse = boto3.client("lambda").invoke(\n'
    '    FunctionName="browser-hello", Payload=b\'{"name": "chromium"}\'\n)\n'
    'print(response["Payload"].read().decode())',
)
STEP_MS = 120_000  # the longest any one step may take (a whole Run All on a loaded machine)
VISIBLE_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
# The status bar names the current notebook's kernel and its state, once it is connected.
KERNEL_IDLE = re.compile(r"^(?!No Kernel).+ \| Idle$")
# True when every code cell of the visible notebook shows a prompt number (it has run).
ALL_RAN = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const prompts = [...(panel?.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt') ?? [])];
  return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
}"""
# The bytes the explorer's figure shows (fetched from the <img>'s blob URL), as a hash.
IMAGE_HASH = """async (img) => {
  const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  let hash = 0;
  for (const b of bytes) hash = (hash * 31 + b) >>> 0;
  return `${bytes.length}:${hash}`;
}"""


def require_browser() -> Any:
    """The playwright sync API, or a skip (a failure in CI) that says what is missing."""
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"Debian's chromium at {CHROMIUM} (apt-get install -y chromium)")
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
        missing.append("the playwright package (pip install -r requirements-dev.txt)")
    if missing:
        message = f"The real-browser test needs {' and '.join(missing)}."
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{message} CI must run this test.", pytrace=False)
        pytest.skip(message)
    return sync_api


def scratch_course(tmp_path: Path) -> Path:
    """A copy of notebooks/ whose lessons under test have no outputs and no prompt numbers."""
    root = tmp_path / "course"
    shutil.copytree(notebooks.ROOT / "notebooks", root / "notebooks")
    for name in LESSONS:
        path = root / "notebooks" / name
        nb = notebooks.read(path)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        notebooks.write(nb, path)
    handler_nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in HANDLER_CELLS],
        metadata={"kernelspec": notebooks.KERNELSPEC},
    )
    notebooks.write(handler_nb, root / "notebooks" / HANDLER_NOTEBOOK)
    return root


def wait_for_status(port: int, token: str, server: subprocess.Popen) -> None:
    """Wait until the server answers /api/status (it fails the test if it dies first)."""
    deadline = time.monotonic() + STEP_MS / 1000
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/status", headers={"Authorization": f"token {token}"}
    )
    while True:
        try:
            with urllib.request.urlopen(request, timeout=5):
                return
        except OSError:
            assert server.poll() is None, f"lambda-course lab exited with {server.returncode}"
            assert time.monotonic() < deadline, "lambda-course lab did not answer in time"
            time.sleep(0.3)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """`lambda-course lab --root <scratch copy>` on a free port; stopped, with its kernels."""
    sync_api = require_browser()
    root = scratch_course(tmp_path)
    port, token = cli.free_port(0), uuid.uuid4().hex
    marker = ("LAMBDA_COURSE_BROWSER_TEST", uuid.uuid4().hex)
    config = tmp_path / "jupyter-config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    here = str(Path(__file__).resolve().parents[2])  # kernels import this checkout's course/
    env = {
        **os.environ,
        marker[0]: marker[1],
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "jupyter-workspaces"),
        "PYTHONPATH": os.pathsep.join(p for p in (here, os.environ.get("PYTHONPATH")) if p),
    }
    command = [sys.executable, "-m", "course.cli", "lab", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--token", token, "--root", str(root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "lab.log").open("w"),
        start_new_session=True,
    )
    try:
        wait_for_status(port, token, server)
        yield {
            "url": f"http://127.0.0.1:{port}",
            "token": token,
            "root": root,
            "marker": marker,
            "sync_api": sync_api,
        }
    finally:
        server.send_signal(signal.SIGTERM)  # Jupyter shuts its kernels down, then exits
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        deadline = time.monotonic() + 10
        while processes_with(marker[1]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert processes_with(marker[1]) == [], "the lab or its kernels outlived the test"


def run_all(page: Any, served: dict[str, Any], name: str) -> None:
    """Open one lesson, Run All from the Run menu, wait until every cell ran, and save it."""
    page.goto(f"{served['url']}/lab/tree/notebooks/{name}?reset&token={served['token']}")
    kernel_idle = page.locator(".jp-StatusBar-TextItem", has_text=KERNEL_IDLE)
    kernel_idle.wait_for()  # before this, Run All would find no kernel and run nothing
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-item[data-command='runmenu:run-all']").click()
    page.wait_for_function(ALL_RAN, timeout=STEP_MS)
    kernel_idle.wait_for()
    page.locator(f"{VISIBLE_PANEL} .jp-Notebook").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    path = served["root"] / "notebooks" / name
    deadline = time.monotonic() + STEP_MS / 1000
    while not all(c.execution_count for c in code_cells(path)):
        assert time.monotonic() < deadline, f"{name} was not saved after Run All"
        time.sleep(0.2)
    errors = [o for c in code_cells(path) for o in c.outputs if o.output_type == "error"]
    assert errors == [], f"{name}: cells raised {[(e.ename, e.evalue) for e in errors]}"


def code_cells(path: Path) -> list[Any]:
    """The code cells of a notebook file as saved."""
    return [cell for cell in notebooks.read(path).cells if cell.cell_type == "code"]


def explorer_state(page: Any) -> dict[str, str]:
    """The explorer's chosen memory, bill text and figure bytes, as the browser shows them."""
    explorer = page.locator(VISIBLE_PANEL).locator(".widget-vbox", has=page.locator(".noUi-handle"))
    slider = explorer.locator(".widget-slider", has_text="Memory (MB)")
    return {
        "memory": slider.locator(".widget-readout").inner_text(),
        "bill": explorer.locator(".widget-html pre").inner_text(),
        "figure": explorer.locator("img").evaluate(IMAGE_HASH),
    }


def move_memory_slider(
    page: Any, key: str, before: dict[str, str], changing: tuple[str, ...]
) -> dict[str, str]:
    """Focus the memory slider's handle, press `key`, and wait until `changing` all changed.

    The kernel sends the new bill text and the new figure as separate messages, so the test
    waits for each of them rather than for the first.
    """
    explorer = page.locator(VISIBLE_PANEL).locator(".widget-vbox", has=page.locator(".noUi-handle"))
    handle = explorer.locator(".widget-slider", has_text="Memory (MB)").locator(".noUi-handle")
    handle.focus()
    page.keyboard.press(key)
    deadline = time.monotonic() + STEP_MS / 1000
    while True:
        after = explorer_state(page)
        same = [name for name in changing if after[name] == before[name]]
        if not same:
            return after
        assert time.monotonic() < deadline, f"{key} did not change the explorer's {same}"
        time.sleep(0.1)


def test_lessons_run_in_jupyterlab_and_the_explorer_follows_its_slider(served, tmp_path):
    shots = tmp_path / "screenshots"
    with served["sync_api"].sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=LAUNCH_ARGS,
            env={**os.environ, served["marker"][0]: served["marker"][1]},
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(STEP_MS)
        try:
            for name in LESSONS:
                run_all(page, served, name)
            start = explorer_state(page)
            low = fact_value("memory.default_mb")
            assert start["memory"] == str(low)
            one_up = move_memory_slider(page, "ArrowRight", start, ("memory", "bill"))
            assert one_up["memory"] == str(low + fact_value("memory.step_mb"))
            assert f"{low + fact_value('memory.step_mb'):,} MB" in one_up["bill"]
            top = move_memory_slider(page, "End", one_up, ("memory", "bill", "figure"))
            assert top["memory"] == str(fact_value("memory.max_mb"))
            assert f"{fact_value('memory.max_mb'):,} MB" in top["bill"]
            run_all(page, served, HANDLER_NOTEBOOK)
            deployed, invoked = (
                "".join(o.get("text", "") for o in cell.outputs)
                for cell in code_cells(served["root"] / "notebooks" / HANDLER_NOTEBOOK)[1:]
            )
            assert "FunctionArn: arn:aws:lambda:" in deployed and "State: Active" in deployed
            assert "Memory: 256 MB" in deployed
            assert invoked.strip() == '"hi chromium"'
        except BaseException:
            shots.mkdir(exist_ok=True)
            page.screenshot(path=str(shots / "failure.png"), full_page=True)
            print(f"Screenshots saved in {shots}")
            raise
        finally:
            browser.close()


def fact_value(fact_id: str) -> int:
    """An integer fact from course/facts.json (memory sizes in MB)."""
    from course.facts import fact

    return int(fact(fact_id).value)
