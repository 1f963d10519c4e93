"""The one error family of derive; the CLI maps each class to an exit code."""

from __future__ import annotations

import signal


class DeriveError(Exception):
    """Base class: every error derive raises on purpose."""

    exit_code = 1


class ConfigError(DeriveError):
    """Bad input: names the config key (or file) and what is wrong. Exit 2."""

    exit_code = 2

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")


class UsageError(DeriveError):
    """A bad command line or an unusable output folder. Exit 2."""

    exit_code = 2


class CheckFailed(DeriveError):
    """A verification check did not pass. Exit 1."""


class LatexError(DeriveError):
    """LaTeX did not compile, or is not installed. Exit 1."""


class Interrupted(DeriveError):
    """SIGTERM or SIGHUP ended the build (or an ending signal arrived while the outputs were
    being renamed, once they all were); raised in the main thread so that every `with` block
    cleans up on the way out. Exit 128 + the signal's number, as a shell reports it."""

    def __init__(self, signum: int, written: bool = False) -> None:
        self.exit_code = 128 + signum
        outcome = "the new outputs were all written" if written else "earlier outputs are unchanged"
        super().__init__(f"ended by {signal.Signals(signum).name}; {outcome}")
