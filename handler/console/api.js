// The service's HTTP API as the console uses it: same origin, the write token as
// Authorization: Bearer, every error read from the service's JSON
// ({"status", "code", "message"}). Paths are relative to the service root, which is
// two levels above the page (/_/console/), also behind a path prefix.

import { encodeKeyPath } from './builder.js';

export const SERVICE_ROOT = new URL('../../', document.baseURI);
const TOKEN_KEY = 'image-service-console-token';

/** An answer that was not a success, with the service's code and sentence. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }

  /** "409 already-exists: Already existing: …" */
  describe() {
    return `${this.status} ${this.code}: ${this.message}`;
  }
}

/** The URL of a service path such as "/cat.jpg?w=1" (leading slash optional). */
export function serviceUrl(path) {
  return new URL(path.replace(/^\//, ''), SERVICE_ROOT);
}

/** The path of a folder for upload and delete: "/" for the root, else each segment encoded. */
export function folderPath(folder) {
  const trimmed = folder.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '/' : `/${encodeKeyPath(trimmed)}`;
}

/** The ApiError of a failed answer's text (JSON when the service wrote it). */
function errorOf(status, text) {
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === 'string') {
      return new ApiError(status, body.code || 'error', body.message);
    }
  } catch {
    // Not ours: a gateway's or a proxy's page.
  }
  return new ApiError(status, 'error', text.trim().slice(0, 200) || `HTTP ${status}`);
}

export async function failure(response) {
  return errorOf(response.status, await response.text());
}

export const session = {
  token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  signedIn() {
    return sessionStorage.getItem(TOKEN_KEY) !== null;
  },
  start(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  end() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
};

function authHeaders() {
  const token = session.token();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function call(method, path, body) {
  const headers = { ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(serviceUrl(path), {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (!response.ok) throw await failure(response);
  return response;
}

/** GET /_/params: the key table, presets, watermarks and the deployment's settings. */
export async function paramTable() {
  return (await call('GET', '/_/params')).json();
}

/**
 * POST /_/sign for `paths` (checks the token too: an empty list is how signing in checks
 * it). Resolves to the service's answer ({signing, signed, urls: [{path, url, cli?}]}).
 */
export async function sign(paths, expiresIn) {
  const body = { paths };
  if (expiresIn) body.expiresIn = expiresIn;
  return (await call('POST', '/_/sign', body)).json();
}

/** GET /?prefix=&max-keys=&continuation-token=: one page of objects and the next token. */
export async function list(prefix, maxKeys, continuationToken) {
  const query = new URLSearchParams({ prefix, 'max-keys': String(maxKeys) });
  if (continuationToken) query.set('continuation-token', continuationToken);
  const response = await call('GET', `/?${query}`);
  return { objects: await response.json(), next: response.headers.get('x-next-continuation-token') };
}

/** DELETE /{folder} with {"images": names}: all of them or none. */
export async function remove(folder, names) {
  return (await call('DELETE', folderPath(folder), { images: names })).json();
}

/**
 * POST /{folder} with one file as multipart `data`, reporting upload progress (0-1) to
 * `onProgress`. XMLHttpRequest: fetch cannot report upload progress.
 */
export function upload(folder, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', serviceUrl(folderPath(folder)));
    for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    xhr.addEventListener('load', () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(JSON.parse(xhr.responseText));
      } else {
        reject(errorOf(xhr.status, xhr.responseText));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, 'network-error', 'The upload did not reach the service.')));
    const form = new FormData();
    form.append('data', file, file.name);
    xhr.send(form);
  });
}
