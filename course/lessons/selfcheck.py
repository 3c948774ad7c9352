"""Environment self-check for the start-here notebook: Python, pinned packages, moto, guard.

Every line it prints is deterministic (no timings, no ports), so the notebook's stored
output can be compared by nbval.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from course.lab import network_guard

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements.txt"
PIN = re.compile(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==(\S+)$")
MIN_PYTHON = (3, 11)


@dataclass(frozen=True)
class Item:
    """One self-check line: what was checked, whether it is fine, and the details."""

    name: str
    ok: bool
    detail: str

    def __str__(self) -> str:
        return f"{'ok     ' if self.ok else 'PROBLEM'} {self.name}: {self.detail}"


def pins(requirements: Path = REQUIREMENTS) -> dict[str, str]:
    """The exact pins of a requirements file, as {package name: version}."""
    result = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        found = PIN.match(line.split("#")[0].strip())
        if found:
            result[found.group(1)] = found.group(2)
    return result


def python_item() -> Item:
    """Whether this Python is new enough (the exact version is not printed: it varies)."""
    needed = ".".join(map(str, MIN_PYTHON))
    ok = sys.version_info >= MIN_PYTHON
    detail = f"{needed} or newer, as needed" if ok else f"older than {needed}; please upgrade"
    return Item("Python", ok, detail)


def package_items(requirements: Path = REQUIREMENTS) -> list[Item]:
    """One line per pinned package: installed version compared with the pin."""
    items = []
    for name, pinned in pins(requirements).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            items.append(Item(name, False, f"not installed (pinned {pinned}); run `make lab`"))
            continue
        detail = f"{installed}" if installed == pinned else f"{installed}, but pinned {pinned}"
        items.append(Item(name, installed == pinned, detail))
    return items


def moto_item() -> Item:
    """Start a moto server on 127.0.0.1, make one boto3 call to it, and stop it."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no per-request lines with times
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        sts = boto3.client(
            "sts",
            endpoint_url=f"http://{host}:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        account = sts.get_caller_identity()["Account"]
    except Exception as error:  # any failure here means the labs cannot run
        return Item("moto server", False, f"a local moto server did not answer ({error})")
    finally:
        server.stop()
    return Item("moto server", True, f"a local server on 127.0.0.1 answered for account {account}")


def guard_item() -> Item:
    """Whether the network guard (no connection may leave this machine) is on here."""
    if network_guard.installed():
        return Item("network guard", True, "on: connections outside 127.0.0.1 fail at once")
    return Item("network guard", True, "off: the labs still only talk to moto on 127.0.0.1")


def run() -> bool:
    """Print every self-check line and a closing sentence; True when all are fine."""
    items = [python_item(), *package_items(), moto_item(), guard_item()]
    for item in items:
        print(item)
    ok = all(item.ok for item in items)
    print("All set: you can start the lessons." if ok else "Fix the PROBLEM lines above first.")
    return ok
