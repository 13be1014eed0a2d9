#!/usr/bin/env node
// Sharp's outputs for the shrink-on-load fidelity table (handler/tests/fidelity.rs): one
// PNG per case of handler/tests/fixtures/fidelity/cases.json, named <index>.png, so that
// only resampling counts. The Rust side measures them against its full-decode ideal:
//
//   node tools/sharp/fidelity.js /tmp/fidelity-sharp
//   FIDELITY_SHARP_OUTPUTS=/tmp/fidelity-sharp cargo test -p image-service --test fidelity \
//     -- --ignored record_sharp_errors
//
// which writes Sharp's mean error back into cases.json (the committed table the test reads).
// usage: node tools/sharp/fidelity.js <out-dir> [cases.json]
'use strict';
const fs = require('fs');
const path = require('path');
const sharp = require(process.env.SHARP_MODULE || 'sharp');

const root = path.join(__dirname, '..', '..');
const [outDir, casesArg] = process.argv.slice(2);
if (!outDir) {
  console.error('usage: node tools/sharp/fidelity.js <out-dir> [cases.json]');
  process.exit(2);
}
const casesPath = casesArg || path.join(root, 'handler', 'tests', 'fixtures', 'fidelity', 'cases.json');
const table = JSON.parse(fs.readFileSync(casesPath, 'utf8'));
// Inputs are looked up where the Rust test looks: the fidelity fixtures, then the samples.
const searched = [path.dirname(casesPath), path.join(root, 'assets', 'samples')];
function inputPath(name) {
  if (path.isAbsolute(name)) return name;
  const found = searched.map((d) => path.join(d, name)).find((p) => fs.existsSync(p));
  if (!found) throw new Error(`${name}: not in ${searched.join(' or ')}`);
  return found;
}

// The table's queries use only w, h and f (the resize); anything else is a mistake here.
function resizeOptions(query) {
  const q = Object.fromEntries(new URLSearchParams(query));
  for (const k of Object.keys(q)) {
    if (!['w', 'h', 'f'].includes(k)) throw new Error(`${query}: only w, h and f are supported`);
  }
  return {
    width: q.w ? Number(q.w) : undefined,
    height: q.h ? Number(q.h) : undefined,
    fit: q.f || 'cover',
    position: 'centre',
    kernel: 'lanczos3',
    withoutEnlargement: true,
  };
}

async function main() {
  fs.mkdirSync(outDir, { recursive: true });
  for (const [i, c] of table.cases.entries()) {
    const out = path.join(outDir, `${i}.png`);
    // rotate(): EXIF auto-orient, as our pipeline does; default shrink-on-load settings.
    const info = await sharp(inputPath(c.input)).rotate().resize(resizeOptions(c.query)).png().toFile(out);
    console.log(JSON.stringify({ i, input: c.input, query: c.query, width: info.width, height: info.height }));
  }
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
