"""`derive variants --dask ADDRESS` on a local Dask cluster this test starts (needs the `dask` extra)."""

from __future__ import annotations

import contextlib
import json
import socket
import struct
import threading

import pytest

from derive import dask_address

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


@pytest.mark.parametrize(("address", "expected"), [
    ("not a url", "derive: --dask 'not a url': not an address; expected tcp://HOST:PORT\n"),
    ("tcp://", "derive: --dask 'tcp://': not an address; expected tcp://HOST:PORT\n"),
    ("http://127.0.0.1:8786", "derive: --dask 'http://127.0.0.1:8786': only tcp:// addresses are supported, not http://\n"),
    ("tcp://127.0.0.1:0", "derive: --dask 'tcp://127.0.0.1:0': the port must be 1 to 65535\n"),
    ("tcp://127.0.0.1:99999",
     "derive: --dask 'tcp://127.0.0.1:99999': not an address (Port out of range 0-65535); expected tcp://HOST:PORT\n"),
    ("tcp://127.0.0.1:8786/path", "derive: --dask 'tcp://127.0.0.1:8786/path': not an address; expected tcp://HOST:PORT\n"),
])
def test_a_malformed_address_is_one_line_before_any_connection(tmp_path, run, address, expected):
    code, _, err = run("variants", "--count", "1", "--no-pdf", "--out", str(tmp_path / "out"), "--dask", address)
    assert (code, err) == (2, expected)
    assert not (tmp_path / "out").exists()


def _server(answer: bytes, hang_up: bool) -> socket.socket:
    """A local TCP server that sends `answer` to each connection, then hangs up or waits for
    the client to close."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = listener.accept()
                with conn:
                    conn.sendall(answer)
                    while not hang_up and conn.recv(4096):
                        pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener


@pytest.mark.parametrize(("answer", "hang_up", "reason"), [
    (b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", False, "not a Dask scheduler"),  # 3 EiB as a length
    (struct.pack("Q", 12) + b"not msgpack!", False, "not a Dask scheduler"),  # a plausible length, then garbage
    (b"\x01", True, "cannot connect (the server closed the connection)"),
    (b"", False, "no answer within 2 s"),
])
def test_a_server_that_is_not_dask_is_one_line(tmp_path, run, monkeypatch, answer, hang_up, reason):
    monkeypatch.setattr(dask_address, "TIMEOUT", 2.0)
    listener = _server(answer, hang_up)
    host, port = listener.getsockname()
    address = f"tcp://{host}:{port}"
    with listener:
        code, _, err = run("variants", "--count", "1", "--no-pdf", "--out", str(tmp_path / "out"), "--dask", address)
    assert code == 2
    assert err.startswith(f"derive: --dask {address}: {reason}") and err.count("\n") == 1

