"""Writing a build's outputs into a folder as one transaction.

Every file is written in full (and flushed to disk) under a temporary name; then a journal
listing the renames is written, the renames are done and the journal is removed. A build that
dies before the journal exists leaves only temporary files, which the next build into the
folder deletes; one that dies after it leaves the journal, which the next build finishes, so
the folder never keeps a mix of two builds' outputs. A rename that fails (not a kill) leaves the
journal too, and the error names the outputs already replaced and those still earlier ones.
The journal is trusted only so far: one that is a symbolic link, or names anything outside the
folder or reached through a symbolic link, is discarded unread. Builds into one folder take
turns: the whole transaction, and the clean-up before it, hold an exclusive lock on the folder.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from derive.errors import Interrupted, UsageError
from derive.portable import ENDING_SIGNALS, folder_locked, fsync_folder

JOURNAL = ".derive-journal"
TMP_MARK = ".tmp-"  # temporary names are .<name>.tmp-<pid>
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
    done: list[str] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        with folder_locked(out_dir):
            recover(out_dir, {out_dir, *((out_dir / name).parent for name in outputs)})
            renames = _stage(out_dir, outputs)
            _write_journal(out_dir, renames, remove)
            with _signals_deferred() as arrived:  # only SIGKILL splits the renames
                _apply(out_dir, renames, remove, done)
            if arrived:
                raise Interrupted(arrived[0], written=True)
    except OSError as exc:
        raise UsageError(_failure_message(out_dir, exc, list(outputs), done)) from None
    return {name: out_dir / name for name in outputs}


def _failure_message(out_dir: Path, exc: OSError, names: list[str], done: list[str]) -> str:
    """What the folder holds after a failure: all earlier outputs, or which are new and which
    are earlier ones (the journal left behind lets the next build finish the renames)."""
    head = f"--out {out_dir}: cannot write ({_reason(exc)})"
    if not done:
        return f"{head}; earlier outputs are unchanged"
    earlier = [name for name in names if name not in done]
    if not earlier:
        return f"{head} after every output was replaced ({', '.join(done)}); the next build tidies the folder"
    return (f"{head} midway: replaced {', '.join(done)}; still the earlier files: {', '.join(earlier)}; "
            f"the next build into {out_dir} finishes the change")


def recover(out_dir: Path, folders: set[Path]) -> None:
    """Finish a dead build's journal, then delete the temporary files of dead builds in
    `folders` (under the lock, no live build has any).

    A rename or removal the journal asks for that fails again (the name is now a folder, say)
    is given up, its temporary file deleted: the build about to commit writes every output
    afresh, and says so itself if it meets the same obstacle. So a journal never blocks later
    builds. Nothing is touched through a symbolic link (see _read_journal)."""
    journal = out_dir / JOURNAL
    if journal.is_symlink() or journal.is_file():
        renames, remove = _read_journal(out_dir, journal)
        for tmp, name in renames.items():
            staged = out_dir / tmp
            if staged.is_file() and not staged.is_symlink():
                try:
                    os.replace(staged, out_dir / name)
                except OSError:
                    staged.unlink(missing_ok=True)
        for name in remove:
            with contextlib.suppress(OSError):  # a folder by that name is not an output to remove
                (out_dir / name).unlink(missing_ok=True)
        fsync_folder(out_dir)
        journal.unlink()
    for folder in folders:
        if folder.is_dir() and not folder.is_symlink():
            for path in folder.iterdir():
                if _TMP_NAME.fullmatch(path.name) and path.is_file() and not path.is_symlink():
                    path.unlink()


def _read_journal(out_dir: Path, journal: Path) -> tuple[dict[str, str], list[str]]:
    """The journal's renames and removals; nothing from one that is a symbolic link, is
    damaged, or names anything outside the folder or through a symbolic link (it is then
    ignored, and removed)."""
    if journal.is_symlink():
        return {}, []
    try:
        entry = json.loads(journal.read_text(encoding="utf-8"))
        renames, remove = dict(entry["renames"]), list(entry["remove"])
    except (ValueError, KeyError, TypeError, OSError):
        return {}, []
    names = [*renames, *renames.values(), *remove]
    if not all(isinstance(n, str) and _inside(out_dir, n) for n in names):
        return {}, []
    if not all(_TMP_NAME.fullmatch(Path(tmp).name) for tmp in renames):
        return {}, []
    return renames, remove


def _inside(out_dir: Path, name: str) -> bool:
    """Whether `name` is a path below out_dir reached through no symbolic link (the name itself
    may be one: renaming over or unlinking it touches the link, never its target)."""
    path = Path(name)
    if not name or path.is_absolute() or ".." in path.parts or path.parts[:1] == (".",):
        return False
    folder = out_dir
    for part in path.parts[:-1]:
        folder = folder / part
        if folder.is_symlink():
            return False
    return True


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


def _apply(out_dir: Path, renames: dict[str, str], remove: list[str], done: list[str]) -> None:
    """The renames, then the removals; `done` collects the outputs replaced so far (for the
    message if one fails: the journal stays, and the next build's recover() finishes)."""
    for tmp, name in renames.items():
        os.replace(out_dir / tmp, out_dir / name)
        done.append(name)
    for name in remove:
        (out_dir / name).unlink(missing_ok=True)
    fsync_folder(out_dir)
    (out_dir / JOURNAL).unlink(missing_ok=True)


def _reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    where = f": {exc.filename}" if exc.filename else ""
    return f"{exc.strerror or exc}{where}"
