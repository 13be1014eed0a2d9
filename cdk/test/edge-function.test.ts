// The viewer-request CloudFront Function run under node (see viewer-function.ts for the one
// stand-in, CloudFront's `cloudfront` module): Accept classes, the edge keys of
// integration-tests/edge-keys.json, signature checks and routing.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BASE_CONFIG, run, signWithTool } from './viewer-function';

const EDGE = { originals: true, results: true };
const KEYS = { k1: '0123456789abcdef-k1', k2: '0123456789abcdef-k2' };

// The same clients and classes as handler/src/params/accept.rs (BROWSERS).
const BROWSERS: [string, string, string][] = [
  ['Chrome 120', 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8', 'avif'],
  ['Firefox 121', 'image/avif,image/webp,*/*', 'avif'],
  ['Safari 17', 'image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5', 'avif'],
  ['Safari 16.4', 'image/webp,image/avif,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5', 'avif'],
  ['Safari 14-15', 'image/webp,image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5', 'webp'],
  ['Edge 18 (EdgeHTML)', 'image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5', 'other'],
  ['curl', '*/*', 'other'],
  ['a bot without Accept', '', 'other'],
];

async function classOf(accept: string | undefined, extra: Record<string, string> = {}): Promise<string> {
  const headers = accept === undefined ? extra : { accept, ...extra };
  const { request } = await run({}, 'GET', '/a.jpg', 'w=1&fm=auto', headers);
  return request.headers['x-image-accept'].value;
}

describe('Accept classes (the rule of handler/src/params/accept.rs)', () => {
  test.each(BROWSERS)('%s', async (_client, accept, expected) => {
    expect(await classOf(accept)).toBe(expected);
  });

  test('no Accept header is other; a viewer-sent x-image-accept is always replaced', async () => {
    expect(await classOf(undefined)).toBe('other');
    expect(await classOf(undefined, { 'x-image-accept': 'avif' })).toBe('other');
    expect(await classOf('image/webp', { 'x-image-accept': 'avif' })).toBe('webp');
  });

  test('the class is "other" when the answer cannot depend on Accept: originals, an explicit fm', async () => {
    const chrome = { accept: BROWSERS[0][1] };
    const classes = async (config: object, raws: (string | undefined)[]) => Promise.all(raws.map(async (raw) => (await run(config, 'GET', '/a.jpg', raw, chrome)).request.headers['x-image-accept'].value));
    // Negotiated: fm=auto (any case), a preset (it may hold fm=auto), no fm with autoFormat on.
    expect(await classes({}, ['fm=auto&w=1', 'fm=AUTO', 'preset=thumb', 'preset=thumb&w=1'])).toEqual(['avif', 'avif', 'avif', 'avif']);
    expect(await classes({ autoFormat: true }, ['w=1', 'w=1&kid=k1&s=x', 'fm=auto', 'w=%ZZ'])).toEqual(['avif', 'avif', 'avif', 'avif']);
    // Not negotiated: originals (signed ones too), an explicit format, no fm with autoFormat off.
    expect(await classes({ autoFormat: true }, [undefined, '', 'kid=k1&s=x', 'fm=webp&w=1', 'preset=thumb&fm=png'])).toEqual(['other', 'other', 'other', 'other', 'other']);
    expect(await classes({}, ['w=1', 'fm=webp'])).toEqual(['other', 'other']);
  });

  test('q=0 refuses, case does not matter, wildcards never count, q that does not parse counts as 1', async () => {
    expect(await classOf('image/avif;q=0,image/webp')).toBe('webp');
    expect(await classOf('image/avif; q=0.0, image/webp;q=0')).toBe('other');
    expect(await classOf('IMAGE/AVIF')).toBe('avif');
    expect(await classOf('image/avif;q=junk')).toBe('avif');
    expect(await classOf('image/avifx')).toBe('other');
    expect(await classOf('image/*')).toBe('other');
    expect(await classOf('image/avif;q=0, image/avif')).toBe('avif');
    expect(await classOf('image/avif;q=NaN')).toBe('other');
  });
});

describe('writes and headers', () => {
  test('GET and HEAD lose Authorization when the stage has writes; POST and DELETE keep everything', async () => {
    const headers = { authorization: 'Bearer t1', accept: 'image/avif' };
    for (const method of ['GET', 'HEAD']) {
      const { request } = await run({ writes: true }, method, '/a.jpg', undefined, headers);
      expect(request.headers.authorization).toBeUndefined();
    }
    for (const method of ['POST', 'DELETE']) {
      const { request, groups } = await run({ ...EDGE, writes: true }, method, '/a.jpg', undefined, headers);
      expect(request.headers.authorization).toEqual({ value: 'Bearer t1' });
      expect(request.uri).toBe('/a.jpg');
      expect(groups).toEqual([]);
    }
    // Without writes nothing is removed (and nothing reaches the cache key through it).
    const { request } = await run({ writes: false }, 'GET', '/a.jpg', undefined, headers);
    expect(request.headers.authorization).toEqual({ value: 'Bearer t1' });
  });

  test('a viewer-sent x-image-edge-path never reaches the origin', async () => {
    const { request } = await run({}, 'GET', '/a.jpg', 'w=1', { 'x-image-edge-path': '/other.jpg' });
    expect(request.headers['x-image-edge-path']).toBeUndefined();
  });
});

interface Vector { key: string; query: string; class: string; salt: string; object: string }
const vectors: Vector[] = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'integration-tests', 'edge-keys.json'), 'utf8')).vectors;
const ACCEPT_OF: Record<string, string> = { avif: 'image/avif,image/webp,*/*', webp: 'image/webp,*/*', other: '*/*' };
const uriOf = (key: string) => `/${key.split('/').map(encodeURIComponent).join('/')}`;

