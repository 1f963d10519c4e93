#!/bin/sh
# Make sure latexmk and pdflatex are here: install TeX Live through apt-get when missing
# and running as root; otherwise say which Debian packages to install.
PACKAGES="texlive-latex-base texlive-latex-recommended texlive-pictures texlive-latex-extra lmodern latexmk poppler-utils"
if command -v latexmk >/dev/null 2>&1 && command -v pdflatex >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "derive: installing TeX Live (about a minute): $PACKAGES" >&2
    apt-get update -qq >/dev/null && \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null && exit 0
    echo "derive: apt-get failed to install: $PACKAGES" >&2
    exit 1
fi
echo "derive: latexmk/pdflatex not found. Install (Debian/Ubuntu): sudo apt-get install $PACKAGES" >&2
echo "derive: or build without TeX: make tex / make overleaf" >&2
exit 1
