"""Question: decoding. Its modules: see derive/questions/README or the docstring of question.py."""
