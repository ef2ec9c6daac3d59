#!/bin/sh
# Regenerates testdata/golden/tiny_seed1.{json,logits.f32} (see README.md).
# Run from the repository root: make goldens
set -eu
GO=${GO:-go}
PY=/usr/bin/python3
if ! "$PY" -c 'import numpy' 2>/dev/null; then
	echo "installing python3-numpy (Debian) ..."
	apt-get update -qq && apt-get install -y -qq python3-numpy
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$GO" build -o "$tmp/zklora" ./cmd/zklora
"$tmp/zklora" fixture --preset tiny --seed 1 --out "$tmp/fx" >/dev/null
# The fixed text set: 2 texts of 4 tokens keeps the committed logits at ~2 MB.
"$GO" run ./scripts/golden/tokenize "Hello, world!" " The quick brown fox" >"$tmp/ids.json"
mkdir -p testdata/golden
"$PY" scripts/golden/gpt2_ref.py --model "$tmp/fx/base" --adapter "$tmp/fx/adapter" \
	--ids "$tmp/ids.json" --out testdata/golden/tiny_seed1 --preset tiny --seed 1
