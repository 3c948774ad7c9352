"""The guard must really trip, in this process and in the processes tests start."""

import socket
import subprocess
import sys

import pytest

from course.lab.network_guard import NetworkBlockedError, installed


def test_guard_is_on_in_the_test_process():
    assert installed()


def test_public_address_is_refused():
    with pytest.raises(NetworkBlockedError, match="203.0.113.7:443"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)


def test_private_range_is_refused_too():
    with socket.socket() as sock, pytest.raises(NetworkBlockedError):
        sock.connect_ex(("10.1.2.3", 80))


def test_loopback_is_allowed():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=1):
            pass


def test_child_python_processes_get_the_guard():
    code = (
        "import socket\n"
        "try:\n"
        "    socket.create_connection(('198.51.100.1', 80), timeout=1)\n"
        "except ConnectionRefusedError as e:\n"
        "    print(type(e).__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "NetworkBlockedError"
