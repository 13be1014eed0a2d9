// Builds the op test inputs (handler/tests/fixtures/ops-photo*.png, ops-landscape.png) from
// sample photos:
// identical bytes for Sharp and for us. usage: node tools/sharp/make-op-inputs.js handler/tests/fixtures
'use strict';
const sharp = require('sharp');
const out = process.argv[2];
(async () => {
  const photo = await sharp(require('path').join(__dirname, '..', '..', 'assets', 'samples', 'Landscape_8.jpg')).rotate()
    .resize({ width: 128 }).png({ compressionLevel: 9 }).toFile(`${out}/ops-photo.png`);
  console.log(photo);
  // A second, larger real photo (its own colours and contrast) for the colour ops.
  console.log(await sharp(require('path').join(__dirname, '..', '..', 'assets', 'samples', 'Landscape_6.jpg'))
    .rotate().resize({ width: 200 }).png({ compressionLevel: 9 }).toFile(`${out}/ops-landscape.png`));
  // Same photo with a left-to-right alpha ramp.
  const { data, info } = await sharp(`${out}/ops-photo.png`).ensureAlpha().raw()
    .toBuffer({ resolveWithObject: true });
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++)
      data[(y * info.width + x) * 4 + 3] = Math.round(255 * x / (info.width - 1));
  console.log(await sharp(data, { raw: info }).png({ compressionLevel: 9 })
    .toFile(`${out}/ops-photo-alpha.png`));
  // Greyscale trim input: nested frames 6, 8, 28 and 138 levels from the top-left
  // pixel (198), a ±2 texture and one dark speck near the corner.
  const w = 64, h = 48, grey = Buffer.alloc(w * h);
  const inside = (x, y, x0, y0, x1, y1) => x >= x0 && x < x1 && y >= y0 && y < y1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let v = 200 + ((x * 7 + y * 13) % 5) - 2;
      if (inside(x, y, 8, 6, 56, 42)) v = 192;
      if (inside(x, y, 14, 10, 50, 38)) v = 190;
      if (inside(x, y, 20, 16, 44, 32)) v = 170;
      if (inside(x, y, 26, 20, 38, 28)) v = 60;
      grey[y * w + x] = v;
    }
  grey[2 * w + 2] = 100;
  console.log(await sharp(grey, { raw: { width: w, height: h, channels: 1 } }).toColourspace('b-w')
    .png({ compressionLevel: 9 }).toFile(`${out}/trim-grey.png`));
})();
