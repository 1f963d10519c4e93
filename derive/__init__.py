"""derive: a verified-solutions compiler for a deep-learning theory assignment.

`derive.solve(config)` derives, shows and checks every answer from a config (a path, TOML
text or a dict) and returns a Solution; `derive.variant(base, id, seed=...)` draws a student's
variant as `derive variants` does; `derive.grade(key, submission)` grades a submission as
`derive grade` does. See docs/api.md. The `derive` command is the CLI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from derive.version import DISTRIBUTION, __version__

if TYPE_CHECKING:
    from derive.api import ConfigInput, Graded, KeyInput, Solution, SubmissionInput, Variant

__all__ = ["DISTRIBUTION", "__version__", "grade", "solve", "variant"]


def solve(config: ConfigInput) -> Solution:
    """Derive every answer from `config` and check it (derive.api.solve; imported on first use,
    so that the `derive` command starts its PyTorch worker before SymPy is imported)."""
    from derive.api import solve as solve_config

    return solve_config(config)


def variant(base: ConfigInput | None, id: str, seed: int = 0) -> Variant:
    """The variant `derive variants --seed SEED` draws for `id` from `base` (derive.api.variant)."""
    from derive.api import variant as draw

    return draw(base, id, seed)


def grade(key: KeyInput, submission: SubmissionInput, grading: ConfigInput | None = None) -> Graded:
    """A submission graded against a key, part by part (derive.api.grade)."""
    from derive.api import grade as grade_submission

    return grade_submission(key, submission, grading)