describe('edge keys (integration-tests/edge-keys.json)', () => {
  test('the file holds vectors of every class', () => {
    expect(new Set(vectors.map((v) => v.class))).toEqual(new Set(['avif', 'webp', 'other']));
  });

  test.each(vectors.map((v) => [v.key, v.query, v.class, v] as const))('%s ? %s (%s)', async (_k, _q, _c, v) => {
    const uri = uriOf(v.key);
    // autoFormat: every vector is negotiated, so the Accept class goes into its key.
    const { request, groups } = await run({ ...EDGE, autoFormat: true, salt: v.salt }, 'GET', uri, v.query, { accept: ACCEPT_OF[v.class] });
    expect(request.uri).toBe(`/${v.object}`);
    expect(request.headers['x-image-edge-path']).toEqual({ value: uri });
    expect(groups).toEqual([{ originIds: [{ originId: 'results' }, { originId: 'api' }], failoverCriteria: { statusCodes: [403, 404] } }]);
    // The query string is kept for the failover to the API.
    expect(request.rawQueryString()).toBe(v.query);
    // Null model: another salt or class gives another object.
    const other = await run({ ...EDGE, autoFormat: true, salt: `${v.salt}x` }, 'GET', uri, v.query, { accept: ACCEPT_OF[v.class] });
    expect(other.request.uri).not.toBe(`/${v.object}`);
    const otherClass = v.class === 'other' ? 'avif' : 'other';
    const byClass = await run({ ...EDGE, autoFormat: true, salt: v.salt }, 'GET', uri, v.query, { accept: ACCEPT_OF[otherClass] });
    expect(byClass.request.uri).not.toBe(`/${v.object}`);
  });
});

