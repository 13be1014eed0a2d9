// Sharp reference images for the colour, channel and compositing operations
// (issue 4). From the repo root:
//   node tools/sharp/reference-ops-b.js handler/tests/fixtures assets/watermarks
// Writes the shared inputs (colour-photo.png, colour-photo-alpha.png, colour-operand.png, colour-mask.png,
// colour-small.png)
// and sharp/<op>-<case>.png made by Sharp from exactly those inputs.
const path = require('path');
const fs = require('fs');
const sharp = require('sharp'); // tools/sharp/node_modules

const out = path.resolve(process.argv[2] || 'handler/tests/fixtures');
const wm = path.resolve(process.argv[3] || 'assets/watermarks');
const samples = path.join(__dirname, '..', '..', 'assets', 'samples');
const ref = (name) => path.join(out, 'sharp', name);
const input = (name) => path.join(out, name);

async function main() {
  fs.mkdirSync(path.join(out, 'sharp'), { recursive: true });
  // Inputs: upright, small, PNG so both sides decode identical pixels.
  await sharp(path.join(samples, 'Landscape_8.jpg')).rotate().resize(128).png().toFile(input('colour-photo.png'));
  const { width, height } = await sharp(input('colour-photo.png')).metadata();
  await sharp(path.join(samples, 'Landscape_6.jpg')).rotate().resize(width, height).png().toFile(input('colour-operand.png'));
  await sharp(input('colour-photo.png')).extract({ left: 32, top: 24, width: 64, height: 48 }).png().toFile(input('colour-small.png'));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
    <defs><radialGradient id="g"><stop offset="0" stop-color="#fff"/><stop offset="0.6" stop-color="#f0f0f0"/>
    <stop offset="1" stop-color="#000"/></radialGradient></defs>
    <rect width="100%" height="100%" fill="#000"/><ellipse cx="50%" cy="50%" rx="45%" ry="45%" fill="url(#g)"/></svg>`;
  await sharp(Buffer.from(svg)).removeAlpha().toColourspace('b-w').png().toFile(input('colour-mask.png'));
  // Colour with soft transparency: the operand photo with the mask as alpha.
  await sharp(input('colour-operand.png')).joinChannel(input('colour-mask.png')).png().toFile(input('colour-photo-alpha.png'));

  const L = () => sharp(input('colour-photo.png'));
  const A = () => sharp(input('colour-photo-alpha.png'));
  const jobs = {
    'greyscale-landscape': L().greyscale(),
    'greyscale-alpha': A().greyscale(),
    'tint-landscape': L().tint({ r: 255, g: 16, b: 240 }),
    'tint-alpha': A().tint({ r: 0, g: 128, b: 255 }),
    'ra-alpha': A().removeAlpha(),
    'ea-landscape': L().ensureAlpha(0.5),
    'ea-alpha': A().ensureAlpha(0.1),
    'ec-red-landscape': L().extractChannel('red'),
    'ec-green-landscape': L().extractChannel('green'),
    'ec-alpha-alpha': A().extractChannel('alpha'),
    'bb-and-landscape': L().bandbool('and'),
    'bb-or-landscape': L().bandbool('or'),
    'bb-eor-landscape': L().bandbool('eor'),
    'bb-eor-alpha': A().bandbool('eor'),
    'bo-and-mask-landscape': L().boolean(input('colour-mask.png'), 'and'),
    'bo-eor-operand-landscape': L().boolean(input('colour-operand.png'), 'eor'),
    'bo-or-operand-landscape': L().boolean(input('colour-operand.png'), 'or'),
    'jc-mask-landscape': L().joinChannel(input('colour-mask.png')),
    'jc-operand-landscape': L().joinChannel(input('colour-operand.png')),
    'tc-bw-landscape': L().toColourspace('b-w'),
    'tc-grey16-landscape': L().toColourspace('grey16'),
    'tc-rgb16-small': sharp(input('colour-small.png')).toColourspace('rgb16'),
    'tc-bw-alpha': A().toColourspace('b-w'),
    'pc-bw-landscape': L().pipelineColourspace('b-w'),
    'pc-grey16-landscape': L().pipelineColourspace('grey16'),
    'composite-center-alpha': A().composite([{ input: path.join(wm, 'corner.png'), gravity: 'center' }]),
  };
  // Four gravities cover the corner, edge and centre rounding; canvas::offset has the rest.
  for (const g of ['northeast', 'south', 'southwest', 'center']) {
    jobs[`composite-${g}-landscape`] = L().composite([{ input: path.join(wm, 'corner.png'), gravity: g }]);
  }
  // pc=rgb16 gives exactly the input (checked in our tests), so no file of its own.
  for (const [name, pipeline] of Object.entries(jobs)) {
    const info = await pipeline.png({ compressionLevel: 9 }).toFile(ref(`${name}.png`));
    console.log(name, `${info.width}x${info.height}`, info.channels, info.size);
  }
  // Needs the b-w reference as its input: grey + two masks = RGB.
  const info = await sharp(ref('tc-bw-landscape.png')).joinChannel([input('colour-mask.png'), input('colour-mask.png')])
    .png({ compressionLevel: 9 }).toFile(ref('jc-grey-two-masks.png'));
  console.log('jc-grey-two-masks', `${info.width}x${info.height}`, info.channels, info.size);
}

main().catch((e) => { console.error(e); process.exit(1); });
