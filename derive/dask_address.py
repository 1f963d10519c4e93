"""`--dask ADDRESS`: checked before any connection, then the server checked before Dask reads it.

A Dask client trusts what the server sends: the first eight bytes are read as the length of
the handshake and allocated at once, so a server that answers anything else (a web server, a
typo'd port) makes it try to allocate exabytes. The address is parsed here first (tcp://HOST:PORT
or HOST:PORT, the port 1..65535), then one plain socket reads the server's handshake, which a
Dask scheduler sends unasked on every connection, and only a well-formed one is handed to Dask.
Every failure is a UsageError naming --dask.
"""

from __future__ import annotations

import socket
import struct
from typing import Any
from urllib.parse import urlsplit

from derive.errors import UsageError

TIMEOUT = 10.0  # seconds to connect, and for the server to send its handshake
DEFAULT_PORT = 8786  # Dask's scheduler port, as `distributed` assumes when none is given
MAX_HANDSHAKE = 1 << 16  # a scheduler's handshake is a few hundred bytes


def parse(address: str) -> tuple[str, int]:
    """(host, port) of a tcp:// address, or a UsageError saying what is wrong with it."""
    text = address.strip()
    if "://" not in text:
        text = f"tcp://{text}"
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"--dask {address!r}: not an address ({exc}); expected tcp://HOST:PORT") from None
    if parts.scheme != "tcp":
        raise UsageError(f"--dask {address!r}: only tcp:// addresses are supported, not {parts.scheme}://")
    if not parts.hostname or any(c.isspace() for c in text) or parts.path or parts.query or parts.fragment \
            or parts.username is not None:
        raise UsageError(f"--dask {address!r}: not an address; expected tcp://HOST:PORT")
    if port == 0:
        raise UsageError(f"--dask {address!r}: the port must be 1 to 65535")
    return parts.hostname, DEFAULT_PORT if port is None else port


def probe(address: str, host: str, port: int) -> None:
    """Connect and read the server's handshake: a UsageError unless it is a Dask server's."""
    timeout = TIMEOUT
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            header = _read_exactly(sock, 8)
            (size,) = struct.unpack("Q", header)  # as distributed reads it
            if not 0 < size <= MAX_HANDSHAKE:
                raise UsageError(f"--dask {address}: not a Dask scheduler (it answered something else)")
            body = _read_exactly(sock, size)
    except TimeoutError:
        raise UsageError(f"--dask {address}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise UsageError(f"--dask {address}: cannot connect ({exc.strerror or exc})") from None
    if not _is_handshake(body):
        raise UsageError(f"--dask {address}: not a Dask scheduler (it answered something else)")


def _read_exactly(sock: socket.socket, size: int) -> bytes:
    chunks: list[bytes] = []
    left = size
    while left:
        chunk = sock.recv(min(left, 1 << 16))
        if not chunk:
            raise ConnectionError(0, "the server closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _is_handshake(body: bytes) -> bool:
    """Whether `body` decodes, by distributed's own protocol, to the handshake dict it sends."""
    from distributed.protocol import loads
    from distributed.protocol.utils import unpack_frames

    try:
        message = loads(unpack_frames(body))
    except Exception:  # any garbage: the one answer wanted is "not a handshake"
        return False
    return isinstance(message, dict) and "compression" in message


def client(address: str) -> Any:
    """A connected distributed.Client, or a UsageError naming --dask."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--dask needs the `distributed` package: pip install distributed") from None
    host, port = parse(address)
    probe(address, host, port)
    try:
        return Client(f"tcp://{host}:{port}" if ":" not in host else f"tcp://[{host}]:{port}",
                      timeout=f"{TIMEOUT:g}s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"--dask {address}: cannot connect ({exc})") from None
