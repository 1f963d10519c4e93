"""`derive export`: a variants folder handed to the platforms courses run on (a Moodle XML
question bank, a Gradescope autograder bundle). The gradebook files LMSs import are written by
`derive grade --gradebook` (derive/grading/gradebook.py)."""
