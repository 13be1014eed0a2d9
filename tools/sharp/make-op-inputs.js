// Builds the op test inputs (handler/tests/fixtures/ops-photo*.png) from a sample photo:
// identical bytes for Sharp and for us. usage: node tools/sharp/make-op-inputs.js handler/tests/fixtures
'use strict';
const sharp = require('sharp');
const out = process.argv[2];
(async () => {
  const photo = await sharp(require('path').join(__dirname, '..', '..', 'assets', 'samples', 'Landscape_8.jpg')).rotate()
    .resize({ width: 128 }).png({ compressionLevel: 9 }).toFile(`${out}/ops-photo.png`);
  console.log(photo);
  // Same photo with a left-to-right alpha ramp.
  const { data, info } = await sharp(`${out}/ops-photo.png`).ensureAlpha().raw()
    .toBuffer({ resolveWithObject: true });
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++)
      data[(y * info.width + x) * 4 + 3] = Math.round(255 * x / (info.width - 1));
  console.log(await sharp(data, { raw: info }).png({ compressionLevel: 9 })
    .toFile(`${out}/ops-photo-alpha.png`));
})();
