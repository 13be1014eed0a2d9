// The normal deploy path: RustFunction runs `cargo lambda build` during synth. A stand-in
// `cargo` on the PATH records its arguments and writes a bootstrap, so the whole bundling
// (command line, output layout, watermarks copied by the afterBundling hook) is exercised
// without Rust or cargo-lambda. Its own file: cargo-lambda-cdk caches "can cargo lambda run
// here" once per module instance.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fixtures, serviceFunction, synth } from './helpers';

// Jest gives each test file its own process.env, which child processes started without an
// explicit env do not see: hand it to them, so the stand-in cargo below is found.
jest.mock('child_process', () => {
  const real = jest.requireActual('child_process');
  return { ...real, spawnSync: (cmd: string, args: string[], opts?: object) => real.spawnSync(cmd, args, { env: process.env, ...opts }) };
});

const bin = path.join(fixtures.root, 'fake-cargo-bin');
const argsLog = path.join(fixtures.root, 'fake-cargo-args.txt');

beforeAll(() => {
  fs.mkdirSync(bin, { recursive: true });
  fs.writeFileSync(path.join(bin, 'cargo'), `#!/usr/bin/env bash
set -e
[ "$1" = lambda ] || exit 1
if [ "$2" = --version ]; then echo "cargo-lambda 1.9.2 (stand-in)"; exit 0; fi
echo "$PWD :: $*" >> ${JSON.stringify(argsLog)}
out=""
prev=""
for a in "$@"; do
  [ "$prev" = --lambda-dir ] && out="$a"
  prev="$a"
done
mkdir -p "$out"
printf '#!/bin/sh\\n' > "$out/bootstrap"
chmod 755 "$out/bootstrap"
`, { mode: 0o755 });
  process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
});

test('cargo lambda builds the image-service-lambda binary for arm64 (release) and the watermarks ship beside it', () => {
  const out = synth('dev', { lambdaAsset: '' });

  const calls = fs.readFileSync(argsLog, 'utf8').trim().split('\n');
  expect(calls).toHaveLength(1);
  const [cwd, args] = calls[0].split(' :: ');
  expect(cwd).toBe(path.resolve(__dirname, '..', '..', 'handler'));
  expect(args).toMatch(/^lambda build --lambda-dir \S+ --release --arm64 --bin image-service-lambda --flatten image-service-lambda$/);

  const [, fn] = serviceFunction(out.template);
  expect(fn.Properties.Architectures).toEqual(['arm64']);
  expect(fn.Properties.Runtime).toBe('provided.al2023');
  const dir = path.join(out.outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
  expect(fs.existsSync(path.join(dir, 'bootstrap'))).toBe(true);
  expect(fs.readdirSync(path.join(dir, 'assets', 'watermarks'))).toEqual(['logo.png']);
});
