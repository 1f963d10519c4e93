#!/bin/sh
# Make sure pdflatex (and pdftotext, which the tests read PDFs with) are here; with the
# argument `latexmk`, latexmk too (make bench measures it). Install them through apt-get when
# missing and running as root; otherwise say which Debian packages to install.
PACKAGES="texlive-latex-base texlive-latex-recommended texlive-pictures texlive-latex-extra lmodern poppler-utils"
COMMANDS="pdflatex pdftotext"
if [ "$1" = latexmk ]; then
    PACKAGES="$PACKAGES latexmk"
    COMMANDS="$COMMANDS latexmk"
fi
missing=""
for c in $COMMANDS; do
    command -v "$c" >/dev/null 2>&1 || missing="$missing $c"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "derive: installing TeX Live (about a minute): $PACKAGES" >&2
    apt-get update -qq >/dev/null && \
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES >/dev/null && exit 0
    echo "derive: apt-get failed to install: $PACKAGES" >&2
    exit 1
fi
echo "derive: not found:$missing. Install (Debian/Ubuntu): sudo apt-get install $PACKAGES" >&2
echo "derive: or build without TeX: make tex / make overleaf" >&2
exit 1
