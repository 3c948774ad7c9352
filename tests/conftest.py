"""Shared test set-up: the network guard is on here and in every process tests start."""

import os
from pathlib import Path

from course import network_guard

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_DIR = Path(__file__).resolve().parent / "offline"

network_guard.install()
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(OFFLINE_DIR), os.environ.get("PYTHONPATH", "")) if p
)
os.environ.setdefault("MPLBACKEND", "Agg")
