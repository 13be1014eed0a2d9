#!/usr/bin/env node
// Makes the CMYK fixtures of handler/tests/icc.rs with Sharp 0.35.5 (libvips 8.18.7 + lcms2):
//   handler/tests/fixtures/icc/photo.png                 the sRGB input of the tc=cmyk cases
//   handler/tests/fixtures/sharp/icc-tc-cmyk-jpeg.png    Sharp's `tc=cmyk&fm=jpeg&q=95`, read back to sRGB
//   handler/tests/fixtures/sharp/icc-tc-cmyk-tiff.png    Sharp's `tc=cmyk&fm=tiff` (uncompressed), read back
//   handler/tests/fixtures/icc/photo-saturated.png       the same, colours saturated 2.5× (for PNG)
//   handler/tests/fixtures/sharp/icc-tc-cmyk-png.png     Sharp's `tc=cmyk&fm=png` of it (sRGB after CMYK and back)
//   handler/tests/fixtures/icc/cmyk-no-profile.jpg/.tif  real CMYK files without a profile (Sharp's
//                                                        CMYK output has none), JPEG q92, TIFF uncompressed
//   handler/tests/fixtures/sharp/icc-cmyk-no-profile-{jpg,tif}.png  Sharp's sRGB rendering of those
// Sharp reads its own profile-less CMYK back through libvips' fallback CMYK profile, the
// one it separated with, so the read-back PNGs are the colours Sharp meant.
// The photo is assets/samples/Landscape_6.jpg (MIT, see handler/tests/fixtures/icc/ATTRIBUTION.md).
//
// usage: node tools/sharp/make-cmyk-fixtures.js
'use strict';
const fs = require('fs');
const path = require('path');
const sharp = require(process.env.SHARP_MODULE || 'sharp');

const root = path.join(__dirname, '..', '..');
const source = path.join(root, 'assets', 'samples', 'Landscape_6.jpg');
const icc = path.join(root, 'handler', 'tests', 'fixtures', 'icc');
const refs = path.join(root, 'handler', 'tests', 'fixtures', 'sharp');

async function readBack(buffer, name) {
  await sharp(buffer).png().toFile(path.join(refs, name));
}

async function main() {
  const photo = path.join(icc, 'photo.png');
  // Upright and small; no profile, so both sides start from the same sRGB pixels.
  await sharp(source).rotate().resize(200).png().toFile(photo);
  const cmyk = () => sharp(photo).toColourspace('cmyk');

  await readBack(await cmyk().jpeg({ quality: 95 }).toBuffer(), 'icc-tc-cmyk-jpeg.png');
  await readBack(await cmyk().tiff({ compression: 'none' }).toBuffer(), 'icc-tc-cmyk-tiff.png');
  // PNG: a saturated photo, so the CMYK round trip (gamut clipping) shows.
  const saturated = path.join(icc, 'photo-saturated.png');
  await sharp(source).rotate().resize(160).modulate({ saturation: 2.5 }).png().toFile(saturated);
  await sharp(saturated).toColourspace('cmyk').png().toFile(path.join(refs, 'icc-tc-cmyk-png.png'));

  const smaller = () => sharp(photo).resize(160).toColourspace('cmyk');
  const inputs = {
    'cmyk-no-profile.jpg': await smaller().jpeg({ quality: 92 }).toBuffer(),
    'cmyk-no-profile.tif': await smaller().tiff({ compression: 'none' }).toBuffer(),
  };
  for (const [name, bytes] of Object.entries(inputs)) {
    fs.writeFileSync(path.join(icc, name), bytes);
    const stem = name.replace('.', '-');
    await readBack(bytes, `icc-${stem}.png`);
    const meta = await sharp(bytes).metadata();
    console.log(name, meta.width, meta.height, meta.space, meta.channels, 'profile:', !!meta.hasProfile);
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
