"""Question: normalization. Its modules: docs/architecture.md maps them."""
