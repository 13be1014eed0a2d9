#!/usr/bin/env node
// AVIF quality against Sharp: the same resized picture encoded by Sharp (libheif + libaom,
// effort 4) and by ours, each scored by SSIM against that picture before compression.
//
//   node tools/sharp/avif-quality.js refs <out-dir> <image>:<width> ...
//       writes <out-dir>/<name>.png (Sharp's resize, lossless: the reference) and, for each
//       Sharp q in SHARP_Q, <out-dir>/<name>.sharp-q<q>.avif; prints one JSON line each.
//   node tools/sharp/avif-quality.js score <reference.png> <file.avif> ...
//       prints {file, bytes, ssim, luma_ssim, alpha_ssim} per AVIF (decoded by Sharp).
//   node tools/sharp/avif-quality.js fixture <dir> <q,...> <image>:<width> ...
//       the committed test's inputs: <dir>/<name>.png as in `refs` and <dir>/sharp.json
//       with Sharp's bytes and SSIM at each q (its AVIFs are not kept).
//
// SSIM: 8×8 windows, stride 4, C1/C2 for 255 levels, as `ssim_rgb` in
// handler/src/codecs/avif/quality_tests.rs: `ssim` is the mean of the R, G and B planes,
// each composited over mid grey by its alpha; `luma_ssim` is BT.601 luma; `alpha_ssim`
// the alpha plane (1 when opaque).
'use strict';
const fs = require('fs');
const path = require('path');
const sharp = require(process.env.SHARP_MODULE || 'sharp');

const SHARP_Q = [30, 50, 65, 80];

async function rgba(file) {
  const { data, info } = await sharp(file).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, w: info.width, h: info.height };
}

function ssimPlane(a, b, w, h) {
  const WIN = 8, STRIDE = 4, C1 = (0.01 * 255) ** 2, C2 = (0.03 * 255) ** 2;
  let total = 0, count = 0;
  for (let y = 0; y + WIN <= h; y += STRIDE) {
    for (let x = 0; x + WIN <= w; x += STRIDE) {
      let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
      for (let j = y; j < y + WIN; j++) {
        for (let i = x; i < x + WIN; i++) {
          const pa = a[j * w + i], pb = b[j * w + i];
          sa += pa; sb += pb; saa += pa * pa; sbb += pb * pb; sab += pa * pb;
        }
      }
      const n = WIN * WIN, ma = sa / n, mb = sb / n;
      const va = Math.max(saa / n - ma * ma, 0), vb = Math.max(sbb / n - mb * mb, 0);
      const cov = sab / n - ma * mb;
      total += ((2 * ma * mb + C1) * (2 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
      count++;
    }
  }
  return total / count;
}

// Plane `c` (0–2 colour over grey, 3 alpha, 4 luma over grey) as floats.
function plane(img, c) {
  const n = img.w * img.h, out = new Float64Array(n), d = img.data;
  for (let i = 0; i < n; i++) {
    const a = d[4 * i + 3] / 255;
    const over = (v) => v * a + 128 * (1 - a);
    if (c < 3) out[i] = over(d[4 * i + c]);
    else if (c === 3) out[i] = d[4 * i + 3];
    else out[i] = over(0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2]);
  }
  return out;
}

async function score(reference, file) {
  const ref = await rgba(reference), got = await rgba(file);
  if (ref.w !== got.w || ref.h !== got.h) throw new Error(`${file}: size differs`);
  const s = (c) => ssimPlane(plane(ref, c), plane(got, c), ref.w, ref.h);
  const ssim = (s(0) + s(1) + s(2)) / 3;
  const round = (v) => Math.round(v * 1e5) / 1e5;
  return { file: path.basename(file), bytes: fs.statSync(file).size, ssim: round(ssim), luma_ssim: round(s(4)), alpha_ssim: round(s(3)) };
}

// Sharp's resize of each `<image>:<width>` as a lossless PNG in outDir, then Sharp's AVIF of
// that PNG at each q, scored; `keep` false deletes the AVIFs.
async function refs(outDir, specs, qualities, keep) {
  fs.mkdirSync(outDir, { recursive: true });
  const rows = [];
  for (const spec of specs) {
    const [image, width] = spec.split(':');
    const name = path.basename(image).replace(/\.[^.]+$/, '') + `.w${width}`;
    const reference = path.join(outDir, `${name}.png`);
    await sharp(image).resize({ width: Number(width), withoutEnlargement: true }).png().toFile(reference);
    for (const q of qualities) {
      const file = path.join(outDir, `${name}.sharp-q${q}.avif`);
      const start = process.hrtime.bigint();
      await sharp(reference).avif({ quality: q }).toFile(file);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      const row = { image: name, q, ms: Math.round(ms), ...(await score(reference, file)) };
      rows.push(row);
      console.log(JSON.stringify(row));
      if (!keep) fs.unlinkSync(file);
    }
  }
  return rows;
}

async function fixture(dir, qualities, specs) {
  const rows = await refs(dir, specs, qualities, false);
  const cases = rows.map(({ image, q, bytes, ssim }) => ({ image: `${image}.png`, q, bytes, ssim }));
  const note = 'Sharp 0.35.5 AVIF (libheif + libaom, effort 4) of each PNG: bytes and colour SSIM against the PNG; written by tools/sharp/avif-quality.js fixture';
  fs.writeFileSync(path.join(dir, 'sharp.json'), JSON.stringify({ note, cases }, null, 1) + '\n');
}

const [mode, ...rest] = process.argv.slice(2);
(async () => {
  const list = (arg) => arg.split(',').map(Number);
  if (mode === 'refs' && rest.length >= 2) await refs(rest[0], rest.slice(1), SHARP_Q, true);
  else if (mode === 'fixture' && rest.length >= 3) await fixture(rest[0], list(rest[1]), rest.slice(2));
  else if (mode === 'score' && rest.length >= 2) {
    for (const file of rest.slice(1)) console.log(JSON.stringify(await score(rest[0], file)));
  } else {
    console.error('usage: avif-quality.js refs <out-dir> <image>:<width> ... | score <reference.png> <file.avif> ... | fixture <dir> <q,...> <image>:<width> ...');
    process.exit(2);
  }
})().catch((e) => { console.error(e.message); process.exit(1); });
