// The parameter builder's URL logic, without the page: a query from the builder's state
// and back, and the path of a stored image. The service reads a query the way
// handler/src/params/query.rs says (split on &, then on the first =, + is a space, each
// part percent-decoded once); this module writes queries that read back to what the
// state holds, and reads queries the same way the service does.
// Tested under node (builder.test.mjs) and against the service's parser
// (handler/tests/console.rs runs builder-cases.mjs).

// Kept as they are in a value, as the service's canonical form keeps them: readable
// JSON separators and colours' punctuation. Everything that could end or split a value
// (& = + # ; %), spaces, quotes and brackets are escaped.
const KEPT = { '%2C': ',', '%3A': ':', '%40': '@', '%2F': '/', '%24': '$' };

/** A query value (or key) percent-encoded for a URL. */
export function encodeValue(value) {
  return encodeURIComponent(value).replace(/%(2C|3A|40|2F|24)/g, (m) => KEPT[m]);
}

/** A store key as a URL path (without the leading slash): each segment encoded. */
export function encodeKeyPath(key) {
  return key.split('/').map((segment) => encodeURIComponent(segment)).join('/');
}

/**
 * The query for `state` (a Map of key name to value text; "" is a bare key), keys in the
 * key table's order, keys the table does not know left out. `encode` is the value
 * encoder (a test swaps it for a wrong one to see the checks fail).
 */
export function buildQuery(table, state, encode = encodeValue) {
  const parts = [];
  for (const spec of table.keys) {
    if (!state.has(spec.name)) continue;
    const value = state.get(spec.name);
    parts.push(value === '' ? spec.name : `${spec.name}=${encode(value)}`);
  }
  return parts.join('&');
}

/** The path and query to request the image `key` transformed by `state`. */
export function buildPath(table, key, state, encode = encodeValue) {
  const query = buildQuery(table, state, encode);
  const path = `/${encodeKeyPath(key.replace(/^\/+/, ''))}`;
  return query === '' ? path : `${path}?${query}`;
}

/** `+` to space, then one round of percent-decoding; bytes that are not UTF-8 become U+FFFD. */
export function decodeComponent(text) {
  const spaced = text.replace(/\+/g, ' ');
  const bytes = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < spaced.length; ) {
    if (spaced[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(spaced.slice(i + 1, i + 3))) {
      bytes.push(parseInt(spaced.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const codePoint = spaced.codePointAt(i);
      const char = String.fromCodePoint(codePoint);
      bytes.push(...encoder.encode(char));
      i += char.length;
    }
  }
  return new TextDecoder('utf-8').decode(new Uint8Array(bytes));
}

/** The decoded (key, value) pairs of a query, in order, as the service splits them. */
export function queryPairs(query) {
  return query
    .replace(/^\?/, '')
    .split('&')
    .filter((piece) => piece !== '')
    .map((piece) => {
      const eq = piece.indexOf('=');
      const key = eq < 0 ? piece : piece.slice(0, eq);
      const value = eq < 0 ? '' : piece.slice(eq + 1);
      return [decodeComponent(key), decodeComponent(value)];
    });
}

/**
 * The builder state of a query: the known keys with their decoded values (a bare key is
 * ""); unknown keys (cache busters, the signature's s, kid, exp) are left out. A key
 * given twice keeps its first value and is named in `repeated` (the service refuses it).
 */
export function parseQuery(table, query) {
  const known = new Set(table.keys.map((k) => k.name));
  const state = new Map();
  const repeated = [];
  for (const [key, value] of queryPairs(query)) {
    if (!known.has(key)) continue;
    if (state.has(key)) {
      repeated.push(key);
      continue;
    }
    state.set(key, value.trim() === '' ? '' : value);
  }
  return { state, repeated };
}

/** What would make the service refuse `state` before any image work, as sentences. */
export function problems(table, state) {
  const out = [];
  for (const spec of table.keys) {
    if (state.has(spec.name) && state.get(spec.name) === '' && spec.bare === null) {
      out.push(`${spec.name} needs a value`);
    }
  }
  return out;
}
