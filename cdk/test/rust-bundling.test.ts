// The normal deploy path: without lambdaAsset, synth runs bin/package --out <asset dir>.
// Jest cannot afford the real build, so IMAGE_SERVICE_PACKAGE_SCRIPT points at stand-ins
// that record how they were called and write a package; the real build is synthesized by
// bin/test-synth-real (run by bin/test), which checks the asset holds the aarch64 bootstrap.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_SCRIPT, PACKAGE_SCRIPT_ENV, REPO_ROOT } from '../lib/lambda-package';
import { DEFAULT_PRESETS_FILE } from '../lib/config';
import { fixtures, serviceFunction, synth } from './helpers';

const dir = path.join(fixtures.root, 'fake-package');
const callsLog = path.join(dir, 'calls.txt');

/** Writes an executable stand-in for bin/package with this body (after arg parsing). */
function standIn(name: string, body: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `#!/usr/bin/env bash
set -e
echo "$PWD :: $*" >> ${JSON.stringify(callsLog)}
[ "$1" = --out ] && [ -n "$2" ] && [ $# = 2 ] || exit 64
out=$2
${body}
`, { mode: 0o755 });
  return file;
}

const writesPackage = `mkdir -p "$out/assets/watermarks"
printf 'stand-in bootstrap\\n' > "$out/bootstrap"
chmod 755 "$out/bootstrap"
printf 'png' > "$out/assets/watermarks/logo.png"
printf 'zip' > "$out.zip"`;

function calls(): string[] {
  return fs.existsSync(callsLog) ? fs.readFileSync(callsLog, 'utf8').trim().split('\n') : [];
}

function withScript<T>(script: string, f: () => T): T {
  const before = process.env[PACKAGE_SCRIPT_ENV];
  process.env[PACKAGE_SCRIPT_ENV] = script;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env[PACKAGE_SCRIPT_ENV];
    else process.env[PACKAGE_SCRIPT_ENV] = before;
  }
}

beforeEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
});

test('the default package command is bin/package, and it is executable', () => {
  expect(PACKAGE_SCRIPT).toBe(path.join(REPO_ROOT, 'bin', 'package'));
  fs.accessSync(PACKAGE_SCRIPT, fs.constants.X_OK);
});

test('synth without lambdaAsset runs the package script once with --out <asset dir> and ships what it wrote', () => {
  const out = withScript(standIn('package', writesPackage), () => synth('dev', { lambdaAsset: '' }));

  const recorded = calls();
  expect(recorded).toHaveLength(1);
  const [cwd, args] = recorded[0].split(' :: ');
  expect(cwd).toBe(REPO_ROOT);
  const m = /^--out (\S+)$/.exec(args);
  expect(m).not.toBeNull();

  const [, fn] = serviceFunction(out.template);
  expect(fn.Properties.Architectures).toEqual(['arm64']);
  expect(fn.Properties.Runtime).toBe('provided.al2023');
  expect(fn.Properties.Handler).toBe('bootstrap');
  const asset = path.join(out.outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
  expect(fs.readFileSync(path.join(asset, 'bootstrap'), 'utf8')).toBe('stand-in bootstrap\n');
  expect(fs.statSync(path.join(asset, 'bootstrap')).mode & 0o111).not.toBe(0);
  expect(fs.readdirSync(path.join(asset, 'assets', 'watermarks'))).toEqual(['logo.png']);
  // The stage's presets file is added beside what the script wrote (IMAGE_SERVICE_PRESETS).
  expect(fs.readFileSync(path.join(asset, 'presets.json'), 'utf8')).toBe(fs.readFileSync(DEFAULT_PRESETS_FILE, 'utf8'));
  // The script was told to write where CDK then took the asset from (its bundling dir),
  // and the zip bin/package writes beside its output does not stay in the cloud assembly.
  expect(path.dirname(m![1])).toBe(out.outdir);
  expect(fs.existsSync(`${m![1]}.zip`)).toBe(false);
  expect(fs.readdirSync(out.outdir).filter((f) => f.endsWith('.zip'))).toEqual([]);
});

test('a failing package build fails the synth, naming the script and its exit status', () => {
  const script = standIn('package-fails', 'echo "cargo: could not compile" >&2; exit 3');
  expect(() => withScript(script, () => synth('dev', { lambdaAsset: '' }))).toThrow(/package-fails --out .* failed \(exit status 3\)/);
});

test('a package without a bootstrap or without watermarks fails the synth', () => {
  const noBootstrap = standIn('package-no-bootstrap', 'mkdir -p "$out/assets/watermarks"; printf png > "$out/assets/watermarks/logo.png"');
  expect(() => withScript(noBootstrap, () => synth('dev', { lambdaAsset: '' }))).toThrow(/did not write .*bootstrap/);
  const noWatermarks = standIn('package-no-watermarks', 'printf x > "$out/bootstrap"');
  expect(() => withScript(noWatermarks, () => synth('dev', { lambdaAsset: '' }))).toThrow(/did not write any watermark/);
});

test('with lambdaAsset nothing is built', () => {
  const script = standIn('package-must-not-run', 'exit 1');
  const out = withScript(script, () => synth('dev'));
  expect(calls()).toEqual([]);
  const [, fn] = serviceFunction(out.template);
  const asset = path.join(out.outdir, `asset.${String(fn.Properties.Code.S3Key).replace(/\.zip$/, '')}`);
  expect(fs.readFileSync(path.join(asset, 'bootstrap'), 'utf8')).toBe(fs.readFileSync(path.join(fixtures.lambdaAsset, 'bootstrap'), 'utf8'));
});
