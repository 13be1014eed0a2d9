// Inputs for `uf` (unflatten), the operation added by following handler/src/ops/README.md.
// From the repo root:
//   node tools/sharp/make-unflatten-inputs.js handler/tests/fixtures
// Writes unflatten-logo.png (RGB) and unflatten-logo-alpha.png (RGBA); the references
// come from their rows in handler/tests/fixtures/ops-cases.json (make-references.sh).
const path = require('path');
const sharp = require('sharp'); // tools/sharp/node_modules

const out = path.resolve(process.argv[2] || 'handler/tests/fixtures');
const input = (name) => path.join(out, name);

// A logo on white: pure white, near-whites one level off in each channel (they must stay
// opaque), a grey band, and colour. Drawn pixel by pixel so the input is exact.
function logo(width, height, withAlpha) {
  const channels = withAlpha ? 4 : 3;
  const px = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let c = [255, 255, 255];
      const dx = x - 20, dy = y - 24;
      if (dx * dx + dy * dy < 144) c = [220, 30, 40];
      else if (y < 4) c = [[255, 255, 254], [254, 255, 255], [255, 254, 255]][x % 3];
      else if (x >= 40 && x < 48) c = [250, 250, 250];
      else if (x >= 52) c = [(x * 37) % 256, (y * 53) % 256, 255];
      const i = (y * width + x) * channels;
      px[i] = c[0]; px[i + 1] = c[1]; px[i + 2] = c[2];
      if (withAlpha) px[i + 3] = y >= 40 ? 128 : 255;
    }
  }
  return sharp(px, { raw: { width, height, channels } });
}

async function main() {
  await logo(64, 48, false).png().toFile(input('unflatten-logo.png'));
  await logo(64, 48, true).png().toFile(input('unflatten-logo-alpha.png'));
}

main().catch((e) => { console.error(e); process.exit(1); });
