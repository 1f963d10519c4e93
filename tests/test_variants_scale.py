"""`derive variants` at class size: keys streamed, a bounded number of variants in flight, one run
per folder, 64-bit seeds, and a stopped run that leaves no key describing another run's folders."""

from __future__ import annotations

import fcntl
import io
import json
import os
from concurrent.futures import Future
from typing import Any

import pytest

from derive import config, variants
from derive.errors import UsageError
from derive.executors import Serial
from derive.keys import write_json_list
from tests.grade_support import key_of


@pytest.fixture(scope="module")
def answers() -> bytes:
    return json.dumps(key_of(config.load(None)) | {"checks": [], "skipped_checks": []}).encode()


@pytest.fixture
def stand_in(monkeypatch, answers):
    """Variants made at once from one key (the builds themselves are tested elsewhere); a job
    whose id is in `stop_at` raises KeyboardInterrupt, as Ctrl-C in the parent would."""
    stop_at: set[str] = set()

    def make_variant(job: variants.Job) -> variants.Outcome:
        if job.variant_id in stop_at:
            raise KeyboardInterrupt
        held = dict.fromkeys(job.spec.require, True)
        return variants.Outcome(job.variant_id, job.seed, "# config\n", {"decoding": 1}, held,
                                {"answers.json": answers})

    monkeypatch.setattr(variants, "make_variant", make_variant)
    return stop_at


class Counting(Serial):
    """Runs each job when submitted, and counts the jobs submitted."""

    def __init__(self) -> None:
        self.submitted = 0

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.submitted += 1
        return super().submit(fn, *args, **kwargs)


def test_at_most_in_flight_variants_are_held(tmp_path, stand_in, monkeypatch):
    monkeypatch.setattr(variants, "IN_FLIGHT", 3)
    executor, ahead = Counting(), []

    def progress(message: str) -> None:  # a variant written: how many were submitted and not yet written
        ahead.append(executor.submitted - (len(ahead) + 1))

    done = variants.run([f"v{i:03d}" for i in range(1, 11)], 0, None, tmp_path, executor, pdf=False,
                        progress=progress)
    assert done.built == tuple(f"v{i:03d}" for i in range(1, 11))
    assert max(ahead) == 3  # the next one is submitted before a variant is written
    lines = (tmp_path / "key.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == list(done.built)


@pytest.mark.parametrize("items", [[], [1], [{"a": [1, {"b": "x\ny"}], "é": None}, [], "ü"]])
def test_the_streamed_json_list_has_the_bytes_of_json_dumps(items):
    out = io.StringIO()
    write_json_list(out, iter(items))
    assert out.getvalue() == json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def test_a_second_run_into_the_folder_stops_with_one_line(tmp_path, stand_in):
    variants.run(["v001"], 0, None, tmp_path, Serial(), pdf=False)
    before = (tmp_path / "key.jsonl").read_bytes()
    fd = os.open(tmp_path / variants.LOCK, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another run's lock
        with pytest.raises(UsageError, match=rf"^--out {tmp_path}: another `derive variants` is writing into this "
                                             r"folder \(it holds \.derive-variants\.lock\); wait for it to end, or "
                                             r"choose another --out$"):
            variants.run(["v001", "v002"], 1, None, tmp_path, Serial(), pdf=False)
    finally:
        os.close(fd)
    assert (tmp_path / "key.jsonl").read_bytes() == before
    assert not (tmp_path / "v002").exists()


def test_a_stopped_run_leaves_no_keys_of_an_earlier_one(tmp_path, stand_in, monkeypatch):
    variants.run(["v001", "v002"], 0, None, tmp_path, Serial(), pdf=False)
    assert (tmp_path / "key.jsonl").exists()
    monkeypatch.setattr(variants, "IN_FLIGHT", 1)
    stand_in.add("v003")  # Ctrl-C while v003 runs, v001 written
    with pytest.raises(variants.Stopped, match=r"^ended by SIGINT; 1 variant folders written, no keys \(they are "
                                               r"written at the end\): run the command again$") as stopped:
        variants.run(["v001", "v002", "v003"], 1, None, tmp_path, Serial(), pdf=False)
    assert stopped.value.exit_code == 130
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [".derive-variants.lock"]


def test_seeds_have_64_bits():
    """v066511 and v067872 shared their 32-bit seed (base seed 0): one variant for two students."""
    first, second = variants.variant_seed(0, "v066511"), variants.variant_seed(0, "v067872")
    assert first >> 32 == second >> 32  # the seeds of before: the first 4 bytes of the same digests
    assert first != second
    assert max(variants.variant_seed(0, f"v{i:03d}") for i in range(1, 65)) >= 2**32
    assert all(0 <= variants.variant_seed(s, "v001") < 2**64 for s in (0, -1, 2**70))
