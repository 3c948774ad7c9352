"""Make every connection outside loopback fail, so tests and labs can never reach AWS.

The course runs offline against moto on 127.0.0.1. Tests install this guard in the test
process, in notebook kernels and in handler workers (via `sitecustomize`), so an accidental
call to a real endpoint fails at once instead of reaching the internet or a real account.
"""

from __future__ import annotations

import ipaddress
import socket

_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


class NetworkBlockedError(ConnectionRefusedError):
    """A connection to a non-loopback address was attempted while the guard was on."""


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: only 'localhost' is known to be loopback without DNS


def _check(sock: socket.socket, address) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets (Jupyter, multiprocessing) stay local by nature
    host = address[0] if isinstance(address, tuple) else str(address)
    if not _is_loopback(host):
        raise NetworkBlockedError(
            f"Network access is blocked: tried to connect to {host}:{address[1]}. "
            "The course runs offline against moto on 127.0.0.1; no connection may leave "
            "this machine while the network guard is on."
        )


def _guarded_connect(self, address):
    _check(self, address)
    return _original_connect(self, address)


def _guarded_connect_ex(self, address):
    _check(self, address)
    return _original_connect_ex(self, address)


def install() -> None:
    """Turn the guard on in this process (idempotent)."""
    socket.socket.connect = _guarded_connect
    socket.socket.connect_ex = _guarded_connect_ex


def uninstall() -> None:
    """Turn the guard off in this process."""
    socket.socket.connect = _original_connect
    socket.socket.connect_ex = _original_connect_ex


def installed() -> bool:
    """Whether the guard is on in this process."""
    return socket.socket.connect is _guarded_connect
