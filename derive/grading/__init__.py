"""`derive grade`: scores submissions against the derived answers.

expr (tokenizer and parser: submission text is data) -> evaluate (bounded values, O
reduction) -> parts (what is graded, for how many points) -> compare (one verdict per part)
-> submission (files, the whole grading) -> report (text, JSON, CSV); batch for folders;
policy for the config's [grading] table.
"""
