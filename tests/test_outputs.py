"""Outputs as one transaction: locked folder, journal finished after a kill, debris cleaned."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from derive import outputs
from tests.conftest import snapshot

ROOT = Path(__file__).parent.parent


def _derive(*args: str, prelude: str = "", **kwargs) -> subprocess.Popen[str]:
    """`derive` in a fresh process, after `prelude` (which may slow down or kill it)."""
    code = (f"import os, sys, time\n{prelude}\nfrom derive.cli import entry\n"
            f"sys.argv = ['derive', *{list(args)!r}]\nentry()\n")
    return subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)


def _finish(proc: subprocess.Popen[str]) -> int:
    _, err = proc.communicate(timeout=300)
    assert "Traceback" not in err, err
    return proc.returncode


def _config(tmp_path: Path, name: str, value: int) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f"[normalization]\ntensor = [[[{value}, 1], [2, 3]]]\n[lora]\nd = {64 * value}\nr = 4\n")
    return path


@pytest.fixture(scope="module")
def references(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """Each config's outputs, built alone."""
    base = tmp_path_factory.mktemp("references")
    built = {}
    for name, value in (("a", 5), ("b", 7)):
        out = base / name
        proc = _derive("build", "--no-pdf", "--config", str(_config(base, name, value)), "--out", str(out))
        assert _finish(proc) == 0
        built[name] = snapshot(out)
    assert built["a"] != built["b"]
    return built


def _args(tmp_path: Path, name: str, value: int, out: Path) -> list[str]:
    return ["build", "--no-pdf", "--config", str(_config(tmp_path, name, value)), "--out", str(out)]


SLOW_RENAMES = "real = os.replace\nos.replace = lambda a, b: (time.sleep(4 * ('journal' not in str(b))), real(a, b))[1]"


def test_two_builds_into_one_folder_do_not_interleave(references, tmp_path):
    out = tmp_path / "out"
    slow = _derive(*_args(tmp_path, "a", 5, out), prelude=SLOW_RENAMES)
    while not (out / outputs.JOURNAL).exists() and slow.poll() is None:  # a renames, 4 s each
        time.sleep(0.01)
    fast = _derive(*_args(tmp_path, "b", 7, out))
    assert _finish(fast) == 0 and _finish(slow) == 0
    assert snapshot(out) == references["b"]  # b waited for a's renames, then wrote all of its own


# os.replace's first call renames the journal into place; the kill comes after one output is renamed
KILL_AFTER_ONE_RENAME = ("real = os.replace\ncalls = []\n"
                         "def replace(a, b):\n    real(a, b)\n    calls.append(b)\n"
                         "    if len(calls) == 2:\n        os.kill(os.getpid(), 9)\nos.replace = replace")
KILL_WHILE_STAGING = ("real = os.fsync\ncalls = []\n"
                      "def fsync(fd):\n    real(fd)\n    calls.append(fd)\n"
                      "    if len(calls) == 2:\n        os.kill(os.getpid(), 9)\nos.fsync = fsync")


