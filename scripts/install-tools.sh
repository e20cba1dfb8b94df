#!/usr/bin/env bash
# Installs everything the build and the tests need, outside the checkout, and skips each tool whose
# installed version already matches. Safe to run again: a warm run takes a few seconds.
#   cargo tools -> ~/.cargo/bin      npm tools -> $CAUCUS_TOOLS (default ~/.cache/caucus-tools)
set -euo pipefail

TRUNK_VERSION=0.22.1
WASM_BINDGEN_VERSION=0.2.130   # must equal the wasm-bindgen crate pinned in Cargo.toml
BINARYEN_VERSION=132.0.0       # wasm-opt reports version_132; Debian's binaryen is too old
PLAYWRIGHT_VERSION=1.65.1      # playwright-core only: it drives Debian's /usr/bin/chromium
TOOLS="${CAUCUS_TOOLS:-$HOME/.cache/caucus-tools}"

say() { printf '\033[1m[install]\033[0m %s\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust with rustup first (https://rustup.rs)" >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  say "cargo install trunk $TRUNK_VERSION (about 11 minutes on 2 cores)"
  cargo install --locked --ignore-rust-version trunk --version "$TRUNK_VERSION"
fi

if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  say "cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" \
    || cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "apt-get install ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

mkdir -p "$TOOLS"
installed_npm() { node -p "require('$TOOLS/node_modules/$1/package.json').version" 2>/dev/null || true; }
if [ "$(installed_npm binaryen)" != "$BINARYEN_VERSION" ] || [ "$(installed_npm playwright-core)" != "$PLAYWRIGHT_VERSION" ]; then
  say "npm install binaryen@$BINARYEN_VERSION playwright-core@$PLAYWRIGHT_VERSION into $TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"name":"caucus-tools","private":true}' > "$TOOLS/package.json"
  (cd "$TOOLS" && npm install --no-audit --no-fund --loglevel=error \
    "binaryen@$BINARYEN_VERSION" "playwright-core@$PLAYWRIGHT_VERSION")
fi
say "tools ready: $(trunk --version), $(wasm-bindgen --version), wasm-opt $("$TOOLS/node_modules/.bin/wasm-opt" --version | awk '{print $3}'), $(/usr/bin/chromium --version 2>/dev/null | head -1)"
