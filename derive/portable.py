"""What differs between POSIX and Windows, in one place: locking a folder, the signals that end a
run, and syncing a folder's entries to disk. Importing derive needs none of fcntl, SIGHUP or
O_DIRECTORY; where they exist they are used."""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType


def _module(name: str) -> ModuleType | None:
    try:
        return __import__(name)
    except ImportError:
        return None


fcntl = _module("fcntl")  # POSIX
msvcrt = _module("msvcrt")  # Windows

# SIGHUP (a closed terminal) exists on POSIX only.
ENDING_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
RECEIVED: list[int] = []  # ending signals this process's handlers saw (derive.cli), in order
LOCK_FILE = ".derive-lock"  # where a folder cannot be locked itself (Windows): locked in its place


@contextlib.contextmanager
def folder_locked(folder: Path) -> Iterator[None]:
    """An exclusive lock on `folder`, waited for, released on exit or when the process dies.
    POSIX: flock on the folder itself, so nothing is left in it. Windows: a byte of the file
    LOCK_FILE in the folder, locked with msvcrt."""
    if fcntl is not None:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
        return
    if msvcrt is None:
        raise OSError(f"cannot lock {folder}: this system has neither fcntl nor msvcrt")
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:  # LK_LOCK tries for about 10 s, then raises: wait as flock does
            try:
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                break
            except OSError:
                continue
        try:
            yield
        finally:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    finally:
        os.close(fd)


def try_lock(fd: int) -> bool:
    """An exclusive lock on the open file `fd` if no other process holds one (False if one
    does), released when fd is closed or the process ends: flock, or msvcrt's lock on byte 0."""
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
    if msvcrt is None:
        raise OSError("cannot lock a file: this system has neither fcntl nor msvcrt")
    try:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def fsync_folder(folder: Path) -> None:
    """Make a folder's renames durable (POSIX); Windows cannot open a folder, and its renames
    are durable when they return."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def raise_if_signalled() -> None:
    """Raise for an ending signal whose handler ran but whose exception was lost: Python drops an
    exception raised while it runs a finalizer or a weakref callback ("Exception ignored in"),
    and a handler runs wherever the main thread happens to be. A loop calls this between steps."""
    if RECEIVED:
        from derive.errors import Interrupted

        if RECEIVED[0] == signal.SIGINT:
            raise KeyboardInterrupt
        raise Interrupted(RECEIVED[0])
