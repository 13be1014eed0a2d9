#!/usr/bin/env node
// Sharp's answer to one of our queries: the reference our golden fixtures and SSIM checks
// compare against. Sharp orders the operations itself, whatever the order of the calls.
//
// usage: node tools/sharp/reference.js <input> '<query>' <output> [--root <dir>] [--watermarks <dir>]
//   <output>'s extension picks the format unless the query has fm=.
//   --root: where bo/jc operand keys are read from (default: the input's folder).
//   --watermarks: where wm names are read from (default: assets/watermarks).
'use strict';
const path = require('path');
const sharp = require(process.env.SHARP_MODULE || 'sharp');

function usage(msg) {
  if (msg) console.error(msg);
  console.error("usage: node tools/sharp/reference.js <input> '<query>' <output> [--root dir] [--watermarks dir]");
  process.exit(2);
}

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const value = args[i + 1];
  args.splice(i, 2);
  return value;
};
const root = opt('--root', null);
const watermarks = opt('--watermarks', path.join(__dirname, '..', '..', 'assets', 'watermarks'));
if (args.length !== 3) usage();
const [input, query, output] = args;
const operandRoot = root || path.dirname(input);

// Our value syntax: JSON objects/arrays, optionally as b64:<urlsafe base64>; bare keys are "".
function value(raw) {
  let v = raw.trim();
  if (v.startsWith('b64:')) v = Buffer.from(v.slice(4), 'base64url').toString('utf8');
  return v;
}
function json(raw) {
  const v = value(raw);
  return v.startsWith('{') || v.startsWith('[') ? JSON.parse(v) : v;
}
const bool = (raw) => raw === '' || raw === 'true' || raw === '1';
const num = (raw) => Number(value(raw));
function colour(raw) {
  const v = json(raw);
  if (typeof v === 'object') return { r: v.r, g: v.g, b: v.b, alpha: v.alpha ?? v.a ?? 1 };
  return /^[0-9a-fA-F]{6}([0-9a-fA-F]{2})?$/.test(v) ? '#' + v : v;
}
// Sharp wants the values of sharp.interpolators (libvips names), not its keys.
const interpolators = {
  nearest: 'nearest', bilinear: 'bilinear', bicubic: 'bicubic',
  lbb: 'lbb', locallyBoundedBicubic: 'lbb',
  nohalo: 'nohalo', vsqbs: 'vsqbs', vertexSplitQuadraticBasisSpline: 'vsqbs',
};

const q = {};
for (const [k, v] of new URLSearchParams(query)) q[k] = v;
const has = (k) => Object.prototype.hasOwnProperty.call(q, k);

