"""derive: a verified-solutions compiler for a deep-learning theory assignment.

`derive.solve(config)` derives, shows and checks every answer from a config (a path, TOML
text or a dict) and returns a Solution; see docs/api.md. The `derive` command is the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from derive.api import ConfigInput, Solution

__version__ = "0.1.0"
DISTRIBUTION = "derive-solutions"  # the name pip knows it by; "derive" on PyPI is another project
__all__ = ["DISTRIBUTION", "__version__", "solve"]


def solve(config: ConfigInput) -> Solution:
    """Derive every answer from `config` and check it (derive.api.solve; imported on first use,
    so that the `derive` command starts its PyTorch worker before SymPy is imported)."""
    from derive.api import solve as solve_config

    return solve_config(config)
