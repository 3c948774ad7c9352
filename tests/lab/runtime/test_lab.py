"""The lab's own life cycle: start once, reset, stop and give the environment back."""

import os
import subprocess
import sys
import textwrap

import boto3

import course.lab


def test_start_is_idempotent(lab):
    assert course.lab.start() is lab
    assert course.lab.running() is lab
    assert lab.endpoint_url.startswith("http://127.0.0.1:")


def test_reset_wipes_aws_state_environments_and_records(lab, lam, deploy):
    deploy("echo", "context_echo.handler")
    lam.invoke(FunctionName="echo")
    boto3.client("s3").create_bucket(Bucket="gone-after-reset")
    assert lab.runtime.environments()
    lab.reset()
    assert lab.runtime.environments() == []
    assert lab.invocations == []
    assert boto3.client("s3").list_buckets()["Buckets"] == []
    assert lam.list_functions()["Functions"] == []


def test_stop_restores_the_callers_environment_variables():
    script = textwrap.dedent(
        """
        import os, course.lab
        with course.lab.start() as lab:
            inside = (os.environ["AWS_ACCESS_KEY_ID"], os.environ.get("AWS_PROFILE"),
                      os.environ["AWS_ENDPOINT_URL"] == lab.endpoint_url)
        after = (os.environ["AWS_ACCESS_KEY_ID"], os.environ.get("AWS_PROFILE"),
                 "AWS_ENDPOINT_URL" in os.environ)
        print(inside, after)
        """
    )
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "AKIAREALKEY", "AWS_PROFILE": "work"}
    env.pop("AWS_ENDPOINT_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.strip() == ("('testing', None, True) ('AKIAREALKEY', 'work', False)"), (
        out.stderr
    )
