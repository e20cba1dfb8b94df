#!/usr/bin/env bash
# Builds the release app: one bundle ("pack") per family of protocols, each under the size budget.
#
#   bash scripts/build.sh [PUBLIC_URL]      (default /; e.g. /course/lab/ for a sub-path host)
#
# The core pack (failure detection, the default scenario) goes to $CAUCUS_DIST (default dist/);
# every other pack, from packs/NAME/index.html, to $CAUCUS_DIST/NAME/. Each page lists every
# scenario and opens the right page for the one chosen. Expects the tools on PATH (see
# scripts/install-tools.sh; serve.sh and test.sh set PATH up).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIST="${CAUCUS_DIST:-dist}"
PUBLIC_URL="${1:-/}"
case "$PUBLIC_URL" in */) ;; *) PUBLIC_URL="$PUBLIC_URL/" ;; esac
export TRUNK_SKIP_VERSION_CHECK=true

# Trunk replaces its whole dist folder, so the root pack is built first.
trunk build index.html --release --dist "$DIST" --public-url "$PUBLIC_URL"
for html in packs/*/index.html; do
  name="$(basename "$(dirname "$html")")"
  trunk build "$html" --release --dist "$DIST/$name" --public-url "$PUBLIC_URL$name/"
done
# Every page gets its Content-Security-Policy, with the hashes of its inline scripts as built.
node scripts/csp.mjs "$DIST"
