"""`derive variants --jobs 2` stopped by a signal: no worker outlives it, and the folder holds no
key that another run's folders could contradict. A correctness test: it polls, with a generous
deadline, and measures nothing."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import needs_tex

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; whoever adopted it reaps it


def wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGKILL])
def test_no_worker_outlives_a_stopped_batch(tmp_path, signum):
    out = tmp_path / "v"
    (out / "v001").mkdir(parents=True)
    (out / "key.jsonl").write_text('{"id": "v001", "answers": {}}\n')  # an earlier run's key
    log = tmp_path / "stderr"  # a file, not a pipe: a surviving worker would hold a pipe open
    with open(log, "w", encoding="utf-8") as stderr:
        parent = subprocess.Popen([sys.executable, "-m", "derive", "variants", "--count", "40", "--no-pdf", "--jobs",
                                   "2", "--out", str(out)], stderr=stderr)
    try:
        assert wait_for(lambda: len(children(parent.pid)) >= 2 or parent.poll() is not None, 300), "no workers"
        workers = children(parent.pid)
        assert parent.poll() is None and len(workers) == 2
        os.kill(parent.pid, signum)
        code = parent.wait(60)
        assert wait_for(lambda: not any(running(w) for w in workers), 10), "a worker outlived its parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
    err = log.read_text(encoding="utf-8")
    if signum == signal.SIGKILL:
        assert code == -signal.SIGKILL
    else:
        assert code == 128 + signum
        assert err.splitlines()[-1].startswith(f"derive: ended by {signal.Signals(signum).name}; ")
        assert err.splitlines()[-1].endswith(" variant folders written, no keys (they are written at the end): "
                                             "run the command again")
    assert not (out / "key.jsonl").exists()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_whose_exception_was_lost_still_stops_the_batch(tmp_path, monkeypatch, signum):
    """Python drops an exception raised inside a finalizer ("Exception ignored in"): the signal
    the handler recorded stops the batch at the next variant, without keys, all the same."""
    from derive import portable, variants
    from derive.executors import Serial

    monkeypatch.setattr(portable, "RECEIVED", [signum])
    with pytest.raises(variants.Stopped) as stopped:
        variants.run(["v001", "v002"], 1, None, tmp_path / "v", Serial(), pdf=False)
    assert stopped.value.exit_code == 128 + signum
    assert not (tmp_path / "v" / "key.jsonl").exists()
    monkeypatch.setattr(portable, "RECEIVED", [])
    assert variants.run(["v001"], 1, None, tmp_path / "w", Serial(), pdf=False).built == ("v001",)


@pytest.fixture
def signalled(monkeypatch):
    """An ending signal recorded by the handler, its exception lost (caught by a broad handler)."""
    from derive import portable

    monkeypatch.setattr(portable, "RECEIVED", [signal.SIGTERM])


def test_a_lost_signal_is_not_taken_for_a_damaged_cache_entry(tmp_path, monkeypatch, signalled):
    from derive import cache
    from derive.errors import Interrupted

    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    name = cache.key("kind", "inputs")
    (tmp_path / f"kind-{name}.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(Interrupted):
        cache.lookup("kind", "inputs")


def test_a_lost_signal_stops_the_build_between_questions(signalled):
    from derive import build, config
    from derive.errors import Interrupted

    derived: list[str] = []
    with pytest.raises(Interrupted):
        build.solve(config.load(None), derived=derived.append)
    assert derived == []


@needs_tex
@pytest.mark.e2e
def test_a_pass_ended_by_a_lost_signal_is_not_compiled_again(signalled, monkeypatch):
    """A failed pass is normally repeated without the seeded state; one that failed because the
    ending signal reached pdflatex too is not."""
    from derive.errors import Interrupted
    from derive.latex import compile as latex_compile

    attempts: list[int] = []
    real = latex_compile._compile_file

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        attempts.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(latex_compile, "_compile_file", counted)
    with pytest.raises(Interrupted):
        latex_compile.compile_pdf("\\documentclass{article}\\begin{document}\\undefined\\end{document}\n",
                                  state={".aux": b"\\relax\n"})
    assert attempts == [1]


def test_a_worker_gone_with_the_signal_ends_the_build_as_that_signal(signalled):
    """The worker's end of the pipe closed, as when the signal ended it with the group."""
    from derive.errors import Interrupted
    from derive.parallel import TorchWorker

    worker = TorchWorker()
    worker.close()  # none at all once PyTorch is imported in this process: the pipe is made here
    worker._conn, gone = multiprocessing.Pipe()
    gone.close()
    worker._proc = object()
    with pytest.raises(Interrupted):
        for _ in range(64):  # the pipe's buffer may take a few sends before the write fails
            worker.submit([object()] * 1000)  # type: ignore[list-item]
    with pytest.raises(Interrupted):
        worker.results()
    worker._proc = None
    worker._conn.close()
