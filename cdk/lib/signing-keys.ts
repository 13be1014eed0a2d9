/**
 * The edge copy of the stage's signing keys: the viewer function reads kid -> secret from a
 * CloudFront KeyValueStore, and `bin/deploy` keeps it equal to the `signingKeys` field of the
 * stage secret ("kid1:secret1,kid2:secret2", the service's format: handler/src/config/credentials.rs).
 * A key removed from the secret is deleted from the store, so it stops verifying at the edge too.
 */

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** The service refuses shorter secrets (SigningKey::MIN_SECRET_BYTES). */
export const MIN_SECRET_BYTES = 16;
/** CloudFront KeyValueStore's largest value. */
export const MAX_VALUE_BYTES = 1024;

/** Parses `kid:secret,...` as the service does; errors name the key id, never the secret. */
export function parseSigningKeys(value: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const pair of value.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const colon = pair.indexOf(':');
    if (colon < 0) throw new Error('signingKeys: expected keyid:secret pairs separated by commas');
    const id = pair.slice(0, colon).trim();
    const secret = pair.slice(colon + 1);
    if (!KEY_ID.test(id)) throw new Error(`signingKeys: key id '${id}': expected 1-64 characters of A-Z a-z 0-9 - _ .`);
    if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) throw new Error(`signingKeys: the secret of key '${id}' is shorter than ${MIN_SECRET_BYTES} bytes`);
    if (Buffer.byteLength(secret) > MAX_VALUE_BYTES) throw new Error(`signingKeys: the secret of key '${id}' is over the KeyValueStore's ${MAX_VALUE_BYTES} bytes`);
    if (keys.has(id)) throw new Error(`signingKeys: key id '${id}' appears twice`);
    keys.set(id, secret);
  }
  return keys;
}

export interface KeyUpdate {
  readonly puts: { Key: string; Value: string }[];
  readonly deletes: { Key: string }[];
}

/** What `update-keys` must do so the store holds exactly `keys` (existing: the store's items). */
export function planKeyUpdate(keys: Map<string, string>, existing: { Key: string; Value: string }[]): KeyUpdate {
  const current = new Map(existing.map((i) => [i.Key, i.Value]));
  const puts = [...keys].filter(([k, v]) => current.get(k) !== v).map(([Key, Value]) => ({ Key, Value }));
  const deletes = [...current.keys()].filter((k) => !keys.has(k)).map((Key) => ({ Key }));
  return { puts, deletes };
}

/** A one-line summary naming key ids only. */
export function describeUpdate(update: KeyUpdate): string {
  const ids = (xs: { Key: string }[]) => (xs.length > 0 ? xs.map((x) => x.Key).join(', ') : 'none');
  return `put ${ids(update.puts)}; delete ${ids(update.deletes)}`;
}
