// Copies the stage secret's signingKeys into the edge KeyValueStore (bin/deploy runs it after a
// deploy; `bin/deploy <stage> --signing-keys` runs only this, e.g. after rotating keys).
//   tsx scripts/sync-signing-keys.ts <outputs.json> <stack name> <secretsId> [--dry-run]
// --dry-run reads the secret and the store and prints what would change (key ids only).
// Secrets never appear on a command line or in the output: update-keys reads them from a
// private temporary file.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describeUpdate, parseSigningKeys, planKeyUpdate } from '../lib/signing-keys';

function aws(args: string[]): string {
  return execFileSync('aws', [...args, '--output', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

function main(): void {
  const [outputsFile, stack, secretsId, flag] = process.argv.slice(2);
  if (!outputsFile || !stack || !secretsId || (flag !== undefined && flag !== '--dry-run')) {
    throw new Error('usage: sync-signing-keys.ts <outputs.json> <stack name> <secretsId> [--dry-run]');
  }
  const outputs = JSON.parse(fs.readFileSync(outputsFile, 'utf8'))[stack] ?? {};
  const kvsArn: string | undefined = outputs.SigningKeysStoreArn;
  if (!kvsArn) {
    console.error(`${stack}: no edge signing keys store (edge.serveFromS3 with signing.mode "required" creates one)`);
    return;
  }
  const secret = JSON.parse(JSON.parse(aws(['secretsmanager', 'get-secret-value', '--secret-id', secretsId, '--query', 'SecretString'])));
  const keys = parseSigningKeys(String(secret.signingKeys ?? ''));
  const store = JSON.parse(aws(['cloudfront-keyvaluestore', 'describe-key-value-store', '--kvs-arn', kvsArn]));
  const items = JSON.parse(aws(['cloudfront-keyvaluestore', 'list-keys', '--kvs-arn', kvsArn])).Items ?? [];
  const update = planKeyUpdate(keys, items);
  console.error(`${kvsArn}: ${describeUpdate(update)}${flag ? ' (dry run: nothing written)' : ''}`);
  if (flag || (update.puts.length === 0 && update.deletes.length === 0)) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signing-keys-'));
  try {
    const args = ['cloudfront-keyvaluestore', 'update-keys', '--kvs-arn', kvsArn, '--if-match', store.ETag];
    for (const [option, list] of [['--puts', update.puts], ['--deletes', update.deletes]] as const) {
      if (list.length === 0) continue;
      const file = path.join(dir, `${option.slice(2)}.json`);
      fs.writeFileSync(file, JSON.stringify(list), { mode: 0o600 });
      args.push(option, `file://${file}`);
    }
    aws(args);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  console.error(`sync-signing-keys: ${(e as Error).message}`);
  process.exit(1);
}
