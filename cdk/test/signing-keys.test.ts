// The edge copy of the signing keys: parsing the stage secret's signingKeys like the service,
// the update that makes the KeyValueStore equal to it, and the sync script's offline paths
// (the AWS calls themselves need an account: README, "Edge signing keys").
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeUpdate, parseSigningKeys, planKeyUpdate } from '../lib/signing-keys';

const S1 = '0123456789abcdef-one';
const S2 = '0123456789abcdef-two';

test('signingKeys parse as the service parses them (credentials.rs), errors never show a secret', () => {
  expect([...parseSigningKeys(` k1:${S1} , k2:${S2},`)]).toEqual([['k1', S1], ['k2', S2]]);
  // Secrets may contain ':'.
  expect(parseSigningKeys('a:0123:456789abcdef00').get('a')).toBe('0123:456789abcdef00');
  expect(parseSigningKeys('').size).toBe(0);
  const refusals: [string, RegExp][] = [
    ['k1:short', /'k1' is shorter than 16 bytes/],
    ['nosecret', /expected keyid:secret pairs/],
    [`bad id:${S1}`, /key id 'bad id'/],
    [`a:${S1},a:${S2}`, /'a' appears twice/],
    [`big:${'x'.repeat(1025)}`, /over the KeyValueStore's 1024 bytes/],
  ];
  for (const [value, why] of refusals) {
    expect(() => parseSigningKeys(value)).toThrow(why);
    try {
      parseSigningKeys(value);
    } catch (e) {
      expect((e as Error).message).not.toContain('0123456789abcdef');
    }
  }
});

test('the update puts new and changed keys and deletes revoked ones; an equal store needs nothing', () => {
  const keys = parseSigningKeys(`k1:${S1},k2:${S2}`);
  const update = planKeyUpdate(keys, [{ Key: 'k1', Value: S1 }, { Key: 'k2', Value: 'old-secret-000000' }, { Key: 'k0', Value: S1 }]);
  expect(update).toEqual({ puts: [{ Key: 'k2', Value: S2 }], deletes: [{ Key: 'k0' }] });
  expect(describeUpdate(update)).toBe('put k2; delete k0');
  expect(describeUpdate(update)).not.toContain(S2);
  expect(planKeyUpdate(keys, [{ Key: 'k1', Value: S1 }, { Key: 'k2', Value: S2 }])).toEqual({ puts: [], deletes: [] });
  expect(planKeyUpdate(new Map(), [{ Key: 'k1', Value: S1 }])).toEqual({ puts: [], deletes: [{ Key: 'k1' }] });
});

describe('scripts/sync-signing-keys.ts, offline', () => {
  const tsx = path.join(__dirname, '..', 'node_modules', '.bin', 'tsx');
  const script = path.join(__dirname, '..', 'scripts', 'sync-signing-keys.ts');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sync-keys-'));

  test('a stack without the store (no edge signing) needs nothing and calls no AWS API', () => {
    const outputs = path.join(dir, 'outputs.json');
    fs.writeFileSync(outputs, JSON.stringify({ 'image-service-dev': { DistributionId: 'E1' } }));
    // PATH without any aws CLI: a call would fail the run.
    const run = spawnSync(tsx, [script, outputs, 'image-service-dev', 'image-service/dev', '--dry-run'], { encoding: 'utf8', env: { ...process.env, PATH: path.dirname(process.execPath) } });
    expect([run.status, run.stderr.trim()]).toEqual([0, 'image-service-dev: no edge signing keys store (edge.serveFromS3 with signing.mode "required" creates one)']);
  });

  test('wrong arguments are refused with the usage', () => {
    const run = spawnSync(tsx, [script, 'outputs.json', 'stack'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/usage: sync-signing-keys\.ts <outputs\.json> <stack name> <secretsId> \[--dry-run\]/);
  });
});
