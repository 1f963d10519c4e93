"""LaTeX: the printer (notation), rendering (templates, escaping) and compilation."""
