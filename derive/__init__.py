"""derive: a verified-solutions compiler for a deep-learning theory assignment."""

from __future__ import annotations

__version__ = "0.1.0"
