// Writes small GIFs whose frames reach past the logical screen (our own hand-written GIF
// writer below, no third-party content) to handler/tests/fixtures/gif/, and Sharp
// 0.35.5's decode of each to handler/tests/fixtures/sharp/gif-<name>.png: all frames
// (`animated: true`), stacked top to bottom as libvips returns them.
//
// usage: node tools/sharp/make-gif-screen.js
"use strict";
const fs = require("fs");
const path = require("path");
const sharp = require("sharp");

const root = path.join(__dirname, "../../handler/tests/fixtures");

// LZW with 8-bit literals only: a clear code every 200 literals keeps codes 9 bits wide,
// so no dictionary is needed (valid, just not compact).
function lzw(indices) {
  const out = [];
  let acc = 0;
  let nbits = 0;
  const put = (code) => {
    acc |= code << nbits;
    nbits += 9;
    for (; nbits >= 8; nbits -= 8, acc >>>= 8) out.push(acc & 255);
  };
  indices.forEach((index, i) => {
    if (i % 200 === 0) put(256);
    put(index);
  });
  put(257);
  if (nbits > 0) out.push(acc & 255);
  const blocks = [8];
  for (let i = 0; i < out.length; i += 255) {
    const chunk = out.slice(i, i + 255);
    blocks.push(chunk.length, ...chunk);
  }
  blocks.push(0);
  return blocks;
}

const u16 = (v) => [v & 255, v >> 8];

// frames: {x, y, w, h, pixels(x, y) → palette index, transparent?, disposal?}
function gif(screenW, screenH, palette, frames) {
  const bytes = [...Buffer.from("GIF89a"), ...u16(screenW), ...u16(screenH), 0xf7, 0, 0];
  for (let i = 0; i < 256; i++) bytes.push(...(palette[i] || [0, 0, 0]));
  if (frames.length > 1) {
    bytes.push(0x21, 0xff, 11, ...Buffer.from("NETSCAPE2.0"), 3, 1, 0, 0, 0);
  }
  for (const f of frames) {
    const packed = ((f.disposal || 1) << 2) | (f.transparent === undefined ? 0 : 1);
    bytes.push(0x21, 0xf9, 4, packed, ...u16(10), f.transparent || 0, 0);
    bytes.push(0x2c, ...u16(f.x), ...u16(f.y), ...u16(f.w), ...u16(f.h), 0);
    const indices = [];
    for (let y = 0; y < f.h; y++) for (let x = 0; x < f.w; x++) indices.push(f.pixels(x, y));
    bytes.push(...lzw(indices));
  }
  bytes.push(0x3b);
  return Buffer.from(bytes);
}

// A 64-colour ramp, so that a frame shifted or clipped shows.
const palette = [];
for (let i = 0; i < 64; i++) palette.push([(i & 3) * 85, ((i >> 2) & 3) * 85, (i >> 4) * 85]);
const pattern = (seed) => (x, y) => (x * 5 + y * 3 + seed) % 63;

const cases = {
  // One frame, placed off the origin, reaching past the screen on both axes.
  "still-past-screen": gif(24, 16, palette, [{ x: 9, y: 5, w: 22, h: 17, pixels: pattern(0) }]),
  // The same with a transparent colour (index 63) in a column.
  "still-past-screen-alpha": gif(24, 16, palette, [
    { x: 9, y: 5, w: 22, h: 17, transparent: 63, pixels: (x, y) => (x === 4 ? 63 : pattern(1)(x, y)) },
  ]),
  // The first frame grows the canvas; the second reaches further and is clipped to it.
  "anim-first-past-screen": gif(24, 16, palette, [
    { x: 3, y: 2, w: 28, h: 20, pixels: pattern(2) },
    { x: 12, y: 9, w: 30, h: 30, pixels: pattern(3) },
    { x: 0, y: 0, w: 5, h: 5, pixels: pattern(4) },
  ]),
  // The first frame fits; a later one reaching past the screen is clipped to it.
  "anim-later-past-screen": gif(24, 16, palette, [
    { x: 0, y: 0, w: 24, h: 16, pixels: pattern(5) },
    { x: 15, y: 10, w: 20, h: 12, pixels: pattern(6) },
  ]),
};

(async () => {
  fs.mkdirSync(path.join(root, "gif"), { recursive: true });
  for (const [name, bytes] of Object.entries(cases)) {
    fs.writeFileSync(path.join(root, "gif", `${name}.gif`), bytes);
    const out = path.join(root, "sharp", `gif-${name}.png`);
    const info = await sharp(bytes, { animated: true }).png().toFile(out);
    console.log(name, info.width, info.height, info.channels, info.pageHeight || "");
  }
})();
