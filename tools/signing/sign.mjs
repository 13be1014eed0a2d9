// Signs an image-service URL with Node's standard library (the README's JavaScript example).
//
// usage: node sign.mjs KEYID:SECRET '/path/photo.jpg?w=300' [EXPIRES_UNIX_TIME]
// Prints the signed path and query. The service's tests use this script as a second
// independent implementation of the signing scheme.
import { createHmac } from "node:crypto";

// RFC 3986 unreserved characters stay, everything else is %XX.
const enc = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());

export function sign(url, keyId, secret, expires) {
  const u = new URL(url, "http://x");
  const pairs = [...u.searchParams].filter(([k]) => !["s", "kid", "exp"].includes(k));
  pairs.push(["kid", keyId]);
  if (expires !== undefined) pairs.push(["exp", String(expires)]);
  const sortBytes = (a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  const query = pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).sort(sortBytes).join("&");
  const path = decodeURIComponent(u.pathname).split("/").map(enc).join("/");
  const signature = createHmac("sha256", secret).update(`${path}\n${query}`).digest("base64url");
  return `${path}?${query}&s=${signature}`;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const [key, url, expires] = process.argv.slice(2);
  const i = key.indexOf(":");
  console.log(sign(url, key.slice(0, i), key.slice(i + 1), expires));
}
