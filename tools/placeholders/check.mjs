// Compares our ThumbHash (the vectors `cargo run --example placeholder_vectors`
// writes) with the reference implementation, Evan Wallace's JavaScript (`thumbhash`),
// run on the same RGBA pixels. (BlurHash is checked against its Python implementation
// in check_blurhash.py: Wolt's TypeScript encoder takes the largest AC component
// without its sign, unlike the C, Swift and Python encoders, so its hashes differ
// from theirs and ours whenever the most negative component is the largest.)
//
// A hash passes when it is exactly the reference's, or else when its header (flags,
// luminance grid, the DC and scale values, the alpha byte) is exactly the reference's
// and each 4-bit AC value is within one step of it: float rounding (our crate computes
// in f32, the reference in f64) moves an AC value sitting on a rounding boundary by
// one step. AC values that are exactly zero sit on one (15 × 0.5 = 7.5), so symmetric
// images show it. The summary says how many were exact. (Decoded pixels are no
// measure: one step of an AC value moves a decoded pixel by up to tens of levels.)
//
// usage: node check.mjs <vector dir>
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rgbaToThumbHash } from 'thumbhash';

const TOLERANCE = 1; // quantisation steps, per field

const dir = process.argv[2];
const vectors = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
let passed = 0;
let failed = 0;
const exact = { thumbhash: 0 };
const near = { thumbhash: 0 };

function fail(message) {
  failed += 1;
  console.error(`FAIL ${message}`);
}

/// A ThumbHash's parts (the layout of its reference encoder): the header bytes that
/// must match exactly, and the 4-bit AC values that may differ by a step.
function fields(b64) {
  const h = Buffer.from(b64, 'base64');
  if (h.length < 5) return null;
  const header24 = h[0] | (h[1] << 8) | (h[2] << 16);
  const header16 = h[3] | (h[4] << 8);
  const hasAlpha = (header24 >> 23) & 1;
  const start = hasAlpha ? 6 : 5;
  const exact = [h.length, ...h.subarray(0, start)];
  const steps = [];
  for (let i = start; i < h.length; i++) steps.push(h[i] & 15, h[i] >> 4);
  return { exact, steps };
}

let mostSteps = 0;
let fieldsOff = 0;

/// 'exact', 'near' (decoded within the tolerance) or null (different).
function agree(ours, theirs) {
  if (ours === theirs) return 'exact';
  const a = fields(ours);
  const b = fields(theirs);
  if (!a || !b || a.exact.join() !== b.exact.join()) return null;
  const diffs = a.steps.map((v, i) => Math.abs(v - b.steps[i]));
  const worst = Math.max(...diffs);
  if (worst > TOLERANCE) return null;
  mostSteps = Math.max(mostSteps, worst);
  fieldsOff = Math.max(fieldsOff, diffs.filter((d) => d > 0).length);
  return 'near';
}

function check(kind, label, ours, theirs, wrongs) {
  const verdict = agree(ours, theirs);
  if (verdict === null) {
    fail(`${kind} ${label}: ours ${ours}, reference ${theirs}`);
    return;
  }
  (verdict === 'exact' ? exact : near)[kind] += 1;
  passed += 1;
  for (const [what, wrong] of wrongs) {
    if (agree(wrong, theirs) !== null) {
      fail(`${kind} ${label}: the wrong answer (${what}) ${wrong} passes the same check`);
    } else {
      passed += 1;
    }
  }
}

const inverted = (rgba) => rgba.map((v, i) => (i % 4 === 3 ? v : 255 - v));

vectors.forEach((v, index) => {
  const rgba = new Uint8ClampedArray(readFileSync(join(dir, v.rgba)));
  if (rgba.length !== v.width * v.height * 4) {
    fail(`${v.name}: ${rgba.length} bytes of pixels for ${v.width}x${v.height}`);
    return;
  }
  const next = vectors[(index + 1) % vectors.length];
  const theirs = Buffer.from(rgbaToThumbHash(v.width, v.height, rgba)).toString('base64');
  const invertedHash = Buffer.from(rgbaToThumbHash(v.width, v.height, inverted(rgba))).toString('base64');
  check('thumbhash', v.name, v.thumbhash, theirs, [
    ['next vector', next.thumbhash],
    ['inverted image', invertedHash],
  ]);
});

console.error(
  `thumbhash: ${exact.thumbhash} of ${vectors.length} exact, ${near.thumbhash} within ${TOLERANCE} step ` +
    `(at most ${fieldsOff} fields one step off)`,
);
console.log(`placeholders (ThumbHash, JavaScript reference): ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