async function main() {
  let img = sharp(input, { animated: true, limitInputPixels: false }).rotate(); // EXIF auto-orient
  // sharp allows one rotate() per pipeline: an explicit angle replaces the auto-orient call,
  // so re-read the input upright first in that case.
  if (has('r')) {
    const upright = await sharp(input).rotate().toBuffer();
    img = sharp(upright, { limitInputPixels: false });
  }
  const bg = has('bg') ? colour(q.bg) : undefined;
  if (has('tr')) img = img.trim({ threshold: q.tr === '' ? 10 : num(q.tr) });
  if (has('cb')) img = img.extract(json(q.cb));
  if (has('w') || has('h')) {
    img = img.resize({
      width: has('w') ? num(q.w) : undefined,
      height: has('h') ? num(q.h) : undefined,
      fit: has('f') ? value(q.f) : 'cover',
      position: has('p') ? value(q.p) : 'centre',
      background: bg ?? { r: 0, g: 0, b: 0, alpha: 1 },
      kernel: has('k') ? value(q.k) : 'lanczos3',
      withoutEnlargement: true,
    });
  }
  if (has('ca')) img = img.extract(json(q.ca));
  if (has('ex')) {
    const e = json(q.ex);
    const edges = typeof e === 'object' ? e : { top: Number(e), bottom: Number(e), left: Number(e), right: Number(e) };
    img = img.extend({ ...edges, background: bg ?? { r: 0, g: 0, b: 0, alpha: 1 } });
  }
  if (has('r')) img = img.rotate(num(q.r), { background: bg ?? { r: 0, g: 0, b: 0, alpha: 1 } });
  if (has('flip') && bool(q.flip)) img = img.flip();
  if (has('flop') && bool(q.flop)) img = img.flop();
  if (has('af')) {
    const m = json(q.af);
    img = img.affine(m.flat ? m.flat() : m, {
      background: has('afbg') ? colour(q.afbg) : '#000000',
      interpolator: interpolators[has('afi') ? value(q.afi) : 'bicubic'],
    });
  }
  if (has('md')) img = img.median(q.md === '' ? 3 : num(q.md));
  if (has('bl')) img = img.blur(q.bl === '' ? undefined : num(q.bl));
  if (has('sh')) {
    const s = json(q.sh);
    // Sharp 0.35 ignores a bare number (it means the mild sharpen): a sigma goes in the object.
    img = s === '' ? img.sharpen() : typeof s === 'object' ? img.sharpen(s) : img.sharpen({ sigma: Number(s) });
  }
  if (has('fl')) img = img.flatten({ background: colour(q.fl) });
  if (has('gm')) {
    const g = json(q.gm);
    img = Array.isArray(g) ? img.gamma(g[0], g[1]) : g === '' ? img.gamma() : img.gamma(Number(g));
  }
  if (has('ng')) {
    // ng / ng=true leave alpha alone; ng={"alpha":…} is Sharp's negate({alpha}).
    const n = json(q.ng);
    if (typeof n === 'object') img = img.negate(n);
    else if (bool(q.ng)) img = img.negate({ alpha: false });
  }
  if (has('nr') && bool(q.nr)) img = img.normalise();
  if (has('cl')) img = img.clahe(json(q.cl));
  if (has('cv')) img = img.convolve(json(q.cv));
  if (has('th')) img = img.threshold(q.th === '' ? 128 : num(q.th));
  if (has('uf') && bool(q.uf)) img = img.unflatten();
  if (has('bo')) {
    const b = json(q.bo);
    img = img.boolean(path.join(operandRoot, b.operand), b.operator);
  }
  if (has('li')) {
    const l = json(q.li);
    img = img.linear(l[0], l[1]);
  }
  if (has('rc')) img = img.recomb(json(q.rc));
  if (has('mo')) img = img.modulate(json(q.mo));
  if (has('t')) img = img.tint(colour(q.t));
  if (has('g') && bool(q.g)) img = img.greyscale();
  if (has('pc')) img = img.pipelineColourspace(value(q.pc));
  if (has('tc')) img = img.toColourspace(value(q.tc));
  if (has('ra') && bool(q.ra)) img = img.removeAlpha();
  if (has('ea')) img = img.ensureAlpha(q.ea === '' ? 1 : num(q.ea));
  if (has('ec')) img = img.extractChannel(value(q.ec));
  if (has('jc')) img = img.joinChannel(json(q.jc).map((k) => path.join(operandRoot, k)));
  if (has('bb')) img = img.bandbool(value(q.bb));
  if (has('wm')) {
    img = img.composite([{ input: path.join(watermarks, value(q.wm)), gravity: has('gr') ? value(q.gr) : 'southwest' }]);
  }
  const format = has('fm') ? value(q.fm) : path.extname(output).slice(1).toLowerCase();
  const options = {};
  if (has('q')) options.quality = num(q.q);
  if (has('ll')) options.lossless = bool(q.ll);
  img = img.toFormat(format === 'jpg' ? 'jpeg' : format, options);
  const info = await img.toFile(output);
  console.log(JSON.stringify({ width: info.width, height: info.height, channels: info.channels, format: info.format, size: info.size }));
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
