"""`derive export`: a variants folder handed to the platforms courses run on (a Moodle XML
question bank, a Gradescope autograder bundle), and the gradebook files LMSs import."""
