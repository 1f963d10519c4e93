"""Worker processes that end with their parent, and a pool that ends its workers at once.

A worker of `derive variants` asks the kernel for SIGTERM when its parent dies (Linux's
PR_SET_PDEATHSIG, through ctypes) and, on every system, watches its parent from a thread: when
os.getppid() changes (the parent died, even by SIGKILL, and the worker was adopted), it ends.
The parent, stopped by a signal or an error, cancels the jobs not started and terminates the
workers instead of waiting for them (`end_pool`).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from typing import Any

PR_SET_PDEATHSIG = 1  # linux/prctl.h
POLL_SECONDS = 0.5  # how often a worker looks at its parent's pid
GRACE_SECONDS = 3.0  # between SIGTERM and SIGKILL for a worker that does not end


def tie_to_parent(parent: int) -> None:
    """In a worker: end when `parent` does. Ending signals take their default action here (the
    parent decides about Ctrl-C: it terminates the workers)."""
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _death_signal(signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="derive-lifeline", daemon=True).start()


def _death_signal(signum: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signum, 0, 0, 0)


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)


def end_pool(pool: ProcessPoolExecutor) -> None:
    """Cancel the jobs not started and end the workers now: SIGTERM, then SIGKILL for any still
    running after GRACE_SECONDS. (The pool's processes are a private attribute, the same from
    Python 3.8 to 3.13; 3.14's terminate_workers does the same.)"""
    workers: list[Any] = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for worker in workers:
        with contextlib.suppress(OSError, ValueError):
            worker.terminate()
    deadline = time.monotonic() + GRACE_SECONDS
    for worker in workers:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                worker.kill()
                worker.join(GRACE_SECONDS)
