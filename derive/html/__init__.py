"""The HTML edition: solutions.html from the same answers, views and checks as the PDF."""
