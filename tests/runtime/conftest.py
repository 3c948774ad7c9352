"""One lab for the whole runtime test session, wiped between tests."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from botocore.config import Config

import course.lab
from course.facts import fact

HANDLERS = Path(__file__).parent / "handlers"
NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=30)


@pytest.fixture(scope="session")
def lab():
    running = course.lab.start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def _clean_lab(request):
    yield
    if "lab" in request.fixturenames:
        lab = request.getfixturevalue("lab")
        lab.idle_expiry_s = 15 * 60
        lab.account_concurrency = fact("concurrency.account_default").value
        lab.reset()


@pytest.fixture
def lam(lab):
    return boto3.client("lambda", config=NO_RETRY)


@pytest.fixture
def deploy(lab):
    """deploy("name", "errors.sleep", timeout_s=1): a handler from the zoo in handlers/."""

    def _deploy(name: str, handler: str, **settings):
        module = handler.rpartition(".")[0]
        return lab.deploy(name, HANDLERS / f"{module}.py", handler=handler, **settings)

    return _deploy
