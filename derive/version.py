"""The version and the distribution's name, for every module that prints them (the package's
own `__init__` imports the API, so a low module importing `derive` would import everything)."""

__version__ = "0.1.0"
DISTRIBUTION = "derive-solutions"  # the name pip knows it by; "derive" on PyPI is another project
