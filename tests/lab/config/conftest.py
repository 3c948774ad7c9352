"""Configuration tests: a client without retries, and deploy() for handler code strings."""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

NO_RETRY = Config(retries={"total_max_attempts": 1}, read_timeout=60)


@pytest.fixture
def lam(lab):
    return boto3.client("lambda", config=NO_RETRY)
