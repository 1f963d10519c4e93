"""`python -m derive` is the `derive` command."""

from __future__ import annotations

from derive.cli import entry

entry()
