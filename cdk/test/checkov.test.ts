// The committed checkov skip list: every global skip has its reason, and no check that depends on
// a stage's settings is skipped globally (those are suppressed per resource in lib/nag.ts, only
// where the setting is off, so they still fire on stages that should pass them).
import * as fs from 'node:fs';
import * as path from 'node:path';

const text = fs.readFileSync(path.join(__dirname, '..', 'checkov.yaml'), 'utf8');
const entries = [...text.matchAll(/^ {2}- (\S+)(?: # (.*))?$/gm)].map((m) => ({ id: m[1], reason: m[2] ?? '' }));

test('checkov.yaml runs offline on CloudFormation and lists its skips', () => {
  expect(text).toMatch(/^skip-download: true$/m);
  expect(text).toMatch(/^framework:\n {2}- cloudformation$/m);
  expect(entries.filter((e) => e.id.startsWith('CKV')).length).toBeGreaterThan(0);
});

test('every global skip is a check id with a one-line reason', () => {
  const skips = entries.filter((e) => e.id !== 'cloudformation');
  for (const e of skips) {
    expect(e.id).toMatch(/^CKV2?_AWS_\d+$/);
    expect([e.id, e.reason.length > 40]).toEqual([e.id, true]);
  }
  expect(new Set(skips.map((e) => e.id)).size).toBe(skips.length);
});

test('settings-dependent checks are never skipped globally', () => {
  // Access logs (S3, API, CloudFront), bucket versioning, WAF, tracing, reserved concurrency.
  const perStage = ['CKV_AWS_18', 'CKV_AWS_21', 'CKV_AWS_68', 'CKV_AWS_73', 'CKV_AWS_76', 'CKV_AWS_86', 'CKV_AWS_115'];
  for (const id of perStage) expect(entries.map((e) => e.id)).not.toContain(id);
});