def test_a_kill_between_the_renames_is_finished_by_the_next_build(references, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name, data in references["a"].items():
        (out / name).write_bytes(data)
    killed = _derive(*_args(tmp_path, "b", 7, out), prelude=KILL_AFTER_ONE_RENAME)
    assert _finish(killed) == -9
    assert (out / outputs.JOURNAL).exists()
    mixed = {name: data for name, data in snapshot(out).items() if not name.startswith(".")}
    assert mixed not in (references["a"], references["b"])  # the kill split the renames
    outputs.recover(out, {out})  # what the next build does first, under the lock
    assert snapshot(out) == references["b"]


def test_a_kill_while_writing_leaves_debris_that_the_next_build_removes(references, tmp_path):
    out = tmp_path / "out"
    killed = _derive(*_args(tmp_path, "b", 7, out), prelude=KILL_WHILE_STAGING)
    assert _finish(killed) == -9
    assert any(".tmp-" in name for name in snapshot(out))
    done = _derive(*_args(tmp_path, "a", 5, out))
    assert _finish(done) == 0
    assert snapshot(out) == references["a"]


def test_a_full_disk_is_one_line_and_leaves_nothing(references, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for name, data in references["a"].items():
        (out / name).write_bytes(data)
    # A file-size limit makes writes fail as on a full disk (EFBIG instead of ENOSPC).
    limit = ("import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
             "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))")
    proc = _derive(*_args(tmp_path, "b", 7, out), prelude=limit)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 2
    assert err.splitlines()[-1].startswith(f"derive: --out {out}: cannot write (File too large"), err
    assert err.splitlines()[-1].endswith("; earlier outputs are unchanged")
    assert "Traceback" not in err
    assert snapshot(out) == references["a"]


def test_no_space_left_is_named(tmp_path, monkeypatch):
    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    full_disk = r": cannot write \(the disk is full\); earlier outputs are unchanged$"
    with pytest.raises(outputs.UsageError, match=full_disk):
        outputs.commit(tmp_path, {"a.txt": b"x"}, remove=[])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: (p / "file").write_text("x") and p / "file" / "out", r"file is not a folder$"),
    (lambda p: (p / "file").write_text("x") and p / "file", r": exists and is not a folder$"),
])
def test_an_unusable_out_folder_is_refused_before_any_work(tmp_path, make, message):
    with pytest.raises(outputs.UsageError, match=message):
        outputs.check_out_dir(make(tmp_path))


def test_a_damaged_journal_is_ignored_and_removed(tmp_path):
    (tmp_path / outputs.JOURNAL).write_text('{"renames": {"../../etc/x.tmp-1": "passwd"}, "remove": []}')
    (tmp_path / ".solutions.tex.tmp-123").write_text("debris")
    (tmp_path / "keep.tex.tmp-1").write_text("not ours: no leading dot")
    outputs.recover(tmp_path, {tmp_path})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.tex.tmp-1"]


def test_a_signal_during_the_renames_waits_for_them_and_says_so(tmp_path, monkeypatch):
    real_apply = outputs._apply

    def apply_then_signal(out_dir, renames, remove, done):
        os.kill(os.getpid(), signal.SIGINT)  # held back until every rename is done
        real_apply(out_dir, renames, remove, done)

    monkeypatch.setattr(outputs, "_apply", apply_then_signal)
    done = threading.Event()
    other = threading.Thread(target=done.wait)  # the signal may reach this thread instead
    other.start()
    try:
        with pytest.raises(outputs.Interrupted, match=r"^ended by SIGINT; the new outputs were all written$"):
            outputs.commit(tmp_path, {"a.txt": b"new", "b.txt": b"new"}, remove=[])
    finally:
        done.set()
        other.join()
    assert snapshot(tmp_path) == {"a.txt": b"new", "b.txt": b"new"}


def _failing_replace(monkeypatch, call: int) -> None:
    """os.replace fails with EIO on its `call`-th call (the first renames the journal into place)."""
    real, calls = os.replace, []

    def replace(source, target):
        calls.append(target)
        if len(calls) == call:
            raise OSError(5, "Input/output error", str(target))
        real(source, target)

    monkeypatch.setattr(os, "replace", replace)


def test_a_rename_failing_midway_names_the_new_and_the_earlier_outputs_and_the_next_build_finishes(
        tmp_path, monkeypatch):
    for name in ("a.txt", "b.txt", "c.txt"):
        (tmp_path / name).write_text("earlier")
    _failing_replace(monkeypatch, 3)  # the journal, a.txt, then b.txt fails
    message = (f"--out {tmp_path}: cannot write (Input/output error: {tmp_path / 'b.txt'}) midway: replaced a.txt; "
               f"still the earlier files: b.txt, c.txt; the next build into {tmp_path} finishes the change")
    with pytest.raises(outputs.UsageError) as raised:
        outputs.commit(tmp_path, {"a.txt": b"new", "b.txt": b"new", "c.txt": b"new"}, remove=[])
    assert str(raised.value) == message
    assert {n: d for n, d in snapshot(tmp_path).items() if not n.startswith(".")} == {
        "a.txt": b"new", "b.txt": b"earlier", "c.txt": b"earlier"}
    monkeypatch.undo()
    outputs.recover(tmp_path, {tmp_path})
    assert snapshot(tmp_path) == {"a.txt": b"new", "b.txt": b"new", "c.txt": b"new"}


