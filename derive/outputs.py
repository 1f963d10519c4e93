"""Writing a build's outputs into a folder as one transaction.

Every file is written in full (and flushed to disk) under a temporary name; then a journal
listing the renames is written, the renames are done and the journal is removed. A build that
dies before the journal exists leaves only temporary files, which the next build into the
folder deletes; one that dies after it leaves the journal, which the next build finishes, so
the folder never keeps a mix of two builds' outputs. Builds into one folder take turns: the
whole transaction, and the clean-up before it, hold an exclusive lock on the folder.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from derive.errors import Interrupted, UsageError

JOURNAL = ".derive-journal"
TMP_MARK = ".tmp-"  # temporary names are .<name>.tmp-<pid>
ENDING_SIGNALS = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
_TMP_NAME = re.compile(r"\..+\.tmp-[0-9]+")
# A file's contents: its bytes, or a function that writes them into the open temporary file
# (a file too big to hold in memory, streamed as it is written).
Contents = bytes | Callable[[BinaryIO], None]


def check_out_dir(out_dir: Path) -> None:
    """Fail early, before any work, on a folder that cannot be written."""
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            if not folder.is_dir():
                what = "exists and is not a folder" if folder == out_dir else f"{folder} is not a folder"
                raise UsageError(f"--out {out_dir}: {what}")
            if not os.access(folder, os.W_OK | os.X_OK):
                raise UsageError(f"--out {out_dir}: {folder} is not writable")
            return


def commit(out_dir: Path, outputs: Mapping[str, Contents], remove: list[str]) -> dict[str, Path]:
    """Write `outputs` (names relative to out_dir, subfolders allowed) and remove `remove`,
    all or nothing as seen by the next build."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with _locked(out_dir):
            recover(out_dir, {out_dir, *((out_dir / name).parent for name in outputs)})
            renames = _stage(out_dir, outputs)
            _write_journal(out_dir, renames, remove)
            with _signals_deferred() as arrived:  # only SIGKILL splits the renames
                _apply(out_dir, renames, remove)
            if arrived:
                raise Interrupted(arrived[0], written=True)
    except OSError as exc:
        raise UsageError(f"--out {out_dir}: cannot write ({_reason(exc)}); earlier outputs are unchanged") from None
    return {name: out_dir / name for name in outputs}


def recover(out_dir: Path, folders: set[Path]) -> None:
    """Finish a dead build's journal, then delete the temporary files of dead builds in
    `folders` (under the lock, no live build has any)."""
    journal = out_dir / JOURNAL
    if journal.is_file():
        renames, remove = _read_journal(journal)
        _apply(out_dir, {tmp: name for tmp, name in renames.items() if (out_dir / tmp).is_file()}, remove)
    for folder in folders:
        if folder.is_dir() and not folder.is_symlink():
            for path in folder.iterdir():
                if _TMP_NAME.fullmatch(path.name) and path.is_file():
                    path.unlink()


def _read_journal(journal: Path) -> tuple[dict[str, str], list[str]]:
    """The journal's renames and removals; nothing from one that is damaged or names a file
    outside the folder (it is then ignored, and removed by _apply)."""
    try:
        entry = json.loads(journal.read_text(encoding="utf-8"))
        renames, remove = dict(entry["renames"]), list(entry["remove"])
    except (ValueError, KeyError, TypeError):
        return {}, []
    names = [*renames, *renames.values(), *remove]
    if not all(isinstance(n, str) and not Path(n).is_absolute() and ".." not in Path(n).parts for n in names):
        return {}, []
    return renames, remove


@contextlib.contextmanager
def _signals_deferred() -> Iterator[list[int]]:
    """Ending signals that arrive inside are only recorded (Python runs every handler in the
    main thread, whichever thread the signal reached); the caller acts on them after."""
    arrived: list[int] = []
    if threading.current_thread() is not threading.main_thread():  # handlers can only be set there
        yield arrived
        return
    before = {s: signal.signal(s, lambda signum, _frame: arrived.append(signum)) for s in ENDING_SIGNALS}
    try:
        yield arrived
    finally:
        for s, old in before.items():
            signal.signal(s, old)


@contextlib.contextmanager
def _locked(out_dir: Path) -> Iterator[None]:
    fd = os.open(out_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # released when fd is closed, or when the process dies
        yield
    finally:
        os.close(fd)


def _stage(out_dir: Path, outputs: Mapping[str, Contents]) -> dict[str, str]:
    renames: dict[str, str] = {}
    try:
        for name, data in outputs.items():
            final = Path(name)
            tmp = str(final.with_name(f".{final.name}{TMP_MARK}{os.getpid()}"))
            (out_dir / final).parent.mkdir(parents=True, exist_ok=True)
            renames[tmp] = name
            with open(out_dir / tmp, "wb") as file:
                if isinstance(data, bytes):
                    file.write(data)
                else:
                    data(file)
                file.flush()
                os.fsync(file.fileno())
    except BaseException:
        for tmp in renames:
            (out_dir / tmp).unlink(missing_ok=True)
        raise
    return renames


def _write_journal(out_dir: Path, renames: dict[str, str], remove: list[str]) -> None:
    tmp = out_dir / f"{JOURNAL}{TMP_MARK}{os.getpid()}"
    try:
        with open(tmp, "w", encoding="utf-8") as file:
            json.dump({"renames": renames, "remove": remove}, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, out_dir / JOURNAL)
    except BaseException:
        tmp.unlink(missing_ok=True)
        for staged in renames:
            (out_dir / staged).unlink(missing_ok=True)
        raise


def _apply(out_dir: Path, renames: dict[str, str], remove: list[str]) -> None:
    """Idempotent: a build that dies here is finished by the next one's recover()."""
    for tmp, name in renames.items():
        os.replace(out_dir / tmp, out_dir / name)
    for name in remove:
        (out_dir / name).unlink(missing_ok=True)
    _fsync_folder(out_dir)
    (out_dir / JOURNAL).unlink(missing_ok=True)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"
