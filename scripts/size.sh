#!/usr/bin/env bash
# `make size`: how big the page's wasm is, as issue 8 measures it — raw, gzip -9 and
# brotli (quality 11) of dist/'s wasm, then the 15 largest items by twiggy and by gzip share.
#
# dist/'s wasm has no names (wasm-opt drops them), so the items are read from a twin
# built the same way with names kept: wasm-bindgen on the release build's wasm, then
# wasm-opt -Oz -g (the same -Oz trunk runs). The twin's sizes are within a few per cent of
# dist/'s; its names section is not counted in the table's share.
set -euo pipefail
cd "$(dirname "$0")/.."
wasm=$(ls dist/*_bg.wasm 2>/dev/null | head -1)
[ -n "$wasm" ] || { echo "size: no dist/*_bg.wasm (run make dist)" >&2; exit 1; }
raw=$(stat -c %s "$wasm")
gz=$(gzip -9c "$wasm" | wc -c)
br=$(node -e 'const z=require("zlib");const b=require("fs").readFileSync(process.argv[1]);console.log(z.brotliCompressSync(b,{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length)' "$wasm")
printf 'wasm %s: raw %d B, gzip -9 %d B, brotli %d B\n' "$(basename "$wasm")" "$raw" "$gz" "$br"

out=target/size
mkdir -p "$out"
wasm-bindgen --target web --out-dir "$out" target/wasm32-unknown-unknown/web/tablestore-playground.wasm
feats="--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue"
# shellcheck disable=SC2086
wasm-opt -Oz -g $feats -o "$out/named.wasm" "$out/tablestore-playground_bg.wasm"
echo "the 15 largest items (twiggy top, names kept):"
twiggy top -n 16 "$out/named.wasm" | grep -v '"function names" subsection' | head -18
# twiggy counts raw bytes; issue 8 counts gzip, and repeated code (the views' html!)
# compresses several times better than the rest: the same build by deflated bytes.
echo "the 15 largest by gzip (scripts/size_gzip.py: deflated function by function, instances summed):"
python3 scripts/size_gzip.py "$out/named.wasm" "" 15
