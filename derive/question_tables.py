"""The questions' tables of the config, for the config layer (config.py, variants_spec.py,
grading_policy.py): the one place where the config layer reaches into derive/questions/, and
only for the questions' settings (derive/questions/sections.py, which imports nothing of a
question but its `settings.py`). The import contracts in pyproject.toml name this import as the
one allowed against the layering."""

from __future__ import annotations

from derive.questions.sections import SECTIONS, keys

__all__ = ["SECTIONS", "keys"]
