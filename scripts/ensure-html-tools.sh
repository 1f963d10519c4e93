#!/bin/sh
# The HTML edition's browser tests need Chromium (Debian's chromium, headless), Node (20 or
# later: scripts/html-check.mjs talks to Chromium over DevTools with Node's own WebSocket) and
# axe-core from the npm registry, installed into a cache folder, never into the repository:
# $DERIVE_TOOLS/npm (default ~/.cache/derive/npm). Chromium and Node come through apt-get when
# missing and running as root; otherwise the script says which Debian packages to install.
AXE_VERSION=4.14.1
TOOLS="${DERIVE_TOOLS:-$HOME/.cache/derive}"
missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
if [ -n "$missing" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "derive: installing$missing (a few minutes)" >&2
        apt-get update -qq >/dev/null && \
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
            echo "derive: apt-get failed to install:$missing" >&2
            exit 1
        }
    else
        echo "derive: not found:$missing. Install (Debian/Ubuntu): sudo apt-get install$missing" >&2
        exit 1
    fi
fi
[ -f "$TOOLS/npm/node_modules/axe-core/axe.min.js" ] && \
    grep -q "\"version\": \"$AXE_VERSION\"" "$TOOLS/npm/node_modules/axe-core/package.json" && exit 0
mkdir -p "$TOOLS/npm" && \
    npm install --silent --no-save --no-audit --no-fund --prefix "$TOOLS/npm" "axe-core@$AXE_VERSION" >/dev/null || {
    echo "derive: npm failed to install axe-core@$AXE_VERSION into $TOOLS/npm" >&2
    exit 1
}
