"""Question: lora. Its modules: docs/architecture.md maps them."""