describe('routing', () => {
  test('an original (no query) is tried in the originals bucket, then the API; URI unchanged', async () => {
    for (const raw of [undefined, '']) {
      const { request, groups } = await run(EDGE, 'GET', '/photos/cat.jpg', raw);
      expect(request.uri).toBe('/photos/cat.jpg');
      expect(groups).toEqual([{ originIds: [{ originId: 'originals' }, { originId: 'api' }], failoverCriteria: { statusCodes: [403, 404] } }]);
    }
    const head = await run(EDGE, 'HEAD', '/photos/cat.jpg');
    expect(head.groups).toHaveLength(1);
  });

  test('requests sent to S3 lose viewer x-amz-* headers (they would change its answer outside the cache key)', async () => {
    const headers = { 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-request-payer': 'requester', 'x-other': '1' };
    for (const raw of [undefined, 'w=300']) {
      const { request, groups } = await run(EDGE, 'GET', '/cat.jpg', raw, headers);
      expect(groups).toHaveLength(1);
      expect(Object.keys(request.headers).sort()).toEqual(['x-image-accept', 'x-other', ...(raw ? ['x-image-edge-path'] : [])].sort());
    }
    // Null model: a request the API answers keeps them.
    const { request } = await run(BASE_CONFIG, 'GET', '/cat.jpg', 'w=300', headers);
    expect(request.headers['x-amz-request-payer']).toEqual({ value: 'requester' });
  });

  test('with originals off (signed originals, enforced watermark) or edge serving off, the API answers', async () => {
    const noOriginals = await run({ results: true }, 'GET', '/cat.jpg');
    expect(noOriginals.groups).toEqual([]);
    const off = await run(BASE_CONFIG, 'GET', '/cat.jpg', 'w=300');
    expect([off.groups, off.request.uri]).toEqual([[], '/cat.jpg']);
    const noResults = await run({ originals: true }, 'GET', '/cat.jpg', 'w=300');
    expect([noResults.groups, noResults.request.uri]).toEqual([[], '/cat.jpg']);
  });

  test('keys the service refuses never reach S3 (handler/src/keys.rs): the API answers them', async () => {
    const refused = ['/_/health', '/_/x.jpg', '/a//b.jpg', '/a/./b.jpg', '/a/../b.jpg', '/a%5Cb.jpg', '/a%00b.jpg', '/a%C2%85b.jpg', '/b.jpg/', `/${'a'.repeat(1025)}`];
    for (const uri of refused) {
      for (const raw of [undefined, 'w=1']) {
        const { request, groups } = await run(EDGE, 'GET', uri, raw);
        expect([uri, raw, groups, request.uri]).toEqual([uri, raw, [], uri]);
      }
    }
    // Null model: the same shapes, valid, go to S3 (1024 bytes is the limit, é is two).
    for (const uri of ['/a_/health', '/a/b.jpg', '/a/.b.jpg', `/${'a'.repeat(1024)}`, `/${'é'.repeat(512)}`]) {
      expect([uri, (await run(EDGE, 'GET', uri)).groups.length]).toEqual([uri, 1]);
    }
    expect((await run(EDGE, 'GET', `/${'é'.repeat(513)}`)).groups).toEqual([]);
  });

  test('the API answers what the edge cannot key: /, bad escapes, S3 query parameters, only signing pairs', async () => {
    for (const [uri, raw] of [['/', undefined], ['/%E0%A4%A.jpg', 'w=1'], ['/a.jpg', 'w=%ZZ'], ['/a.jpg', 'w=1&response-content-type=text/html'],
      ['/a.jpg', 'versionId=3&w=1'], ['/a.jpg', 'X-Amz-Date=1&w=1'], ['/a.jpg', 'kid=k1&s=abc']] as [string, string | undefined][]) {
      const { request, groups } = await run(EDGE, 'GET', uri, raw);
      expect([uri, raw, groups, request.uri]).toEqual([uri, raw, [], uri]);
    }
  });
});

describe('signatures verified at the edge (keys from the KeyValueStore)', () => {
  const SIGNING = { ...EDGE, signing: true };
  const future = Math.floor(Date.now() / 1000) + 3600;

  test('a valid signature (tools/signing/sign.mjs) is rewritten to its edge key, the same with or without s/kid/exp', async () => {
    const { path: p, query } = signWithTool('/photos/my cat.jpg?w=300&fm=webp', 'k1', KEYS.k1, future);
    const signed = await run(SIGNING, 'GET', p, query, {}, KEYS);
    expect(signed.kvsReads).toEqual(['k1']);
    expect(signed.groups).toHaveLength(1);
    expect(signed.request.uri).toMatch(/^\/edge\/[0-9a-f]{64}\/[0-9a-f]{64}$/);
    const unsigned = await run(EDGE, 'GET', p, 'fm=webp&w=300', {}, KEYS);
    expect(unsigned.request.uri).toBe(signed.request.uri);
  });

  test('wrong key, tampered query, expired, missing kid or s, unknown kid: not rewritten, the API answers', async () => {
    const good = signWithTool('/cat.jpg?w=300', 'k1', KEYS.k1, future);
    const cases: [string, string, string][] = [
      ['signed with another secret', good.path, signWithTool('/cat.jpg?w=300', 'k1', 'not-the-secret-0000', future).query],
      ['tampered query', good.path, good.query.replace('w=300', 'w=301')],
      ['tampered path', '/dog.jpg', good.query],
      ['expired', good.path, signWithTool('/cat.jpg?w=300', 'k1', KEYS.k1, Math.floor(Date.now() / 1000) - 1).query],
      ['no kid', good.path, good.query.replace(/(^|&)kid=k1/, '')],
      ['no s', good.path, good.query.replace(/&s=.*$/, '')],
      ['kid not in the store', good.path, signWithTool('/cat.jpg?w=300', 'k9', KEYS.k1, future).query],
      ['two signatures', good.path, `${good.query}&s=AAAA`],
    ];
    for (const [why, p, q] of cases) {
      const { request, groups } = await run(SIGNING, 'GET', p, q, {}, KEYS);
      expect([why, groups, request.uri]).toEqual([why, [], p]);
    }
    // Null model: the untampered URL is rewritten.
    const ok = await run(SIGNING, 'GET', good.path, good.query, {}, KEYS);
    expect(ok.groups).toHaveLength(1);
  });

  test('unsigned transforms are never looked up when signing is required; originals still are', async () => {
    const transform = await run(SIGNING, 'GET', '/cat.jpg', 'w=300', {}, KEYS);
    expect([transform.groups, transform.kvsReads]).toEqual([[], []]);
    const original = await run(SIGNING, 'GET', '/cat.jpg', undefined, {}, KEYS);
    expect(original.groups).toHaveLength(1);
  });

  test('presets-only mode: unsigned presets alone (plus fm=auto) need no signature; anything more still does', async () => {
    const PRESETS = { ...SIGNING, presetsOnly: true };
    for (const raw of ['preset=thumb', 'preset=thumb&fm=auto', 'fm=auto&preset=thumb&kid=k1']) {
      const { groups, kvsReads } = await run(PRESETS, 'GET', '/cat.jpg', raw, {}, KEYS);
      expect([raw, groups.length, kvsReads]).toEqual([raw, 1, []]);
    }
    for (const raw of ['preset=thumb&w=300', 'preset=thumb&fm=webp', 'fm=auto', 'preset=thumb&s=AAAA']) {
      const { groups } = await run(PRESETS, 'GET', '/cat.jpg', raw, {}, KEYS);
      expect([raw, groups]).toEqual([raw, []]);
    }
    // Null model: without the mode, unsigned presets are not looked up.
    expect((await run(SIGNING, 'GET', '/cat.jpg', 'preset=thumb', {}, KEYS)).groups).toEqual([]);
  });
});
