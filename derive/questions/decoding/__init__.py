"""Question: decoding. Its modules: docs/architecture.md maps them."""