def test_a_failure_after_every_rename_says_so(tmp_path, monkeypatch):
    (tmp_path / "a.txt").write_text("earlier")
    real = os.fsync
    calls = []

    def fsync(fd: int) -> None:  # two files, the journal, then the folder after the renames
        calls.append(fd)
        if len(calls) == 4:
            raise OSError(5, "Input/output error")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(outputs.UsageError, match=r"^--out .*: cannot write \(Input/output error\) after every "
                                                  r"output was replaced \(a\.txt, b\.txt\); the next build tidies"):
        outputs.commit(tmp_path, {"a.txt": b"new", "b.txt": b"new"}, remove=[])
    monkeypatch.undo()
    outputs.commit(tmp_path, {"a.txt": b"newer"}, remove=[])
    assert snapshot(tmp_path) == {"a.txt": b"newer", "b.txt": b"new"}


def test_a_journal_that_cannot_be_finished_does_not_block_the_next_build(tmp_path):
    (tmp_path / "solutions.tex").mkdir()  # the journal's rename can never happen
    (tmp_path / ".solutions.tex.tmp-1").write_text("from a dead build")
    (tmp_path / outputs.JOURNAL).write_text(json.dumps({"renames": {".solutions.tex.tmp-1": "solutions.tex"},
                                                        "remove": ["solutions.tex"]}))
    outputs.commit(tmp_path, {"answers.json": b"{}"}, remove=[])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["answers.json", "solutions.tex"]
    assert (tmp_path / "solutions.tex").is_dir()


@pytest.mark.parametrize("journal", [
    {"renames": {}, "remove": ["link/victim"]},
    {"renames": {"link/.victim.tmp-1": "stolen"}, "remove": []},
    {"renames": {".a.tmp-1": "link/victim"}, "remove": []},
    {"renames": {}, "remove": ["../outside/victim"]},
    {"renames": {}, "remove": [str(Path("/nonexistent") / "victim")]},
    {"renames": {"victim-link": "a.txt"}, "remove": []},  # not a temporary name: a link to move
])
def test_a_planted_journal_never_reaches_outside_the_folder(tmp_path, journal):
    outside, out = tmp_path / "outside", tmp_path / "out"
    outside.mkdir()
    out.mkdir()
    (outside / "victim").write_text("keep me")
    (outside / ".victim.tmp-1").write_text("keep me too")
    (out / "link").symlink_to(outside)
    (out / "victim-link").symlink_to(outside / "victim")
    (out / ".a.tmp-1").write_text("debris")
    journal["remove"] = [n.replace("/nonexistent", str(outside)) for n in journal["remove"]]
    (out / outputs.JOURNAL).write_text(json.dumps(journal))
    outputs.recover(out, {out})
    assert snapshot(outside) == {"victim": b"keep me", ".victim.tmp-1": b"keep me too"}
    assert sorted(p.name for p in out.iterdir()) == ["link", "victim-link"]
    assert (out / "victim-link").is_symlink() and (out / "link").is_symlink()


def test_a_journal_that_is_a_symbolic_link_is_removed_unread(tmp_path):
    outside, out = tmp_path / "outside", tmp_path / "out"
    outside.mkdir()
    out.mkdir()
    (out / "victim").write_text("keep me")
    (outside / outputs.JOURNAL).write_text(json.dumps({"renames": {}, "remove": ["victim"]}))
    (out / outputs.JOURNAL).symlink_to(outside / outputs.JOURNAL)
    outputs.recover(out, {out})
    assert sorted(p.name for p in out.iterdir()) == ["victim"]
    assert (outside / outputs.JOURNAL).is_file()
