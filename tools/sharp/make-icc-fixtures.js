#!/usr/bin/env node
// Makes the colour-managed inputs of handler/tests/icc.rs with Sharp (libvips + lcms2) and
// Sharp's sRGB rendering of each, so the test compares our colour management with Sharp's:
//   handler/tests/fixtures/icc/<name>            the input (a real file written by libvips)
//   handler/tests/fixtures/sharp/icc-<stem>.png  Sharp's output for `fm=png` (`w=60&fm=png` for the animation)
// The source photo is assets/samples/Landscape_6.jpg (MIT); the ICC profiles are CC0
// (saucecontrol/Compact-ICC-Profiles, see handler/tests/fixtures/icc/ATTRIBUTION.md).
//
// usage: node tools/sharp/make-icc-fixtures.js <DisplayP3-v4.icc> <AdobeCompat-v4.icc> <CGATS001Compat-v2-micro.icc>
'use strict';
const path = require('path');
const sharp = require(process.env.SHARP_MODULE || 'sharp');

const [p3Profile, adobeProfile, cmykProfile] = process.argv.slice(2);
if (!p3Profile || !adobeProfile || !cmykProfile) {
  console.error('usage: make-icc-fixtures.js <DisplayP3-v4.icc> <AdobeCompat-v4.icc> <CGATS001Compat-v2-micro.icc>');
  process.exit(2);
}
const root = path.join(__dirname, '..', '..');
const photo = path.join(root, 'assets', 'samples', 'Landscape_6.jpg');
const gif = path.join(root, 'assets', 'samples', 'rotating-squares.gif');
const icc = path.join(root, 'handler', 'tests', 'fixtures', 'icc');
const refs = path.join(root, 'handler', 'tests', 'fixtures', 'sharp');

// A small upright crop with saturated colours, so a wrong profile moves them visibly.
const base = () => sharp(photo).rotate().resize(160).modulate({ saturation: 2.5 });

// Sharp embeds its own 1 MB CMYK profile; a compact one is spliced in instead, right
// after SOI, as one APP2 ICC_PROFILE marker.
async function withIcc(pipeline, profilePath) {
  const jpeg = await pipeline.toBuffer();
  const profile = require('fs').readFileSync(profilePath);
  const head = Buffer.from('ICC_PROFILE\0\x01\x01', 'latin1');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(2 + head.length + profile.length);
  const app2 = Buffer.concat([Buffer.from([0xff, 0xe2]), length, head, profile]);
  return Buffer.concat([jpeg.subarray(0, 2), app2, jpeg.subarray(2)]);
}

async function main() {
  const inputs = {
    'p3.jpg': base().withIccProfile(p3Profile).jpeg({ quality: 92 }),
    'adobe-rgb.jpg': base().withIccProfile(adobeProfile).jpeg({ quality: 92 }),
    'cmyk.jpg': withIcc(base().toColourspace('cmyk').jpeg({ quality: 92 }), cmykProfile),
    'p3-8bit.png': base().withIccProfile(p3Profile).png(),
    'p3-16bit.png': base().toColourspace('rgb16').withIccProfile(p3Profile).png(),
    'animated.webp': sharp(gif, { animated: true }).webp({ quality: 90 }),
  };
  for (const [name, made] of Object.entries(inputs)) {
    const file = path.join(icc, name);
    const output = await made;
    if (Buffer.isBuffer(output)) require('fs').writeFileSync(file, output);
    else await output.toFile(file);
    const stem = name.replace(/\.[a-z]+$/, '');
    const animated = name.endsWith('.webp');
    // Sharp's default output: colour-managed to sRGB, profile dropped; animated frames
    // stacked vertically.
    // Sharp 0.35.5 leaves the profile of a 16-bit input unapplied, so the 16-bit file
    // has no reference of its own: the test uses the 8-bit PNG's (icc-p3-png.png).
    if (stem !== 'p3-16bit') {
      const ref = sharp(file, { animated });
      if (animated) ref.resize(60);
      const refName = stem === 'p3-8bit' ? 'p3-png' : stem;
      await ref.png().toFile(path.join(refs, `icc-${refName}.png`));
    }
    const meta = await sharp(file).metadata();
    console.log(name, meta.width, meta.height, meta.space, meta.depth, meta.pages || 1, meta.hasProfile);
  }
}
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
