"""`derive variants --dask ADDRESS` on a local Dask cluster this test starts (needs the `dask` extra)."""

from __future__ import annotations

import json

import pytest

distributed = pytest.importorskip("distributed", reason="the test extra installs distributed (make test does)")


def test_variants_on_a_local_dask_cluster_match_local_processes(tmp_path, run):
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=":0") as cluster:
        code, _, err = run("variants", "--count", "2", "--seed", "9", "--no-pdf", "--out", str(tmp_path / "dask"),
                           "--dask", cluster.scheduler_address)
    assert code == 0, err
    code, _, err = run("variants", "--count", "2", "--seed", "9", "--no-pdf", "--out", str(tmp_path / "local"),
                       "--jobs", "2")
    assert code == 0, err
    for name in ("key.json", "key.csv", "report.json", "v001/config.toml", "v002/solutions.tex", "v002/questions.tex"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "local" / name).read_bytes(), name
    assert [e["id"] for e in json.loads((tmp_path / "dask/key.json").read_text())] == ["v001", "v002"]


def test_an_unreachable_cluster_is_one_line(tmp_path, run):
    code, _, err = run("variants", "--count", "1", "--no-pdf", "--out", str(tmp_path), "--dask", "tcp://127.0.0.1:9")
    assert code == 2
    assert err.startswith("derive: --dask tcp://127.0.0.1:9: cannot connect (") and err.count("\n") == 1
