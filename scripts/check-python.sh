#!/bin/sh
# Before making the venv: stop with one line unless $1 is Python >= 3.11, and remove a venv
# ($2) that an older (or since removed) Python made, so that it is made again with $1.
PY="$1"
VENV="$2"
new_enough() { "$1" -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1; }
if ! new_enough "$PY"; then
    if command -v "$PY" >/dev/null 2>&1; then found=$("$PY" --version 2>&1 | head -n 1); else found="not found"; fi
    echo "derive: needs Python >= 3.11; $PY is ${found:-not a working Python}. Run: make PYTHON=python3.11 (or newer)" >&2
    exit 2
fi
if [ -e "$VENV" ] && ! new_enough "$VENV/bin/python"; then
    echo "derive: $VENV was made by an older or missing Python; making it again with $PY" >&2
    rm -rf "$VENV"
fi
