#!/usr/bin/env bash
# Rebuilds ../table-bomb.wat (a component, in text) from core.wat and the WIT.
# Needs wasm-tools (`cargo install wasm-tools --locked`); nothing that uses
# table-bomb.wat does.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
wit="$here/../../../wit"
out="$here/../table-bomb.wat"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

wasm-tools parse "$here/core.wat" -o "$work/core.wasm"
wasm-tools component embed "$wit" --world generator "$work/core.wasm" -o "$work/embedded.wasm"
wasm-tools component new "$work/embedded.wasm" -o "$work/component.wasm"
wasm-tools validate "$work/component.wasm"

{
    echo ";; The table-bomb fixture: a kiln generator component whose \`generate\`"
    echo ";; grows a funcref table 10,000 elements at a time until the host stops it."
    echo ";; Generated from table-bomb/core.wat by table-bomb/regenerate.sh"
    echo ";; ($(wasm-tools --version)); edit core.wat and regenerate, not this file."
    wasm-tools print "$work/component.wasm"
} > "$out"

# The interface must be exactly the plugin's: no host imports, only the
# type-only `types` interface.
wasm-tools component wit "$work/component.wasm" | sed -n '/^world root/,/^}/p'
