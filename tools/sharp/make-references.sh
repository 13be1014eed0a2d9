#!/usr/bin/env bash
# Regenerates Sharp's reference outputs for the golden cases:
#   handler/tests/golden/cases.json (whole-pipeline goldens) and
#   handler/tests/fixtures/ops-cases.json (one operation each) → handler/tests/fixtures/sharp/<name>.<ext>
# usage: tools/sharp/make-references.sh [cases.json ...]
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d tools/sharp/node_modules/sharp ] || (cd tools/sharp && npm ci --no-audit --no-fund --silent)
out=handler/tests/fixtures/sharp
mkdir -p "$out"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(handler/tests/golden/cases.json handler/tests/fixtures/ops-cases.json)
for cases in "${files[@]}"; do
  node -e '
    const cases = require(require("path").resolve(process.argv[1]));
    for (const c of cases) console.log([c.name, c.input, c.query, c.ext].join("\t"));
  ' "$cases" | while IFS=$'\t' read -r name input query ext; do
    src=handler/tests/fixtures/$input
    [ -f "$src" ] || src=assets/samples/$input
    printf '%-20s ' "$name"
    node tools/sharp/reference.js "$src" "$query" "$out/$name.$ext" --root "$(dirname "$src")"
  done
done
