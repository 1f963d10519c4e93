"""Question: birnn. Its modules: docs/architecture.md maps them."""
