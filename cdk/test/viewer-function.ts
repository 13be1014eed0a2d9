// Runs the viewer-request CloudFront Function (functions/viewer-request.js) under node.
//
// The one stand-in: CloudFront's built-in `cloudfront` module, which exists only at the edge.
// It records the origin-helper calls and answers KeyValueStore reads from a plain object
// (a missing key rejects, as cf.kvs().get does). `crypto` is node's own: the HMAC and the
// hashes are real. The source runs as it ships, minus its two import lines.
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { renderViewerFunction, ViewerFunctionConfig } from '../lib/edge';

export const BASE_CONFIG: ViewerFunctionConfig = {
  writes: false,
  originals: false,
  results: false,
  signing: false,
  presetsOnly: false,
  autoFormat: false,
  salt: 'r4',
  api: 'api',
  originalsOrigin: 'originals',
  resultsOrigin: 'results',
  failover: [403, 404],
};

export interface OriginGroupCall {
  originIds: { originId: string }[];
  failoverCriteria: { statusCodes: number[] };
}

export interface Run {
  readonly request: any;
  /** Origin groups the function asked for (at most one is expected). */
  readonly groups: OriginGroupCall[];
  /** Keys the function read from the KeyValueStore. */
  readonly kvsReads: string[];
}

const SIGN_MJS = path.join(__dirname, '..', '..', 'tools', 'signing', 'sign.mjs');
const IMPORTS = /^import (cf from 'cloudfront'|crypto from 'crypto');\n/gm;

export function loadHandler(code: string, kvs: Record<string, string> = {}) {
  const imports = code.match(IMPORTS) ?? [];
  if (imports.length !== 2) throw new Error(`expected the cloudfront and crypto imports, found ${imports.length}`);
  const groups: OriginGroupCall[] = [];
  const kvsReads: string[] = [];
  const cf = {
    createRequestOriginGroup: (g: OriginGroupCall) => groups.push(JSON.parse(JSON.stringify(g))),
    selectRequestOriginById: () => { throw new Error('not used by this function'); },
    kvs: () => ({
      get: async (key: string) => {
        kvsReads.push(key);
        if (!Object.prototype.hasOwnProperty.call(kvs, key)) throw new Error(`KeyNotFound: ${key}`);
        return kvs[key];
      },
    }),
  };
  const context = vm.createContext({ cf, crypto, encodeURIComponent, decodeURIComponent });
  vm.runInContext(`${code.replace(IMPORTS, '')}\nglobalThis.handler = handler;`, context);
  return { handler: context.handler as (event: unknown) => Promise<any>, groups, kvsReads };
}

/** A viewer request as CloudFront passes it (lower-case header names, rawQueryString()). */
export function viewerEvent(method: string, uri: string, raw: string | undefined, headers: Record<string, string> = {}) {
  const h: Record<string, { value: string }> = {};
  for (const [k, v] of Object.entries(headers)) h[k] = { value: v };
  const querystring: Record<string, { value: string }> = {};
  for (const piece of (raw ?? '').split('&').filter((p) => p !== '')) {
    const [k, v = ''] = piece.split('=');
    querystring[k] = { value: v };
  }
  return {
    version: '1.0',
    context: { eventType: 'viewer-request' },
    viewer: { ip: '192.0.2.1' },
    request: { method, uri, querystring, headers: h, cookies: {}, rawQueryString: () => raw },
  };
}

export async function run(config: Partial<ViewerFunctionConfig>, method: string, uri: string, raw?: string,
  headers: Record<string, string> = {}, kvs: Record<string, string> = {}): Promise<Run> {
  const { handler, groups, kvsReads } = loadHandler(renderViewerFunction({ ...BASE_CONFIG, ...config }), kvs);
  const request = await handler(viewerEvent(method, uri, raw, headers));
  return { request, groups, kvsReads };
}

/** A URL signed by tools/signing/sign.mjs (the README's JavaScript client, run as a program). */
export function signWithTool(url: string, kid: string, secret: string, exp?: number): { path: string; query: string } {
  const args = [SIGN_MJS, `${kid}:${secret}`, url, ...(exp === undefined ? [] : [String(exp)])];
  const out = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`sign.mjs failed: ${out.stderr}`);
  const signed = out.stdout.trim();
  const q = signed.indexOf('?');
  return { path: signed.slice(0, q), query: signed.slice(q + 1) };
}
