#!/usr/bin/env bash
# Trunk's post_build hook (Trunk.toml): copies what the page fetches only when it needs it (one
# lesson's JSON per `?lesson=` page, the essays' bodies for "How it works"), which build.rs wrote
# beside the wasm build, into the pack's staging folder. Trunk sets the TRUNK_* variables.
set -euo pipefail
case "$TRUNK_HTML_FILE" in
  */bench/index.html) exit 0 ;; # scripts/bench.sh's page fetches nothing
  */packs/*/index.html) pack="$(basename "$(dirname "$TRUNK_HTML_FILE")")" ;;
  *) pack=core ;;
esac
profile=debug
[ "${TRUNK_PROFILE:-debug}" = release ] && profile=release
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
from="$target/wasm32-unknown-unknown/$profile/caucus-pages/$pack"
if [ ! -f "$from/essays.json" ]; then
  echo "trunk-pages: $from/essays.json is missing (build.rs writes it)" >&2
  exit 1
fi
cp -R "$from/." "$TRUNK_STAGING_DIR/"
