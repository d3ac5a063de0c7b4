#!/usr/bin/env bash
# Builds the GAN Playground's page: the crate (ganforge's engine and this web
# side) to wasm32 in release, then wasm-bindgen's JS glue into www/pkg/.
# Needs: `rustup target add wasm32-unknown-unknown` and
# `cargo install wasm-bindgen-cli --version 0.2.130` (the exact version of the
# wasm-bindgen crate in Cargo.lock). Then serve www/ with `ganforge playground`.
set -euo pipefail
cd "$(dirname "$0")"

wanted=$(grep -A1 '^name = "wasm-bindgen"$' ../Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if ! command -v wasm-bindgen >/dev/null; then
    echo "wasm-bindgen not found: install it with \`cargo install wasm-bindgen-cli --version $wanted\`" >&2
    exit 1
fi
have=$(wasm-bindgen --version | awk '{print $2}')
if [ "$have" != "$wanted" ]; then
    echo "wasm-bindgen $have is installed but Cargo.lock has $wanted: \`cargo install wasm-bindgen-cli --version $wanted --force\`" >&2
    exit 1
fi
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
    echo "the wasm32 target is missing: \`rustup target add wasm32-unknown-unknown\`" >&2
    exit 1
fi

cargo build --release --locked -p ganforge-playground --target wasm32-unknown-unknown
wasm-bindgen --target web --no-typescript --out-dir www/pkg \
    ../target/wasm32-unknown-unknown/release/ganforge_playground.wasm
echo "built playground/www/ ($(du -h www/pkg/ganforge_playground_bg.wasm | cut -f1) of wasm)"
