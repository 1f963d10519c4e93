"""derive where POSIX pieces are missing (Windows): no fcntl, no SIGHUP, no O_DIRECTORY. A
subprocess hides them before importing derive, with a stand-in for Windows' msvcrt that
records how the output folder is locked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from derive.portable import LOCK_FILE

WINDOWS_LIKE = '''
import os, signal, sys, types
import subprocess, multiprocessing, concurrent.futures, getpass  # they probe msvcrt for themselves
sys.modules["fcntl"] = None          # import fcntl now fails
del signal.SIGHUP, os.O_DIRECTORY
calls = []
msvcrt = types.ModuleType("msvcrt")
msvcrt.LK_LOCK, msvcrt.LK_UNLCK, msvcrt.LK_NBLCK = 1, 0, 2
msvcrt.locking = lambda fd, mode, n: calls.append((mode, n, os.lseek(fd, 0, os.SEEK_CUR)))
sys.modules["msvcrt"] = msvcrt
'''

RUN = '''
import json
import derive
from derive.cli import main
out = sys.argv[1]
solution = derive.solve({})
v = derive.variant(None, "v001")
results = {
    "solve": len(solution.checks),
    "grade_api": str(derive.grade(v, v.answers).total),
    "init": main(["init", out + "/config.toml"]),
    "check": main(["check"]),
    "build": main(["build", "--no-pdf", "--out", out + "/build"]),
    "grade": main(["grade", "--key", out + "/build/answers.json", out + "/config.toml"]),
    "locks": calls,
}
print("RESULTS" + json.dumps(results))
'''


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("portable")
    done = subprocess.run([sys.executable, "-c", WINDOWS_LIKE + RUN, str(out)], capture_output=True, text=True,
                          timeout=600)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULTS")), None)
    assert line is not None, done.stderr[-3000:]
    return json.loads(line.removeprefix("RESULTS")) | {"out": str(out)}


def test_solve_variant_and_grade_work_without_posix_pieces(results):
    assert results["solve"] > 50
    assert results["grade_api"] != "0"


def test_init_check_build_and_grade_commands_exit_0(results):
    assert (results["init"], results["check"], results["build"], results["grade"]) == (0, 0, 0, 0)
    assert json.loads((Path(results["out"]) / "build" / "answers.json").read_text())["normalization"]


def test_the_output_folder_is_locked_through_msvcrt_and_unlocked(results):
    locks = [tuple(c) for c in results["locks"]]
    assert locks, "the build wrote without taking the folder's lock"
    assert locks[0::2] == [(1, 1, 0)] * (len(locks) // 2) and locks[1::2] == [(0, 1, 0)] * (len(locks) // 2)
    assert len(locks) % 2 == 0
    assert (Path(results["out"]) / "build" / LOCK_FILE).is_file()
