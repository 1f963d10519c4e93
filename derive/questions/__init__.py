"""The questions of the assignment, a package each (derive/questions/<key>/).

A question's package holds its config tables (`settings.py`, read by derive/config.py through
derive/questions/sections.py), its answer and derivation (`answer.py`), its checks, its
views and its named mistakes; `question.py` ties them into a `Question`
(derive/questions/base.py). derive/questions/registry.py numbers the questions in the
assignment's order. This file imports nothing, so that the config can read the questions'
settings without loading the questions.
"""
