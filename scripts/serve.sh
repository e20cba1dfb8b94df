#!/usr/bin/env bash
# Installs what is missing, builds the release app (every pack, scripts/build.sh) and serves it
# on http://127.0.0.1:8080 with the default scenario. PORT=9000 bash scripts/serve.sh to use another port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-tools.sh
export PATH="${CAUCUS_TOOLS:-$HOME/.cache/caucus-tools}/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
bash scripts/build.sh
echo "Caucus is at http://127.0.0.1:${PORT:-8080}/ (Ctrl-C stops it)."
exec node tests/e2e/serve.mjs "${CAUCUS_DIST:-dist}" "${PORT:-8080}"
