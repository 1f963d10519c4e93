"""`derive --version`, the help, `derive init` and `--config -`."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from derive import __version__, config
from derive.resources import default_text, packaged


def test_version(run):
    code, out, _ = run("--version")
    assert (code, out) == (0, f"derive {__version__} (derive-solutions)\n")


def test_bare_derive_lists_the_commands_exit_codes_and_the_config_reference(run):
    code, out, err = run()
    assert code == 2 and out == ""
    for command in ("build", "check", "init"):
        assert f"    {command} " in err
    assert "exit codes: 0 success; 1 a check failed or LaTeX failed; 2 bad input or usage." in err
    reference = packaged("docs") / "config.md"
    assert f"config reference: {reference}" in err and reference.is_file()


def test_init_writes_the_commented_default_that_builds_as_it_is(run, tmp_path):
    code, out, _ = run("init")
    assert code == 0 and out == default_text()
    starter = tmp_path / "my.toml"
    code, _, err = run("init", str(starter))
    assert code == 0 and err == f"derive: wrote {starter}; build it with: derive build --config {starter}\n"
    assert starter.read_text(encoding="utf-8") == default_text()
    assert config.load(starter) == config.load(None)
    code, _, _ = run("build", "--no-pdf", "--config", str(starter), "--out", str(tmp_path / "out"))
    assert code == 0 and (tmp_path / "out" / "answers.json").is_file()


def test_the_starter_names_every_key_of_the_config(run):
    text = default_text()
    for key in ("title", "tensor", "beam_width", "steps", "vocabulary_size", "activation", "hidden_size",
                "seed", "d", "r", "n", "heads", "bits"):
        assert f"\n{key} = " in text, key
    for table in ("[document]", "[normalization]", "[decoding]", "[decoding.tree]", "[birnn]", "[lora]",
                  "[birnn.instance]", "W_f", "h0_f", "h_end_b"):
        assert table in text, table


def test_init_keeps_an_existing_file_unless_forced(run, tmp_path):
    existing = tmp_path / "mine.toml"
    existing.write_text("[lora]\nd = 64\n", encoding="utf-8")
    code, out, err = run("init", str(existing))
    assert (code, out) == (2, "")
    assert err == f"derive: {existing}: exists; choose another name or pass --force to overwrite it\n"
    assert existing.read_text(encoding="utf-8") == "[lora]\nd = 64\n"
    assert run("init", "--force", str(existing))[0] == 0
    assert existing.read_text(encoding="utf-8") == default_text()


def test_init_into_a_missing_folder_is_one_line(run, tmp_path):
    code, _, err = run("init", str(tmp_path / "no" / "such" / "x.toml"))
    assert code == 2 and err.count("\n") == 1 and "cannot be written" in err


def stdin(monkeypatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def test_config_from_standard_input(run, monkeypatch):
    stdin(monkeypatch, b"[lora]\nd = 64\nr = 2\n")
    code, out, _ = run("check", "--config", "-")
    assert code == 0 and " 0 failed" in out
    stdin(monkeypatch, b"[lora]\nd = 64\nr = 2\n")
    assert config.load(Path("-")).lora.d == 64


@pytest.mark.parametrize(("data", "message"), [
    (b"", "derive: <stdin>: is empty (leave out --config to build the assignment as printed)\n"),
    (b"[lora]\nd = \xff\n", "derive: <stdin>: not UTF-8 (byte 11)\n"),
    (b"[lora]\nd = 0\n", "derive: lora.d: must be between 1 and 1000000, got 0\n"),
])
def test_bad_standard_input_is_one_line_and_exit_2(run, monkeypatch, data, message):
    stdin(monkeypatch, data)
    code, _, err = run("check", "--config", "-")
    assert (code, err) == (2, message)
