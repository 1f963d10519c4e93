"""Where variant jobs run: anything with the `concurrent.futures.Executor` interface.

`processes(J)` forks J local workers (the default, J = the cores); `dask(ADDRESS)` submits to an
existing Dask cluster (the optional `distributed` package); `Serial` runs each job as it is
submitted, in this process (tests, and a debugger).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from derive import dask_address as dask_address_
from derive import lifeline


class Serial(Executor):
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future


def _start_worker(parent: int) -> None:
    """Each worker ends with its parent (derive.lifeline), and imports PyTorch once, if
    installed, so that every variant's PyTorch checks run in it (derive.parallel runs them
    in-process when PyTorch is already imported) instead of in a new process per variant. One
    thread: the workers already share the cores."""
    lifeline.tie_to_parent(parent)
    os.environ["OMP_NUM_THREADS"] = "1"
    from derive.verify import torch_module

    torch = torch_module()
    if torch is not None:
        torch.set_num_threads(1)


def processes(jobs: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    return ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=_start_worker,
                               initargs=(os.getpid(),))


@contextlib.contextmanager
def opened(jobs: int | None, dask_address: str | None) -> Iterator[Executor]:
    """The executor the command line asks for, shut down (and a Dask client closed) at the end."""
    if dask_address is None:
        pool = processes(jobs or default_jobs())
        try:
            yield pool
        except BaseException:  # a signal, Ctrl-C or an error: end the workers now, not after their jobs
            lifeline.end_pool(pool)
            raise
        pool.shutdown(wait=True)
        return
    client = dask_address_.client(dask_address)  # a checked address and server, or one line
    try:
        with client.get_executor() as executor:
            yield executor
    finally:
        client.close()


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
