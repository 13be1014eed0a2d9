// TIFF fixtures and Sharp 0.35.5 references for handler/tests/tiff_decode.rs:
//  - grey-alpha-8.tif / grey-alpha-16.tif: grey+alpha written by libvips (Sharp) from
//    raw samples drawn here, and Sharp's decode of each as <file>.sharp.png;
//  - <float grey file>.linear.png: Sharp's decode of the same samples stored as float RGB
//    (R = G = B, written by the small TIFF writer below), i.e. the float grey read as
//    linear light the way libvips reads float RGB (Sharp itself casts float grey to 8
//    bits, which makes 0..1 black: see handler/src/differences.rs).
//
// usage: node tools/sharp/make-tiff-fixtures.js
"use strict";
const fs = require("fs");
const path = require("path");
const sharp = require("sharp");

const dir = path.join(__dirname, "../../handler/tests/fixtures/tiff");

// Uncompressed little-endian float RGB TIFF, one strip.
function floatRgbTiff(width, height, rgb) {
  const entries = [
    [256, 4, 1, width],
    [257, 4, 1, height],
    [258, 3, 3, null], // 32, 32, 32 (stored after the IFD)
    [259, 3, 1, 1],
    [262, 3, 1, 2],
    [273, 4, 1, null], // strip offset
    [277, 3, 1, 3],
    [278, 4, 1, height],
    [279, 4, 1, rgb.length * 4],
    [339, 3, 3, null], // 3, 3, 3 (IEEE float)
  ];
  const ifdAt = 8;
  const ifdLen = 2 + entries.length * 12 + 4;
  const bitsAt = ifdAt + ifdLen;
  const formatAt = bitsAt + 6;
  const dataAt = formatAt + 6;
  const out = Buffer.alloc(dataAt + rgb.length * 4);
  out.write("II", 0);
  out.writeUInt16LE(42, 2);
  out.writeUInt32LE(ifdAt, 4);
  out.writeUInt16LE(entries.length, ifdAt);
  entries.forEach(([tag, type, count, value], i) => {
    const at = ifdAt + 2 + i * 12;
    out.writeUInt16LE(tag, at);
    out.writeUInt16LE(type, at + 2);
    out.writeUInt32LE(count, at + 4);
    const v = tag === 258 ? bitsAt : tag === 339 ? formatAt : tag === 273 ? dataAt : value;
    if (type === 3 && count === 1) out.writeUInt16LE(v, at + 8);
    else out.writeUInt32LE(v, at + 8);
  });
  for (let i = 0; i < 3; i++) {
    out.writeUInt16LE(32, bitsAt + 2 * i);
    out.writeUInt16LE(3, formatAt + 2 * i);
  }
  rgb.forEach((v, i) => out.writeFloatLE(v, dataAt + 4 * i));
  return out;
}

async function greyAlpha(bits) {
  const [w, h] = [48, 32];
  const max = bits === 16 ? 65535 : 255;
  const samples = bits === 16 ? new Uint16Array(w * h * 2) : new Uint8Array(w * h * 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      samples[2 * (y * w + x)] = Math.round(((x * 7 + y * 3) % 48) / 47 * max);
      samples[2 * (y * w + x) + 1] = Math.round(Math.min(1, (x + y) / 40) * max);
    }
  }
  const file = path.join(dir, `grey-alpha-${bits}.tif`);
  await sharp(samples, { raw: { width: w, height: h, channels: 2 } })
    .toColourspace(bits === 16 ? "grey16" : "b-w")
    .tiff({ compression: "lzw" })
    .toFile(file);
  await sharp(file).png().toFile(`${file}.sharp.png`);
  return file;
}

async function floatGreyAsLinear(name) {
  const file = path.join(dir, name);
  // Float b-w samples come out of Sharp unchanged (replicated into three bands).
  const { data, info } = await sharp(file)
    .raw({ depth: "float" })
    .toBuffer({ resolveWithObject: true });
  const rgb = new Float32Array(data.buffer, data.byteOffset, data.length / 4);
  const tiff = floatRgbTiff(info.width, info.height, rgb);
  await sharp(tiff).png().toFile(`${file}.linear.png`);
}

(async () => {
  for (const bits of [8, 16]) console.log(await greyAlpha(bits));
  for (const name of ["gradient-1c-32b-float.tiff", "predictor-3-gray-f32.tif"]) {
    await floatGreyAsLinear(name);
    console.log(name);
  }
})();
