"""derive's cache of config-independent work (derive/cache.py): the same bytes with and without
it, damaged and foreign entries recomputed, nothing written under --no-cache, and no entry can
make derive build anything but a SymPy class from data."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sympy as sp

from derive import cache
from derive.answer import Row
from derive.questions.birnn import model as birnn_model
from tests.conftest import snapshot

FORMS_TYPES = (birnn_model.Derivation, birnn_model.Activation, birnn_model.ClosedForms, Row)


def _forms(compute: Callable[[], Any]) -> Any:
    return cache.cached("birnn-forms", "tanh", compute, birnn_model.Derivation, types=FORMS_TYPES)


def _derive(args: list[str], cache_dir: Path) -> None:
    env = {**os.environ, "DERIVE_CACHE_DIR": str(cache_dir)}
    subprocess.run([sys.executable, "-m", "derive", *args], check=True, capture_output=True, env=env, timeout=600)


def test_outputs_are_the_same_bytes_with_and_without_the_cache(tmp_path: Path) -> None:
    store = tmp_path / "cache"
    _derive(["build", "--no-pdf", "--no-cache", "--out", str(tmp_path / "none")], store)
    assert not store.exists()  # --no-cache writes nothing, not even the folder
    _derive(["build", "--no-pdf", "--out", str(tmp_path / "cold")], store)  # computes and stores
    kinds = {p.name.rsplit("-", 1)[0] for p in store.glob("*.json")}
    assert kinds == {"birnn-forms", "decoding-cost", "sort-cost", "big-o"}
    _derive(["build", "--no-pdf", "--out", str(tmp_path / "warm")], store)  # reads them back
    none = snapshot(tmp_path / "none")
    assert none and snapshot(tmp_path / "cold") == none and snapshot(tmp_path / "warm") == none


class Counted:
    def __init__(self, value: object) -> None:
        self.value, self.calls = value, 0

    def __call__(self) -> object:
        self.calls += 1
        return self.value


def _entry(folder: Path, kind: str) -> Path:
    (path,) = folder.glob(f"{kind}-*.json")
    return path


def test_a_stored_value_is_read_back_equal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    x = sp.Symbol("x", positive=True)
    value = (sp.MatAdd(sp.MatrixSymbol("B", 2, 2), sp.MatrixSymbol("A", 2, 2), evaluate=False), sp.log(x) / 3)
    first = Counted(value)
    assert cache.cached("test", ("inputs", x), first, tuple) == value and first.calls == 1
    again = Counted(None)
    back = cache.cached("test", ("inputs", x), again, tuple)
    assert again.calls == 0 and cache._same(back, value)  # the MatAdd's order too, not only ==
    assert back[0].args[0].name == "B"


def test_the_checks_run_on_what_the_cache_returns(tmp_path: Path) -> None:
    """A sound entry (its key, its digest) holding a wrong form, the Jacobian's factors swapped
    (U_f diag(f'(h)) for diag(f'(h)) U_f): `derive check` fails on it."""
    forms = birnn_model.derive_forms("tanh")
    swapped = sp.MatMul(*reversed(forms.forms.jac_f.args), evaluate=False)
    wrong = dataclasses.replace(forms, forms=dataclasses.replace(forms.forms, jac_f=swapped))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
        _forms(lambda: wrong)
    env = {**os.environ, "DERIVE_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "derive", "check"], capture_output=True, text=True, env=env,
                          timeout=600)
    assert done.returncode == 1 and "check failed: question 3" in done.stderr


def test_a_damaged_entry_is_recomputed_and_rewritten(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    forms = birnn_model.derive_forms("tanh")  # this process's copy: computed or read
    _forms(lambda: forms)
    path = _entry(tmp_path, "birnn-forms")
    entry = json.loads(path.read_text(encoding="utf-8"))
    entry["payload"] = entry["payload"].replace("tanh", "sinh", 1)  # the digest no longer matches
    path.write_text(json.dumps(entry), encoding="utf-8")
    recompute = Counted(forms)
    assert _forms(recompute) is forms and recompute.calls == 1
    path.write_bytes(path.read_bytes()[: 1000])  # cut short: not JSON at all
    recompute = Counted(forms)
    assert _forms(recompute) is forms and recompute.calls == 1
    read = Counted(None)  # rewritten sound: read back without computing
    assert cache._same(_forms(read), forms) and read.calls == 0


def test_a_foreign_entry_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    cache.cached("test", "a", Counted(sp.Integer(1)), sp.Basic)
    sound_a = _entry(tmp_path, "test")
    b_path = tmp_path / f"test-{cache.key('test', 'b')}.json"
    b_path.write_bytes(sound_a.read_bytes())  # a's sound entry under b's name
    compute_b = Counted(sp.Integer(2))
    assert cache.cached("test", "b", compute_b, sp.Basic) == 2 and compute_b.calls == 1


def test_an_entry_of_another_type_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    cache.cached("test", "a", Counted(sp.Integer(1)), sp.Basic)
    recompute = Counted((1, 2))
    assert cache.cached("test", "a", recompute, tuple) == (1, 2) and recompute.calls == 1


def test_an_entry_cannot_name_anything_but_a_sympy_class(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    cache.cached("test", "a", Counted(sp.Symbol("x") + 1), sp.Basic)
    path = _entry(tmp_path, "test")
    entry = json.loads(path.read_text(encoding="utf-8"))
    planted = tmp_path / "planted"
    for name in ("posix:system", "os:system", "builtins:eval", "subprocess:run"):
        payload = json.dumps({"sympy": ["Node", name, [["Str", f"touch {planted}"]]]})
        entry |= {"payload": payload, "sha256": hashlib.sha256(payload.encode()).hexdigest()}
        path.write_text(json.dumps(entry), encoding="utf-8")
        recompute = Counted(sp.Symbol("x") + 1)
        assert cache.cached("test", "a", recompute, sp.Basic) == sp.Symbol("x") + 1 and recompute.calls == 1
        assert not planted.exists()


def test_the_key_changes_with_the_inputs_sympy_and_derive_source(monkeypatch: pytest.MonkeyPatch) -> None:
    base = cache.key("birnn-forms", "tanh")
    assert cache.key("birnn-forms", "sigmoid") != base
    monkeypatch.setattr(sp, "__version__", "0.0")
    assert cache.key("birnn-forms", "tanh") != base
    monkeypatch.undo()
    monkeypatch.setattr(cache, "source_digest", lambda: "0" * 64)
    assert cache.key("birnn-forms", "tanh") != base


def test_a_cache_folder_that_cannot_be_written_costs_only_time(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(blocker / "cache"))
    assert cache.cached("test", "a", Counted(sp.Integer(7)), sp.Basic) == 7


def test_the_folder_follows_the_platform_and_the_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("DERIVE_CACHE_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.folder() == tmp_path / "derive"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative")  # not absolute: ignored, as the XDG spec says
    assert cache.folder() == Path.home() / ".cache" / "derive"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert cache.folder() == Path.home() / "Library" / "Caches" / "derive"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path))
    assert cache.folder() == tmp_path / "derive" / "Cache"
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.folder() == tmp_path / "mine"


@pytest.mark.parametrize(("tag", "name"), [
    ("Symbol", '(print("planted") or 1)'), ("Symbol", "open"), ("Str", "__import__"), ("Undef", "exit"),
    ("Undef", "print"), ("Symbol", "lambda")])
def test_an_entry_cannot_give_a_name_that_lambdify_would_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              tag: str, name: str) -> None:
    """A sound entry (its key, its digest) whose expression names something other than a plain
    identifier, or a Python keyword or builtin, is not used: expressions read from the cache reach
    sympy.lambdify, which writes names into the code it runs."""
    monkeypatch.setenv("DERIVE_CACHE_DIR", str(tmp_path))
    x = sp.Symbol("x")
    cache.cached("test", "a", Counted(x + 1), sp.Basic)
    path = _entry(tmp_path, "test")
    entry = json.loads(path.read_text(encoding="utf-8"))
    node = {"Symbol": ["Symbol", name, {}], "Str": ["Node", "sympy.matrices.expressions.matexpr:MatrixSymbol",
            [["Str", name], ["Integer", 2], ["Integer", 2]]], "Undef": ["Undef", name, [["Symbol", "x", {}]]]}[tag]
    payload = json.dumps({"sympy": node})
    entry |= {"payload": payload, "sha256": hashlib.sha256(payload.encode()).hexdigest()}
    path.write_text(json.dumps(entry), encoding="utf-8")
    recompute = Counted(x + 1)
    assert cache.cached("test", "a", recompute, sp.Basic) == x + 1 and recompute.calls == 1
    sound = {"Symbol": sp.Symbol("W_f"), "Str": sp.MatrixSymbol("W_f", 2, 2), "Undef": sp.Function("fprime")(x)}[tag]
    assert cache._decode_expr(cache._encode_expr(sound)) == sound
