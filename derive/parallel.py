"""A worker process for the PyTorch cross-checks.

Importing PyTorch takes longer than importing derive and deriving every answer. The `derive`
command forks the worker first thing, before SymPy is imported; the worker imports PyTorch
while the parent imports SymPy and derives, then runs the PyTorch jobs while the parent runs
the other checks. Jobs and results cross the pipe pickled: functions of derive.crosscheck
(which imports no SymPy) and plain numbers. The jobs run in this process instead where fork
is unavailable, where PyTorch is already imported (there is no import left to hide, and forking
a process whose PyTorch thread pools are running can deadlock the child), and in daemonic
processes (a multiprocessing pool's workers), which may not have children.

This module imports only the standard library, so that starting the worker costs nothing.
"""

from __future__ import annotations

import importlib.util
import multiprocessing
import os
import signal
import sys
from types import TracebackType
from typing import TYPE_CHECKING, Any

from derive.portable import raise_if_signalled

if TYPE_CHECKING:
    from derive.verify import CheckList, TorchJob


def _serve(conn: Any) -> None:
    """Import PyTorch, then run each batch of jobs received until None; answer once at the end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and ends this process
    os.environ["OMP_NUM_THREADS"] = "1"  # small checks: leave the other core to the parent
    try:
        from derive.verify import run_torch_jobs, torch_module

        torch_module()  # the import this process exists to hide
        results: CheckList = []
        while (jobs := conn.recv()) is not None:
            results += run_torch_jobs(jobs)
        conn.send(("ok", results))
    except EOFError:  # the parent has gone
        pass
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


class TorchWorker:
    def __init__(self) -> None:
        self._proc: Any = None
        usable = ("fork" in multiprocessing.get_all_start_methods() and "torch" not in sys.modules
                  and not multiprocessing.current_process().daemon  # a pool's worker may not fork
                  and importlib.util.find_spec("torch") is not None)
        if usable:
            ctx = multiprocessing.get_context("fork")
            self._conn, child = ctx.Pipe()
            self._proc = ctx.Process(target=_serve, args=(child,), daemon=True)
            self._proc.start()
            child.close()
        self._jobs: list[TorchJob] = []

    def submit(self, jobs: list[TorchJob]) -> None:
        """Hand over a batch of jobs; without a worker they wait and run in results()."""
        if self._proc is None:
            self._jobs += jobs
        elif jobs:
            try:
                self._conn.send(jobs)
            except OSError:  # the worker is gone: ended with derive by a signal, or crashed
                raise_if_signalled()
                raise RuntimeError("the PyTorch check process ended before its jobs were sent") from None

    def results(self) -> CheckList:
        """Every submitted job's checks, in the order submitted."""
        if self._proc is None:
            from derive.verify import run_torch_jobs

            jobs, self._jobs = self._jobs, []
            return run_torch_jobs(jobs)
        try:
            self._conn.send(None)
            status, payload = self._conn.recv()
        except (EOFError, OSError):
            raise_if_signalled()
            raise RuntimeError("the PyTorch check process ended without an answer") from None
        if status != "ok":
            raise RuntimeError(f"a PyTorch check failed to run: {payload}")
        return payload

    def close(self) -> None:
        if self._proc is not None:
            self._conn.close()
            if self._proc.is_alive():
                self._proc.terminate()
            self._proc.join()
            self._proc = None

    def __enter__(self) -> TorchWorker:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()
